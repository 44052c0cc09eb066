"""time_sync against real SNTP servers on 127.0.0.1 (a thread speaking the NTP wire format, its clock shifted
on purpose), and the timezone of this host and of real files laid out like /etc and /usr/share/zoneinfo."""

from __future__ import annotations

import os
import time

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._checks import time_sync
from ansible_collections.golive.readiness.plugins.module_utils._runner import PreparedCheck, run_checks, run_one

from ._ntpserver import Behaviour, ntp_server
from ._ports import unused_udp_port

LEVELS = dict(offset_warn_above="1s", offset_fail_above="5m")
ZONEINFO = "/usr/share/zoneinfo"
needs_zoneinfo = pytest.mark.skipif(not os.path.isfile(os.path.join(ZONEINFO, "Europe", "Paris")),
                                    reason="needs the tz database in /usr/share/zoneinfo")


@pytest.fixture(autouse=True)
def no_tz(monkeypatch):
    """Start from the host's own configuration; tests that want TZ set it themselves."""
    monkeypatch.delenv("TZ", raising=False)


def check(timeout=5.0, **item):
    plan = time_sync.prepare(item)
    return run_one(PreparedCheck(item, "time_sync:x", "t", time_sync, plan, timeout))


def local(server):
    """'127.0.0.1:<port>' of a served NTP server, or of a bare port number."""
    return f'127.0.0.1:{getattr(server, "port", server)}'


def test_clock_in_sync_passes_with_measured_values():
    with ntp_server() as served:
        outcome = check(ntp_servers=[local(served)], **LEVELS)
    assert outcome.status == "pass", outcome.summary
    [server] = outcome.observed["servers"]
    assert server["server"] == local(served) and server["answered"] is True
    assert server["stratum"] == 2
    assert server["offset_ms"]["unit"] == server["delay_ms"]["unit"] == "ms"
    assert abs(server["offset_ms"]["value"]) < 50
    assert 0 <= server["delay_ms"]["value"] < 500
    assert outcome.observed["median_offset_ms"] == server["offset_ms"]
    assert outcome.expected["median_offset_ms"] == {"warn": {"above": 1000}, "fail": {"above": 300000}, "unit": "ms"}
    assert outcome.summary.startswith("clock offset ")
    [request] = served.seen
    assert len(request) == 48 and request[0] & 7 == 3  # one 48-byte mode-3 request


def test_two_seconds_off_warns():
    with ntp_server(Behaviour(offset=2.0)) as served:
        outcome = check(ntp_servers=[local(served)], **LEVELS)
    assert outcome.status == "warn"
    assert abs(outcome.observed["median_offset_ms"]["value"] - 2000) < 50
    assert outcome.summary == "clock offset +2.0s (median of 1 server; warn > 1s, fail > 5m)"


@pytest.mark.parametrize("offset, shown", [(600.0, "+10m"), (-600.0, "-10m")])
def test_ten_minutes_off_fails_either_way(offset, shown):
    with ntp_server(Behaviour(offset=offset)) as served:
        outcome = check(ntp_servers=[local(served)], **LEVELS)
    assert outcome.status == "fail"
    assert outcome.summary == f"clock offset {shown} (median of 1 server; warn > 1s, fail > 5m)"


def test_max_offset_is_the_fail_level():
    with ntp_server(Behaviour(offset=2.0)) as served:
        outcome = check(ntp_servers=[local(served)], max_offset="1s")
    assert outcome.status == "fail"
    assert outcome.expected["median_offset_ms"] == {"fail": {"above": 1000}, "unit": "ms"}


def test_without_levels_the_offset_warns_above_100ms_and_fails_above_1s():
    with ntp_server(Behaviour(offset=600.0)) as served:
        outcome = check(ntp_servers=[local(served)])
    assert outcome.status == "fail"
    assert outcome.expected["median_offset_ms"] == {"warn": {"above": 100}, "fail": {"above": 1000}, "unit": "ms"}


def test_status_comes_from_the_median_of_the_servers():
    with ntp_server() as p1, ntp_server(Behaviour(offset=2.0)) as p2, \
            ntp_server(Behaviour(offset=600.0)) as p3:
        outcome = check(ntp_servers=[local(p1), local(p2), local(p3)], min_servers=3, **LEVELS)
    assert outcome.status == "warn"
    assert abs(outcome.observed["median_offset_ms"]["value"] - 2000) < 50
    assert "median of 3 servers" in outcome.summary


@pytest.mark.parametrize("behaviour, reason", [
    (Behaviour(stratum=0, kiss_code=b"RATE"), "kiss-of-death RATE (stratum 0)"),
    (Behaviour(stratum=0, kiss_code=b"DENY"), "kiss-of-death DENY (stratum 0)"),
    (Behaviour(stratum=16), "stratum 16: the server is not synchronized"),
    (Behaviour(leap=3), "the server's clock is not synchronized (leap indicator 3)"),
    (Behaviour(echo_origin=False), "the reply does not echo the request's transmit time"),
])
def test_unusable_replies_make_the_server_an_error(behaviour, reason):
    with ntp_server(behaviour) as served:
        outcome = check(ntp_servers=[local(served)], **LEVELS)
    assert outcome.status == "error"
    assert outcome.summary == f"no NTP server answered ({local(served)}: {reason})"
    assert outcome.observed["servers"] == [dict(server=local(served), answered=False, error=reason)]
    assert "median_offset_ms" not in outcome.observed


def test_dead_port_is_an_error_at_once():
    port = unused_udp_port()
    started = time.monotonic()
    outcome = check(timeout=60.0, ntp_servers=[local(port)], **LEVELS)
    assert time.monotonic() - started < 30  # the ICMP answer ends it, not the 60 s timeout
    assert outcome.status == "error"
    assert f"port unreachable (nothing listens on UDP {port})" in outcome.summary


def test_silent_servers_share_the_time_limit():
    with ntp_server(Behaviour(silent=True)) as p1, \
            ntp_server(Behaviour(silent=True)) as p2:
        plan = time_sync.prepare(dict(ntp_servers=[local(p1), local(p2)]))
        started = time.monotonic()
        [record] = run_checks([PreparedCheck({}, "time_sync:silent", "t", time_sync, plan, 10.0)])
        elapsed = time.monotonic() - started
    assert elapsed < 18  # one after the other, each with the whole limit, they would take 20 s
    assert record["status"] == "error"
    assert [s["error"].startswith("no answer within ") for s in record["observed"]["servers"]] == [True, True]


def test_a_server_that_does_not_answer_is_listed_but_one_answer_is_enough():
    with ntp_server() as p1, ntp_server(Behaviour(stratum=0)) as p2:
        outcome = check(ntp_servers=[local(p1), local(p2)], **LEVELS)
    assert outcome.status == "pass"
    assert outcome.summary.endswith(f"did not answer: {local(p2)}: kiss-of-death RATE (stratum 0)")


def test_fewer_answers_than_min_servers_fail():
    port = unused_udp_port()
    with ntp_server() as p1:
        outcome = check(ntp_servers=[local(p1), local(port)], min_servers=2, **LEVELS)
    assert outcome.status == "fail"
    assert outcome.summary.startswith("only 1 of 2 NTP servers answered, min_servers 2 "
                                      f"({local(port)}: port unreachable")
    assert outcome.expected["servers_answered"] == {"fail": {"below": 2}, "unit": "count"}
    assert outcome.observed["servers_answered"] == {"value": 1, "unit": "count"}


# --- timezone -----------------------------------------------------------------------------------

def host_timezone():
    """This host's timezone, worked out independently of the check: the /etc/localtime link, else /etc/timezone."""
    if os.path.islink("/etc/localtime"):
        return os.readlink("/etc/localtime").split("zoneinfo/", 1)[1]
    with open("/etc/timezone") as handle:
        return handle.read().strip()


def test_timezone_of_this_host_passes_and_names_its_source():
    expected = host_timezone()
    outcome = check(timezone=expected)
    assert outcome.status == "pass", outcome.summary
    assert outcome.observed["timezone"] == expected
    source = outcome.observed["timezone_source"]
    assert source.startswith("/etc/localtime -> ") or source == "/etc/timezone"
    assert outcome.summary == f"timezone {expected} (from {source})"


@needs_zoneinfo
def test_a_different_expected_timezone_fails():
    observed = host_timezone()
    expected = "Pacific/Chatham" if observed != "Pacific/Chatham" else "Europe/Paris"
    outcome = check(timezone=expected)
    assert outcome.status == "fail"
    assert outcome.summary.startswith(f"timezone {observed} (from ")
    assert outcome.summary.endswith(f"expected {expected}")


@needs_zoneinfo
def test_tz_in_the_environment_comes_first(monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Paris")
    outcome = check(timezone="Europe/Paris")
    assert outcome.status == "pass"
    assert outcome.observed["timezone_source"] == "TZ"
    assert check(timezone="Asia/Tokyo").status == "fail"


@pytest.mark.parametrize("value, name, source", [
    (":Europe/Paris", "Europe/Paris", "TZ"),
    ("/usr/share/zoneinfo/Asia/Tokyo", "Asia/Tokyo", "TZ"),
    ("", "UTC", "TZ (set but empty: UTC)"),
    ("CET-1CEST,M3.5.0,M10.5.0/3", "CET-1CEST,M3.5.0,M10.5.0/3", "TZ"),
])
def test_tz_forms(value, name, source):
    assert time_sync.read_timezone(environ={"TZ": value}) == (name, source)


@needs_zoneinfo
def test_links_to_the_same_zone_match():
    assert time_sync.same_zone("Etc/UTC", "UTC")
    assert time_sync.same_zone("Europe/Paris", "Europe/Paris")
    assert not time_sync.same_zone("Europe/Paris", "UTC")
    assert not time_sync.same_zone("Nowhere/Atlantis", "Nowhere/Atlantis2")


def make_etc(tmp_path, localtime_link=None, localtime_copy=False, timezone_file=None):
    etc = tmp_path / "etc"
    etc.mkdir()
    zone = tmp_path / "usr" / "share" / "zoneinfo" / "America" / "Argentina" / "Buenos_Aires"
    zone.parent.mkdir(parents=True)
    zone.write_bytes(b"TZif2 a zone file")
    if localtime_link:
        os.symlink(localtime_link, str(etc / "localtime"))
    if localtime_copy:
        (etc / "localtime").write_bytes(zone.read_bytes())
    if timezone_file is not None:
        (etc / "timezone").write_text(timezone_file)
    return dict(environ={}, localtime=str(etc / "localtime"), timezone_file=str(etc / "timezone"))


def test_relative_localtime_link_names_the_zone(tmp_path):
    where = make_etc(tmp_path, localtime_link="../usr/share/zoneinfo/America/Argentina/Buenos_Aires",
                     timezone_file="Europe/Paris\n")
    assert time_sync.read_timezone(**where) == (
        "America/Argentina/Buenos_Aires",
        f"{where['localtime']} -> ../usr/share/zoneinfo/America/Argentina/Buenos_Aires")


def test_posix_variant_link_names_the_zone(tmp_path):
    where = make_etc(tmp_path, localtime_link="/usr/share/zoneinfo/posix/Europe/Paris")
    assert time_sync.read_timezone(**where)[0] == "Europe/Paris"


def test_copied_localtime_falls_back_to_etc_timezone(tmp_path):
    where = make_etc(tmp_path, localtime_copy=True, timezone_file="America/Argentina/Buenos_Aires\n")
    assert time_sync.read_timezone(**where) == ("America/Argentina/Buenos_Aires", where["timezone_file"])


def test_copied_localtime_without_etc_timezone_cannot_be_told(tmp_path):
    where = make_etc(tmp_path, localtime_copy=True)
    name, source = time_sync.read_timezone(**where)
    assert name is None
    assert source.endswith("cannot be read: No such file or directory")


def test_no_configuration_at_all_is_utc(tmp_path):
    where = make_etc(tmp_path)
    assert time_sync.read_timezone(**where) == ("UTC", "default (no {})".format(where["localtime"]))


# --- the wire format and the options ------------------------------------------------------------

def test_ntp_timestamps_round_trip_across_the_2036_era():
    for moment in (0.0, 1700000000.25, 2085978496.5, 2200000000.75):  # the era rolls over at 2085978496
        assert abs(time_sync.from_ntp(time_sync.to_ntp(moment)) - moment) < 1e-6


@pytest.mark.parametrize("spec, parsed", [
    ("ntp.shop.test", ("ntp.shop.test", 123)),
    ("10.0.0.5:1123", ("10.0.0.5", 1123)),
    ("[::1]:1123", ("::1", 1123)),
    ("[::1]", ("::1", 123)),
    ("fe80::1", ("fe80::1", 123)),
])
def test_server_specs(spec, parsed):
    assert time_sync.parse_server(spec) == parsed


def test_key_and_title():
    assert time_sync.describe(dict(ntp_servers=["a.test", "b.test:123"])) == ("a.test,b.test:123", "Time sync")
    assert time_sync.describe(dict(timezone="UTC")) == ("timezone", "Time sync")


@pytest.mark.parametrize("item, message", [
    (dict(ntp_servers=[""]), "ntp_servers[0]: an empty server name"),
    (dict(ntp_servers=["ntp.test:0"]), "ntp_servers[0]: 'ntp.test:0': port 0 is not a UDP port (1-65535)"),
    (dict(ntp_servers=["ntp.test:70000"]), "ntp_servers[0]: 'ntp.test:70000': port 70000 is not a UDP port"),
    (dict(ntp_servers=["ntp.test:ntp"]), "ntp_servers[0]: 'ntp.test:ntp' has a port that is not a number"),
    (dict(ntp_servers=["a.test", "ntp test"]), "ntp_servers[1]: 'ntp test' is not a host name or address"),
    (dict(ntp_servers=["[::1"]), "ntp_servers[0]: '[::1' is not [ipv6] or [ipv6]:port"),
    (dict(ntp_servers=["a.test", "a.test:123"]), "ntp_servers[1]: a.test:123 is listed twice"),
    (dict(ntp_servers=["a.test"], offset_warn_above="5m", offset_fail_above="1s"),
     "offset_warn_above/offset_fail_above: the warn level (5m) must be below the fail level (1s)"),
    (dict(ntp_servers=["a.test"], offset_warn_above="5m", max_offset="1s"),
     "offset_warn_above/max_offset: the warn level (5m) must be below the fail level (1s)"),
    (dict(ntp_servers=["a.test"], max_offset="1s", offset_fail_above="2s"),
     "max_offset: is another name for offset_fail_above; give one of them"),
    (dict(ntp_servers=["a.test"], max_offset="a while"), "max_offset: 'a while' is not a number"),
    (dict(timezone="UTC", max_offset="1s"), "max_offset/offset_warn_above/offset_fail_above: only apply with"),
    (dict(), "ntp_servers/timezone: give NTP servers to query, an expected timezone, or both"),
    (dict(ntp_servers=[]), "ntp_servers/timezone: give NTP servers"),
    (dict(ntp_servers=["a.test"], min_servers=0), "min_servers: 0 is not between 1 and the 1 servers listed"),
    (dict(ntp_servers=["a.test", "b.test"], min_servers=3), "min_servers: 3 is not between 1 and the 2 servers"),
    (dict(timezone="UTC", min_servers=2), "min_servers: only applies with ntp_servers"),
    (dict(timezone="+02:00"), "timezone: '+02:00' is not an IANA timezone name"),
    (dict(timezone="Europe Paris"), "timezone: 'Europe Paris' is not an IANA timezone name"),
    (dict(timezone="Europe/../../etc/passwd"), "timezone: 'Europe/../../etc/passwd' is not an IANA"),
    (dict(timezone="/usr/share/zoneinfo/UTC"), "timezone: '/usr/share/zoneinfo/UTC' is not an IANA"),
])
def test_bad_options_name_the_option(item, message):
    with pytest.raises(OptionError) as raised:
        time_sync.prepare(item)
    assert str(raised.value).startswith(message)
