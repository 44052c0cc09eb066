"""How much checking N TLS endpoints costs in one module task versus one task per endpoint.

Starts N TLS servers on loopback ports (threads in this process, default 50) presenting certificates
minted for the run (the test PKI of the unit tests), writes two playbooks for localhost:

  batch     one golive.readiness.tls_certificate task with N items
  per-task  N golive.readiness.tls_certificate tasks of one item each

and times both with ansible-playbook, alternating which goes first, for --rounds rounds (default 2);
then prints the median wall times and their ratio (target: the batch is at least 10x faster).
Run from the repository root with the virtualenv active:  python benchmarks/tls_batch_vs_per_task.py
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
sys.path.insert(0, os.path.join(REPO, ".collections"))  # scripts/setup links the checkout there

from playbook_runs import ansible_tool, clean_environment

from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._tls_servers import (
    LOOPBACK,
    NAME,
    MintedPKI,
    tls_server,
)

TARGET_RATIO = 10.0
RUN_TIMEOUT = 900


def check_items(servers, ca_file):
    return [dict(host=LOOPBACK, port=server.port, server_name=NAME, ca_file=ca_file, days_warn_below=30,
                 days_fail_below=14, min_protocol="TLSv1.2") for server in servers]


def play(name, tasks):
    # The controller's own interpreter runs the module: it has cryptography.
    return [dict(name=name, hosts="localhost", connection="local", gather_facts=False,
                 vars=dict(ansible_python_interpreter=sys.executable), tasks=tasks)]


def batch_playbook(items):
    return play("TLS certificates in one task", [dict(
        name="All TLS certificates", **{"golive.readiness.tls_certificate": dict(checks=items)})])


def per_task_playbook(items):
    return play("TLS certificates, one task each", [dict(
        name=f"TLS certificate {index}", **{"golive.readiness.tls_certificate": dict(checks=[item])})
        for index, item in enumerate(items)])


def write_yaml(path, data):
    with open(path, "w") as handle:
        yaml.safe_dump(data, handle, sort_keys=False)
    return path


class Bench(object):
    def __init__(self, workdir, playbooks, expected_checks):
        self.workdir = workdir
        self.playbooks = playbooks
        self.expected_checks = expected_checks
        self.times = dict((name, []) for name in playbooks)

    def run(self, name):
        report_dir = os.path.join(self.workdir, f"report-{name}-{len(self.times[name])}")
        env = clean_environment()
        env.update(GOLIVE_REPORT_DIR=report_dir, ANSIBLE_LOCALHOST_WARNING="False",
                   ANSIBLE_INVENTORY_UNPARSED_WARNING="False")
        argv = [ansible_tool("ansible-playbook"), "-i", "localhost,", self.playbooks[name]]
        started = time.monotonic()
        done = subprocess.run(argv, cwd=REPO, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=RUN_TIMEOUT, check=False)
        elapsed = time.monotonic() - started
        if done.returncode != 0:
            raise SystemExit(f"{name} failed (exit {done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
        self.assert_all_passed(name, report_dir)
        self.times[name].append(elapsed)
        print(f"  {name:<8} {elapsed:6.2f}s", flush=True)

    def assert_all_passed(self, name, report_dir):
        with open(os.path.join(report_dir, "report.json")) as handle:
            report = json.load(handle)
        statuses = [check["status"] for check in report["checks"]]
        if len(statuses) != self.expected_checks or set(statuses) != {"pass"}:
            raise SystemExit(f"{name}: expected {self.expected_checks} passing checks, "
                             f"the report has {sorted(statuses)}")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--servers", type=int, default=50, help="number of TLS servers (default 50)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of both playbooks (default 2)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    workdir = tempfile.mkdtemp(prefix="golive-tls-bench-")
    servers = []
    try:
        pki = MintedPKI()
        ca_file = pki.write_ca(workdir)
        servers.extend(tls_server(pki, "valid") for dummy in range(args.servers))
        print(f"started {len(servers)} TLS servers on {LOOPBACK}")
        items = check_items(servers, ca_file)
        playbooks = dict(batch=write_yaml(os.path.join(workdir, "batch.yml"), batch_playbook(items)),
                         per_task=write_yaml(os.path.join(workdir, "per_task.yml"), per_task_playbook(items)))
        bench = Bench(workdir, playbooks, len(items))
        for number in range(1, args.rounds + 1):
            print(f"round {number}")
            for name in (["batch", "per_task"] if number % 2 else ["per_task", "batch"]):
                bench.run(name)
        batch, per_task = statistics.median(bench.times["batch"]), statistics.median(bench.times["per_task"])
        print()
        print(f"{len(servers)} TLS endpoints on loopback, {args.rounds} rounds")
        batch_label = f"one task, {len(servers)} items (median)"
        per_task_label = f"{len(servers)} tasks, one item each (median)"
        print(f"{batch_label:<36} {batch:7.2f}s")
        print(f"{per_task_label:<36} {per_task:7.2f}s")
        ratio = per_task / batch
        verdict = "meets" if ratio >= TARGET_RATIO else "BELOW"
        print(f"per-task / batch = {ratio:.1f}x: {verdict} the {TARGET_RATIO:.0f}x target")
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
