"""dns_record end to end: real `ansible localhost -m golive.readiness.dns_record` runs against a real dnsmasq."""

from __future__ import annotations

import time

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._checks import dns_record

from ._adhoc import ansible_run, assert_documents_options
from ._servers import dns_server


@pytest.fixture(scope="module")
def server():
    with dns_server.dns_server() as running:
        yield running


def at(server, **item):
    """An item asking the test nameserver (never the system's)."""
    item.update(nameserver=server.address, nameserver_port=server.port)
    return item


def test_module_reports_pass_fail_and_error_records(server):
    dead_port = dns_server.free_port()
    started = time.monotonic()
    done, result = ansible_run("dns_record", {"fail_on": [], "checks": [
        at(server, name="api.shop.test", values=["10.0.0.10", "10.0.0.11"], within_cidrs=["10.0.0.0/24"]),
        at(server, name="www.shop.test", cname_chain_max=2),
        at(server, name="shop.test", type="mx", values=["mail.shop.test", "mail2.shop.test"], min_count=2),
        at(server, name="long.shop.test", ttl_max="5m", severity="medium"),
        at(server, name="nope.shop.test"),
        at(server, name="staging.shop.test", expect_absent=True),
        dict(name="api.shop.test", nameserver="127.0.0.1", nameserver_port=dead_port, timeout="1s", id="dead-ns"),
    ]})
    assert time.monotonic() - started < 60
    assert done.returncode == 0, done.stdout + done.stderr
    records = result["golive_checks"]
    assert [(r["id"], r["status"]) for r in records] == [
        ("dns_record:api.shop.test A", "pass"),
        ("dns_record:www.shop.test A", "fail"),
        ("dns_record:shop.test MX", "pass"),
        ("dns_record:long.shop.test A", "fail"),
        ("dns_record:nope.shop.test A", "fail"),
        ("dns_record:staging.shop.test A", "pass"),
        ("dead-ns", "error"),
    ], [(r["id"], r["status"], r["summary"]) for r in records]
    api, www, long_ttl, nope, dead = [records[i] for i in (0, 1, 3, 4, 6)]
    assert api["observed"]["answers"] == ["10.0.0.10", "10.0.0.11"]
    assert (api["section"], api["severity"]) == ("infrastructure", "high")
    assert www["summary"] == "CNAME chain length 3 (fail > 2)"
    assert long_ttl["severity"] == "medium"
    assert long_ttl["summary"] == "TTL 1d (fail > 5m)"
    assert nope["summary"] == "nope.shop.test does not exist"
    assert dead["summary"].startswith(f"nameserver 127.0.0.1:{dead_port} timed out after ")
    assert result["golive_counts"] == {"pass": 3, "warn": 0, "fail": 3, "error": 1, "skipped": 0}


def test_a_failing_record_fails_the_task_by_default(server):
    done, result = ansible_run("dns_record", {"checks": [at(server, name="api.shop.test", values=["10.0.0.99"])]})
    assert done.returncode == 2
    assert result["msg"].endswith("dns_record:api.shop.test A fail: missing 10.0.0.99; unexpected 10.0.0.10, 10.0.0.11")


@pytest.mark.parametrize("item, message", [
    (dict(name="api.shop.test", type="SRV"), "checks[0]: type: 'SRV' is not one of A, AAAA, CNAME, MX, TXT, NS"),
    (dict(name="api.shop.test", within_cidrs=["10.0.0.0/40"]),
     "checks[0]: within_cidrs: '10.0.0.0/40' is not a network in CIDR form (10.0.0.0/8)"),
    (dict(name="api.shop.test", nameserver="127.0.0.1", nameserver_port=70000),
     "checks[0]: nameserver_port: 70000 is outside 1-65535"),
])
def test_bad_options_fail_the_task_naming_the_option(item, message):
    done, result = ansible_run("dns_record", {"checks": [item]})
    assert done.returncode == 2
    assert result["msg"] == "invalid check options: " + message


def test_module_documentation_renders_every_option():
    doc = assert_documents_options("dns_record", dns_record)
    assert doc["requirements"] == ["dnspython >= 2.0 (where the module runs)"]
