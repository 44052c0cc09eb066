"""backup_freshness end to end: real `ansible localhost -m golive.readiness.backup_freshness` runs over real dumps
made by pg_dump and broken copies of them."""

from __future__ import annotations

import re
import shutil

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._checks import backup_freshness
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._backups import (
    DAY,
    HOUR,
    cut,
    pg_dump,
    set_age,
    source_database,
)

from ._adhoc import ansible_run, assert_documents_options


@pytest.fixture(scope="module")
def dump(tmp_path_factory):
    with source_database() as database:
        yield pg_dump(database, tmp_path_factory.mktemp("dump") / "shop.dump", "c")


def week_of(where, dump):
    for n in range(7):
        set_age(shutil.copy(dump, str(where / f"shop-{n}.dump")), HOUR + (6 - n) * DAY)
    return str(where / "shop-*.dump")


def test_module_grades_fresh_stale_and_broken_backups(tmp_path, dump):
    fresh = week_of(tmp_path, dump)
    stale = tmp_path / "stale"
    stale.mkdir()
    set_age(shutil.copy(dump, str(stale / "old.dump")), 3 * DAY)
    broken = tmp_path / "broken"
    broken.mkdir()
    set_age(cut(dump, broken / "half.dump"), HOUR)
    done, result = ansible_run("backup_freshness", {"fail_on": [], "checks": [
        {"path": fresh, "newest_age_fail_above": "26h", "count_fail_below": 7, "history_fail_below": "6d"},
        {"path": fresh, "history_warn_below": "30d", "id": "month-kept", "severity": "medium"},
        {"path": str(stale / "*.dump"), "newest_age_warn_above": "26h", "newest_age_fail_above": "50h"},
        {"path": str(broken / "*.dump")},
        {"path": str(tmp_path / "none-*.dump")},
        {"path": fresh, "bin_dir": str(stale), "id": "no-pg-restore"},
    ]})
    assert done.returncode == 0, done.stdout + done.stderr
    records = result["golive_checks"]
    assert [(r["id"], r["status"]) for r in records] == [
        (f"backup_freshness:{fresh}", "pass"), ("month-kept", "warn"),
        (f"backup_freshness:{stale}/*.dump", "fail"), (f"backup_freshness:{broken}/*.dump", "fail"),
        (f"backup_freshness:{tmp_path}/none-*.dump", "fail"), ("no-pg-restore", "error"),
    ], [r["summary"] for r in records]
    assert records[0]["observed"]["verification"]["method"] == "pg_custom"
    assert records[1]["severity"] == "medium"
    assert re.match(r"newest backup age 3d( \d+s)? \(warn > 1d 2h, fail > 2d 2h\)", records[2]["summary"])
    assert records[3]["summary"].startswith("half.dump: pg_restore cannot read the dump: ")
    assert records[5]["summary"] == f"pg_restore not found in {stale} (bin_dir)"
    assert result["golive_counts"] == {"pass": 1, "warn": 1, "fail": 3, "error": 1, "skipped": 0}


def test_a_stale_backup_fails_the_task_standalone_and_a_fresh_one_passes(tmp_path, dump):
    fresh = week_of(tmp_path, dump)
    done, result = ansible_run("backup_freshness", {"checks": [{"path": fresh, "newest_age_fail_above": "30m"}]})
    assert done.returncode == 2
    assert "fail: newest backup age 1h" in result["msg"] and "(fail > 30m)" in result["msg"]
    done, result = ansible_run("backup_freshness", {"checks": [{"path": fresh, "newest_age_fail_above": "2h"}]})
    assert done.returncode == 0, result
    assert result["changed"] is False


def test_bad_options_fail_the_task_naming_the_option():
    done, result = ansible_run("backup_freshness", {"checks": [
        {"path": "/var/backups/*.dump", "size_fail_below": "lots"}]})
    assert done.returncode == 2
    assert result["msg"].startswith("invalid check options: checks[0]: size_fail_below: 'lots'")
    assert "Traceback" not in done.stdout + done.stderr
    done, result = ansible_run("backup_freshness", {"checks": [{"path": "/var/backups/*.dump", "verify": "zip"}]})
    assert done.returncode == 2
    assert "verify" in result["msg"] and "zip" in result["msg"]


def test_module_documentation_renders_every_option():
    doc = assert_documents_options("backup_freshness", backup_freshness)
    assert doc["options"]["checks"]["suboptions"]["verify"]["choices"] == list(backup_freshness.VERIFY_MODES)
