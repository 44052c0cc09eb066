"""The report callback's helpers: atomic writes, collection version, formats, colour rules, grouping across hosts."""

from __future__ import annotations

import json
import os
import stat

import pytest

from ansible_collections.golive.readiness.plugins.callback import report as report_callback
from ansible_collections.golive.readiness.plugins.callback.report import (
    FORMATS,
    collection_version,
    colour_wanted,
    problem_lines,
    selected_formats,
    terminal_safe,
    write_atomic,
)


def test_write_atomic_replaces_the_file_and_leaves_no_temp_file(tmp_path):
    target = tmp_path / "report.json"
    write_atomic(str(target), "first\n")
    write_atomic(str(target), "second\n")
    assert target.read_text() == "second\n"
    assert os.listdir(tmp_path) == ["report.json"]


def test_write_atomic_honours_the_umask(tmp_path):
    previous = os.umask(0o027)
    try:
        write_atomic(str(tmp_path / "junit.xml"), "<testsuites/>\n")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(os.stat(tmp_path / "junit.xml").st_mode) == 0o640


def test_write_atomic_into_a_missing_directory_fails_cleanly(tmp_path):
    with pytest.raises(FileNotFoundError):
        write_atomic(str(tmp_path / "missing" / "report.json"), "x")
    assert not (tmp_path / "missing").exists()


def test_collection_version_prefers_manifest_then_galaxy_then_unknown(tmp_path):
    assert collection_version(str(tmp_path)) == "unknown"
    (tmp_path / "galaxy.yml").write_text("namespace: golive\nname: readiness\nversion: 1.2.3\n")
    assert collection_version(str(tmp_path)) == "1.2.3"
    (tmp_path / "MANIFEST.json").write_text(json.dumps({"collection_info": {"version": "2.0.0"}}))
    assert collection_version(str(tmp_path)) == "2.0.0"
    (tmp_path / "MANIFEST.json").write_text("not json")
    assert collection_version(str(tmp_path)) == "1.2.3"
    (tmp_path / "galaxy.yml").write_text("[unbalanced")
    assert collection_version(str(tmp_path)) == "unknown"


def check(host, check_id, status, summary="s", **extra):
    return dict(host=host, id=check_id, status=status, summary=summary, **extra)


def test_the_same_problem_on_numbered_hosts_is_one_line_with_ranges():
    checks = [check("web%02d" % n, "disk_space:/", "fail", "free %d%% (fail < 10%%)" % n) for n in range(1, 13)]
    checks += [check("db1", "disk_space:/", "fail", "free 3% (fail < 10%)"),
               check("web05", "tls_certificate:api:443", "error", "connection refused"),
               check("web06", "tls_certificate:api:443", "error", "connection refused"),
               check("web01", "disk_space:/", "fail")]  # the same host twice counts once
    assert problem_lines(checks) == [
        "disk_space:/ fails on 13 hosts: db1, web01-web12 (web01: free 1% (fail < 10%))",
        "tls_certificate:api:443 cannot be evaluated on 2 hosts: web05, web06 (web05: connection refused)",
    ]


def test_a_problem_on_one_host_reads_like_before_and_waived_ones_stay_apart():
    waiver = dict(reason="r", owner="o", expires="2030-01-01")
    checks = [check("web01", "disk_space:/", "warn", "free 9%"),
              check("web02", "disk_space:/", "warn", "free 8%", waiver=waiver)]
    assert problem_lines(checks, lambda c: " (waived)" if "waiver" in c else "") == [
        "web01 disk_space:/ warn: free 9%", "web02 disk_space:/ warn: free 8% (waived)"]


def test_host_runs_only_join_with_the_same_prefix_and_width():
    names = ("web9", "web10", "web11", "web12", "app01", "app02", "app03", "app05")
    checks = [check(h, "x:1", "fail") for h in names]
    (line,) = problem_lines(checks)
    assert line.startswith("x:1 fails on 8 hosts: app01-app03, app05, web9, web10-web12 (web9: s)")


@pytest.mark.parametrize("value, history, expected, unknown", [
    (["json", "junit", "html", "markdown", "prometheus"], True, list(FORMATS), []),
    (["prometheus", "html"], False, ["html", "prometheus"], []),
    # report.json is the history's source of truth: written whenever history is on.
    (["html"], True, ["json", "html"], []),
    ("junit, MARKDOWN", False, ["junit", "markdown"], []),
    (["all"], False, list(FORMATS), []),
    (["html", "pdf", "xml"], False, ["html"], ["pdf", "xml"]),
    ([], False, [], []),
])
def test_selected_formats(value, history, expected, unknown):
    assert selected_formats(value, history) == (expected, unknown)


@pytest.mark.parametrize("environ, nocolor, expected", [
    ({}, False, True),
    ({"NO_COLOR": "1"}, False, False),
    # no-color.org: any non-empty value disables colour, even ones Ansible does not read as true.
    ({"NO_COLOR": "please"}, False, False),
    ({"NO_COLOR": ""}, False, True),
    ({}, True, False),
    # Asking for no colour wins over forcing it.
    ({"NO_COLOR": "1", "ANSIBLE_FORCE_COLOR": "1"}, False, False),
    ({"ANSIBLE_FORCE_COLOR": "1"}, True, False),
])
def test_colour_rules(environ, nocolor, expected):
    assert colour_wanted(environ, nocolor) is expected


class RecordingDisplay(object):
    """Stands in for Ansible's Display: keeps the warnings."""

    def __init__(self):
        self.warnings = []
        self.columns = 80
        self.verbosity = 0

    def warning(self, text, *args, **kwargs):
        self.warnings.append(text)

    def display(self, *args, **kwargs):
        pass


def test_a_history_that_cannot_be_read_is_no_history_and_a_warning(tmp_path, monkeypatch):
    def broken(report_dir):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(report_callback, "previous_document", broken)
    display = RecordingDisplay()
    callback = report_callback.CallbackModule(display=display)
    history = callback._history(str(tmp_path), dict(verdict="GO", checks=[], hosts=[]))
    assert history == dict(previous=None, regressions=[], fixed=[], new=[], removed=[])
    assert display.warnings == ["golive report: cannot compare with the previous report in %s: RuntimeError: "
                                "disk on fire" % tmp_path]


def test_terminal_lines_cannot_carry_escape_sequences():
    summary = "1 match: 2026-11-24 ERROR \x1b]0;owned\x07\x1b[2J boom\x9b"
    assert terminal_safe(summary) == "1 match: 2026-11-24 ERROR \\x1b]0;owned\\x07\\x1b[2J boom\\x9b"
    assert terminal_safe("\nGOLIVE VERDICT: GO\tx\r") == "\\nGOLIVE VERDICT: GO\\tx\\r"
    assert terminal_safe("a\u202eb\u2066c\u2069\u200e\u200f\u061c\u2028") == (
        "a\\u202eb\\u2066c\\u2069\\u200e\\u200f\\u061c\\u2028")


def test_warnings_quoting_checked_text_stay_one_line(tmp_path, monkeypatch):
    def broken(report_dir):
        raise RuntimeError("bad\nGOLIVE VERDICT: GO \x1b[2J\u202e")

    monkeypatch.setattr(report_callback, "previous_document", broken)
    display = RecordingDisplay()
    callback = report_callback.CallbackModule(display=display)
    callback._history(str(tmp_path), dict(verdict="GO", checks=[], hosts=[]))
    (warning,) = display.warnings
    assert warning.endswith("RuntimeError: bad\\nGOLIVE VERDICT: GO \\x1b[2J\\u202e")


def test_failed_tasks_and_unreachable_hosts_are_one_line_per_reason():
    from ansible_collections.golive.readiness.plugins.module_utils._verdict import decide

    failed = [dict(host="web%02d" % n, task="Run checks", message="invalid check settings: x") for n in (1, 2, 3)]
    decision = decide([], hosts_without_results={"web01": "its check task failed"}, failed_tasks=failed,
                      unreachable={"db01": "refused", "db02": "refused"})
    lines = report_callback.CallbackModule._blocking_lines(decision)
    assert lines == ["db01, db02 unreachable: refused",
                     "web01-web03 task 'Run checks' failed: invalid check settings: x"]
