"""tcp_port end to end: real `ansible localhost -m golive.readiness.tcp_port` runs against real loopback sockets."""

from __future__ import annotations

import socket
import time

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._checks import tcp_port

from ._adhoc import ansible_run, assert_documents_options
from ._servers import dns_server, tcp_servers


def test_module_reports_open_closed_banner_and_timeouts():
    closed = dns_server.free_port(socket.SOCK_STREAM)
    with tcp_servers.tcp_server(tcp_servers.greet(tcp_servers.SSH_BANNER)) as ssh, \
            tcp_servers.tcp_server() as silent:
        started = time.monotonic()
        done, result = ansible_run("tcp_port", {"fail_on": [], "checks": [
            dict(host="127.0.0.1", port=ssh.port, banner_regex=r"^SSH-2\.0-OpenSSH_9", connect_fail_above="30s"),
            dict(host="127.0.0.1", port=closed, state="closed", severity="critical"),
            dict(host="127.0.0.1", port=closed, id="must-be-open"),
            dict(host="127.0.0.1", port=ssh.port, state="closed", id="must-be-closed"),
            dict(host="127.0.0.1", port=silent.port, banner_regex="^220 ", timeout="1s"),
        ]})
        assert time.monotonic() - started < 60
    assert done.returncode == 0, done.stdout + done.stderr
    records = result["golive_checks"]
    assert [(r["id"], r["status"]) for r in records] == [
        (f"tcp_port:127.0.0.1:{ssh.port}", "pass"),
        (f"tcp_port:127.0.0.1:{closed}", "pass"),
        ("must-be-open", "fail"),
        ("must-be-closed", "fail"),
        (f"tcp_port:127.0.0.1:{silent.port}", "error"),
    ], [(r["id"], r["status"], r["summary"]) for r in records]
    banner, closed_ok, refused, open_not_closed, silent_one = records
    assert (banner["section"], banner["severity"]) == ("security", "high")
    assert banner["observed"]["banner"].startswith("SSH-2.0-OpenSSH_9.2")
    assert closed_ok["severity"] == "critical"
    assert closed_ok["summary"] == "closed: connection refused"
    assert refused["summary"] == "connection refused (expected open)"
    assert open_not_closed["summary"] == "open: 127.0.0.1 accepted the connection (expected closed)"
    assert silent_one["summary"].startswith("timed out after ")


def test_a_refused_port_fails_the_task_by_default():
    closed = dns_server.free_port(socket.SOCK_STREAM)
    done, result = ansible_run("tcp_port", {"checks": [dict(host="127.0.0.1", port=closed, id="db-from-app")]})
    assert done.returncode == 2
    assert result["msg"].endswith("db-from-app fail: connection refused (expected open)")


@pytest.mark.parametrize("item, message", [
    (dict(host="127.0.0.1", port=0), "checks[0]: port: 0 is outside 1-65535"),
    (dict(host="127.0.0.1", port=22, banner_regex="[SSH"),
     "checks[0]: banner_regex: '[SSH' is not a valid regular expression: unterminated character set at position 0"),
    (dict(host="127.0.0.1", port=22, connect_warn_above="1s", connect_fail_above="100ms"),
     "checks[0]: connect_warn_above/connect_fail_above: the warn level (1s) must be below the fail level (100ms)"),
])
def test_bad_options_fail_the_task_naming_the_option(item, message):
    done, result = ansible_run("tcp_port", {"checks": [item]})
    assert done.returncode == 2
    assert result["msg"] == "invalid check options: " + message


def test_module_documentation_renders_every_option():
    doc = assert_documents_options("tcp_port", tcp_port)
    assert "requirements" not in doc
