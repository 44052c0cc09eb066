"""Secrets never reach the outputs golive gained beside a plain run: ansible-runner's artifacts and run stats, a
merged report set and its webhook notification, the embedded roles' output and registered results, and a run that waits.

web01 carries one secret of every sort, each in a check that fails: an env file's values, credentials that an
endpoint echoes back (basic auth in the URL and as options, a bearer token, credential headers, a JSON and a
form body), a PostgreSQL password in a URL and as an option, a Redis password (a real redis-server asks for it)
and a Stripe secret key and webhook signing secret (the HTTPS stand-in of the Stripe API). Every run is at -vvv,
and every output of it is searched for every secret, plain and in the forms it takes on the wire.
"""

from __future__ import annotations

import contextlib
import json
import os
import types
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import pytest
from loopback_http import serve_http
from playbook_runs import HEALTHY_VARS, checks_by_host, printed_verdict, read_report
from secret_leaks import (
    ECHOED_SECRETS,
    ENV_SECRETS,
    EchoHandler,
    derived_forms,
    echoed_endpoint_checks,
    env_file_check,
    files_under,
    leaks_in,
    wire_forms,
    write_env_file,
)
from test_embedded_roles import write_playbook
from test_merge_slices import merge

from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._redis_servers import redis_server
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._stripe_standin import (
    TEST_SECRET,
    WEBHOOK_SECRET,
    stripe_standin,
)
from ansible_collections.golive.readiness.tests.unit.plugins.plugin_utils._webhook_receiver import (
    answer,
    running_receiver,
)

pytestmark = pytest.mark.integration

PG_PASSWORD = "Pg3+Nx7/Qa9=Lw5Zk"  # the local PostgreSQL trusts 127.0.0.1: sent, not needed
REDIS_PASSWORD = "Rs8/Km4+Tz6=Qv2Hd"
COMMAND_SECRET = "Cm5/Yt8+Hw3=Jr6Pq"  # in a command's env; the command prints it, plain and derived
# The merge's webhook: its URL is the credential (a token in the path, a signature in the query, userinfo).
HOOK_TOKEN = "Hw4Tq8Zp2Lk6Xr9Vm3"
HOOK_SIGNATURE = "Sg7Nc3Wd5Qy8Jb2Fh6"
HOOK_PASSWORD = "Hp2/Dv6+Ks9=Mt4Yc"
HOOK_SECRETS = (HOOK_TOKEN, HOOK_SIGNATURE, HOOK_PASSWORD)
SERVICE_SECRETS = (PG_PASSWORD, REDIS_PASSWORD, TEST_SECRET, WEBHOOK_SECRET, COMMAND_SECRET)
# The random parts: a masked key keeps its prefix and last four characters (sk_test_…c8uo).
PLAIN_SECRETS = ENV_SECRETS + ECHOED_SECRETS + (PG_PASSWORD, REDIS_PASSWORD, COMMAND_SECRET) + tuple(
    key.rsplit("_", 1)[-1] for key in (TEST_SECRET, WEBHOOK_SECRET))
DERIVED_FORMS = wire_forms() + derived_forms(SERVICE_SECRETS, [("postgres", PG_PASSWORD), (TEST_SECRET, "")])
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_URL_WITH_PASSWORD = f"postgresql+psycopg://postgres:{quote(PG_PASSWORD, safe='')}@127.0.0.1:5432/postgres"
# What web01's secret-bearing checks are expected to end as: none may pass.
FAILING_KINDS = {"env_vars": "fail", "command_output": "fail", "db_server": "fail", "db_schema": "fail",
                 "redis": "fail", "stripe_account": "fail"}
HEALTHY_KINDS = ("disk_space", "system_resources")  # of HEALTHY_VARS
SERVICE_KINDS = ("db_server", "db_schema", "redis", "stripe_account")
SECTIONS = ("application", "services", "data", "monitoring")


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    """The echoing endpoint, a password-protected redis-server, the Stripe stand-in and the env file."""
    with contextlib.ExitStack() as stack:
        yield types.SimpleNamespace(
            echo=stack.enter_context(serve_http(EchoHandler)),
            redis=stack.enter_context(redis_server(password=REDIS_PASSWORD)),
            stripe=stack.enter_context(stripe_standin()),
            env_file=write_env_file(str(tmp_path_factory.mktemp("secret-env"))))


def service_checks(services):
    """Checks of the services section (and data's db_schema) that fail while holding a password or key."""
    return dict(
        golive_databases=[dict(url=PG_URL_WITH_PASSWORD, min_version="99")],
        golive_db_schemas=[dict(url=PG_URL, password=PG_PASSWORD, tables=["golive_no_such_table"])],
        # The server is a primary: the password is right, the role is not.
        golive_redis=[dict(host="127.0.0.1", port=services.redis.port, password=REDIS_PASSWORD, role="replica")],
        # A test-mode key where live is required: the API accepts the key, the check does not.
        golive_stripe_accounts=[dict(api_base=services.stripe.api_base, ca_path=services.stripe.ca_file,
                                     secret_key=TEST_SECRET, webhook_secret=WEBHOOK_SECRET)],
    )


def host_checks(services):
    """The application section's host checks holding secrets: an env file's, and a command's env that the
    command prints back, plain, URL-encoded and in base64."""
    printing = ("import base64, os, urllib.parse; token = os.environ['GOLIVE_TOKEN']; "
                "print(token, urllib.parse.quote(token, safe=''), base64.b64encode(token.encode()).decode())")
    return dict(golive_env_vars=[env_file_check(services.env_file)],
                golive_app_commands=[dict(name="token-echo", argv=["python3", "-c", printing],
                                          env={"GOLIVE_TOKEN": COMMAND_SECRET}, stdout_regex="^never-printed$")])


def secret_checks(services):
    """web01's variables: every secret-bearing check."""
    return dict(host_checks(services), **echoed_endpoint_checks(services.echo), **service_checks(services))


def assert_secret_checks_ran(records):
    """The secret-bearing checks of web01 all ran, those meant to fail did, and the echoing endpoint got and
    answered the credentials (the check read them back)."""
    kinds = sorted(record["kind"] for record in records if record["kind"] not in HEALTHY_KINDS)
    assert kinds == sorted(["env_vars", "command_output", "http_endpoint", "http_endpoint", "http_endpoint",
                            "prometheus_targets", "alertmanager", *SERVICE_KINDS]), kinds
    statuses = dict((record["kind"], record["status"]) for record in records if record["kind"] in FAILING_KINDS)
    assert statuses == FAILING_KINDS, [(r["id"], r["status"], r["summary"]) for r in records]
    echoed = [record for record in records if record["kind"] == "http_endpoint"
              and "X-Echo-Authorization" in record["observed"].get("headers", {})]
    assert echoed, records


def web01_records(report):
    return list(checks_by_host(report)["web01"].values())


def prefixed(prefix, texts):
    return dict((f"{prefix}/{name}", text) for name, text in texts.items())


def read_text(path):
    with open(path, encoding="utf-8", errors="replace") as handle:
        return handle.read()


def assert_no_leak(places, more_secrets=()):
    assert leaks_in(places, PLAIN_SECRETS + more_secrets, DERIVED_FORMS + derived_forms(more_secrets)) == {}


def test_ansible_runner_artifacts_and_run_stats_hold_no_secret(golive_runner, services):
    # The Stripe key comes in the run's extra variables, as AWX hands over a survey's password answer.
    checks = secret_checks(services)
    checks["golive_stripe_accounts"][0]["secret_key"] = "{{ survey_stripe_secret_key }}"
    run = golive_runner.run(label="secrets", verbosity=3, extravars={"survey_stripe_secret_key": TEST_SECRET},
                            hosts=["web01"], group_vars=HEALTHY_VARS, host_vars={"web01": checks})

    assert run.status == "failed" and run.verdict == "NO-GO", run.tail()
    assert_secret_checks_ran(web01_records(run.report))
    artifacts = files_under(run.artifact_dir)
    assert "stdout" in artifacts and any(name.startswith("job_events" + os.sep) for name in artifacts), \
        sorted(artifacts)
    assert "ESTABLISH SSH CONNECTION" in artifacts["stdout"], "not at -vvv"
    # The verify results' records, with their check ids and summaries, are in the events' "res".
    assert any('"golive_checks"' in text for name, text in artifacts.items() if name.startswith("job_events"))
    assert run.artifact_data["golive_blocking"], run.artifact_data
    places = prefixed("artifacts", artifacts)
    places.update(prefixed("report", files_under(run.report_dir)))
    places.update(artifact_data=json.dumps(run.artifact_data), stats=json.dumps(run.stats),
                  events=json.dumps(run.events))
    assert_no_leak(places)


def run_slice(golive, number, host, services):
    host_vars = {host: secret_checks(services)}
    return golive.run("-vvv", "-e", f"golive_slice={number}/2", hosts=[host], group_vars=HEALTHY_VARS,
                      host_vars=host_vars, label=f"slice-{number}")


def test_a_merged_report_set_holds_no_secret(golive, services, tmp_path):
    with ThreadPoolExecutor(2) as pool:
        slices = list(pool.map(lambda args: run_slice(golive, *args, services), ((1, "web01"), (2, "web02"))))
    report_dir = str(tmp_path / "merged")
    # The hook refuses the post quoting its own URL's secrets, as some do: the refusal is reported, scrubbed.
    refusal = f"invalid_token: {HOOK_TOKEN} (sig {HOOK_SIGNATURE}, user golive:{HOOK_PASSWORD})"
    with running_receiver(answer(403, body=refusal)) as receiver:
        hook = receiver.url(f"/services/T0GOLIVE/B0GOLIVE/{HOOK_TOKEN}?sig={HOOK_SIGNATURE}").replace(
            "http://", f"http://golive:{quote(HOOK_PASSWORD, safe='')}@")
        merged = merge(report_dir, "-vvv", "-e", json.dumps({"golive_slices": [run.report_dir for run in slices]}),
                       env={"GOLIVE_NOTIFY_URL": hook})
        payloads = [request["body"] for request in receiver.requests]

    assert merged.returncode != 0 and printed_verdict(merged.stdout) == "NO-GO", merged.stdout[-6000:]
    report = read_report(os.path.join(report_dir, "report.json"))
    assert report["slices"]["count"] == 2 and report["slices"]["missing"] == []
    notification = report["notification"]
    assert notification["http_status"] == 403 and "invalid_token" in notification["message"], notification
    assert len(payloads) == 1, notification
    assert "NO-GO" in payloads[0] and "web01" in payloads[0], payloads
    for host in ("web01", "web02"):
        assert_secret_checks_ran(list(checks_by_host(report)[host].values()))
    merged_files = files_under(report_dir)
    assert {"report.json", "junit.xml", "report.html", "report.md", "golive.prom"} <= set(merged_files)
    assert any(name.startswith("history" + os.sep) for name in merged_files), sorted(merged_files)
    places = dict(merge_stdout=merged.stdout, merge_stderr=merged.stderr, webhook_payload=payloads[0],
                  **prefixed("merged", merged_files))
    for number, run in enumerate(slices, 1):
        places.update({f"slice {number} stdout": run.stdout, f"slice {number} stderr": run.stderr})
        places.update(prefixed(f"slice {number}", files_under(run.report_dir)))
    assert_no_leak(places, HOOK_SECRETS)


def embedded_play(results_path):
    """The section roles holding the secret-bearing kinds and the gate, then the results they registered kept."""
    registered = ", ".join(f"{section}=golive_{section}_verify | default(none), "
                           f"{section}_probe=golive_{section}_probe_verify | default(none)" for section in SECTIONS)
    keep = dict(name="Keep the results the roles registered", delegate_to="localhost", run_once=True,
                **{"ansible.builtin.copy": dict(content="{{ dict(" + registered + ") | to_json }}",
                                                dest=results_path, mode="0600")})
    return [dict(name="Embedded go-live sections", hosts="web01", gather_facts=False,
                 roles=[f"golive.readiness.{section}" for section in SECTIONS] + ["golive.readiness.gate"],
                 tasks=[keep])]


def test_embedded_roles_output_report_and_registered_results_hold_no_secret(golive, services, tmp_path):
    results_path = str(tmp_path / "registered.json")
    playbook = write_playbook(golive, embedded_play(results_path), "embedded-secrets")
    # The gate does not fail the play on NO-GO, so that the task after the roles keeps their results.
    run = golive.run("-vvv", playbook=playbook, hosts=["web01"], label="embedded-secrets",
                     group_vars=dict(HEALTHY_VARS, golive_fail_on_nogo=False),
                     host_vars={"web01": secret_checks(services)})

    assert run.returncode == 0 and run.verdict == "NO-GO", run.tail()
    assert_secret_checks_ran(web01_records(run.report))
    registered = read_text(results_path)
    assert '"golive_checks"' in registered and "env_vars:" in registered, registered[:2000]
    places = dict(stdout=run.stdout, stderr=run.stderr, registered=registered)
    places.update(prefixed("report", files_under(run.report_dir)))
    assert_no_leak(places)


def test_a_wait_whose_secret_bearing_checks_fail_every_round_shows_no_secret(golive, services, tmp_path):
    # The host runs the echoed-credential checks (golive_extra_checks), so that they are waited for: the probe's
    # call comes after the host's wait, with nothing of it left. Every one of them fails or errs every round.
    echoed = echoed_endpoint_checks(services.echo)
    kinds = dict(golive_http_endpoints="http_endpoint", golive_prometheus="prometheus_targets",
                 golive_alertmanagers="alertmanager")
    extra = [dict(item, kind=kinds[variable]) for variable, items in echoed.items() for item in items]
    for item in extra:
        if item["kind"] == "http_endpoint":
            item["body_regex"] = "never-in-the-answer"
    host_vars = dict(service_checks(services), **host_checks(services), golive_extra_checks=extra)
    log_path = str(tmp_path / "ansible.log")
    run = golive.run("-vvv", "-e", "golive_wait=4s", "-e", "golive_wait_interval=500ms", hosts=["web01"],
                     group_vars=HEALTHY_VARS, host_vars={"web01": host_vars}, env={"ANSIBLE_LOG_PATH": log_path},
                     label="wait-secrets")

    assert run.returncode != 0 and run.verdict == "NO-GO", run.tail()
    records = web01_records(run.report)
    assert_secret_checks_ran(records)
    waited = dict((record["id"], record.get("rounds")) for record in records
                  if record["kind"] in ("env_vars", "command_output", "http_endpoint", "prometheus_targets",
                                        "alertmanager"))
    assert len(waited) == 7 and all(rounds and rounds >= 2 for rounds in waited.values()), waited
    places = dict(stdout=run.stdout, stderr=run.stderr, log=read_text(log_path))
    places.update(prefixed("report", files_under(run.report_dir)))
    assert_no_leak(places)
