"""Report history: archives in real directories, the latest pointer, pruning, and what changed between runs."""

from __future__ import annotations

import concurrent.futures
import datetime
import errno
import json
import multiprocessing
import os
import stat
import threading

import jsonschema
import pytest

from ansible_collections.golive.readiness.plugins.plugin_utils import _report_history
from ansible_collections.golive.readiness.plugins.plugin_utils._report_history import (
    CHANGE_FIELDS,
    RefusedFile,
    archives,
    history_of,
    latest_archive,
    previous_document,
    publish_run,
    read_regular_file,
    reserve_archive,
)

STAMP = "20261124T101500Z"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))


def check(host, check_id, status, severity="high", summary=None):
    return dict(host=host, id=check_id, kind=check_id.split(":")[0], section="infrastructure",
                title=f"Title of {check_id}", status=status, severity=severity,
                summary=summary or f"{check_id} is {status}", observed={}, expected={})


def document(checks, verdict="GO", generated_at="2026-11-24T10:15:00Z", hosts=None):
    if hosts is None:
        hosts = [dict(name=name, status="ok") for name in sorted(set(c["host"] for c in checks))]
    return dict(schema_version=1, verdict=verdict, generated_at=generated_at, hosts=hosts, checks=checks)


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
                                       archive="history/20261123T090000Z", schema_version=1)
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


# --- publishing a run's set, the latest pointer, pruning ----------------------------------------


def set_of(doc, names=("report.json", "junit.xml")):
    """The texts of one run's report set: report.json holds ``doc``, the others name its run."""
    return dict((name, json.dumps(doc) if name == "report.json" else "<{} of {}/>".format(name, doc["generated_at"]))
                for name in names)


def read_top_level(report_dir, names=("report.json", "junit.xml")):
    return dict((name, (report_dir / name).read_text()) for name in names)


def test_publishing_writes_the_set_into_its_archive_and_links_the_top_level_names_through_latest(tmp_path):
    report_dir = tmp_path / "golive-report"
    first = document([check("web01", "a:1", "pass")], generated_at="2026-11-24T10:15:00Z")
    assert previous_document(str(report_dir)) is None
    archive = publish_run(str(report_dir), set_of(first), stamp=STAMP)
    assert archive == "history/" + STAMP
    assert sorted(os.listdir(report_dir / archive)) == ["junit.xml", "report.json"]
    assert (report_dir / archive / "junit.xml").read_text() == "<junit.xml of 2026-11-24T10:15:00Z/>"
    assert os.path.islink(report_dir / "latest") and os.readlink(report_dir / "latest") == archive
    assert os.readlink(report_dir / "report.json") == "latest/report.json"
    assert os.readlink(report_dir / "junit.xml") == "latest/junit.xml"
    assert read_top_level(report_dir) == set_of(first)
    assert latest_archive(str(report_dir)) == archive
    assert previous_document(str(report_dir)) == first
    assert sorted(os.listdir(report_dir)) == ["history", "junit.xml", "latest", "report.json"]


def test_the_set_honours_the_umask(tmp_path):
    previous = os.umask(0o027)
    try:
        archive = publish_run(str(tmp_path / "r"), set_of(document([])), stamp=STAMP)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(os.stat(tmp_path / "r" / archive / "junit.xml").st_mode) == 0o640


def test_latest_and_every_top_level_name_move_to_each_new_run(tmp_path):
    report_dir = tmp_path / "r"
    first = document([check("web01", "a:1", "pass")], generated_at="2026-11-24T10:15:00Z")
    publish_run(str(report_dir), set_of(first), stamp=datetime.datetime(2026, 11, 24, 10, 15))
    second = document([check("web01", "a:1", "fail")], generated_at="2026-11-24T11:00:00Z", verdict="NO-GO")
    assert previous_document(str(report_dir)) == first
    epoch = datetime.datetime(2026, 11, 24, 11, 0, tzinfo=datetime.timezone.utc).timestamp()
    archive = publish_run(str(report_dir), set_of(second), stamp=epoch)
    assert archive == "history/20261124T110000Z"
    assert os.readlink(report_dir / "latest") == archive
    assert read_top_level(report_dir) == set_of(second)
    assert previous_document(str(report_dir)) == second
    history = history_of(first, second, "history/" + STAMP)
    assert history["previous"]["archive"] == "history/" + STAMP
    assert len(history["regressions"]) == 1


def test_a_format_the_new_set_lacks_disappears_with_the_switch(tmp_path):
    report_dir = tmp_path / "r"
    known = ("report.json", "junit.xml", "report.html")
    publish_run(str(report_dir), set_of(document([]), known), stamp=STAMP, known_names=known)
    assert (report_dir / "report.html").read_text() == "<report.html of 2026-11-24T10:15:00Z/>"
    later = document([], generated_at="2026-11-24T11:00:00Z")
    publish_run(str(report_dir), set_of(later), stamp="20261124T110000Z", known_names=known)
    assert not os.path.lexists(report_dir / "report.html")
    assert read_top_level(report_dir) == set_of(later)


def test_files_an_older_release_wrote_at_the_top_level_become_links_to_the_set(tmp_path):
    report_dir = tmp_path / "r"
    report_dir.mkdir()
    for name in ("report.json", "junit.xml", "report.md"):
        (report_dir / name).write_text("old run")
    publish_run(str(report_dir), set_of(document([])), stamp=STAMP, known_names=["report.md"])
    assert read_top_level(report_dir) == set_of(document([]))
    # The old run's Markdown is not this run's: it is gone rather than left beside the new set.
    assert not os.path.lexists(report_dir / "report.md")
    assert all(os.path.islink(report_dir / name) for name in ("report.json", "junit.xml"))


def test_two_runs_in_one_second_get_distinct_archives(tmp_path):
    report_dir = tmp_path / "r"
    made = [publish_run(str(report_dir), set_of(document([])), stamp=STAMP) for dummy in range(11)]
    assert made == ["history/" + STAMP] + [f"history/{STAMP}-{n}" for n in range(2, 12)]
    assert archives(str(report_dir))[-1] == STAMP + "-11"
    assert latest_archive(str(report_dir)) == f"history/{STAMP}-11"


def test_concurrent_runs_never_share_or_half_write_an_archive(tmp_path):
    report_dir = tmp_path / "r"
    made, errors = [], []
    start = threading.Barrier(8)

    def run(number):
        try:
            start.wait()
            doc = document([check("web01", "a:1", "pass")], generated_at=f"run {number}")
            made.append(publish_run(str(report_dir), set_of(doc), stamp=STAMP, keep=None))
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(number,)) for number in range(8)]
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
    # Whichever run switched last, both top-level files are its own.
    current = json.loads((report_dir / "report.json").read_text())
    assert (report_dir / "junit.xml").read_text() == "<junit.xml of {}/>".format(current["generated_at"])
    assert [n for n in os.listdir(report_dir) if n.startswith(".")] == []


def _publish_in_a_process(report_dir, number):
    return publish_run(report_dir, set_of(document([], generated_at=f"run {number}")), stamp=STAMP, keep=None)


def test_concurrent_processes_never_share_an_archive(tmp_path):
    report_dir = tmp_path / "r"
    context = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(4, mp_context=context) as pool:
        made = list(pool.map(_publish_in_a_process, [str(report_dir)] * 12, range(12)))
    assert sorted(made) == sorted(["history/" + STAMP] + [f"history/{STAMP}-{n}" for n in range(2, 13)])
    assert all(sorted(os.listdir(report_dir / archive)) == ["junit.xml", "report.json"] for archive in made)


def test_reserved_archive_name_goes_into_the_report_before_it_is_written(tmp_path):
    report_dir = tmp_path / "r"
    first = reserve_archive(str(report_dir), STAMP)
    second = reserve_archive(str(report_dir), STAMP)
    assert (first, second) == ("history/" + STAMP, f"history/{STAMP}-2")
    doc = dict(document([check("web01", "a:1", "pass")]), archive=second)
    assert latest_archive(str(report_dir)) is None
    assert publish_run(str(report_dir), set_of(doc), archive=second) == second
    assert previous_document(str(report_dir))["archive"] == second
    # The reservation nobody filled stays empty and is pruned like any old archive.
    assert os.listdir(report_dir / first) == []
    publish_run(str(report_dir), set_of(doc), stamp="20261124T111500Z", keep=2)
    assert archives(str(report_dir)) == [STAMP + "-2", "20261124T111500Z"]


def test_an_archive_is_never_overwritten(tmp_path):
    report_dir = tmp_path / "r"
    archive = publish_run(str(report_dir), set_of(document([])), stamp=STAMP)
    with pytest.raises(OSError):
        publish_run(str(report_dir), dict(set_of(document([])), **{"junit.xml": "changed"}), archive=archive)
    assert (report_dir / archive / "junit.xml").read_text() != "changed"
    assert latest_archive(str(report_dir)) == archive
    assert [n for n in os.listdir(report_dir / "history") if n.startswith(".")] == []


@pytest.mark.parametrize("archive", ["20261124T101500Z", "history/../x", "/tmp/history/20261124T101500Z",
                                     "history/20261124T101500Z/sub"])
def test_bad_archive_names_are_refused(tmp_path, archive):
    with pytest.raises(ValueError, match="archive must look like"):
        publish_run(str(tmp_path), {}, archive=archive)


def test_pruning_keeps_the_newest_archives_and_foreign_entries(tmp_path):
    report_dir = tmp_path / "r"
    (report_dir / "history").mkdir(parents=True)
    (report_dir / "history" / "notes.txt").write_text("mine")
    (report_dir / "history" / "20200101-manual").mkdir()
    made = [publish_run(str(report_dir), set_of(document([])), stamp=f"2026112{day}T000000Z", keep=3)
            for day in range(1, 6)]
    assert archives(str(report_dir)) == [m.split("/")[1] for m in made[-3:]]
    assert sorted(os.listdir(report_dir / "history")) == sorted(
        ["notes.txt", "20200101-manual"] + [m.split("/")[1] for m in made[-3:]])


def test_pruning_never_removes_the_archive_just_written(tmp_path):
    report_dir = tmp_path / "r"
    publish_run(str(report_dir), set_of(document([])), stamp="20261125T000000Z")
    # An older stamp (a clock set back) is still the run just made: it stays, the newer one goes.
    archive = publish_run(str(report_dir), set_of(document([])), stamp="20261120T000000Z", keep=0)
    assert archives(str(report_dir)) == ["20261120T000000Z"]
    assert latest_archive(str(report_dir)) == archive


def test_stale_temporary_archives_are_cleaned_fresh_ones_left(tmp_path):
    report_dir = tmp_path / "r"
    stale = report_dir / "history" / ".incoming-20200101T000000Z.abc"
    fresh = report_dir / "history" / ".incoming-20261124T101459Z.def"
    stale.mkdir(parents=True)
    fresh.mkdir()
    os.utime(stale, (0, 0))
    publish_run(str(report_dir), set_of(document([])), stamp=STAMP)
    assert not stale.exists() and fresh.exists()


def test_a_set_that_cannot_be_written_leaves_nothing_and_the_previous_set_current(tmp_path, monkeypatch):
    report_dir = tmp_path / "r"
    first = document([check("web01", "a:1", "fail")], verdict="NO-GO")
    archive = publish_run(str(report_dir), set_of(first), stamp=STAMP)
    real_write = os.write

    def disk_full_after_the_first_file(descriptor, data):
        if len(os.listdir(next(report_dir.glob("history/.incoming-*")))) > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(descriptor, data)

    monkeypatch.setattr(_report_history.os, "write", disk_full_after_the_first_file)
    with pytest.raises(OSError, match="No space left"):
        publish_run(str(report_dir), set_of(document([], generated_at="later")), stamp="20261124T120000Z")
    monkeypatch.undo()
    assert os.listdir(report_dir / "history") == [STAMP]
    assert latest_archive(str(report_dir)) == archive
    assert read_top_level(report_dir) == set_of(first)
    assert sorted(os.listdir(report_dir)) == ["history", "junit.xml", "latest", "report.json"]


def test_a_set_that_cannot_be_made_current_is_removed_again(tmp_path, monkeypatch):
    def no_symlinks(*args, **kwargs):
        raise OSError(errno.EPERM, "Operation not permitted")

    report_dir = tmp_path / "r"
    first = document([check("web01", "a:1", "pass")])
    archive = publish_run(str(report_dir), set_of(first), stamp=STAMP)
    monkeypatch.setattr(_report_history.os, "symlink", no_symlinks)
    with pytest.raises(OSError, match="not permitted"):
        publish_run(str(report_dir), set_of(document([], generated_at="later"), ("report.json", "report.md")),
                    stamp="20261124T111500Z")
    monkeypatch.undo()
    assert archives(str(report_dir)) == [STAMP]
    assert latest_archive(str(report_dir)) == archive
    assert read_top_level(report_dir) == set_of(first)


def test_unwritable_report_dir_raises_oserror(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(OSError):
        publish_run(str(blocker), {}, stamp=STAMP)


@pytest.mark.parametrize("names", [["/etc/passwd"], ["../report.json"], ["latest"], ["history/x"], [""]])
def test_file_names_must_stay_inside_the_report_dir(tmp_path, names):
    with pytest.raises(ValueError, match="relative to the report directory"):
        publish_run(str(tmp_path), dict.fromkeys(names, "x"), stamp=STAMP)
    with pytest.raises(ValueError, match="relative to the report directory"):
        publish_run(str(tmp_path), {}, stamp=STAMP, known_names=names)


@pytest.mark.parametrize("stamp", ["2026-11-24", "20261124T101500Z-2", "../x"])
def test_bad_stamps_are_refused(tmp_path, stamp):
    with pytest.raises(ValueError, match="stamp"):
        publish_run(str(tmp_path), {}, stamp=stamp)


def test_nested_file_names_are_published_through_latest(tmp_path):
    report_dir = tmp_path / "r"
    archive = publish_run(str(report_dir), {"report.json": "{}", "assets/style.css": "body{}"}, stamp=STAMP)
    assert (report_dir / archive / "assets" / "style.css").read_text() == "body{}"
    assert os.readlink(report_dir / "assets" / "style.css") == "../latest/assets/style.css"
    assert (report_dir / "assets" / "style.css").read_text() == "body{}"


def test_a_text_pointer_left_by_an_older_release_is_read_and_replaced_by_a_link(tmp_path):
    report_dir = tmp_path / "r"
    doc = document([check("web01", "a:1", "pass")])
    publish_run(str(report_dir), set_of(doc), stamp=STAMP)
    os.unlink(report_dir / "latest")
    (report_dir / "latest").write_text(f"history/{STAMP}\n")
    assert previous_document(str(report_dir)) == doc
    archive = publish_run(str(report_dir), set_of(doc), stamp="20261124T121500Z")
    assert os.readlink(report_dir / "latest") == archive


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
                                    "history/not-a-stamp", f"history/{STAMP}/report.json"])
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


def test_a_binary_pointer_file_is_ignored(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "latest").write_bytes(b"\xff\xfe\x00garbage")
    assert previous_document(str(tmp_path / "b")) is None


def _run_bounded(function, *args):
    """function(*args) in a daemon thread: the test fails after 60 s instead of hanging with a blocked reader."""
    outcome = {}

    def call():
        try:
            outcome["value"] = function(*args)
        except BaseException as exc:  # handed to the test below
            outcome["error"] = exc

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    thread.join(60)
    if thread.is_alive():
        pytest.fail(f"{function.__name__}{args!r} did not return within 60 s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def test_a_fifo_named_report_json_is_refused_without_waiting_for_a_writer(tmp_path):
    report_dir = _with_latest(tmp_path, "history/" + STAMP)
    fifo = os.path.join(report_dir, "history", STAMP, "report.json")
    os.mkfifo(fifo)
    with pytest.raises(RefusedFile, match="is a FIFO, not a regular file") as refused:
        _run_bounded(previous_document, report_dir)
    assert str(refused.value) == fifo + " is a FIFO, not a regular file"


def test_a_fifo_named_latest_is_refused_without_waiting_for_a_writer(tmp_path):
    report_dir = tmp_path / "r"
    report_dir.mkdir()
    os.mkfifo(report_dir / "latest")
    with pytest.raises(RefusedFile, match="FIFO"):
        _run_bounded(previous_document, str(report_dir))


@pytest.mark.parametrize("target", ["/dev/zero", "/dev/null"])
def test_a_report_json_linked_to_a_device_is_refused_not_read(tmp_path, target):
    report_dir = _with_latest(tmp_path, "history/" + STAMP)
    os.symlink(target, os.path.join(report_dir, "history", STAMP, "report.json"))
    with pytest.raises(RefusedFile, match="is a symbolic link"):
        _run_bounded(previous_document, report_dir)


def test_a_device_node_or_directory_named_report_json_is_refused(tmp_path):
    report_dir = _with_latest(tmp_path, "history/" + STAMP)
    os.mkdir(os.path.join(report_dir, "history", STAMP, "report.json"))
    with pytest.raises(RefusedFile, match="is a directory, not a regular file"):
        previous_document(report_dir)
    os.rmdir(os.path.join(report_dir, "history", STAMP, "report.json"))
    os.mknod(os.path.join(report_dir, "history", STAMP, "report.json"), 0o600 | stat.S_IFCHR, os.makedev(1, 5))
    with pytest.raises(RefusedFile, match="is a character device, not a regular file"):
        _run_bounded(previous_document, report_dir)


def test_a_previous_report_over_the_size_limit_is_refused(tmp_path, monkeypatch):
    report_dir = _with_latest(tmp_path, "history/" + STAMP)
    path = os.path.join(report_dir, "history", STAMP, "report.json")
    with open(path, "wb") as handle:
        handle.truncate(_report_history.MAX_REPORT_BYTES + 1)  # sparse: no disk used
    with pytest.raises(RefusedFile, match="is larger than the 64 MiB read limit"):
        previous_document(report_dir)
    monkeypatch.setattr(_report_history, "MAX_REPORT_BYTES", 1000)
    with open(path, "w") as handle:
        json.dump(document([check("web01", f"a:{n}", "pass") for n in range(20)]), handle)
    with pytest.raises(RefusedFile, match="1000 bytes"):
        previous_document(report_dir)


def test_read_regular_file_refuses_a_file_that_grows_past_the_limit_while_read(tmp_path, monkeypatch):
    path = tmp_path / "report.json"
    path.write_bytes(b"x" * 10)
    real_fstat = os.fstat

    def stale_size(descriptor):
        status = real_fstat(descriptor)
        path.write_bytes(b"x" * 100)  # grows after the size was read
        return status

    monkeypatch.setattr(_report_history.os, "fstat", stale_size)
    with pytest.raises(RefusedFile, match="larger than"):
        read_regular_file(str(path), 50)
    monkeypatch.undo()
    assert read_regular_file(str(path), 100) == b"x" * 100
