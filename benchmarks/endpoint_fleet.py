"""How long one probe call takes for 100, 1,000 and 5,000 endpoint checks that each answer in 1 s.

Starts a TCP server on 127.0.0.1 (threads of this process) that greets every connection after one
second, then runs the real ``verify`` module as its own process (as Ansible runs it on the probe) with
N ``tcp_port`` checks of that server, each waiting for the greeting. The settings are the golive
playbook's probe play defaults (timeout 10s, max_workers 16, network_workers 64, deadline auto) unless
overridden; ``--network-workers 0 --deadline 45s`` gives the behaviour before the network pool.
Prints, per size, the wall time of the call and the status counts (all are expected to pass).
Run from the repository root with the virtualenv active:  python benchmarks/endpoint_fleet.py
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, ".collections"))  # scripts/setup links the checkout there

from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._tcp_servers import (
    TcpServer,
    greet_after,
)

SIZES = (100, 1000, 5000)
ANSWER_AFTER = 1.0
BANNER = b"SSH-2.0-OpenSSH_9.2 benchmark\r\n"
CALL_TIMEOUT = 1800


def module_args(port: int, count: int, options: argparse.Namespace) -> dict:
    checks = [dict(kind="tcp_port", host="127.0.0.1", port=port, banner_regex="^SSH-2\\.0-", id=f"tcp_port:{n}")
              for n in range(count)]
    return dict(checks=checks, fail_on=[], timeout=options.timeout, deadline=options.deadline,
                max_workers=options.max_workers, network_workers=options.network_workers)


def run_probe_call(args: dict, workdir: str) -> tuple[float, dict]:
    """(wall seconds, status counts) of one verify call run as its own process."""
    path = os.path.join(workdir, "args.json")
    with open(path, "w") as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": args}, handle)
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, ".collections"))
    started = time.monotonic()
    completed = subprocess.run([sys.executable, "-m", "ansible_collections.golive.readiness.plugins.modules.verify",
                                path], cwd=workdir, env=env, capture_output=True, text=True, timeout=CALL_TIMEOUT,
                               check=False)
    seconds = time.monotonic() - started
    if completed.returncode != 0:
        sys.exit(f"verify failed (exit {completed.returncode}):\n{completed.stdout[-2000:]}{completed.stderr[-2000:]}")
    return seconds, json.loads(completed.stdout)["golive_counts"]


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--timeout", default="10s")
    parser.add_argument("--deadline", default="auto")
    parser.add_argument("--max-workers", type=int, default=16)
    parser.add_argument("--network-workers", type=int, default=64)
    return parser.parse_args()


def main() -> None:
    options = parse_arguments()
    server = TcpServer(greet_after(ANSWER_AFTER, BANNER), backlog=1024).start()
    print(f"endpoint checks answering after {ANSWER_AFTER:.0f}s; timeout {options.timeout}, deadline "
          f"{options.deadline}, max_workers {options.max_workers}, network_workers {options.network_workers}")
    try:
        with tempfile.TemporaryDirectory(prefix="golive-fleet-") as workdir:
            for count in options.sizes:
                seconds, counts = run_probe_call(module_args(server.port, count, options), workdir)
                shown = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
                print(f"{count:>6} checks  {seconds:7.1f}s  ({shown})", flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
