"""The molecule scenarios role authors run, one per way of embedding: a section role under roles: (default),
the whole-checklist role made to fail (checklist) and single modules (module). Delegated driver on this machine,
real ansible-playbook; each verify step asserts on the report the callback wrote for the converge run."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCENARIOS = sorted(name for name in os.listdir(os.path.join(REPO, "molecule"))
                   if os.path.isfile(os.path.join(REPO, "molecule", name, "molecule.yml")))


def test_every_way_of_embedding_has_a_scenario():
    assert SCENARIOS == ["checklist", "default", "module"]


@pytest.mark.integration
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario_converges_idempotently_and_verifies(tmp_path, scenario):
    env = dict(os.environ, NO_COLOR="1", MOLECULE_NO_LOG="false", HOME=os.environ.get("HOME", str(tmp_path)))
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "molecule"), "test", "-s", scenario],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    for step in ("syntax", "converge", "idempotence", "verify"):
        assert f"{step}: Executed: Successful" in output.replace("\u279c ", ""), step
    assert "All assertions passed" in output
