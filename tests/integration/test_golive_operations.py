"""The operations checks (issue 5) in one real golive run, against real servers, dumps, checkouts and crontabs.

Five logical hosts on this machine (local connection) carry the operations variables:

- pay01: two Stripe accounts, checked from the probe against the HTTPS stand-in of the Stripe API: live keys
  with the webhook signing secret in an env file (pass), and a test-mode key where live is required (fail);
- mon01: a real Prometheus (job api up, job dead down, with alert rules whose definitions are required; PromQL
  queries of the exporter's error share and availability) and a real Alertmanager, checked from the probe;
- db01: real custom-format pg_dump dumps of a throwaway PostgreSQL database: a sound one (pass), a truncated
  copy (fail) and a restore drill into a scratch database that must be dropped afterwards (pass);
- app01: a rollback ready in a real tagged git checkout (pass), cron jobs (one present, one missing), a log
  with an ERROR line (warn), a checkout with a tracked .env holding a planted live key (fail), and a release
  whose code compiles and imports with the run's Python leaving its tree unchanged (pass), with a TODO left
  (fail, medium: not blocking) and an env file lacking a key of its .env.example (fail);
- ci01: the JUnit reports of two real pytest runs (all passed: pass; one failing, one erroring test: fail) and
  the reports of a real coverage.py run: its coverage.xml fetched from the probe off Python's http.server with a
  bearer token (pass), its coverage.json read on the host below a warn level (warn).

One ``ansible-playbook golive.yml -v`` run must put every result under its host (endpoint checks with the
probe recorded), decide NO-GO from exactly the failures of blocking severity, count every section, show
every check in every report format, and leave no secret in its output or in any file of the report.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import time
import types

import pytest
import yaml
from playbook_runs import REPO, ansible_tool, clean_environment, printed_verdict, read_report

from ansible_collections.golive.readiness.plugins.plugin_utils._report_markdown import code as markdown_code
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._backups import (
    HOUR,
    ODD_TABLE,
    PG_ADMIN,
    ROWS,
    admin_scalar,
    cut,
    drop_database,
    pg_dump,
    set_age,
    source_database,
    unique_name,
)
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._crontabs import CronTree
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._git_repos import (
    commit,
    git,
    init_repo,
    stripe_live_key,
    tag,
    write,
)
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._logs import (
    Logrotate,
    stanza,
    timed_lines,
    write_log,
)
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._prometheus_servers import (
    PASSWORD as ALERTMANAGER_PASSWORD,
)
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._prometheus_servers import (
    REQUIRED_ALERTS,
    monitoring_stack,
)
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._prometheus_servers import (
    TOKEN as PROMETHEUS_TOKEN,
)
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._stripe_standin import (
    BILLING_URL,
    LIVE_PUBLISHABLE,
    LIVE_SECRET,
    SHOP_EVENTS,
    SHOP_URL,
    TEST_PUBLISHABLE,
    TEST_SECRET,
    WEBHOOK_SECRET,
    stripe_standin,
)
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._test_reports import (
    run_coverage,
    run_pytest,
    served_directory,
)

pytestmark = pytest.mark.integration

RUN_TIMEOUT = 300
REPORT_FILES = ("report.json", "junit.xml", "report.html", "report.md", "golive.prom")
TABLES = ["users", "orders", ODD_TABLE]
SCRATCH_PREFIX = "golive_restore_ops_"
STRIPE_LIVE_ID = "stripe_account:shop-live"
STRIPE_TEST_KEY_ID = "stripe_account:shop-test-key"
ROLLBACK_ID = "rollback_readiness:shop"
BACKUP_COMMAND = r"/srv/shop/bin/backup --full\b"
INVOICE_COMMAND = r"/srv/shop/bin/send-invoices\b"
CLEANUP_COMMAND = r"/srv/shop/bin/cleanup\b"
RELEASE_SECRET = "Jw4Tq9Rz2Xk7Lm5Vn8Pb"
# The exporter has served 3 errors out of 1030 requests.
ERROR_SHARE_QUERY = 'sum(http_requests_total{job="api", code=~"5.."}) / sum(http_requests_total{job="api"})'
ERROR_SHARE_ID = "api-5xx-share"
AVAILABILITY_ID = "api-availability"
CI_TOKEN = "ci-artifacts-" + secrets.token_hex(12)


# --- what the hosts are about ---------------------------------------------------------------------


def stripe_accounts(standin, env_file):
    webhooks = [dict(url=SHOP_URL, events=SHOP_EVENTS), dict(url=BILLING_URL, events=["invoice.paid"])]
    common = dict(api_base=standin.api_base, ca_path=standin.ca_file, webhooks=webhooks)
    return [
        dict(common, id=STRIPE_LIVE_ID, secret_key=LIVE_SECRET, publishable_key=LIVE_PUBLISHABLE,
             webhook_secret_file=env_file),
        # Test keys where production needs live ones: the API accepts the key, the check must not.
        dict(common, id=STRIPE_TEST_KEY_ID, secret_key=TEST_SECRET, publishable_key=TEST_PUBLISHABLE,
             webhook_secret=WEBHOOK_SECRET),
    ]


def monitoring(stack):
    prometheus = stack.prometheus.url
    alertmanager = stack.alertmanager.url
    # Neither server asks for credentials; they are sent anyway, so the run proves it never shows them.
    return dict(
        golive_prometheus=[
            dict(url=prometheus, bearer_token=PROMETHEUS_TOKEN),
            dict(url=prometheus, bearer_token=PROMETHEUS_TOKEN, jobs=["api"],
                 required_alerts=[{"name": "HighErrorRate", "expr": 'code=~"5.."', "for": "300s"},
                                  *(name for name in REQUIRED_ALERTS if name != "HighErrorRate")]),
        ],
        golive_prometheus_queries=[
            dict(url=prometheus, bearer_token=PROMETHEUS_TOKEN, name=ERROR_SHARE_ID, query=ERROR_SHARE_QUERY,
                 unit="ratio", warn_above="1%", fail_above="5%"),
            dict(url=prometheus, name=AVAILABILITY_ID, query='avg_over_time(up{job="api"}[1h])', unit="ratio",
                 expect_series="all", fail_below="100%"),
        ],
        golive_alertmanagers=[
            dict(url=alertmanager, username="probe", password=ALERTMANAGER_PASSWORD,
                 required_receivers=["pager", "ops-webhook"],
                 required_routes=[dict(receiver="pager", labels=dict(severity="critical")),
                                  dict(receiver="db-oncall", labels=dict(team="db", env="prod"))]),
        ],
    )


def backups(dumps, database, scratch):
    return dict(
        golive_backups=[
            dict(path=dumps.sound_glob, newest_age_fail_above="26h", size_fail_below="1KB", count_fail_below=1),
            dict(path=dumps.truncated_glob, newest_age_fail_above="26h"),
        ],
        golive_restore_drills=[
            dict(path=dumps.sound_glob, source_url=database.reader_url, admin_url=PG_ADMIN, tables=TABLES,
                 scratch_database=scratch, duration_fail_above="10m", timeout="2m"),
        ],
        # The drill's two minutes must fit in the host's one verify call.
        golive_deadline="3m",
    )


def application(app):
    return dict(
        golive_rollback=[
            dict(name="shop", script=app.rollback_script, dry_run=[app.rollback_script, "--dry-run"],
                 releases_dir=app.releases_dir, current=app.current, checkout=app.checkout, tag_pattern="v*"),
        ],
        golive_cron_jobs=[
            app.cron.options(command=BACKUP_COMMAND, schedule="30 2 * * *", fires_within="25h"),
            app.cron.options(command=CLEANUP_COMMAND, schedule="@hourly"),
            app.cron.options(command=INVOICE_COMMAND, schedule="0 6 * * *"),
        ],
        golive_logs=[app.logrotate.options(path=app.log, age_fail_above="1h")],
        golive_secrets_hygiene=[dict(path=app.leaky_checkout)],
        golive_python_runtime=[dict(python=sys.executable, compile=[app.release], imports=["shop.wsgi"],
                                    chdir=app.release)],
        golive_code_markers=[dict(name="shop", paths=[os.path.join(app.release, "shop")])],
        golive_env_vars=[dict(env_file=app.release_env, same_keys_as=os.path.join(app.release, ".env.example"))],
    )


def evidence(reports):
    return dict(
        golive_test_results=[
            dict(path=reports.green, suite="pytest", min_tests=3, max_age="1h"),
            dict(path=reports.broken),
        ],
        golive_coverage=[
            dict(url=reports.coverage_url, bearer_token=CI_TOKEN, line_fail_below="50%", max_age="1h",
                 packages=[dict(name="shop", line_fail_below="60%")]),
            dict(path=reports.coverage_json, line_warn_below="60%", severity="medium"),
        ],
    )


def inventory(servers):
    common = dict(ansible_connection="local", ansible_python_interpreter=sys.executable,
                  golive_disk_space=[], golive_system_resources=None)
    hosts = dict(
        pay01=dict(golive_stripe_accounts=stripe_accounts(servers.stripe, servers.stripe_env_file)),
        mon01=monitoring(servers.monitoring),
        db01=backups(servers.dumps, servers.database, servers.scratch),
        app01=application(servers.app),
        ci01=evidence(servers.reports),
    )
    return {"all": {"vars": common, "hosts": hosts}}


# --- the real things the checks look at -------------------------------------------------------------


def stripe_env_file(directory):
    path = os.path.join(directory, "shop.env")
    with open(path, "w") as handle:
        handle.write(f"APP_ENV=production\nSTRIPE_WEBHOOK_SECRET={WEBHOOK_SECRET}\n")
    os.chmod(path, 0o600)
    return path


def dumps_of(database, directory):
    """A sound custom-format dump an hour old, and a copy cut in half in another directory."""
    sound_dir = os.path.join(directory, "backups")
    broken_dir = os.path.join(directory, "broken")
    os.makedirs(sound_dir)
    os.makedirs(broken_dir)
    sound = set_age(pg_dump(database, os.path.join(sound_dir, "shop-20260105.dump"), "c"), HOUR)
    truncated = set_age(cut(sound, os.path.join(broken_dir, "shop-20260105.dump")), HOUR)
    return types.SimpleNamespace(sound=sound, truncated=truncated, sound_glob=os.path.join(sound_dir, "shop-*.dump"),
                                 truncated_glob=os.path.join(broken_dir, "shop-*.dump"))


def rollback_layout(root):
    """A rollback script with a dry run, three releases with current on the newest, and a checkout tagged on HEAD."""
    body = '#!/bin/sh\n[ "$1" = --dry-run ] || exit 9\necho "would switch to 2026.01.04"\n'
    script = write(root, "bin/rollback", body, 0o755)
    releases_dir = os.path.join(root, "releases")
    for name in ("2026.01.03", "2026.01.04", "2026.01.05"):
        write(releases_dir, f"{name}/app.py", f"VERSION = {name!r}\n")
    current = os.path.join(root, "current")
    os.symlink(os.path.join(releases_dir, "2026.01.05"), current)
    checkout = os.path.join(root, "checkout")
    init_repo(checkout, {"app.py": "VERSION = '1.0.0'\n"})
    tag(checkout, "v1.0.0")
    commit(checkout, {"app.py": "VERSION = '1.1.0'\n"}, "release 1.1.0")
    tag(checkout, "v1.1.0", annotated=True)
    return script, releases_dir, current, checkout


def cron_tree(root):
    """The running user's crontab with the nightly backup, cron.d with the hourly cleanup; no invoice job."""
    tree = CronTree(root)
    user = pwd.getpwuid(os.geteuid()).pw_name
    tree.user(user, "MAILTO=\"\"\n30 2 * * * /srv/shop/bin/backup --full\n")
    tree.cron_d("shop", "@hourly root /srv/shop/bin/cleanup --days 30\n")
    return tree


def log_with_one_error(root):
    logrotate = Logrotate(os.path.join(root, "logrotate"))
    log = os.path.join(root, "log", "app.log")
    os.makedirs(os.path.dirname(log))
    lines = timed_lines(40, 60)
    lines[30] = lines[30].replace("INFO request served in 12ms", "ERROR payment webhook handler failed")
    write_log(log, lines)
    logrotate.snippet("shop", stanza(os.path.join(os.path.dirname(log), "*.log")))
    return logrotate, log


def leaky_checkout(root, planted_key):
    """A checkout that tracks its .env, which holds a live Stripe key."""
    return init_repo(root, {".env": f"STRIPE_SECRET_KEY={planted_key}\n", "app.py": "import os\n"})


def code_release(root):
    """A release that compiles and imports, with a TODO left, and its env file lacking a key of the template."""
    files = {
        "shop/__init__.py": "VERSION = '1.1.0'\n",
        "shop/wsgi.py": "from shop import cart\napplication = cart.total\n",
        "shop/cart.py": "def total(lines):\n    # TODO: round per line\n    return sum(lines)\n",
        ".env.example": "APP_ENV=production\nSECRET_KEY=\nSENTRY_DSN=\n",
    }
    for relpath, text in files.items():
        write(root, relpath, text)
    env_file = write(os.path.dirname(root), "release.env", f"APP_ENV=production\nSECRET_KEY={RELEASE_SECRET}\n", 0o600)
    return root, env_file


def tree_state(root):
    """Every path under root with its mtime and size."""
    state = {}
    for directory, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            st = os.lstat(os.path.join(directory, name))
            state[os.path.relpath(os.path.join(directory, name), root)] = (st.st_mtime_ns, st.st_size)
    return state


def app_host(root, planted_key):
    script, releases_dir, current, checkout = rollback_layout(os.path.join(root, "shop"))
    logrotate, log = log_with_one_error(root)
    release, release_env = code_release(os.path.join(root, "code", "release"))
    return types.SimpleNamespace(rollback_script=script, releases_dir=releases_dir, current=current,
                                 checkout=checkout, head=git(checkout, "rev-parse", "HEAD").strip(),
                                 cron=cron_tree(os.path.join(root, "cron")), logrotate=logrotate, log=log,
                                 leaky_checkout=leaky_checkout(os.path.join(root, "leaky"), planted_key),
                                 release=release, release_env=release_env, release_state=tree_state(release))


@contextlib.contextmanager
def ci_reports(directory):
    """Reports of real pytest and coverage.py runs; the coverage.xml served by http.server, as a CI server's
    artifact."""
    reports = os.path.join(directory, "ci")
    green, broken = os.path.join(reports, "green.xml"), os.path.join(reports, "broken.xml")
    assert run_pytest(os.path.join(directory, "ci-green"), green, broken=False).returncode == 0
    assert run_pytest(os.path.join(directory, "ci-broken"), broken).returncode == 1
    measured = run_coverage(os.path.join(directory, "ci-coverage"))
    served = os.path.join(directory, "artifacts")
    os.makedirs(served)
    shutil.copyfile(measured.xml, os.path.join(served, "coverage.xml"))
    with served_directory(served) as base:
        yield types.SimpleNamespace(green=green, broken=broken, coverage_json=measured.json,
                                    coverage_url=f"{base}/coverage.xml")


@contextlib.contextmanager
def operations_servers(directory):
    """Everything the four hosts are about, started and built; stopped and dropped afterwards."""
    with contextlib.ExitStack() as stack:
        stripe = stack.enter_context(stripe_standin())
        watching = stack.enter_context(monitoring_stack())
        database = stack.enter_context(source_database())
        planted_key = stripe_live_key()
        reports = stack.enter_context(ci_reports(directory))
        yield types.SimpleNamespace(
            stripe=stripe, stripe_env_file=stripe_env_file(directory), monitoring=watching,
            database=database, dumps=dumps_of(database, directory), scratch=unique_name(SCRATCH_PREFIX.rstrip("_")),
            app=app_host(directory, planted_key), planted_key=planted_key, reports=reports)


# --- the run --------------------------------------------------------------------------------------


def scratch_databases():
    return admin_scalar("SELECT count(*) FROM pg_database WHERE datname LIKE :prefix",
                        prefix=SCRATCH_PREFIX.replace("_", "\\_") + "%")


def run_golive(directory, servers):
    inventory_path = os.path.join(directory, "inventory.yml")
    with open(inventory_path, "w") as handle:
        yaml.safe_dump(inventory(servers), handle)
    report_dir = os.path.join(directory, "report")
    env = clean_environment()
    env["GOLIVE_REPORT_DIR"] = report_dir
    started = time.monotonic()
    completed = subprocess.run([ansible_tool("ansible-playbook"), "golive.yml", "-i", inventory_path, "-v"], cwd=REPO,
                               env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                               timeout=RUN_TIMEOUT, check=False)
    report_path = os.path.join(report_dir, "report.json")
    report = None
    if os.path.isfile(report_path):
        report = read_report(report_path)
    return types.SimpleNamespace(returncode=completed.returncode, stdout=completed.stdout, stderr=completed.stderr,
                                 report=report, report_dir=report_dir, seconds=time.monotonic() - started)


@pytest.fixture(scope="module")
def operations_run(tmp_path_factory):
    """One golive run over the four hosts, with what the test needs to judge it."""
    directory = str(tmp_path_factory.mktemp("operations"))
    with operations_servers(directory) as servers:
        try:
            source_before = servers.database.fingerprint()
            run = run_golive(directory, servers)
            run.servers = servers
            run.source_unchanged = servers.database.fingerprint() == source_before
            run.scratch_left = scratch_databases()
            run.stripe_requests = [r["path"] for r in servers.stripe.state.requests]
            run.release_unchanged = tree_state(servers.app.release) == servers.app.release_state
            yield run
        finally:
            drop_database(servers.scratch)  # a failed drill never leaves it on the shared server


# --- judging it -----------------------------------------------------------------------------------


def tail(run, chars=6000):
    return (f"exit {run.returncode} after {run.seconds:.1f}s\n"
            f"--- stdout ---\n{run.stdout[-chars:]}\n"
            f"--- stderr ---\n{run.stderr[-chars:]}")


def expected_statuses(servers):
    """{(host, check id): (status, probe)}: endpoint checks ran on the probe, host checks on the host."""
    prometheus = servers.monitoring.prometheus.url
    dumps = servers.dumps
    app = servers.app
    return {
        ("pay01", STRIPE_LIVE_ID): ("pass", "localhost"),
        ("pay01", STRIPE_TEST_KEY_ID): ("fail", "localhost"),
        ("mon01", f"prometheus_targets:{prometheus}"): ("fail", "localhost"),
        ("mon01", f"prometheus_targets:{prometheus}:api"): ("pass", "localhost"),
        ("mon01", f"alertmanager:{servers.monitoring.alertmanager.url}"): ("pass", "localhost"),
        ("mon01", f"prometheus_query:{ERROR_SHARE_ID}"): ("pass", "localhost"),
        ("mon01", f"prometheus_query:{AVAILABILITY_ID}"): ("pass", "localhost"),
        ("db01", f"backup_freshness:{dumps.sound_glob}"): ("pass", None),
        ("db01", f"backup_freshness:{dumps.truncated_glob}"): ("fail", None),
        ("db01", f"backup_restore:{dumps.sound_glob}"): ("pass", None),
        ("app01", ROLLBACK_ID): ("pass", None),
        ("app01", f"scheduled_jobs:{BACKUP_COMMAND}"): ("pass", None),
        ("app01", f"scheduled_jobs:{CLEANUP_COMMAND}"): ("pass", None),
        ("app01", f"scheduled_jobs:{INVOICE_COMMAND}"): ("fail", None),
        ("app01", f"log_health:{app.log}"): ("warn", None),
        ("app01", f"secrets_hygiene:{app.leaky_checkout}"): ("fail", None),
        ("app01", f"python_runtime:{sys.executable}"): ("pass", None),
        ("app01", "code_markers:shop"): ("fail", None),
        ("app01", f"env_vars:{app.release_env}"): ("fail", None),
        ("ci01", f"test_results:{servers.reports.green}:pytest"): ("pass", None),
        ("ci01", f"test_results:{servers.reports.broken}"): ("fail", None),
        ("ci01", f"coverage:{servers.reports.coverage_url}"): ("pass", "localhost"),
        ("ci01", f"coverage:{servers.reports.coverage_json}"): ("warn", None),
    }


def fragments(body, window):
    """Every ``window``-character piece of ``body`` that could not pass for a number."""
    pieces = (body[start:start + window] for start in range(len(body) - window + 1))
    return set(piece for piece in pieces if not piece.isdigit())


def expected_blocking(servers):
    """{(host, check id): severity} of the failures that make the run NO-GO."""
    return {
        ("pay01", STRIPE_TEST_KEY_ID): "critical",
        ("mon01", f"prometheus_targets:{servers.monitoring.prometheus.url}"): "high",
        ("db01", f"backup_freshness:{servers.dumps.truncated_glob}"): "high",
        ("app01", f"scheduled_jobs:{INVOICE_COMMAND}"): "high",
        ("app01", f"secrets_hygiene:{servers.app.leaky_checkout}"): "critical",
        ("app01", f"env_vars:{servers.app.release_env}"): "high",
        ("ci01", f"test_results:{servers.reports.broken}"): "high",
    }


def secret_fragments(servers):
    """Pieces of the random part of each secret the run was given: none may appear anywhere.

    Masked forms show a key's last four characters, never six in a row. The hex secrets are searched in
    longer pieces so that commit hashes and other hex in the report cannot match them by chance."""
    keys = (LIVE_SECRET, LIVE_PUBLISHABLE, TEST_SECRET, TEST_PUBLISHABLE, WEBHOOK_SECRET, servers.planted_key,
            RELEASE_SECRET)
    hex_secrets = (servers.database.password, PROMETHEUS_TOKEN, ALERTMANAGER_PASSWORD, CI_TOKEN)
    found = set()
    for key in keys:
        found |= fragments(key.rsplit("_", 1)[-1], 6)
    for secret in hex_secrets:
        found |= fragments(secret.rsplit("-", 1)[-1], 8)
    return found


def report_texts(report_dir):
    """{relative path: text} of every file under the report directory (archives of the run included).

    report.html's line-break opportunities (<wbr> after the separators of long words) are left out, as a reader
    sees the page: a secret or an id split by them is found whole."""
    texts = {}
    for root, _dirs, files in os.walk(report_dir):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as handle:
                text = handle.read().decode("utf-8", errors="replace")
            texts[os.path.relpath(path, report_dir)] = text.replace("<wbr>", "") if name.endswith(".html") else text
    return texts


def leaks(places, fragments):
    found = {}
    for place, text in places.items():
        hits = sorted(fragment for fragment in fragments if fragment in text)
        if hits:
            found[place] = hits
    return found


def assert_payments(records, requests, env_file):
    live = records[("pay01", STRIPE_LIVE_ID)]
    secret = dict(source=f"STRIPE_WEBHOOK_SECRET in {env_file}", present=True, format_ok=True)
    assert live["observed"]["webhook_secret"] == secret, live
    assert [w["status"] for w in live["observed"]["webhooks"]] == ["enabled", "enabled"], live
    test_key = records[("pay01", STRIPE_TEST_KEY_ID)]
    assert "test mode key, expected live" in test_key["summary"], test_key
    assert (test_key["section"], test_key["severity"]) == ("services", "critical")
    # Both accounts were asked of the stand-in for real: the account, then the webhook endpoints.
    assert requests.count("/v1/account") == 2 and requests.count("/v1/webhook_endpoints") == 2, requests


def assert_monitoring(records, servers):
    prometheus = servers.monitoring.prometheus.url
    every_job = records[("mon01", f"prometheus_targets:{prometheus}")]["observed"]
    assert every_job["targets"]["down"] == {"value": 1, "unit": "count"}, every_job
    assert [t["job"] for t in every_job["down_targets"]] == ["dead"], every_job
    api = records[("mon01", f"prometheus_targets:{prometheus}:api")]["observed"]
    assert (api["targets"]["up"]["value"], api["targets"]["down"]["value"], api["missing_alerts"]) == (1, 0, []), api
    [rule] = [r for r in api["required_alert_rules"] if r["name"] == "HighErrorRate"]
    assert rule["for"] == {"value": 300.0, "unit": "seconds"} and rule["problems"] == [], rule
    share = records[("mon01", f"prometheus_query:{ERROR_SHARE_ID}")]
    assert share["summary"] == "api-5xx-share 0.3% (warn > 1.0%, fail > 5.0%)", share
    availability = records[("mon01", f"prometheus_query:{AVAILABILITY_ID}")]["observed"]
    assert availability["value"] == {"value": 100.0, "unit": "percent"}, availability
    manager = records[("mon01", f"alertmanager:{servers.monitoring.alertmanager.url}")]["observed"]
    assert manager["missing_receivers"] == [] and all(route["ok"] for route in manager["routes"]), manager


def assert_backups(records, run):
    servers = run.servers
    truncated = records[("db01", f"backup_freshness:{servers.dumps.truncated_glob}")]
    assert truncated["observed"]["verification"]["sound"] is False, truncated
    sound = records[("db01", f"backup_freshness:{servers.dumps.sound_glob}")]
    assert sound["observed"]["verification"]["method"] == "pg_custom", sound
    drill = records[("db01", f"backup_restore:{servers.dumps.sound_glob}")]["observed"]
    assert drill["dump"] == servers.dumps.sound and drill["scratch_database"] == servers.scratch, drill
    assert drill["dropped"] is True, drill
    assert [(t["table"], t["source"], t["restored"]) for t in drill["tables"]] == [
        (table, ROWS[table], ROWS[table]) for table in TABLES], drill
    # The drill wrote only to its scratch database, and dropped it; the source is exactly as it was.
    assert run.scratch_left == 0
    assert run.source_unchanged


def assert_application(records, servers):
    rollback = records[("app01", ROLLBACK_ID)]["observed"]
    assert rollback["tag"]["head_tags"] == ["v1.1.0"] and rollback["tag"]["head"] == servers.app.head, rollback
    assert rollback["dry_run"]["rc"] == 0 and rollback["releases"]["count"] == 3, rollback
    missing = records[("app01", f"scheduled_jobs:{INVOICE_COMMAND}")]
    assert missing["severity"] == "high", missing
    log = records[("app01", f"log_health:{servers.app.log}")]["observed"]
    assert log["matches"] == {"value": 1, "unit": "count"}, log
    assert "ERROR payment webhook handler failed" in log["matching_lines"][0], log
    hygiene = records[("app01", f"secrets_hygiene:{servers.app.leaky_checkout}")]
    rules = set((f["rule"], f["file"]) for f in hygiene["observed"]["findings"])
    assert {("env_file_tracked", ".env"), ("stripe_live_key", ".env")} <= rules, hygiene
    assert (hygiene["section"], hygiene["severity"]) == ("security", "critical")
    runtime = records[("app01", f"python_runtime:{sys.executable}")]["observed"]
    assert runtime["compile"]["files"] == {"value": 3, "unit": "count"}, runtime
    assert runtime["imports"] == [dict(module="shop.wsgi", ok=True, error=None)], runtime
    markers = records[("app01", "code_markers:shop")]
    assert markers["severity"] == "medium", markers
    assert [(loc["file"], loc["line"]) for loc in markers["observed"]["locations"]] == [
        (os.path.join(servers.app.release, "shop", "cart.py"), 2)], markers
    env = records[("app01", f"env_vars:{servers.app.release_env}")]["observed"]
    assert (env["keys_missing"], env["keys_extra"]) == (["SENTRY_DSN"], []), env


def assert_evidence(records, reports):
    broken = records[("ci01", f"test_results:{reports.broken}")]
    assert [f["case"] for f in broken["observed"]["failing"]] == [
        "tests.test_broken::test_refund_is_negative", "tests.test_broken::test_orders_listed"], broken
    assert (broken["section"], broken["severity"]) == ("application", "high")
    served = records[("ci01", f"coverage:{reports.coverage_url}")]["observed"]
    assert served["format"] == "cobertura" and served["line_coverage"] == {"value": 53.33, "unit": "percent"}
    assert served["packages"][0]["line_coverage"] == {"value": 62.5, "unit": "percent"}, served
    local = records[("ci01", f"coverage:{reports.coverage_json}")]
    assert local["observed"]["format"] == "coverage_json" and local["severity"] == "medium", local


def test_operations_checks_run_for_real_and_decide_the_verdict(operations_run):
    run = operations_run
    servers = run.servers
    assert run.report is not None, tail(run)
    report = run.report
    records = dict(((c["host"], c["id"]), c) for c in report["checks"])

    expected = expected_statuses(servers)
    seen = dict((key, (records[key]["status"], records[key].get("probe"))) for key in expected if key in records)
    assert seen == expected, (sorted(set(records) - set(expected)), tail(run, 2000))
    assert set(records) == set(expected), sorted(set(records) - set(expected))
    assert_payments(records, run.stripe_requests, servers.stripe_env_file)
    assert_monitoring(records, servers)
    assert_backups(records, run)
    assert_application(records, servers)
    # Compiling and importing the release wrote nothing into it: no __pycache__, every mtime as it was.
    assert run.release_unchanged
    assert_evidence(records, servers.reports)

    # Only failures of critical and high severity block; the medium log warning does not.
    assert report["blocking_severities"] == ["critical", "high"]
    assert report["verdict"] == printed_verdict(run.stdout) == "NO-GO", tail(run)
    blocking = expected_blocking(servers)
    assert sorted((b["host"], b["id"]) for b in report["blocking"]) == sorted(blocking)
    assert sorted((key, records[key]["severity"]) for key in blocking) == sorted(blocking.items())
    assert report["counts"]["blocking"] == len(blocking)
    assert sorted((w["host"], w["id"]) for w in report["warnings"]) == [
        ("app01", "code_markers:shop"), ("app01", f"log_health:{servers.app.log}"),
        ("ci01", f"coverage:{servers.reports.coverage_json}")]
    assert run.returncode != 0

    counts = report["counts"]["by_section"]
    sections = ("services", "monitoring", "backup", "application", "security")
    assert dict((section, counts.get(section)) for section in sections) == {
        "services": dict(pass_counts(1), fail=1),
        "monitoring": dict(pass_counts(4), warn=1, fail=1),
        "backup": dict(pass_counts(2), fail=1),
        "application": dict(pass_counts(6), warn=1, fail=4),
        "security": dict(pass_counts(0), fail=1),
    }
    assert report["counts"]["total"] == len(expected)

    texts = report_texts(run.report_dir)
    assert set(REPORT_FILES) <= set(texts), sorted(texts)
    for key in expected:
        check_id = key[1]
        assert html.escape(check_id) in texts["report.html"], check_id
        assert markdown_code(check_id) in texts["report.md"], check_id
        assert html.escape(check_id, quote=False) in texts["junit.xml"], check_id

    places = dict(texts, stdout=run.stdout, stderr=run.stderr)
    assert leaks(places, secret_fragments(servers)) == {}
    # The keys are shown masked where the records are (-v prints them), so the search looked in the right places.
    shown = dict(places, records=json.dumps(report["checks"], ensure_ascii=False))
    for place in ("stdout", "records", "report.md", "report.html"):
        assert "\u2026" + LIVE_SECRET[-4:] in shown[place], place
        assert "\u2026" + servers.planted_key[-4:] in shown[place], place


def pass_counts(passed):
    return dict(dict.fromkeys(("pass", "warn", "fail", "error", "skipped"), 0), **{"pass": passed})
