"""Numbers are numbers: every kind's options refuse NaN, infinities, values outside their range and NUL bytes."""

from __future__ import annotations

import importlib
import math
import re

import pytest
import yaml

from ansible_collections.golive.readiness.plugins.module_utils._check import (
    RANGES_BY_OPTION,
    RANGES_BY_UNIT,
    OptionError,
    checked_number,
    number_range,
    parse_count,
    parse_duration,
    parse_percent,
    parse_size,
)
from ansible_collections.golive.readiness.plugins.module_utils._module import (
    COMMON_ITEM_OPTIONS,
    RUN_OPTIONS,
    CheckBatch,
    item_spec,
    option_problems,
    run_option_problems,
)
from ansible_collections.golive.readiness.plugins.module_utils._registry import KINDS
from ansible_collections.golive.readiness.tests.unit.plugins.modules._adhoc import ansible_run

NAN, INF = float("nan"), float("inf")
NUMBER_TYPES = ("int", "float")
STRING_TYPES = ("str", "path")
# What the modules' EXAMPLES template from the vault or inventory, replaced by values of the same shape.
TEMPLATED = {
    "url": "postgresql+psycopg://golive@db.example.com:5432/shop",
    "secret_key": "sk_test_" + "4eC39HqLyjWDarjtT1zdp7dc",
}


def numeric_leaves(spec, prefix=""):
    """(option path, its spec, a params dict that sets it to a placeholder) of every int/float option,
    suboptions and list elements included; the placeholder is replaced by the test's value."""
    for name, option in spec.items():
        path = f"{prefix}{name}"
        if option.get("options"):
            for sub_path, sub_option, wrap in numeric_leaves(option["options"], f"{path}."):
                nested = option.get("type") == "list"
                yield sub_path.replace(f"{path}.", f"{path}[0]." if nested else f"{path}.", 1), sub_option, (
                    lambda value, wrap=wrap, name=name, nested=nested:
                    {name: [wrap(value)] if nested else wrap(value)})
        elif (option.get("elements") if option.get("type") == "list" else option.get("type")) in NUMBER_TYPES:
            unit = option.get("elements") if option.get("type") == "list" else option["type"]
            if option.get("type") == "list":
                yield f"{path}[0]", dict(option, type=unit), lambda value, name=name: {name: [value]}
            else:
                yield path, option, lambda value, name=name: {name: value}


def string_leaves(spec, prefix=""):
    """Like numeric_leaves, for every str/path option (list elements and suboptions included)."""
    for name, option in spec.items():
        path = f"{prefix}{name}"
        if option.get("options"):
            nested = option.get("type") == "list"
            for sub_path, wrap in string_leaves(option["options"], f"{path}[0]." if nested else f"{path}."):
                yield sub_path, (lambda value, wrap=wrap, name=name, nested=nested:
                                 {name: [wrap(value)] if nested else wrap(value)})
        elif option.get("type") == "list" and option.get("elements") in STRING_TYPES:
            yield f"{path}[0]", lambda value, name=name: {name: [value]}
        elif option.get("type", "str") in STRING_TYPES:
            yield path, lambda value, name=name: {name: value}


def out_of_range_values(path, spec_type):
    allowed = number_range(path, spec_type)
    return [NAN, INF, -INF, allowed.high + 1, allowed.low - 1]


def numeric_cases():
    for kind in sorted(KINDS):
        for path, option, wrap in numeric_leaves(item_spec(KINDS[kind])):
            for value in out_of_range_values(path, option["type"]):
                yield pytest.param(kind, path, option["type"], wrap(value), value, id=f"{kind}-{path}-{value!r}")


def nul_cases():
    for kind in sorted(KINDS):
        for path, wrap in string_leaves(item_spec(KINDS[kind])):
            yield pytest.param(kind, path, wrap("bad\x00value"), id=f"{kind}-{path}")


@pytest.mark.parametrize("kind, path, spec_type, params, value", list(numeric_cases()))
def test_every_number_option_of_every_kind_refuses_nan_infinity_and_out_of_range(
        kind, path, spec_type, params, value):
    problems = option_problems(params, item_spec(KINDS[kind]))
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{path}: "), problems
    assert ("is outside" if math.isfinite(value) else "is not a finite number") in problems[0]
    assert number_range(path, spec_type).shown in problems[0]


@pytest.mark.parametrize("kind, path, params", list(nul_cases()))
def test_every_string_option_of_every_kind_refuses_a_nul_byte(kind, path, params):
    problems = option_problems(params, item_spec(KINDS[kind]))
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{path}: ") and "contains a NUL byte" in problems[0], problems


def test_the_walk_finds_numbers_and_strings_in_every_kind():
    """Guards the two walks above against silently finding nothing (a spec shape they would miss)."""
    numbers = {path for kind in KINDS for path, *dummy in numeric_leaves(item_spec(KINDS[kind]))}
    strings = {path for kind in KINDS for path, *dummy in string_leaves(item_spec(KINDS[kind]))}
    assert {"port", "max_findings", "json_query[0].min", "json_query[0].length", "rate_limit.max_requests"} <= numbers
    assert {"id", "path", "title", "argv[0]", "required_routes[0].receiver", "indexes[0].table"} <= strings


# --- through the real batch: every option of every kind, from a valid item of the module's EXAMPLES --------------

def example_item(kind):
    """The first item of the kind module's EXAMPLES that validates, templated values replaced."""
    module = importlib.import_module(f"ansible_collections.golive.readiness.plugins.modules.{kind}")
    for task in yaml.safe_load(module.EXAMPLES):
        for key, args in task.items():
            if not key.endswith(f".{kind}") or not isinstance(args, dict):
                continue
            for item in args.get("checks") or []:
                item = dict((name, TEMPLATED.get(name, "s3cr3t-from-vault") if "{{" in str(value) else value)
                            for name, value in item.items())
                if not batch_errors(kind, item)[0]:
                    return item
    raise AssertionError(f"{kind}: no item of the module's EXAMPLES validates; keep one that does")


def batch_errors(kind, item):
    batch = CheckBatch({})
    batch.add_mixed("golive_items[0]", dict(item, kind=kind), KINDS)
    return batch.errors, batch


def prepared_floats(value, depth=0, seen=None):
    """Every float inside a prepared check (its plan's dicts, lists and objects)."""
    seen = set() if seen is None else seen
    if depth > 8 or id(value) in seen or callable(value):
        return
    seen.add(id(value))
    if isinstance(value, float):
        yield value
    elif isinstance(value, dict):
        for entry in value.values():
            yield from prepared_floats(entry, depth + 1, seen)
    elif isinstance(value, (list, tuple, set)):
        for entry in value:
            yield from prepared_floats(entry, depth + 1, seen)
    elif hasattr(value, "__dict__") and not isinstance(value, type):
        yield from prepared_floats(vars(value), depth + 1, seen)


def top_level_options(kind):
    return sorted(set(KINDS[kind].OPTIONS) | set(COMMON_ITEM_OPTIONS))


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_no_kind_lets_nan_or_infinity_into_a_prepared_check(kind):
    """Whatever an option means, NaN or infinity given to it is refused (a YAML float naming the option),
    or what the kind keeps of it holds no such number (a name 'nan' is a name): so a kind reading a
    number itself, without the shared parsers, is caught here too."""
    base = example_item(kind)
    for name in top_level_options(kind):
        for value in (NAN, INF, -INF, "nan", "inf", "-inf", "1e400", "NaN"):
            errors, batch = batch_errors(kind, dict(base, **{name: value}))
            if errors:  # text may be refused for what it does to another option ('nan' as the one server)
                if isinstance(value, float):
                    assert any(re.search(rf"\b{name}\b", error) for error in errors), (name, value, errors)
                continue
            [check] = batch.prepared
            assert all(math.isfinite(number) for number in prepared_floats(check.plan)), (name, value)
            assert math.isfinite(check.timeout), (name, value)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_refuses_a_nul_byte_in_any_string_option_by_name(kind):
    base = example_item(kind)
    for name, option in item_spec(KINDS[kind]).items():
        kind_of = option.get("type", "str")
        if kind_of in ("int", "float", "bool") or option.get("choices"):
            continue
        value = {"key": "a\x00b"} if kind_of == "dict" else ["a\x00b"] if kind_of == "list" else "a\x00b"
        if option.get("options"):
            continue  # suboptions: covered by test_every_string_option_of_every_kind_refuses_a_nul_byte
        errors = batch_errors(kind, dict(base, **{name: value}))[0]
        assert errors, (name, value)
        assert any(f": {name}" in error or f"'{name}'" in error for error in errors), (name, errors)


# --- the shared parsers and the run options -----------------------------------------------------------------

@pytest.mark.parametrize("parse, value, fragment", [
    (parse_size, "100000000000000000000000PB", "is outside 0 B to 1 EiB"),
    (parse_size, "1e23PB", "is not a number with an optional unit (allowed: 0 B to 1 EiB)"),
    (parse_size, 1e23, "is outside 0 B to 1 EiB"),
    (parse_size, NAN, "is not a finite number (allowed: 0 B to 1 EiB)"),
    (parse_size, 10 ** 400, "is outside 0 B to 1 EiB"),
    (parse_duration, NAN, "is not a finite number (allowed: 0s to 3650d)"),
    (parse_duration, INF, "is not a finite number"),
    (parse_duration, "3651d", "is outside 0s to 3650d"),
    (parse_percent, NAN, "is not a finite number (allowed: 0-100%)"),
    (parse_count, "nan", "is not a finite number (allowed: 0 to 1000000000000)"),
    (parse_count, "inf", "is not a finite number"),
    (parse_count, "1e23", "is outside 0 to 1000000000000"),
    (parse_count, 10 ** 400, "is not a finite number"),
])
def test_parsers_refuse_what_is_not_a_sane_number_naming_option_value_and_range(parse, value, fragment):
    with pytest.raises(OptionError) as exc:
        parse(value, "size_fail_below")
    assert str(exc.value).startswith("size_fail_below: ")
    assert fragment in str(exc.value)
    assert len(str(exc.value)) < 200  # a 400-digit number is cut short


@pytest.mark.parametrize("option, value", [("timeout", "25h"), ("deadline", 0), ("connect_timeout", NAN)])
def test_time_limits_are_one_range_whatever_the_kind(option, value):
    with pytest.raises(OptionError, match=f"^{option}: .*{RANGES_BY_OPTION[option].shown}\\)?$"):
        parse_duration(value, option)


@pytest.mark.parametrize("option, value", [("port", 65536), ("nameserver_port", 0), ("max_workers", 0),
                                           ("rate_limit.expect_status", 600), ("pid", 2 ** 22 + 1)])
def test_options_named_alike_in_every_kind_have_one_range(option, value):
    allowed = RANGES_BY_OPTION[option.rsplit(".", 1)[-1]]
    with pytest.raises(OptionError, match=f"^{re.escape(option)}: {value} is outside {allowed.shown}$"):
        checked_number(value, option, "int")


def test_every_unit_has_a_range_stated_for_people():
    for table in (RANGES_BY_OPTION, RANGES_BY_UNIT):
        for name, allowed in table.items():
            assert allowed.low < allowed.high and allowed.shown, name


@pytest.mark.parametrize("params, message", [
    (dict(deadline=NAN), "deadline: nan is not a finite number (allowed: 1ms to 24h)"),
    (dict(deadline=".nan"), "deadline: '.nan' is not a number with an optional unit (allowed: 1ms to 24h)"),
    (dict(timeout=INF), "timeout: inf is not a finite number (allowed: 1ms to 24h)"),
    (dict(timeout="0s"), "timeout: '0s' is outside 1ms to 24h"),
    (dict(deadline="2d"), "deadline: '2d' is outside 1ms to 24h"),
    (dict(max_workers=0), "max_workers: 0 is outside 1 to 256"),
    (dict(max_workers=10 ** 6), "max_workers: 1000000 is outside 1 to 256"),
    (dict(section="data\x00"), "section: contains a NUL byte"),
])
def test_run_options_are_refused_once_each_with_a_named_error(params, message):
    assert run_option_problems(params) == [message]
    batch = CheckBatch(params)
    batch.add("checks[0]", {"path": "/"}, KINDS["disk_space"])
    assert batch.errors == [message]  # said once, not again for every item that inherits it


def test_run_option_defaults_are_within_their_ranges():
    defaults = dict((name, option["default"]) for name, option in RUN_OPTIONS.items() if "default" in option)
    assert run_option_problems(defaults) == []


def test_a_secret_option_with_a_nul_byte_is_refused_without_showing_it():
    errors = batch_errors("command_output", {"argv": ["true"], "env": {"API_TOKEN": "tok-9f8e\x007d6c"}})[0]
    assert errors == ["golive_items[0] (command_output): env.API_TOKEN: contains a NUL byte"]
    assert "tok-9f8e" not in errors[0]


# --- db_data_quality: a bound the database cannot compare is an option error ------------------------------------

DQ = dict(url="postgresql+psycopg://postgres@127.0.0.1:5432/postgres", table="users", test="accepted_range",
          column="age")


@pytest.mark.parametrize("bounds, message", [
    (dict(min="abc"), "min: 'abc' is neither a number nor a date/time"),
    (dict(max=["a"]), "max: ['a'] is not a single value"),
    (dict(min=True), "min: True is neither a number nor a date/time"),
    (dict(min=NAN), "min: nan is not a finite number"),
    (dict(max="inf"), "max: 'inf' is not a finite number"),
    (dict(max=2 ** 64), "max: 18446744073709551616 is outside the range of a 64-bit integer"),
    (dict(min=10, max=5), "min/max: min 10 is above max 5"),
])
def test_data_quality_bound_that_cannot_be_compared_is_an_option_error(bounds, message):
    errors = batch_errors("db_data_quality", dict(DQ, **bounds))[0]
    assert len(errors) == 1 and errors[0].startswith(f"golive_items[0] (db_data_quality): {message}"), errors


@pytest.mark.parametrize("bounds", [dict(min=18, max=120), dict(min="18"), dict(max=99.5), dict(min="2024-05-01"),
                                    dict(min="2024-05-01T12:00:00Z", max="2024-06-01 00:00:00")])
def test_data_quality_bounds_that_compare_are_kept_as_given(bounds):
    errors, batch = batch_errors("db_data_quality", dict(DQ, **bounds))
    assert errors == []
    plan = batch.prepared[0].plan
    assert (plan["min"], plan["max"]) == (bounds.get("min"), bounds.get("max"))


# --- the module path: real `ansible localhost -m`; its JSON arguments carry NaN and Infinity as numbers -----------

@pytest.mark.parametrize("module, args, message", [
    ("verify", dict(deadline=NAN, checks=[dict(kind="disk_space", path="/")]),
     "deadline: nan is not a finite number (allowed: 1ms to 24h)"),
    ("verify", dict(checks=[dict(kind="tcp_port", host="127.0.0.1", port=INF)]),
     "checks[0].port: inf is not a finite number (allowed: 1-65535)"),
    ("tcp_port", dict(checks=[dict(host="127.0.0.1", port="inf")]),
     "checks[0].port: 'inf' is not a finite number (allowed: 1-65535)"),
    ("disk_space", dict(checks=[dict(path="/", timeout=NAN)]),
     "checks[0].timeout: nan is not a finite number (allowed: 1ms to 24h)"),
    ("disk_space", dict(max_workers=300, checks=[dict(path="/")]), "max_workers: 300 is outside 1 to 256"),
    ("db_server", dict(checks=[dict(url="postgresql+psycopg://app@127.0.0.1:5432/app", password="Pw-9f8e7d6c5b",
                                    connect_timeout=INF)]),
     "checks[0].connect_timeout: inf is not a finite number (allowed: 1ms to 24h)"),
])
def test_modules_refuse_bad_numbers_with_a_named_error_not_a_traceback(module, args, message):
    done, result = ansible_run(module, args, verbose=True)  # -vvv: the returned arguments are shown
    assert "localhost | FAILED!" in done.stdout, done.stdout
    assert message in result["msg"] and result["errors"] == [message], result
    assert "Traceback" not in done.stdout + done.stderr
    assert "Pw-9f8e7d6c5b" not in done.stdout + done.stderr  # the arguments come back with the failure
