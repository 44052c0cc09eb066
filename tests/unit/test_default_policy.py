"""The README's "Default policy, and why" table is held equal to the kinds that have default levels."""

from __future__ import annotations

import importlib
import os
import re

from ansible_collections.golive.readiness.plugins.module_utils._registry import KIND_NAMES

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKAGE = "ansible_collections.golive.readiness.plugins.module_utils._checks"


def policy_table_kinds() -> list[str]:
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as handle:
        text = handle.read()
    section = text.split("### Default policy, and why", 1)[1].split("\n### ", 1)[0]
    return re.findall(r"^\| `([a-z_]+)` \|", section, re.MULTILINE)


def kinds_with_defaults() -> set[str]:
    found = set()
    for name in KIND_NAMES:
        kind = importlib.import_module(f"{PACKAGE}.{name}")
        if any(attribute.startswith("DEFAULT_") for attribute in vars(kind)):
            found.add(name)
    return found


def test_every_kind_with_a_default_level_has_a_row_and_every_row_is_a_kind():
    rows = policy_table_kinds()
    assert len(rows) == len(set(rows)), "a kind has two rows"
    assert set(rows) <= set(KIND_NAMES), f"rows naming no kind: {sorted(set(rows) - set(KIND_NAMES))}"
    missing = kinds_with_defaults() - set(rows)
    assert not missing, f"kinds with DEFAULT_ levels missing from the README table: {sorted(missing)}"


def policy_table_changers() -> dict[str, list[str]]:
    """Each row's kind and the names in its last column ("change it with"), values and role parts dropped."""
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as handle:
        text = handle.read()
    section = text.split("### Default policy, and why", 1)[1].split("\n### ", 1)[0]
    changers = {}
    for kind, last in re.findall(r"^\| `([a-z_]+)` \|.*\| ([^|]*) \|$", section, re.MULTILINE):
        item_part = last.split("role:", 1)[0]
        changers[kind] = [name.split(":", 1)[0].strip() for name in re.findall(r"`([^`]+)`", item_part)
                          if not name[0].isdigit()]
    return changers


def test_every_option_the_default_policy_table_names_is_an_option_of_its_kind():
    from ansible_collections.golive.readiness.plugins.module_utils._module import COMMON_ITEM_OPTIONS

    unknown = []
    for kind, names in policy_table_changers().items():
        options = set(importlib.import_module(f"{PACKAGE}.{kind}").OPTIONS) | set(COMMON_ITEM_OPTIONS)
        for name in names:
            pattern = re.compile(re.escape(name).replace(r"\*", ".+") + "$")
            if not any(pattern.match(option) for option in options):
                unknown.append(f"{kind}: {name}")
    assert not unknown, f"README default policy names options its kind does not have: {unknown}"
