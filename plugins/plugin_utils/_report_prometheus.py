# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""golive.prom: the verdict and counts in the Prometheus text format, for a node-exporter textfile collector
(private)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ansible_collections.golive.readiness.plugins.plugin_utils._report_common import (
    CHANGE_KINDS,
    HOST_STATUSES,
    STATUSES,
    VERDICTS,
    WAIVER_STATES,
    attestations_in,
    history_of,
    notification_of,
    reasons_of,
    sections_of,
    signoff_of,
    timestamp_of,
    waivers_of,
)

NOTIFICATION_STATUSES = ("sent", "failed", "not_configured")
SIGNOFF_STATUSES = ("signed", "pending", "rejected", "not_required")
# Longest reason text (and host list) kept in a label; report.json has them whole.
REASON_LABEL_LIMIT = 300


def label_value(value: object) -> str:
    """A label value escaped per the text exposition format: backslash, double quote and line feed."""
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    return repr(float(value))


class _Exposition(object):
    def __init__(self) -> None:
        self.lines = []

    def family(self, name: str, help_text: str, samples: Iterable[tuple[Mapping, float]]) -> None:
        """One metric family: HELP, TYPE (gauge), then its samples [(labels dict, value)]."""
        escaped = help_text.replace("\\", "\\\\").replace("\n", "\\n")
        self.lines.append(f"# HELP {name} {escaped}")
        self.lines.append(f"# TYPE {name} gauge")
        for labels, value in samples:
            text = ",".join(f'{key}="{label_value(val)}"' for key, val in labels.items())
            braced = f"{{{text}}}" if text else ""
            self.lines.append(f"{name}{braced} {_number(value)}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _one_hot(label: str, values: Iterable, chosen: object) -> list[tuple[dict, int]]:
    """A 0/1 series per possible value, plus the chosen value when it is not one of them."""
    names = list(values) + ([chosen] if chosen is not None and chosen not in values else [])
    return [({label: name}, 1 if name == chosen else 0) for name in names]


def render_prometheus(document: Mapping) -> str:
    """The report document as Prometheus text exposition (every series present, zeros included)."""
    out = _Exposition()
    counts = document.get("counts") or {}
    out.family("golive_verdict", "Go-live verdict of the last run: 1 for the verdict reached, 0 for the others.",
               _one_hot("verdict", VERDICTS, document.get("verdict")))
    out.family("golive_report_incomplete", "1 when the last run was interrupted and its report is incomplete.",
               [({}, 1 if document.get("incomplete") else 0)])
    by_section = counts.get("by_section") or {}
    samples = []
    for section in sections_of(document):
        section_counts = by_section.get(section) or {}
        if not by_section:
            section_counts = _count_checks(document, section)
        samples += [({"section": section, "status": status}, int(section_counts.get(status, 0)))
                    for status in STATUSES]
    out.family("golive_checks", "Check records of the last run by checklist section and status.", samples)
    out.family("golive_no_go_reasons", "Reasons the verdict is NO-GO, in the report's order (rank), by kind.",
               _reason_samples(document))
    out.family("golive_blocking_checks", "Check records that make the verdict NO-GO.",
               [({}, int(counts.get("blocking", len(document.get("blocking") or ()))))])
    out.family("golive_waived_checks", "Check records a waiver applied to.", [({}, int(counts.get("waived", 0)))])
    host_counts = dict((status, 0) for status in HOST_STATUSES)
    for host in document.get("hosts") or ():
        status = str(host.get("status"))
        host_counts[status] = host_counts.get(status, 0) + 1
    out.family("golive_hosts", "Hosts in the report by status (ok, unreachable, no_results, no_checks).",
               [({"status": status}, n) for status, n in host_counts.items()])
    empty = [host.get("name") for host in document.get("hosts") or () if host.get("status") == "no_checks"]
    if empty:
        out.family("golive_host_empty_checklist", "1 for each host in scope that had no check.",
                   [({"host": name}, 1) for name in empty])
    out.family("golive_scope_problems", "Reasons the run checked less than asked (nothing, a probe group "
               "matching no host); each makes the verdict NO-GO.", [({}, len(document.get("scope_problems") or ()))])
    out.family("golive_failed_tasks", "Tasks that failed outside the checks.",
               [({}, len(document.get("failed_tasks") or ()))])
    waivers = waivers_of(document)
    out.family("golive_waivers", "Waivers by state: applied (records covered), expired (matched but not applied), "
               "unused (matched no problem).", [({"state": state}, len(waivers[state])) for state in WAIVER_STATES])
    out.family("golive_critical_waivers", "Waivers that waived a critical check.",
               [({}, len((document.get("waivers") or {}).get("critical") or ()))])
    history = history_of(document)
    out.family("golive_changes", "Checks whose status changed since the previous run, by kind of change.",
               [({"change": kind}, len(history[kind])) for kind in CHANGE_KINDS])
    out.family("golive_previous_run", "1 when the report was compared with a previous run, else 0.",
               [({}, 1 if history["previous"] else 0)])
    signoff = signoff_of(document)
    if signoff:
        out.family("golive_signoff", "Sign-off state of the verdict: 1 for the current state, 0 for the others.",
                   _one_hot("status", SIGNOFF_STATUSES, signoff.get("status")))
    attestations = attestations_in(document)
    if attestations:
        out.family("golive_attestations", "Required attestations (golive_attestations_required) by status.",
                   _attestation_counts(attestations))
        out.family("golive_attestation", "1 for each attestation's status (kind attestation, id attestation:<id>); "
                   "required=\"false\" for an id no item requires.", _attestation_samples(attestations))
    notification = notification_of(document)
    if notification:
        out.family("golive_notification", "Outcome of the run's notification: 1 for the outcome, 0 for the others.",
                   _one_hot("status", NOTIFICATION_STATUSES, notification.get("status")))
    stamp = timestamp_of(document.get("generated_at"))
    if stamp is not None:
        out.family("golive_report_timestamp_seconds", "When the report was written, in seconds since the epoch.",
                   [({}, stamp)])
    duration = (document.get("run") or {}).get("duration_s")
    if isinstance(duration, (int, float)) and not isinstance(duration, bool):
        out.family("golive_run_duration_seconds", "Wall-clock duration of the ansible-playbook run.",
                   [({}, float(duration))])
    return out.text()


def _reason_samples(document: dict) -> list[tuple[dict, int]]:
    """One series per reason for NO-GO, its rank, kind, hosts and text as labels (none for GO)."""
    return [(dict(rank=str(rank), kind=reason["kind"], hosts=_cut(",".join(reason["hosts"]), REASON_LABEL_LIMIT),
                  reason=_cut(reason["text"], REASON_LABEL_LIMIT)), 1)
            for rank, reason in enumerate(reasons_of(document), start=1)]


def _attestation_counts(attestations: Mapping) -> list[tuple[dict, int]]:
    counts = attestations.get("by_status") or {}
    return [({"status": status}, int(counts.get(status, 0))) for status in STATUSES]


def _attestation_samples(attestations: Mapping) -> list[tuple[dict, int]]:
    return [(dict(id=_cut(str(item.get("id")), REASON_LABEL_LIMIT), status=str(item.get("status")),
                  severity=str(item.get("severity")), required="true" if item.get("required") else "false",
                  waived="true" if item.get("waiver") else "false"), 1)
            for item in attestations["items"]]


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def _count_checks(document: Mapping, section: str) -> dict[str, int]:
    counts = {}
    for check in document.get("checks") or ():
        if str(check.get("section") or "unknown") == section:
            counts[check.get("status")] = counts.get(check.get("status"), 0) + 1
    return counts
