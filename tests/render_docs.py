"""Fails when any module or plugin of the collection does not render with ansible-doc."""

from __future__ import annotations

import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLUGIN_TYPES = ("module", "callback", "filter")


def listed(plugin_type):
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-doc"), "-t", plugin_type, "-l", "-j",
         "golive.readiness"], cwd=REPO, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit("ansible-doc cannot list the collection's %s plugins (is scripts/setup run?): %s"
                 % (plugin_type, proc.stderr.strip()))
    return sorted(json.loads(proc.stdout))


def render(plugin_type, name):
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-doc"), "-t", plugin_type, name],
        cwd=REPO, capture_output=True, text=True, check=False)
    return proc.returncode == 0 and "ERROR" not in proc.stderr, proc.stderr.strip()


def main():
    problems = []
    total = 0
    for plugin_type in PLUGIN_TYPES:
        for name in listed(plugin_type):
            total += 1
            ok, err = render(plugin_type, name)
            if not ok:
                problems.append("%s %s: %s" % (plugin_type, name, err))
    for problem in problems:
        print(problem)
    print("ansible-doc: %d rendered, %d failed" % (total - len(problems), len(problems)))
    return 1 if problems or total == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
