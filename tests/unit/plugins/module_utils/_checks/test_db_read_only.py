"""SQL written in options cannot write: attacks through db_schema's migration_query against the machine's real
PostgreSQL and MariaDB (throwaway databases) and SQLite files; each is an error that says why, and the data is
unchanged."""

from __future__ import annotations

import hashlib
import os
import re

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._checks import db_schema
from ansible_collections.golive.readiness.plugins.module_utils._db import Database
from ansible_collections.golive.readiness.plugins.module_utils._runner import CheckContext

from ._kind_runner import run_item as run_kind_item
from ._kind_runner import validated_item

# rails_postgres and rails_mariadb are the fixtures pg and maria.
from ._sql_databases import (  # noqa: F401  pylint: disable=unused-import
    RAILS_APPLIED,
    execute,
    rails_mariadb,
    rails_postgres,
    sqlite_database,
)

LATEST = RAILS_APPLIED[-1]


def migration_check(url, query):
    return run_kind_item(db_schema, dict(url=url, migration_query=query, migration_version=LATEST), 30.0)


def migration_rows(url):
    return execute(url, "SELECT count(*) FROM schema_migrations")[0][0][0]


# --- PostgreSQL ----------------------------------------------------------------------------------

PG_ISSUE_ATTACK = (
    "SELECT max(version) FROM schema_migrations, (SELECT set_config('default_transaction_read_only', 'off', false)) s;"
    " COMMIT; BEGIN READ WRITE; INSERT INTO schema_migrations VALUES ('99990101000000')")


def test_postgresql_a_second_statement_is_refused_by_the_protocol(pg):
    record = migration_check(pg.url, PG_ISSUE_ATTACK)
    assert record["status"] == "error"
    assert record["summary"].endswith("cannot insert multiple commands into a prepared statement")
    assert migration_rows(pg.url) == len(RAILS_APPLIED)


@pytest.mark.parametrize("query, reason", [
    ("SELECT set_config('transaction_read_only', 'off', false)", "cannot set transaction read-write mode"),
    ("SELECT max(version) FROM schema_migrations, (SELECT set_config('transaction_read_only', 'off', true)) s",
     "cannot set transaction read-write mode"),
    ("SET transaction_read_only = off", 'syntax error at or near "SET"'),  # only a query can follow CURSOR FOR
    ("SET TRANSACTION READ WRITE", 'syntax error at or near "SET"'),
    ("COMMIT", 'syntax error at or near "COMMIT"'),
])
def test_postgresql_the_statement_cannot_make_its_transaction_writable(pg, query, reason):
    record = migration_check(pg.url, query)
    assert record["status"] == "error"
    assert reason in record["summary"]
    assert migration_rows(pg.url) == len(RAILS_APPLIED)


@pytest.mark.parametrize("query, reason", [
    ("WITH added AS (INSERT INTO schema_migrations VALUES ('99990101000000') RETURNING version)"
     " SELECT version FROM added", "must not contain data-modifying statements"),
    ("INSERT INTO schema_migrations VALUES ('99990101000000') RETURNING version", 'syntax error at or near "INSERT"'),
    ("SELECT nextval('users_id_seq')::text", "cannot execute nextval() in a read-only transaction"),
])
def test_postgresql_a_writing_statement_is_refused(pg, query, reason):
    record = migration_check(pg.url, query)
    assert record["status"] == "error"
    assert reason in record["summary"]
    assert migration_rows(pg.url) == len(RAILS_APPLIED)


def test_postgresql_the_session_is_read_only_before_any_statement_runs(pg):
    database = Database(dict(url=pg.url))
    with database.read_only(CheckContext(30.0)) as connection:
        settings = [database.run_single_statement(connection, f"SELECT current_setting('{name}')", max_rows=2)
                    for name in ("default_transaction_read_only", "transaction_read_only")]
    assert settings == [[("on",)], [("on",)]]


@pytest.mark.parametrize("backend", ["postgresql", "mariadb"])
def test_a_query_of_millions_of_rows_sends_only_the_rows_read(pg, maria, backend):
    url, query = {
        "postgresql": (pg.url, "SELECT 'v' || generate_series(1, 20000000)"),
        "mariadb": (maria.url, "SELECT CONCAT('v', seq) FROM seq_1_to_20000000"),
    }[backend]
    record = run_kind_item(db_schema, dict(url=url, migration_query=query, migration_version=LATEST), 60.0)
    assert record["status"] == "error"
    assert record["summary"] == "migration_query returned several rows, expected exactly one"


def test_postgresql_a_valid_query_still_reads_the_version(pg):
    record = migration_check(pg.url, "SELECT max(version) FROM schema_migrations WHERE version LIKE '2%';")
    assert record["status"] == "pass", record["summary"]


@pytest.mark.parametrize("url, scheme", [
    ("postgresql://app@db.example.com/shop", "postgresql+psycopg://"),
    ("postgresql+psycopg2://app@db.example.com/shop", "postgresql+psycopg://"),
    ("mysql+mysqldb://app@db.example.com/shop", "mysql+pymysql://"),
])
def test_drivers_that_can_send_several_statements_never_run_a_query(url, scheme):
    item = validated_item(db_schema, dict(url=url, migration_query="SELECT 1", migration_version="1"))
    with pytest.raises(OptionError, match=f"^migration_query: .* use a {re.escape(scheme)} URL"):
        db_schema.prepare(item)


# --- MariaDB -------------------------------------------------------------------------------------

@pytest.mark.parametrize("query, reason", [
    ("SELECT max(version) FROM schema_migrations; INSERT INTO schema_migrations VALUES ('99990101000000')",
     "You have an error in your SQL syntax"),
    ("INSERT INTO schema_migrations VALUES ('99990101000000')", "Cannot execute statement in a READ ONLY transaction"),
    ("CREATE TABLE golive_written (id int)", "Cannot execute statement in a READ ONLY transaction"),
    ("DROP TABLE schema_migrations", "Cannot execute statement in a READ ONLY transaction"),
])
def test_mariadb_one_statement_in_a_read_only_transaction(maria, query, reason):
    record = migration_check(maria.url, query)
    assert record["status"] == "error"
    assert reason in record["summary"]
    assert migration_rows(maria.url) == len(RAILS_APPLIED)
    tables = sorted(row[0] for row in execute(maria.url, "SHOW TABLES")[0])
    assert tables == ["orders", "schema_migrations", "users"]


def test_mariadb_a_valid_query_still_reads_the_version(maria):
    record = migration_check(maria.url, "SELECT max(version) FROM schema_migrations WHERE version LIKE '2%'")
    assert record["status"] == "pass", record["summary"]


# --- SQLite --------------------------------------------------------------------------------------

def snapshot(directory):
    """Every file of the directory with a digest of its content."""
    found = {}
    for name in sorted(os.listdir(directory)):
        with open(os.path.join(directory, name), "rb") as handle:
            found[name] = hashlib.sha256(handle.read()).hexdigest()
    return found


@pytest.mark.parametrize("query, reason", [
    ("ATTACH DATABASE '{dir}/attached.db' AS extra", "denies ATTACH"),
    ("VACUUM INTO '{dir}/copy.db'", "denies ATTACH"),
    ("PRAGMA query_only = OFF", "denies PRAGMA query_only"),
    ("PRAGMA user_version = 7", "denies PRAGMA user_version"),
    ("DETACH DATABASE main", "denies DETACH"),
    ("INSERT INTO schema_migrations VALUES ('99990101000000')", "denies INSERT"),
    ("CREATE TEMP TABLE scratch (id int)", "denies"),
    ("SELECT max(version) FROM schema_migrations; INSERT INTO schema_migrations VALUES ('99990101000000')",
     "You can only execute one statement at a time"),
])
def test_sqlite_creates_no_file_and_writes_nothing(tmp_path, query, reason):
    url = sqlite_database(tmp_path, ("rails",))
    before = snapshot(tmp_path)
    record = migration_check(url, query.format(dir=tmp_path))
    assert record["status"] == "error"
    assert reason in record["summary"]
    assert snapshot(tmp_path) == before
    assert migration_rows(url) == len(RAILS_APPLIED)


def test_sqlite_a_valid_query_and_the_schema_lookups_still_work(tmp_path):
    url = sqlite_database(tmp_path, ("rails",))
    before = snapshot(tmp_path)
    record = run_kind_item(db_schema, dict(
        url=url, tables=["users"], indexes=[dict(table="orders", columns=["user_id"])],
        migration_query="SELECT max(version) FROM schema_migrations -- the latest", migration_version=LATEST), 30.0)
    assert record["status"] == "pass", record["summary"]
    assert snapshot(tmp_path) == before
