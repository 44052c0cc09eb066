"""The generic warehouse path of the database kinds on a real DuckDB file (duckdb-engine): read-only by
mechanism, bounded in time, and the data kinds reading the warehouse a real dbt build made.

The data kinds' own suites also run on DuckDB (test_db_row_counts, test_db_data_quality, test_db_schema);
this file holds what only the generic path has.
"""

from __future__ import annotations

import os
import time

import pytest
import sqlalchemy as sa
from ansible.module_utils.basic import missing_required_lib

from ansible_collections.golive.readiness.plugins.module_utils._check import CheckError, OptionError
from ansible_collections.golive.readiness.plugins.module_utils._checks import (
    db_data_quality,
    db_row_counts,
    db_schema,
    db_server,
)
from ansible_collections.golive.readiness.plugins.module_utils._db import Database
from ansible_collections.golive.readiness.plugins.module_utils._runner import CheckContext

from ._child_check import run_in_child
from ._kind_runner import prepared, run_item
from ._sql_databases import duckdb_database

# What a check's session must refuse, whatever the login could do: writes, other files, settings.
REFUSED = (
    "INSERT INTO users VALUES (99, 'x@example.test')",
    "CREATE TABLE written (id INTEGER)",
    "DROP TABLE orders",
    "ATTACH '{directory}/other.duckdb' AS other",
    "COPY users TO '{directory}/users.csv'",
    "EXPORT DATABASE '{directory}/export'",
    "SELECT * FROM read_csv('/etc/passwd')",
    "INSTALL httpfs",
    "SET enable_external_access = true",
    "SET lock_configuration = false",
    "SET enable_progress_bar = true",
)


@pytest.fixture
def warehouse(tmp_path):
    directory = tmp_path / "warehouse"
    directory.mkdir()
    return duckdb_database(directory), directory


def _listing(directory):
    return sorted((entry.name, entry.stat().st_size, entry.stat().st_mtime_ns) for entry in os.scandir(directory))


@pytest.mark.parametrize("statement", REFUSED)
def test_a_session_refuses_every_write_other_file_and_setting(warehouse, statement):
    url, directory = warehouse
    before = _listing(directory)
    with pytest.raises(CheckError), Database(dict(url=url)).read_only(CheckContext(30)) as connection:
        connection.execute(sa.text(statement.format(directory=directory)))
    assert _listing(directory) == before  # nothing written beside the file, nor the file itself


def test_a_statement_still_running_when_the_time_is_up_is_interrupted(warehouse):
    url = warehouse[0]
    slow = sa.text("SELECT sum(hash(a.range + b.range)) FROM range(1000000) a, range(1000000) b")
    started = time.monotonic()
    with pytest.raises(CheckError, match=r"^timed out after \d.*Interrupted"), \
            Database(dict(url=url)).read_only(CheckContext(1.0)) as connection:
        connection.execute(slow).scalar()
    assert time.monotonic() - started < 30  # the sum takes far longer: only the interrupt ends it


def test_db_server_reads_the_version_and_refuses_what_a_file_does_not_have(warehouse):
    url = warehouse[0]
    record = run_item(db_server, dict(url=url, min_version="1.0"), 30)
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["product"] == "DuckDB"
    assert record["observed"]["version"] == __import__("duckdb").__version__
    assert record["observed"]["connections"] == "not applicable"
    assert run_item(db_server, dict(url=url, min_version="99"), 30)["status"] == "fail"
    with pytest.raises(OptionError, match=r"^connections_fail_above: does not apply to the duckdb dialect"):
        prepared(db_server, dict(url=url, connections_fail_above="90%"))


def test_sql_written_in_options_is_never_run_on_a_generic_dialect(warehouse):
    url = warehouse[0]
    with pytest.raises(OptionError, match=r"^migration_query: SQL written in options is not run on the duckdb"):
        prepared(db_schema, dict(url=url, migration_tool="custom", migration_query="SELECT 1"))


def test_indexes_are_refused_where_the_dialect_has_no_index_catalogue():
    with pytest.raises(OptionError, match=r"^indexes: the snowflake dialect has no index catalogue"):
        prepared(db_schema, dict(url="snowflake://reader@account/db/schema",
                                 indexes=[dict(table="users", columns=["email"])]))
    assert prepared(db_schema, dict(url="bigquery://project/dataset", tables=["users"]))["tables"] == ["users"]


def test_a_missing_file_is_an_error_and_is_not_created(tmp_path):
    path = tmp_path / "nowhere.duckdb"
    record = run_item(db_row_counts, dict(url=f"duckdb:///{path}", table="users"), 30)
    assert record["status"] == "error"
    assert not path.exists() and os.listdir(tmp_path) == []


def test_a_missing_duckdb_engine_is_reported_with_the_standard_message(warehouse):
    url = warehouse[0]
    record, _peak = run_in_child("db_row_counts", dict(url=url, table="users"), timeout=30.0,
                                 blocked_modules=["duckdb_engine"])
    assert record["status"] == "error"
    assert record["summary"].startswith(missing_required_lib("duckdb-engine"))


# --- the warehouse dbt built -------------------------------------------------------------------------

def test_the_data_kinds_read_the_warehouse_a_real_dbt_build_made(dbt_project):
    url = f"duckdb:///{dbt_project.warehouse}"
    seeded = run_item(db_row_counts, dict(url=url, table="main.raw_orders", method="estimate"), 30)
    assert (seeded["status"], seeded["observed"]["method"], seeded["observed"]["rows"]["value"]) == (
        "pass", "estimate", 3)
    view = run_item(db_row_counts, dict(url=url, table="stg_orders", min_rows=1), 30)  # a dbt view: counted
    assert (view["observed"]["method"], view["observed"]["rows"]["value"]) == ("exact", 3)
    assert "no usable estimate" in view["observed"]["method_note"]
    # the relationship dbt's test found broken, found by db_data_quality in the tables dbt built
    record = run_item(db_data_quality, dict(url=url, table="stg_orders", test="relationships", column="customer_id",
                                            to_table="stg_customers", to_column="id"), 30)
    assert record["status"] == "fail"
    assert record["observed"]["offending_rows"]["value"] == 1
    schema = run_item(db_schema, dict(url=url, tables=["stg_orders", "stg_customers", "customer_revenue"]), 30)
    assert schema["status"] == "pass", schema["summary"]
