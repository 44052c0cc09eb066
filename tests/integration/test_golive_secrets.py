"""Secret values read on the hosts never reach the output or the report of a real golive run."""

from __future__ import annotations

import os

import pytest
from loopback_http import serve_http
from playbook_runs import HEALTHY_VARS, SSH_HOSTS, checks_by_host
from secret_leaks import (
    ECHOED_SECRETS,
    ENV_SECRETS,
    EchoHandler,
    echoed_endpoint_checks,
    env_file_check,
    files_under,
    leaks_in,
    wire_forms,
    write_env_file,
)

pytestmark = pytest.mark.integration


def test_env_secrets_stay_on_the_hosts(golive, tmp_path):
    secret_env_file = write_env_file(str(tmp_path))
    group_vars = dict(HEALTHY_VARS, golive_env_vars=[env_file_check(secret_env_file)])
    # -v prints every task result, including the check records the hosts sent back.
    run = golive.run("-v", group_vars=group_vars, label="secrets")

    assert run.returncode != 0, run.tail()
    assert run.verdict == "NO-GO", run.tail()
    report = run.report
    for host in SSH_HOSTS:
        record = checks_by_host(report)[host][f"env_vars:{secret_env_file}"]
        assert record["status"] == "fail", record
        assert "API_TOKEN" in record["summary"], record
        assert "SECRET_KEY" in record["summary"], record

    places = dict(stdout=run.stdout, stderr=run.stderr, report_json=run.report_text("report.json"),
                  junit_xml=run.junit)
    assert leaks_in(places, ENV_SECRETS, ()) == {}


# --- credentials an endpoint echoes back ---------------------------------------------------------


def test_echoed_credentials_stay_secret_in_every_form(golive, tmp_path):
    log_path = str(tmp_path / "ansible.log")
    with serve_http(EchoHandler) as echo:
        run = golive.run("-vvv", group_vars=HEALTHY_VARS, host_vars={"web01": echoed_endpoint_checks(echo)},
                         env={"ANSIBLE_LOG_PATH": log_path}, label="echoed-secrets")

    checks = checks_by_host(run.report)["web01"]
    kinds = sorted(record["kind"] for record in checks.values()
                   if record["kind"] in ("http_endpoint", "prometheus_targets", "alertmanager"))
    assert kinds == ["alertmanager", "http_endpoint", "http_endpoint", "http_endpoint", "prometheus_targets"], \
        run.tail()
    search = next(record for record in checks.values() if record["kind"] == "http_endpoint"
                  and record["observed"].get("request", {}).get("url", "").endswith("/api/search"))
    token = next(record for record in checks.values() if record["kind"] == "http_endpoint"
                 and record["observed"].get("request", {}).get("url", "").endswith("/oauth/token"))
    assert '"form"' in token["observed"]["body"], token
    # The server did get the credentials and echoed them (the check read its answer, shown masked).
    assert search["observed"]["status"] == 200 and "X-Echo-Authorization" in search["observed"]["headers"], search
    assert os.path.isdir(os.path.join(run.report_dir, "history")), run.tail()

    with open(log_path, encoding="utf-8", errors="replace") as handle:
        places = dict(stdout=run.stdout, stderr=run.stderr, log=handle.read())
    places.update(files_under(run.report_dir))
    assert {"report.json", "junit.xml", "report.html", "report.md", "golive.prom"} <= set(places), sorted(places)
    assert any(name.startswith("history" + os.sep) for name in places), sorted(places)
    assert leaks_in(places, ECHOED_SECRETS, wire_forms()) == {}
