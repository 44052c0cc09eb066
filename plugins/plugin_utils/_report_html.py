# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""report.html: the readiness report as one self-contained page (inline CSS and JS, opens offline) (private)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping

from ansible_collections.golive.readiness.plugins.plugin_utils._attestations import attestations_summary
from ansible_collections.golive.readiness.plugins.plugin_utils._report_common import (
    CHANGE_KINDS,
    GO,
    NO_GO,
    REASON_LABELS,
    STATUS_ORDER,
    attestations_in,
    blocking_count,
    checks_by_host_and_id,
    critical_waivers_of,
    duration_text,
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

# A value longer than this is cut in the page; report.json keeps it whole.
VALUE_LIMIT = 240
STATUS_SYMBOLS = {"pass": "✓", "warn": "!", "fail": "✗", "error": "⚠", "skipped": "–"}
VERDICT_CLASSES = {GO: "go", NO_GO: "nogo"}
_ICON = ('<svg class="icon" viewBox="0 0 48 48" width="56" height="56" aria-hidden="true" focusable="false">'
         '<circle cx="24" cy="24" r="22" fill="#fff" fill-opacity=".18" stroke="#fff" stroke-width="3"/>%s</svg>')
_STROKE = 'fill="none" stroke="#fff" stroke-width="5" stroke-linecap="round" stroke-linejoin="round"'
VERDICT_ICONS = {
    "go": _ICON % (f'<path d="M14 25l7 7 13-15" {_STROKE}/>'),
    "warn": _ICON % (f'<path d="M24 12v15" {_STROKE}/><circle cx="24" cy="35" r="3" fill="#fff"/>'),
    "nogo": _ICON % (f'<path d="M16 16l16 16M32 16L16 32" {_STROKE}/>'),
}
# Statuses whose checks open unfolded: what the meeting has to discuss. Passed and skipped checks show their
# one summary line until opened.
OPEN_STATUSES = ("warn", "fail", "error")
# A word longer than this gets line-break opportunities after its separators (ids, paths, URLs); shorter ones,
# such as '78.2', never break inside.
LONG_WORD = 16
_SEPARATOR_END = re.compile(r"(?<=[/._:=&?,-])(?=[^/._:=&?,-])")
CHANGE_TITLES = {"regressions": "Newly failing (regressions)", "fixed": "Fixed", "new": "New checks",
                 "removed": "Removed checks"}


def esc(value: object) -> str:
    """Text for HTML content and attribute values alike (quotes escaped too)."""
    return html.escape("" if value is None else str(value), quote=True)


def _rounds_note(check: Mapping) -> str:
    """Under a check's time: how many rounds its call ran it while waiting, when not one."""
    rounds = rounds_text(check)
    return f'<span class="under">{esc(rounds)}</span>' if rounds else ""


def breakable(value: object) -> str:
    """Escaped text whose long words (ids, paths, URLs) may wrap after a separator (/ . _ : = & ? , -) instead of
    overflowing their column or breaking anywhere."""
    words = re.split(r"(\s+)", "" if value is None else str(value))
    return "".join("<wbr>".join(esc(part) for part in _SEPARATOR_END.split(word)) if len(word) > LONG_WORD
                   else esc(word) for word in words)


def _attrs(**attributes: object) -> str:
    return "".join(f' {name.rstrip("_").replace("_", "-")}="{esc(value)}"'
                   for name, value in attributes.items() if value is not None)


def _status_badge(status: object) -> str:
    status = str(status or "")
    known = status if status in STATUS_SYMBOLS else "error"
    return f'<span class="badge s-{known}">{STATUS_SYMBOLS[known]} {esc(status or "none")}</span>'


def _evidence(evidence: object) -> str:
    """An evidence link that opens (http and https only: nothing else becomes a link), or the ticket as text."""
    if not evidence:
        return ""
    if re.match(r"^https?://", str(evidence), re.IGNORECASE):
        return f'<a class="evidence" href="{esc(evidence)}" rel="noopener noreferrer">{breakable(evidence)}</a>'
    return breakable(evidence)


def _severity(severity: object) -> str:
    return f'<span class="sev sev-{esc(severity)}">{esc(severity)}</span>'


def _table(headers: list[str], rows: list[str], cls: str | None = None) -> str:
    if not rows:
        return ""
    head = "".join(f"<th scope=\"col\">{esc(h)}</th>" for h in headers)
    return (f'<div class="scroll"><table{_attrs(class_=cls)}><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def _row(cells: list[str], **attributes: object) -> str:
    tds = "".join(f"<td>{c}</td>" for c in cells)
    return f"<tr{_attrs(**attributes)}>{tds}</tr>"


def _section(anchor: str, title: str, body: str, count: int | None = None) -> str:
    heading = esc(title) + ("" if count is None else f' <span class="n">{int(count)}</span>')
    return f'<section id="{anchor}" aria-labelledby="{anchor}-h"><h2 id="{anchor}-h">{heading}</h2>{body}</section>'


def _options(values: Iterable) -> str:
    return "".join(f'<option value="{esc(v)}">{esc(v)}</option>' for v in values)


def _empty(text: str) -> str:
    return f'<p class="empty">{esc(text)}</p>'


def _counted_table(title: str, headers: list[str], rows: list[str], empty_text: str = "") -> str:
    """An h3 naming the title and the row count, then the table, or the empty text when there are no rows."""
    table = _table(headers, rows) or (_empty(empty_text) if empty_text else "")
    return f'<h3>{title} <span class="n">{len(rows)}</span></h3>{table}'


def _check_label(item: Mapping) -> str:
    return f'<span class="title">{breakable(item.get("title"))}</span><code>{breakable(item.get("id"))}</code>'


def _follow_up(item: Mapping) -> str:
    """The item's hint and contact, for a check that did not pass."""
    return "".join(f'<span class="follow follow-{esc(label.lower())}"><b>{esc(label)}</b> {breakable(text)}</span>'
                   for label, text in follow_up(item))


def _hosts_text(hosts: list[str]) -> str:
    ranges = host_ranges(hosts)
    count = "" if len(hosts) == 1 else f' <span class="muted">({len(hosts)} hosts)</span>'
    return breakable(", ".join(ranges)) + count


def _shown_value(value: object) -> str:
    """One observed or expected value for people: quantities in their unit, levels as 'warn < 20.0 GiB, fail < ...',
    an empty list as 'none'."""
    if value in ([], {}):
        return '<span class="muted">none</span>'
    if isinstance(value, list) and not any(isinstance(entry, (Mapping, list)) for entry in value):
        return breakable(value_text(", ".join(value_text(entry) for entry in value), VALUE_LIMIT))
    return breakable(value_text(value, VALUE_LIMIT))


def _measures(check: Mapping) -> list[tuple[str, str, str]]:
    """[(name, observed, expected)]: each observed value beside what it was held against, then what was expected of
    nothing observed."""
    observed, expected = check.get("observed"), check.get("expected")
    observed = observed if isinstance(observed, Mapping) else ({} if observed in (None, "") else {"value": observed})
    expected = expected if isinstance(expected, Mapping) else ({} if expected in (None, "") else {"value": expected})
    absent = '<span class="muted">–</span>'
    rows = [(str(name), _shown_value(value), _shown_value(expected[name]) if name in expected else absent)
            for name, value in observed.items()]
    rows += [(str(name), absent, _shown_value(value)) for name, value in expected.items() if name not in observed]
    return rows


def _measures_table(check: Mapping) -> str:
    rows = "".join(f'<tr><th scope="row">{breakable(name)}</th><td>{seen}</td><td>{wanted}</td></tr>'
                   for name, seen, wanted in _measures(check))
    if not rows:
        return _empty("Nothing measured.")
    return ('<table class="measures"><thead><tr><th scope="col">Measure</th><th scope="col">Observed</th>'
            f'<th scope="col">Expected</th></tr></thead><tbody>{rows}</tbody></table>')


class _Page(object):
    """Builds the page from one report document."""

    def __init__(self, document: Mapping) -> None:
        self.doc = document
        self.checks = list(document.get("checks") or ())
        self.verdict = str(document.get("verdict") or "unknown")
        self.row_ids = {}
        for index, check in enumerate(self.checks):
            self.row_ids.setdefault((str(check.get("host")), str(check.get("id"))), f"row-{index}")
        self.records = checks_by_host_and_id(document)

    def _follow_up_of(self, host: object, item: Mapping) -> str:
        """The hint and contact of the record behind a reason or a warning entry (older reports' entries lack them)."""
        record = self.records.get((str(host), str(item.get("id")))) or item
        return _follow_up(dict(record, status=item.get("status")))

    def _check_link(self, host: object, check_id: object, text: str) -> str:
        anchor = self.row_ids.get((str(host), str(check_id)))
        return f'<a href="#{anchor}">{text}</a>' if anchor else text

    # --- banner -------------------------------------------------------------------------------

    def banner(self) -> str:
        counts = self.doc.get("counts") or {}
        by_status = counts.get("by_status") or {}
        hosts = self.doc.get("hosts") or []
        chips = "".join(f'<li class="chip s-{s}"><b>{int(by_status.get(s, 0))}</b> {s}</li>'
                        for s in STATUS_ORDER if by_status.get(s))
        headline = f"{plural(counts.get('total', len(self.checks)), 'check')} on {plural(len(hosts), 'host')}"
        if incomplete_note(self.doc):
            headline = f"{incomplete_note(self.doc)} · {headline}"
        history = history_of(self.doc)
        stats = [("Blocking", blocking_count(reasons_of(self.doc))),
                 ("Warnings", len(self.doc.get("warnings") or ())), ("Waived", counts.get("waived", 0))]
        if history["previous"]:
            stats.append(("Regressions", len(history["regressions"])))
        run = self.doc.get("run") or {}
        inventory = ", ".join(run.get("inventory") or ()) or "–"
        meta = (f"Generated {self.doc.get('generated_at')} · {run.get('user')}@{run.get('controller')} · "
                f"inventory {inventory}")
        signoff = signoff_of(self.doc)
        if signoff and signoff.get("approvers"):
            meta += f" · sign-off {str(signoff.get('status') or 'pending').replace('_', ' ')}"
        attestations = attestations_in(self.doc)
        if attestations:
            meta += f" · {attestations_summary(attestations)}"
        kind = VERDICT_CLASSES.get(self.verdict, "warn")
        return (
            '<header class="banner v-{}" id="verdict" role="banner"><div class="wrap banner-grid">'
            '<div class="verdict-box">{}<div><p class="eyebrow">Go-live readiness verdict</p>'
            '<h1 class="verdict" data-verdict="{}">{}</h1><p class="headline">{}</p>'
            '<ul class="chips" aria-label="Checks by status">{}</ul></div></div>'
            '<dl class="stats">{}</dl><p class="meta">{}</p></div></header>'
        ).format(kind, VERDICT_ICONS[kind], esc(self.verdict), esc(self.verdict), esc(headline), chips,
                 "".join(f"<div><dt>{esc(k)}</dt><dd>{int(v)}</dd></div>" for k, v in stats), esc(meta))

    def nav(self) -> str:
        links = [("blocking", "Blocking"), ("changes", "Changes"), ("matrix", "Hosts × sections"),
                 ("checks", "All checks"), ("waivers", "Waivers"), ("problems", "Hosts & tasks"),
                 ("run", "Run"), ("signoff", "Sign-off"), ("attestations", "Attestations")]
        anchors = "".join(f'<a href="#{anchor}">{esc(text)}</a>' for anchor, text in links)
        return f'<nav class="toc" aria-label="Sections"><div class="wrap">{anchors}</div></nav>'

    # --- sections -----------------------------------------------------------------------------

    def blocking(self) -> str:
        rows = [self._reason_row(reason) for reason in reasons_of(self.doc)]
        body = _table(["Severity", "Host", "Check", "Status", "Summary"], rows, "blocking") or (
            '<p class="clear">✓ Nothing blocks the go-live.</p>')
        warnings = self.doc.get("warnings") or []
        if warnings:
            wrows = [_row([_severity(w.get("severity")), _hosts_text(hosts),
                           self._check_link(hosts[0], w.get("id"), _check_label(w)), _status_badge(w.get("status")),
                           breakable(w.get("summary")) + self._waiver_note(w) + self._follow_up_of(hosts[0], w)])
                     for w, hosts in group_by_hosts(warnings, ("id", "status", "severity", "summary", "waiver"))]
            opened = " open" if len(wrows) <= 30 else ""
            table = _table(["Severity", "Host", "Check", "Status", "Summary"], wrows)
            body += (f'<details class="warnings"{opened}><summary>{esc(plural(len(warnings), "warning"))}</summary>'
                     f'{table}</details>')
        return _section("blocking", "Blocking", body, len(rows))

    def _reason_row(self, reason: Mapping) -> str:
        """A reason for NO-GO as a Blocking row: a check with its severity and summary, anything else by its kind."""
        hosts = _hosts_text(reason["hosts"]) if reason["hosts"] else "all"
        if reason["kind"] == "check":
            return _row([_severity(reason.get("severity")), hosts,
                         self._check_link(reason["hosts"][0], reason.get("id"), _check_label(reason)),
                         _status_badge(reason.get("status")),
                         breakable(reason["detail"]) + self._follow_up_of(reason["hosts"][0], reason)])
        label = REASON_LABELS.get(reason["kind"], reason["kind"])
        return _row([f'<span class="sev sev-critical">{esc(label)}</span>', hosts, "–", _status_badge("error"),
                     breakable(reason["detail"])])

    @staticmethod
    def _waiver_note(item: Mapping) -> str:
        waiver = item.get("waiver")
        if not isinstance(waiver, Mapping):
            return ""
        return (f' <span class="waived">waived by {breakable(waiver.get("owner"))} until '
                f'{breakable(waiver.get("expires"))}: {breakable(waiver.get("reason"))}</span>')

    def changes(self) -> str:
        history = history_of(self.doc)
        previous = history["previous"]
        if not history["present"]:
            return _section("changes", "Changes since previous run", _empty("No history in this report."))
        if previous:
            intro = (f"<p>Compared with the run of {esc(previous.get('generated_at'))} (verdict "
                     f"<b>{esc(previous.get('verdict'))}</b>, archived in <code>{esc(previous.get('archive'))}</code>)."
                     "</p>")
        else:
            intro = "<p>This is the first run: there is no previous report to compare with.</p>"
        parts, total = [], 0
        for kind in CHANGE_KINDS:
            changes = history[kind]
            total += len(changes)
            if not changes:
                continue
            rows = [_row([_hosts_text(hosts), _check_label(change), esc(change.get("section")),
                          _severity(change.get("severity")), self._before_after(change), esc(change.get("summary"))])
                    for change, hosts in group_by_hosts(changes, ("id", "before", "after", "summary"))]
            table = _table(["Host", "Check", "Section", "Severity", "Status", "Summary"], rows)
            parts.append(f'<h3 class="ch-{kind}">{esc(CHANGE_TITLES[kind])} <span class="n">{len(changes)}</span></h3>'
                         f'{table}')
        if previous and not total:
            parts.append(_empty("No check changed status since the previous run."))
        return _section("changes", "Changes since previous run", intro + "".join(parts), total)

    @staticmethod
    def _before_after(change: Mapping) -> str:
        before, after = change.get("before"), change.get("after")
        left = _status_badge(before) if before else '<span class="muted">absent</span>'
        right = _status_badge(after) if after else '<span class="muted">absent</span>'
        return f'<span class="nowrap">{left} → {right}</span>'

    def matrix(self) -> str:
        hosts, sections, cells = section_matrix(self.doc)
        if not hosts:
            return _section("matrix", "Hosts × sections", _empty("No hosts in this report."))
        host_status = dict((str(h.get("name")), h) for h in self.doc.get("hosts") or ())
        head = '<th scope="col">Host</th>' + "".join(f'<th scope="col">{esc(s)}</th>' for s in sections)
        rows = []
        for host in hosts:
            cells_html = []
            info = host_status.get(host) or {}
            label = esc(host)
            if info.get("status") not in (None, "ok"):
                label += f' <span class="badge s-error">{esc(info.get("status"))}</span>'
            for section in sections:
                counts = cells.get((host, section))
                if not counts:
                    cells_html.append('<td class="cell empty-cell">·</td>')
                    continue
                worst = worst_status(counts)
                text = ", ".join(f"{int(counts[s])} {s}" for s in sorted(counts, key=status_position))
                cells_html.append(
                    '<td class="cell"><button type="button" class="m s-{}"{} title="Show these checks">'
                    '<span class="sym" aria-hidden="true">{}</span> {}</button></td>'.format(
                        esc(worst if worst in STATUS_SYMBOLS else "error"),
                        _attrs(data_host=host, data_section=section),
                        STATUS_SYMBOLS.get(worst, "⚠"), esc(text)))
            rows.append(f'<tr><th scope="row">{label}</th>{"".join(cells_html)}</tr>')
        body = ('<p class="hint">Each cell shows the worst status of a host\'s checks in a section; '
                'click it to list those checks.</p><div class="scroll"><table class="matrix"><thead><tr>{}</tr>'
                '</thead><tbody>{}</tbody></table></div>').format(head, "".join(rows))
        return _section("matrix", "Hosts × sections", body)

    def check_table(self) -> str:
        hosts, sections, _cells = section_matrix(self.doc)
        by_status = dict((s, 0) for s in STATUS_ORDER)
        for check in self.checks:
            by_status[check.get("status")] = by_status.get(check.get("status"), 0) + 1
        chips = "".join(
            f'<label class="fchip s-{esc(s)}"><input type="checkbox" name="status" value="{esc(s)}" checked> '
            f'{esc(s)} <span class="n">{n}</span></label>'
            for s, n in by_status.items() if n or s in STATUS_ORDER)
        controls = (
            '<form class="filters" id="filters" role="search" aria-label="Filter the checks" onsubmit="return false">'
            f'<fieldset class="statuses"><legend>Status</legend>{chips}</fieldset>'
            f'<label>Section <select id="f-section"><option value="">all sections</option>{_options(sections)}'
            '</select></label>'
            f'<label>Host <select id="f-host"><option value="">all hosts</option>{_options(hosts)}</select></label>'
            '<label class="grow">Search <input type="search" id="f-text" placeholder="id, title, summary, value"'
            ' autocomplete="off"></label>'
            '<button type="reset" id="f-reset">Reset</button>'
            '<button type="button" id="f-open">Open all</button><button type="button" id="f-fold">Fold passed</button>'
            f'<output id="shown" aria-live="polite">{len(self.checks)} of {len(self.checks)} shown</output></form>'
        )
        ordered = sorted(range(len(self.checks)), key=lambda i: status_position(self.checks[i].get("status")))
        rows = [self._check_row(index) for index in ordered]
        head = ('<div class="check-head" aria-hidden="true"><span class="c-status">Status</span>'
                '<span class="c-host">Host / section</span><span class="c-check">Check</span>'
                '<span class="c-summary">Summary</span><span class="c-time">Time</span></div>')
        listing = f'{head}<div class="check-list" id="check-table">{"".join(rows)}</div>'
        hint = ('<p class="hint">Checks that warn, fail or err are open; passed and skipped checks show one line: '
                'click it for what was measured against what was expected.</p>')
        return _section("checks", "All checks", controls + hint + (listing if rows else _empty("No check records.")),
                        len(self.checks))

    def _check_row(self, index: int) -> str:
        """One check as a <details>: a summary line (status, host, check, summary, hint and contact, time) that opens
        on the observed values beside the expected ones; open when the check warns, fails or errs."""
        check = self.checks[index]
        status = str(check.get("status"))
        extra = []
        if check.get("probe"):
            extra.append(f'<span class="muted">via {esc(check.get("probe"))}</span>')
        if check.get("blocking"):
            extra.append('<span class="flag">blocking</span>')
        summary = breakable(check.get("summary")) + self._waiver_note(check) + _follow_up(check)
        line = (f'<span class="c-status">{_status_badge(status)} {_severity(check.get("severity"))}</span>'
                f'<span class="c-host">{" ".join([breakable(check.get("host")), *extra])}'
                f'<span class="under">{esc(check.get("section"))}</span></span>'
                f'<span class="c-check">{_check_label(check)}</span><span class="c-summary">{summary}</span>'
                f'<span class="c-time">{esc(duration_text(check.get("duration_ms")))}{_rounds_note(check)}</span>')
        attrs = _attrs(id=f"row-{index}", class_="check", data_status=status,
                       data_section=check.get("section") or "unknown", data_host=check.get("host"),
                       open="" if status in OPEN_STATUSES or status not in STATUS_SYMBOLS else None)
        return f'<details{attrs}><summary>{line}</summary><div class="c-body">{_measures_table(check)}</div></details>'

    def waivers(self) -> str:
        waivers = waivers_of(self.doc)
        parts = []
        critical = critical_waivers_of(self.doc)
        if critical:
            rows = [_row([*self._waiver_cells(c["waiver"]), breakable(", ".join(
                f"{r.get('host')} {r.get('id')}" for r in c.get("checks") or ()))]) for c in critical]
            parts.append(f'<h3>Waived a critical check <span class="n">{len(rows)}</span></h3>' + _table(
                ["Waiver", "Reason", "Owner", "Expires", "Ticket", "Critical checks waived"], rows, "expired"))
        applied = [_row([breakable(a.get("host")),
                         self._check_link(a.get("host"), a.get("id"), f"<code>{breakable(a.get('id'))}</code>"),
                         _status_badge(a.get("status")), *self._waiver_cells(a.get("waiver") or {})])
                   for a in waivers["applied"]]
        parts.append(f'<h3>Applied <span class="n">{len(applied)}</span></h3>' + (
            _table(["Host", "Check", "Status", "Waiver", "Reason", "Owner", "Expires", "Ticket"], applied)
            or _empty("No waiver applied.")))
        expired = [_row([*self._waiver_cells(w), breakable(matched_text(w))]) for w in waivers["expired"]]
        parts.append(f'<h3>Expired, not applied <span class="n">{len(expired)}</span></h3>' + (
            _table(["Waiver", "Reason", "Owner", "Expired", "Ticket", "Would have covered"], expired, "expired")
            or _empty("No expired waiver matched a problem.")))
        unused = [_row(self._waiver_cells(w)) for w in waivers["unused"]]
        parts.append(f'<h3>Unused <span class="n">{len(unused)}</span></h3>' + (
            _table(["Waiver", "Reason", "Owner", "Expires", "Ticket"], unused)
            or _empty("Every waiver matched a problem.")))
        total = sum(len(v) for v in waivers.values())
        return _section("waivers", "Waivers", "".join(parts), total)

    @staticmethod
    def _waiver_cells(waiver: Mapping) -> list[str]:
        hosts = waiver.get("hosts") or []
        return [f"<code>{breakable(waiver.get('id'))}</code> on {breakable(', '.join(str(h) for h in hosts))}",
                breakable(waiver.get("reason")), breakable(waiver.get("owner")), breakable(waiver.get("expires")),
                breakable(waiver.get("ticket") or "–")]

    def problems(self) -> str:
        failed = [_row([breakable(t.get("host")), breakable(t.get("task")), breakable(t.get("message"))])
                  for t in self.doc.get("failed_tasks") or ()]
        unreachable = [_row([breakable(u.get("host")), breakable(u.get("task") or "–"), breakable(u.get("message"))])
                       for u in self.doc.get("unreachable") or ()]
        without = [_row([breakable(h.get("name")), breakable(h.get("reason") or "no check results")])
                   for h in self.doc.get("hosts") or () if h.get("status") == "no_results"]
        empty = [_row([breakable(h.get("name")), breakable(h.get("reason"))]) for h in empty_checklist_hosts(self.doc)]
        body = "".join([
            _counted_table("Unreachable hosts", ["Host", "Task", "Message"], unreachable, "Every host was reached."),
            _counted_table("Hosts without results", ["Host", "Reason"], without, "Every host returned check results."),
            _counted_table("Failed tasks", ["Host", "Task", "Message"], failed, "No task failed outside the checks."),
        ])
        if empty:
            body += _counted_table("Hosts with an empty checklist", ["Host", "Reason"], empty)
        return _section("problems", "Hosts & tasks", body, len(failed) + len(unreachable) + len(without)
                        + len(empty))

    def run(self) -> str:
        run = self.doc.get("run") or {}
        notification = notification_of(self.doc)
        files = self.doc.get("files") or {}
        facts = [
            ("Started", run.get("started")), ("Finished", run.get("finished")),
            ("Duration", f"{run.get('duration_s')} s" if run.get("duration_s") is not None else None),
            ("Run by", f"{run.get('user')} on {run.get('controller')}"),
            ("Playbook", run.get("playbook")), ("Inventory", ", ".join(run.get("inventory") or ()) or None),
            ("Limit", run.get("limit")), ("Check mode", "yes" if run.get("check_mode") else "no"),
            ("ansible-core", run.get("ansible_version")), ("golive.readiness", run.get("collection_version")),
            ("Blocking severities", ", ".join(self.doc.get("blocking_severities") or ()) or "none"),
            ("Schema version", self.doc.get("schema_version")), ("Archive", self.doc.get("archive")),
            ("Files", ", ".join(str(v) for v in files.values()) if files else None),
        ]
        if notification:
            text = str(notification.get("status"))
            if notification.get("target"):
                text += f" to {notification['target']}"
            if notification.get("attempts"):
                text += f" after {plural(int(notification['attempts']), 'attempt')}"
            if notification.get("http_status"):
                text += f" (HTTP {notification['http_status']})"
            if notification.get("message"):
                text += f": {notification['message']}"
            facts.append(("Notification", text))
        else:
            facts.append(("Notification", "not recorded"))
        items = "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in facts if v is not None)
        return _section("run", "Run", f'<dl class="facts">{items}</dl>')

    def signoff(self) -> str:
        signoff = signoff_of(self.doc)
        if not signoff:
            rows = [_row(["&nbsp;", "&nbsp;", "&nbsp;", "&nbsp;", '<span class="sign-line"></span>'])
                    for dummy in range(3)]
            table = _table(["Role", "Name", "Decision", "Date", "Signature"], rows, "signoff")
            body = ("<p>No approvers are named in the inventory. Sign here to record the decision on the "
                    f"verdict <b>{esc(self.verdict)}</b>.</p>{table}")
            return _section("signoff", "Sign-off", body)
        status = str(signoff.get("status") or "pending")
        rows = []
        for approver in signoff["approvers"]:
            decision = approver.get("decision")
            if decision:
                state = esc(decision)
                if approver.get("accepted") is False:
                    state = f'<s>{state}</s> <span class="flag">not accepted</span>'
                note = " ".join(breakable(t) for t in (approver.get("comment"), approver.get("note")) if t)
                signature = '<span class="muted">recorded in the inventory</span>'
            else:
                state, note, signature = '<span class="muted">pending</span>', "", '<span class="sign-line"></span>'
            rows.append(_row([breakable(approver.get("role")), breakable(approver.get("name")), state,
                              esc(approver.get("date")) if approver.get("date") else '<span class="date-line"></span>',
                              note, signature]))
        body = '<p class="signoff-status so-{}"><b>{}</b> {}</p>{}'.format(
            esc(status), esc(status.replace("_", " ")), esc(signoff.get("summary") or ""),
            _table(["Role", "Name", "Decision", "Date", "Comment", "Signature"], rows, "signoff")
            or _empty("No approvers are named in the inventory."))
        return _section("signoff", "Sign-off", body)

    def attestations(self) -> str:
        """Beside the sign-off: each human item, who attested it, when and the evidence."""
        section = attestations_in(self.doc)
        if not section:
            return _section("attestations", "Attestations", _empty("No attestation is required in the inventory."))
        rows = []
        for item in section["items"]:
            label = _check_label(item) + ("" if item.get("required") else ' <span class="flag">not required</span>')
            waived = f'<span class="under">waived: {breakable(item["waiver"].get("reason"))}</span>' \
                if item.get("waiver") else ""
            by = breakable(item.get("by")) or '<span class="muted">nobody</span>'
            rows.append(_row([label, _status_badge(item.get("status")) + waived, _severity(item.get("severity")), by,
                              esc(item.get("at")), _evidence(item.get("evidence")), esc(item.get("expires")),
                              breakable(item.get("summary"))], id=f"attestation-{item.get('id')}"))
        body = '<p class="signoff-status">{}</p>{}'.format(
            esc(attestations_summary(section)),
            _table(["Item", "Status", "Severity", "By", "At", "Evidence", "Expires", "Summary"], rows, "attestations"))
        return _section("attestations", "Attestations", body, len(rows))

    def render(self) -> str:
        body = "".join([self.blocking(), self.changes(), self.matrix(), self.check_table(), self.waivers(),
                        self.problems(), self.run(), self.signoff(), self.attestations()])
        title = f"Go-live readiness: {self.verdict}"
        return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
                '<meta name="viewport" content="width=device-width, initial-scale=1">'
                '<meta name="generator" content="golive.readiness">'
                "<title>{}</title><style>{}</style></head><body>{}{}<main class=\"wrap\">{}</main>"
                '<footer class="wrap">golive.readiness report · schema {} · generated {}</footer>'
                "<script>{}</script></body></html>\n").format(
            esc(title), STYLE, self.banner(), self.nav(), body, esc(self.doc.get("schema_version")),
            esc(self.doc.get("generated_at")), SCRIPT)


def render_html(document: Mapping) -> str:
    """The report document as one self-contained HTML page; every value is escaped."""
    return _Page(document).render()


STYLE = """
:root{--go:#1a7f37;--warn:#b35900;--nogo:#c62828;--ink:#1f2328;--muted:#656d76;--line:#d8dee4;--bg:#f6f8fa;
--pass:#1a7f37;--pass-bg:#dafbe1;--warnc:#9a5b00;--warn-bg:#fff1cc;--fail:#c62828;--fail-bg:#ffe3e0;
--error:#8e24aa;--error-bg:#f6e3fb;--skip:#57606a;--skip-bg:#eaeef2}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
color:var(--ink);background:var(--bg)}
.wrap{max-width:1440px;margin:0 auto;padding:0 24px}
code{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
a{color:#0969da;text-decoration:none}a:hover{text-decoration:underline}
h2{font-size:20px;margin:0 0 12px}h3{font-size:15px;margin:18px 0 8px}
.n{display:inline-block;min-width:22px;padding:0 7px;border-radius:11px;background:#e1e4e8;font-size:12px;
text-align:center;vertical-align:middle;font-weight:600}
.banner{color:#fff;padding:20px 0 16px}
.banner-grid{display:grid;grid-template-columns:1fr auto;gap:8px 24px;align-items:center}
.verdict-box{display:flex;gap:18px;align-items:center}.icon{flex:none}
.stats{display:flex;gap:10px;margin:0}
.stats div{background:rgba(255,255,255,.16);border:1px solid rgba(255,255,255,.35);border-radius:8px;
padding:8px 16px;min-width:92px;text-align:center}
.stats dt{font-size:11px;text-transform:uppercase;letter-spacing:.08em;opacity:.92}
.stats dd{margin:0;font-size:28px;font-weight:700;line-height:1.15}
.clear{color:var(--go);font-weight:600;margin:4px 0}
.v-go{background:linear-gradient(135deg,#1a7f37,#2da44e)}
.v-warn{background:linear-gradient(135deg,#b35900,#d97706)}
.v-nogo{background:linear-gradient(135deg,#a31515,#d1242f)}
.eyebrow{margin:0;text-transform:uppercase;letter-spacing:.12em;font-size:12px;opacity:.9}
.verdict{font-size:40px;line-height:1.1;margin:2px 0 4px;letter-spacing:.02em}
.headline{margin:0 0 8px;font-size:15px}
.meta{grid-column:1/-1;margin:4px 0 0;font-size:12px;opacity:.9}
.chips{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:8px}
.chip{background:rgba(255,255,255,.94);color:var(--ink);border-radius:14px;padding:2px 12px;font-size:13px}
.chip b{font-size:14px}
.toc{background:#fff;border-bottom:1px solid var(--line);position:sticky;top:0;z-index:5}
.toc .wrap{display:flex;flex-wrap:wrap;gap:2px 18px;padding-top:8px;padding-bottom:8px}
.toc a{color:var(--ink);text-decoration:none;font-weight:500}.toc a:hover{text-decoration:underline}
main section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:18px 20px;margin:18px 0}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid var(--line)}
thead th{background:#f6f8fa;font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);
position:sticky;top:0}
td .title{display:block;font-weight:500}td code{color:var(--muted)}
.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;border-radius:4px;padding:0 7px;font-size:12px;font-weight:600;white-space:nowrap;
border:1px solid transparent}
.s-pass{color:var(--pass);background:var(--pass-bg);border-color:#aceebb}
.s-warn{color:var(--warnc);background:var(--warn-bg);border-color:#f5d48a}
.s-fail{color:var(--fail);background:var(--fail-bg);border-color:#ffc1ba}
.s-error{color:var(--error);background:var(--error-bg);border-color:#e6c0f0}
.s-skipped{color:var(--skip);background:var(--skip-bg);border-color:#d0d7de}
.sev{font-size:12px;text-transform:uppercase;letter-spacing:.03em;font-weight:600;color:var(--muted)}
.sev-critical{color:var(--fail)}.sev-high{color:#bc4c00}
.flag{display:inline-block;font-size:11px;font-weight:700;color:#fff;background:var(--nogo);border-radius:3px;
padding:0 5px;margin-left:4px}
.muted{color:var(--muted)}.empty{color:var(--muted);font-style:italic;margin:4px 0}
.nowrap{white-space:nowrap}
.waived{display:block;font-size:12px;color:var(--warnc)}
.hint{color:var(--muted);margin:0 0 8px}
.matrix{table-layout:fixed}.matrix thead th:first-child{width:200px}
.matrix th[scope=row]{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.matrix td{padding:3px}
.matrix .m{display:block;width:100%;text-align:left;font:inherit;font-size:12px;font-weight:600;cursor:pointer;
border-radius:5px;padding:5px 8px;border-width:1px;border-style:solid}
.matrix .m:hover,.matrix .m:focus{outline:2px solid #0969da;outline-offset:1px}
.matrix td.empty-cell{color:#c0c6cc;text-align:center;vertical-align:middle}
.filters{display:flex;flex-wrap:wrap;gap:10px 16px;align-items:flex-end;margin:0 0 12px;padding:12px;
background:#f6f8fa;border:1px solid var(--line);border-radius:6px;position:sticky;top:38px;z-index:4}
.filters fieldset{border:0;margin:0;padding:0;display:flex;gap:6px;flex-wrap:wrap}
.filters legend{font-size:12px;color:var(--muted);margin-bottom:3px;padding:0}
.filters label{font-size:12px;color:var(--muted);display:flex;flex-direction:column;gap:3px}
.filters .grow{flex:1;min-width:180px}
.filters select,.filters input[type=search]{font:inherit;font-size:13px;padding:5px 8px;border:1px solid #c6ccd2;
border-radius:5px;background:#fff;color:var(--ink)}
.filters label.fchip{flex-direction:row;align-items:center;gap:5px;font-size:13px;font-weight:600;
border-radius:14px;padding:3px 10px;cursor:pointer;border-width:1px;border-style:solid}
.filters label.fchip:has(input:not(:checked)){opacity:.45;text-decoration:line-through}
.filters button{font:inherit;font-size:13px;padding:5px 12px;border:1px solid #c6ccd2;border-radius:5px;
background:#fff;cursor:pointer}
#shown{font-weight:600;margin-left:auto;padding-bottom:5px}
td{overflow-wrap:break-word}
.check-list{border-top:1px solid var(--line)}
.check{border-bottom:1px solid var(--line);border-left:4px solid transparent}
.check[data-status=fail]{border-left-color:var(--fail)}.check[data-status=error]{border-left-color:var(--error)}
.check[data-status=warn]{border-left-color:#d4a72c}
.check>summary,.check-head{display:grid;grid-template-columns:150px 130px minmax(0,2fr) minmax(0,3fr) 56px;
grid-template-areas:"status host check summary time";gap:2px 12px;padding:6px 8px;font-size:13px}
.check-head{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);background:#f6f8fa;
font-weight:600;border-left:4px solid transparent}
.check>summary{cursor:pointer;list-style:none}.check>summary::-webkit-details-marker{display:none}
.check>summary:hover{background:#f6f8fa}
.check>summary:focus-visible{outline:2px solid #0969da;outline-offset:-2px}
.c-status{grid-area:status;white-space:nowrap}.c-host{grid-area:host;min-width:0;overflow-wrap:anywhere}
.c-check{grid-area:check;min-width:0}.c-summary{grid-area:summary;min-width:0;overflow-wrap:break-word}
.c-time{grid-area:time;text-align:right;font-variant-numeric:tabular-nums;color:var(--muted);white-space:nowrap}
.check>summary .c-status::before{content:"▸";display:inline-block;width:14px;color:var(--muted)}
.check[open]>summary .c-status::before{content:"▾"}
.c-check .title{display:block;font-weight:500}.c-check code{color:var(--muted)}
.c-body{padding:2px 8px 12px 170px}
.measures{table-layout:fixed;font-size:12px;max-width:960px}
.measures th,.measures td{padding:3px 8px;overflow-wrap:anywhere}
.measures thead th{position:static}.measures th[scope=row]{width:30%;font-weight:500;color:var(--muted)}
.follow{display:block;margin-top:3px;font-size:12px;overflow-wrap:anywhere}
.follow b{color:var(--muted);text-transform:uppercase;font-size:11px;letter-spacing:.04em;margin-right:6px}
.under{display:block;margin-top:3px;font-size:12px;color:var(--muted)}
#changes table{table-layout:fixed}
#changes th:nth-child(1){width:13%}#changes th:nth-child(2){width:29%}#changes th:nth-child(3){width:11%}
#changes th:nth-child(4){width:9%}#changes th:nth-child(5){width:16%}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(280px,1fr));gap:10px 24px;margin:0}
.facts dt{font-size:12px;color:var(--muted)}.facts dd{margin:0;word-break:break-word}
.ch-regressions{color:var(--fail)}.ch-fixed{color:var(--go)}
.signoff-status b{text-transform:uppercase;margin-right:6px}
.so-signed b{color:var(--go)}.so-rejected b{color:var(--nogo)}.so-pending b{color:var(--warn)}
.sign-line,.date-line{display:inline-block;border-bottom:1px solid var(--ink);min-width:160px;height:22px}
.date-line{min-width:90px}
.signoff td{height:40px;vertical-align:bottom}
details.warnings{margin-top:14px}details.warnings summary{cursor:pointer;font-weight:600}
footer{color:var(--muted);font-size:12px;padding-bottom:24px}
:target{outline:2px solid #0969da;outline-offset:-2px}
html:not(.js) .filters{display:none}
@media (max-width:900px){.banner-grid{grid-template-columns:1fr}.stats{flex-wrap:wrap}
 .check>summary{grid-template-columns:auto minmax(0,1fr) auto;
 grid-template-areas:"status host time" "check check check" "summary summary summary"}
 .check-head{display:none}.c-body{padding-left:22px}.c-host .under{display:inline;margin-left:6px}
 .wrap{padding:0 12px}main section{padding:14px 12px}}
@media print{
 body{background:#fff;font-size:11px}.toc,.filters,.hint{display:none}
 .banner{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 main section{border:0;padding:0;margin:14px 0;break-inside:auto}
 tr,.check{break-inside:avoid}tr[hidden]{display:table-row}.check[hidden]{display:block}
 thead th{position:static}.check-head{display:none}
 .check>summary{grid-template-columns:140px 110px minmax(0,2fr) minmax(0,3fr) 44px}.c-body{padding-left:150px}
 details.warnings>*{display:block}
 .badge,.m{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 .wrap{max-width:none;padding:0}
 #signoff{break-before:page}
}
"""

# Filters drive everything from the rows' data- attributes: no data is embedded in the script.
SCRIPT = """
(function(){
'use strict';
document.documentElement.classList.add('js');
var table=document.getElementById('check-table');
if(!table){return;}
var rows=Array.prototype.slice.call(table.children);
var form=document.getElementById('filters');
var section=document.getElementById('f-section'),host=document.getElementById('f-host');
var text=document.getElementById('f-text'),shown=document.getElementById('shown');
var boxes=Array.prototype.slice.call(form.querySelectorAll('input[name=status]'));
var texts=null,timer=null;
function apply(){
  var wanted={};boxes.forEach(function(b){wanted[b.value]=b.checked;});
  var s=section.value,h=host.value,q=text.value.trim().toLowerCase(),n=0;
  if(q&&!texts){texts=rows.map(function(r){return r.textContent.toLowerCase();});}
  for(var i=0;i<rows.length;i++){
    var r=rows[i],d=r.dataset;
    var ok=(wanted[d.status]!==false)&&(!s||d.section===s)&&(!h||d.host===h)&&(!q||texts[i].indexOf(q)>=0);
    if(r.hidden===ok){r.hidden=!ok;}
    if(ok){n++;}
  }
  shown.textContent=n+' of '+rows.length+' shown';
}
boxes.forEach(function(b){b.addEventListener('change',apply);});
section.addEventListener('change',apply);host.addEventListener('change',apply);
text.addEventListener('input',function(){clearTimeout(timer);timer=setTimeout(apply,120);});
form.addEventListener('reset',function(){setTimeout(apply,0);});
Array.prototype.forEach.call(document.querySelectorAll('.matrix .m'),function(b){
  b.addEventListener('click',function(){
    form.reset();host.value=b.dataset.host;section.value=b.dataset.section;
    boxes.forEach(function(x){x.checked=true;});apply();
    document.getElementById('checks').scrollIntoView();
  });
});
document.getElementById('f-open').addEventListener('click',function(){
  rows.forEach(function(r){if(!r.hidden){r.open=true;}});
});
document.getElementById('f-fold').addEventListener('click',function(){
  rows.forEach(function(r){if(r.dataset.status==='pass'||r.dataset.status==='skipped'){r.open=false;}});
});
function reveal(){
  var id=location.hash.slice(1),r=id&&document.getElementById(id);
  if(!r||r.parentNode!==table){return;}
  if(r.hidden){form.reset();boxes.forEach(function(x){x.checked=true;});
    section.value='';host.value='';text.value='';apply();}
  r.open=true;r.scrollIntoView();
}
window.addEventListener('hashchange',reveal);
apply();
reveal();
})();
"""
