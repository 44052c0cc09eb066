"""A fleet-sized probe run: 50 hosts x 20 tcp_port checks against a loopback server that greets after 1 s.

One real ``ansible-playbook golive.yml`` run with the playbook's default probe settings must check all
1,000 endpoints from the controller within their deadline and give GO: the probe's work scales with
the fleet (network-bound checks in their own wider pool, a deadline that follows the work).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
import yaml
from playbook_runs import clean_environment, read_report

from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._tcp_servers import (
    TcpServer,
    greet_after,
)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOSTS = 50
CHECKS_PER_HOST = 20
ANSWER_AFTER = 1.0
BANNER = b"SSH-2.0-OpenSSH_9.2 slow-but-healthy\r\n"
RUN_TIMEOUT = 600


def fleet_inventory(port):
    """HOSTS local hosts, each with CHECKS_PER_HOST endpoint checks of the slow server and no host checks."""
    hosts = {}
    for number in range(1, HOSTS + 1):
        name = f"app{number:02d}"
        hosts[name] = dict(golive_ports=[
            dict(host="127.0.0.1", port=port, banner_regex="^SSH-2\\.0-", id=f"tcp_port:{name}-{check:02d}")
            for check in range(CHECKS_PER_HOST)])
    common = dict(ansible_connection="local", ansible_python_interpreter=sys.executable,
                  golive_disk_space=[], golive_system_resources=None)
    return {"all": {"vars": common, "hosts": hosts}}


@pytest.mark.integration
def test_fifty_hosts_of_twenty_slow_endpoints_are_go_from_one_probe(tmp_path):
    server = TcpServer(greet_after(ANSWER_AFTER, BANNER), backlog=1024).start()
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump(fleet_inventory(server.port)))
    env = clean_environment()
    env["GOLIVE_REPORT_DIR"] = str(tmp_path / "report")
    started = time.monotonic()
    try:
        proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "golive.yml",
                               "-i", str(inventory)], cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False)
    finally:
        server.stop()
    seconds = time.monotonic() - started
    output = f"exit {proc.returncode} after {seconds:.0f}s\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    report = read_report(str(tmp_path / "report" / "report.json"))
    endpoint_checks = [c for c in report["checks"] if c["kind"] == "tcp_port"]
    deadline_errors = [c for c in endpoint_checks if "deadline" in c["summary"]]
    assert len(endpoint_checks) == HOSTS * CHECKS_PER_HOST, output
    assert deadline_errors == [], output
    assert sorted({c["status"] for c in endpoint_checks}) == ["pass"], output
    assert {c["host"] for c in endpoint_checks} == {f"app{n:02d}" for n in range(1, HOSTS + 1)}
    assert server.connections >= HOSTS * CHECKS_PER_HOST
    assert report["verdict"] == "GO", output
    assert proc.returncode == 0, output
