"""The roles' generated files agree with the kinds: the checklist role specifies every section's and the
gate's variables, the golive playbook loads each section's variables without a task, and every role has a
README whose example names it."""

from __future__ import annotations

import os
import re

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


def words(text):
    return " ".join(text.split())


def test_the_golive_playbook_reads_every_section_without_importing_a_role():
    # Every imported role, even for its variables only, ends with an implicit task over every host.
    plays = load("playbooks", "golive.yml")
    tasks = plays[0]["tasks"]
    role_tasks = ("ansible.builtin.import_role", "ansible.builtin.include_role")
    assert not [task for task in tasks if any(action in task for action in role_tasks)]
    assert "vars/checklists.yml" in plays[0]["vars_files"]
    checklists = load("playbooks", "vars", "checklists.yml")
    for section in SECTIONS:
        for part in ("host", "endpoint"):
            # The same checklists as the role's, with the role's defaults applied in the template.
            role_template = load("roles", section, "vars", "main.yml")[f"golive_{section}_{part}_checks"]
            playbook_template = checklists[f"golive_{section}_{part}_checks"]
            if isinstance(role_template, str):
                playbook_template = words(re.sub(r"\| default\([^)]*\)", "", playbook_template))
                role_template = words(role_template)
            assert playbook_template == role_template, (section, part)
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
