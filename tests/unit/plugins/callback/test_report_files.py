"""The report callback's file helpers on real directories: atomic writes, collection version, grouping."""

from __future__ import annotations

import json
import os
import stat

import pytest

from ansible_collections.golive.readiness.plugins.callback.report import (
    collection_version,
    repeated_problems,
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


def test_repeated_problems_groups_identical_failures_across_hosts():
    checks = [dict(host=h, id=i, status=s) for h, i, s in [
        ("web01", "disk_space:/", "fail"), ("web02", "disk_space:/", "fail"), ("web03", "disk_space:/", "fail"),
        ("web01", "disk_space:/", "fail"),  # the same host twice counts once
        ("web04", "disk_space:/", "warn"), ("web01", "tls:x", "error"), ("web02", "tls:y", "error"),
        ("web01", "http:/", "pass"), ("web02", "http:/", "pass")]]
    assert repeated_problems(checks) == [("disk_space:/", "fail", ["web01", "web02", "web03"])]
