"""The plumbing of benchmarks/peers.py on one host: the benchmark itself stays out of the suite.

One ping and one golive run over one SSH host must each leave one control socket and measure CPU on
both sides of the connection, and the summary must put golive/ping beside its target.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

from playbook_runs import REPO, clean_environment

BENCHMARK = os.path.join(REPO, "benchmarks", "peers.py")
RUN_LINE = re.compile(r"^\s+(?P<kind>ping|golive)\s+1 hosts\s+wall\s+(?P<wall>[\d.]+)s\s+controller CPU\s+"
                      r"(?P<controller>[\d.]+)s\s+host CPU\s+(?P<host>[\d.]+)s\s+control sockets (?P<sockets>\d+)$",
                      re.MULTILINE)


def test_one_host_pair_is_measured_on_both_sides():
    completed = subprocess.run(
        [sys.executable, BENCHMARK, "--hosts", "1", "--rounds", "1", "--scale", "", "--peers", "none", "--no-payload"],
        cwd=REPO, env=clean_environment(), stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300,
        check=False)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-4000:]
    runs = {match.group("kind"): match.groupdict() for match in RUN_LINE.finditer(completed.stdout)}
    assert sorted(runs) == ["golive", "ping"], output[-4000:]
    for run in runs.values():
        assert run["sockets"] == "1", output[-4000:]
        assert float(run["controller"]) > 0, output[-4000:]
        assert float(run["host"]) > 0, output[-4000:]
    assert re.search(r"^\s+1\s+.*\d+\.\d\dx", completed.stdout, re.MULTILINE), output[-4000:]
