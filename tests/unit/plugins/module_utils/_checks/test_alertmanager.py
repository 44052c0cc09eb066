"""alertmanager against a real Alertmanager on 127.0.0.1 (gossip cluster off) with webhook receivers and a routing
tree (nested routes, continue, legacy match), a stand-in whose /-/ready answers 503, a refused port and a hung
server."""

from __future__ import annotations

import json
import time

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._check import CheckError, OptionError
from ansible_collections.golive.readiness.plugins.module_utils._checks import alertmanager as kind

from ._kind_runner import run_item, validated_item
from ._ports import unused_port
from ._prometheus_servers import PASSWORD, TOKEN, monitoring_stack


@pytest.fixture(scope="module")
def stack():
    with monitoring_stack(prometheus=False) as running:
        yield running


def check(url, timeout=10.0, **item):
    record = run_item(kind, dict(item, url=url), timeout)
    shown = json.dumps(record)
    assert TOKEN not in shown and PASSWORD not in shown
    return record


def route(receiver, **labels):
    return dict(receiver=receiver, labels=labels or None)


def test_ready_with_receivers_and_routes_passes(stack):
    record = check(stack.alertmanager.url, required_receivers=["pager", "ops-webhook"], required_routes=[
        route("pager", severity="critical", team="db"),
        route("db-oncall", team="db", env="production"),
        route("audit", team="db", env="prod"),  # reached because db-team continues
        route("ops-webhook", severity="warning"),
        route("db-team"),
    ])
    assert record["status"] == "pass", record["summary"]
    assert record["section"] == "monitoring" and record["severity"] == "high"
    assert record["summary"] == "ready; 5 receivers notify; 5 required routes present"
    observed = record["observed"]
    assert observed["ready"] is True
    assert observed["cluster"] == dict(status="disabled", peers={"value": 0, "unit": "count"})
    assert observed["receivers"]["db-oncall"] == {"webhook": 2}
    assert observed["receivers"]["blackhole"] == {}
    routed = dict((r["receiver"], r["routed_to"]) for r in observed["routes"])
    assert routed["audit"] == ["db-oncall", "audit"]
    assert routed["pager"] == ["pager"]
    assert "blackhole" in routed["db-team"]
    assert record["expected"]["notifying_receivers"] == {"fail": {"below": 1}, "unit": "count"}


def test_missing_and_silent_receivers_fail(stack):
    record = check(stack.alertmanager.url, required_receivers=["pager", "sms", "blackhole"])
    assert record["status"] == "fail"
    assert record["summary"] == ("receiver not configured: sms; "
                                 "receiver without any notification integration: blackhole")
    assert record["observed"]["missing_receivers"] == ["sms"]


def test_too_few_receivers_fail(stack):
    record = check(stack.alertmanager.url, min_receivers=6)
    assert record["status"] == "fail"
    assert record["summary"] == ("5 receivers with a notification integration (expected at least 6); "
                                 "without any integration: blackhole")


def test_route_to_the_wrong_receiver_fails(stack):
    record = check(stack.alertmanager.url, required_routes=[
        route("pager", severity="warning"),
        route("audit", env="prod", team="db", severity="critical"),  # pager does not continue
        route("sms"),
    ])
    assert record["status"] == "fail"
    assert record["summary"] == ('an alert with {severity="warning"} is routed to ops-webhook, not pager; '
                                 'an alert with {env="prod", severity="critical", team="db"} is routed to pager, '
                                 'not audit; no route sends to receiver sms')
    assert [r["ok"] for r in record["observed"]["routes"]] == [False, False, False]


def test_cluster_peers_required_but_cluster_disabled_fails(stack):
    record = check(stack.alertmanager.url, min_cluster_peers=2)
    assert record["status"] == "fail"
    assert record["summary"] == "cluster is disabled (expected ready with at least 2 peers)"


def test_not_ready_fails(stack):
    # The exporter stands in for an Alertmanager still starting: its /-/ready answers 503.
    record = check(stack.exporter.url, bearer_token=TOKEN)
    assert record["status"] == "fail"
    assert record["summary"] == ("not ready: /-/ready answered HTTP 503 Service Unavailable: "
                                 "Alertmanager is not ready yet")
    assert record["observed"]["ready"] is False
    assert "Bearer " + TOKEN in stack.exporter.authorizations  # sent, never shown


def test_credentials_are_sent_and_never_shown(stack):
    record = check(stack.alertmanager.url, username="probe", password=PASSWORD)
    assert record["status"] == "pass"


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


def test_ready_server_that_is_not_alertmanager_is_an_error(stack):
    record = check(stack.exporter.url + "/lookalike")
    assert record["status"] == "error"
    assert record["summary"] == "/api/v2/status answered HTTP 404 Not Found: 404 page not found"


@pytest.mark.parametrize("item, message", [
    (dict(url="alertmanager:9093"), "url: 'alertmanager:9093' must be an http:// or https:// URL"),
    (dict(url="http://am:9093", min_receivers=-1), "min_receivers: must not be negative"),
    (dict(url="http://am:9093", min_cluster_peers=0), "min_cluster_peers: must be at least 1"),
    (dict(url="http://am:9093", required_receivers=[""]), "required_receivers: names must not be empty"),
    (dict(url="http://am:9093", required_routes=[dict(receiver=" ")]), "required_routes[0]: receiver must not"),
    (dict(url="http://am:9093", required_routes=[dict(receiver="x", labels={"bad-name": "1"})]),
     "required_routes[0]: labels: 'bad-name' is not a label name"),
    (dict(url="http://am:9093", bearer_token="t0k3n-abc", password="p4ss-word", username="u"),
     "bearer_token: give either"),
])
def test_bad_options_are_named(item, message):
    with pytest.raises(OptionError) as raised:
        kind.prepare(validated_item(kind, item))
    assert str(raised.value).startswith(message)


def test_routing_follows_alertmanager_rules():
    root = kind.Route({
        "receiver": "default",
        "routes": [
            {"matchers": ['{service=~"api|web", env!="dev"}'], "receiver": "web",
             "routes": [{"matchers": ['severity="critical"'], "receiver": "web-pager"}]},
            {"match_re": {"service": "db.*"}, "continue": True},  # inherits default
            {"matchers": ['team!~"ops|sre"'], "receiver": "others"},
        ],
    })

    def receivers(**labels):
        return [r.receiver for r in root.match(labels)]
    assert receivers(service="api", severity="critical") == ["web-pager"]
    assert receivers(service="web", env="dev", team="sre") == ["default"]
    assert receivers(service="dbx", team="ops") == ["default"]
    assert receivers(service="db1") == ["default", "others"]
    assert receivers(service="apix") == ["others"]  # regexes are anchored
    assert str(kind.matchers_of({"matchers": ['a="x,\\"y"']})[0]) == 'a="x,\\"y"'
    with pytest.raises(CheckError):
        kind.matchers_of({"matchers": ["no operator"]})


def test_describe():
    assert kind.describe(dict(url="https://am.example.com:9093")) == (
        "https://am.example.com:9093", "Alertmanager at https://am.example.com:9093")
