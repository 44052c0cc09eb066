"""prometheus_query end to end: real `ansible localhost -m golive.readiness.prometheus_query` runs against a
real Prometheus scraping a real exporter (its counters and gauge fixed); the bearer token must appear nowhere
in the output or the log."""

from __future__ import annotations

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._checks import prometheus_query
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._prometheus_servers import (
    TOKEN,
    monitoring_stack,
)

from ._adhoc import ansible_run, ansible_run_logged, assert_documents_options

# The exporter has served 3 errors out of 1030 requests since it started.
ERROR_SHARE = 'sum(http_requests_total{job="api", code=~"5.."}) / sum(http_requests_total{job="api"})'


@pytest.fixture(scope="module")
def stack():
    with monitoring_stack(alertmanager=False) as running:
        yield running


def run_logged(tmp_path, args):
    done, result, written = ansible_run_logged("prometheus_query", tmp_path, args)
    assert TOKEN not in written
    return done, result


def test_error_share_and_availability_pass_and_the_token_stays_hidden(stack, tmp_path):
    done, result = run_logged(tmp_path, {"checks": [
        {"url": stack.prometheus.url, "bearer_token": TOKEN, "name": "5xx share", "query": ERROR_SHARE,
         "unit": "ratio", "fail_above": "5%"},
        {"url": stack.prometheus.url, "bearer_token": TOKEN, "name": "availability",
         "query": 'avg_over_time(up{job="api"}[1h])', "unit": "ratio", "fail_below": "100%"},
    ]})
    assert done.returncode == 0, done.stdout
    share, availability = result["golive_checks"]
    assert share["summary"] == "5xx share 0.3% (fail > 5.0%)"
    assert share["observed"]["value"]["value"] == pytest.approx(3 / 1030 * 100)
    assert (share["section"], share["severity"]) == ("monitoring", "high")
    assert availability["status"] == "pass" and availability["id"] == "prometheus_query:availability"
    assert result["msg"] == "2 checks: 2 pass"


def test_a_level_breached_or_no_data_fails_the_task_standalone(stack, tmp_path):
    done, result = run_logged(tmp_path, {"checks": [
        {"url": stack.prometheus.url, "bearer_token": TOKEN, "name": "memory",
         "query": 'process_resident_memory_bytes{job="api"}', "unit": "bytes", "fail_above": "32MB"},
        {"url": stack.prometheus.url, "name": "payments", "query": 'up{job="payments"}'},
    ]})
    assert done.returncode == 2
    assert [r["status"] for r in result["golive_checks"]] == ["fail", "error"]
    assert "memory fail: memory 50.0 MiB (fail > 32.0 MiB)" in result["msg"]
    assert "payments error: no data: the query returned no series" in result["msg"]


def test_fail_on_empty_lets_the_golive_run_continue(stack):
    done, result = ansible_run("prometheus_query", {"fail_on": [], "checks": [
        {"url": stack.prometheus.url, "query": "up", "fail_below": 1}]})
    assert done.returncode == 0
    assert result["golive_checks"][0]["status"] == "error"  # up has a series per scraped target


def test_bad_option_fails_the_task_naming_it():
    done, result = ansible_run("prometheus_query", {"checks": [
        {"url": "http://127.0.0.1:9090", "query": "up", "unit": "ratio", "warn_below": "90%",
         "fail_below": "95%"}]})
    assert done.returncode == 2
    assert result["msg"] == ("invalid check options: checks[0]: warn_below/fail_below: the warn level (90.0%) "
                             "must be above the fail level (95.0%)")
    assert "Traceback" not in done.stdout + done.stderr


def test_module_documentation_renders_every_option():
    assert_documents_options("prometheus_query", prometheus_query)
    assert prometheus_query.OPTIONS["bearer_token"]["no_log"] is True
    assert prometheus_query.OPTIONS["password"]["no_log"] is True
