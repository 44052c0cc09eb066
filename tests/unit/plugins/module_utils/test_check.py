"""The result contract helpers: thresholds, parsing, formatting and masking."""

from __future__ import annotations

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._check import (
    Evaluation,
    Limit,
    OptionError,
    check_order,
    format_duration,
    format_size,
    format_value,
    levels_text,
    limit_from_options,
    mask_secret,
    mask_url,
    parse_codes,
    parse_count,
    parse_duration,
    parse_percent,
    parse_size,
    parse_size_or_percent,
    size_or_percent_limits,
    worst,
)


@pytest.mark.parametrize("text, expected", [
    ("20GB", 20 * 1024 ** 3), ("512M", 512 * 1024 ** 2), ("1.5TiB", int(1.5 * 1024 ** 4)),
    ("100", 100), (4096, 4096), ("10 kb", 10240),
])
def test_parse_size(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("30d", 30 * 86400), ("500ms", 0.5), ("2h", 7200), ("90", 90), (1.5, 1.5), ("5m", 300), ("1w", 604800),
])
def test_parse_duration(text, expected):
    assert parse_duration(text) == pytest.approx(expected)


def test_an_unknown_size_unit_lists_every_unit_and_what_they_multiply():
    with pytest.raises(OptionError) as exc:
        parse_size("20XB", "free_warn_below")
    assert str(exc.value) == ("free_warn_below: unknown size unit 'xb' in '20XB' "
                              "(use B, KB, MB, GB, TB or PB, binary: 1KB = 1024 bytes; K, KiB, M, MiB ... too)")
    assert parse_size("1PB") == parse_size("1PiB") == 1024 * parse_size("1TB")


@pytest.mark.parametrize("func, text, fragment", [
    (parse_size, "20XB", "unknown size unit"),
    (parse_size, "lots", "not a number"),
    (parse_size, "-1GB", "must not be negative"),
    (parse_duration, "3 fortnights", "unknown duration unit"),
    (parse_percent, "150%", "outside 0-100%"),
    (parse_percent, "15GB", "not a percentage"),
    (parse_count, "many", "not a number"),
    (parse_count, True, "not a number"),
])
def test_bad_values_name_the_option(func, text, fragment):
    with pytest.raises(OptionError) as exc:
        func(text, "free_warn_below")
    assert str(exc.value).startswith("free_warn_below: ")
    assert fragment in str(exc.value)


def test_size_or_percent():
    assert parse_size_or_percent("15%") == ("percent", 15.0)
    assert parse_size_or_percent("1KB") == ("bytes", 1024)


def test_limit_grades_both_directions():
    low_is_bad = Limit(warn=20, fail=10, direction="below")
    assert [low_is_bad.grade(v) for v in (25, 15, 5)] == ["pass", "warn", "fail"]
    high_is_bad = Limit(warn=80, fail=95, direction="above")
    assert [high_is_bad.grade(v) for v in (50, 85, 99)] == ["pass", "warn", "fail"]
    assert high_is_bad.describe() == "warn > 80, fail > 95"


def test_inverted_levels_are_rejected():
    with pytest.raises(OptionError, match=r"warn level .* must be above the fail level"):
        check_order(Limit(warn=10, fail=20, direction="below"), "free_warn_below/free_fail_below")
    with pytest.raises(OptionError, match="must be below"):
        check_order(Limit(warn=90, fail=80, direction="above"), "x")


def test_evaluation_is_worst_finding_with_failures_first():
    ev = Evaluation()
    ev.measure("free", 15, Limit(warn=20, fail=10), label="free")
    ev.require(False, "owner is nobody", status="fail")
    outcome = ev.outcome()
    assert outcome.status == "fail"
    assert outcome.summary == "owner is nobody; free 15 (warn < 20, fail < 10)"
    assert outcome.observed == {"free": {"value": 15, "unit": "count"}}
    assert outcome.expected == {"free": {"warn": {"below": 20}, "fail": {"below": 10}, "unit": "count"}}


def test_a_measured_size_is_a_quantity_held_against_numeric_levels():
    by_bytes = size_or_percent_limits({"free_warn_below": "20GB", "free_fail_below": "10GB"}, "free")[0]
    ev = Evaluation()
    ev.measure("free_bytes", 82621554688, by_bytes, label="free", formatter=format_size)
    outcome = ev.outcome()
    assert outcome.observed == {"free_bytes": {"value": 82621554688, "unit": "bytes"}}
    assert outcome.expected == {"free_bytes": {"warn": {"below": 20 * 1024 ** 3}, "fail": {"below": 10 * 1024 ** 3},
                                               "unit": "bytes"}}
    assert outcome.summary == "free 76.9 GiB (warn < 20.0 GiB, fail < 10.0 GiB)"


def test_a_metric_without_levels_records_its_quantity_and_no_expectation():
    ev = Evaluation()
    ev.measure("latency", 0.25, Limit(direction="above", formatter=format_duration))
    assert ev.outcome().observed == {"latency": {"value": 0.25, "unit": "seconds"}}
    assert ev.outcome().expected == {}


def test_lower_and_upper_bounds_of_one_metric_merge_into_one_levels_entry():
    ev = Evaluation()
    ev.expect_levels("rows", Limit(warn=10, fail=1, direction="below"), Limit(fail=1000, direction="above"))
    ev.expect_at_most("matches", 5, "count")
    ev.expect_at_least("matches", 1, "count")
    assert ev.expected == {"rows": {"warn": {"below": 10}, "fail": {"below": 1, "above": 1000}, "unit": "count"},
                           "matches": {"fail": {"above": 5, "below": 1}, "unit": "count"}}
    assert levels_text(ev.expected["rows"]) == "warn < 10, fail < 1, fail > 1000"


def test_a_kind_with_its_own_formatter_names_the_unit():
    limit = Limit(fail=30000, direction="above", formatter=lambda ms: f"{ms}ms")
    with pytest.raises(ValueError, match="needs a unit"):
        Evaluation().measure("latency_ms", 12, limit)
    ev = Evaluation()
    ev.measure("latency_ms", 12, limit, unit="ms")
    assert ev.outcome().summary == "latency ms 12ms (fail > 30s)"
    assert ev.expected == {"latency_ms": {"fail": {"above": 30000}, "unit": "ms"}}


@pytest.mark.parametrize("value, unit, shown", [
    (82621554688, "bytes", "76.9 GiB"), (93784, "seconds", "1d 2h"), (850, "ms", "850ms"), (12.5, "percent", "12.5%"),
    (3, "count", "3"), (2.314, "ratio", "2.31"), (1, "days", "1 day"), (13, "days", "13 days"), ("n/a", "bytes", "n/a"),
])
def test_format_value_shows_each_unit_for_people(value, unit, shown):
    assert format_value(value, unit) == shown


def test_unknown_units_are_refused():
    with pytest.raises(ValueError, match="unknown unit"):
        Evaluation().observe("x", 1, "furlongs")
    with pytest.raises(ValueError, match="unknown unit"):
        Limit(fail=1, unit="furlongs")


def test_worst():
    assert worst([]) == "pass"
    assert worst(["pass", "warn", "skipped"]) == "warn"
    assert worst(["fail", "error"]) == "error"


def test_formatting():
    assert format_size(20 * 1024 ** 3) == "20.0 GiB"
    assert format_size(12) == "12 B"
    assert format_duration(0.25) == "250ms"
    assert format_duration(86400 * 12 + 3600 * 3 + 5) == "12d 3h"


@pytest.mark.parametrize("secret, shown", [
    ("sk_live_51HxyzABCDEFGHIJKLMNa1b2", "sk_live_\u2026a1b2"),
    ("whsec_abcdefghijklmnopqrstuv9f3c", "whsec_\u20269f3c"),
    ("correct-horse-battery-staple", "\u2026aple"),
    ("short", "****"),
    ("", ""),
])
def test_mask_secret(secret, shown):
    assert mask_secret(secret) == shown


def test_mask_url_hides_password_only():
    assert mask_url("postgresql+psycopg://app:s3cr3t@db:5432/app") == "postgresql+psycopg://app:****@db:5432/app"
    assert mask_url("sqlite:///tmp/x.db") == "sqlite:///tmp/x.db"


def test_limit_from_options_reads_both_levels_and_names_them_in_errors():
    limit = limit_from_options({"load_warn_above": "2", "load_fail_above": 4}, "load", "above", parse_count)
    assert (limit.warn, limit.fail, limit.direction) == (2, 4, "above")
    assert not limit_from_options({}, "load", "above", parse_count).is_set
    with pytest.raises(OptionError, match=r"^load_warn_above/load_fail_above: the warn level"):
        limit_from_options({"load_warn_above": 5, "load_fail_above": 4}, "load", "above", parse_count)
    with pytest.raises(OptionError, match=r"^load_fail_above: "):
        limit_from_options({"load_fail_above": "lots"}, "load", "above", parse_count)


def test_default_levels_apply_as_a_pair_only_when_the_item_sets_neither():
    defaults = ("30", "14")
    both = limit_from_options({}, "days", "below", parse_count, defaults=defaults)
    assert (both.warn, both.fail) == (30, 14)
    # A stricter fail level alone would clash with the default warn level: it comes alone.
    alone = limit_from_options({"days_fail_below": 60}, "days", "below", parse_count, defaults=defaults)
    assert (alone.warn, alone.fail) == (None, 60)
    only_fail = limit_from_options({}, "age", "above", parse_duration, defaults=(None, "26h"))
    assert (only_fail.warn, only_fail.fail) == (None, 26 * 3600)
    by_bytes, by_percent = size_or_percent_limits({}, "free", defaults=("15%", "5%"))
    assert not by_bytes.is_set and (by_percent.warn, by_percent.fail) == (15.0, 5.0)
    by_bytes, by_percent = size_or_percent_limits({"free_fail_below": "1GB"}, "free", defaults=("15%", "5%"))
    assert by_bytes.fail == 1024 ** 3 and not by_percent.is_set


def test_size_or_percent_limits_split_each_level_by_unit():
    by_bytes, by_percent = size_or_percent_limits({"free_warn_below": "20GB", "free_fail_below": "5%"}, "free")
    assert (by_bytes.warn, by_bytes.fail) == (20 * 1024 ** 3, None)
    assert (by_percent.warn, by_percent.fail) == (None, 5.0)
    with pytest.raises(OptionError, match=r"^free_warn_below/free_fail_below: "):
        size_or_percent_limits({"free_warn_below": "5GB", "free_fail_below": "10GB"}, "free")


def test_parse_codes_reads_lists_and_comma_strings_and_names_the_option():
    assert parse_codes("0, 3", "expect_rc", "an exit code", "exit code") == [0, 3]
    assert parse_codes(200, "status", "an HTTP status code", "status code", 100, 599) == [200]
    with pytest.raises(OptionError, match=r"^status: 700 is not an HTTP status code \(100-599\)$"):
        parse_codes([200, 700], "status", "an HTTP status code", "status code", 100, 599)
    with pytest.raises(OptionError, match=r"^expect_rc: True is not an exit code$"):
        parse_codes(True, "expect_rc", "an exit code", "exit code")
    with pytest.raises(OptionError, match=r"^expect_rc: must list at least one exit code$"):
        parse_codes([], "expect_rc", "an exit code", "exit code")
