"""db_data_quality end to end: real `ansible localhost -m golive.readiness.db_data_quality` runs against throwaway
databases in the machine's PostgreSQL and MariaDB and an SQLite file; the password must appear nowhere."""

from __future__ import annotations

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._checks import db_data_quality
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._dq_databases import (
    INJECTION_COLUMN,
    ODD_COLUMN,
    ODD_TABLE,
    mariadb_database,
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
def maria():
    with mariadb_database() as database:
        yield seed(database)


@pytest.fixture(scope="module")
def lite(tmp_path_factory):
    with sqlite_database(tmp_path_factory.mktemp("lite")) as database:
        yield seed(database)


def run_logged(tmp_path, args):
    return ansible_run_logged("db_data_quality", tmp_path, args)


def test_every_test_in_one_call_and_the_passwords_stay_secret(tmp_path, pg, maria, lite):
    reader = dict(url=maria.url_for(maria.user, None), password=maria.password)
    done, result, written = run_logged(tmp_path, {"fail_on": [], "checks": [
        dict(url=pg.reader_url, table="users", test="unique", columns=["email"]),
        dict(reader, table="users", test="not_null", column="status"),
        dict(url=lite.url, table="orders", test="relationships", column="user_id", to_table="users", to_column="id",
             warn_above=0, fail_above=10),
        dict(url=pg.reader_url, table="users", test="accepted_values", column="status",
             values=["active", "inactive", "banned"]),
        dict(reader, table="users", test="accepted_range", column="age", min=18, max=120, sample_size=1),
        dict(url=pg.reader_url, table="users", test="freshness", column="created_at", max_age="1h"),
        dict(reader, table="users", test="regex", column="code", pattern="^AB-[0-9]{3}$"),
        dict(url=lite.url, table="orders", test="duplicates", columns=["user_id", "number"]),
        dict(url=pg.reader_url, table=ODD_TABLE, test="not_null", column=ODD_COLUMN),
        dict(reader, table="users", test="not_null", column=INJECTION_COLUMN),
    ]})
    assert pg.password not in written and maria.password not in written
    assert done.returncode == 0, done.stdout
    records = result["golive_checks"]
    assert [(r["title"], r["status"]) for r in records] == [
        ("unique(users.email)", "fail"),
        ("not_null(users.status)", "pass"),
        ("relationships(orders.user_id -> users.id)", "warn"),
        ("accepted_values(users.status)", "pass"),
        ("accepted_range(users.age)", "fail"),
        ("freshness(users.created_at)", "pass"),
        ("regex(users.code)", "fail"),
        ("duplicates(orders.user_id, orders.number)", "fail"),
        (f"not_null({ODD_TABLE}.{ODD_COLUMN})", "fail"),
        (f"not_null(users.{INJECTION_COLUMN})", "error"),
    ]
    assert records[4]["observed"]["samples"] == [17]
    assert records[6]["observed"]["samples"] == ["ab-4"]
    assert all(r["section"] == "data" and r["severity"] == "high" for r in records)
    assert len(set(r["id"] for r in records)) == len(records)
    assert pg.has_table("users") and maria.has_table("users") and lite.has_table("users")


def test_an_offending_row_fails_the_task_standalone(lite):
    done, result = ansible_run("db_data_quality", {"checks": [
        dict(url=lite.url, table="users", test="not_null", column="email")]})
    assert done.returncode == 2
    assert result["golive_checks"][0]["summary"] == "2 rows with email NULL (fail > 0), e.g. 4, 5"


def test_bad_options_fail_the_task_naming_the_option(lite):
    done, result = ansible_run("db_data_quality", {"checks": [
        dict(url=lite.url, table="users", test="not_null", column="email"),
        dict(url=lite.url, table="users", test="accepted_values", column="status"),
        dict(url=lite.url, table="users", test="freshness", column="created_at", max_age="1h", fail_above=1)]})
    assert done.returncode == 2
    assert result["errors"] == [
        "checks[1]: values: the accepted_values test needs at least one value",
        "checks[2]: fail_above: does not apply to the freshness test (use max_age)"]


def test_module_documentation_renders_every_option():
    doc = assert_documents_options("db_data_quality", db_data_quality)
    # The URL shows (masked); a password inside it is no_log through CheckModule, proved above at -vvv.
    assert "no_log" not in db_data_quality.OPTIONS["url"]
    assert db_data_quality.OPTIONS["password"]["no_log"] is True
    assert doc["options"]["checks"]["suboptions"]["test"]["choices"] == list(db_data_quality.TESTS)
