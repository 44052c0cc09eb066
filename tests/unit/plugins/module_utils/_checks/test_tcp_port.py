"""tcp_port against real sockets on 127.0.0.1: greeting, silent, replying, hanging-up, full and unused ports."""

from __future__ import annotations

import socket
import time

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._checks import tcp_port
from ansible_collections.golive.readiness.plugins.module_utils._module import item_spec

from ._dns_server import free_port
from ._kind_runner import run_item as run_kind_item
from ._kind_runner import validated_item
from ._tcp_servers import SSH_BANNER, full_backlog, greet, hang_up, reply, tcp_server

# glibc refuses a name with characters no host name may hold before asking any nameserver:
# the lookup fails here without a packet leaving the machine.
UNRESOLVABLE = "no-such-host!.shop.test"


def validated(item):
    return validated_item(tcp_port, item)


def run_item(item, timeout=5.0):
    record = run_kind_item(tcp_port, item, timeout)
    return record


def probe(port, timeout=5.0, host="127.0.0.1", **options):
    item = dict(host=host, port=port)
    item.update(options)
    return run_item(item, timeout)


def closed_port():
    return free_port(socket.SOCK_STREAM)


# --- open -----------------------------------------------------------------------------------------

def test_open_port_passes_with_connect_time_observed():
    with tcp_server(greet(SSH_BANNER)) as server:
        record = probe(server.port, connect_warn_above="20s", connect_fail_above="30s")
    assert record["id"] == f"tcp_port:127.0.0.1:{server.port}"
    assert record["title"] == f"TCP port 127.0.0.1:{server.port}"
    assert (tcp_port.SECTION, tcp_port.SEVERITY) == ("security", "high")
    assert record["status"] == "pass", record["summary"]
    observed = record["observed"]
    assert observed["state"] == "open"
    assert observed["address"] == "127.0.0.1"
    assert 0 <= observed["connect_ms"]["value"] < 1000
    assert record["expected"] == {"state": "open", "connect_ms": {"warn": {"above": 20000}, "fail": {"above": 30000},
                                                                  "unit": "ms"}}
    assert record["summary"].startswith("open; connect ")


def test_banner_matching_the_regex_passes():
    with tcp_server(greet(SSH_BANNER)) as server:
        record = probe(server.port, banner_regex=r"^SSH-2\.0-OpenSSH_9\.")
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["banner"] == SSH_BANNER.decode()
    assert "banner SSH-2.0-OpenSSH_9.2 Debian-2" in record["summary"]


def test_banner_not_matching_fails_quickly_with_what_was_read():
    with tcp_server(greet(SSH_BANNER)) as server:
        started = time.monotonic()
        record = probe(server.port, timeout=60.0, banner_regex=r"^SSH-2\.0-OpenSSH_(8|10)\.")
    assert time.monotonic() - started < 30  # judged on the banner read, not after the 60 s timeout
    assert record["status"] == "fail"
    assert record["summary"] == r"banner 'SSH-2.0-OpenSSH_9.2 Debian-2' does not match /^SSH-2\.0-OpenSSH_(8|10)\./"


def test_send_then_read_the_answer_for_client_first_protocols():
    with tcp_server(reply(b"PING\r\n", b"+PONG\r\n")) as server:
        record = probe(server.port, send="PING\r\n", banner_regex=r"^\+PONG")
        assert server.received == [b"PING\r\n"]
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["banner"] == "+PONG\r\n"


def test_silent_server_with_banner_regex_is_a_timed_out_error_within_the_timeout():
    with tcp_server() as server:
        started = time.monotonic()
        record = probe(server.port, timeout=1.0, banner_regex="^SSH-")
    assert time.monotonic() - started < 20  # the server never sends a banner: only the 1 s timeout ends it
    assert record["status"] == "error"
    assert record["summary"].startswith("timed out after ")
    assert record["summary"].endswith("waiting for the server to send anything; if the client speaks first, set send")


def test_server_hanging_up_without_a_banner_fails():
    with tcp_server(hang_up) as server:
        record = probe(server.port, banner_regex="^SSH-")
    assert record["status"] == "fail"
    assert record["summary"] == "the server closed the connection without sending anything (banner_regex /^SSH-/)"


def test_connect_time_levels_warn_and_fail():
    with tcp_server(greet(SSH_BANNER)) as server:
        warned = probe(server.port, connect_warn_above="0ms")
        failed = probe(server.port, connect_warn_above="0ms", connect_fail_above="0ms")
    # Even a loopback connect takes some microseconds, which is above a level of 0ms.
    assert warned["status"] == "warn", warned["observed"]
    assert warned["summary"].endswith("(warn > 0ms)")
    assert failed["status"] == "fail", failed["observed"]
    assert failed["summary"].endswith("(warn > 0ms, fail > 0ms)")


def test_refused_port_expected_open_fails():
    port = closed_port()
    record = probe(port)
    assert record["status"] == "fail"
    assert record["summary"] == "connection refused (expected open)"
    assert record["observed"]["state"] == "refused"


def test_unanswered_connect_expected_open_fails_as_timed_out_within_the_timeout():
    with full_backlog() as server:
        started = time.monotonic()
        record = probe(server.port, timeout=1.0)
    assert time.monotonic() - started < 20  # the connect is never answered: only the 1 s timeout ends it
    assert record["status"] == "fail"
    assert record["summary"].startswith("connection timed out after ")
    assert record["summary"].endswith("(expected open)")
    assert record["observed"]["state"] == "timed out"


def test_localhost_is_tried_at_each_of_its_addresses():
    with tcp_server(greet(SSH_BANNER)) as server:
        record = probe(server.port, host="localhost")
    assert record["status"] == "pass", record["summary"]
    assert record["id"] == f"tcp_port:localhost:{server.port}"
    assert record["observed"]["address"] == "127.0.0.1"
    assert record["observed"]["tried"][-1] == "127.0.0.1"


# --- closed ---------------------------------------------------------------------------------------

def test_refused_port_expected_closed_passes_saying_refused():
    record = probe(closed_port(), state="closed")
    assert record["status"] == "pass", record["summary"]
    assert record["summary"] == "closed: connection refused"
    assert record["expected"] == {"state": "closed"}


def test_filtered_port_expected_closed_passes_saying_timed_out():
    with full_backlog() as server:
        record = probe(server.port, timeout=1.0, state="closed")
    assert record["status"] == "pass", record["summary"]
    assert record["summary"].startswith("closed: connection timed out after ")
    assert record["observed"]["state"] == "timed out"


def test_open_port_expected_closed_fails():
    with tcp_server(greet(SSH_BANNER)) as server:
        record = probe(server.port, state="closed")
    assert record["status"] == "fail"
    assert record["summary"] == "open: 127.0.0.1 accepted the connection (expected closed)"


# --- errors and options ---------------------------------------------------------------------------

def test_unresolvable_host_is_an_error():
    record = probe(80, host=UNRESOLVABLE)
    assert record["status"] == "error"
    assert record["summary"].startswith(f"cannot resolve {UNRESOLVABLE}: ")


def test_ipv6_literal_key_is_bracketed():
    assert tcp_port.describe(dict(host="::1", port=22)) == ("[::1]:22", "TCP port [::1]:22")


@pytest.mark.parametrize("item, message", [
    (dict(port=0), "port: 0 is outside 1-65535"),
    (dict(port=70000), "port: 70000 is outside 1-65535"),
    (dict(host=" "), "host: ' ' is not a host name or address"),
    (dict(banner_regex="(SSH"), "banner_regex: '(SSH' is not a valid regular expression: missing ), unterminated "
                                "subpattern at position 0"),
    (dict(connect_warn_above="2s", connect_fail_above="1s"),
     "connect_warn_above/connect_fail_above: the warn level (2s) must be below the fail level (1s)"),
    (dict(connect_warn_above="soon"),
     "connect_warn_above: 'soon' is not a number with an optional unit (allowed: 0s to 3650d)"),
    (dict(state="closed", banner_regex="^SSH"), "banner_regex: only applies with state open"),
    (dict(state="closed", connect_fail_above="1s"), "connect_fail_above: only applies with state open"),
    (dict(send="PING\r\n"), "send: only applies with banner_regex (the answer is what is checked)"),
    (dict(send="", banner_regex="x"), "send: must not be empty"),
])
def test_bad_options_are_rejected_naming_the_option(item, message):
    params = dict(host="127.0.0.1", port=22)
    params.update(item)
    with pytest.raises(OptionError) as raised:
        tcp_port.prepare(validated(params))
    assert str(raised.value) == message


def test_state_choices_are_enforced_by_the_argument_spec():
    result = ArgumentSpecValidator(item_spec(tcp_port)).validate(dict(host="h", port=1, state="filtered"))
    assert result.error_messages
