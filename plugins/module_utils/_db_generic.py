# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The generic path of the database kinds, for warehouse dialects beyond PostgreSQL, MySQL/MariaDB and SQLite (private).

A generic dialect gets only statements SQLAlchemy builds from names (SELECTs of counts, aggregates and a few
values), tables and columns looked up in information_schema rather than through the dialect's inspector,
and no SQL written by users. DuckDB, the one tested here, is also read-only by mechanism: the file is
opened read-only, with access to any other file (ATTACH, COPY, extensions, spilling to disk) disabled and
the configuration locked, and a statement still running when the check's time is up is interrupted. The
other dialects (Snowflake, Redshift, BigQuery) rely on the login's grants for being read-only.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from ansible_collections.golive.readiness.plugins.module_utils._check import CheckError

# Dialects taken through this path, and the pip package that provides each.
GENERIC_DIALECTS = {
    "duckdb": "duckdb-engine",
    "snowflake": "snowflake-sqlalchemy",
    "redshift": "sqlalchemy-redshift",
    "bigquery": "sqlalchemy-bigquery",
}
# DuckDB settings of a check's connection (the database's own, given when it opens) and of its session (set
# before any statement of a check runs, the progress bar because it would print to the module's stdout); the
# last locks the configuration, so that no statement can change them back.
DUCKDB_CONFIG = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "temp_directory": "",
}
DUCKDB_SESSION = ("SET enable_progress_bar = false", "SET lock_configuration = true")
# Type names (as DuckDB and most DB-API drivers describe a column) whose values can be long: cut by the server.
_LONG_TYPE_WORDS = ("CHAR", "TEXT", "STRING", "BLOB", "BINARY", "BYTE", "JSON", "VARIANT", "OBJECT", "ARRAY",
                    "LIST", "STRUCT", "MAP", "UNION", "BIT", "GEOGRAPHY", "GEOMETRY")


def is_generic(backend: str) -> bool:
    return backend in GENERIC_DIALECTS


def connect_arguments(backend: str) -> dict:
    """The driver's connection arguments that make a session of ``backend`` read-only, where one is known."""
    if backend == "duckdb":
        return {"read_only": True, "config": dict(DUCKDB_CONFIG)}
    return {}


def make_session_read_only(connection, sqlalchemy, backend: str) -> None:
    """The session settings of a generic dialect that has some (DuckDB); the others have none here."""
    if backend == "duckdb":
        for statement in DUCKDB_SESSION:
            connection.execute(sqlalchemy.text(statement))


@contextlib.contextmanager
def interrupted_after(connection, backend: str, seconds: float):
    """Interrupts the statement running on ``connection`` once ``seconds`` have passed (DuckDB has no
    statement timeout of its own); the error then says 'Interrupted', which is told as a timeout."""
    if backend != "duckdb":
        yield
        return
    timer = threading.Timer(max(0.001, seconds), connection.connection.driver_connection.interrupt)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def cut_column(sqlalchemy, column, type_code: Any, length: int):
    """``column`` cut to ``length`` characters by the server when its described type can hold long values; a
    type the driver does not name is cut as text."""
    if isinstance(type_code, int):
        return sqlalchemy.func.substr(sqlalchemy.cast(column, sqlalchemy.Text), 1, length)
    name = str(type_code).upper()
    if any(word in name for word in _LONG_TYPE_WORDS):
        if "[]" in name or any(word in name for word in ("LIST", "STRUCT", "MAP", "UNION", "ARRAY")):
            return sqlalchemy.func.substr(sqlalchemy.cast(column, sqlalchemy.Text), 1, length)
        return sqlalchemy.func.substr(column, 1, length)
    return column


class InformationSchemaInspector(object):
    """The lookups the database kinds make of a SQLAlchemy inspector (has_table, get_view_names, get_indexes,
    get_pk_constraint), answered from information_schema (and DuckDB's catalogue functions for indexes), so
    that they are portable SQL built from bound names rather than a dialect's reflection queries."""

    def __init__(self, connection, sqlalchemy) -> None:
        self.connection = connection
        self.sqlalchemy = sqlalchemy
        self.backend = connection.dialect.name

    def _schema(self, schema):
        return self.sqlalchemy.func.current_schema() if schema is None else self.sqlalchemy.literal(schema)

    def has_table(self, table: str, schema: str | None = None) -> bool:
        """A table or view of that name in the schema (the session's current one by default)."""
        sa = self.sqlalchemy
        tables = sa.table("tables", sa.column("table_schema"), sa.column("table_name"), schema="information_schema")
        statement = sa.select(sa.func.count()).select_from(tables).where(
            tables.c.table_name == sa.literal(table), tables.c.table_schema == self._schema(schema))
        return bool(self.connection.execute(statement).scalar())

    def get_view_names(self, schema: str | None = None) -> list[str]:
        return []  # has_table finds views too: information_schema.tables lists them

    def _require_table(self, table: str, schema: str | None) -> None:
        if not self.has_table(table, schema):
            raise self.sqlalchemy.exc.NoSuchTableError(table)

    def _refuse_without_catalogue(self) -> None:
        if self.backend != "duckdb":
            raise CheckError(f"indexes: the {self.backend} dialect has no index catalogue this check reads")

    def get_indexes(self, table: str, schema: str | None = None) -> list[dict]:
        self._refuse_without_catalogue()
        self._require_table(table, schema)
        sa = self.sqlalchemy
        indexes = sa.func.duckdb_indexes().table_valued("schema_name", "table_name", "index_name", "expressions")
        statement = sa.select(indexes.c.index_name, indexes.c.expressions).where(
            indexes.c.table_name == sa.literal(table), indexes.c.schema_name == self._schema(schema))
        return [dict(name=name, column_names=_expression_columns(expressions))
                for name, expressions in self.connection.execute(statement)]

    def get_pk_constraint(self, table: str, schema: str | None = None) -> dict:
        self._refuse_without_catalogue()
        sa = self.sqlalchemy
        constraints = sa.func.duckdb_constraints().table_valued(
            "schema_name", "table_name", "constraint_type", "constraint_name", "constraint_column_names")
        statement = sa.select(constraints.c.constraint_name, constraints.c.constraint_column_names).where(
            constraints.c.table_name == sa.literal(table), constraints.c.schema_name == self._schema(schema),
            constraints.c.constraint_type == sa.literal("PRIMARY KEY"))
        row = self.connection.execute(statement).first()
        return dict(name=row[0], constrained_columns=list(row[1])) if row else {}


def _expression_columns(expressions) -> list[str]:
    """The columns of a DuckDB index from its expressions, as duckdb_indexes() writes them: '[email, id]'."""
    text = str(expressions or "").strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return [part.strip().strip('"') for part in text.split(",") if part.strip()]


def duckdb_estimate(connection, sqlalchemy, schema: str | None, table: str):
    """DuckDB's own row estimate of a table (duckdb_tables().estimated_size), None when it has none."""
    tables = sqlalchemy.func.duckdb_tables().table_valued("schema_name", "table_name", "estimated_size")
    in_schema = sqlalchemy.func.current_schema() if schema is None else sqlalchemy.literal(schema)
    statement = sqlalchemy.select(tables.c.estimated_size).where(
        tables.c.table_name == sqlalchemy.literal(table), tables.c.schema_name == in_schema)
    return connection.execute(statement).scalar()
