# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers shared by the report renderers: status order, host ranges, value text, optional sections (private)."""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Mapping

from ansible_collections.golive.readiness.plugins.module_utils._check import (
    STATUS_RANK,
    STATUSES,
    format_value,
    is_levels,
    is_quantity,
    levels_text,
)
from ansible_collections.golive.readiness.plugins.module_utils._verdict import (
    GO,
    GO_WITH_WARNINGS,
    NO_GO,
    VERDICTS,
    host_sort_key,
)

__all__ = [
    "CHANGE_KINDS", "GO", "GO_WITH_WARNINGS", "HOST_STATUSES", "NO_GO", "STATUSES", "STATUS_ORDER", "VERDICTS",
    "WAIVER_STATES", "count_text", "critical_waivers_of", "empty_checklist_hosts", "group_by_hosts",
    "history_of", "host_ranges", "host_sort_key", "incomplete_note", "interrupted_text", "matched_text",
    "no_go_reasons", "notification_of", "plural", "section_matrix", "sections_of", "signoff_of",
    "status_position", "status_rank", "timestamp_of", "value_text", "values_text", "waivers_of", "worst_status",
]

# Worst first: the order statuses are listed in everywhere a human reads them.
STATUS_ORDER = ("error", "fail", "warn", "skipped", "pass")
HOST_STATUSES = ("ok", "unreachable", "no_results", "no_checks")
# The parts of document["history"], in the order they are shown: regressions first.
CHANGE_KINDS = ("regressions", "fixed", "new", "removed")
WAIVER_STATES = ("applied", "expired", "unused")


def status_rank(status):
    """How bad a status is (skipped 0 ... error 4); anything unknown ranks as an error."""
    return STATUS_RANK.get(status, STATUS_RANK["error"])


def status_position(status):
    """Where a status is listed (STATUS_ORDER: error first, pass last); anything unknown with the errors."""
    return STATUS_ORDER.index(status) if status in STATUS_ORDER else 0


def worst_status(statuses):
    """The worst of several statuses, or None for none."""
    statuses = list(statuses)
    return max(statuses, key=status_rank) if statuses else None


def plural(count, word, many=None):
    return "%d %s" % (count, word if count == 1 else (many or word + "s"))


def count_text(by_status):
    """'2 fail, 1 warn, 35 pass' (worst first, zeros left out), or 'none'."""
    by_status = by_status or {}
    return ", ".join("%d %s" % (by_status[s], s) for s in STATUS_ORDER if by_status.get(s)) or "none"


def host_ranges(names):
    """Host names with runs of numbered siblings folded: ['web01'...'web12', 'db1'] -> ['web01-web12', 'db1'].

    Only names sharing the prefix, the suffix and the number's width join a run, so the text reads back
    to exactly the given hosts.
    """
    parsed = []
    for name in sorted(set(str(n) for n in names), key=host_sort_key):
        match = re.match(r"^(.*?)(\d+)(\D*)$", name)
        parsed.append((name, match.groups() if match else None))
    ranges, run = [], []

    def close():
        if len(run) > 2:
            ranges.append("%s-%s" % (run[0][0], run[-1][0]))
        else:
            ranges.extend(entry[0] for entry in run)
        del run[:]

    for name, parts in parsed:
        if run and parts and run[-1][1]:
            prefix, number, suffix = parts
            last_prefix, last_number, last_suffix = run[-1][1]
            if (prefix, suffix, len(number)) == (last_prefix, last_suffix, len(last_number)) \
                    and int(number) == int(last_number) + 1:
                run.append((name, parts))
                continue
        close()
        run.append((name, parts))
    close()
    return ranges


def group_by_hosts(items, keys):
    """[(first item, [hosts])]: items equal in ``keys`` folded into one entry, in first-seen order."""
    groups = {}
    for item in items:
        marker = tuple(json.dumps(item.get(key), sort_keys=True, default=str) for key in keys)
        entry = groups.setdefault(marker, (item, []))
        host = str(item.get("host"))
        if host not in entry[1]:
            entry[1].append(host)
    return list(groups.values())


def value_text(value, limit: int | None = None) -> str:
    """A measured or expected value as one line of text for people: a quantity in its unit ('76.9 GiB'), levels
    as 'warn < 20.0 GiB, fail < 10.0 GiB', lists comma-joined, mappings as 'k: v', JSON scalars.

    Every format shows a record's values through this function (and _check.format_value / levels_text, which
    the checks' summaries use too); a schema version 1 record's plain values read as before."""
    if value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = value
    elif is_quantity(value):
        text = format_value(value["value"], value["unit"])
    elif is_levels(value):
        text = levels_text(value)
    elif isinstance(value, Mapping):
        text = "{" + ", ".join(f"{k}: {value_text(v)}" for k, v in value.items()) + "}"
    elif isinstance(value, (list, tuple)):
        text = "[" + ", ".join(value_text(v) for v in value) + "]"
    else:
        text = str(value)
    if limit is not None and len(text) > limit:
        text = text[:limit - 1] + "…"
    return text


def values_text(values, limit: int | None = None) -> str:
    """A record's observed or expected mapping on one line: 'free_bytes: 76.9 GiB, free_percent: 24.4%'."""
    if not isinstance(values, Mapping):
        return "" if values in (None, "") else value_text(values, limit)
    return ", ".join(f"{name}: {value_text(value, limit)}" for name, value in values.items())


def timestamp_of(text):
    """Seconds since the epoch of an ISO 8601 time ('2026-11-24T10:15:00Z'), or None when it is not one."""
    try:
        moment = datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


def sections_of(document):
    """Section names in the order of counts.by_section, then any only the checks name."""
    sections = list((document.get("counts") or {}).get("by_section") or {})
    for check in document.get("checks") or ():
        section = str(check.get("section") or "unknown")
        if section not in sections:
            sections.append(section)
    return sections


def section_matrix(document):
    """(hosts, sections, {(host, section): {status: n}}) over the checks; hosts in natural order."""
    cells = {}
    hosts = [str(h.get("name")) for h in document.get("hosts") or ()]
    for check in document.get("checks") or ():
        host, section = str(check.get("host")), str(check.get("section") or "unknown")
        if host not in hosts:
            hosts.append(host)
        counts = cells.setdefault((host, section), {})
        counts[check.get("status")] = counts.get(check.get("status"), 0) + 1
    return sorted(hosts, key=host_sort_key), sections_of(document), cells


def _interruption(interrupted):
    """'run interrupted (SIGINT)'."""
    reason = interrupted.get("reason") or "run interrupted"
    signal_name = interrupted.get("signal")
    return f"{reason} ({signal_name})" if signal_name else reason


def interrupted_text(interrupted):
    """'run interrupted (SIGINT): the report is incomplete; checks still running were stopped'."""
    return f"{_interruption(interrupted)}: the report is incomplete; checks still running were stopped"


def incomplete_note(document):
    """'INCOMPLETE: run interrupted (SIGTERM)' for a report of an interrupted run, else None."""
    if not document.get("incomplete"):
        return None
    return f"INCOMPLETE: {_interruption(document.get('interrupted') or {})}"


def no_go_reasons(document):
    """What besides blocking checks makes a NO-GO: [(host, kind, text)] for an interrupted run, what the run's
    scope left unchecked (nothing at all, a probe group matching no host), unreachable hosts, hosts without
    results and failed tasks."""
    reasons = []
    if document.get("interrupted"):
        reasons.append(("all", "interrupted", interrupted_text(document["interrupted"])))
    reasons += [("-", "scope", str(problem)) for problem in document.get("scope_problems") or ()]
    unreachable = set()
    for entry in document.get("unreachable") or ():
        unreachable.add(entry.get("host"))
        reasons.append((entry.get("host"), "unreachable", entry.get("message") or "unreachable"))
    for host in document.get("hosts") or ():
        if host.get("status") == "unreachable" and host.get("name") not in unreachable:
            reasons.append((host.get("name"), "unreachable", host.get("reason") or "unreachable"))
        elif host.get("status") == "no_results":
            reasons.append((host.get("name"), "no results", host.get("reason") or "no check results"))
    for task in document.get("failed_tasks") or ():
        reasons.append((task.get("host"), "task failed", "%s: %s" % (task.get("task"), task.get("message"))))
    return reasons


def matched_text(expired_waiver):
    """'web01 disk_space:/, web02 disk_space:/': the records an expired waiver would have covered."""
    return ", ".join("%s %s" % (m.get("host"), m.get("id")) for m in expired_waiver.get("matched") or ())


def history_of(document):
    """document["history"] with every part present (empty when the report has no history)."""
    history = document.get("history") or {}
    found = dict((kind, list(history.get(kind) or ())) for kind in CHANGE_KINDS)
    found["previous"] = history.get("previous") or None
    found["present"] = bool(history)
    return found


def waivers_of(document):
    waivers = document.get("waivers") or {}
    return dict((state, list(waivers.get(state) or ())) for state in WAIVER_STATES)


def critical_waivers_of(document):
    """The waivers that waived a critical check, each with the records it covered (listed before any other)."""
    return [dict(entry) for entry in (document.get("waivers") or {}).get("critical") or ()]


def empty_checklist_hosts(document):
    """Hosts in scope that had no check at all."""
    return [host for host in document.get("hosts") or () if host.get("status") == "no_checks"]


def signoff_of(document):
    """document["signoff"] or None; approvers always a list."""
    signoff = document.get("signoff")
    if not isinstance(signoff, Mapping):
        return None
    found = dict(signoff)
    found["approvers"] = [dict(a) for a in signoff.get("approvers") or ()]
    return found


def notification_of(document):
    notification = document.get("notification")
    return dict(notification) if isinstance(notification, Mapping) else None
