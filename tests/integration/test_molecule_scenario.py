"""The molecule scenario role authors run: delegated driver on this machine, real ansible-playbook."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.integration
def test_default_scenario_converges_idempotently_and_verifies(tmp_path):
    env = dict(os.environ, NO_COLOR="1", MOLECULE_NO_LOG="false", HOME=os.environ.get("HOME", str(tmp_path)))
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "molecule"), "test"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    for step in ("syntax", "converge", "idempotence", "verify"):
        assert f"{step}: Executed: Successful" in output.replace("\u279c ", ""), step
    assert "All assertions passed" in output
