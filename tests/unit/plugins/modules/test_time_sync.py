"""time_sync end to end: real `ansible localhost -m golive.readiness.time_sync` runs against SNTP servers on
127.0.0.1 started by the test (no public NTP server is contacted), and the host's real timezone."""

from __future__ import annotations

import os

from ansible_collections.golive.readiness.plugins.module_utils._checks import time_sync
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._ntpserver import (
    Behaviour,
    ntp_server,
)
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._ports import unused_udp_port

from ._adhoc import ansible_run, assert_documents_options


def test_in_sync_off_and_unanswered_servers():
    dead = unused_udp_port()
    with ntp_server() as good, ntp_server(Behaviour(offset=2.0)) as late, \
            ntp_server(Behaviour(offset=600.0)) as far, ntp_server(Behaviour(stratum=0)) as kod:
        done, result = ansible_run("time_sync", {"fail_on": [], "checks": [
            {"ntp_servers": [good.address], "offset_warn_above": "1s", "max_offset": "5m"},
            {"ntp_servers": [late.address], "offset_warn_above": "1s", "max_offset": "5m"},
            {"ntp_servers": [far.address], "offset_warn_above": "1s", "offset_fail_above": "5m"},
            {"ntp_servers": [kod.address, f"127.0.0.1:{dead}"]},
        ]})
    assert done.returncode == 0, done.stdout
    records = result["golive_checks"]
    assert [r["status"] for r in records] == ["pass", "warn", "fail", "error"]
    assert records[0]["id"] == f"time_sync:{good.address}"
    assert (records[0]["title"], records[0]["section"], records[0]["severity"]) == (
        "Time sync", "infrastructure", "high")
    assert records[1]["summary"].startswith("clock offset +2.0s")
    assert records[2]["summary"].startswith("clock offset +10m")
    assert "kiss-of-death RATE" in records[3]["summary"] and "port unreachable" in records[3]["summary"]
    assert all(r["observed"]["timezone_source"] for r in records)


def test_timezone_of_the_host_and_a_failing_expectation():
    done, result = ansible_run("time_sync", {"checks": [
        {"timezone": "UTC", "id": "utc"}, {"timezone": "Antarctica/Troll", "id": "troll"}]})
    assert done.returncode == 2  # the second one fails the task, like assert
    utc, troll = result["golive_checks"]
    if os.path.realpath("/etc/localtime").endswith(("/UTC", "/UCT", "/Universal", "/Zulu")):
        assert utc["status"] == "pass", utc["summary"]
    assert troll["status"] == "fail"
    assert troll["summary"].endswith("expected Antarctica/Troll")


def test_tz_in_the_module_environment_is_what_is_checked():
    done, result = ansible_run("time_sync", {"checks": [{"timezone": "Asia/Tokyo"}]},
                               extra_env={"TZ": "Asia/Tokyo"})
    assert done.returncode == 0, done.stdout
    [record] = result["golive_checks"]
    assert record["observed"] == {"timezone": "Asia/Tokyo", "timezone_source": "TZ"}


def test_bad_server_spec_fails_the_task_naming_the_option():
    done, result = ansible_run("time_sync", {"checks": [{"ntp_servers": ["ntp.shop.test:0"]}]})
    assert done.returncode == 2
    assert result["msg"] == ("invalid check options: checks[0]: ntp_servers[0]: 'ntp.shop.test:0': "
                             "port 0 is not a UDP port (1-65535)")


def test_module_documentation_renders_every_option():
    assert_documents_options("time_sync", time_sync)
