"""db_schema against throwaway databases in the machine's PostgreSQL and MariaDB and SQLite files: tables, indexes and
the history tables of alembic, Django, Flyway and Rails, built by the test and dropped at the end."""

from __future__ import annotations

import contextlib
import json
import sys

import pytest
from ansible.module_utils.basic import missing_required_lib

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._checks import db_schema

from ._kind_runner import run_item as run_kind_item
from ._kind_runner import validated_item
from ._ports import unused_port
from ._sql_databases import (
    ALEMBIC_HEAD,
    LAYOUTS,
    RAILS_APPLIED,
    ROLE_PASSWORD,
    duckdb_database,
    execute,
    mariadb_database,
    postgres_database,
    sqlite_database,
    table_exists,
)

BACKENDS = ("postgresql", "mariadb", "sqlite", "duckdb")
INJECTION = 'users"; DROP TABLE users; --'


def run_item(item, timeout=10.0):
    return run_kind_item(db_schema, item, timeout)


def prepare(item):
    return db_schema.prepare(validated_item(db_schema, item))


@contextlib.contextmanager
def database(backend, tmp_path, layouts=()):
    """The URL of a throwaway database of the backend with the shop schema and the layouts' history tables."""
    if backend in ("sqlite", "duckdb"):
        yield (sqlite_database if backend == "sqlite" else duckdb_database)(tmp_path, layouts)
        return
    make = postgres_database if backend == "postgresql" else mariadb_database
    with make(layouts) as made:
        yield made.url


@pytest.fixture(scope="module")
def pg():
    with postgres_database(("rails",), with_role=True) as made:
        yield made


# --- tables --------------------------------------------------------------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
def test_tables_present_pass_and_missing_fail(backend, tmp_path):
    with database(backend, tmp_path) as url:
        present = run_item(dict(url=url, tables=["users", "orders"]))
        missing = run_item(dict(url=url, tables=["users", "payments", "refunds"]))
    assert present["id"] == f"db_schema:{url}"
    assert present["title"] == f"Schema of {url}"
    assert (present["section"], present["severity"]) == ("data", "high")
    assert (present["status"], present["summary"]) == ("pass", "2 tables present")
    assert present["observed"]["tables_found"] == ["users", "orders"]
    assert missing["status"] == "fail"
    assert missing["summary"] == "missing tables: payments, refunds"
    assert missing["observed"]["tables_missing"] == ["payments", "refunds"]
    assert missing["expected"]["tables"] == ["users", "payments", "refunds"]


def test_schema_qualified_tables_and_the_schema_option(pg):
    record = run_item(dict(url=pg.url, tables=["shop.invoices", "public.users"]))
    assert record["status"] == "pass", record["summary"]
    record = run_item(dict(url=pg.url, schema="shop", tables=["invoices", "users"]))
    assert record["id"] == f"db_schema:{pg.url}:shop"
    assert (record["status"], record["summary"]) == ("fail", "missing table: users")


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_table_name_shaped_like_sql_injection_is_only_a_missing_table(backend, tmp_path):
    with database(backend, tmp_path, ("rails",)) as url:
        record = run_item(dict(url=url, tables=[INJECTION], indexes=[dict(table=INJECTION, columns=["id"])],
                               migration_tool="rails", expected_migrations=[INJECTION]))
        assert table_exists(url, "users")
    assert record["status"] == "fail"
    assert f"missing table: {INJECTION}" in record["summary"]
    assert f"missing index: {INJECTION}(id) (no table {INJECTION})" in record["summary"]
    assert f"1 pending migration: {INJECTION}" in record["summary"]


# --- indexes -------------------------------------------------------------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
def test_indexes_by_name_and_by_leading_columns(backend, tmp_path):
    with database(backend, tmp_path) as url:
        present = run_item(dict(url=url, indexes=[
            dict(table="users", name="ix_users_email"),
            dict(table="orders", columns=["user_id"]),
            dict(table="orders", columns=["user_id", "created_at"]),
            dict(table="orders", columns=["id"]),  # the primary key
        ]))
        missing = run_item(dict(url=url, indexes=[
            dict(table="orders", columns=["created_at"]),  # in an index, but not leading
            dict(table="orders", name="ix_orders_status"),
            dict(table="payments", columns=["id"]),
        ]))
    assert (present["status"], present["summary"]) == ("pass", "4 indexes present")
    assert missing["status"] == "fail"
    assert missing["summary"] == ("missing indexes: orders(created_at), orders.ix_orders_status, "
                                  "payments(id) (no table payments)")
    assert missing["observed"]["indexes_missing"] == ["orders(created_at)", "orders.ix_orders_status", "payments(id)"]


# --- migrations: each tool's table on each backend ------------------------------------------------

CURRENT = dict(alembic=[ALEMBIC_HEAD],
               django=["auth:0002_alter_permission", "contenttypes:0001_initial", "shop:0002_orders"],
               flyway=["2"], rails=[RAILS_APPLIED[-1]])
EXPECTED = dict(alembic=ALEMBIC_HEAD, django=["shop:0002_orders", "auth:0002_alter_permission"], flyway="2",
                rails=RAILS_APPLIED[-1])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_migration_tool_is_detected_and_its_version_read(backend, layout, tmp_path):
    with database(backend, tmp_path, (layout,)) as url:
        detected = run_item(dict(url=url, migration_version=EXPECTED[layout]))
        behind = run_item(dict(url=url, migration_tool=layout,
                               migration_version="shop:0003_refunds" if layout == "django" else "999"))
    assert detected["status"] == "pass", detected["summary"]
    assert detected["observed"]["migration_tool"] == layout
    assert detected["observed"]["migration_tools_found"] == [layout]
    assert detected["observed"]["migration_version"] == CURRENT[layout]
    assert behind["status"] == "fail"
    assert behind["summary"].startswith("migration version ")


def test_django_versions_per_app_ahead_warns_and_pending_fails(tmp_path):
    url = sqlite_database(tmp_path, ("django",))
    ahead = run_item(dict(url=url, migration_version="shop:0001_initial"))
    assert ahead["status"] == "warn"
    assert ahead["summary"] == ("migration version shop:0002_orders, expected shop:0001_initial "
                                "(newer migrations are applied)")
    pending = run_item(dict(url=url, expected_migrations=["shop:0001_initial", "shop:0002_orders",
                                                          "shop:0003_refunds", "billing:0001_initial"]))
    assert pending["status"] == "fail"
    assert pending["summary"] == "2 pending migrations: shop:0003_refunds, billing:0001_initial"
    assert pending["observed"]["pending"] == ["shop:0003_refunds", "billing:0001_initial"]
    applied = run_item(dict(url=url, expected_migrations=["auth:0001_initial", "shop:0002_orders"]))
    assert (applied["status"], applied["summary"]) == ("pass", "2 expected migrations applied")


def test_rails_ahead_warns_and_expected_migrations_report_the_pending_ones(pg):
    ahead = run_item(dict(url=pg.url, migration_version=RAILS_APPLIED[1]))
    assert ahead["status"] == "warn"
    assert ahead["observed"]["migration_version"] == [RAILS_APPLIED[-1]]
    record = run_item(dict(url=pg.url, migration_tool="rails", expected_migrations=[*RAILS_APPLIED, "20250101000000"]))
    assert (record["status"], record["summary"]) == ("fail", "1 pending migration: 20250101000000")
    assert record["expected"]["expected_migrations"] == [*RAILS_APPLIED, "20250101000000"]


def test_flyway_failed_migration_fails_and_the_latest_success_is_current(tmp_path):
    url = sqlite_database(tmp_path, ("flyway",))
    execute(url, "INSERT INTO flyway_schema_history (installed_rank, version, description, success)"
                 " VALUES (5, '2.1', 'broken', 0)")
    record = run_item(dict(url=url, migration_version="2"))
    assert record["status"] == "fail"
    assert record["summary"] == "failed migration recorded: 2.1"
    assert record["observed"]["migration_version"] == ["2"]
    assert record["observed"]["failed_migrations"] == ["2.1"]


def test_alembic_heads_and_the_limits_of_what_alembic_records(tmp_path):
    url = sqlite_database(tmp_path, ("alembic",))
    record = run_item(dict(url=url, migration_version=[ALEMBIC_HEAD]))
    assert (record["status"], record["summary"]) == ("pass", f"migration version {ALEMBIC_HEAD}")
    record = run_item(dict(url=url, expected_migrations=["1975ea83b712"]))
    assert record["status"] == "error"
    assert record["summary"] == "expected_migrations: alembic does not record which migrations were applied"


def test_no_migration_table_fails(tmp_path):
    url = sqlite_database(tmp_path)
    record = run_item(dict(url=url, migration_version="1"))
    assert record["status"] == "fail"
    assert record["summary"] == ("no migration history table found (alembic_version, django_migrations, "
                                 "flyway_schema_history, schema_migrations)")
    record = run_item(dict(url=url, migration_tool="flyway"))
    assert (record["status"], record["summary"]) == (
        "fail", "no flyway_schema_history table: flyway migrations were never run here")


def test_custom_query_reads_the_version_inside_the_read_only_transaction(pg):
    query = "SELECT max(version) FROM schema_migrations"
    record = run_item(dict(url=pg.url, migration_query=query, migration_version=RAILS_APPLIED[-1]))
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["migration_tool"] == "custom"
    assert run_item(dict(url=pg.url, migration_tool="custom", migration_query=query,
                         migration_version="1"))["status"] == "fail"
    none = run_item(dict(url=pg.url, migration_query="SELECT version FROM schema_migrations WHERE false",
                         migration_version="1"))
    assert (none["status"], none["summary"]) == ("error", "migration_query returned no rows, expected exactly one")
    writing = run_item(dict(url=pg.url, migration_query="DELETE FROM schema_migrations RETURNING version",
                            migration_version="1"))
    assert writing["status"] == "error"
    assert 'syntax error at or near "DELETE"' in writing["summary"]  # a cursor takes only a query
    assert execute(pg.url, "SELECT count(*) FROM schema_migrations")[0][0][0] == len(RAILS_APPLIED)


# --- errors --------------------------------------------------------------------------------------

def test_a_server_that_is_down_is_an_error():
    record = run_item(dict(url=f"mysql+pymysql://root@127.0.0.1:{unused_port()}/shop", tables=["users"]))
    assert record["status"] == "error"
    assert "Can't connect to MySQL server" in record["summary"]


def test_a_wrong_password_is_an_error_without_the_password(pg):
    wrong = ROLE_PASSWORD + "-wrong"
    with mariadb_database(with_role=True) as maria:
        record = run_item(dict(url=maria.url_as(maria.role, wrong), tables=["users"]))
        right = run_item(dict(url=maria.url_as(maria.role, ROLE_PASSWORD), tables=["users"]))
    assert record["status"] == "error"
    assert "Access denied" in record["summary"]
    assert wrong not in json.dumps(record)
    assert right["status"] == "pass", right["summary"]
    assert ROLE_PASSWORD not in json.dumps(right)
    as_role = run_item(dict(url=pg.url_as(pg.role, ROLE_PASSWORD), tables=["users"]))
    assert as_role["status"] == "pass"
    assert as_role["title"] == "Schema of {}".format(pg.url_as(pg.role, "****"))
    assert ROLE_PASSWORD not in json.dumps(as_role)


def test_missing_driver_is_reported_with_the_standard_message(monkeypatch):
    monkeypatch.setitem(sys.modules, "pymysql", None)  # what an import finds when it is not installed
    record = run_item(dict(url="mysql+pymysql://root@127.0.0.1:3306/mysql", tables=["user"]))
    assert record["status"] == "error"
    assert record["summary"].startswith(missing_required_lib("PyMySQL"))


# --- bad input -----------------------------------------------------------------------------------

@pytest.mark.parametrize("options, message", [
    (dict(), "^tables: nothing to check"),
    (dict(tables=["users", " "]), "^tables: names must not be empty"),
    (dict(indexes=[dict(table="users")]), r"^indexes\[0\]: give exactly one of name or columns"),
    (dict(indexes=[dict(table="users", name="a", columns=["b"])]), r"^indexes\[0\]: give exactly one"),
    (dict(indexes=[dict(table=" ", name="a")]), r"^indexes\[0\]\.table: must not be empty"),
    (dict(migration_tool="custom"), "^migration_tool: custom needs migration_query"),
    (dict(migration_tool="rails", migration_query="SELECT 1"), "^migration_query: only applies with"),
    (dict(migration_query="SELECT 1", expected_migrations=["1"]), "^expected_migrations: a custom"),
    (dict(migration_tool="alembic", expected_migrations=["1"]), "^expected_migrations: alembic records"),
    (dict(migration_tool="django", migration_version="0001_initial"), "^migration_version: '0001_initial' is not"),
    (dict(migration_tool="django", expected_migrations=["shop"]), "^expected_migrations: 'shop' is not app:name"),
    (dict(migration_version={"v": 1}), "^migration_version: "),
    (dict(migration_version=[]), "^migration_version: "),
    (dict(tables=["users"], schema=" "), "^schema: must not be empty"),
    (dict(url="oracle://db/x", tables=["users"]), "^url: the 'oracle' dialect is not supported"),
    (dict(tables=["users"], connect_timeout="later"), "^connect_timeout: "),
])
def test_bad_options_name_the_option(options, message):
    item = dict(url="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    item.update(options)
    with pytest.raises(OptionError, match=message):
        prepare(item)


# --- size caps -----------------------------------------------------------------------------------

# One more migration row than the reader takes, written by the database itself.
_MANY_MIGRATIONS = dict(
    postgresql="INSERT INTO schema_migrations SELECT 'm' || g FROM generate_series(1, {n}) AS g",
    mariadb="INSERT INTO schema_migrations SELECT CONCAT('m', seq) FROM seq_1_to_{n}",
    sqlite="INSERT INTO schema_migrations WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g "
           "WHERE n < {n}) SELECT 'm' || n FROM g",
    duckdb="INSERT INTO schema_migrations SELECT 'm' || g FROM generate_series(1, {n}) AS t(g)",
)


@pytest.mark.parametrize("backend", BACKENDS)
def test_migration_table_over_the_row_cap_is_an_error_naming_the_cap(backend, tmp_path):
    from ansible_collections.golive.readiness.plugins.module_utils._db import DB_ROW_CAP

    with database(backend, tmp_path, ("rails",)) as url:
        execute(url, _MANY_MIGRATIONS[backend].format(n=DB_ROW_CAP + 1))
        record = run_item(dict(url=url, migration_tool="rails", migration_version="m1"), timeout=60.0)
    assert record["status"] == "error"
    assert record["summary"].startswith("the rows of schema_migrations exceeded the size cap DB_ROW_CAP (100000 rows)")
