"""path end to end: real `ansible localhost -m golive.readiness.path` and verify runs over a real tree."""

from __future__ import annotations

import os
import time

from ansible_collections.golive.readiness.plugins.module_utils._checks import path as path_kind

from ._adhoc import ansible_run, assert_documents_options

DAY = 86400


def make_file(where, name, mode, age=0):
    target = where / name
    target.write_text("data")
    os.chmod(str(target), mode)
    then = time.time() - age
    os.utime(str(target), (then, then))
    return str(target)


def test_module_documentation_renders_every_option():
    doc = assert_documents_options("path", path_kind)
    assert doc["options"]["checks"]["suboptions"]["state"]["choices"] == list(path_kind.STATES)


def test_module_checks_a_real_tree(tmp_path):
    secret = make_file(tmp_path, "secrets.env", 0o600)
    loose = make_file(tmp_path, "app.conf", 0o666)
    backups = tmp_path / "backups"
    backups.mkdir()
    make_file(backups, "db-1.sql.gz", 0o600, age=3 * DAY)
    make_file(backups, "db-2.sql.gz", 0o600, age=2 * DAY)
    done, result = ansible_run("path", {"checks": [
        {"path": secret, "state": "file", "mode_max": "0600", "owner": "root"},
        {"path": loose, "mode_max": "0644", "severity": "medium"},
        {"path": str(tmp_path / "missing"), "state": "directory"},
        {"path": str(backups / "db-*.sql.gz"), "newest_age_warn_above": "26h", "newest_age_fail_above": "3d",
         "count_fail_below": 2},
        {"path": str(tmp_path / "*.pyc"), "state": "absent"},
    ]})
    assert done.returncode == 2
    records = result["golive_checks"]
    assert [(r["id"], r["status"]) for r in records] == [
        (f"path:{secret}", "pass"), (f"path:{loose}", "fail"), (f"path:{tmp_path}/missing", "fail"),
        (f"path:{tmp_path}/backups/db-*.sql.gz", "warn"), (f"path:{tmp_path}/*.pyc", "pass")]
    assert records[0]["title"] == f"Path {secret}"
    assert records[0]["observed"]["mode"] == "0600"
    assert records[1]["summary"] == "mode 0666 is looser than 0644 (group write, other write)"
    assert records[1]["severity"] == "medium"
    assert records[2]["summary"] == "does not exist (expected a directory)"
    assert records[3]["observed"]["matches"]["value"] == 2
    assert records[3]["observed"]["newest"] == str(backups / "db-2.sql.gz")
    assert result["golive_counts"] == {"pass": 2, "warn": 1, "fail": 2, "error": 0, "skipped": 0}


def test_unquoted_yaml_mode_is_rejected_naming_the_option(tmp_path):
    done, result = ansible_run("path", {"checks": [{"path": str(tmp_path), "mode_max": 420}]})
    assert done.returncode == 2
    assert result["msg"].startswith("invalid check options: checks[0]")
    assert "mode_max: give the mode as a quoted octal string like '0644', not 420" in result["msg"]


def test_verify_runs_path_in_a_mixed_list(tmp_path):
    conf = make_file(tmp_path, "app.conf", 0o640)
    done, result = ansible_run("verify", {"fail_on": [], "checks": [
        {"kind": "path", "path": conf, "mode_max": "0600", "readable_by": "root"},
        {"kind": "disk_space", "path": str(tmp_path)},
        {"kind": "process", "name": "golive-nothing-by-this-name", "state": "absent"},
        {"kind": "path", "path": str(tmp_path / "nope"), "owner": "golive-no-such-user"},
    ]})
    assert done.returncode == 0, done.stdout
    records = result["golive_checks"]
    assert [(r["kind"], r["status"]) for r in records] == [
        ("path", "fail"), ("disk_space", "pass"), ("process", "pass"), ("path", "error")]
    assert records[0]["summary"] == "mode 0640 is looser than 0600 (group read)"
    assert records[3]["summary"] == "owner: user 'golive-no-such-user' does not exist on this host"


def test_the_module_carries_hint_and_contact_and_refuses_an_oversized_hint(tmp_path):
    item = {"path": str(tmp_path / "nope"), "owner": "root", "hint": "deploy the release first", "contact": "ops"}
    done, result = ansible_run("path", {"fail_on": [], "checks": [item]})
    assert done.returncode == 0, done.stdout
    (record,) = result["golive_checks"]
    assert (record["status"], record["hint"], record["contact"]) == ("fail", "deploy the release first", "ops")
    done, result = ansible_run("path", {"checks": [dict(item, hint="x" * 1001)]})
    assert done.returncode == 2
    assert result["msg"] == "invalid check options: checks[0]: hint: 1001 characters, at most 1000"
