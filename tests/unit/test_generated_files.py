"""The files scripts/generate derives from the check kinds are committed up to date."""

from __future__ import annotations

import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_scripts_generate_check_finds_nothing_stale():
    proc = subprocess.run([os.path.join(REPO, "scripts", "generate"), "--check"], cwd=REPO, capture_output=True,
                          text=True, check=False, env=dict(os.environ, PYTHON=sys.executable))
    assert proc.returncode == 0, f"stale generated files; run scripts/generate:\n{proc.stdout}{proc.stderr}"
