# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check kind test_results: a JUnit XML report says the release's tests ran, recently, and passed (private).

pytest (``--junitxml``), Maven Surefire, jest-junit and most CI tools write the Ant JUnit shape: a root
``<testsuites>`` or ``<testsuite>``, suites holding ``<testcase>`` elements whose ``<failure>``, ``<error>``
or ``<skipped>`` child says how each ended. The counts are taken from the test cases, as CI servers read
them; a suite listing no test case is counted by its ``tests``/``failures``/``errors``/``skipped``
attributes.
"""

from __future__ import annotations

from typing import NamedTuple

from ansible_collections.golive.readiness.plugins.module_utils._check import (
    CheckError,
    Evaluation,
    Limit,
    OptionError,
    parse_count,
)
from ansible_collections.golive.readiness.plugins.module_utils._evidence import (
    EVIDENCE_OPTIONS,
    describe_source,
    grade_age,
    parse_timestamp,
    parse_xml,
    prepare_source,
    read_evidence,
)
from ansible_collections.golive.readiness.plugins.module_utils._evidence import (
    PROBE_OPTION as EVIDENCE_PROBE_OPTION,
)

KIND = "test_results"
SECTION = "application"
SEVERITY = "high"
VARIABLES = {"golive_test_results": "application"}
PROBE_OPTION = EVIDENCE_PROBE_OPTION  # items with url run from the probe hosts, items with path on the host
OPTIONS = dict(EVIDENCE_OPTIONS)
OPTIONS.update(
    suite=dict(type="str"),
    min_tests=dict(type="int", default=1),
    max_failures=dict(type="int", default=0),
    max_errors=dict(type="int", default=0),
    max_skipped=dict(type="int"),
)

# A JUnit report of tens of thousands of test cases with their output stays within a few MiB.
TEST_RESULTS_CAP = 32 * 1024 * 1024
FORMAT = "a JUnit XML report"
SHOWN_FAILURES = 10  # failing test cases listed in observed
SUMMARY_FAILURES = 3  # of which named in the summary
SHOWN_MESSAGE_CHARS = 200
SHOWN_SUITES = 20
_OUTCOMES = ("failure", "error", "skipped")
_FLAKY = ("flakyFailure", "flakyError")  # Surefire: failed, then passed on a rerun


class Counts(NamedTuple):
    tests: int = 0
    passed: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0
    flaky: int = 0

    def __add__(self, other):
        return Counts(*(mine + theirs for mine, theirs in zip(self, other)))


def describe(item):
    source = describe_source(item)
    if item.get("suite"):
        return "{}:{}".format(source, item["suite"]), "Test results of suite {} in {}".format(item["suite"], source)
    return source, f"Test results in {source}"


# --- options ------------------------------------------------------------------------------------

def _at_most(item, option):
    return None if item.get(option) is None else parse_count(item[option], option)


def prepare(item):
    plan = prepare_source(item)
    suite = item.get("suite")
    if suite is not None and not suite.strip():
        raise OptionError("suite: must name a test suite")
    plan.update(suite=suite, min_tests=_at_most(item, "min_tests"))
    for option in ("max_failures", "max_errors", "max_skipped"):
        plan[option] = _at_most(item, option)
    return plan


# --- reading the report -------------------------------------------------------------------------

def _attribute_count(suite, name, source):
    value = (suite.get(name) or "0").strip()
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if number < 0 or not number.is_integer():
        raise CheckError("{} is not {}: testsuite {!r} has {}={!r}, not a count".format(
            source, FORMAT, suite.get("name") or "", name, value[:40]))
    return int(number)


def _declared_counts(element, source):
    """The counts the innermost suites declare, for a report that lists no test case."""
    leaves = [suite for suite in element.iter("testsuite") if suite.find("testsuite") is None]
    total = Counts()
    for suite in leaves:
        tests, failures, errors, skipped = (_attribute_count(suite, name, source)
                                            for name in ("tests", "failures", "errors", "skipped"))
        total += Counts(tests, max(0, tests - failures - errors - skipped), failures, errors, skipped)
    return total


def _first_line(outcome):
    text = outcome.get("message") or outcome.text or ""
    for line in text.splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= SHOWN_MESSAGE_CHARS else line[:SHOWN_MESSAGE_CHARS - 1] + "\u2026"
    return ""


def _case_name(case):
    classname, name = case.get("classname") or "", case.get("name") or ""
    return f"{classname}::{name}" if classname else name


def _count_cases(cases, failing):
    """Counts of the test cases; each failing one appended to ``failing`` (the first few)."""
    counts = Counts()
    for case in cases:
        outcomes = {child.tag: child for child in case if child.tag in _OUTCOMES or child.tag in _FLAKY}
        failed = [tag for tag in ("failure", "error") if tag in outcomes]
        skipped = "skipped" in outcomes and not failed
        counts += Counts(1, int(not failed and not skipped), int("failure" in outcomes), int("error" in outcomes),
                         int(skipped), int(not failed and any(tag in outcomes for tag in _FLAKY)))
        if failed and len(failing) < SHOWN_FAILURES:
            failing.append(dict(case=_case_name(case), outcome=failed[0], message=_first_line(outcomes[failed[0]])))
    return counts


def _results(elements, source):
    """Counts over the given suites (or report root), and the first failing cases."""
    failing, total = [], Counts()
    for element in elements:
        cases = list(element.iter("testcase"))
        total += _count_cases(cases, failing) if cases else _declared_counts(element, source)
    return total, failing


def _outermost(suites):
    """The suites not nested in another of them (a suite and its parent of the same name count once)."""
    inner = set()
    for suite in suites:
        inner.update(nested for nested in suite.iter("testsuite") if nested is not suite)
    return [suite for suite in suites if suite not in inner]


def _produced_at(elements, source):
    """The newest start time the report gives the suites (or its root), None when it gives none."""
    moments = []
    for element in elements:
        stamp = element.get("timestamp")
        if stamp:
            where = "timestamp of <{} name={!r}>".format(element.tag, element.get("name") or "")
            try:
                moments.append(parse_timestamp(stamp, where))
            except CheckError as exc:
                raise CheckError(f"{source} is not {FORMAT}: {exc}") from None
    return max(moments) if moments else None


def read_report(evidence):
    """The root of a JUnit report; CheckError naming the source and what the root is otherwise."""
    root = parse_xml(evidence, FORMAT)
    if root.tag not in ("testsuites", "testsuite"):
        raise CheckError(f"{evidence.name} is not {FORMAT}: root element <{root.tag}>, expected <testsuites> or "
                         "<testsuite>")
    return root


def _select(root, plan, evidence, ev):
    """The suites the item is about (all of them, or the named one); None after a fail finding."""
    suites = list(root.iter("testsuite"))
    names = list(dict.fromkeys(suite.get("name") or "" for suite in suites))
    ev.observe("suites", len(suites), "count")
    ev.observe("suite_names", names[:SHOWN_SUITES])
    if plan["suite"] is None:
        return suites, [root]
    ev.expect("suite", plan["suite"])
    named = [suite for suite in suites if suite.get("name") == plan["suite"]]
    if not named:
        shown = ", ".join(names[:SHOWN_SUITES]) or "none"
        ev.finding("fail", "no test suite named {} in {} (suites: {})".format(plan["suite"], evidence.name, shown))
        return None, None
    return named, _outermost(named)


# --- grading ------------------------------------------------------------------------------------

def _failing_text(failing, count):
    shown = ["{}{}".format(f["case"], f" ({f['message']})" if f["message"] else "") for f in failing[:SUMMARY_FAILURES]]
    more = count - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _record(plan, counts, failing, ev):
    for name in ("tests", "passed", "failures", "errors", "skipped"):
        ev.observe(name, getattr(counts, name), "count")
    if counts.flaky:
        ev.observe("flaky", counts.flaky, "count")
    if failing:
        ev.observe("failing", failing)
    for name, level, direction in (("tests", plan["min_tests"], "below"), ("failures", plan["max_failures"], "above"),
                                   ("errors", plan["max_errors"], "above"), ("skipped", plan["max_skipped"], "above")):
        if level is not None:
            ev.expect_levels(name, Limit(fail=level, direction=direction))


def _grade(plan, counts, failing, ev):
    if plan["min_tests"] is not None and counts.tests < plan["min_tests"]:
        ev.finding("fail", f"{counts.tests} tests (fail < {plan['min_tests']})")
    for name, outcome, what in (("failures", "failure", "failed"), ("errors", "error", "errored")):
        level, observed = plan[f"max_{name}"], getattr(counts, name)
        if level is not None and observed > level:
            cases = _failing_text([f for f in failing if f["outcome"] == outcome], observed)
            ev.finding("fail", f"{observed} of {counts.tests} tests {what} (fail > {level}): {cases}")
    if plan["max_skipped"] is not None and counts.skipped > plan["max_skipped"]:
        ev.finding("fail", f"{counts.skipped} of {counts.tests} tests skipped (fail > {plan['max_skipped']})")
    parts = [f"{counts.passed} passed"] + [f"{n} {what}" for n, what in (
        (counts.failures, "failed"), (counts.errors, "errored"), (counts.skipped, "skipped")) if n]
    ev.note("{} tests: {}".format(counts.tests, ", ".join(parts)))


def run(plan, ctx):
    ev = Evaluation()
    evidence = read_evidence(plan, ctx, TEST_RESULTS_CAP, "TEST_RESULTS_CAP", ev)
    if evidence is None:
        return ev.outcome()
    root = read_report(evidence)
    ev.observe("format", "junit")
    suites, counted = _select(root, plan, evidence, ev)
    if suites is None:
        return ev.outcome()
    counts, failing = _results(counted, evidence.name)
    _record(plan, counts, failing, ev)
    _grade(plan, counts, failing, ev)
    dated = suites if plan["suite"] is not None else [root, *suites]
    grade_age(plan, evidence, ev, _produced_at(dated, evidence.name))
    return ev.outcome()
