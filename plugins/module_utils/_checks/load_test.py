# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check kind load_test: latency percentiles, throughput and error rate of a load test's own report (private).

It reads the statistics Locust writes with ``--csv PREFIX`` (``PREFIX_stats.csv``) or the JSON k6 writes with
``--summary-export``, from a file on the host or a URL fetched from the probe (``_evidence.py``), and grades
the whole run (Locust's ``Aggregated`` row, k6's metrics) or one endpoint of it.
"""

from __future__ import annotations

import csv
import io
import math
from typing import NamedTuple

from ansible_collections.golive.readiness.plugins.module_utils._check import (
    CheckError,
    Evaluation,
    OptionError,
    format_ms,
    format_number,
    format_percent,
    limit_from_options,
    parse_count,
    parse_duration,
    parse_percent,
)
from ansible_collections.golive.readiness.plugins.module_utils._evidence import (
    EVIDENCE_OPTIONS,
    Evidence,
    describe_source,
    grade_age,
    parse_json,
    prepare_source,
    read_evidence,
)
from ansible_collections.golive.readiness.plugins.module_utils._evidence import (
    PROBE_OPTION as EVIDENCE_PROBE_OPTION,
)

KIND = "load_test"
SECTION = "application"
SEVERITY = "high"
VARIABLES = {"golive_load_tests": "application"}
# Items with url run from the probe hosts, items with path on the host that lists them.
PROBE_OPTION = EVIDENCE_PROBE_OPTION
FORMATS = ("auto", "locust_csv", "k6_summary")
# A Locust statistics file has a row per endpoint, a k6 summary an entry per metric and sub-metric:
# even a test of thousands of endpoints stays far below this.
LOAD_TEST_CAP = 16 * 1024 * 1024
OPTIONS = dict(EVIDENCE_OPTIONS)
OPTIONS.update(
    format=dict(type="str", default="auto", choices=list(FORMATS)),
    endpoint=dict(type="str"),
    p95_warn_above=dict(type="raw"),
    p95_fail_above=dict(type="raw"),
    p99_warn_above=dict(type="raw"),
    p99_fail_above=dict(type="raw"),
    rps_warn_below=dict(type="raw"),
    rps_fail_below=dict(type="raw"),
    error_rate_warn_above=dict(type="raw"),
    error_rate_fail_above=dict(type="raw"),
    min_requests=dict(type="int"),
)

LOCUST = "Locust's --csv statistics (PREFIX_stats.csv)"
K6 = "a k6 --summary-export JSON"
_LOCUST_COLUMNS = ("Type", "Name", "Request Count", "Failure Count", "Requests/s")
_SHOWN_NAMES = 10  # endpoint names listed when the one asked for is not in the report


class LoadStats(NamedTuple):
    """One run's (or one endpoint's) figures as a load test tool reported them; None when it did not."""

    requests: float
    failures: float | None
    error_rate: float | None  # percent
    rps: float | None
    p95_ms: float | None
    p99_ms: float | None
    median_ms: float | None
    max_ms: float | None


def describe(item):
    source = describe_source(item)
    endpoint = item.get("endpoint")
    if endpoint:
        return f"{source}:{endpoint}", f"Load test of {endpoint} ({source})"
    return source, f"Load test {source}"


# --- options ------------------------------------------------------------------------------------


def _parse_ms(text, option: str) -> float:
    return parse_duration(text, option) * 1000.0


def format_rps(value: float) -> str:
    return f"{value:.1f}/s"


def prepare(item):
    source = prepare_source(item)
    endpoint = item.get("endpoint")
    if endpoint is not None and not str(endpoint).strip():
        raise OptionError("endpoint: must name an endpoint (a Name of the report), or be left out for the whole run")
    min_requests = item.get("min_requests")
    if min_requests is not None:
        min_requests = parse_count(min_requests, "min_requests")
    return dict(
        source=source,
        format=item.get("format") or "auto",
        endpoint=endpoint,
        p95=limit_from_options(item, "p95", "above", _parse_ms, format_ms),
        p99=limit_from_options(item, "p99", "above", _parse_ms, format_ms),
        rps=limit_from_options(item, "rps", "below", parse_count, format_rps),
        error_rate=limit_from_options(item, "error_rate", "above", parse_percent, format_percent),
        min_requests=min_requests,
    )


# --- Locust -------------------------------------------------------------------------------------


def _number(text, what: str) -> float | None:
    """A figure of a report; None for Locust's N/A (no request to measure); CheckError when not a number."""
    value = "" if text is None else str(text).strip()
    if value in ("", "N/A"):
        return None
    try:
        number = float(value)
    except ValueError:
        raise CheckError(f"{what}: {value[:40]!r} is not a number") from None
    if not math.isfinite(number):
        raise CheckError(f"{what}: {value[:40]!r} is not a finite number")
    return number


def _locust_rows(evidence: Evidence) -> list[dict]:
    try:
        text = evidence.data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CheckError(f"{evidence.name} is not {LOCUST}: not UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [column for column in _LOCUST_COLUMNS if column not in header]
    if missing:
        hint = " (a _stats_history.csv? give PREFIX_stats.csv)" if "Timestamp" in header else ""
        raise CheckError("{} is not {}: its header lacks {}{}".format(evidence.name, LOCUST, ", ".join(missing), hint))
    try:
        return list(reader)
    except csv.Error as exc:
        raise CheckError(f"{evidence.name} is not {LOCUST}: not valid CSV ({exc})") from None


def _row_label(row: dict) -> str:
    return " ".join(part for part in (row.get("Type") or "", row.get("Name") or "") if part)


def _locust_row(rows: list[dict], endpoint: str | None, evidence: Evidence, ev: Evaluation) -> dict | None:
    """The Aggregated row, or the endpoint's (by Name, or 'TYPE Name' when several types share it)."""
    if endpoint is None:
        for row in rows:
            if row.get("Name") == "Aggregated" and not row.get("Type"):
                return row
        raise CheckError(f"{evidence.name} is not {LOCUST}: it has no Aggregated row")
    matches = [row for row in rows if _row_label(row) == endpoint]
    if not matches:
        matches = [row for row in rows if row.get("Name") == endpoint and row.get("Type")]
    if len(matches) > 1:
        types = ", ".join(sorted(row.get("Type") or "" for row in matches))
        raise CheckError(f"endpoint {endpoint!r} names {len(matches)} rows ({types}): prefix the request type, "
                         f"as in '{matches[0].get('Type')} {endpoint}'")
    if not matches:
        names = [_row_label(row) for row in rows if row.get("Type")]
        shown = ", ".join(names[:_SHOWN_NAMES]) + (", ..." if len(names) > _SHOWN_NAMES else "")
        ev.finding("fail", f"the load test has no row for {endpoint} (rows: {shown or 'none'})")
        return None
    return matches[0]


def locust_stats(evidence: Evidence, endpoint: str | None, ev: Evaluation) -> LoadStats | None:
    rows = _locust_rows(evidence)
    row = _locust_row(rows, endpoint, evidence, ev)
    if row is None:
        return None
    where = "{} row {}".format(evidence.name, _row_label(row) or "Aggregated")

    def figure(column):
        return _number(row.get(column), f"{where}, {column}")

    requests = figure("Request Count") or 0
    failures = figure("Failure Count") or 0
    return LoadStats(requests=requests, failures=failures,
                     error_rate=100.0 * failures / requests if requests else None,
                     rps=figure("Requests/s"), p95_ms=figure("95%"), p99_ms=figure("99%"),
                     median_ms=figure("Median Response Time"), max_ms=figure("Max Response Time"))


# --- k6 -----------------------------------------------------------------------------------------


def _k6_metric(metrics: dict, name: str, endpoint: str | None) -> dict | None:
    """A metric's figures; k6's handleSummary data nests them under 'values', --summary-export does not."""
    key = f"{name}{{name:{endpoint}}}" if endpoint else name
    metric = metrics.get(key)
    if not isinstance(metric, dict):
        return None
    values = metric.get("values")
    return values if isinstance(values, dict) else metric


def k6_stats(evidence: Evidence, endpoint: str | None, ev: Evaluation) -> LoadStats | None:
    document = parse_json(evidence, K6)
    metrics = document.get("metrics") if isinstance(document, dict) else None
    if not isinstance(metrics, dict):
        raise CheckError(f"{evidence.name} is not {K6}: it has no metrics object")
    duration = _k6_metric(metrics, "http_req_duration", endpoint)
    reqs = _k6_metric(metrics, "http_reqs", endpoint)
    failed = _k6_metric(metrics, "http_req_failed", endpoint)
    if endpoint and duration is None:
        raise CheckError(f"{evidence.name} has no sub-metric http_req_duration{{name:{endpoint}}}: k6 exports a "
                         "sub-metric only when the script sets a threshold on it")
    if duration is None or reqs is None:
        if "root_group" not in document and "state" not in document:
            raise CheckError(f"{evidence.name} is not {K6}: it has no http_req_duration or http_reqs metric")
        ev.finding("fail", "the load test made no HTTP requests (no http_reqs metric)")
        return None
    where = f"{evidence.name}, metric"
    requests = _number(reqs.get("count"), f"{where} http_reqs count") or 0
    rate = _number(failed.get("value", failed.get("rate")), f"{where} http_req_failed value") if failed else None
    # http_req_failed is a Rate of failed requests: its 'passes' count the failed ones, 'fails' the others.
    failures = _number(failed.get("passes"), f"{where} http_req_failed passes") if failed else None
    return LoadStats(requests=requests, failures=failures, error_rate=None if rate is None else rate * 100.0,
                     rps=_number(reqs.get("rate"), f"{where} http_reqs rate"),
                     p95_ms=_number(duration.get("p(95)"), f"{where} http_req_duration p(95)"),
                     p99_ms=_number(duration.get("p(99)"), f"{where} http_req_duration p(99)"),
                     median_ms=_number(duration.get("med"), f"{where} http_req_duration med"),
                     max_ms=_number(duration.get("max"), f"{where} http_req_duration max"))


# --- the check ----------------------------------------------------------------------------------


def detect_format(evidence: Evidence, chosen: str) -> str:
    if chosen != "auto":
        return chosen
    start = evidence.data.lstrip()[:1]
    if start == b"{":
        return "k6_summary"
    if b"Request Count" in evidence.data.split(b"\n", 1)[0]:
        return "locust_csv"
    raise CheckError(f"{evidence.name} is neither {LOCUST} nor {K6}")


def _missing_percentile(name: str, fmt: str) -> CheckError:
    hint = " (run k6 with --summary-trend-stats including p(99))" if fmt == "k6_summary" and name == "p99" else ""
    return CheckError(f"the report has no {name} latency{hint}")


def grade(plan: dict, stats: LoadStats, fmt: str, ev: Evaluation) -> None:
    ev.observe("requests", stats.requests, "count")
    if stats.failures is not None:
        ev.observe("failures", stats.failures, "count")
    counted = f"{format_number(stats.requests)} requests"
    if plan["min_requests"] is not None:
        ev.expect_at_least("requests", plan["min_requests"], "count")
        ev.require(stats.requests >= plan["min_requests"],
                   f"{counted} (min {format_number(plan['min_requests'])})", passing=counted)
    elif stats.requests:
        ev.note(counted)
    if not stats.requests:
        ev.finding("fail", "the load test made no requests")
        return
    if stats.error_rate is not None:
        ev.measure("error_rate", round(stats.error_rate, 3), plan["error_rate"], label="error rate")
    elif plan["error_rate"].is_set:
        raise CheckError("the report has no failed-request count (k6 before v0.31 has no http_req_failed)")
    if stats.rps is not None:
        ev.measure("rps", round(stats.rps, 2), plan["rps"], label="requests/s", unit="ratio")
    elif plan["rps"].is_set:
        raise CheckError("the report has no request rate")
    for name, key, value in (("p95", "p95_ms", stats.p95_ms), ("p99", "p99_ms", stats.p99_ms)):
        if value is not None:
            ev.measure(key, round(value, 1), plan[name], label=name, unit="ms")
        elif plan[name].is_set:
            raise _missing_percentile(name, fmt)
    for name, value in (("median_ms", stats.median_ms), ("max_ms", stats.max_ms)):
        if value is not None:
            ev.observe(name, round(value, 1), "ms")


def run(plan, ctx):
    ev = Evaluation()
    evidence = read_evidence(plan["source"], ctx, LOAD_TEST_CAP, "LOAD_TEST_CAP", ev)
    if evidence is None:
        return ev.outcome()
    fmt = detect_format(evidence, plan["format"])
    ev.observe("format", fmt)
    if plan["endpoint"]:
        ev.observe("endpoint", plan["endpoint"])
    stats = (locust_stats if fmt == "locust_csv" else k6_stats)(evidence, plan["endpoint"], ev)
    grade_age(plan["source"], evidence, ev)
    if stats is not None:
        grade(plan, stats, fmt, ev)
    return ev.outcome()
