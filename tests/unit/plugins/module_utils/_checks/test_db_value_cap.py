"""No database value is read whole: against the machine's real PostgreSQL and MariaDB (throwaway databases) and
SQLite files, a huge value is cut by the server (or, in SQLite, refused before it is built), the check process
stays far below the value's size, and the record names what was cut. Values up to the cap are read unchanged.

Each huge read runs in a child process, whose peak RSS is the measure of what it held (_child_check).
"""

from __future__ import annotations

import sqlite3

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._checks import db_schema
from ansible_collections.golive.readiness.plugins.module_utils._db import DB_VALUE_CAP, SQLITE_VALUE_CAP

from ._child_check import run_in_child
from ._kind_runner import run_item

# rails_postgres and rails_mariadb are the fixtures pg and maria.
from ._sql_databases import (  # noqa: F401  pylint: disable=unused-import
    RAILS_APPLIED,
    execute,
    rails_mariadb,
    rails_postgres,
    sqlite_database,
)

# The check process imports ansible, SQLAlchemy and the drivers (about 50 MB); a value read whole adds its size.
PEAK_RSS_LIMIT = 200 * 1024 * 1024
HUGE = 500 * 1000 * 1000


def migration_item(url, query, version=RAILS_APPLIED[-1]):
    return dict(url=url, migration_query=query, migration_version=version)


def assert_cut_in_column(record, column):
    assert record["status"] == "error", record["summary"]
    assert record["summary"] == (f"a value in column {column} of the query's result exceeded the size cap "
                                 f"DB_VALUE_CAP ({DB_VALUE_CAP} characters); reading stopped there")


# --- PostgreSQL ----------------------------------------------------------------------------------

def test_postgresql_a_500_mb_value_is_cut_by_the_server(pg):
    record, peak = run_in_child("db_schema", migration_item(pg.url, f"SELECT repeat('x', {HUGE})"))
    assert_cut_in_column(record, "repeat")
    assert peak < PEAK_RSS_LIMIT


def test_postgresql_a_huge_bytea_and_json_are_cut_too(pg):
    query = f"SELECT 1 AS n, decode(repeat('00', {HUGE // 10}), 'hex') AS payload"
    record, peak = run_in_child("db_schema", migration_item(pg.url, query))
    assert_cut_in_column(record, "payload")
    assert peak < PEAK_RSS_LIMIT
    record = run_item(db_schema, migration_item(pg.url, f"SELECT to_json(repeat('x', {DB_VALUE_CAP}))"), 30.0)
    assert_cut_in_column(record, "to_json")  # its text has two quotes more than the cap


def test_postgresql_a_huge_sample_key_is_shown_cut(pg):
    execute(pg.url, "CREATE TABLE documents (id integer PRIMARY KEY, body text, owner text)",
            f"INSERT INTO documents VALUES (1, repeat('y', {HUGE // 2}), NULL), (2, 'short', 'ann')")
    item = dict(url=pg.url, table="documents", test="not_null", column="owner", key_column=["body"])
    record, peak = run_in_child("db_data_quality", item)
    assert record["status"] == "fail", record["summary"]
    assert record["observed"]["samples"] == ["y" * 80 + "\u2026"]
    assert peak < PEAK_RSS_LIMIT


# --- MariaDB -------------------------------------------------------------------------------------

def max_allowed_packet(url):
    return int(execute(url, "SELECT @@max_allowed_packet")[0][0][0])


def test_mariadb_the_largest_value_the_server_sends_is_cut(maria):
    # MariaDB sends no value longer than max_allowed_packet (REPEAT returns NULL beyond it): the largest it can.
    size = max_allowed_packet(maria.url) - 1024
    record, peak = run_in_child("db_schema", migration_item(maria.url, f"SELECT REPEAT('x', {size}) AS huge"))
    assert_cut_in_column(record, "huge")
    assert peak < PEAK_RSS_LIMIT


def test_mariadb_many_large_sample_keys_are_cut_by_the_server(maria):
    # Twelve values of 12 MB: 144 MB that the samples would otherwise read.
    execute(maria.url, "CREATE TABLE documents (id integer PRIMARY KEY, body longtext, owner varchar(20))",
            "INSERT INTO documents SELECT seq, CONCAT(seq, REPEAT('z', 12000000)), NULL FROM seq_1_to_12")
    item = dict(url=maria.url, table="documents", test="not_null", column="owner", key_column=["body"],
                sample_size=12)
    record, peak = run_in_child("db_data_quality", item)
    assert record["status"] == "fail", record["summary"]
    samples = record["observed"]["samples"]
    assert len(samples) == 12 and all(sample.endswith("z" * 70 + "\u2026") for sample in samples)
    assert peak < PEAK_RSS_LIMIT


def test_mariadb_a_write_is_still_refused_by_the_read_only_transaction(maria):
    # Not a query, so it cannot be read capped: run as written, it gets the server's own refusal.
    record = run_item(db_schema, migration_item(maria.url, "DELETE FROM schema_migrations"), 30.0)
    assert record["status"] == "error"
    assert "Cannot execute statement in a READ ONLY transaction" in record["summary"]


# --- SQLite --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def huge_sqlite(tmp_path_factory):
    url = sqlite_database(tmp_path_factory.mktemp("huge"), ("rails",))
    connection = sqlite3.connect(url[len("sqlite:///"):])
    try:
        connection.execute("CREATE TABLE attachments (id integer PRIMARY KEY, content blob)")
        connection.execute("INSERT INTO attachments VALUES (1, zeroblob(?)), (2, randomblob(?))",
                           (HUGE, SQLITE_VALUE_CAP // 2))
        connection.commit()
    finally:
        connection.close()
    return url


def test_sqlite_a_500_mb_blob_is_refused_before_it_is_read(huge_sqlite):
    query = "SELECT content FROM attachments WHERE id = 1"
    record, peak = run_in_child("db_schema", migration_item(huge_sqlite, query))
    assert record["status"] == "error"
    assert record["summary"].endswith(f"string or blob too big (a value is longer than SQLITE_VALUE_CAP, "
                                      f"{SQLITE_VALUE_CAP // 1024 // 1024}.0 MiB: it is not read)")
    assert peak < PEAK_RSS_LIMIT


def test_sqlite_a_value_under_its_limit_is_cut_like_the_servers_cut_it(huge_sqlite):
    query = "SELECT content FROM attachments WHERE id = 2"
    record, peak = run_in_child("db_schema", migration_item(huge_sqlite, query))
    assert_cut_in_column(record, "content")
    assert peak < PEAK_RSS_LIMIT


def test_sqlite_a_value_built_by_the_query_is_refused_too(huge_sqlite):
    record = run_item(db_schema, migration_item(huge_sqlite, f"SELECT zeroblob({HUGE})"), 30.0)
    assert record["status"] == "error"
    assert "string or blob too big" in record["summary"]


# --- values up to the cap are read whole, on every backend ---------------------------------------

def urls(pg, maria, huge_sqlite):
    return dict(postgresql=pg.url, mariadb=maria.url, sqlite=huge_sqlite)


@pytest.mark.parametrize("backend", ["postgresql", "mariadb", "sqlite"])
def test_a_value_of_exactly_the_cap_is_read_whole(pg, maria, huge_sqlite, backend):
    url = urls(pg, maria, huge_sqlite)[backend]
    repeat = "REPEAT('7', %d)" if backend != "sqlite" else "replace(hex(zeroblob(%d / 2)), '0', '7')"
    record = run_item(db_schema, migration_item(url, f"SELECT {repeat % DB_VALUE_CAP} AS v", "7" * DB_VALUE_CAP),
                      30.0)
    assert record["status"] == "pass", record["summary"]
    longer = run_item(db_schema, migration_item(url, f"SELECT {repeat % (DB_VALUE_CAP + 2)} AS v", "7"), 30.0)
    assert_cut_in_column(longer, "v")


@pytest.mark.parametrize("backend", ["postgresql", "mariadb", "sqlite"])
def test_short_values_keep_their_types(pg, maria, huge_sqlite, backend):
    from ansible_collections.golive.readiness.plugins.module_utils._db import Database
    from ansible_collections.golive.readiness.plugins.module_utils._runner import CheckContext

    url = urls(pg, maria, huge_sqlite)[backend]
    database = Database(dict(url=url))
    with database.read_only(CheckContext(30.0)) as connection:
        rows = database.run_single_statement(
            connection, "SELECT 42 AS answer, 'text' AS word, NULL AS missing, 1.5 AS half;", max_rows=5)
    assert [tuple(float(v) if k == 3 else v for k, v in enumerate(row)) for row in rows] == [(42, "text", None, 1.5)]


# --- all the values of a migration history, together ---------------------------------------------

def test_a_history_of_many_long_versions_is_read_within_its_total_cap(tmp_path, monkeypatch):
    from ansible_collections.golive.readiness.plugins.module_utils import _db

    url = sqlite_database(tmp_path, ("rails",))
    connection = sqlite3.connect(url[len("sqlite:///"):])
    try:  # SQLite does not hold varchar(20) to its length: 300 versions of 1000 characters
        connection.executemany("INSERT INTO schema_migrations VALUES (?)",
                               [(f"{number:04d}" + "9" * 996,) for number in range(300)])
        connection.commit()
    finally:
        connection.close()
    item = dict(url=url, migration_version=RAILS_APPLIED[-1])
    assert run_item(db_schema, item, 30.0)["status"] == "warn"  # read whole: versions newer than expected
    monkeypatch.setattr(_db, "DB_READ_CAP", 100000)
    record = run_item(db_schema, item, 30.0)
    assert record["status"] == "error"
    assert record["summary"].startswith("the rows of schema_migrations exceeded the size cap DB_READ_CAP (")
