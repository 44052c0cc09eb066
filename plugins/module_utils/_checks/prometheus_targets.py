# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check kind prometheus_targets: Prometheus scrapes its targets and has the required alert rules (private).

Two read-only requests to Prometheus's HTTP API: ``/api/v1/targets?state=active`` and
``/api/v1/rules?type=alert``.
"""

from __future__ import annotations

import re

from ansible_collections.golive.readiness.plugins.module_utils._check import (
    Evaluation,
    Limit,
    OptionError,
    check_order,
    format_duration,
    mask_url,
    parse_count,
    parse_duration,
    quantity,
)
from ansible_collections.golive.readiness.plugins.module_utils._http_json import (
    CONNECTION_OPTIONS,
    JsonApi,
    prepare_connection,
)
from ansible_collections.golive.readiness.plugins.module_utils._prometheus import fetch_alert_rules, fetch_targets

KIND = "prometheus_targets"
SECTION = "monitoring"
SEVERITY = "high"
VARIABLES = {"golive_prometheus": "monitoring"}
ENDPOINT = True
OPTIONS = dict(CONNECTION_OPTIONS)
OPTIONS.update(
    jobs=dict(type="list", elements="str"),
    down_warn_above=dict(type="raw"),
    down_fail_above=dict(type="raw"),
    min_targets=dict(type="int", default=1),
    unknown_status=dict(type="str", default="warn", choices=["pass", "warn", "fail"]),
    required_alerts=dict(type="list", elements="raw"),
    firing_status=dict(type="str", default="warn", choices=["pass", "warn", "fail"]),
)

SHOWN_TARGETS = 10  # down or unknown targets listed in observed
SUMMARY_TARGETS = 3  # of which named in the summary
SHOWN_ERROR_CHARS = 200
SHOWN_QUERY_CHARS = 300  # of a required alert rule's expression, in observed and messages
ALERT_KEYS = ("name", "expr", "expr_regex", "for", "severity")


def describe(item):
    url = mask_url(item.get("url") or "")
    jobs = item.get("jobs") or []
    if jobs:
        return "{}:{}".format(url, ",".join(jobs)), "Prometheus targets of {} at {}".format(", ".join(jobs), url)
    return url, f"Prometheus targets at {url}"


# --- options ------------------------------------------------------------------------------------

def _names(values, option):
    names = []
    for value in values or []:
        name = (value or "").strip()
        if not name:
            raise OptionError(f"{option}: names must not be empty")
        if name not in names:
            names.append(name)
    return names


def _down_limit(item):
    levels = {}
    for level in ("warn", "fail"):
        option = f"down_{level}_above"
        if item.get(option) is not None:
            count = parse_count(item[option], option)
            if not isinstance(count, int):
                raise OptionError(f"{option}: {item[option]!r} is not a whole number of targets")
            levels[level] = count
    if not levels:
        levels["fail"] = 0  # by default any target down fails
    limit = Limit(direction="above", **levels)
    check_order(limit, "down_warn_above/down_fail_above")
    return limit


def prepare(item):
    min_targets = item["min_targets"]
    if min_targets < 0:
        raise OptionError(f"min_targets: must not be negative, got {min_targets}")
    return dict(
        connection=prepare_connection(item),
        jobs=_names(item.get("jobs"), "jobs"),
        down=_down_limit(item),
        min_targets=min_targets,
        unknown_status=item["unknown_status"],
        required_alerts=required_alerts(item.get("required_alerts")),
        firing_status=item["firing_status"],
    )


def _alert_spec(value, option):
    """One required alert as {name, expr, expr_regex, for, severity} (what is not expected is None)."""
    if isinstance(value, str):
        value = dict(name=value)
    if not isinstance(value, dict):
        raise OptionError(f"{option}: {value!r} is neither an alert name nor a mapping with a name")
    unknown = sorted(str(key) for key in value if key not in ALERT_KEYS)
    if unknown:
        raise OptionError("{}: unknown key{} {} (allowed: {})".format(
            option, "s" if len(unknown) > 1 else "", ", ".join(unknown), ", ".join(ALERT_KEYS)))
    name = str(value.get("name") or "").strip()
    if not name:
        raise OptionError(f"{option}: the alert's name must not be empty")
    spec = dict(name=name, expr=None, expr_regex=None, given=dict(value, name=name))
    for key in ("expr", "expr_regex", "severity"):
        if value.get(key) is not None and not isinstance(value[key], str):
            raise OptionError(f"{option}.{key}: {value[key]!r} is not a text")
    if value.get("expr") is not None:
        spec["expr"] = value["expr"]
    if value.get("expr_regex") is not None:
        try:
            spec["expr_regex"] = re.compile(value["expr_regex"])
        except re.error as exc:
            raise OptionError(f"{option}.expr_regex: {value['expr_regex']!r} is not a regular expression: {exc}") \
                from None
    spec["for"] = parse_duration(value["for"], f"{option}.for") if value.get("for") is not None else None
    spec["severity"] = value.get("severity")
    return spec


def required_alerts(values):
    """The required alerts, each a name or a mapping of what its loaded rule must be; a name given twice is
    an OptionError."""
    specs = []
    for index, value in enumerate(values or []):
        spec = _alert_spec(value, f"required_alerts[{index}]")
        if any(other["name"] == spec["name"] for other in specs):
            raise OptionError(f"required_alerts[{index}]: {spec['name']} is required twice")
        specs.append(spec)
    return specs


# --- targets ------------------------------------------------------------------------------------

def job_of(target):
    labels = target.get("labels") or {}
    return labels.get("job") or target.get("scrapePool") or "(no job)"


def _in_jobs(target, jobs):
    return not jobs or job_of(target) in jobs or target.get("scrapePool") in jobs


def _shown_target(target):
    shown = dict(job=job_of(target), instance=(target.get("labels") or {}).get("instance")
                 or target.get("scrapeUrl"), health=target.get("health"))
    error = (target.get("lastError") or "").strip()
    if error:
        shown["last_error"] = error if len(error) <= SHOWN_ERROR_CHARS else error[:SHOWN_ERROR_CHARS] + "\u2026"
    if target.get("lastScrape"):
        shown["last_scrape"] = target["lastScrape"]
    return shown


def _named(targets):
    return ", ".join("{} {}".format(t["job"], t["instance"]) for t in targets[:SUMMARY_TARGETS]) + (
        f" and {len(targets) - SUMMARY_TARGETS} more" if len(targets) > SUMMARY_TARGETS else "")


def totals_by_job(targets):
    jobs = {}
    for target in targets:
        counts = jobs.setdefault(job_of(target), dict(up=0, down=0, unknown=0))
        health = target.get("health")
        counts[health if health in ("up", "down") else "unknown"] += 1
    return jobs


def as_counts(numbers: dict) -> dict:
    """Each number of a mapping as a count quantity, as the record shows it."""
    return {name: quantity(number, "count") for name, number in numbers.items()}


def check_targets(plan, targets, ev):
    selected = [t for t in targets if _in_jobs(t, plan["jobs"])]
    jobs = totals_by_job(selected)
    down = [_shown_target(t) for t in selected if t.get("health") == "down"]
    unknown = [_shown_target(t) for t in selected if t.get("health") not in ("up", "down")]
    up = len(selected) - len(down) - len(unknown)
    ev.observe("targets", as_counts(dict(total=len(selected), up=up, down=len(down), unknown=len(unknown))))
    ev.observe("jobs", {job: as_counts(counts) for job, counts in jobs.items()})
    ev.observe("down_targets", down[:SHOWN_TARGETS])
    if unknown:
        ev.observe("unknown_targets", unknown[:SHOWN_TARGETS])
    if plan["jobs"]:
        ev.expect("jobs", plan["jobs"])
        missing = [job for job in plan["jobs"]
                   if not any(job in (job_of(t), t.get("scrapePool")) for t in selected)]
        ev.observe("missing_jobs", missing)
        ev.require(not missing, "no active targets for job{} {}".format(
            "s" if len(missing) > 1 else "", ", ".join(missing)))
    ev.observe("active_targets", len(selected), "count")
    ev.expect_at_least("active_targets", plan["min_targets"], "count")
    ev.require(len(selected) >= plan["min_targets"],
               f"{len(selected)} active target{'' if len(selected) == 1 else 's'} "
               f"(expected at least {plan['min_targets']})")
    _grade_down(plan["down"], down, len(selected), ev)
    if unknown:
        ev.expect("unknown_status", plan["unknown_status"])
        ev.require(plan["unknown_status"] == "pass", f"{len(unknown)} target{'' if len(unknown) == 1 else 's'} "
                   f"not scraped yet (health unknown): {_named(unknown)}", status=plan["unknown_status"])
    ev.note(f"{up} of {len(selected)} targets up")


def _grade_down(limit, down, total, ev):
    ev.observe("targets_down", len(down), "count")
    ev.expect_levels("targets_down", limit)
    status = limit.grade(len(down))
    message = f"{len(down)} of {total} targets down ({limit.describe()})"
    if down:
        message += ": " + _named(down)
    ev.require(status == "pass", message, status=status, passing=message if down else None)


# --- alert rules --------------------------------------------------------------------------------

def _squeezed(text):
    return "".join((text or "").split())


def _shown_for(seconds):
    return format_duration(seconds) if seconds else "0s"


def _shown_query(query):
    query = " ".join((query or "").split())
    return query if len(query) <= SHOWN_QUERY_CHARS else query[:SHOWN_QUERY_CHARS] + "\u2026"


def definition_problems(spec, rule):
    """What differs between a loaded alerting rule and what the checklist expects of it."""
    query = rule.get("query") or ""
    problems = []
    if spec["expr"] is not None and _squeezed(spec["expr"]) not in _squeezed(query):
        problems.append(f"its expression does not contain {spec['expr']!r}")
    if spec["expr_regex"] is not None and not spec["expr_regex"].search(query):
        problems.append(f"its expression does not match {spec['expr_regex'].pattern!r}")
    duration = rule.get("duration") or 0
    if spec["for"] is not None and float(duration) != spec["for"]:
        problems.append(f"for is {_shown_for(duration)} (expected {_shown_for(spec['for'])})")
    severity = (rule.get("labels") or {}).get("severity")
    if spec["severity"] is not None and severity != spec["severity"]:
        shown = f"{severity!r}" if severity is not None else "not set"
        problems.append(f"severity is {shown} (expected {spec['severity']!r})")
    return problems


def _shown_rule(rule, problems):
    return dict(name=rule.get("name"), group=rule.get("group"), state=rule.get("state"),
                query=_shown_query(rule.get("query")), labels=rule.get("labels") or {},
                **{"for": quantity(float(rule.get("duration") or 0), "seconds")}, problems=problems)


def _since(rule):
    times = sorted(alert["activeAt"] for alert in rule.get("alerts") or []
                   if alert.get("state") == "firing" and alert.get("activeAt"))
    return f" since {times[0]}" if times else ""


def check_required_alerts(plan, by_name, ev):
    required = plan["required_alerts"]
    names = [spec["name"] for spec in required]
    ev.expect("required_alerts", [spec["given"] if len(spec["given"]) > 1 else spec["name"] for spec in required])
    missing = [name for name in names if name not in by_name]
    ev.observe("missing_alerts", missing)
    problem = "alert rule{} not loaded: {}".format("s" if len(missing) > 1 else "", ", ".join(missing))
    ev.require(not missing, problem, passing=f"{len(required)} required alert rules loaded")
    shown = []
    for spec in required:
        rules = by_name.get(spec["name"]) or []
        checked = [(rule, definition_problems(spec, rule)) for rule in rules]
        shown.extend(_shown_rule(rule, problems) for rule, problems in checked)
        if checked and all(problems for dummy, problems in checked):
            ev.finding("fail", "alert rule {} is not as expected: {}".format(spec["name"], "; ".join(checked[0][1])))
        for rule in rules:
            if rule.get("state") == "firing":
                ev.require(plan["firing_status"] == "pass", f"required alert {spec['name']} is firing{_since(rule)}",
                           status=plan["firing_status"])
    ev.observe("required_alert_rules", shown)
    ev.expect("firing_status", plan["firing_status"])


def check_alert_rules(plan, rules, ev):
    by_name = {}
    for rule in rules:
        by_name.setdefault(rule.get("name"), []).append(rule)
    unhealthy = [dict(name=r.get("name"), group=r.get("group"), health=r.get("health"),
                      last_error=r.get("lastError")) for r in rules if r.get("health") not in ("ok", "unknown")]
    firing = sorted(set(r.get("name") for r in rules if r.get("state") == "firing"))
    ev.observe("alert_rules", len(rules), "count")
    ev.observe("unhealthy_rules", unhealthy[:SHOWN_TARGETS])
    ev.observe("firing_alerts", firing[:SHOWN_TARGETS])
    required = [spec["name"] for spec in plan["required_alerts"]]
    if required:
        check_required_alerts(plan, by_name, ev)
    for rule in unhealthy:
        status = "fail" if rule["name"] in required else "warn"
        ev.finding(status, "alert rule {} is not healthy ({}): {}".format(
            rule["name"], rule["health"], rule.get("last_error") or "no error given"))


def run(plan, ctx):
    api = JsonApi(plan["connection"], ctx.child_timeout())
    ev = Evaluation()
    ev.observe("url", mask_url(plan["connection"]["url"]))
    targets = fetch_targets(api)
    rules = fetch_alert_rules(api)
    check_targets(plan, targets, ev)
    check_alert_rules(plan, rules, ev)
    return ev.outcome()
