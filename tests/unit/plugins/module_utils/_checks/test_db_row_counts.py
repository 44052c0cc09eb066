"""db_row_counts against throwaway databases in the real PostgreSQL and MariaDB of this machine and SQLite files."""

from __future__ import annotations

import sys
import time

import pytest
from ansible.module_utils.basic import missing_required_lib

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._checks import db_row_counts

from ._dq_databases import INJECTION_TABLE, ODD_TABLE, USERS, mariadb_database, seed, throwaway_database
from ._kind_runner import run_item as run_kind_item
from ._kind_runner import validated_item
from ._ports import unused_port
from ._tcp_servers import tcp_server

BACKENDS = ("postgresql", "mysql", "sqlite", "duckdb")


def run_item(item, timeout=10.0):
    return run_kind_item(db_row_counts, item, timeout)


def prepare(item):
    return db_row_counts.prepare(validated_item(db_row_counts, item))


@pytest.fixture(scope="module", params=BACKENDS)
def db(request, tmp_path_factory):
    with throwaway_database(request.param, tmp_path_factory.mktemp("sqlite")) as database:
        yield seed(database)


def count(db, **options):
    return run_item(dict(url=db.reader_url, password=db.password, **options))


def test_rows_within_bounds_pass_and_are_counted_exactly_below_the_estimate_threshold(db):
    record = count(db, table="users", min_rows=1, max_rows=10)
    assert record["status"] == "pass", record["summary"]
    assert record["id"] == "db_row_counts:{}:users".format(record["observed"]["database"])
    assert (record["title"], record["section"], record["severity"]) == ("Rows of users", "data", "high")
    observed = record["observed"]
    assert (observed["rows"]["value"], observed["method"]) == (len(USERS), "exact")
    assert observed["exact"] == {"value": len(USERS), "unit": "count"}
    if db.backend == "sqlite":
        assert observed["method_note"] == "SQLite keeps no row estimate: counted exactly"
    else:  # both known: the estimate was asked first and was low enough to count
        assert observed["estimate"] == {"value": len(USERS), "unit": "count"}
        assert "at most estimate_above (1000000): counted exactly" in observed["method_note"]
    assert record["summary"].startswith("6 rows (fail < 1, fail > 10)")
    assert record["expected"] == {"rows": {"fail": {"below": 1, "above": 10}, "unit": "count"}}


def test_too_few_and_too_many_rows_fail(db):
    assert count(db, table="users", min_rows=7)["summary"].startswith("6 rows (fail < 7)")
    assert count(db, table="users", min_rows=7)["status"] == "fail"
    record = count(db, table="orders", max_rows=5)
    assert record["status"] == "fail"
    assert record["summary"] == "7 rows (fail > 5)"


def test_warn_levels_warn_before_the_fail_levels(db):
    assert count(db, table="users", warn_below=10, min_rows=2)["status"] == "warn"
    assert count(db, table="users", warn_above=5, max_rows=100)["status"] == "warn"
    assert count(db, table="users", warn_above=5, max_rows=5)["status"] == "fail"


def test_expect_empty(db):
    record = count(db, table="empty_table", expect_empty=True)
    assert record["status"] == "pass"
    assert record["summary"].startswith("empty")
    record = count(db, table="users", expect_empty=True)
    assert record["status"] == "fail"
    assert record["summary"] == "6 rows, expected none (expect_empty)"


def test_the_estimate_is_used_above_the_threshold_or_when_asked(db):
    for options in (dict(estimate_above=2), dict(method="estimate")):
        observed = count(db, table="orders", **options)["observed"]
        if db.backend == "sqlite":
            assert (observed["method"], observed["rows"]["value"]) == ("exact", 7)
            assert observed["method_note"] == "SQLite keeps no row estimate: counted exactly"
            continue
        assert observed["method"] == "estimate"
        # ANALYZEd by the seed; exact for so few rows
        assert observed["rows"]["value"] == observed["estimate"]["value"] == 7
        assert "exact" not in observed
    record = count(db, table="orders", method="estimate", min_rows=100)
    assert record["status"] == "fail"
    if db.backend != "sqlite":
        assert record["summary"] == "about 7 rows (planner estimate) (fail < 100)"


def test_method_exact_never_asks_for_the_estimate(db):
    observed = count(db, table="orders", method="exact")["observed"]
    assert (observed["method"], observed["exact"]) == ("exact", {"value": 7, "unit": "count"})
    assert "estimate" not in observed and "method_note" not in observed


def test_a_postgresql_table_never_analysed_is_counted_exactly_and_says_so(db):
    if db.backend != "postgresql":
        pytest.skip("reltuples is PostgreSQL's")
    record = count(db, table=ODD_TABLE, method="estimate")
    assert record["status"] == "pass"
    assert record["observed"]["method"] == "exact"
    assert record["observed"]["rows"]["value"] == 2
    assert record["observed"]["method_note"] == (
        "no planner estimate (reltuples -1: the table was never analysed): counted exactly")


def test_schema_qualified_names(db):
    schema = {"postgresql": "public", "mysql": db.url.rsplit("/", 1)[1], "sqlite": "main", "duckdb": "main"}[db.backend]
    record = count(db, table=f"{schema}.users", method="estimate", min_rows=6)
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["method"] == ("exact" if db.backend == "sqlite" else "estimate")
    record = count(db, table=f"{schema}.nope", method="estimate")
    assert record["summary"].startswith(f"table '{schema}.nope' not found in ")


def test_injection_shaped_table_names_are_quoted_not_executed(db):
    record = count(db, table=INJECTION_TABLE, min_rows=1)
    assert record["status"] == "error"
    assert record["summary"].startswith(f"table {INJECTION_TABLE!r} not found in ")
    assert db.has_table("users")
    record = count(db, table=ODD_TABLE, method="exact", min_rows=2)  # a real table with such a name
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["rows"]["value"] == 2
    assert db.has_table("users")


def test_the_password_never_appears(db):
    if db.password is None:
        pytest.skip("SQLite has no password")
    record = run_item(dict(url=db.reader_url, table="users"))
    assert record["status"] == "pass"
    assert db.password not in repr(record)
    record = run_item(dict(url=db.url_for(db.user, None), password=db.password, table="nope"))
    assert record["status"] == "error"
    assert db.password not in repr(record)


# --- unreachable and missing pieces --------------------------------------------------------------

def test_a_wrong_password_is_an_error_without_either_password():
    with mariadb_database() as database:
        seed(database)
        wrong = "Wr0ng-pw-4a7c1e"
        record = run_item(dict(url=database.url_for(database.user, wrong), table="users"))
        assert record["status"] == "error"
        assert "Access denied" in record["summary"]
        assert wrong not in repr(record) and database.password not in repr(record)


def test_a_server_that_is_down_is_an_error_at_once():
    started = time.monotonic()
    record = run_item(dict(url=f"postgresql+psycopg://postgres@127.0.0.1:{unused_port()}/x", table="users"),
                      timeout=60.0)
    assert time.monotonic() - started < 30  # refused at once, not given up on after the 60 s timeout
    assert record["status"] == "error"
    assert "Connection refused" in record["summary"]


def test_a_server_that_says_nothing_times_out():
    with tcp_server(lambda server, conn: time.sleep(120)) as silent:
        started = time.monotonic()
        record = run_item(dict(url=f"mysql+pymysql://app@127.0.0.1:{silent.port}/app", table="t"), timeout=1.5)
        elapsed = time.monotonic() - started
    assert record["status"] == "error"
    assert "timed out" in record["summary"]
    assert elapsed < 60  # the server says nothing for 120 s: only the 1.5 s timeout ends it


def test_a_missing_sqlite_file_is_an_error(tmp_path):
    record = run_item(dict(url=f"sqlite:///{tmp_path}/missing.db", table="users"))
    assert record["status"] == "error"
    assert "unable to open database file" in record["summary"]
    assert not (tmp_path / "missing.db").exists()


@pytest.mark.parametrize("module, package, url", [
    ("psycopg", "psycopg", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
    ("pymysql", "PyMySQL", "mysql+pymysql://root@127.0.0.1:3306/mysql"),
])
def test_a_missing_driver_is_reported_with_the_standard_message(monkeypatch, module, package, url):
    monkeypatch.setitem(sys.modules, module, None)  # what an import finds when it is not installed
    record = run_item(dict(url=url, table="users"))
    assert record["status"] == "error"
    assert record["summary"].startswith(missing_required_lib(package))


def test_missing_sqlalchemy_is_reported_with_the_standard_message(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "sqlalchemy", None)
    record = run_item(dict(url=f"sqlite:///{tmp_path}/x.db", table="users"))
    assert (record["status"], record["summary"]) == ("error", missing_required_lib("SQLAlchemy"))


# --- bad input -----------------------------------------------------------------------------------

@pytest.mark.parametrize("options, message", [
    (dict(url="postgres://db/x"), "^url: the 'postgres' dialect is not supported"),
    (dict(table=" "), "^table: must not be empty"),
    (dict(table="public."), "^table: 'public.' is not a table name or schema.table"),
    (dict(min_rows="many"), "^min_rows: 'many' is not a number"),
    (dict(min_rows=-1), "^min_rows: -1 must not be negative"),
    (dict(max_rows=2.5), "^max_rows: 2.5 is not a whole number of rows"),
    (dict(min_rows=10, max_rows=5), "^min_rows/max_rows: the lower levels"),
    (dict(warn_below=5, min_rows=10), "^warn_below/min_rows: the warn level"),
    (dict(warn_above=50, max_rows=10), "^warn_above/max_rows: the warn level"),
    (dict(expect_empty=True, min_rows=1), "^min_rows: does not go with expect_empty"),
    (dict(expect_empty=True, warn_above=1), "^warn_above: does not go with expect_empty"),
    (dict(estimate_above="lots"), "^estimate_above: 'lots' is not a number"),
    (dict(connect_timeout="soon"), "^connect_timeout: "),
])
def test_bad_options_name_the_option(options, message):
    item = dict(url="postgresql+psycopg://postgres@127.0.0.1:5432/postgres", table="users")
    item.update(options)
    with pytest.raises(OptionError, match=message):
        prepare(item)
