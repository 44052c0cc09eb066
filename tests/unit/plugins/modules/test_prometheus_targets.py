"""prometheus_targets end to end: real `ansible localhost -m golive.readiness.prometheus_targets` runs against a
real Prometheus scraping a real exporter (up), a closed port (down) and a hung listener; the bearer token must
appear nowhere in the output or the log."""

from __future__ import annotations

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._checks import prometheus_targets
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._prometheus_servers import (
    REQUIRED_ALERTS,
    TOKEN,
    monitoring_stack,
)

from ._adhoc import ansible_run, ansible_run_logged, assert_documents_options


@pytest.fixture(scope="module")
def stack():
    with monitoring_stack(alertmanager=False) as running:
        yield running


def run_logged(tmp_path, args):
    done, result, written = ansible_run_logged("prometheus_targets", tmp_path, args)
    assert TOKEN not in written
    return done, result


def test_job_that_is_up_passes_and_the_token_stays_hidden(stack, tmp_path):
    done, result = run_logged(tmp_path, {"checks": [
        {"url": stack.prometheus.url, "jobs": ["api"], "bearer_token": TOKEN, "required_alerts": REQUIRED_ALERTS},
    ]})
    assert done.returncode == 0, done.stdout
    [record] = result["golive_checks"]
    assert record["status"] == "pass", record["summary"]
    assert record["id"] == f"prometheus_targets:{stack.prometheus.url}:api"
    assert (record["section"], record["severity"]) == ("monitoring", "high")
    assert result["msg"] == "1 check: 1 pass"


def test_a_target_down_fails_the_task_standalone(stack, tmp_path):
    done, result = run_logged(tmp_path, {"checks": [
        {"url": stack.prometheus.url, "bearer_token": TOKEN},
        {"url": stack.prometheus.url, "jobs": ["api"], "required_alerts": ["DiskFull"], "id": "alerts"},
        {"url": stack.silent_url, "timeout": "1s"},
    ]})
    assert done.returncode == 2
    assert [r["status"] for r in result["golive_checks"]] == ["fail", "fail", "error"]
    assert "alerts fail: alert rule not loaded: DiskFull" in result["msg"]
    assert result["golive_counts"]["fail"] == 2


def test_fail_on_empty_lets_the_golive_run_continue(stack):
    done, result = ansible_run("prometheus_targets", {"fail_on": [], "checks": [{"url": stack.prometheus.url}]})
    assert done.returncode == 0
    assert result["golive_checks"][0]["status"] == "fail"


def test_bad_option_fails_the_task_naming_it():
    done, result = ansible_run("prometheus_targets", {"checks": [
        {"url": "http://127.0.0.1:9090", "down_warn_above": 2, "down_fail_above": 1}]})
    assert done.returncode == 2
    assert result["msg"] == ("invalid check options: checks[0]: down_warn_above/down_fail_above: the warn level (2) "
                             "must be below the fail level (1)")
    assert "Traceback" not in done.stdout + done.stderr


def test_module_documentation_renders_every_option():
    assert_documents_options("prometheus_targets", prometheus_targets)
    assert prometheus_targets.OPTIONS["bearer_token"]["no_log"] is True
    assert prometheus_targets.OPTIONS["password"]["no_log"] is True
