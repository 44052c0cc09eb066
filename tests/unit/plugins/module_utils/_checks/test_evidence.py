"""Finding, bounding and ageing the reports other tools leave behind (the evidence kinds' shared reader)."""

from __future__ import annotations

import os
import sys
import time

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._caps import CapExceeded
from ansible_collections.golive.readiness.plugins.module_utils._check import CheckError, Evaluation, OptionError
from ansible_collections.golive.readiness.plugins.module_utils._evidence import (
    Evidence,
    grade_age,
    member_source,
    parse_json,
    parse_timestamp,
    parse_xml,
    prepare_source,
    read_evidence,
)
from ansible_collections.golive.readiness.plugins.module_utils._runner import CheckContext

from ._ports import unused_port
from ._real_http_servers import ServerProcess

CAP = 1024


def _read(source, cap=CAP):
    ev = Evaluation()
    evidence = read_evidence(source, CheckContext(10), cap, "TEST_CAP", ev)
    return evidence, ev


def test_an_item_names_its_report_by_path_or_by_url_never_both_nor_neither():
    with pytest.raises(OptionError, match=r"path: give either path .* not both"):
        prepare_source({"path": "/srv/r.xml", "url": "http://127.0.0.1/r.xml"})
    with pytest.raises(OptionError, match="not neither"):
        prepare_source({})
    with pytest.raises(OptionError, match=r"path: 'reports/r.xml' must be an absolute path"):
        prepare_source({"path": "reports/r.xml"})
    with pytest.raises(OptionError, match="bearer_token: only applies with url"):
        prepare_source({"path": "/srv/r.xml", "bearer_token": "t0ken-value"})
    with pytest.raises(OptionError, match=r"url: 'ftp://ci/r.xml' must be an http"):
        prepare_source({"url": "ftp://ci/r.xml"})
    with pytest.raises(OptionError, match="max_age: give max_age or age_fail_above, not both"):
        prepare_source({"path": "/srv/r.xml", "max_age": "1d", "age_fail_above": "2d"})


def test_a_url_may_carry_a_query_as_ci_artifact_urls_do():
    source = prepare_source({"url": "https://ci.example.com/artifacts?job=test&file=junit.xml"})
    assert source["connection"]["url"].endswith("?job=test&file=junit.xml")


def test_a_missing_report_fails_the_check_and_a_glob_takes_the_newest(tmp_path):
    evidence, ev = _read(prepare_source({"path": str(tmp_path / "junit.xml")}))
    assert evidence is None and ev.outcome().status == "fail"
    older, newer = tmp_path / "a.xml", tmp_path / "b.xml"
    older.write_text("<old/>")
    newer.write_text("<new/>")
    os.utime(older, (time.time(), time.time() + 60))
    evidence = _read(prepare_source({"path": str(tmp_path / "*.xml")}))[0]
    assert evidence.name == str(older) and evidence.data == b"<old/>"


def test_a_file_over_the_cap_a_directory_and_a_fifo_are_errors_not_reads(tmp_path):
    big = tmp_path / "big.json"
    big.write_bytes(b"x" * (CAP + 1))
    with pytest.raises(CapExceeded, match="TEST_CAP"):
        _read(prepare_source({"path": str(big)}))
    with pytest.raises(CheckError, match="is a directory"):
        _read(prepare_source({"path": str(tmp_path)}))
    fifo = tmp_path / "fifo.xml"
    os.mkfifo(fifo)
    with pytest.raises(CheckError, match="is not a regular file"):
        _read(prepare_source({"path": str(fifo)}))


def test_age_prefers_the_reports_own_time_and_grades_it(tmp_path):
    report = tmp_path / "r.json"
    report.write_text("{}")
    source = prepare_source({"path": str(report), "age_warn_above": "1h", "max_age": "1d"})
    evidence, ev = _read(source)
    grade_age(source, evidence, ev, produced_at=time.time() - 7200)
    outcome = ev.outcome()
    assert outcome.status == "warn" and "age 2h" in outcome.summary
    evidence, ev = _read(source)
    grade_age(source, evidence, ev)
    assert ev.outcome().status == "pass"


def test_an_age_limit_without_any_time_to_measure_is_an_error():
    source = prepare_source({"url": "http://127.0.0.1:1/r.json", "max_age": "1d"})
    with pytest.raises(CheckError, match="cannot tell its age"):
        grade_age(source, Evidence("http://127.0.0.1:1/r.json", b"{}", None), Evaluation())


def test_timestamps_tools_write_are_read_as_utc_unless_they_say_otherwise():
    assert parse_timestamp("2026-12-01T10:00:00", "timestamp") == parse_timestamp("2026-12-01T10:00:00Z", "t")
    assert parse_timestamp("2026-12-01T12:00:00+02:00", "t") == parse_timestamp("2026-12-01T10:00:00Z", "t")
    with pytest.raises(CheckError, match="generated_at: 'yesterday' is not a date and time"):
        parse_timestamp("yesterday", "generated_at")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), 1e300])
def test_a_number_that_is_no_moment_is_refused_rather_than_graded_as_no_age(value):
    with pytest.raises(CheckError, match=r"generated_at: .* is not a date and time"):
        parse_timestamp(value, "generated_at")
    assert parse_timestamp(1764756000, "generated_at") == 1764756000.0


@pytest.fixture
def two_hours_east_of_utc(monkeypatch):
    """This process's local time set to UTC+2 by a POSIX TZ rule (no time zone database needed)."""
    monkeypatch.setenv("TZ", "GOLIVE-2")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_a_time_without_offset_may_be_read_as_this_machines_local_time(two_hours_east_of_utc):
    utc = parse_timestamp("2026-12-01T10:00:00Z", "t")
    assert parse_timestamp("2026-12-01T12:00:00", "meta.timestamp", naive_is_local=True) == utc
    assert parse_timestamp("2026-12-01T10:00:00+00:00", "t", naive_is_local=True) == utc
    assert parse_timestamp("2026-12-01T10:00:00", "t") == utc


def test_wrong_formats_are_refused_with_the_source_and_the_format_named():
    with pytest.raises(CheckError, match=r"r.xml is not a JUnit XML report: not well-formed XML"):
        parse_xml(Evidence("r.xml", b"{}", None), "a JUnit XML report")
    with pytest.raises(CheckError, match=r"r.json is not a dbt run_results.json: not JSON"):
        parse_json(Evidence("r.json", b"<testsuite/>", None), "a dbt run_results.json")
    bomb = (b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            b"<testsuite>&b;</testsuite>")
    with pytest.raises(CheckError, match="declares a document type or entities"):
        parse_xml(Evidence("bomb.xml", bomb, None), "a JUnit XML report")
    assert parse_xml(Evidence("ok.xml", b"<testsuite tests='1'/>", None), "x").get("tests") == "1"


@pytest.fixture(scope="module")
def http_server(tmp_path_factory):
    """Python's own http.server over a directory: it sends Last-Modified from the file's mtime."""
    directory = tmp_path_factory.mktemp("served")
    port = unused_port()
    server = ServerProcess("http.server", [sys.executable, "-m", "http.server", "--bind", "127.0.0.1",
                                           "--directory", str(directory), str(port)], str(directory), [port])
    try:
        server.wait_ready()
        yield f"http://127.0.0.1:{port}", directory
    finally:
        server.stop()


def test_a_url_is_fetched_whole_and_aged_by_its_last_modified(http_server):
    base, directory = http_server
    report = directory / "run_results.json"
    report.write_text('{"results": []}')
    two_hours_ago = time.time() - 7200
    os.utime(report, (two_hours_ago, two_hours_ago))
    source = prepare_source({"url": f"{base}/run_results.json", "max_age": "1h"})
    evidence, ev = _read(source)
    assert parse_json(evidence, "a dbt run_results.json") == {"results": []}
    grade_age(source, evidence, ev)
    outcome = ev.outcome()
    assert outcome.status == "fail" and "age 2h" in outcome.summary


def test_a_url_answering_404_or_more_than_the_cap_is_an_error(http_server):
    base, directory = http_server
    with pytest.raises(CheckError, match="answered HTTP 404"):
        _read(prepare_source({"url": f"{base}/missing.xml"}))
    (directory / "big.xml").write_bytes(b"<a>" + b"x" * CAP + b"</a>")
    with pytest.raises(CapExceeded, match="TEST_CAP"):
        _read(prepare_source({"url": f"{base}/big.xml"}))


def test_a_directory_source_reads_its_members_on_the_host_and_under_a_url(tmp_path, http_server):
    with pytest.raises(OptionError, match=r"target_dir: give either target_dir \(a directory on the host\)"):
        prepare_source({}, path_option="target_dir")
    with pytest.raises(OptionError, match=r"target_dir: 'target' must be an absolute path"):
        prepare_source({"target_dir": "target"}, path_option="target_dir")
    (tmp_path / "run_results.json").write_text("{}")
    local = prepare_source({"target_dir": str(tmp_path)}, path_option="target_dir")
    assert not local["glob"]
    evidence, ev = _read(member_source(local, "run_results.json"))
    assert evidence.data == b"{}" and ev.observed["source"] == str(tmp_path / "run_results.json")
    base, directory = http_server
    (directory / "target").mkdir()
    (directory / "target" / "manifest.json").write_text('{"nodes": {}}')
    remote = prepare_source({"url": f"{base}/target/"}, path_option="target_dir")
    evidence = _read(member_source(remote, "manifest.json"))[0]
    assert evidence.name == f"{base}/target/manifest.json" and evidence.data == b'{"nodes": {}}'


def test_a_document_not_required_may_be_missing_without_a_finding(tmp_path, http_server):
    ev = Evaluation()
    missing = prepare_source({"path": str(tmp_path / "sources.json")})
    assert read_evidence(missing, CheckContext(10), CAP, "TEST_CAP", ev, required=False) is None
    base = http_server[0]
    absent = prepare_source({"url": f"{base}/no/sources.json"})
    assert read_evidence(absent, CheckContext(10), CAP, "TEST_CAP", ev, required=False) is None
    assert ev.outcome().status == "pass" and ev.observed == {}
    (tmp_path / "sources.json").write_text("{}")
    assert read_evidence(missing, CheckContext(10), CAP, "TEST_CAP", ev, observe=False).data == b"{}"
    assert ev.observed == {}


def test_a_report_dated_in_the_future_warns_that_a_clock_is_wrong(tmp_path):
    report = tmp_path / "r.json"
    report.write_text("{}")
    source = prepare_source({"path": str(report), "max_age": "1d"})
    evidence = _read(source)[0]
    ev = Evaluation()
    grade_age(source, evidence, ev, produced_at=time.time() + 3600)
    outcome = ev.outcome()
    assert outcome.status == "warn" and "in the future: a clock is wrong" in outcome.summary
    ev = Evaluation()
    grade_age(source, evidence, ev, produced_at=time.time() + 60)
    assert ev.outcome().status == "pass"
