"""Run a collection module for real with `ansible localhost -m` and read its result; render its docs."""

from __future__ import annotations

import json
import os
import subprocess
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), *[os.pardir] * 4))
BIN = os.path.dirname(sys.executable)
COMMON_ITEM_OPTIONS = {"id", "title", "section", "severity", "timeout", "target", "hint", "contact"}


def ansible_run(module, args, extra_env=None, verbose=False, timeout=120):
    """(completed process, result dict) of `ansible localhost -m golive.readiness.<module> -a <json> -o`."""
    env = dict(os.environ, ANSIBLE_CALLBACKS_ENABLED="ansible.builtin.default", ANSIBLE_DEPRECATION_WARNINGS="False",
               ANSIBLE_LOCALHOST_WARNING="False", ANSIBLE_INVENTORY_UNPARSED_WARNING="False")
    env.update(extra_env or {})
    argv = [os.path.join(BIN, "ansible"), "localhost", "-m", f"golive.readiness.{module}",
            "-a", json.dumps(args), "-o"]
    if verbose:
        argv.append("-vvv")
    done = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("localhost | ")]
    assert lines, done.stdout + done.stderr
    return done, json.loads(lines[-1].split(" => ", 1)[1])


def module_doc(module):
    """The parsed `ansible-doc --json` documentation of golive.readiness.<module>; fails if it does not render."""
    name = f"golive.readiness.{module}"
    done = subprocess.run([os.path.join(BIN, "ansible-doc"), "--json", name], cwd=REPO, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)[name]


def assert_documents_options(module, kind_module):
    """Every option of the kind is documented under checks with its type and default, and nothing else."""
    doc = module_doc(module)["doc"]
    documented = doc["options"]["checks"]["suboptions"]
    assert set(documented) == set(kind_module.OPTIONS) | COMMON_ITEM_OPTIONS
    for name, spec in kind_module.OPTIONS.items():
        assert documented[name]["type"] == spec["type"], name
        assert documented[name].get("default") == spec.get("default"), name
        if "options" in spec:
            assert set(documented[name]["suboptions"]) == set(spec["options"]), name
    return doc


def ansible_run_logged(module, tmp_path, args):
    """ansible_run at -vvv with Ansible's log file on: (completed, result, everything Ansible wrote),
    for tests that search all of it for a secret."""
    log = tmp_path / "ansible.log"
    done, result = ansible_run(module, args, extra_env={"ANSIBLE_LOG_PATH": str(log)}, verbose=True)
    return done, result, done.stdout + done.stderr + (log.read_text() if log.exists() else "")
