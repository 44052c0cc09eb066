"""log_health end to end: real `ansible localhost -m golive.readiness.log_health` over real logs and logrotate files."""

from __future__ import annotations

import re

from ansible_collections.golive.readiness.plugins.module_utils._checks import log_health
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._logs import (
    Logrotate,
    stamp,
    stanza,
    timed_lines,
    write_log,
)

from ._adhoc import ansible_run, ansible_run_logged, assert_documents_options

SECRET = "Sup3r-Secret-DB-Passw0rd-123"
HOUR = 3600


def test_module_documentation_renders_every_option():
    doc = assert_documents_options("log_health", log_health)
    assert doc["options"]["checks"]["suboptions"]["patterns"]["default"] == log_health.DEFAULT_PATTERNS


def test_module_checks_real_logs_and_hides_secrets_in_lines(tmp_path):
    rotate = Logrotate(tmp_path / "etc")
    (tmp_path / "logs").mkdir()
    failure = f"{stamp(5)} ERROR db down: postgresql://shop:{SECRET}@db/shop"
    app = write_log(tmp_path / "logs" / "app.log", [*timed_lines(20, 60), failure])
    quiet = write_log(tmp_path / "logs" / "quiet.log", timed_lines(3, 3), age=3 * HOUR)
    unrotated = write_log(tmp_path / "unrotated.log", timed_lines(3, 3))
    rotate.snippet("shop", stanza(f"{tmp_path}/logs/*.log"))
    done, result, everything = ansible_run_logged("log_health", tmp_path, {"fail_on": ["error"], "checks": [
        rotate.options(path=app),
        rotate.options(path=quiet, age_fail_above="1h"),
        rotate.options(path=unrotated),
        rotate.options(path=str(tmp_path / "logs" / "missing.log")),
    ]})
    assert done.returncode == 0, done.stdout
    assert SECRET not in everything
    records = result["golive_checks"]
    assert [(r["id"], r["status"]) for r in records] == [
        (f"log_health:{app}", "warn"), (f"log_health:{quiet}", "fail"), (f"log_health:{unrotated}", "fail"),
        (f"log_health:{tmp_path}/logs/missing.log", "fail")]
    assert records[0]["observed"]["matching_lines"][0].endswith("ERROR db down: postgresql://shop:****@db/shop")
    assert re.match(r"^last written 3h( \d+s)? ago \(fail > 1h\)$", records[1]["summary"])
    assert records[2]["summary"] == f"no logrotate stanza rotates {unrotated}"
    assert records[3]["summary"] == "does not exist"


def test_bad_option_fails_the_task_naming_it(tmp_path):
    done, result = ansible_run("log_health", {"checks": [{"path": str(tmp_path / "x.log"), "since": "1h",
                                                          "tail_lines": 50}]})
    assert done.returncode == 2
    assert result["msg"] == "invalid check options: checks[0]: since/tail_lines: give one of them, not both"
    assert "Traceback" not in done.stdout + done.stderr


def test_verify_runs_log_health_in_a_mixed_list(tmp_path):
    rotate = Logrotate(tmp_path / "etc")
    log = write_log(tmp_path / "app.log", timed_lines(3, 3))
    rotate.snippet("app", stanza(log))
    done, result = ansible_run("verify", {"fail_on": [], "checks": [
        dict(rotate.options(path=log), kind="log_health"),
        {"kind": "path", "path": log},
    ]})
    assert done.returncode == 0, done.stdout
    assert [(r["kind"], r["status"]) for r in result["golive_checks"]] == [("log_health", "pass"), ("path", "pass")]
