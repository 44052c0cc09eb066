# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check kind prometheus_query: a PromQL query's value graded against warn and fail levels (private).

Read-only GETs of Prometheus's HTTP API: ``/api/v1/query`` for an instant query (and, with ``max_staleness``,
the same query wrapped in ``timestamp()``), or ``time()`` and ``/api/v1/query_range`` for a range.
"""

from __future__ import annotations

import math
import re

from ansible_collections.golive.readiness.plugins.module_utils._check import (
    STATUS_RANK,
    UNIT_FORMATTERS,
    CheckError,
    Evaluation,
    OptionError,
    checked_number,
    format_duration,
    format_value,
    limit_from_options,
    mask_url,
    parse_duration,
    parse_percent,
    parse_size,
    quantity,
    worst,
)
from ansible_collections.golive.readiness.plugins.module_utils._http_json import (
    CONNECTION_OPTIONS,
    JsonApi,
    prepare_connection,
)
from ansible_collections.golive.readiness.plugins.module_utils._prometheus import (
    instant_query,
    range_query,
    server_time,
)

KIND = "prometheus_query"
SECTION = "monitoring"
SEVERITY = "high"
VARIABLES = {"golive_prometheus_queries": "monitoring"}
ENDPOINT = True

# The unit of the query's value, and the record unit it is shown in: a ratio (0.05) is shown as a percent.
QUERY_UNITS = {"ratio": "percent", "percent": "percent", "seconds": "seconds", "ms": "ms", "bytes": "bytes",
               "count": "count", "none": "ratio"}
OPTIONS = dict(CONNECTION_OPTIONS)
OPTIONS.update(
    query=dict(type="str", required=True),
    name=dict(type="str"),
    unit=dict(type="str", default="none", choices=list(QUERY_UNITS)),
    warn_above=dict(type="raw"),
    fail_above=dict(type="raw"),
    warn_below=dict(type="raw"),
    fail_below=dict(type="raw"),
    expect_series=dict(type="str", default="one", choices=["one", "any", "all"]),
    range=dict(type="str"),
    step=dict(type="str"),
    reduce=dict(type="str", choices=["worst", "max", "min", "avg", "last"]),
    max_staleness=dict(type="str"),
    no_data=dict(type="str", default="error", choices=["error", "pass", "warn", "fail"]),
)

# A query over many series answers megabytes; more than this is no value to grade.
QUERY_ANSWER_CAP = 16 * 1024 * 1024
# Prometheus refuses a range query of more points per series than this.
MAX_POINTS = 11000
STEPS_PER_RANGE = 60  # a range's default step divides it into this many steps
SHOWN_SERIES = 10  # series listed in observed
SUMMARY_SERIES = 3  # of which named in the summary
_HAS_UNIT = re.compile(r"[A-Za-z%]")


def describe(item):
    url = mask_url(item.get("url") or "")
    name = (item.get("name") or "").strip()
    if name:
        return name, f"{name} from Prometheus at {url}"
    query = " ".join((item.get("query") or "").split())
    return f"{url}:{query}", f"Prometheus query {query} at {url}"


# --- options ------------------------------------------------------------------------------------

def _plain_number(value, option):
    if isinstance(value, bool):
        raise OptionError(f"{option}: {value!r} is not a number")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise OptionError(f"{option}: {value!r} is not a number") from None
    return checked_number(number, option, "float", value)


def _level_parser(unit):
    """How a level is read for a query of ``unit``, into the unit the record shows: a plain number is in the
    query's unit (a ratio's 0.05 is 5%), a text may carry its own ('5%', '500ms', '512MB')."""
    def parse(value, option):
        has_unit = isinstance(value, str) and bool(_HAS_UNIT.search(value))
        if unit == "ratio":
            return parse_percent(value, option) if has_unit else _plain_number(value, option) * 100
        if unit == "percent":
            return parse_percent(value, option)
        if unit == "seconds":
            return parse_duration(value, option)
        if unit == "ms":
            return parse_duration(value, option) * 1000 if has_unit else _plain_number(value, option)
        if unit == "bytes":
            return parse_size(value, option)
        return _plain_number(value, option)
    return parse


def _positive_duration(item, option):
    if item.get(option) is None:
        return None
    seconds = parse_duration(item[option], option)
    if seconds <= 0:
        raise OptionError(f"{option}: must be longer than 0s, got {item[option]!r}")
    return seconds


def _range_plan(item):
    """(range, step) in seconds, (None, None) for an instant query."""
    span = _positive_duration(item, "range")
    step = _positive_duration(item, "step")
    if span is None:
        for option in ("step", "reduce"):
            if item.get(option) is not None:
                raise OptionError(f"{option}: only applies with range (a range query)")
        return None, None
    if step is None:
        step = max(1.0, span / STEPS_PER_RANGE)
    if span / step > MAX_POINTS:
        raise OptionError(f"step: {item.get('step')!r} makes more than {MAX_POINTS} points of range "
                          f"{item['range']!r} (Prometheus's limit); give a longer step")
    return span, step


def prepare(item):
    query = (item.get("query") or "").strip()
    if not query:
        raise OptionError("query: must not be empty")
    unit = item["unit"]
    parse = _level_parser(unit)
    record_unit = QUERY_UNITS[unit]
    span, step = _range_plan(item)
    return dict(
        connection=prepare_connection(item),
        query=query,
        label=(item.get("name") or "").strip() or "value",
        scale=100.0 if unit == "ratio" else 1.0,
        unit=record_unit,
        limits=[limit_from_options(item, "", direction, parse, UNIT_FORMATTERS[record_unit])
                for direction in ("below", "above")],
        expect_series=item["expect_series"],
        range=span,
        step=step,
        reduce=item.get("reduce") or "worst",
        max_staleness=_positive_duration(item, "max_staleness"),
        no_data=item["no_data"],
    )


# --- grading one series ---------------------------------------------------------------------------

class Graded(object):
    """One series' value in the record's unit, its status, and why it could not be graded (``problem``)."""

    def __init__(self, series, value=None, status="pass", problem=None, age=None):
        self.series = series
        self.labels = series.shown_labels()
        self.value = value
        self.status = status
        self.problem = problem
        self.age = age

    def shown(self, unit):
        shown = dict(labels=self.labels, value=None if self.value is None else quantity(self.value, unit),
                     status=self.status)
        if self.age is not None:
            shown["age"] = quantity(round(self.age, 3), "seconds")
        if self.problem:
            shown["problem"] = self.problem
        return shown


def _set_limits(plan):
    return [limit for limit in plan["limits"] if limit.is_set]


def grade_value(plan, value):
    return worst(limit.grade(value) for limit in _set_limits(plan))


def describe_levels(plan):
    return ", ".join(limit.describe(plan["unit"]) for limit in _set_limits(plan))


def reduced_value(plan, values):
    """The one value a range's series is graded on, by ``reduce``, of its values in the record's unit."""
    how = plan["reduce"]
    if how == "last":
        return values[-1]
    if how == "avg":
        return math.fsum(values) / len(values)
    if how in ("max", "min"):
        return max(values) if how == "max" else min(values)
    directions = [limit.direction for limit in _set_limits(plan)]
    candidates = ([max(values)] if "above" in directions else []) + ([min(values)] if "below" in directions else [])
    if not candidates:
        return values[-1]
    return max(candidates, key=lambda value: STATUS_RANK[grade_value(plan, value)])


def grade_series(plan, series, now, stamps):
    """The Graded of one series: its age against ``max_staleness`` first, then its value against the levels."""
    age = None
    if plan["max_staleness"] is not None:
        newest = stamps.get(_key(series.labels), series.samples[-1][0]) if stamps is not None else series.samples[-1][0]
        age = max(0.0, now - newest)
        if age > plan["max_staleness"]:
            problem = "stale: newest sample {} old (max_staleness {})".format(
                format_duration(age), format_duration(plan["max_staleness"]))
            return Graded(series, status="error", age=age, problem=problem)
    values = [value * plan["scale"] for dummy, value in series.samples if math.isfinite(value)]
    if not values:
        last = series.samples[-1][1]
        return Graded(series, status="error", age=age, problem=f"is {_shown_float(last)}, not a number to grade"
                      + (" (0/0: nothing happened in the window?)" if math.isnan(last) else ""))
    value = reduced_value(plan, values)
    return Graded(series, value=value, status=grade_value(plan, value), age=age)


def _shown_float(value):
    return "NaN" if math.isnan(value) else ("+Inf" if value > 0 else "-Inf")


def _key(labels):
    return frozenset((name, value) for name, value in labels.items() if name != "__name__")


# --- fetching --------------------------------------------------------------------------------------

def fetch(plan, api):
    """([Series], the time they are graded at, {labels: newest sample time} or None)."""
    if plan["range"] is not None:
        end = server_time(api)
        _kind, series = range_query(api, plan["query"], end - plan["range"], end, plan["step"])
        return series, end, None
    kind, series = instant_query(api, plan["query"])
    if kind == "matrix":
        raise CheckError("the query returns a range vector (a selector with [...]): grade a function of it "
                         "(avg_over_time(up[1h])) or give range for a range query")
    now = series[0].samples[-1][0] if series else None
    stamps = None
    if series and kind == "vector" and plan["max_staleness"] is not None:
        stamps = sample_times(api, plan["query"], now)
    return series, now, stamps


def sample_times(api, query, at):
    """{labels: time of the newest sample} by PromQL's timestamp(): a selector's samples keep the time they
    were scraped at, while an expression (a rate, a sum) is dated at the evaluation time."""
    # The newline ends a trailing comment of the query before the closing parenthesis.
    _kind, stamped = instant_query(api, f"timestamp(\n{query}\n)", at)
    return dict((_key(series.labels), series.samples[-1][1]) for series in stamped)


# --- the verdict -----------------------------------------------------------------------------------

def _named(graded, unit):
    parts = []
    for one in graded[:SUMMARY_SERIES]:
        parts.append(f"{one.labels} {one.problem}" if one.problem else f"{one.labels} {format_value(one.value, unit)}")
    more = len(graded) - SUMMARY_SERIES
    return ", ".join(parts) + (f" and {more} more" if more > 0 else "")


def _ordered(graded):
    """Worst status first; within one, the series as Prometheus listed them."""
    return sorted(graded, key=lambda one: -STATUS_RANK[one.status])


def check_no_data(plan, ev):
    ev.expect("no_data", plan["no_data"])
    message = "no data: the query returned no series"
    if plan["no_data"] == "pass":
        ev.note(message + " (no_data: pass)")
    else:
        ev.finding(plan["no_data"], message)


def _graded_message(plan, one):
    if one.problem:
        prefix = "" if plan["label"] == "value" else plan["label"] + " "
        return f"{prefix}{one.labels} {one.problem}" if one.labels != "{}" else f"{prefix}{one.problem}".strip()
    shown = f"{plan['label']} {format_value(one.value, plan['unit'])}"
    levels = describe_levels(plan)
    return f"{shown} ({levels})" if levels else shown


def _report(ev, status, message):
    if status == "pass":
        ev.note(message)
    else:
        ev.finding(status, message)


def check_all(plan, graded, ev):
    offenders = [one for one in _ordered(graded) if one.status != "pass"]
    levels = describe_levels(plan)
    if not offenders:
        worst_value = max(graded, key=_closeness(plan))
        ev.note(f"{plan['label']}: {len(graded)} series within levels, the nearest {worst_value.labels} "
                f"{format_value(worst_value.value, plan['unit'])}" + (f" ({levels})" if levels else ""))
        return worst_value
    for status in ("error", "fail", "warn"):
        these = [one for one in offenders if one.status == status]
        if these:
            verb = "could not be graded" if status == "error" else f"outside levels ({levels})"
            ev.finding(status, f"{plan['label']}: {len(these)} of {len(graded)} series {verb}: "
                       f"{_named(these, plan['unit'])}")
    return next((one for one in offenders if one.value is not None), None)


def _closeness(plan):
    """Orders passing series by how near they are to a level: the highest when levels above are set."""
    directions = [limit.direction for limit in _set_limits(plan)]
    return (lambda one: -one.value) if directions == ["below"] else (lambda one: one.value)


def check_any(plan, graded, ev):
    ranked = sorted((one for one in graded if one.value is not None), key=lambda one: STATUS_RANK[one.status])
    if not ranked:
        ev.finding("error", f"{plan['label']}: none of {len(graded)} series could be graded: "
                   f"{_named(graded, plan['unit'])}")
        return None
    best = ranked[0]
    message = f"{_graded_message(plan, best)}, best of {len(graded)} series: {best.labels}"
    _report(ev, best.status, message)
    return best


def check_series(plan, graded, ev):
    """Grade the series as expect_series says; returns the Graded whose value stands for the check."""
    ev.expect("series", plan["expect_series"])
    if plan["expect_series"] == "one":
        if len(graded) > 1:
            ev.finding("error", "{} series where one is expected: {}; aggregate them (sum, max by ...) or set "
                       "expect_series".format(len(graded), ", ".join(g.labels for g in graded[:SUMMARY_SERIES])
                                              + (f" and {len(graded) - SUMMARY_SERIES} more"
                                                 if len(graded) > SUMMARY_SERIES else "")))
            return None
        _report(ev, graded[0].status, _graded_message(plan, graded[0]))
        return graded[0]
    if plan["expect_series"] == "any":
        return check_any(plan, graded, ev)
    return check_all(plan, graded, ev)


def run(plan, ctx):
    api = JsonApi(plan["connection"], ctx.child_timeout(), QUERY_ANSWER_CAP, "QUERY_ANSWER_CAP")
    ev = Evaluation()
    ev.observe("url", mask_url(plan["connection"]["url"]))
    ev.observe("query", plan["query"])
    if plan["range"] is not None:
        ev.observe("range", plan["range"], "seconds")
        ev.observe("step", plan["step"], "seconds")
        ev.observe("reduce", plan["reduce"])
    series, now, stamps = fetch(plan, api)
    ev.observe("series_count", len(series), "count")
    if not series:
        check_no_data(plan, ev)
        return ev.outcome()
    graded = [grade_series(plan, one, now, stamps) for one in series]
    ev.observe("series", [one.shown(plan["unit"]) for one in _ordered(graded)[:SHOWN_SERIES]])
    if _set_limits(plan):
        ev.expect_levels("value", *_set_limits(plan), unit=plan["unit"])
    if plan["max_staleness"] is not None:
        ev.expect_at_most("age", plan["max_staleness"], "seconds")
    standing = check_series(plan, graded, ev)
    if standing is not None and standing.value is not None:
        ev.observe("value", standing.value, plan["unit"])
    if standing is not None and standing.age is not None:
        ev.observe("age", round(standing.age, 3), "seconds")
    return ev.outcome()
