# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check kind coverage: line and branch coverage of a Cobertura XML or coverage.py JSON report (private).

Cobertura XML is what ``coverage xml``, istanbul's cobertura reporter and JaCoCo's converters write: a root
``<coverage>`` with ``lines-valid``, ``lines-covered``, ``line-rate``, ``branches-valid`` and ``branch-rate``,
and ``<package name>`` elements with their rates. coverage.py's ``coverage json`` writes ``meta``, ``files``
(each with a ``summary``) and ``totals``. Line coverage is covered lines over measured lines in both (coverage.py's
``percent_covered`` mixes lines and branches when branches are measured, so it is not used).
"""

from __future__ import annotations

from typing import Callable, NamedTuple

from ansible_collections.golive.readiness.plugins.module_utils._check import (
    CheckError,
    Evaluation,
    OptionError,
    format_percent,
    levels_of,
    limit_from_options,
    parse_percent,
    quantity,
)
from ansible_collections.golive.readiness.plugins.module_utils._evidence import (
    EVIDENCE_OPTIONS,
    describe_source,
    grade_age,
    parse_json,
    parse_timestamp,
    parse_xml,
    prepare_source,
    read_evidence,
)
from ansible_collections.golive.readiness.plugins.module_utils._evidence import (
    PROBE_OPTION as EVIDENCE_PROBE_OPTION,
)

KIND = "coverage"
SECTION = "application"
SEVERITY = "high"
VARIABLES = {"golive_coverage": "application"}
PROBE_OPTION = EVIDENCE_PROBE_OPTION  # items with url run from the probe hosts, items with path on the host
FORMATS = ("auto", "cobertura", "coverage_json")
PACKAGE_OPTIONS = dict(
    name=dict(type="str", required=True),
    line_warn_below=dict(type="str"),
    line_fail_below=dict(type="str"),
    branch_warn_below=dict(type="str"),
    branch_fail_below=dict(type="str"),
)
OPTIONS = dict(EVIDENCE_OPTIONS)
OPTIONS.update(
    format=dict(type="str", default="auto", choices=list(FORMATS)),
    line_warn_below=dict(type="str"),
    line_fail_below=dict(type="str"),
    branch_warn_below=dict(type="str"),
    branch_fail_below=dict(type="str"),
    packages=dict(type="list", elements="dict", options=PACKAGE_OPTIONS),
)

# coverage.json lists every line number of every file: a large monorepo's report runs to tens of MiB.
COVERAGE_CAP = 32 * 1024 * 1024
FORMAT_NAMES = dict(cobertura="a Cobertura XML report", coverage_json="a coverage.py JSON report")
SHOWN_PACKAGES = 20  # package names listed when a named one is missing
# Cobertura's timestamp is in milliseconds; below this it can only be seconds (1e11 ms is March 1973).
_SECONDS_BELOW = 1e11


class Figures(NamedTuple):
    """Coverage of a whole report or of one package; a percent is None when the report does not measure it."""

    line: float | None
    branch: float | None
    lines: int | None = None
    covered: int | None = None


class CoverageReport(NamedTuple):
    """A report as read: its format, total figures, whether it measured branches, when it was produced, how to
    find a package's figures (None when it has no such package) and the names it lists."""

    format: str
    total: Figures
    branches: bool
    produced_at: float | None
    package: Callable[[str], Figures | None]
    names: list


def describe(item):
    source = describe_source(item)
    return source, f"Coverage in {source}"


# --- options ------------------------------------------------------------------------------------

def _levels(options, where=""):
    """The line and branch Limits of an item or of one of its packages (``where`` prefixes the option)."""
    try:
        return (limit_from_options(options, "line", "below", parse_percent, format_percent),
                limit_from_options(options, "branch", "below", parse_percent, format_percent))
    except OptionError as exc:
        raise OptionError(f"{where}{exc}") from None


def _packages(item):
    packages = []
    for index, spec in enumerate(item.get("packages") or []):
        where = f"packages[{index}]."
        name = (spec.get("name") or "").strip()
        if not name:
            raise OptionError(f"{where}name: must name a package")
        line, branch = _levels(spec, where)
        if not line.is_set and not branch.is_set:
            raise OptionError(f"{where[:-1]}: give line_fail_below, line_warn_below or a branch level for {name}")
        packages.append(dict(name=name, line=line, branch=branch))
    return packages


def prepare(item):
    plan = prepare_source(item)
    line, branch = _levels(item)
    plan.update(format=item.get("format") or "auto", line=line, branch=branch, packages=_packages(item))
    return plan


# --- Cobertura XML ------------------------------------------------------------------------------

def _not_the_format(evidence, fmt, why):
    return CheckError(f"{evidence.name} is not {FORMAT_NAMES[fmt]}: {why}")


def _number(element, attribute, evidence, fmt, low=0.0, high=None):
    """An attribute's number within [low, high]; None when the attribute is absent."""
    value = element.get(attribute)
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not (low <= number and (high is None or number <= high)):
        name = element.get("name")
        what = f"<{element.tag}>" if name is None else f"<{element.tag} name={name!r}>"
        raise _not_the_format(evidence, fmt, f"{what} has {attribute}={value[:40]!r}")
    return number


def _percent(rate):
    return None if rate is None else round(rate * 100, 2)


def _cobertura_branches(root, evidence):
    """Whether the report measured branches (coverage.py writes branches-valid 0 without --branch)."""
    valid = _number(root, "branches-valid", evidence, "cobertura")
    if valid is not None:
        return valid > 0
    return any(line.get("branch") == "true" for line in root.iter("line"))


def _cobertura_total(root, evidence, branches):
    lines = _number(root, "lines-valid", evidence, "cobertura")
    covered = _number(root, "lines-covered", evidence, "cobertura")
    rate = _number(root, "line-rate", evidence, "cobertura", high=1.0)
    if lines is not None and covered is not None:
        line = round(covered * 100 / lines, 2) if lines else None
    elif rate is not None:
        line = _percent(rate)
    else:
        raise _not_the_format(evidence, "cobertura", "<coverage> has neither lines-valid nor line-rate")
    branch = _percent(_number(root, "branch-rate", evidence, "cobertura", high=1.0)) if branches else None
    return Figures(line, branch, None if lines is None else int(lines), None if covered is None else int(covered))


def _cobertura_package(package, evidence, branches):
    line = _percent(_number(package, "line-rate", evidence, "cobertura", high=1.0))
    if line is None:
        raise _not_the_format(evidence, "cobertura", "<package name={!r}> has no line-rate".format(
            package.get("name")))
    branch = _percent(_number(package, "branch-rate", evidence, "cobertura", high=1.0)) if branches else None
    return Figures(line, branch)


def _cobertura_time(root, evidence):
    stamp = _number(root, "timestamp", evidence, "cobertura")
    if stamp is None or stamp == 0:
        return None
    return stamp if stamp < _SECONDS_BELOW else stamp / 1000.0


def read_cobertura(evidence):
    root = parse_xml(evidence, FORMAT_NAMES["cobertura"])
    if root.tag != "coverage":
        raise _not_the_format(evidence, "cobertura", f"root element <{root.tag}>, expected <coverage>")
    branches = _cobertura_branches(root, evidence)
    packages = {}
    for package in root.iter("package"):
        packages.setdefault(package.get("name") or "", _cobertura_package(package, evidence, branches))
    return CoverageReport("cobertura", _cobertura_total(root, evidence, branches), branches,
                          _cobertura_time(root, evidence), packages.get, list(packages))


# --- coverage.py JSON ---------------------------------------------------------------------------

def _summary_count(summary, key, where, evidence):
    value = summary.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _not_the_format(evidence, "coverage_json", f"{where}.{key} is {str(value)[:40]!r}, not a count")
    return value


def _figures_of(summaries, branches, evidence):
    """Coverage of the summed (where, summary) pairs: covered over measured lines, and branches."""
    totals = dict(covered_lines=0, num_statements=0, covered_branches=0, num_branches=0)
    for where, summary in summaries:
        if not isinstance(summary, dict):
            raise _not_the_format(evidence, "coverage_json", f"{where} is not an object")
        for key in totals:
            totals[key] += _summary_count(summary, key, where, evidence)
    lines, covered = totals["num_statements"], totals["covered_lines"]
    line = round(covered * 100 / lines, 2) if lines else None
    branch = None
    if branches:
        measured = totals["num_branches"]
        branch = round(totals["covered_branches"] * 100 / measured, 2) if measured else 100.0
    return Figures(line, branch, lines, covered)


def _under(prefix):
    prefix = prefix.strip().rstrip("/")
    return lambda path: path == prefix or path.startswith(prefix + "/")


def read_coverage_json(evidence):
    document = parse_json(evidence, FORMAT_NAMES["coverage_json"])
    if not isinstance(document, dict) or not all(isinstance(document.get(key), dict) for key in
                                                 ("meta", "files", "totals")):
        raise _not_the_format(evidence, "coverage_json", "expected an object with meta, files and totals")
    branches = document["meta"].get("branch_coverage") is True
    files = document["files"]
    total = _figures_of([("totals", document["totals"])], branches, evidence)

    def package(prefix):
        inside = _under(prefix)
        summaries = [(f"files[{path!r}].summary", (entry or {}).get("summary") if isinstance(entry, dict) else entry)
                     for path, entry in files.items() if inside(path)]
        return _figures_of(summaries, branches, evidence) if summaries else None

    stamp = document["meta"].get("timestamp")
    produced_at = None
    if stamp:
        try:
            produced_at = parse_timestamp(stamp, "meta.timestamp", naive_is_local=True)
        except CheckError as exc:
            raise _not_the_format(evidence, "coverage_json", str(exc)) from None
    return CoverageReport("coverage_json", total, branches, produced_at, package, sorted(files))


def sniffed_format(evidence):
    """cobertura or coverage_json, told by the document's first character rather than its name."""
    head = evidence.data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return "cobertura"
    if head.startswith(b"{"):
        return "coverage_json"
    raise CheckError(f"{evidence.name} is not a coverage report (Cobertura XML or coverage.py JSON): it is "
                     "neither XML nor a JSON object")


def read_report(evidence, chosen):
    fmt = sniffed_format(evidence) if chosen == "auto" else chosen
    return read_cobertura(evidence) if fmt == "cobertura" else read_coverage_json(evidence)


# --- grading ------------------------------------------------------------------------------------

def _grade(ev, label, percent, limit):
    """One percent against its levels: a finding when it breaches one, else a note; the status."""
    status = limit.grade(percent) if limit.is_set else "pass"
    message = f"{label} {format_percent(percent)}" + (f" ({limit.describe()})" if limit.is_set else "")
    if status == "pass":
        ev.note(message)
    else:
        ev.finding(status, message)
    return status


def _grade_total(plan, report, ev):
    total = report.total
    if total.lines is not None:
        ev.observe("lines", dict(measured=quantity(total.lines, "count"), covered=quantity(total.covered, "count")))
    if total.line is None:
        ev.finding("fail", "no lines measured")
    else:
        ev.observe("line_coverage", total.line, "percent")
        if plan["line"].is_set:
            ev.expect_levels("line_coverage", plan["line"])
        _grade(ev, "line coverage", total.line, plan["line"])
    if report.branches and total.branch is not None:
        ev.observe("branch_coverage", total.branch, "percent")
        if plan["branch"].is_set:
            ev.expect_levels("branch_coverage", plan["branch"])
    _grade_branches(plan["branch"], "branch coverage", total.branch, report, ev)


def _grade_branches(limit, label, percent, report, ev):
    if report.branches and percent is not None:
        _grade(ev, label, percent, limit)
    elif limit.is_set:
        ev.finding("error", f"{label}: the report has no branch data (measure with branches, such as coverage run "
                            "--branch)")


def _missing_package(report, name, source):
    shown = ", ".join(report.names[:SHOWN_PACKAGES]) or "none"
    if report.format == "cobertura":
        return f"no package {name} in {source} (packages: {shown})"
    return f"no file under {name} in {source} (files: {shown})"


def _grade_packages(plan, report, ev, source):
    observed, expected = [], []
    for spec in plan["packages"]:
        expected.append(dict(name=spec["name"], **{f"{metric}_coverage": levels_of([spec[metric]], "percent")
                                                   for metric in ("line", "branch") if spec[metric].is_set}))
        figures = report.package(spec["name"])
        if figures is None:
            ev.finding("fail", _missing_package(report, spec["name"], source))
            continue
        entry = dict(name=spec["name"])
        if figures.line is None:
            ev.finding("fail", f"{spec['name']}: no lines measured")
        else:
            entry["line_coverage"] = quantity(figures.line, "percent")
            _grade(ev, f"{spec['name']} line coverage", figures.line, spec["line"])
        if report.branches and figures.branch is not None:
            entry["branch_coverage"] = quantity(figures.branch, "percent")
        _grade_branches(spec["branch"], f"{spec['name']} branch coverage", figures.branch, report, ev)
        observed.append(entry)
    if plan["packages"]:
        ev.observe("packages", observed)
        ev.expect("packages", expected)


def run(plan, ctx):
    ev = Evaluation()
    evidence = read_evidence(plan, ctx, COVERAGE_CAP, "COVERAGE_CAP", ev)
    if evidence is None:
        return ev.outcome()
    report = read_report(evidence, plan["format"])
    ev.observe("format", report.format)
    ev.observe("branch_data", report.branches)
    _grade_total(plan, report, ev)
    _grade_packages(plan, report, ev, evidence.name)
    grade_age(plan, evidence, ev, report.produced_at)
    return ev.outcome()
