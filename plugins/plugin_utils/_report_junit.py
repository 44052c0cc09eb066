# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""junit.xml of the readiness report: a testsuite per section, a testcase per host and check (private)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping

from ansible_collections.golive.readiness.plugins.plugin_utils._attestations import (
    attestation_line,
    attestations_summary,
)
from ansible_collections.golive.readiness.plugins.plugin_utils._report_common import (
    attestations_in,
    follow_up,
    incomplete_note,
    interrupted_text,
    reasons_of,
    rounds_text,
    values_text,
)

# The run's own suite: no test cases, the verdict, sign-off, waivers and history as properties and text.
RUN_SUITE = "golive"
# Characters XML 1.0 cannot carry at all; command output in a summary could hold them.
_XML_INVALID = dict.fromkeys([c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)] + [0xFFFE, 0xFFFF], "?")


def _text(value: object) -> str:
    return str("" if value is None else value).translate(_XML_INVALID)


def _seconds(duration_ms: object) -> str:
    try:
        return f"{max(0.0, float(duration_ms or 0)) / 1000.0:.3f}"
    except (TypeError, ValueError):
        return "0.000"


def _timestamp(generated_at: object) -> str | None:
    """JUnit's timestamp is an ISO 8601 date-time without a zone (the Ant schema): UTC is implied."""
    text = _text(generated_at)
    return text[:19] if len(text) >= 19 else None


def _waived_text(waiver: Mapping) -> str:
    ticket = f", {waiver['ticket']}" if waiver.get("ticket") else ""
    return f"waived: {waiver.get('reason')} ({waiver.get('owner')}, until {waiver.get('expires')}{ticket})"


def _follow_up_lines(check: Mapping) -> str:
    """'\nhint: ...\ncontact: ...' of a check that did not pass, when its item says."""
    return "".join(f"\n{label.lower()}: {text}" for label, text in follow_up(check))


def _detail(check: Mapping) -> str:
    return (f"severity: {check.get('severity')}\nobserved: {values_text(check.get('observed'))}\n"
            f"expected: {values_text(check.get('expected'))}{_follow_up_lines(check)}")


def _change_line(change: Mapping) -> str:
    before, after = change.get("before") or "absent", change.get("after") or "absent"
    return f"{change.get('host')} {change.get('id')}: {before} -> {after}"


def _attestations_property(document: Mapping) -> str | None:
    attestations = attestations_in(document)
    return attestations_summary(attestations) if attestations else None


def _run_lines(document: Mapping) -> list[str]:
    """The run's summary as text: verdict and its reasons, sign-off, waivers, notification and the changes since
    the last run."""
    lines = [f"verdict: {document.get('verdict')}"]
    if incomplete_note(document):
        lines.append(incomplete_note(document))
    lines += [f"NO-GO reason: {reason['text']}" for reason in reasons_of(document)]
    signoff = document.get("signoff") or {}
    if signoff:
        lines.append(f"sign-off: {signoff.get('status')} ({signoff.get('summary')})")
        for approver in signoff.get("approvers") or ():
            date = f" on {approver['date']}" if approver.get("date") else ""
            refused = "" if approver.get("accepted", True) else f" NOT ACCEPTED: {approver.get('note')}"
            lines.append(f"  {approver.get('role')} ({approver.get('name')}): "
                         f"{approver.get('decision') or 'pending'}{date}{refused}")
    attestations = attestations_in(document)
    if attestations:
        lines.append(f"attestations: {attestations_summary(attestations)}")
        lines += [f"  {attestation_line(item)}" for item in attestations["items"]]
    waivers = document.get("waivers") or {}
    for entry in waivers.get("applied") or ():
        lines.append(f"waiver applied to {entry.get('host')} {entry.get('id')}: "
                     f"{_waived_text(entry.get('waiver') or {})}")
    for waiver in waivers.get("expired") or ():
        lines.append(f"waiver EXPIRED, not applied: {waiver.get('id')} on {','.join(waiver.get('hosts') or ())} "
                     f"({_waived_text(waiver)})")
    for waiver in waivers.get("unused") or ():
        lines.append(f"waiver unused (matches no problem): {waiver.get('id')} on "
                     f"{','.join(waiver.get('hosts') or ())} ({_waived_text(waiver)})")
    history = document.get("history") or {}
    previous = history.get("previous")
    if previous:
        changed = {key: len(history.get(key) or ()) for key in ("regressions", "fixed", "new", "removed")}
        lines.append(f"since the previous run ({previous.get('verdict')}, {previous.get('generated_at')}): "
                     f"{changed['regressions']} regressions, {changed['fixed']} fixed, {changed['new']} new, "
                     f"{changed['removed']} removed")
        for key in ("regressions", "fixed", "new", "removed"):
            lines.extend(f"  {key}: {_change_line(change)}" for change in history.get(key) or ())
    elif history:
        lines.append("no previous run to compare with")
    notification = document.get("notification") or {}
    if notification:
        lines.append(f"notification: {notification.get('status')} ({notification.get('message')})")
    return lines


class _Builder(object):
    def __init__(self, document: Mapping) -> None:
        self.document = document
        self.root = ET.Element("testsuites", name="golive readiness")

    def build(self) -> ET.Element:
        self._run_suite()
        sections = {}
        for check in self.document.get("checks") or ():
            sections.setdefault(_text(check.get("section") or "unknown"), []).append(check)
        for section, checks in sections.items():
            suite = self._suite(section)
            for check in checks:
                self._check_case(suite, section, check)
        self._interrupted_suite()
        self._scope_suite()
        self._hosts_suite()
        self._tasks_suite()
        self._totals()
        return self.root

    def _suite(self, name: str) -> ET.Element:
        attributes = dict(name=name)
        timestamp = _timestamp(self.document.get("generated_at"))
        if timestamp:
            attributes["timestamp"] = timestamp
        controller = (self.document.get("run") or {}).get("controller")
        if controller:
            attributes["hostname"] = _text(controller)
        return ET.SubElement(self.root, "testsuite", attributes)

    def _run_suite(self) -> None:
        suite = self._suite(RUN_SUITE)
        properties = ET.SubElement(suite, "properties")
        history = self.document.get("history") or {}
        values = [
            ("verdict", self.document.get("verdict")),
            ("incomplete", "true" if self.document.get("incomplete") else "false"),
            ("schema_version", self.document.get("schema_version")),
            ("generated_at", self.document.get("generated_at")),
            ("blocking_severities", ",".join(self.document.get("blocking_severities") or ())),
            ("signoff", (self.document.get("signoff") or {}).get("status")),
            ("attestations", _attestations_property(self.document)),
            ("previous_verdict", (history.get("previous") or {}).get("verdict")),
            ("regressions", len(history.get("regressions") or ()) if history else None),
            ("fixed", len(history.get("fixed") or ()) if history else None),
            ("notification", (self.document.get("notification") or {}).get("status")),
            ("archive", self.document.get("archive")),
        ]
        for name, value in values:
            if value is not None and value != "":
                ET.SubElement(properties, "property", name=name, value=_text(value))
        ET.SubElement(suite, "system-out").text = _text("\n".join(_run_lines(self.document)))

    @staticmethod
    def _case(suite: ET.Element, classname: str, name: str, duration_ms: object) -> ET.Element:
        return ET.SubElement(suite, "testcase", classname=_text(classname), name=_text(name),
                             time=_seconds(duration_ms))

    def _check_case(self, suite: ET.Element, section: str, check: Mapping) -> None:
        status = check.get("status")
        case = self._case(suite, f"{section}.{check.get('host')}", f"{check.get('id')} - {check.get('title')}",
                          check.get("duration_ms"))
        waiver = check.get("waiver")
        summary = _text(check.get("summary"))
        if waiver and status in ("fail", "error"):
            ET.SubElement(case, "skipped", message=_text(_waived_text(waiver)))
        elif status == "fail":
            element = ET.SubElement(case, "failure", message=summary, type=_text(check.get("severity")))
            element.text = _text(_detail(check))
        elif status == "error":
            element = ET.SubElement(case, "error", message=summary, type=_text(check.get("severity")))
            element.text = _text(_detail(check))
        elif status == "skipped":
            ET.SubElement(case, "skipped", message=summary)
        output = []
        if status == "warn":
            note = f" ({_waived_text(waiver)})" if waiver else ""
            output.append(f"warn: {summary}{note}{_follow_up_lines(check)}")
        if rounds_text(check):
            output.append(f"ran {rounds_text(check)} while waiting")
        if output:
            ET.SubElement(case, "system-out").text = _text("\n".join(output))

    def _interrupted_suite(self) -> None:
        interrupted = self.document.get("interrupted")
        if not interrupted:
            return
        case = self._case(self._suite("run"), "run", "the run completed", 0)
        ET.SubElement(case, "error", message=_text(interrupted_text(interrupted)), type="interrupted")

    def _hosts_suite(self) -> None:
        troubled = [host for host in self.document.get("hosts") or () if host.get("status") != "ok"]
        if not troubled:
            return
        suite = self._suite("hosts")
        for host in troubled:
            name = host.get("name")
            case = self._case(suite, f"hosts.{name}", f"{name} has check results", 0)
            if host.get("status") == "no_checks":
                # Listed, not an error: the host answered and its checklist (for the chosen sections) was empty.
                ET.SubElement(case, "skipped", message=_text(f"no_checks: {host.get('reason') or ''}"))
                continue
            ET.SubElement(case, "error", message=_text(f"{host.get('status')}: {host.get('reason') or ''}"),
                          type=_text(host.get("status")))

    def _scope_suite(self) -> None:
        problems = self.document.get("scope_problems") or ()
        if not problems:
            return
        suite = self._suite("scope")
        for problem in problems:
            case = self._case(suite, "scope", _text(problem), 0)
            ET.SubElement(case, "error", message=_text(problem), type="scope")

    def _tasks_suite(self) -> None:
        tasks = self.document.get("failed_tasks") or ()
        if not tasks:
            return
        suite = self._suite("tasks")
        for task in tasks:
            case = self._case(suite, f"tasks.{task.get('host')}", task.get("task"), 0)
            error = ET.SubElement(case, "error", message=_text(task.get("message")), type="failed_task")
            if task.get("details"):
                error.text = "\n".join(_text(detail) for detail in task["details"])

    def _totals(self) -> None:
        totals = dict(tests=0, failures=0, errors=0, skipped=0, time=0.0)
        for suite in self.root.findall("testsuite"):
            cases = suite.findall("testcase")
            counts = dict(
                tests=len(cases),
                failures=sum(1 for c in cases if c.find("failure") is not None),
                errors=sum(1 for c in cases if c.find("error") is not None),
                skipped=sum(1 for c in cases if c.find("skipped") is not None),
                time=sum(float(c.get("time")) for c in cases),
            )
            _set_counts(suite, counts)
            for key in totals:
                totals[key] += counts[key]
        _set_counts(self.root, totals)


def _set_counts(element: ET.Element, counts: Mapping) -> None:
    for key in ("tests", "failures", "errors", "skipped"):
        element.set(key, str(counts[key]))
    element.set("time", f"{counts['time']:.3f}")


def render_junit(document: Mapping) -> str:
    """junit.xml text of a report document: what CI servers (Jenkins, GitLab, GitHub actions) read as tests.

    One testsuite per checklist section with one testcase per host and check (classname
    '<section>.<host>', name '<id> - <title>'): fail -> failure, error -> error, skipped and waived
    problems -> skipped, warn -> passed with a system-out note. An interrupted run is an error in the suite
    'run'; hosts without results and tasks that failed outside the checks are errors in the suites 'hosts'
    and 'tasks'. The first suite, 'golive',
    has no cases: its properties and system-out carry the verdict, sign-off, waivers and the changes
    since the previous run.
    """
    tree = _Builder(document).build()
    ET.indent(tree)
    return ET.tostring(tree, encoding="unicode", xml_declaration=True) + "\n"
