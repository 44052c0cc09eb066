"""A section variable of the wrong type is refused both ways a section role is used.

Embedded in a play, a role's generated argument specification is enforced by Ansible. golive.yml loads the
roles' variables without it (a validation task per host) and validates the same variables on the controller.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import yaml
from playbook_runs import HEALTHY_VARS, REPO, VERIFY_TASK, ansible_tool, clean_environment, hosts_of_task

pytestmark = pytest.mark.integration

WRONG_TYPE = {"golive_paths": "/etc/hosts"}  # a string where a list of path checks belongs

STANDALONE = [{
    "name": "The infrastructure section embedded in a play",
    "hosts": "localhost",
    "gather_facts": False,
    "tasks": [
        {"name": "Import the section", "ansible.builtin.import_role": {"name": "golive.readiness.infrastructure"}},
        {"name": "Count its checks",
         "ansible.builtin.debug": {"msg": "{{ golive_infrastructure_host_checks | length }}"}},
    ],
}]


def run_standalone(tmp_path, variables):
    playbook = tmp_path / "standalone.yml"
    playbook.write_text(yaml.safe_dump(STANDALONE, sort_keys=False))
    extra = tmp_path / "vars.yml"
    # The role runs its checks on localhost: with this Python, and its report kept out of the checkout.
    extra.write_text(yaml.safe_dump(dict(variables, ansible_python_interpreter=sys.executable)))
    env = dict(clean_environment(), GOLIVE_REPORT_DIR=str(tmp_path / "report"))
    return subprocess.run([ansible_tool("ansible-playbook"), str(playbook), "-i", "localhost,", "-c", "local",
                           "-e", f"@{extra}"], cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=120, check=False)


def test_an_embedded_role_enforces_its_argument_specification(tmp_path):
    good = run_standalone(tmp_path, {"golive_paths": [{"path": "/etc/hosts"}]})
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Validating arguments against arg spec" in good.stdout
    verify = "golive.readiness.infrastructure : Run this host's infrastructure checks in one call"
    assert hosts_of_task(good.stdout, verify) == [("ok", "localhost")], good.stdout

    wrong = run_standalone(tmp_path, WRONG_TYPE)
    assert wrong.returncode != 0
    assert re.search(r"golive_paths\b[^\n]*\bdict", wrong.stdout + wrong.stderr), wrong.stdout + wrong.stderr
    assert "Count its checks" not in wrong.stdout
    assert "Traceback" not in wrong.stdout + wrong.stderr


def test_golive_refuses_the_same_wrong_type_before_any_check_runs(golive):
    run = golive.run(group_vars=HEALTHY_VARS, host_vars={"web01": WRONG_TYPE}, label="wrong-type")
    assert run.returncode != 0, run.tail()
    assert re.search(r"golive_paths\b[^\n]*\blist\b", run.output), run.tail()
    assert ("ok", "web01") not in hosts_of_task(run.stdout, VERIFY_TASK), run.tail()
    assert "Traceback" not in run.output
