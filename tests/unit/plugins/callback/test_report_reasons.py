"""The reasons for NO-GO and the waiver outcome are decided once and every output shows them alike.

One run's report is decided and published by the callback (every format and a webhook to a real receiver on
127.0.0.1); each output must list exactly the reasons of report.json, in the same order, and the critical waiver.
"""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET

from ansible_collections.golive.readiness.plugins.callback import report as report_callback
from ansible_collections.golive.readiness.plugins.module_utils._verdict import normalise_waivers
from ansible_collections.golive.readiness.tests.unit.plugins.callback.test_report_files import RecordingDisplay
from ansible_collections.golive.readiness.tests.unit.plugins.plugin_utils._webhook_receiver import (
    answer,
    running_receiver,
)

SCOPE = "probe group bastion matches no host"
SUMMARY = "free 1 percent, below 10"
TASK = "Install the application"
MESSAGE = "package golive-app not found"
EXPECTED_TEXTS = [
    SCOPE,
    f"disk_space:/ fails on 2 hosts: web01, web02 (web01: {SUMMARY})",
    f"web03 task '{TASK}' failed: {MESSAGE}",
]
# What each reason says without its hosts: the formats with a host column show this.
EXPECTED_DETAILS = [SCOPE, SUMMARY, f"{TASK}: {MESSAGE}"]
CRITICAL_WAIVER = dict(id="tls_certificate:*", hosts="web*", reason="renewal booked", owner="sec-team",
                       expires="2099-12-31", ticket="SEC-42")


def record(host, check_id, status, severity, summary):
    return dict(id=check_id, kind=check_id.split(":", 1)[0], section="infrastructure", title=f"Title of {check_id}",
                status=status, severity=severity, summary=summary, observed={}, expected={}, duration_ms=3, host=host)


def published_run(tmp_path, monkeypatch):
    """(report_dir, terminal lines, webhook payload) of a NO-GO run with a scope problem, a check failing on two
    hosts, a failed task and a waiver that waived a critical check."""
    display = RecordingDisplay()
    callback = report_callback.CallbackModule(display=display)
    callback._records = [record("web01", "disk_space:/", "fail", "critical", SUMMARY),
                         record("web02", "disk_space:/", "fail", "critical", SUMMARY),
                         record("web03", "disk_space:/", "pass", "critical", "free 50 percent"),
                         record("web01", "tls_certificate:api:443", "fail", "critical", "expired yesterday")]
    callback._failed_tasks = [dict(host="web03", task=TASK, message=MESSAGE)]
    # What a gate that did not fail the play hands over: its validated policy and what the scope left unchecked.
    callback._gate = dict(verdict="NO-GO", blocking_severities=["critical", "high"], hosts=[],
                          waivers=normalise_waivers([CRITICAL_WAIVER], option="golive_waivers"),
                          scope_problems=[SCOPE])
    report_dir = tmp_path / "report"
    with running_receiver([answer(200, "ok")]) as receiver:
        options = dict(report_dir=str(report_dir), formats=["all"], history=True, history_keep=3,
                       notify_url=receiver.url("/hook"), notify_timeout=5, notify_retries=0,
                       blocking_severities=["critical", "high"], show_passed=False)
        monkeypatch.setattr(callback, "get_option", options.get)
        callback._report_run()
        (payload,) = receiver.payloads()
    return report_dir, [str(line) for line in display.lines], payload


def terminal_reasons(lines):
    start = lines.index("Blocking:") + 1
    return [line[2:] for line in lines[start:] if line.startswith("  ")][:len(EXPECTED_TEXTS)], lines[start + 3]


def markdown_blocking_rows(text):
    section = text.split("## Blocking (", 1)[1].split("\n\n", 2)[1]
    return [row for row in section.splitlines() if row.startswith("| ") and " --- " not in row][1:]


def html_blocking_rows(text):
    section = text.split('id="blocking"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr>(.*?)</tr>", section.split("<tbody>", 1)[1])


def test_every_format_shows_the_same_reasons_in_the_same_order(tmp_path, monkeypatch):
    report_dir, lines, payload = published_run(tmp_path, monkeypatch)
    document = json.loads((report_dir / "report.json").read_text())
    assert document["verdict"] == "NO-GO"
    assert [reason["text"] for reason in document["reasons"]] == EXPECTED_TEXTS
    assert [reason["detail"] for reason in document["reasons"]] == EXPECTED_DETAILS
    assert [reason["hosts"] for reason in document["reasons"]] == [[], ["web01", "web02"], ["web03"]]

    shown, after = terminal_reasons(lines)
    assert shown == EXPECTED_TEXTS
    assert not after.startswith("  "), "the terminal lists a reason report.json does not have"

    junit = ET.fromstring((report_dir / "junit.xml").read_text())
    run_out = junit.find("testsuite[@name='golive']/system-out").text.splitlines()
    assert [line[len("NO-GO reason: "):] for line in run_out if line.startswith("NO-GO reason: ")] == EXPECTED_TEXTS

    prometheus = (report_dir / "golive.prom").read_text()
    samples = re.findall(r'^golive_no_go_reasons\{rank="(\d+)",kind="(\w+)",hosts="([^"]*)",reason="([^"]*)"\} 1$',
                         prometheus, re.MULTILINE)
    assert samples == [("1", "scope", "", EXPECTED_TEXTS[0]), ("2", "check", "web01,web02", EXPECTED_TEXTS[1]),
                       ("3", "task_failed", "web03", EXPECTED_TEXTS[2])]

    rows = markdown_blocking_rows((report_dir / "report.md").read_text())
    assert len(rows) == len(EXPECTED_DETAILS)
    for row, detail, hosts in zip(rows, EXPECTED_DETAILS, ("all", "web01, web02", "web03")):
        assert row.endswith(f"| {detail} |") and f"| {hosts} |" in row, row

    rows = html_blocking_rows((report_dir / "report.html").read_text())
    assert len(rows) == len(EXPECTED_DETAILS)
    for row, detail in zip(rows, EXPECTED_DETAILS):
        assert row.endswith(f"<td>{html.escape(detail)}</td>"), row

    blocking = next(block for block in payload["blocks"] if block["text"]["text"].startswith("*Blocking*"))
    items = blocking["text"]["text"].splitlines()[1:]
    assert len(items) == len(EXPECTED_DETAILS)
    for item, detail in zip(items, EXPECTED_DETAILS):
        assert item.endswith(f" {detail}"), item
    # Counted as the gate counts: each blocking check on each host, each other reason once.
    assert payload["text"].startswith("GOLIVE NO-GO: 4 blocking")
    assert "Blocking: 4." in (report_dir / "report.md").read_text()
    assert "<dt>Blocking</dt><dd>4</dd>" in (report_dir / "report.html").read_text()


def test_the_critical_waiver_is_decided_once_and_shown_first_everywhere(tmp_path, monkeypatch):
    report_dir, lines, _payload = published_run(tmp_path, monkeypatch)
    document = json.loads((report_dir / "report.json").read_text())
    (critical,) = document["waivers"]["critical"]
    assert critical["waiver"]["id"] == "tls_certificate:*"
    assert critical["checks"] == [dict(host="web01", id="tls_certificate:api:443", status="fail")]
    assert [entry["id"] for entry in document["waivers"]["applied"]] == ["tls_certificate:api:443"]
    assert any(line.startswith("  WAIVED A CRITICAL CHECK: tls_certificate:* on web*") for line in lines)
    assert "### Waived a critical check (1)" in (report_dir / "report.md").read_text()
    assert "Waived a critical check" in (report_dir / "report.html").read_text()
    assert "golive_critical_waivers 1" in (report_dir / "golive.prom").read_text()
    junit_out = ET.fromstring((report_dir / "junit.xml").read_text()).find("testsuite[@name='golive']/system-out").text
    assert "waiver applied to web01 tls_certificate:api:443: waived: renewal booked" in junit_out
