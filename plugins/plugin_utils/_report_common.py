# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers shared by the report renderers: status order, host ranges, value text, optional sections (private)."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Mapping

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
    INTERRUPTED_REASON,
    NO_GO,
    VERDICTS,
    blocking_count,
    host_ranges,
    host_sort_key,
    hosts_text,
    interrupted_text,
    no_go_reasons,
)
from ansible_collections.golive.readiness.plugins.plugin_utils._attestations import attestations_of

__all__ = [
    "CHANGE_KINDS",
    "FOLLOW_UP_LABELS",
    "GO",
    "GO_WITH_WARNINGS",
    "HOST_STATUSES",
    "NO_GO",
    "REASON_LABELS",
    "STATUSES",
    "STATUS_ORDER",
    "VERDICTS",
    "WAIVER_STATES",
    "attestations_in",
    "blocking_count",
    "checks_by_host_and_id",
    "count_text",
    "critical_waivers_of",
    "duration_text",
    "empty_checklist_hosts",
    "follow_up",
    "group_by_hosts",
    "history_of",
    "host_ranges",
    "host_sort_key",
    "hosts_text",
    "incomplete_note",
    "interrupted_text",
    "matched_text",
    "notification_of",
    "plural",
    "reasons_of",
    "section_matrix",
    "sections_of",
    "signoff_of",
    "status_position",
    "status_rank",
    "timestamp_of",
    "value_text",
    "values_text",
    "waivers_of",
    "worst_status",
]

# Worst first: the order statuses are listed in everywhere a human reads them.
STATUS_ORDER = ("error", "fail", "warn", "skipped", "pass")
HOST_STATUSES = ("ok", "unreachable", "no_results", "no_checks")
# The parts of document["history"], in the order they are shown: regressions first.
CHANGE_KINDS = ("regressions", "fixed", "new", "removed")
WAIVER_STATES = ("applied", "expired", "unused")
# How the formats label a reason for NO-GO that is not a blocking check.
REASON_LABELS = dict(interrupted="interrupted", scope="scope", unreachable="unreachable", no_results="no results",
                     task_failed="task failed")
# The item texts a report shows beside a check that did not pass, and how each is labelled.
FOLLOW_UP_LABELS = dict(hint="Hint", contact="Contact")


def status_rank(status: object) -> int:
    """How bad a status is (skipped 0 ... error 4); anything unknown ranks as an error."""
    return STATUS_RANK.get(status, STATUS_RANK["error"])


def status_position(status: object) -> int:
    """Where a status is listed (STATUS_ORDER: error first, pass last); anything unknown with the errors."""
    return STATUS_ORDER.index(status) if status in STATUS_ORDER else 0


def worst_status(statuses: Iterable) -> str | None:
    """The worst of several statuses, or None for none."""
    statuses = list(statuses)
    return max(statuses, key=status_rank) if statuses else None


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{int(count)} {word if count == 1 else (many or word + 's')}"


def rounds_text(check: Mapping) -> str:
    """'3 rounds' for a check its call ran more than once while waiting (or never, '0 rounds'), else ''.

    Records of calls without a wait, and of reports older than the wait option, have no rounds: one round."""
    rounds = check.get("rounds")
    if not isinstance(rounds, int) or isinstance(rounds, bool) or rounds == 1:
        return ""
    return plural(rounds, "round")


def count_text(by_status: Mapping | None) -> str:
    """'2 fail, 1 warn, 35 pass' (worst first, zeros left out), or 'none'."""
    by_status = by_status or {}
    return ", ".join(f"{int(by_status[s])} {s}" for s in STATUS_ORDER if by_status.get(s)) or "none"


def group_by_hosts(items: Iterable[Mapping], keys: Iterable[str]) -> list[tuple[Mapping, list[str]]]:
    """[(first item, [hosts])]: items equal in ``keys`` folded into one entry, in first-seen order."""
    groups = {}
    for item in items:
        marker = tuple(json.dumps(item.get(key), sort_keys=True, default=str) for key in keys)
        entry = groups.setdefault(marker, (item, []))
        host = str(item.get("host"))
        if host not in entry[1]:
            entry[1].append(host)
    return list(groups.values())


def value_text(value: object, limit: int | None = None) -> str:
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


def duration_text(duration_ms: object) -> str:
    """A record's duration_ms for people ('850ms', '2s'); empty when it is not a number."""
    if isinstance(duration_ms, bool) or not isinstance(duration_ms, (int, float)):
        return ""
    return format_value(duration_ms, "ms")


def follow_up(item: Mapping) -> list[tuple[str, str]]:
    """[('Hint', text), ('Contact', text)]: what the check's item says to do and who acts, for a check that did not
    pass (a passed check has nothing to follow up); only the texts the item sets."""
    if item.get("status") == "pass":
        return []
    return [(label, str(item[name])) for name, label in FOLLOW_UP_LABELS.items()
            if isinstance(item.get(name), str) and item[name]]


def checks_by_host_and_id(document: Mapping) -> dict[tuple[str, str], Mapping]:
    """{(host, id): record}: the full record behind a reason or a warning entry (the first of a host and id)."""
    found = {}
    for check in document.get("checks") or ():
        found.setdefault((str(check.get("host")), str(check.get("id"))), check)
    return found


def values_text(values: object, limit: int | None = None) -> str:
    """A record's observed or expected mapping on one line: 'free_bytes: 76.9 GiB, free_percent: 24.4%'."""
    if not isinstance(values, Mapping):
        return "" if values in (None, "") else value_text(values, limit)
    return ", ".join(f"{name}: {value_text(value, limit)}" for name, value in values.items())


def timestamp_of(text: object) -> float | None:
    """Seconds since the epoch of an ISO 8601 time ('2026-11-24T10:15:00Z'), or None when it is not one."""
    try:
        moment = datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


def sections_of(document: Mapping) -> list[str]:
    """Section names in the order of counts.by_section, then any only the checks name."""
    sections = list((document.get("counts") or {}).get("by_section") or {})
    for check in document.get("checks") or ():
        section = str(check.get("section") or "unknown")
        if section not in sections:
            sections.append(section)
    return sections


def section_matrix(document: Mapping) -> tuple[list[str], list[str], dict[tuple[str, str], dict[str, int]]]:
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


def incomplete_note(document: Mapping) -> str | None:
    """'INCOMPLETE: run interrupted (SIGTERM)' for a report of an interrupted run, else None."""
    if not document.get("incomplete"):
        return None
    interrupted = document.get("interrupted") or {}
    reason = interrupted.get("reason") or INTERRUPTED_REASON
    return f"INCOMPLETE: {reason} ({interrupted['signal']})" if interrupted.get("signal") else f"INCOMPLETE: {reason}"


def reasons_of(document: Mapping) -> list[dict]:
    """The report's reasons for NO-GO, in the order every format shows them (see _verdict.no_go_reasons).

    A report written before the document carried them (schema 1) has them derived here, the one place, from
    its blocking items, scope problems, hosts, failed tasks and interruption.
    """
    reasons = document.get("reasons")
    if isinstance(reasons, list):
        return [dict(reason) for reason in reasons]
    blocking = [dict(item, host=str(item.get("host")), status=item.get("status") or "error")
                for item in document.get("blocking") or () if isinstance(item, Mapping)]
    hosts = {str(host["name"]): dict(host) for host in document.get("hosts") or ()
             if isinstance(host, Mapping) and "name" in host}
    for entry in document.get("unreachable") or ():
        if isinstance(entry, Mapping) and hosts.get(str(entry.get("host")), {}).get("status") != "unreachable":
            hosts[str(entry.get("host"))] = dict(name=str(entry.get("host")), status="unreachable",
                                                 reason=entry.get("message") or "unreachable")
    return no_go_reasons(blocking, list(document.get("scope_problems") or ()), list(hosts.values()),
                         [dict(task) for task in document.get("failed_tasks") or ()], document.get("interrupted"))


def matched_text(expired_waiver: Mapping) -> str:
    """'web01 disk_space:/, web02 disk_space:/': the records an expired waiver would have covered."""
    return ", ".join(f"{m.get('host')} {m.get('id')}" for m in expired_waiver.get("matched") or ())


def history_of(document: Mapping) -> dict:
    """document["history"] with every part present (empty when the report has no history)."""
    history = document.get("history") or {}
    found = dict((kind, list(history.get(kind) or ())) for kind in CHANGE_KINDS)
    found["previous"] = history.get("previous") or None
    found["present"] = bool(history)
    return found


def waivers_of(document: Mapping) -> dict[str, list]:
    waivers = document.get("waivers") or {}
    return dict((state, list(waivers.get(state) or ())) for state in WAIVER_STATES)


def critical_waivers_of(document: Mapping) -> list[dict]:
    """The waivers that waived a critical check, each with the records it covered (listed before any other)."""
    return [dict(entry) for entry in (document.get("waivers") or {}).get("critical") or ()]


def empty_checklist_hosts(document: Mapping) -> list[Mapping]:
    """Hosts in scope that had no check at all."""
    return [host for host in document.get("hosts") or () if host.get("status") == "no_checks"]


def signoff_of(document: Mapping) -> dict | None:
    """document["signoff"] or None; approvers always a list."""
    signoff = document.get("signoff")
    if not isinstance(signoff, Mapping):
        return None
    found = dict(signoff)
    found["approvers"] = [dict(a) for a in signoff.get("approvers") or ()]
    return found


def attestations_in(document: Mapping) -> dict | None:
    """document["attestations"] (derived from the attestation records of a report that lacks it), or None when
    the run required and received no attestation."""
    section = document.get("attestations")
    if not isinstance(section, Mapping):
        section = attestations_of(document.get("checks") or [])
    found = dict(section)
    found["items"] = [dict(item) for item in section.get("items") or ()]
    return found if found["items"] else None


def notification_of(document: Mapping) -> dict | None:
    notification = document.get("notification")
    return dict(notification) if isinstance(notification, Mapping) else None
