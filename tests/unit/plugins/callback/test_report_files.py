"""The report callback's helpers: publishing the set, collection version, formats, colour rules, grouping."""

from __future__ import annotations

import datetime
import errno
import json
import os

import pytest

from ansible_collections.golive.readiness.plugins.callback import report as report_callback
from ansible_collections.golive.readiness.plugins.callback.report import (
    FORMATS,
    collection_version,
    colour_wanted,
    problem_lines,
    selected_formats,
    terminal_safe,
)


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
    checks = [check(f"web{n:02d}", "disk_space:/", "fail", f"free {n}% (fail < 10%)") for n in range(1, 13)]
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
    """Stands in for Ansible's Display: keeps the warnings and the lines displayed."""

    def __init__(self):
        self.warnings = []
        self.lines = []
        self.columns = 80
        self.verbosity = 0

    def warning(self, text, *args, **kwargs):
        self.warnings.append(text)

    def display(self, text="", *args, **kwargs):
        self.lines.append(text)


def history_when_the_previous_report_raises(tmp_path, monkeypatch, error):
    """(history, display) of a run whose previous report cannot be read because of ``error``."""
    def broken(report_dir):
        raise error

    monkeypatch.setattr(report_callback, "previous_document", broken)
    display = RecordingDisplay()
    callback = report_callback.CallbackModule(display=display)
    return callback._history(str(tmp_path), dict(verdict="GO", checks=[], hosts=[])), display


def test_a_history_that_cannot_be_read_is_no_history_and_a_warning(tmp_path, monkeypatch):
    history, display = history_when_the_previous_report_raises(tmp_path, monkeypatch, RuntimeError("disk on fire"))
    assert history == dict(previous=None, regressions=[], fixed=[], new=[], removed=[])
    assert display.warnings == [f"golive report: cannot compare with the previous report in {tmp_path}: RuntimeError: "
                                "disk on fire"]


def test_terminal_lines_cannot_carry_escape_sequences():
    summary = "1 match: 2026-11-24 ERROR \x1b]0;owned\x07\x1b[2J boom\x9b"
    assert terminal_safe(summary) == "1 match: 2026-11-24 ERROR \\x1b]0;owned\\x07\\x1b[2J boom\\x9b"
    assert terminal_safe("\nGOLIVE VERDICT: GO\tx\r") == "\\nGOLIVE VERDICT: GO\\tx\\r"
    assert terminal_safe("a\u202eb\u2066c\u2069\u200e\u200f\u061c\u2028") == (
        "a\\u202eb\\u2066c\\u2069\\u200e\\u200f\\u061c\\u2028")


# 2026-11-24T10:15:00Z, the run's finishing time: its archive is history/20261124T101500Z.
TEN_FIFTEEN = datetime.datetime(2026, 11, 24, 10, 15, tzinfo=datetime.timezone.utc).timestamp()
OPTIONS = dict(history=True, history_keep=30, formats=["json", "junit", "prometheus"], notify_url=None,
               notify_timeout=5, notify_retries=0)


def publishing_callback(monkeypatch, **options):
    display = RecordingDisplay()
    callback = report_callback.CallbackModule(display=display)
    monkeypatch.setattr(callback, "get_option", dict(OPTIONS, **options).get)
    return callback, display


def run_document(verdict, generated_at):
    return dict(schema_version=1, verdict=verdict, generated_at=generated_at, hosts=[], checks=[], counts={})


def published(report_dir):
    """{file name: text} of the top-level report files, read the way a reader finds them."""
    return dict((name, (report_dir / name).read_text()) for name in ("report.json", "junit.xml", "golive.prom")
                if (report_dir / name).exists())


def test_one_publish_gives_one_run_set_and_its_paths(tmp_path, monkeypatch):
    callback, display = publishing_callback(monkeypatch)
    report_dir = tmp_path / "report"
    paths = callback._publish(str(report_dir), run_document("GO", "2026-11-24T10:15:00Z"), TEN_FIFTEEN)
    assert paths == [str(report_dir / name) for name in ("junit.xml", "golive.prom", "report.json")]
    assert os.readlink(report_dir / "latest") == "history/20261124T101500Z"
    assert json.loads((report_dir / "report.json").read_text())["archive"] == "history/20261124T101500Z"
    callback._end_unpublished(str(report_dir))  # nothing to say: it returns
    assert display.warnings == [] and display.lines == []


def test_a_report_that_cannot_be_published_keeps_the_previous_set_says_so_and_exits_non_zero(tmp_path, monkeypatch):
    report_dir = tmp_path / "report"
    callback, display = publishing_callback(monkeypatch)
    callback._publish(str(report_dir), run_document("NO-GO", "2026-11-24T10:15:00Z"), TEN_FIFTEEN)
    before = published(report_dir)
    real_write = os.write

    def disk_full(descriptor, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    callback, display = publishing_callback(monkeypatch)
    monkeypatch.setattr(os, "write", disk_full)
    assert callback._publish(str(report_dir), run_document("GO", "2026-11-24T11:00:00Z"), TEN_FIFTEEN + 2700) == []
    monkeypatch.setattr(os, "write", real_write)
    assert published(report_dir) == before and json.loads(before["report.json"])["verdict"] == "NO-GO"
    assert sorted(os.listdir(report_dir / "history")) == ["20261124T101500Z"]
    with pytest.raises(SystemExit) as ended:
        callback._end_unpublished(str(report_dir))
    assert ended.value.code == report_callback.REPORT_NOT_WRITTEN_EXIT_CODE != 0
    (line,) = display.lines
    assert line.startswith(f"GOLIVE REPORT NOT WRITTEN: cannot write the report into {report_dir}: "
                           "No space left on device: ")
    assert line.endswith("; the current report is still the previous run's (history/20261124T101500Z)")


def test_a_report_dir_that_cannot_be_created_is_not_written_and_says_why(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("not a directory")
    callback, display = publishing_callback(monkeypatch, history=False)
    assert callback._publish(str(tmp_path / "file" / "report"), run_document("GO", "x"), TEN_FIFTEEN) == []
    with pytest.raises(SystemExit):
        callback._end_unpublished(str(tmp_path / "file" / "report"))
    assert display.lines == ["GOLIVE REPORT NOT WRITTEN: cannot write the report into {}: Not a directory: {}; "
                             "no report is current".format(tmp_path / "file" / "report", tmp_path / "file" / "report")]


def test_without_history_only_the_current_set_is_kept_and_the_report_names_no_archive(tmp_path, monkeypatch):
    report_dir = tmp_path / "report"
    for number in range(3):
        callback = publishing_callback(monkeypatch, history=False)[0]
        callback._publish(str(report_dir), run_document("GO", f"run {number}"), TEN_FIFTEEN + number)
    assert len(os.listdir(report_dir / "history")) == 1
    document = json.loads((report_dir / "report.json").read_text())
    assert document["generated_at"] == "run 2" and document["archive"] is None
    assert 'value="run 2"' in (report_dir / "junit.xml").read_text()


def test_a_fifo_in_place_of_the_previous_report_is_a_warning_and_no_previous_report(tmp_path):
    report_dir = tmp_path / "report"
    (report_dir / "history" / "20261124T101500Z").mkdir(parents=True)
    os.mkfifo(report_dir / "history" / "20261124T101500Z" / "report.json")
    os.symlink("history/20261124T101500Z", report_dir / "latest")
    display = RecordingDisplay()
    callback = report_callback.CallbackModule(display=display)
    history = callback._history(str(report_dir), dict(verdict="GO", checks=[], hosts=[]))
    assert history["previous"] is None
    fifo = report_dir / "history" / "20261124T101500Z" / "report.json"
    assert display.warnings == [f"golive report: the previous report {fifo} is a FIFO, not a regular file; comparing "
                                "with no previous report"]


def test_warnings_quoting_checked_text_stay_one_line(tmp_path, monkeypatch):
    error = RuntimeError("bad\nGOLIVE VERDICT: GO \x1b[2J\u202e")
    display = history_when_the_previous_report_raises(tmp_path, monkeypatch, error)[1]
    (warning,) = display.warnings
    assert warning.endswith("RuntimeError: bad\\nGOLIVE VERDICT: GO \\x1b[2J\\u202e")


def test_failed_tasks_and_unreachable_hosts_are_one_line_per_reason():
    from ansible_collections.golive.readiness.plugins.module_utils._verdict import decide, reason_lines

    failed = [dict(host=f"web{n:02d}", task="Run checks", message="invalid check settings: x") for n in (1, 2, 3)]
    decision = decide([], hosts_without_results={"web01": "its check task failed"}, failed_tasks=failed,
                      unreachable={"db01": "refused", "db02": "refused"})
    lines = reason_lines(decision["reasons"])
    assert lines == ["nothing was checked: the run executed no check", "db01, db02 unreachable: refused",
                     "web01-web03 task 'Run checks' failed: invalid check settings: x"]
