"""The roles' generated files agree with the kinds: the checklist role specifies every section's and the
gate's variables, the golive playbook loads each section's variables without a task, and every role has a
README whose example names it."""

from __future__ import annotations

import os

import yaml

from ansible_collections.golive.readiness.plugins.module_utils._registry import role_variables
from ansible_collections.golive.readiness.plugins.plugin_utils._policy import SECTIONS

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLES = (*SECTIONS, "checklist", "gate")


def load(*path):
    with open(os.path.join(REPO, *path), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def options_of(role):
    return load("roles", role, "meta", "argument_specs.yml")["argument_specs"]["main"]["options"]


def test_the_checklist_role_specifies_every_section_and_gate_variable():
    beside = {"golive_extra_checks", "golive_probe_checks"}
    expected = {v.name for v in role_variables()} | set(options_of("gate")) | beside
    assert set(options_of("checklist")) == expected


def test_the_golive_playbook_loads_every_section_without_its_tasks():
    plays = load("playbooks", "golive.yml")
    tasks = plays[0]["tasks"]
    imports = [task["ansible.builtin.import_role"] for task in tasks if "ansible.builtin.import_role" in task]
    assert [entry["name"] for entry in imports] == [f"golive.readiness.{section}" for section in SECTIONS]
    assert {entry["tasks_from"] for entry in imports} == {"variables"}
    for section in SECTIONS:
        assert load("roles", section, "tasks", "variables.yml") == []
        assert load("roles", section, "tasks", "main.yml"), section


def test_every_role_has_a_readme_with_an_example_naming_it():
    for role in ROLES:
        with open(os.path.join(REPO, "roles", role, "README.md"), encoding="utf-8") as handle:
            text = handle.read()
        assert f"# golive.readiness.{role}\n" in text, role
        example = yaml.safe_load(text.split("```yaml\n", 1)[1].split("```", 1)[0])
        assert f"golive.readiness.{role}" in example[0]["roles"], role
