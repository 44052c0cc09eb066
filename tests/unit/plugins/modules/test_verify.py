"""verify run for real through `ansible localhost -m`: its run options, as a user gives them."""

from __future__ import annotations

from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._tcp_servers import (
    SSH_BANNER,
    greet,
    tcp_server,
)

from ._adhoc import ansible_run


def port_checks(port, count):
    return [{"kind": "tcp_port", "host": "127.0.0.1", "port": port, "banner_regex": "^SSH-2\\.0-",
             "id": f"tcp_port:{n}"} for n in range(count)]


def test_deadline_auto_and_network_workers_run_every_check():
    with tcp_server(greet(SSH_BANNER)) as server:
        done, result = ansible_run("verify", {"deadline": "auto", "network_workers": 4, "max_workers": 1,
                                              "checks": port_checks(server.port, 12)})
    assert done.returncode == 0, done.stdout
    assert [r["status"] for r in result["golive_checks"]] == ["pass"] * 12


def test_negative_network_workers_fail_naming_the_option():
    done, result = ansible_run("verify", {"network_workers": -1, "checks": port_checks(1, 1)})
    assert done.returncode != 0 and "localhost | FAILED!" in done.stdout
    assert result["msg"] == "invalid check options: network_workers: -1 is outside 0 to 1024"


def test_a_deadline_that_is_neither_auto_nor_a_duration_fails_naming_the_option():
    done, result = ansible_run("verify", {"deadline": "soon", "checks": port_checks(1, 1)})
    assert done.returncode != 0 and "localhost | FAILED!" in done.stdout
    assert result["msg"].startswith("invalid check options: deadline: 'soon' is not a number")
    assert "Traceback" not in done.stdout + done.stderr
