"""db_row_counts end to end: real `ansible localhost -m golive.readiness.db_row_counts` runs against a throwaway
database in the machine's PostgreSQL and an SQLite file; the password must appear nowhere in output or log."""

from __future__ import annotations

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._checks import db_row_counts
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._dq_databases import (
    INJECTION_TABLE,
    postgres_database,
    seed,
    sqlite_database,
)

from ._adhoc import ansible_run, ansible_run_logged, assert_documents_options


@pytest.fixture(scope="module")
def pg():
    with postgres_database() as database:
        yield seed(database)


@pytest.fixture(scope="module")
def lite(tmp_path_factory):
    with sqlite_database(tmp_path_factory.mktemp("lite")) as database:
        yield seed(database)


def run_logged(tmp_path, args):
    return ansible_run_logged("db_row_counts", tmp_path, args)


def test_counts_grade_and_the_password_stays_secret(tmp_path, pg, lite):
    done, result, written = run_logged(tmp_path, {"fail_on": [], "checks": [
        {"url": pg.reader_url, "table": "users", "min_rows": 5},
        {"url": pg.url_for(pg.user, None), "password": pg.password, "table": "orders", "method": "estimate",
         "warn_above": 5, "max_rows": 100},
        {"url": pg.reader_url, "table": "empty_table", "expect_empty": True, "severity": "critical"},
        {"url": pg.reader_url, "table": "users", "max_rows": 3, "id": "users-cap"},
        {"url": lite.url, "table": "orders", "method": "estimate", "min_rows": 1},
        {"url": pg.reader_url, "table": INJECTION_TABLE},
    ]})
    assert pg.password not in written
    assert done.returncode == 0, done.stdout
    records = result["golive_checks"]
    assert [(r["status"], r["observed"].get("method")) for r in records] == [
        ("pass", "exact"), ("warn", "estimate"), ("pass", "exact"), ("fail", "exact"), ("pass", "exact"),
        ("error", None)]
    shown = records[0]["observed"]["database"]
    assert shown == pg.reader_url.replace(pg.password, "****")
    assert records[0]["id"] == f"db_row_counts:{shown}:users"
    assert records[2]["severity"] == "critical"
    assert records[3]["id"] == "users-cap"
    assert records[4]["observed"]["method_note"] == "SQLite keeps no row estimate: counted exactly"
    assert records[5]["summary"] == f"table {INJECTION_TABLE!r} not found in {shown}"
    assert result["golive_counts"] == {"pass": 3, "warn": 1, "fail": 1, "error": 1, "skipped": 0}
    assert pg.has_table("users")


def test_a_failing_count_fails_the_task_standalone(pg):
    checks = [{"url": pg.reader_url, "table": "users", "min_rows": 100}]
    done, result = ansible_run("db_row_counts", {"checks": checks})
    assert done.returncode == 2
    assert result["golive_checks"][0]["summary"] == "6 rows (fail < 100)"
    assert pg.password not in done.stdout + done.stderr


def test_bad_options_fail_the_task_naming_the_option():
    done, result = ansible_run("db_row_counts", {"checks": [
        {"url": "sqlite:///nowhere.db", "table": "t"},
        {"url": "sqlite:///nowhere.db", "table": "t", "min_rows": 10, "max_rows": 1}]})
    assert done.returncode == 2
    assert result["msg"].startswith("invalid check options: checks[1]: min_rows/max_rows: the lower levels")
    done, result = ansible_run("db_row_counts", {"checks": [
        {"url": "sqlite:///nowhere.db", "table": "t", "method": "guess"}]})
    assert done.returncode == 2
    assert "method" in result["msg"] and "guess" in result["msg"]


def test_module_documentation_renders_every_option():
    doc = assert_documents_options("db_row_counts", db_row_counts)
    # The URL shows (masked); a password inside it is no_log through CheckModule, proved above at -vvv.
    assert "no_log" not in db_row_counts.OPTIONS["url"]
    assert db_row_counts.OPTIONS["password"]["no_log"] is True
    assert doc["options"]["checks"]["suboptions"]["method"]["choices"] == ["auto", "exact", "estimate"]
