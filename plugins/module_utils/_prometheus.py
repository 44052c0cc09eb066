# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Prometheus's HTTP API as the monitoring kinds read it: its answer envelope, targets, rules, queries (private).

Every call is a GET of a JsonApi (``_http_json.py``), so it is bounded by the check's time and size cap.
"""

from __future__ import annotations

import math

from ansible_collections.golive.readiness.plugins.module_utils._check import CheckError
from ansible_collections.golive.readiness.plugins.module_utils._http_json import JsonApi


def api_data(answer, path: str) -> dict:
    """The ``data`` object of a success answer; CheckError naming the path for anything else."""
    if not isinstance(answer, dict) or answer.get("status") != "success":
        detail = answer.get("error") if isinstance(answer, dict) else None
        raise CheckError("{} answered status {!r}{}".format(
            path, answer.get("status") if isinstance(answer, dict) else None, f": {detail}" if detail else ""))
    data = answer.get("data")
    if not isinstance(data, dict):
        raise CheckError(f"{path} answered no data object; is this Prometheus?")
    return data


def fetch_targets(api: JsonApi) -> list:
    path = "/api/v1/targets"
    targets = api_data(api.get_json(path, {"state": "active"}), path).get("activeTargets")
    if not isinstance(targets, list):
        raise CheckError(f"{path} answered no activeTargets list; is this Prometheus?")
    return [t for t in targets if isinstance(t, dict)]


def fetch_alert_rules(api: JsonApi) -> list:
    """Every alerting rule loaded, each with its ``group`` and ``file``."""
    path = "/api/v1/rules"
    groups = api_data(api.get_json(path, {"type": "alert"}), path).get("groups")
    if not isinstance(groups, list):
        raise CheckError(f"{path} answered no groups list; is this Prometheus?")
    rules = []
    for group in groups:
        for rule in (group or {}).get("rules") or []:
            if isinstance(rule, dict) and rule.get("type", "alerting") == "alerting":
                rules.append(dict(rule, group=group.get("name"), file=group.get("file")))
    return rules


# --- queries ------------------------------------------------------------------------------------

class Series(object):
    """One series of a query's result: its labels and its samples as (timestamp, value) floats, oldest first."""

    def __init__(self, labels: dict, samples: list) -> None:
        self.labels = labels
        self.samples = samples

    def shown_labels(self) -> str:
        """'{code="500", job="api"}' ('{}' for a result without labels, such as a scalar or a sum)."""
        return "{" + ", ".join(f'{name}="{value}"' for name, value in sorted(self.labels.items())) + "}"


def _number(text, path: str) -> float:
    """A sample value as Prometheus sends it (a string: '0.05', 'NaN', '+Inf') as a float."""
    try:
        return float(text)
    except (TypeError, ValueError):
        raise CheckError(f"{path} answered a sample value that is not a number: {str(text)[:40]!r}") from None


def _sample(pair, path: str) -> tuple:
    if not isinstance(pair, list) or len(pair) != 2:
        raise CheckError(f"{path} answered a sample that is not [time, value]; is this Prometheus?")
    when = _number(pair[0], path)
    if not math.isfinite(when):
        raise CheckError(f"{path} answered a sample without a finite time")
    return when, _number(pair[1], path)


def _series_of(entry, path: str, key: str) -> Series:
    if not isinstance(entry, dict) or not isinstance(entry.get("metric", {}), dict):
        raise CheckError(f"{path} answered a series that is not an object; is this Prometheus?")
    labels = dict((str(name), str(value)) for name, value in (entry.get("metric") or {}).items())
    raw = entry.get(key)
    samples = [_sample(raw, path)] if key == "value" else [_sample(pair, path) for pair in raw or []]
    return Series(labels, samples)


def result_series(data: dict, path: str) -> tuple:
    """(result type, [Series]) of a query's ``data``: a vector or matrix as its series, a scalar as one series
    without labels; a string result is a CheckError (it is no number)."""
    kind = data.get("resultType")
    result = data.get("result")
    if kind == "scalar":
        return kind, [Series({}, [_sample(result, path)])]
    if kind in ("vector", "matrix") and isinstance(result, list):
        key = "value" if kind == "vector" else "values"
        return kind, [_series_of(entry, path, key) for entry in result]
    if kind == "string":
        raise CheckError(f"{path}: the query's result is a string, not a number")
    raise CheckError(f"{path} answered result type {kind!r}; is this Prometheus?")


def instant_query(api: JsonApi, query: str, at: float | None = None) -> tuple:
    """(result type, [Series]) of ``query`` evaluated at ``at`` (Prometheus's own time when None)."""
    path = "/api/v1/query"
    params = {"query": query}
    if at is not None:
        params["time"] = repr(at)
    return result_series(api_data(api.get_json(path, params), path), path)


def range_query(api: JsonApi, query: str, start: float, end: float, step: float) -> tuple:
    """(result type, [Series]) of ``query`` evaluated every ``step`` seconds from ``start`` to ``end``."""
    path = "/api/v1/query_range"
    params = {"query": query, "start": repr(start), "end": repr(end), "step": repr(step)}
    return result_series(api_data(api.get_json(path, params), path), path)


def server_time(api: JsonApi) -> float:
    """Prometheus's clock, in seconds since the epoch: a range ends there, not at the probe's time."""
    kind, series = instant_query(api, "time()")
    if kind != "scalar" or not series:
        raise CheckError("/api/v1/query answered time() with no scalar; is this Prometheus?")
    return series[0].samples[0][1]
