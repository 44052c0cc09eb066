# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check kind prometheus_targets: Prometheus scrapes its targets and has the required alert rules (private).

Two read-only requests to Prometheus's HTTP API: ``/api/v1/targets?state=active`` and
``/api/v1/rules?type=alert``.
"""

from __future__ import annotations

from ansible_collections.golive.readiness.plugins.module_utils._check import (
    Evaluation,
    Limit,
    OptionError,
    check_order,
    mask_url,
    parse_count,
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
    required_alerts=dict(type="list", elements="str"),
)

SHOWN_TARGETS = 10  # down or unknown targets listed in observed
SUMMARY_TARGETS = 3  # of which named in the summary
SHOWN_ERROR_CHARS = 200


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
        required_alerts=_names(item.get("required_alerts"), "required_alerts"),
    )


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
    required = plan["required_alerts"]
    if required:
        ev.expect("required_alerts", required)
        missing = [name for name in required if name not in by_name]
        ev.observe("missing_alerts", missing)
        problem = "alert rule{} not loaded: {}".format("s" if len(missing) > 1 else "", ", ".join(missing))
        ev.require(not missing, problem, passing=f"{len(required)} required alert rules loaded")
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
