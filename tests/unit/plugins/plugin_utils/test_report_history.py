"""Report history: archives in real directories, the latest pointer, pruning, and what changed between runs."""

from __future__ import annotations

import concurrent.futures
import datetime
import json
import multiprocessing
import os
import threading

import jsonschema
import pytest

from ansible_collections.golive.readiness.plugins.plugin_utils import _report_history
from ansible_collections.golive.readiness.plugins.plugin_utils._report_history import (
    CHANGE_FIELDS,
    archive_run,
    archives,
    history_of,
    latest_archive,
    previous_document,
    reserve_archive,
)

STAMP = "20261124T101500Z"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))


def check(host, check_id, status, severity="high", summary=None):
    return dict(host=host, id=check_id, kind=check_id.split(":")[0], section="infrastructure",
                title="Title of %s" % check_id, status=status, severity=severity,
                summary=summary or "%s is %s" % (check_id, status), observed={}, expected={})


def document(checks, verdict="GO", generated_at="2026-11-24T10:15:00Z", hosts=None):
    if hosts is None:
        hosts = [dict(name=name, status="ok") for name in sorted(set(c["host"] for c in checks))]
    return dict(schema_version=1, verdict=verdict, generated_at=generated_at, hosts=hosts, checks=checks)


def write_run(report_dir, doc, names=("report.json", "junit.xml")):
    report_dir.mkdir(exist_ok=True)
    (report_dir / "report.json").write_text(json.dumps(doc), encoding="utf-8")
    for name in names:
        if name != "report.json":
            (report_dir / name).write_text("<%s of %s/>" % (name, doc["generated_at"]), encoding="utf-8")
    return list(names)


# --- what changed -------------------------------------------------------------------------------


def test_changes_between_two_runs():
    before = document([check("web01", "disk_space:/", "pass"), check("web01", "tls:api", "fail"),
                       check("web02", "port:443", "pass"), check("web02", "gone:x", "warn")],
                      generated_at="2026-11-23T09:00:00Z", verdict="NO-GO")
    after = document([check("web01", "disk_space:/", "fail", summary="free 2 GiB (fail < 10 GiB)"),
                      check("web01", "tls:api", "pass"), check("web02", "port:443", "pass"),
                      check("web02", "added:y", "warn")])
    history = history_of(before, after, "history/20261123T090000Z")
    assert history["previous"] == dict(generated_at="2026-11-23T09:00:00Z", verdict="NO-GO",
                                       archive="history/20261123T090000Z")
    assert history["regressions"] == [dict(host="web01", id="disk_space:/", title="Title of disk_space:/",
                                           section="infrastructure", severity="high", before="pass",
                                           after="fail", summary="free 2 GiB (fail < 10 GiB)")]
    assert [(c["host"], c["id"], c["before"], c["after"]) for c in history["fixed"]] == [
        ("web01", "tls:api", "fail", "pass")]
    assert [(c["host"], c["id"], c["before"], c["after"]) for c in history["new"]] == [
        ("web02", "added:y", None, "warn")]
    assert [(c["host"], c["id"], c["before"], c["after"], c["summary"]) for c in history["removed"]] == [
        ("web02", "gone:x", "warn", None, "gone:x is warn")]
    for name in ("regressions", "fixed", "new", "removed"):
        assert all(tuple(change) == CHANGE_FIELDS for change in history[name])


def test_no_previous_run_or_a_foreign_one_gives_an_empty_history():
    empty = dict(previous=None, regressions=[], fixed=[], new=[], removed=[])
    now = document([check("web01", "a:1", "fail")])
    assert history_of(None, now) == empty
    assert history_of({"some": "other json"}, now) == empty
    assert history_of([1, 2], now) == empty


@pytest.mark.parametrize("before, after, kind", [
    ("pass", "warn", "regressions"), ("pass", "error", "regressions"), ("warn", "fail", "regressions"),
    ("fail", "error", "regressions"), ("skipped", "fail", "regressions"), ("pass", "skipped", "regressions"),
    ("pass", "bogus", "regressions"),
    ("fail", "pass", "fixed"), ("error", "warn", "fixed"), ("fail", "skipped", "fixed"), ("skipped", "pass", "fixed"),
    ("warn", "warn", None), ("error", "bogus", None),
])
def test_status_ranks(before, after, kind):
    history = history_of(document([check("h", "c:1", before)]), document([check("h", "c:1", after)]))
    changed = [name for name in ("regressions", "fixed", "new", "removed") if history[name]]
    assert changed == ([kind] if kind else [])


def test_regressions_most_severe_first_then_natural_host_order_then_id():
    hosts = ("web10", "web2", "web1")
    severities = (("b:x", "low"), ("a:x", "critical"), ("c:x", "critical"))
    before = document([check(h, i, "pass", sev) for h in hosts for i, sev in severities])
    after = document([check(h, "b:x", "fail", "low") for h in hosts]
                     + [check(h, "a:x", "warn", "critical") for h in hosts]
                     + [check(h, "c:x", "error", "critical") for h in hosts])
    order = [(c["severity"], c["after"], c["host"], c["id"]) for c in history_of(before, after)["regressions"]]
    assert order == [
        ("critical", "error", "web1", "c:x"), ("critical", "error", "web2", "c:x"),
        ("critical", "error", "web10", "c:x"),
        ("critical", "warn", "web1", "a:x"), ("critical", "warn", "web2", "a:x"), ("critical", "warn", "web10", "a:x"),
        ("low", "fail", "web1", "b:x"), ("low", "fail", "web2", "b:x"), ("low", "fail", "web10", "b:x"),
    ]


def test_other_lists_are_sorted_by_natural_host_order_then_id():
    after = document([check(h, i, "pass") for h in ("db10", "db9") for i in ("z:1", "a:1")])
    history = history_of(document([check(h, "old:1", "pass") for h in ("db10", "db9")]), after)
    assert [(c["host"], c["id"]) for c in history["new"] if not c["id"].startswith("host:")] == [
        ("db9", "a:1"), ("db9", "z:1"), ("db10", "a:1"), ("db10", "z:1")]


def test_unreachable_host_is_one_regression_not_a_list_of_removed_checks():
    before = document([check("web01", "a:1", "pass"), check("web02", "a:1", "pass"), check("web02", "b:1", "warn")])
    after = document([check("web01", "a:1", "pass")],
                     hosts=[dict(name="web01", status="ok"),
                            dict(name="web02", status="unreachable", reason="ssh: connection timed out")],
                     verdict="NO-GO")
    history = history_of(before, after)
    assert history["regressions"] == [dict(host="web02", id="host:web02", title="Host web02 returns check results",
                                           section="hosts", severity="critical", before="pass", after="error",
                                           summary="ssh: connection timed out")]
    assert history["removed"] == [] and history["new"] == [] and history["fixed"] == []
    # ... and when it answers again: one fix, its checks are not "new".
    back = history_of(after, before)
    assert [(c["id"], c["before"], c["after"]) for c in back["fixed"]] == [("host:web02", "error", "pass")]
    assert back["new"] == [] and back["regressions"] == [] and back["removed"] == []


def test_a_host_in_one_run_only_is_one_entry_not_all_its_checks():
    # A run limited with --limit, or a host added to or taken out of the inventory.
    before = document([check("web01", "a:1", "pass"), check("old01", "a:1", "pass"), check("old01", "b:1", "fail")])
    after = document([check("web01", "a:1", "pass"), check("web01", "c:1", "pass"), check("new01", "a:1", "fail")])
    history = history_of(before, after)
    assert [(c["host"], c["id"]) for c in history["new"]] == [("new01", "host:new01"), ("web01", "c:1")]
    assert [(c["host"], c["id"]) for c in history["removed"]] == [("old01", "host:old01")]
    assert history["regressions"] == history["fixed"] == []


def test_records_without_id_and_documents_without_hosts_are_tolerated():
    before = dict(verdict="GO", checks=[{"host": "a"}, "junk", check("a", "x:1", "pass")])
    after = dict(verdict="GO", checks=[check("a", "x:1", "fail")], hosts=["junk", {"status": "ok"}])
    history = history_of(before, after)
    assert [(c["id"], c["before"], c["after"]) for c in history["regressions"]] == [("x:1", "pass", "fail")]


def test_a_previous_report_with_values_of_any_json_type_is_compared_without_error():
    # A hand-edited or foreign report.json: statuses, titles and host states that are lists, maps or numbers.
    before = dict(verdict="GO", generated_at=20261123, hosts=[dict(name="web01", status=["ok"]),
                                                              dict(name="web02", status={"x": 1})],
                  checks=[dict(host="web01", id="a:1", status=["pass"], title=7, section=None, severity=[],
                               summary={"s": 1}),
                          dict(host="web01", id="b:2", status="broken"), dict(host="web02", id="c:3", status={})])
    after = document([check("web01", "a:1", "pass"), check("web01", "b:2", "fail"), check("web02", "c:3", "pass")])
    history = history_of(before, after, "history/20261123T090000Z")
    assert history["previous"]["generated_at"] == "20261123"
    # Unknown statuses count as errors: anything known now is an improvement.
    assert [(c["host"], c["id"], c["before"], c["after"]) for c in history["fixed"]] == [
        ("web01", "a:1", "error", "pass"), ("web01", "b:2", "error", "fail"), ("web01", "host:web01", "error", "pass"),
        ("web02", "c:3", "error", "pass"), ("web02", "host:web02", "error", "pass")]
    assert history["regressions"] == history["new"] == history["removed"] == []
    with open(os.path.join(REPO, "docs", "report.schema.json"), encoding="utf-8") as handle:
        schema = json.load(handle)
    change_schema = dict(schema["$defs"]["change"], **{"$defs": schema["$defs"]})
    for change in history["fixed"]:
        jsonschema.validate(change, change_schema)
    removed = history_of(before, document([check("web01", "other:1", "pass"), check("web02", "other:1", "pass")]))[
        "removed"]
    assert [(c["id"], c["before"], c["title"], c["summary"]) for c in removed if c["id"] == "a:1"] == [
        ("a:1", "error", "7", "{'s': 1}")]


# --- archives and the latest pointer ------------------------------------------------------------


def test_archive_copies_the_files_and_points_latest_at_them(tmp_path):
    report_dir = tmp_path / "golive-report"
    first = document([check("web01", "a:1", "pass")], generated_at="2026-11-24T10:15:00Z")
    names = write_run(report_dir, first)
    assert previous_document(str(report_dir)) is None
    archive = archive_run(str(report_dir), names, stamp=STAMP)
    assert archive == "history/" + STAMP
    assert sorted(os.listdir(report_dir / archive)) == ["junit.xml", "report.json"]
    assert (report_dir / archive / "junit.xml").read_text() == "<junit.xml of 2026-11-24T10:15:00Z/>"
    assert os.path.islink(report_dir / "latest") and os.readlink(report_dir / "latest") == archive
    assert latest_archive(str(report_dir)) == archive
    assert previous_document(str(report_dir)) == first


def test_latest_moves_to_each_new_run(tmp_path):
    report_dir = tmp_path / "r"
    first = document([check("web01", "a:1", "pass")], generated_at="2026-11-24T10:15:00Z")
    archive_run(str(report_dir), write_run(report_dir, first), stamp=datetime.datetime(2026, 11, 24, 10, 15))
    second = document([check("web01", "a:1", "fail")], generated_at="2026-11-24T11:00:00Z", verdict="NO-GO")
    assert previous_document(str(report_dir)) == first
    write_run(report_dir, second)
    epoch = datetime.datetime(2026, 11, 24, 11, 0, tzinfo=datetime.timezone.utc).timestamp()
    archive = archive_run(str(report_dir), {"json": "report.json", "junit": "junit.xml"}, stamp=epoch)
    assert archive == "history/20261124T110000Z"
    assert os.readlink(report_dir / "latest") == archive
    assert previous_document(str(report_dir)) == second
    history = history_of(first, second, "history/" + STAMP)
    assert history["previous"]["archive"] == "history/" + STAMP
    assert len(history["regressions"]) == 1


def test_two_runs_in_one_second_get_distinct_archives(tmp_path):
    report_dir = tmp_path / "r"
    names = write_run(report_dir, document([]))
    made = [archive_run(str(report_dir), names, stamp=STAMP) for dummy in range(11)]
    assert made == ["history/" + STAMP] + ["history/%s-%d" % (STAMP, n) for n in range(2, 12)]
    assert archives(str(report_dir))[-1] == STAMP + "-11"
    assert latest_archive(str(report_dir)) == "history/%s-11" % STAMP


def test_concurrent_runs_never_share_or_half_write_an_archive(tmp_path):
    report_dir = tmp_path / "r"
    names = write_run(report_dir, document([check("web01", "a:1", "pass")]))
    made, errors = [], []
    start = threading.Barrier(8)

    def run():
        try:
            start.wait()
            made.append(archive_run(str(report_dir), names, stamp=STAMP, keep=None))
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for dummy in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert len(made) == len(set(made)) == 8
    for archive in made:
        assert sorted(os.listdir(report_dir / archive)) == ["junit.xml", "report.json"]
    assert sorted(os.listdir(report_dir / "history")) == sorted(a.split("/")[1] for a in made)
    assert latest_archive(str(report_dir)) in made
    assert [n for n in os.listdir(report_dir) if n.startswith(".")] == []


def _archive_in_a_process(report_dir, names):
    return archive_run(report_dir, names, stamp=STAMP, keep=None)


def test_concurrent_processes_never_share_an_archive(tmp_path):
    report_dir = tmp_path / "r"
    names = write_run(report_dir, document([]))
    context = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(4, mp_context=context) as pool:
        made = list(pool.map(_archive_in_a_process, [str(report_dir)] * 12, [names] * 12))
    assert sorted(made) == sorted(["history/" + STAMP] + ["history/%s-%d" % (STAMP, n) for n in range(2, 13)])
    assert all(sorted(os.listdir(report_dir / archive)) == ["junit.xml", "report.json"] for archive in made)


def test_reserved_archive_name_goes_into_the_report_before_it_is_written(tmp_path):
    report_dir = tmp_path / "r"
    first = reserve_archive(str(report_dir), STAMP)
    second = reserve_archive(str(report_dir), STAMP)
    assert (first, second) == ("history/" + STAMP, "history/%s-2" % STAMP)
    doc = dict(document([check("web01", "a:1", "pass")]), archive=second)
    names = write_run(report_dir, doc)
    assert latest_archive(str(report_dir)) is None
    assert archive_run(str(report_dir), names, archive=second) == second
    assert previous_document(str(report_dir))["archive"] == second
    # The reservation nobody filled stays empty and is pruned like any old archive.
    assert os.listdir(report_dir / first) == []
    archive_run(str(report_dir), names, stamp="20261124T111500Z", keep=2)
    assert archives(str(report_dir)) == [STAMP + "-2", "20261124T111500Z"]


def test_an_archive_is_never_overwritten(tmp_path):
    report_dir = tmp_path / "r"
    names = write_run(report_dir, document([]))
    archive = archive_run(str(report_dir), names, stamp=STAMP)
    (report_dir / "junit.xml").write_text("changed")
    with pytest.raises(OSError):
        archive_run(str(report_dir), names, archive=archive)
    assert (report_dir / archive / "junit.xml").read_text() != "changed"
    assert [n for n in os.listdir(report_dir / "history") if n.startswith(".")] == []


@pytest.mark.parametrize("archive", ["20261124T101500Z", "history/../x", "/tmp/history/20261124T101500Z",
                                     "history/20261124T101500Z/sub"])
def test_bad_archive_names_are_refused(tmp_path, archive):
    with pytest.raises(ValueError, match="archive must look like"):
        archive_run(str(tmp_path), [], archive=archive)


def test_pruning_keeps_the_newest_archives_and_foreign_entries(tmp_path):
    report_dir = tmp_path / "r"
    names = write_run(report_dir, document([]))
    (report_dir / "history").mkdir()
    (report_dir / "history" / "notes.txt").write_text("mine")
    (report_dir / "history" / "20200101-manual").mkdir()
    made = [archive_run(str(report_dir), names, stamp="2026112%dT000000Z" % day, keep=3) for day in range(1, 6)]
    assert archives(str(report_dir)) == [m.split("/")[1] for m in made[-3:]]
    assert sorted(os.listdir(report_dir / "history")) == sorted(
        ["notes.txt", "20200101-manual"] + [m.split("/")[1] for m in made[-3:]])


def test_pruning_never_removes_the_archive_just_written(tmp_path):
    report_dir = tmp_path / "r"
    names = write_run(report_dir, document([]))
    archive_run(str(report_dir), names, stamp="20261125T000000Z")
    # An older stamp (a clock set back) is still the run just made: it stays, the newer one goes.
    archive = archive_run(str(report_dir), names, stamp="20261120T000000Z", keep=0)
    assert archives(str(report_dir)) == ["20261120T000000Z"]
    assert latest_archive(str(report_dir)) == archive


def test_stale_temporary_archives_are_cleaned_fresh_ones_left(tmp_path):
    report_dir = tmp_path / "r"
    names = write_run(report_dir, document([]))
    stale = report_dir / "history" / ".incoming-20200101T000000Z.abc"
    fresh = report_dir / "history" / ".incoming-20261124T101459Z.def"
    stale.mkdir(parents=True)
    fresh.mkdir()
    os.utime(stale, (0, 0))
    archive_run(str(report_dir), names, stamp=STAMP)
    assert not stale.exists() and fresh.exists()


def test_failed_archive_leaves_nothing_behind_and_latest_unchanged(tmp_path):
    report_dir = tmp_path / "r"
    names = write_run(report_dir, document([]))
    first = archive_run(str(report_dir), names, stamp=STAMP)
    with pytest.raises(OSError):
        archive_run(str(report_dir), ["report.json", "missing.html"], stamp="20261124T120000Z")
    assert os.listdir(report_dir / "history") == [STAMP]
    assert latest_archive(str(report_dir)) == first


def test_unwritable_report_dir_raises_oserror(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(OSError):
        archive_run(str(blocker), [], stamp=STAMP)


@pytest.mark.parametrize("names", [["/etc/passwd"], ["../report.json"], ["latest"], ["history/x"], [""]])
def test_file_names_must_stay_inside_the_report_dir(tmp_path, names):
    with pytest.raises(ValueError, match="relative to the report directory"):
        archive_run(str(tmp_path), names, stamp=STAMP)


@pytest.mark.parametrize("stamp", ["2026-11-24", "20261124T101500Z-2", "../x"])
def test_bad_stamps_are_refused(tmp_path, stamp):
    with pytest.raises(ValueError, match="stamp"):
        archive_run(str(tmp_path), [], stamp=stamp)


def test_nested_file_names_are_archived(tmp_path):
    report_dir = tmp_path / "r"
    write_run(report_dir, document([]), names=("report.json",))
    (report_dir / "assets").mkdir()
    (report_dir / "assets" / "style.css").write_text("body{}")
    archive = archive_run(str(report_dir), ["report.json", "assets/style.css"], stamp=STAMP)
    assert (report_dir / archive / "assets" / "style.css").read_text() == "body{}"


def test_latest_is_a_text_file_where_symlinks_are_unavailable(tmp_path, monkeypatch):
    def no_symlinks(*args, **kwargs):
        raise OSError(1, "Operation not permitted")

    report_dir = tmp_path / "r"
    doc = document([check("web01", "a:1", "pass")])
    names = write_run(report_dir, doc)
    archive_run(str(report_dir), names, stamp=STAMP)
    monkeypatch.setattr(_report_history.os, "symlink", no_symlinks)
    archive = archive_run(str(report_dir), names, stamp="20261124T111500Z")
    pointer = report_dir / "latest"
    assert not os.path.islink(pointer) and pointer.read_text() == archive + "\n"
    assert previous_document(str(report_dir)) == doc
    monkeypatch.undo()
    # Back on a filesystem with symlinks, the text file is replaced by a link again.
    archive = archive_run(str(report_dir), names, stamp="20261124T121500Z")
    assert os.readlink(pointer) == archive


# --- a previous report that cannot be used ------------------------------------------------------


def _with_latest(tmp_path, target, content=None):
    report_dir = tmp_path / "r"
    (report_dir / "history" / STAMP).mkdir(parents=True)
    if content is not None:
        (report_dir / "history" / STAMP / "report.json").write_text(content, encoding="utf-8")
    os.symlink(target, report_dir / "latest")
    return str(report_dir)


@pytest.mark.parametrize("content", [
    "{not json", "", "[1, 2, 3]", json.dumps({"verdict": "GO"}), json.dumps({"checks": []}),
    json.dumps({"verdict": "GO", "checks": {}}), json.dumps({"verdict": "GO", "checks": [], "hosts": "x"}),
])
def test_corrupt_or_foreign_previous_report_is_ignored(tmp_path, content):
    assert previous_document(_with_latest(tmp_path, "history/" + STAMP, content)) is None


@pytest.mark.parametrize("target", ["history/" + STAMP + "/../..", "/etc", "../elsewhere/" + STAMP,
                                    "history/not-a-stamp", "history/%s/report.json" % STAMP])
def test_latest_pointing_outside_the_history_is_ignored(tmp_path, target):
    report_dir = _with_latest(tmp_path, target, json.dumps(document([])))
    assert latest_archive(report_dir) is None
    assert previous_document(report_dir) is None


def test_missing_pointer_archive_or_report_is_none(tmp_path):
    assert previous_document(str(tmp_path / "never-written")) is None
    assert previous_document(_with_latest(tmp_path, "history/" + STAMP)) is None
    report_dir = tmp_path / "r"
    (report_dir / "history" / STAMP / "report.json").write_bytes(b"\xff\xfe{}")
    assert previous_document(str(report_dir)) is None
    os.unlink(report_dir / "history" / STAMP / "report.json")
    (report_dir / "history" / STAMP).rmdir()
    assert previous_document(str(report_dir)) is None


def test_latest_as_a_directory_or_binary_file_is_ignored(tmp_path):
    (tmp_path / "a" / "latest").mkdir(parents=True)
    assert previous_document(str(tmp_path / "a")) is None
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "latest").write_bytes(b"\xff\xfe\x00garbage")
    assert previous_document(str(tmp_path / "b")) is None
