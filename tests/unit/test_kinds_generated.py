"""Every list of kinds is derived from the kinds or generated from them, and the generated files are current."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter

import yaml

from ansible_collections.golive.readiness.plugins.module_utils._registry import KINDS, role_variables
from ansible_collections.golive.readiness.plugins.plugin_utils._policy import SECTIONS

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_generated_files_are_up_to_date():
    done = subprocess.run([os.path.join(REPO, "scripts", "generate"), "--check"], cwd=REPO,
                          env=dict(os.environ, PYTHON=sys.executable), capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"stale generated files (run scripts/generate):\n{done.stdout}{done.stderr}"


def test_every_kind_declares_its_variables_in_known_sections_and_no_variable_twice():
    undeclared = [name for name in KINDS if not hasattr(KINDS[name], "VARIABLES")]
    assert undeclared == [], f"kinds without VARIABLES: {undeclared}"
    variables = role_variables()
    assert [(v.kind, v.name, v.section) for v in variables if v.section not in SECTIONS] == []
    assert [name for name, count in Counter(v.name for v in variables).items() if count > 1] == []
    assert [v.name for v in variables if not v.name.startswith("golive_")] == []


def test_role_defaults_name_only_declared_variables():
    strays = [(name, variable) for name in KINDS for variable in getattr(KINDS[name], "ROLE_DEFAULTS", {})
              if variable not in KINDS[name].VARIABLES]
    assert strays == []


def test_each_section_role_defines_and_specifies_exactly_the_variables_its_kinds_declare():
    for section in SECTIONS:
        declared = {v.name: v for v in role_variables() if v.section == section}
        with open(os.path.join(REPO, "roles", section, "defaults", "main.yml"), encoding="utf-8") as handle:
            defaults = yaml.safe_load(handle) or {}
        with open(os.path.join(REPO, "roles", section, "meta", "argument_specs.yml"), encoding="utf-8") as handle:
            options = yaml.safe_load(handle)["argument_specs"]["main"]["options"]
        assert sorted(defaults) == sorted(declared), section
        assert sorted(options) == sorted(declared), section
        for name, variable in declared.items():
            assert defaults[name] == options[name]["default"] == variable.default, name
            assert options[name]["type"] == ("dict" if isinstance(variable.default, dict) else "list"), name


def readme_check_kinds_rows() -> list[str]:
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as handle:
        text = handle.read()
    table = text.split("### Check kinds", 1)[1].strip().split("\n\n", 1)[0]
    return re.findall(r"^\| `([a-z_]+)` \|", table, re.MULTILINE)


def test_the_readme_describes_every_kind_once_and_only_kinds():
    """The "Check kinds" table is prose, not generated: held equal to the kinds instead."""
    rows = readme_check_kinds_rows()
    assert [name for name, count in Counter(rows).items() if count > 1] == [], "kinds with two rows"
    assert [name for name in KINDS if name not in rows] == [], "kinds missing from the README's Check kinds table"
    assert [name for name in rows if name not in KINDS] == [], "README Check kinds rows naming no kind"
