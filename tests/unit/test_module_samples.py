"""Every module's documented golive_checks sample is a record of the current contract.

Each sample record must validate against the record definition of docs/report.schema.json (without the
fields only the report adds: host, blocking, probe, waiver), every name in its observed and expected must be
one its kind's code writes, and a name the kind records as a quantity or as levels may not be documented as a
bare number or a text. A sample that drifts from the kind fails naming module, record and field.
"""

from __future__ import annotations

import ast
import functools
import json
import os

import jsonschema
import pytest

from ansible_collections.golive.readiness.plugins.module_utils._registry import KINDS
from ansible_collections.golive.readiness.tests.unit.test_module_docs import MODULES, REPO, module_docs

# Modules whose golive_checks are records of the kinds; gate returns a verdict and documents it elsewhere.
SAMPLED_MODULES = [*sorted(KINDS), "verify"]
# What only the report adds to a record (README, 'The result contract').
REPORT_ONLY_FIELDS = ("host", "blocking", "probe", "waiver")
# What make_record always writes; target only when the item sets it.
RECORD_FIELDS = ("id", "kind", "section", "title", "status", "severity", "summary", "observed", "expected",
                 "duration_ms")
MODULE_UTILS = os.path.join(REPO, "plugins", "module_utils")
_UTILS_PACKAGE = "ansible_collections.golive.readiness.plugins.module_utils"


@functools.lru_cache(maxsize=None)
def record_schema() -> dict:
    """The schema's check definition as a module returns it: without the report's own fields."""
    with open(os.path.join(REPO, "docs", "report.schema.json"), encoding="utf-8") as handle:
        schema = json.load(handle)
    check = dict(schema["$defs"]["check"])
    check["properties"] = {name: spec for name, spec in check["properties"].items() if name not in REPORT_ONLY_FIELDS}
    check["required"] = list(RECORD_FIELDS)
    check["additionalProperties"] = False
    return {"$schema": schema["$schema"], "$defs": schema["$defs"], **check}


@functools.lru_cache(maxsize=None)
def record_validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(record_schema())


def documented_samples(module: str) -> list[dict]:
    golive_checks = module_docs(module)["RETURN"]["golive_checks"]
    return golive_checks.get("sample") or []


# The Evaluation methods that write a name into observed or expected (their first argument).
RECORDING_METHODS = ("observe", "expect", "measure", "expect_levels", "expect_at_least", "expect_at_most")
LEVEL_METHODS = ("measure", "expect_levels", "expect_at_least", "expect_at_most")


def _source_of(module_name: str) -> str | None:
    if not module_name.startswith(_UTILS_PACKAGE + "."):
        return None
    relative = module_name[len(_UTILS_PACKAGE) + 1:].split(".")
    path = os.path.join(MODULE_UTILS, *relative) + ".py"
    return path if os.path.isfile(path) else None


def _recording_calls(tree: ast.AST) -> list[ast.Call]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in RECORDING_METHODS and node.args]


def _looped_names(tree: ast.AST) -> set[str]:
    """Names written through a loop variable: for flag in ("a", "b"): ev.observe(flag, ...)."""
    names = set()
    for loop in ast.walk(tree):
        if not isinstance(loop, ast.For):
            continue
        bound = {node.id for node in ast.walk(loop.target) if isinstance(node, ast.Name)}
        if any(isinstance(call.args[0], ast.Name) and call.args[0].id in bound for call in _recording_calls(loop)):
            names |= {node.value for node in ast.walk(loop.iter)
                      if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    return names


@functools.lru_cache(maxsize=None)
def _names_and_imports(path: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """The names a source file writes into a record itself, and the collection's module_utils it imports from."""
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    names = {name for name in map(_recorded_name, _recording_calls(tree)) if name} | _looped_names(tree)
    imported = (_source_of(node.module) for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module)
    return frozenset(names), tuple(source for source in imported if source)


def _recorded_names(path: str, seen: set[str]) -> set[str]:
    """The names a source file, and the collection's module_utils it imports from, write into a record."""
    if path in seen:
        return set()
    seen.add(path)
    names, imported = _names_and_imports(path)
    return set(names).union(*(_recorded_names(source, seen) for source in imported))


@functools.lru_cache(maxsize=None)
def names_a_kind_can_write(kind: str) -> set[str]:
    """Every name the kind's code writes into observed or expected, by a literal or a loop over literals."""
    return _recorded_names(_kind_source(kind), set())


def _kind_source(kind: str) -> str:
    return os.path.join(MODULE_UTILS, "_checks", f"{kind}.py")


def _recorded_name(call: ast.Call) -> str | None:
    first = call.args[0] if call.args else None
    return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None


def _with_unit(call: ast.Call) -> bool:
    """observe/expect(name, value, unit): a unit given (other than None) makes the value a quantity."""
    unit = call.args[2] if len(call.args) > 2 else next((kw.value for kw in call.keywords if kw.arg == "unit"), None)
    return unit is not None and not (isinstance(unit, ast.Constant) and unit.value is None)


@functools.lru_cache(maxsize=None)
def numbers_with_units(kind: str) -> tuple[set[str], set[str]]:
    """The names the kind's code records, by a literal name, as a quantity in observed and as levels in expected."""
    with open(_kind_source(kind), encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    quantities, levels = set(), set()
    for call in _recording_calls(tree):
        method, name = call.func.attr, _recorded_name(call)
        if name and (method == "measure" or (method == "observe" and _with_unit(call))):
            quantities.add(name)
        if name and method in LEVEL_METHODS:
            levels.add(name)
    return quantities, levels


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def sample_problems(module: str) -> list[str]:
    samples = documented_samples(module)
    if not samples:
        return [f"{module}: golive_checks has no sample"]
    validator = record_validator()
    problems = []
    for index, record in enumerate(samples):
        where = f"{module}: sample[{index}] ({record.get('id') if isinstance(record, dict) else record!r})"
        for error in validator.iter_errors(record):
            field = ".".join(str(part) for part in error.absolute_path) or "(record)"
            problems.append(f"{where}: {field}: {error.message}")
        if not isinstance(record, dict):
            continue
        problems.extend(_name_problems(module, record, where))
    return problems


def _name_problems(module: str, record: dict, where: str) -> list[str]:
    kind = record.get("kind")
    if kind not in KINDS:
        return [f"{where}: kind {kind!r} is not a registered kind"]
    if module != "verify" and kind != module:
        return [f"{where}: kind is {kind!r}, not the module's own"]
    known = names_a_kind_can_write(kind)
    problems = []
    for field in ("observed", "expected"):
        for name in (record.get(field) or {}):
            if name not in known:
                problems.append(f"{where}: {field}.{name}: no such name in the code of kind {kind}")
    return problems + _shape_problems(kind, record, where)


def _shape_problems(kind: str, record: dict, where: str) -> list[str]:
    """A bare number where the kind records a quantity, or a plain value where it records levels."""
    quantities, levels = numbers_with_units(kind)
    observed, expected = record.get("observed") or {}, record.get("expected") or {}
    problems = [f"{where}: observed.{name}: a bare number, but kind {kind} records it as {{value, unit}}"
                for name in sorted(quantities & observed.keys()) if _is_number(observed[name])]
    problems += [f"{where}: expected.{name}: {expected[name]!r}, but kind {kind} records levels {{warn, fail, unit}}"
                 for name in sorted(levels & expected.keys()) if not isinstance(expected[name], dict)]
    return problems


@pytest.mark.parametrize("module", SAMPLED_MODULES)
def test_documented_sample_records_follow_the_contract(module):
    problems = sample_problems(module)
    assert not problems, "\n".join(problems)


def test_an_option_name_is_not_a_recorded_name():
    """Version 1 observed alertmanager's min_receivers, an option the kind still reads but no longer records."""
    names = names_a_kind_can_write("alertmanager")
    assert {"notifying_receivers", "cluster_peers", "required_receivers"} <= names
    assert "min_receivers" not in names
    assert {"body_regex", "body_not_regex"} <= names_a_kind_can_write("http_endpoint")  # written through a loop


def test_every_sampled_module_exists():
    missing = [name for name in SAMPLED_MODULES if not os.path.isfile(os.path.join(MODULES, f"{name}.py"))]
    assert not missing, missing


def test_a_version_1_record_is_named_by_module_and_field():
    record = {"id": "disk_space:/", "kind": "disk_space", "section": "infrastructure", "title": "Disk space on /",
              "status": "warn", "severity": "high", "summary": "free 14.2 GiB",
              "observed": {"free_bytes": {"value": 15246948352, "unit": "bytes"}, "matches_max": 3},
              "expected": {"free_bytes": "warn < 20.0 GiB"}, "duration_ms": 1}
    validator = jsonschema.Draft202012Validator(record_schema())
    assert not list(validator.iter_errors({**record, "expected": {}}))
    assert [list(error.absolute_path) for error in validator.iter_errors(record)] == []  # a text is a plain value
    record["expected"] = {"free_bytes": {"warn": "20 GiB", "unit": "bytes"}}
    assert [list(error.absolute_path) for error in validator.iter_errors(record)] == [["expected", "free_bytes"]]
    assert _name_problems("disk_space", record, "disk_space: sample[0]") == [
        "disk_space: sample[0]: observed.matches_max: no such name in the code of kind disk_space"]
    record["observed"] = {"free_bytes": 15246948352, "total_bytes": {"value": 53687091200, "unit": "bytes"}}
    record["expected"] = {"free_bytes": "warn < 20.0 GiB"}
    assert _name_problems("disk_space", record, "disk_space: sample[0]") == [
        "disk_space: sample[0]: observed.free_bytes: a bare number, but kind disk_space records it as {value, unit}",
        "disk_space: sample[0]: expected.free_bytes: 'warn < 20.0 GiB', but kind disk_space records levels "
        "{warn, fail, unit}"]
