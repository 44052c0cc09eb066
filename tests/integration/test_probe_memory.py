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


# Runs the verify module as AnsiballZ does (a module of the package: run as a script, plugins/modules/redis.py
# would shadow the redis library) and, when it exits, writes the peak resident memory of this process since its
# exec (VmHWM) to the file named by argv[2]. ru_maxrss would not do: Linux keeps in it the memory of the process
# before exec, which is the forking test worker's, however large earlier tests have made it.
_VERIFY_WITH_PEAK = """
import atexit, runpy, sys

def write_peak(path=sys.argv[2]):
    with open("/proc/self/status") as status:
        peak = [line.split()[1] for line in status if line.startswith("VmHWM:")][0]
    with open(path, "w") as out:
        out.write(peak)

atexit.register(write_peak)
del sys.argv[2]
runpy.run_module("ansible_collections.golive.readiness.plugins.modules.verify", run_name="__main__", alter_sys=True)
"""


def run_verify(tmp_path, checks):
    """(result, peak RSS in bytes) of the verify module run as a process of its own."""
    args = tmp_path / "args.json"
    args.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": dict(checks=checks, fail_on=[], timeout="60s")}))
    peak_file = tmp_path / "peak_kib"
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, ".collections"))
    done = subprocess.run([sys.executable, "-c", _VERIFY_WITH_PEAK, str(args), str(peak_file)], cwd=str(tmp_path),
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=MODULE_TIMEOUT,
                          check=False)
    output = done.stdout.decode("utf-8", "replace")
    assert done.returncode == 0, output[-3000:]
    return json.loads(output), int(peak_file.read_text()) * 1024  # /proc reports KiB


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
