"""backup_restore end to end: real `ansible localhost -m golive.readiness.backup_restore` drills of real pg_dump
dumps into scratch databases of the machine's PostgreSQL; passwords appear nowhere, even at -vvv and in the log."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._checks import backup_restore
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._backups import (
    HOUR,
    PG_ADMIN,
    ROWS,
    cut,
    database_exists,
    pg_dump,
    set_age,
    source_database,
)

from ._adhoc import BIN, REPO, ansible_run, ansible_run_logged, assert_documents_options

ADMIN_PASSWORD = "Adm-5ecret-unused-by-trust-31"


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    with source_database() as database:
        where = tmp_path_factory.mktemp("dumps")
        database.dump = set_age(pg_dump(database, where / "shop.dump", "c"), HOUR)
        database.plain = set_age(pg_dump(database, where / "shop.sql", "p"), HOUR)
        yield database


def test_drills_pass_and_fail_and_no_password_is_shown(tmp_path, source):
    broken = set_age(cut(source.dump, tmp_path / "half.dump"), HOUR)
    before = source.fingerprint()
    done, result, written = ansible_run_logged("backup_restore", tmp_path, {"fail_on": [], "timeout": "2m",
                                                                            "deadline": "5m", "checks": [
        {"path": source.dump, "source_url": source.reader_url, "admin_url": PG_ADMIN,
         "admin_password": ADMIN_PASSWORD, "tables": ["users", "orders"], "duration_fail_above": "10m"},
        {"path": source.plain, "source_url": source.url, "source_password": source.password,
         "admin_url": PG_ADMIN, "tables": ["users"], "id": "plain-drill"},
        {"path": broken, "source_url": source.reader_url, "admin_url": PG_ADMIN, "tables": ["users"]},
    ]})
    assert source.password not in written
    assert ADMIN_PASSWORD not in written
    assert done.returncode == 0, done.stdout
    records = result["golive_checks"]
    assert [(r["id"], r["status"]) for r in records] == [
        (f"backup_restore:{source.dump}", "pass"), ("plain-drill", "pass"), (f"backup_restore:{broken}", "fail")]
    assert [(t["table"], t["source"], t["restored"]) for t in records[0]["observed"]["tables"]] == [
        ("users", ROWS["users"], ROWS["users"]), ("orders", ROWS["orders"], ROWS["orders"])]
    assert records[0]["observed"]["source"] == source.reader_url.replace(source.password, "****")
    assert records[2]["summary"].startswith("restore of half.dump failed (pg_restore exit 1): ")
    for record in records:
        assert record["observed"]["dropped"] is True
        assert not database_exists(record["observed"]["scratch_database"])
    assert result["changed"] is False
    assert source.fingerprint() == before


def test_a_failing_drill_fails_the_task_standalone(tmp_path, source):
    done, result = ansible_run("backup_restore", {"timeout": "1m", "checks": [
        {"path": source.dump, "source_url": source.reader_url, "admin_url": PG_ADMIN, "tables": ["users"],
         "duration_fail_above": "1ms"}]})
    assert done.returncode == 2
    assert "restore took " in result["msg"] and "(fail > 1ms)" in result["msg"]
    assert source.password not in done.stdout + done.stderr
    assert not database_exists(result["golive_checks"][0]["observed"]["scratch_database"])


def ansible_check_run(args):
    """`ansible localhost -m golive.readiness.backup_restore --check`: (completed, result)."""
    argv = [os.path.join(BIN, "ansible"), "localhost", "--check", "-m", "golive.readiness.backup_restore",
            "-a", json.dumps(args), "-o"]
    env = dict(os.environ, ANSIBLE_LOCALHOST_WARNING="False", ANSIBLE_INVENTORY_UNPARSED_WARNING="False")
    done = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("localhost | ")]
    assert lines, done.stdout + done.stderr
    return done, json.loads(lines[-1].split(" => ", 1)[1])


def test_the_drill_runs_in_check_mode_and_changes_nothing(source):
    done, result = ansible_check_run({"timeout": "1m", "checks": [
        {"path": source.dump, "source_url": source.reader_url, "admin_url": PG_ADMIN, "tables": ["orders"]}]})
    assert done.returncode == 0, result
    [record] = result["golive_checks"]
    assert record["status"] == "pass"
    assert result["changed"] is False
    assert not database_exists(record["observed"]["scratch_database"])


def test_bad_options_fail_the_task_naming_the_option(source):
    done, result = ansible_run("backup_restore", {"checks": [
        {"path": source.dump, "source_url": source.reader_url, "admin_url": PG_ADMIN,
         "scratch_database": source.name}]})
    assert done.returncode == 2
    assert result["msg"] == (f"invalid check options: checks[0]: scratch_database: {source.name!r} is the database of "
                             "source_url; refusing to restore into it")
    assert "Traceback" not in done.stdout + done.stderr
    assert source.password not in done.stdout + done.stderr


def test_module_documentation_renders_every_option():
    doc = assert_documents_options("backup_restore", backup_restore)
    for secret in ("source_password", "admin_password"):
        assert backup_restore.OPTIONS[secret]["no_log"] is True
    assert "no_log" not in backup_restore.OPTIONS["source_url"]
    assert doc["options"]["checks"]["suboptions"]["format"]["choices"] == list(backup_restore.FORMATS)
