"""Every check module documents what its kind accepts and returns, and the shared parts are generated.

The item options come from _module.COMMON_ITEM_OPTIONS and the kind's OPTIONS; their documentation is in
the module (the common ones copied there by scripts/generators/module_docs.py). These tests hold the two
equal, name by name, and fail naming the kind and the option that differ.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import sys
from types import SimpleNamespace

import pytest
import yaml

from ansible_collections.golive.readiness.plugins.doc_fragments.check_item import ModuleDocFragment
from ansible_collections.golive.readiness.plugins.module_utils._check import Outcome, make_record
from ansible_collections.golive.readiness.plugins.module_utils._module import COMMON_ITEM_OPTIONS
from ansible_collections.golive.readiness.plugins.module_utils._registry import KINDS
from ansible_collections.golive.readiness.plugins.module_utils._runner import is_network_bound

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULES = os.path.join(REPO, "plugins", "modules")
# What a spec entry says that the documentation must say the same way (absent means None).
COMPARED_KEYS = ("type", "elements", "choices", "required", "default")


def module_docs(name: str) -> dict[str, dict]:
    """DOCUMENTATION and RETURN of plugins/modules/<name>.py, read as YAML without importing the module."""
    with open(os.path.join(MODULES, f"{name}.py"), encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    texts = {node.targets[0].id: node.value.value for node in tree.body
             if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
             and node.targets[0].id in ("DOCUMENTATION", "RETURN")}
    return {key: yaml.safe_load(text) for key, text in texts.items()}


def _documented_value(doc: dict, key: str):
    value = doc.get(key)
    if key == "required":
        return bool(value)
    if key == "type":
        return value or "str"
    return value


def _spec_value(spec: dict, key: str):
    value = spec.get(key)
    if key == "required":
        return bool(value)
    if key == "type":
        return value or "str"
    if key == "choices" and value is not None:
        return list(value)
    return value


def option_differences(spec: dict, documented: dict, where: str) -> list[str]:
    """Each way the documented options differ from the argument spec, naming the option (``where``-prefixed)."""
    problems = []
    for name in spec:
        if name not in documented:
            problems.append(f"{where}{name}: in the argument spec but not documented")
    for name in documented:
        if name not in spec:
            problems.append(f"{where}{name}: documented but not in the argument spec")
    for name in spec.keys() & documented.keys():
        problems.extend(_one_option_differences(spec[name], documented[name] or {}, f"{where}{name}"))
    return sorted(problems)


def _description_problem(doc: dict, where: str) -> str | None:
    """Why an option's description is not text (a YAML 'word: word' line turns into a mapping), or None."""
    description = doc.get("description")
    lines = description if isinstance(description, list) else [description]
    if not description or not all(isinstance(line, str) and line for line in lines):
        return f"{where}: the description is not text, or a list of texts: {description!r}"
    return None


def _one_option_differences(spec: dict, doc: dict, where: str) -> list[str]:
    problems = [problem for problem in [_description_problem(doc, where)] if problem]
    for key in COMPARED_KEYS:
        wanted, written = _spec_value(spec, key), _documented_value(doc, key)
        if wanted != written:
            problems.append(f"{where}: {key} is {wanted!r} in the argument spec but {written!r} in the documentation")
    if spec.get("options") or doc.get("suboptions"):
        problems.extend(option_differences(spec.get("options") or {}, doc.get("suboptions") or {}, f"{where}."))
    return problems


def item_differences(kind_name: str) -> list[str]:
    kind = KINDS[kind_name]
    checks = module_docs(kind_name)["DOCUMENTATION"]["options"]["checks"]
    spec = {**COMMON_ITEM_OPTIONS, **kind.OPTIONS}
    problems = [problem for problem in [_description_problem(checks, "checks")] if problem]
    problems += option_differences(spec, checks.get("suboptions") or {}, "checks[].")
    return [f"{kind_name}: {problem}" for problem in problems]


@pytest.mark.parametrize("kind_name", sorted(KINDS))
def test_each_kind_documents_exactly_its_item_options(kind_name):
    problems = item_differences(kind_name)
    assert not problems, "\n".join(problems)


def test_an_undocumented_option_is_named_with_its_kind():
    spec = {"path": {"type": "path", "required": True}, "max_age": {"type": "raw", "default": "1d"}}
    documented = {"path": {"description": "A path.", "type": "path", "required": True}}
    assert option_differences(spec, documented, "checks[].") == [
        "checks[].max_age: in the argument spec but not documented"]
    documented["max_age"] = {"description": "Oldest.", "type": "str", "default": "1d"}
    assert option_differences(spec, documented, "checks[].") == [
        "checks[].max_age: type is 'raw' in the argument spec but 'str' in the documentation"]


def test_suboptions_of_an_option_are_compared_too():
    spec = {"auth": {"type": "dict", "options": {"user": {"type": "str"}, "token": {"type": "str", "no_log": True}}}}
    documented = {"auth": {"description": "Credentials.", "type": "dict",
                           "suboptions": {"user": {"description": "Who.", "type": "str"}}}}
    assert option_differences(spec, documented, "checks[].") == [
        "checks[].auth.token: in the argument spec but not documented"]


def record_fields() -> set[str]:
    """Every field a result record can hold: one built with every optional part set."""
    item = {"section": "infrastructure", "severity": "high", "target": "web01", "hint": "df -h", "contact": "ops"}
    return set(make_record(item, "disk_space:/", "disk_space", "Disk space on /", Outcome("pass", "ok"), 1.0, rounds=1))


@pytest.mark.parametrize("name", [*sorted(KINDS), "verify"])
def test_each_module_documents_every_record_field(name):
    returned = module_docs(name)["RETURN"]
    records = returned["golive_checks"]
    contains = records.get("contains") or {}
    missing = sorted(record_fields() - set(contains))
    unknown = sorted(set(contains) - record_fields())
    assert not missing and not unknown, f"{name}: golive_checks.contains misses {missing}, has unknown {unknown}"
    for field, doc in contains.items():
        assert doc.get("description") and doc.get("type") and doc.get("returned"), f"{name}: golive_checks.{field}"
    assert "golive_counts" in returned, name


def test_verify_names_every_kind_and_no_other_module():
    seealso = module_docs("verify")["DOCUMENTATION"]["seealso"]
    assert sorted(entry["module"] for entry in seealso) == [f"golive.readiness.{name}" for name in sorted(KINDS)]


def test_every_kind_has_its_module_and_every_check_module_its_kind():
    modules = {name[:-3] for name in os.listdir(MODULES) if name.endswith(".py")}
    assert sorted(set(KINDS) - modules) == [], "kinds without a module"
    assert sorted(modules - set(KINDS)) == ["gate", "merge_reports", "verify"], \
        "modules that are neither a kind, verify, gate nor merge_reports"


@pytest.mark.parametrize("kind_name", sorted(KINDS))
def test_each_kind_module_shows_a_sample_record_of_its_kind(kind_name):
    sample = module_docs(kind_name)["RETURN"]["golive_checks"].get("sample")
    assert isinstance(sample, list) and sample, f"{kind_name}: golive_checks has no sample"
    for record in sample:
        fields = set(record)
        optional = {"target", "rounds", "hint", "contact"}  # set only when the item sets them (rounds: when waiting)
        assert record_fields() - optional <= fields <= record_fields(), f"{kind_name}: sample fields {sorted(fields)}"
        assert record["kind"] == kind_name, f"{kind_name}: the sample is a record of kind {record['kind']!r}"
        assert record["section"] == KINDS[kind_name].SECTION, f"{kind_name}: the sample's section"
        assert str(record["id"]).startswith(f"{kind_name}:"), f"{kind_name}: the sample's id {record['id']!r}"


def _unsampled(values: dict, where: str) -> list[str]:
    """Return values that show no sample, neither their own nor one for each of their fields."""
    missing = []
    for name, doc in values.items():
        if "sample" in doc:
            continue
        if doc.get("contains"):
            missing.extend(_unsampled(doc["contains"], f"{where}{name}."))
        else:
            missing.append(f"{where}{name}")
    return missing


@pytest.mark.parametrize("name", sorted(name[:-3] for name in os.listdir(MODULES) if name.endswith(".py")))
def test_every_return_value_of_every_module_has_a_sample(name):
    assert _unsampled(module_docs(name)["RETURN"], "") == []


def fragment_documentation() -> dict:
    return yaml.safe_load(ModuleDocFragment.DOCUMENTATION)


def test_network_workers_names_exactly_the_network_bound_kinds():
    text = " ".join(fragment_documentation()["options"]["network_workers"]["description"])
    named = {name for name in re.findall(r"C\((\w+)\)", text) if name in KINDS}
    bound = {name for name in KINDS if is_network_bound(SimpleNamespace(kind_module=KINDS[name]))}
    assert sorted(bound - named) == [], "network-bound kinds the network_workers documentation does not name"
    assert sorted(named - bound) == [], "kinds the network_workers documentation names that are not network-bound"


def _generator():
    """scripts/generators/module_docs.py as a module (it imports its sibling _common by plain name)."""
    folder = os.path.join(REPO, "scripts", "generators")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location("module_docs_generator", os.path.join(folder, "module_docs.py"))
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    return generator


def test_a_region_is_filled_at_the_indentation_of_its_markers():
    generator = _generator()
    text = "options:\n  # BEGIN generated: item options (anything)\n  stale: line\n  # END generated: item options\n"
    filled = generator.with_regions(text, {"item options": "id:\n  type: str"}, "m.py")
    assert filled == ("options:\n  # BEGIN generated: item options (scripts/generate; do not edit by hand)\n"
                      "  id:\n    type: str\n  # END generated: item options\n")


def test_a_module_without_a_region_it_needs_is_named_with_the_region():
    generator = _generator()
    with pytest.raises(generator.RegionError, match=r"new_kind\.py: no region 'record fields'"):
        generator.with_regions("options: {}\n", {"record fields": "id: {}"}, "plugins/modules/new_kind.py")
    with pytest.raises(generator.RegionError, match=r"m\.py:1: unexpected region 'json_query assertions'"):
        generator.with_regions("# BEGIN generated: json_query assertions\n# END generated: json_query assertions\n",
                               {}, "m.py")
