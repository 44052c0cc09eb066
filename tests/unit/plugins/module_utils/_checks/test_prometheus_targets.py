"""prometheus_targets against a real Prometheus on 127.0.0.1 scraping a real exporter (up), a closed port (down)
and a listener that never answers (health unknown), with real alerting rules; a second Prometheus whose one rule
fails at every evaluation; stand-ins that are not Prometheus, a refused port and a hung server."""

from __future__ import annotations

import json
import time

import pytest
import yaml

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._checks import prometheus_targets as kind
from ansible_collections.golive.readiness.plugins.modules import prometheus_targets as module_page

from ._hostile_servers import endless_json_http, hostile
from ._kind_runner import described, prepared, run_item
from ._ports import unused_port
from ._prometheus_servers import PASSWORD, REQUIRED_ALERTS, TOKEN, monitoring_stack


@pytest.fixture(scope="module")
def stack():
    with monitoring_stack(broken_rules=True, alertmanager=False) as running:
        yield running


def check(url, timeout=10.0, **item):
    record = run_item(kind, dict(item, url=url), timeout)
    shown = json.dumps(record)
    assert TOKEN not in shown and PASSWORD not in shown
    return record


def counts(**numbers):
    """The record's form of target counts: each a {value, unit: count} quantity."""
    return {name: {"value": number, "unit": "count"} for name, number in numbers.items()}


def test_all_jobs_fail_because_one_target_is_down(stack):
    record = check(stack.prometheus.url)
    assert record["status"] == "fail"
    assert record["section"] == "monitoring" and record["severity"] == "high"
    assert record["summary"].startswith("1 of 3 targets down (fail > 0): dead 127.0.0.1:")
    observed = record["observed"]
    assert observed["targets"] == counts(total=3, up=1, down=1, unknown=1)
    assert observed["jobs"] == {"api": counts(up=1, down=0, unknown=0), "dead": counts(up=0, down=1, unknown=0),
                                "slow": counts(up=0, down=0, unknown=1)}
    [down] = observed["down_targets"]
    assert down["job"] == "dead" and "connection refused" in down["last_error"]
    assert [t["job"] for t in observed["unknown_targets"]] == ["slow"]
    assert "1 target not scraped yet (health unknown): slow 127.0.0.1:" in record["summary"]
    assert observed["firing_alerts"] == ["TargetDown"]
    assert record["expected"]["targets_down"] == {"fail": {"above": 0}, "unit": "count"}


def test_named_job_that_is_up_passes_with_the_required_alerts(stack):
    record = check(stack.prometheus.url, jobs=["api"], required_alerts=REQUIRED_ALERTS)
    assert record["status"] == "pass", record["summary"]
    assert record["summary"] == "1 of 1 targets up; 5 required alert rules loaded"
    assert record["observed"]["targets"] == counts(total=1, up=1, down=0, unknown=0)
    assert record["observed"]["missing_alerts"] == []
    assert record["observed"]["alert_rules"] == {"value": 6, "unit": "count"}  # the recording rule is not an alert
    assert record["id"] == f"prometheus_targets:{stack.prometheus.url}:api"


def test_named_job_without_targets_fails(stack):
    record = check(stack.prometheus.url, jobs=["api", "payments"])
    assert record["status"] == "fail"
    assert record["summary"] == "no active targets for job payments"
    assert record["observed"]["missing_jobs"] == ["payments"]


def test_missing_required_alert_fails_naming_it(stack):
    record = check(stack.prometheus.url, jobs=["api"], required_alerts=[*REQUIRED_ALERTS, "DiskFull", "CertExpiry"])
    assert record["status"] == "fail"
    assert record["summary"] == "alert rules not loaded: DiskFull, CertExpiry"
    assert record["observed"]["missing_alerts"] == ["DiskFull", "CertExpiry"]


def test_required_alert_rules_match_their_expression_for_and_severity(stack):
    record = check(stack.prometheus.url, jobs=["api"], required_alerts=[
        {"name": "HighErrorRate", "expr": 'sum(rate(http_requests_total{code=~"5.."}[5m]))', "for": "300s"},
        {"name": "ApiDown", "expr_regex": r'^up\{job="api"\} == 0$', "severity": "critical", "for": "1m"},
        "HighMemory",
    ])
    assert record["status"] == "pass", record["summary"]
    assert record["summary"] == "1 of 1 targets up; 3 required alert rules loaded"
    rules = dict((rule["name"], rule) for rule in record["observed"]["required_alert_rules"])
    assert rules["HighErrorRate"]["for"] == {"value": 300.0, "unit": "seconds"}
    assert rules["ApiDown"]["labels"] == {"severity": "critical"} and rules["ApiDown"]["problems"] == []
    assert record["expected"]["required_alerts"][2] == "HighMemory"


def test_a_required_alert_rule_that_differs_fails_saying_how(stack):
    record = check(stack.prometheus.url, jobs=["api"], required_alerts=[
        {"name": "HighErrorRate", "for": "10m", "severity": "critical"},
        dict(name="HighLatency", expr="histogram_quantile(0.95"),
    ])
    assert record["status"] == "fail"
    assert record["summary"] == (
        "alert rule HighErrorRate is not as expected: for is 5m (expected 10m); severity is not set (expected "
        "'critical'); alert rule HighLatency is not as expected: its expression does not contain "
        "'histogram_quantile(0.95'")
    [latency] = [r for r in record["observed"]["required_alert_rules"] if r["name"] == "HighLatency"]
    assert latency["query"].startswith("histogram_quantile(0.99, sum by (le) (")


def test_a_required_alert_firing_now_warns_or_fails_as_asked(stack):
    # TargetDown fires: job dead's target is down.
    record = check(stack.prometheus.url, jobs=["api"], required_alerts=["TargetDown"])
    assert record["status"] == "warn"
    assert record["summary"].startswith("required alert TargetDown is firing since 20")
    assert check(stack.prometheus.url, jobs=["api"], required_alerts=["TargetDown"],
                 firing_status="fail")["status"] == "fail"
    assert check(stack.prometheus.url, jobs=["api"], required_alerts=["TargetDown"],
                 firing_status="pass")["status"] == "pass"
    # An alert firing that the checklist does not require is listed, not graded.
    assert check(stack.prometheus.url, jobs=["api"])["observed"]["firing_alerts"] == ["TargetDown"]


def test_the_alert_expectations_example_finds_what_differs(stack):
    """The module page's example, against the test rules: HighErrorRate is '> 0.05' for 5m but has no severity."""
    [task] = [task for task in yaml.safe_load(module_page.EXAMPLES) if "High Error Rate > 5%" in task["name"]]
    [item] = task["golive.readiness.prometheus_targets"]["checks"]
    record = check(stack.prometheus.url, **{key: value for key, value in item.items() if key != "url"})
    assert record["status"] == "fail"
    assert record["summary"] == "alert rule HighErrorRate is not as expected: severity is not set (expected 'page')"


def test_down_targets_within_the_allowance_warn_or_pass(stack):
    warned = check(stack.prometheus.url, jobs=["api", "dead"], down_warn_above=0, down_fail_above=1)
    assert warned["status"] == "warn"
    assert warned["summary"].startswith("1 of 2 targets down (warn > 0, fail > 1): dead ")
    allowed = check(stack.prometheus.url, jobs=["api", "dead"], down_fail_above=1)
    assert allowed["status"] == "pass"
    assert allowed["summary"].startswith("1 of 2 targets down (fail > 1): dead ")


def test_unknown_targets_are_graded_as_asked(stack):
    assert check(stack.prometheus.url, jobs=["slow"])["status"] == "warn"
    assert check(stack.prometheus.url, jobs=["slow"], unknown_status="fail")["status"] == "fail"
    accepted = check(stack.prometheus.url, jobs=["slow"], unknown_status="pass")
    assert accepted["status"] == "pass"
    assert accepted["summary"] == "0 of 1 targets up"


def test_min_targets(stack):
    record = check(stack.prometheus.url, jobs=["api"], min_targets=2)
    assert record["status"] == "fail"
    assert record["summary"] == "1 active target (expected at least 2)"


def test_failing_rule_warns_and_fails_when_required(stack):
    record = check(stack.broken.url)
    assert record["status"] == "warn"
    assert record["summary"].startswith("alert rule BrokenJoin is not healthy (err): found duplicate series")
    [rule] = record["observed"]["unhealthy_rules"]
    assert rule["name"] == "BrokenJoin" and rule["group"] == "broken"
    required = check(stack.broken.url, required_alerts=["ApiDown", "BrokenJoin"])
    assert required["status"] == "fail"


def test_token_is_sent_and_never_shown(stack):
    record = check(stack.prometheus.url, jobs=["api"], bearer_token=TOKEN)
    assert record["status"] == "pass"
    # The exporter stands in for Prometheus here, to see what arrives.
    errored = check(stack.exporter.url, bearer_token=TOKEN)
    assert errored["status"] == "error"
    assert "Bearer " + TOKEN in stack.exporter.authorizations
    basic = check(stack.exporter.url, username="probe", password=PASSWORD)
    assert basic["status"] == "error"


def test_something_that_is_not_prometheus_is_an_error(stack):
    record = check(stack.exporter.url)
    assert record["status"] == "error"
    assert record["summary"] == "/api/v1/targets did not answer JSON: <html><body>Welcome to Grafana</body></html>"


def test_prometheus_error_answer_is_an_error(stack):
    record = check(stack.exporter.url + "/failing")
    assert record["status"] == "error"
    assert record["summary"].startswith("/api/v1/targets answered HTTP 503 Service Unavailable: "
                                        '{"status": "error"')


def test_endless_answer_is_an_error_naming_the_cap():
    server = hostile(endless_json_http)
    try:
        record = check(f"http://127.0.0.1:{server.port}", timeout=60.0)
    finally:
        server.stop()
    assert record["status"] == "error"
    assert "MAX_BODY_BYTES" in record["summary"] and "64.0 MiB" in record["summary"], record["summary"]


def test_refused_port_is_an_error():
    port = unused_port()
    record = check(f"http://127.0.0.1:{port}")
    assert record["status"] == "error"
    assert record["summary"] == f"connection refused by 127.0.0.1:{port}"


def test_hung_server_is_an_error_within_the_timeout(stack):
    started = time.monotonic()
    record = check(stack.silent_url, timeout=1.0)
    assert time.monotonic() - started < 20  # the listener never answers: only the 1 s timeout ends it
    assert record["status"] == "error"
    assert record["summary"].startswith("timed out after ")


@pytest.mark.parametrize("item, message", [
    (dict(url="ftp://prometheus:9090"), "url: 'ftp://prometheus:9090' must be an http:// or https:// URL"),
    (dict(url="http://u:secret@prometheus:9090"), "url: 'http://u:****@prometheus:9090' carries credentials"),
    (dict(url="http://prometheus:9090/?x=1"), "url: 'http://prometheus:9090/?x=1' must not have a query"),
    (dict(url="http://prometheus:9090", down_warn_above=3, down_fail_above=1),
     "down_warn_above/down_fail_above: the warn level (3) must be below the fail level (1)"),
    (dict(url="http://prometheus:9090", down_fail_above="two"), "down_fail_above: 'two' is not a number"),
    (dict(url="http://prometheus:9090", down_fail_above=1.5), "down_fail_above: 1.5 is not a whole number"),
    (dict(url="http://prometheus:9090", min_targets=-1), "min_targets: must not be negative"),
    (dict(url="http://prometheus:9090", jobs=["api", " "]), "jobs: names must not be empty"),
    (dict(url="http://prometheus:9090", required_alerts=["ApiDown", {"name": "X", "sevrity": "critical"}]),
     "required_alerts[1]: unknown key sevrity (allowed: name, expr, expr_regex, for, severity)"),
    (dict(url="http://prometheus:9090", required_alerts=[{"for": "5m"}]),
     "required_alerts[0]: the alert's name must not be empty"),
    (dict(url="http://prometheus:9090", required_alerts=["ApiDown", {"name": "ApiDown", "for": "1m"}]),
     "required_alerts[1]: ApiDown is required twice"),
    (dict(url="http://prometheus:9090", required_alerts=[{"name": "ApiDown", "for": "soon"}]),
     "required_alerts[0].for: 'soon' is not a number with an optional unit"),
    (dict(url="http://prometheus:9090", required_alerts=[{"name": "ApiDown", "expr_regex": "up{("}]),
     "required_alerts[0].expr_regex: 'up{(' is not a regular expression"),
    (dict(url="http://prometheus:9090", required_alerts=[42]),
     "required_alerts[0]: 42 is neither an alert name nor a mapping with a name"),
    (dict(url="http://prometheus:9090", bearer_token="t0k3n-abc", username="u"), "bearer_token: give either"),
    (dict(url="http://prometheus:9090", password="p4ss-word"), "password: only applies with username"),
    (dict(url="http://prometheus:9090", ca_file="/etc/ca.pem"), "ca_file: only applies to an https:// url"),
    (dict(url="https://prometheus:9090", ca_file="/etc/ca.pem", validate_certs=False),
     "ca_file: only applies when validate_certs is true"),
])
def test_bad_options_are_named(item, message):
    with pytest.raises(OptionError) as raised:
        prepared(kind, item)
    assert str(raised.value).startswith(message)


def test_describe():
    assert described(kind, dict(url="https://prom.example.com:9090")) == (
        "https://prom.example.com:9090", "Prometheus targets at https://prom.example.com:9090")
    assert described(kind, dict(url="https://prom.example.com", jobs=["api", "node"])) == (
        "https://prom.example.com:api,node", "Prometheus targets of api, node at https://prom.example.com")
