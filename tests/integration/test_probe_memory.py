"""The probe's memory stays bounded with several hostile servers at once.

Hostile servers on 127.0.0.1 (Redis answering ``$3000000000`` and streaming, SMTP servers sending an
endless line or endless continuation lines, a TLS server presenting a 130 KiB chain, an SMTP greeting
without end before STARTTLS) are checked concurrently by the real ``verify`` module, run as its own
process the way Ansible runs it. Every check must be ``error`` naming its cap, and the process's peak
resident memory (``ru_maxrss`` of that child, from ``os.wait4``) must stay far below what the servers
announce.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time

import pytest

from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._hostile_servers import (
    endless_line_smtp,
    endless_reply_smtp,
    endless_starttls_greeting,
    hostile,
    huge_bulk_redis,
    huge_chain_tls_server,
)
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._tls_servers import MintedPKI

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PEAK_RSS_BOUND = 300 * 1024 * 1024
COPIES = 4  # concurrent checks of each hostile server
MODULE_TIMEOUT = 300


@contextlib.contextmanager
def hostile_servers():
    pki = MintedPKI()
    with contextlib.ExitStack() as stack:
        servers = {}
        for name, serve in (("redis", huge_bulk_redis), ("smtp_line", endless_line_smtp),
                            ("smtp_reply", endless_reply_smtp), ("starttls", endless_starttls_greeting)):
            servers[name] = hostile(serve)
            stack.callback(servers[name].stop)
        servers["tls"] = huge_chain_tls_server(pki)
        stack.callback(servers["tls"].stop)
        yield servers


def hostile_checks(servers):
    """COPIES checks of each hostile server, with the cap each one must name."""
    kinds = [
        (dict(kind="redis", host="127.0.0.1", port=servers["redis"].port), "REDIS_READ_CAP"),
        (dict(kind="smtp_server", host="127.0.0.1", port=servers["smtp_line"].port), "SMTP_LINE_CAP"),
        (dict(kind="smtp_server", host="127.0.0.1", port=servers["smtp_reply"].port), "SMTP_READ_CAP"),
        (dict(kind="tls_certificate", host="127.0.0.1", port=servers["tls"].port),
         "TLS_CHAIN_CAP"),
        (dict(kind="tls_certificate", host="127.0.0.1", port=servers["starttls"].port, starttls="smtp"),
         "STARTTLS_READ_CAP"),
    ]
    return [(dict(item, id=f"{item['kind']}:{cap}:{copy}"), cap) for item, cap in kinds for copy in range(COPIES)]


def reap_with_usage(process, timeout):
    """(wait status, resource usage) of the child itself, killing it after ``timeout`` seconds."""
    stop_at = time.monotonic() + timeout
    while time.monotonic() < stop_at:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            return status, usage
        time.sleep(0.2)
    process.kill()
    return os.wait4(process.pid, 0)[1:]


def run_verify(tmp_path, checks):
    """(result, peak RSS in bytes) of the verify module run as a process of its own."""
    args = tmp_path / "args.json"
    args.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": dict(checks=checks, fail_on=[], timeout="60s")}))
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, ".collections"))
    with open(tmp_path / "stdout", "w+b") as stdout:
        # As a module of the package (as AnsiballZ runs it): run as a script, plugins/modules/redis.py
        # would shadow the redis library.
        process = subprocess.Popen([sys.executable, "-m", "ansible_collections.golive.readiness.plugins.modules.verify",
                                    str(args)], cwd=str(tmp_path), env=env, stdout=stdout, stderr=subprocess.STDOUT)
        status, usage = reap_with_usage(process, MODULE_TIMEOUT)
        process.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        output = stdout.read().decode("utf-8", "replace")
    assert process.returncode == 0, output[-3000:]
    return json.loads(output), usage.ru_maxrss * 1024  # Linux reports KiB


@pytest.mark.integration
def test_hostile_servers_cannot_exhaust_the_probe(tmp_path):
    with hostile_servers() as servers:
        items = hostile_checks(servers)
        result, peak = run_verify(tmp_path, [item for item, dummy in items])
    records = {record["id"]: record for record in result["golive_checks"]}
    for item, cap in items:
        record = records[item["id"]]
        assert (record["status"], cap in record["summary"]) == ("error", True), record["summary"]
    assert peak < PEAK_RSS_BOUND, f"peak RSS {peak / 2 ** 20:.0f} MiB with {len(items)} hostile checks"
