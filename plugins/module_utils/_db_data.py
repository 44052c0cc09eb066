# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the data check kinds (db_row_counts, db_data_quality) share on top of _db (private)."""

from __future__ import annotations

import datetime
import decimal

from ansible_collections.golive.readiness.plugins.module_utils._check import CheckError, OptionError
from ansible_collections.golive.readiness.plugins.module_utils._db import inspector_of, load_sqlalchemy, table_of

SHOWN_VALUE_CHARS = 80


def item_key(item, *parts):
    """'<masked url>:<part>:...' for a check id; an unparsable URL still gives a key (prepare reports it)."""
    from ansible_collections.golive.readiness.plugins.module_utils._db import shown_url

    return ":".join([shown_url(item.get("url")) or "?"] + [str(part) for part in parts])


def split_name(name):
    """('schema', 'table') or (None, 'table'), the way table_of reads a name."""
    schema, dot, table = str(name).rpartition(".")
    return (schema if dot else None), table


def check_table_name(name, option="table"):
    """OptionError unless the name is 'table' or 'schema.table' with both parts non-blank."""
    if name is None or not str(name).strip():
        raise OptionError(f"{option}: must not be empty")
    schema, table = split_name(name)
    if not table.strip() or (schema is not None and not schema.strip()):
        raise OptionError(f"{option}: {name!r} is not a table name or schema.table")


def table_with_columns(sqlalchemy, name, columns, option="table"):
    """A table construct carrying column constructs; the library quotes every name."""
    table = table_of(sqlalchemy, name, option)
    for column in columns:
        table.append_column(sqlalchemy.column(column))
    return table


def inspected(connection, sqlalchemy, lookup, failed=None):
    """lookup(inspector), or ``failed`` when the session may not inspect the table.

    MySQL describes a view only with SHOW VIEW, which a reader may lack; the statements of the check
    then say what is wrong. A savepoint keeps a failed lookup from aborting the PostgreSQL transaction.
    A generic dialect (DuckDB has no savepoints) is looked up in information_schema, which any reader may read.
    """
    inspector = inspector_of(connection, sqlalchemy)
    if not isinstance(inspector, sqlalchemy.engine.reflection.Inspector):
        return lookup(inspector)
    try:
        with connection.begin_nested():
            return lookup(inspector)
    except sqlalchemy.exc.DBAPIError:
        return failed


def require_table(connection, sqlalchemy, database, name):
    """CheckError naming the table when the database has no such table (or view) the session can see."""
    schema, table = split_name(name)

    def exists(inspector):
        return inspector.has_table(table, schema=schema) or table in inspector.get_view_names(schema=schema)

    if not inspected(connection, sqlalchemy, exists, failed=True):
        raise CheckError(f"table {name!r} not found in {database.shown}")


class DataSession(object):
    """Runs a data check's statements in one read-only connection; errors become CheckError."""

    def __init__(self, database):
        self.database = database

    def run(self, ctx, work):
        """work(connection, sqlalchemy) inside a read-only transaction; its result."""
        sqlalchemy = load_sqlalchemy()
        with self.database.read_only(ctx) as connection:
            return work(connection, sqlalchemy)


def shown_value(value):
    """A database value as JSON can carry it, long text cut short."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    text = bytes(value).hex() if isinstance(value, (bytes, bytearray, memoryview)) else str(value)
    return text if len(text) <= SHOWN_VALUE_CHARS else text[:SHOWN_VALUE_CHARS] + "\u2026"
