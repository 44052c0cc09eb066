# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""report.md: the readiness report as GitHub-flavoured Markdown, for a ticket or a pull request (private)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from ansible_collections.golive.readiness.plugins.plugin_utils._attestations import attestations_summary
from ansible_collections.golive.readiness.plugins.plugin_utils._report_common import (
    CHANGE_KINDS,
    GO,
    NO_GO,
    REASON_LABELS,
    attestations_in,
    blocking_count,
    checks_by_host_and_id,
    count_text,
    critical_waivers_of,
    empty_checklist_hosts,
    follow_up,
    group_by_hosts,
    history_of,
    host_ranges,
    incomplete_note,
    matched_text,
    notification_of,
    plural,
    reasons_of,
    rounds_text,
    section_matrix,
    signoff_of,
    status_position,
    value_text,
    waivers_of,
    worst_status,
)

# A value longer than this is cut in the tables; report.json keeps it whole.
VALUE_LIMIT = 160
VERDICT_MARKS = {GO: "🟢", NO_GO: "🔴"}
STATUS_MARKS = {"pass": "✅", "warn": "⚠️", "fail": "❌", "error": "⛔", "skipped": "⏭️"}
CHANGE_TITLES = {"regressions": "Newly failing (regressions)", "fixed": "Fixed", "new": "New checks",
                 "removed": "Removed checks"}
# Characters that GitHub Markdown would read as formatting, links or table structure.
_SPECIAL = re.compile(r"([\\`*_\[\]{}()#+!|~])")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}
# Characters a code span in a table cell cannot carry: CR and LF both end a line in Markdown.
_NOT_IN_CODE = re.compile(r"[`|\r\n<&]")


def md(value: object) -> str:
    """Inline text that cannot break a table row, start formatting or inject HTML."""
    text = "" if value is None else str(value)
    text = "".join(_HTML.get(ch, ch) for ch in text)
    text = _SPECIAL.sub(r"\\\1", text)
    return re.sub(r"\r\n|\r|\n", "<br>", text)


def code(value: object) -> str:
    """An id or path shown as code; what a code span cannot hold in a table cell (backticks, pipes, line breaks,
    and HTML-looking text) falls back to md."""
    text = "" if value is None else str(value)
    if not text or _NOT_IN_CODE.search(text):
        return md(text)
    return f"`{text}`"


def _status(status: object) -> str:
    return f"{STATUS_MARKS.get(status, '⛔')} {md(status)}"


def _waived_checks_text(critical_waiver: Mapping) -> str:
    return md(", ".join(f"{r.get('host')} {r.get('id')}" for r in critical_waiver.get("checks") or ()))


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    if not rows:
        return []
    lines = [f"| {' | '.join(headers)} |", f"|{'|'.join(' --- ' for dummy in headers)}|"]
    lines += [f"| {' | '.join(cell if cell != '' else ' ' for cell in row)} |" for row in rows]
    return [*lines, ""]


def _before_after(change: Mapping) -> str:
    before = _status(change["before"]) if change.get("before") else "absent"
    after = _status(change["after"]) if change.get("after") else "absent"
    return f"{before} → {after}"


def _hosts(hosts: list[str]) -> str:
    return md(", ".join(host_ranges(hosts)))


def _check(item: Mapping) -> str:
    return f"{md(item.get('title'))}<br>{code(item.get('id'))}"


def _follow_up(item: Mapping) -> str:
    """'<br>**Hint:** ...<br>**Contact:** ...' of a check that did not pass, when its item says."""
    return "".join(f"<br>**{label}:** {md(text)}" for label, text in follow_up(item))


def _reason_row(reason: Mapping, records: Mapping) -> list[str]:
    """A reason for NO-GO as a Blocking row: a check with its severity and summary, anything else by its kind."""
    hosts = _hosts(reason["hosts"]) if reason["hosts"] else "all"
    if reason["kind"] == "check":
        record = records.get((str(reason["hosts"][0]), str(reason.get("id")))) or reason
        return [md(reason.get("severity")), hosts, _check(reason), _status(reason.get("status")),
                md(reason["detail"]) + _follow_up(dict(record, status=reason.get("status")))]
    return [md(REASON_LABELS.get(reason["kind"], reason["kind"])), hosts, "", _status("error"), md(reason["detail"])]


def _key_values(mapping: object) -> str:
    if not isinstance(mapping, Mapping):
        return md(value_text(mapping, VALUE_LIMIT)) if mapping not in (None, "") else ""
    return "<br>".join(f"{md(k)}: {md(value_text(v, VALUE_LIMIT))}" for k, v in mapping.items())


def _summary(check: Mapping) -> str:
    """A check's summary, with the rounds its call ran it while waiting when not one."""
    rounds = rounds_text(check)
    return md(check.get("summary")) + (f" _({md(rounds)})_" if rounds else "")


def _waiver(waiver: object) -> str:
    if not isinstance(waiver, Mapping):
        return ""
    return f"waived by {md(waiver.get('owner'))} until {md(waiver.get('expires'))}: {md(waiver.get('reason'))}"


class _Markdown(object):
    def __init__(self, document: Mapping) -> None:
        self.doc = document
        self.verdict = str(document.get("verdict") or "unknown")
        self.lines = []

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def heading(self) -> None:
        counts = self.doc.get("counts") or {}
        hosts = self.doc.get("hosts") or []
        run = self.doc.get("run") or {}
        self.add(f"# {VERDICT_MARKS.get(self.verdict, '🟡')} Go-live verdict: {md(self.verdict)}", "")
        if incomplete_note(self.doc):
            self.add(f"**{md(incomplete_note(self.doc))}**: checks still running were stopped; "
                     "what they would have found is unknown.", "")
        # Every blocking check on every host, and each other reason for NO-GO, as the gate and the notification count.
        blocking = blocking_count(reasons_of(self.doc))
        self.add(f"**{plural(counts.get('total', 0), 'check')} on {plural(len(hosts), 'host')}**: "
                 f"{md(count_text(counts.get('by_status')))}. Blocking: {blocking}. "
                 f"Waived: {int(counts.get('waived', 0))}.", "")
        inventory = md(", ".join(run.get("inventory") or ()) or "none")
        self.add(f"Generated {md(self.doc.get('generated_at'))} by {md(run.get('user'))} on "
                 f"{md(run.get('controller'))} for inventory {inventory}.", "")

    def blocking(self) -> None:
        records = checks_by_host_and_id(self.doc)
        rows = [_reason_row(reason, records) for reason in reasons_of(self.doc)]
        self.add(f"## Blocking ({len(rows)})", "")
        self.add(*(_table(["Severity", "Host", "Check", "Status", "Summary"], rows)
                   or ["Nothing blocks the go-live.", ""]))

    def warnings(self) -> None:
        items = self.doc.get("warnings") or []
        if not items:
            return
        rows = [[md(i.get("severity")), _hosts(hosts), _check(i), _status(i.get("status")),
                 md(i.get("summary")) + ("<br>" + _waiver(i.get("waiver")) if i.get("waiver") else "") + _follow_up(i)]
                for i, hosts in group_by_hosts(items, ("id", "status", "severity", "summary", "waiver"))]
        self.add(f"## Warnings ({len(items)})", "")
        self.add(*_table(["Severity", "Host", "Check", "Status", "Summary"], rows))

    def changes(self) -> None:
        history = history_of(self.doc)
        self.add("## Changes since the previous run", "")
        if not history["present"]:
            self.add("No history in this report.", "")
            return
        previous = history["previous"]
        if previous:
            self.add(f"Compared with the run of {md(previous.get('generated_at'))} (verdict "
                     f"**{md(previous.get('verdict'))}**, archived in {code(previous.get('archive'))}).", "")
        else:
            self.add("This is the first run: there is no previous report to compare with.", "")
        total = 0
        for kind in CHANGE_KINDS:
            changes = history[kind]
            total += len(changes)
            if not changes:
                continue
            rows = [[_hosts(hosts), _check(c), md(c.get("severity")),
                     _before_after(c), md(c.get("summary"))]
                    for c, hosts in group_by_hosts(changes, ("id", "before", "after", "summary"))]
            self.add(f"### {CHANGE_TITLES[kind]} ({len(changes)})", "")
            self.add(*_table(["Host", "Check", "Severity", "Status", "Summary"], rows))
        if previous and not total:
            self.add("No check changed status since the previous run.", "")

    def matrix(self) -> None:
        hosts, sections, cells = section_matrix(self.doc)
        if not hosts:
            return
        rows = []
        for host in hosts:
            row = [md(host)]
            for section in sections:
                counts = cells.get((host, section))
                if not counts:
                    row.append("·")
                    continue
                worst = worst_status(counts)
                texts = ", ".join(f"{int(counts[s])} {md(s)}" for s in sorted(counts, key=status_position))
                row.append(f"{STATUS_MARKS.get(worst, '⛔')} {texts}")
            rows.append(row)
        self.add("## Hosts × sections", "")
        self.add(*_table(["Host"] + [md(s) for s in sections], rows))

    def problems(self) -> None:
        unreachable = self.doc.get("unreachable") or []
        failed = self.doc.get("failed_tasks") or []
        if unreachable:
            self.add(f"## Unreachable hosts ({len(unreachable)})", "")
            self.add(*_table(["Host", "Task", "Message"], [[md(u.get("host")), md(u.get("task")), md(u.get(
                "message"))] for u in unreachable]))
        empty = empty_checklist_hosts(self.doc)
        if empty:
            self.add(f"## Hosts with an empty checklist ({len(empty)})", "")
            self.add(*_table(["Host", "Reason"], [[md(h.get("name")), md(h.get("reason"))] for h in empty]))
        if failed:
            self.add(f"## Failed tasks ({len(failed)})", "")
            self.add(*_table(["Host", "Task", "Message"], [[md(t.get("host")), md(t.get("task")), md(t.get(
                "message"))] for t in failed]))

    def waivers(self) -> None:
        waivers = waivers_of(self.doc)
        self.add("## Waivers", "")
        self.add(f"{len(waivers['applied'])} applied, {len(waivers['expired'])} expired (not applied), "
                 f"{len(waivers['unused'])} unused.", "")

        def cells(w: Mapping) -> list[str]:
            return [f"{code(w.get('id'))} on {md(', '.join(str(h) for h in w.get('hosts') or ()))}",
                    md(w.get("reason")), md(w.get("owner")), md(w.get("expires")), md(w.get("ticket") or "")]

        critical = critical_waivers_of(self.doc)
        if critical:
            self.add(f"### Waived a critical check ({len(critical)})", "")
            rows = [[*cells(c["waiver"]), _waived_checks_text(c)]
                    for c in critical]
            self.add(*_table(["Waiver", "Reason", "Owner", "Expires", "Ticket", "Critical checks waived"], rows))
        if waivers["applied"]:
            self.add("### Applied", "")
            rows = [[md(a.get("host")), code(a.get("id")), _status(a.get("status")), *cells(a.get("waiver") or {})]
                    for a in waivers["applied"]]
            self.add(*_table(["Host", "Check", "Status", "Waiver", "Reason", "Owner", "Expires", "Ticket"], rows))
        if waivers["expired"]:
            self.add("### Expired, not applied", "")
            self.add(*_table(["Waiver", "Reason", "Owner", "Expired", "Ticket", "Would have covered"],
                             [[*cells(w), md(matched_text(w))] for w in waivers["expired"]]))
        if waivers["unused"]:
            self.add("### Unused", "")
            self.add(*_table(["Waiver", "Reason", "Owner", "Expires", "Ticket"],
                             [cells(w) for w in waivers["unused"]]))

    def checks(self) -> None:
        checks = list(self.doc.get("checks") or ())
        problems = [c for c in checks if c.get("status") != "pass"]
        passed = [c for c in checks if c.get("status") == "pass"]
        problems.sort(key=lambda c: status_position(c.get("status")))
        self.add(f"## Checks that did not pass ({len(problems)})", "")
        rows = [[_status(c.get("status")), md(c.get("severity")), md(c.get("host")), md(c.get("section")), _check(c),
                 _summary(c) + ("<br>" + _waiver(c.get("waiver")) if c.get("waiver") else "") + _follow_up(c),
                 _key_values(c.get("observed")), _key_values(c.get("expected"))] for c in problems]
        self.add(*(_table(["Status", "Severity", "Host", "Section", "Check", "Summary", "Observed", "Expected"], rows)
                   or ["Every check passed.", ""]))
        if passed:
            self.add(f"<details><summary>{md(plural(len(passed), 'passed check'))}</summary>", "")
            self.add(*_table(["Host", "Section", "Check", "Summary"], [
                [md(c.get("host")), md(c.get("section")), code(c.get("id")), _summary(c)] for c in passed]))
            self.add("</details>", "")

    def notification(self) -> None:
        notification = notification_of(self.doc)
        if not notification:
            return
        text = md(notification.get("status"))
        if notification.get("target"):
            text += f" to {code(notification['target'])}"
        if notification.get("attempts"):
            text += f" after {plural(int(notification['attempts']), 'attempt')}"
        if notification.get("http_status"):
            text += f" (HTTP {md(notification['http_status'])})"
        if notification.get("message"):
            text += f": {md(notification['message'])}"
        self.add(f"**Notification:** {text}", "")

    def run(self) -> None:
        run = self.doc.get("run") or {}
        facts = [
            ("Started", run.get("started")), ("Finished", run.get("finished")),
            ("Duration", f"{run.get('duration_s')} s" if run.get("duration_s") is not None else None),
            ("Run by", f"{run.get('user')} on {run.get('controller')}"), ("Playbook", run.get("playbook")),
            ("Inventory", ", ".join(run.get("inventory") or ()) or None), ("Limit", run.get("limit")),
            ("Check mode", "yes" if run.get("check_mode") else "no"), ("ansible-core", run.get("ansible_version")),
            ("golive.readiness", run.get("collection_version")),
            ("Blocking severities", ", ".join(self.doc.get("blocking_severities") or ()) or "none"),
            ("Archive", self.doc.get("archive")),
        ]
        self.add("## Run", "")
        self.add(*_table(["", ""], [[md(k), md(v)] for k, v in facts if v is not None]))
        self.notification()

    def signoff(self) -> None:
        signoff = signoff_of(self.doc)
        self.add("## Sign-off", "")
        if not signoff:
            self.add("No approvers are named in the inventory.", "")
            return
        status = md(str(signoff.get("status") or "pending").replace("_", " "))
        self.add(f"**{status}**: {md(signoff.get('summary') or '')}", "")
        rows = []
        for a in signoff["approvers"]:
            decision = a.get("decision")
            if decision:
                shown = md(decision) if a.get("accepted") is not False else f"~~{md(decision)}~~ (not accepted)"
                note = "; ".join(md(t) for t in (a.get("comment"), a.get("note")) if t)
                rows.append([md(a.get("role")), md(a.get("name")), shown, md(a.get("date")), note])
            else:
                rows.append([md(a.get("role")), md(a.get("name")), "pending", "", "signature: ______________"])
        self.add(*(_table(["Role", "Name", "Decision", "Date", "Comment"], rows)
                   or ["No approvers are named in the inventory.", ""]))

    def attestations(self) -> None:
        """Beside the sign-off: each human item, who attested it, when and the evidence."""
        section = attestations_in(self.doc)
        self.add("## Attestations", "")
        if not section:
            self.add("No attestation is required in the inventory.", "")
            return
        self.add(md(attestations_summary(section)), "")
        rows = []
        for item in section["items"]:
            status = md(item.get("status")) + (" (waived)" if item.get("waiver") else "")
            label = f"{md(item.get('title'))} {code(item.get('id'))}"
            if not item.get("required"):
                label += " (not required)"
            rows.append([label, status, md(item.get("severity")), md(item.get("by") or "nobody"), md(item.get("at")),
                         md(item.get("evidence")), md(item.get("expires")), md(item.get("summary"))])
        self.add(*_table(["Item", "Status", "Severity", "By", "At", "Evidence", "Expires", "Summary"], rows))

    def render(self) -> str:
        self.heading()
        self.blocking()
        self.changes()
        self.warnings()
        self.problems()
        self.waivers()
        self.matrix()
        self.checks()
        self.signoff()
        self.attestations()
        self.run()
        while self.lines and self.lines[-1] == "":
            self.lines.pop()
        return "\n".join(self.lines) + "\n"


def render_markdown(document: Mapping) -> str:
    """The report document as GitHub-flavoured Markdown; cell values cannot break tables or inject HTML."""
    return _Markdown(document).render()
