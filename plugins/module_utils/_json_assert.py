# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""JMESPath assertions on a JSON document, shared by the kinds that offer ``json_query`` (private).

jmespath is imported lazily: a kind calls load_jmespath() and reports None as ``error`` with
missing_required_lib("jmespath"); prepare_assertions() validates what it can without it.
"""

from __future__ import annotations

import json
import re

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError

ASSERTIONS = ("equals", "matches", "min", "max", "length", "truthy")

# Argument spec of one json_query entry.
QUERY_OPTIONS = dict(
    query=dict(type="str", required=True),
    equals=dict(type="raw"),
    matches=dict(type="str"),
    min=dict(type="float"),
    max=dict(type="float"),
    length=dict(type="int"),
    truthy=dict(type="bool"),
)

SHOWN_VALUE_CHARS = 200


def load_jmespath():
    """The jmespath module, or None when it is not installed."""
    try:
        import jmespath
    except ImportError:
        return None
    return jmespath


def shown(value):
    """A value as the results show it: strings as they are, the rest as JSON, shortened."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= SHOWN_VALUE_CHARS else text[:SHOWN_VALUE_CHARS] + "\u2026"


def _prepare_one(where, spec, jmespath):
    query = spec.get("query")
    if not query or not str(query).strip():
        raise OptionError(f"{where}: query must not be empty")
    if not [a for a in ASSERTIONS if spec.get(a) is not None]:
        raise OptionError("{}: give at least one of {}".format(where, ", ".join(ASSERTIONS)))
    if spec.get("matches") is not None:
        try:
            re.compile(spec["matches"])
        except re.error as exc:
            raise OptionError(f"{where}: matches: {spec['matches']!r} is not a valid regular expression: "
                              f"{exc}") from None
    if spec.get("length") is not None and spec["length"] < 0:
        raise OptionError(f"{where}: length: must not be negative")
    if spec.get("min") is not None and spec.get("max") is not None and spec["min"] > spec["max"]:
        raise OptionError("{}: min ({}) is above max ({})".format(where, spec["min"], spec["max"]))
    if jmespath is not None:
        try:
            jmespath.compile(query)
        except jmespath.exceptions.JMESPathError as exc:
            raise OptionError(f"{where}: query {query!r} is not valid JMESPath: {exc}") from None
    assertion = dict((name, spec.get(name)) for name in ("query", *ASSERTIONS))
    for bound in ("min", "max"):
        if isinstance(assertion[bound], float) and assertion[bound].is_integer():
            assertion[bound] = int(assertion[bound])  # shown as 'min 3', not 'min 3.0'
    return assertion


def prepare_assertions(specs, option="json_query"):
    """Validated assertions of a ``json_query`` option; OptionError names ``<option>[<index>]``.

    The queries are compiled when jmespath is installed; without it run() reports the missing library.
    """
    jmespath = load_jmespath() if specs else None
    return [_prepare_one(f"{option}[{index}]", spec, jmespath) for index, spec in enumerate(specs or [])]


def describe_assertion(assertion):
    """'equals 0, min 1' style."""
    return ", ".join(f"{a} {shown(assertion[a])}" for a in ASSERTIONS if assertion[a] is not None)


def _same(actual, wanted):
    # 1 == True in Python; a JSON boolean is not a number here.
    if isinstance(actual, bool) != isinstance(wanted, bool):
        return False
    return actual == wanted


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def judge(assertion, actual):
    """The reasons (empty when it holds) why a query result fails its assertions."""
    reasons = []
    if assertion["equals"] is not None and not _same(actual, assertion["equals"]):
        reasons.append("is {}, expected {}".format(shown(actual), shown(assertion["equals"])))
    if assertion["matches"] is not None:
        text = actual if isinstance(actual, str) else json.dumps(actual, sort_keys=True)
        if not re.search(assertion["matches"], text):
            reasons.append("{} does not match /{}/".format(shown(actual), assertion["matches"]))
    for bound in ("min", "max"):
        if assertion[bound] is None:
            continue
        if not _is_number(actual):
            reasons.append(f"is {shown(actual)}, not a number ({bound} {assertion[bound]})")
        elif bound == "min" and actual < assertion["min"]:
            reasons.append("is {}, below min {}".format(shown(actual), shown(assertion["min"])))
        elif bound == "max" and actual > assertion["max"]:
            reasons.append("is {}, above max {}".format(shown(actual), shown(assertion["max"])))
    if assertion["length"] is not None:
        if not isinstance(actual, (list, dict, str)):
            reasons.append(f"is {shown(actual)}, which has no length")
        elif len(actual) != assertion["length"]:
            reasons.append(f"has length {len(actual)}, expected {assertion['length']}")
    if assertion["truthy"] is not None and bool(actual) != assertion["truthy"]:
        reasons.append("is {}, expected {}".format(shown(actual), "truthy" if assertion["truthy"] else "falsy"))
    return reasons


def evaluate(assertions, document, ev):
    """Run each assertion on ``document``, adding a finding to the Evaluation ``ev`` for each that fails.

    Returns one result per assertion: query, assertion, passed and (when the query ran) actual.
    jmespath must be installed (see load_jmespath).
    """
    jmespath = load_jmespath()
    results = []
    for assertion in assertions:
        described = describe_assertion(assertion)
        try:
            actual = jmespath.search(assertion["query"], document)
        except jmespath.exceptions.JMESPathError as exc:
            results.append(dict(query=assertion["query"], assertion=described, passed=False))
            ev.finding("error", "{} cannot be evaluated: {}".format(assertion["query"], exc))
            continue
        reasons = judge(assertion, actual)
        results.append(dict(query=assertion["query"], assertion=described, passed=not reasons, actual=shown(actual)))
        ev.require(not reasons, "{} {}".format(assertion["query"], "; ".join(reasons)))
    return results


def expected_of(assertions):
    """What the ``expected`` of a result shows for the assertions."""
    return [dict(query=a["query"], assertion=describe_assertion(a)) for a in assertions]
