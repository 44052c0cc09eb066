# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-only, time-bounded SQL connections for the database check kinds (private).

Databases are addressed by SQLAlchemy URL (postgresql+psycopg://, mysql+pymysql://, sqlite:///).
Every check opens its own connection (no pool) to a session that is read-only from its first
statement, works inside an explicitly read-only transaction with a statement timeout, and rolls it
back. Table and column names from options are turned into SQLAlchemy constructs, so the library
quotes them; they are never formatted into SQL text. SQL written by users (db_schema's
migration_query) runs through run_single_statement: one statement, by the driver's protocol (on
PostgreSQL a server-side cursor inside a savepoint of that transaction); on SQLite an authorizer
denies every write, ATTACH and PRAGMA change.
"""

from __future__ import annotations

import contextlib
import re
import time

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.golive.readiness.plugins.module_utils._caps import CapExceeded
from ansible_collections.golive.readiness.plugins.module_utils._check import (
    CheckError,
    OptionError,
    format_duration,
    mask_url,
)

# Options every database kind takes (documented in each module's checks suboptions). The URL is not
# no_log as a whole: results show it masked, and its embedded password is treated as no_log by
# CheckModule (see _module.py), so a URL without a password stays readable.
DB_OPTIONS = dict(
    url=dict(type="str", required=True),
    password=dict(type="str", no_log=True),
    connect_timeout=dict(type="raw"),
)

# Rows read from one result set whose length the query does not bound (migration tables, a custom
# query). They are streamed (a server-side cursor on PostgreSQL and MySQL), so the cap bounds memory.
DB_ROW_CAP = 100000
_STREAM_BATCH = 1000

_URL = re.compile(r"^(?P<backend>[a-z][a-z0-9]*)(?:\+(?P<driver>[a-z0-9_]+))?://", re.IGNORECASE)
BACKENDS = ("postgresql", "mysql", "mariadb", "sqlite")
# The pip package that provides each driver, for missing_required_lib.
DRIVER_PACKAGES = {
    "psycopg": "psycopg", "psycopg2": "psycopg2", "pymysql": "PyMySQL", "mysqldb": "mysqlclient",
    "pysqlite": "sqlite3 (standard library)",
}
DEFAULT_DRIVERS = {"postgresql": "psycopg2", "mysql": "mysqldb", "mariadb": "mysqldb", "sqlite": "pysqlite"}
# Drivers whose protocol refuses a second statement in one call: psycopg 3 through the extended query
# protocol, PyMySQL without CLIENT.MULTI_STATEMENTS, sqlite3's execute. psycopg2 and mysqlclient send
# text that the server may split into several statements, so they never run SQL written by users.
SINGLE_STATEMENT_DRIVERS = {"postgresql": "psycopg", "mysql": "pymysql", "mariadb": "pymysql", "sqlite": "pysqlite"}
# PyMySQL's CLIENT.FOUND_ROWS, which SQLAlchemy asks for; MULTI_STATEMENTS (1 << 16) is left out.
_MYSQL_CLIENT_FLAGS = 2


def backend_of(url, option="url"):
    """('postgresql', 'psycopg') from a URL; OptionError naming the option when it is not a database URL."""
    match = _URL.match(url or "")
    if not match:
        raise OptionError("%s: %r is not a SQLAlchemy database URL (dialect+driver://...)" % (option, mask_url(url)))
    backend = match.group("backend").lower()
    if backend not in BACKENDS:
        raise OptionError("%s: the %r dialect is not supported (use one of %s)"
                          % (option, backend, ", ".join(BACKENDS)))
    return backend, (match.group("driver") or DEFAULT_DRIVERS[backend]).lower()


def shown_url(url):
    """The URL as results show it: any password masked."""
    return mask_url(url)


def load_sqlalchemy():
    """The sqlalchemy module; CheckError with the standard missing-library text when absent."""
    try:
        import sqlalchemy
    except ImportError:
        raise CheckError(missing_required_lib("SQLAlchemy")) from None
    return sqlalchemy


class Database(object):
    """How to reach one database, parsed from an item's options (no I/O until connect())."""

    def __init__(self, item, timeout_option="connect_timeout"):
        from ansible_collections.golive.readiness.plugins.module_utils._check import parse_duration

        self.url = item["url"]
        self.backend, self.driver = backend_of(self.url)
        self.password = item.get("password")
        self.connect_timeout = None
        if item.get(timeout_option) is not None:
            self.connect_timeout = parse_duration(item[timeout_option], timeout_option)

    @property
    def shown(self):
        return shown_url(self.url)

    def _engine(self, sqlalchemy, ctx):
        url = sqlalchemy.engine.make_url(self.url)
        if self.password is not None:
            url = url.set(password=self.password)
        seconds = max(1, int(min(self.connect_timeout or ctx.remaining(), ctx.remaining())))
        kwargs = dict(poolclass=sqlalchemy.pool.NullPool)
        if self.backend == "postgresql":
            kwargs["connect_args"] = {"connect_timeout": seconds, "options": _read_only_pg_options(url, ctx)}
        elif self.backend in ("mysql", "mariadb"):
            kwargs["connect_args"] = {"connect_timeout": seconds, "read_timeout": max(1, int(ctx.remaining())),
                                      "client_flag": _MYSQL_CLIENT_FLAGS}
        elif self.backend == "sqlite":
            url = _read_only_sqlite(url)
            kwargs["connect_args"] = {"timeout": seconds}
        try:
            return sqlalchemy.create_engine(url, **kwargs)
        except (ImportError, sqlalchemy.exc.NoSuchModuleError) as exc:
            package = DRIVER_PACKAGES.get(self.driver, self.driver)
            raise CheckError("%s (%s)" % (missing_required_lib(package), exc)) from None

    @contextlib.contextmanager
    def read_only(self, ctx):
        """A connection inside a read-only transaction whose statements time out with the check."""
        sqlalchemy = load_sqlalchemy()
        started = time.monotonic()
        engine = self._engine(sqlalchemy, ctx)
        try:
            with engine.connect() as connection:
                _make_session_read_only(connection, self.backend, sqlalchemy, ctx)
                # Ends the implicit transaction the session settings ran in; they wrote nothing.
                connection.commit()
                if self.backend == "postgresql":
                    connection.execution_options(postgresql_readonly=True)  # BEGIN READ ONLY
                with connection.begin() as transaction:
                    try:
                        if self.backend in ("mysql", "mariadb"):
                            connection.execute(sqlalchemy.text("START TRANSACTION READ ONLY"))
                        yield connection
                    finally:
                        transaction.rollback()
        except sqlalchemy.exc.DBAPIError as exc:
            raise CheckError(said_as_timeout(self.describe_error(exc), started)) from None
        finally:
            engine.dispose()

    def require_single_statement_driver(self, option: str) -> None:
        """OptionError naming the option unless the URL's driver refuses a second statement in one call."""
        wanted = SINGLE_STATEMENT_DRIVERS[self.backend]
        if self.driver != wanted:
            scheme = "sqlite" if self.backend == "sqlite" else f"{self.backend}+{wanted}"
            raise OptionError(f"{option}: SQL written in options runs only through a driver that refuses a second "
                              f"statement; use a {scheme}:// URL (this one uses {self.driver})")

    def run_single_statement(self, connection, sql: str, max_rows: int) -> list[tuple]:
        """Up to max_rows rows of one user-written statement, run so that it can neither be followed by
        another statement nor make the read-only transaction writable (see the module docstring)."""
        sqlalchemy = load_sqlalchemy()
        self.require_single_statement_driver("statement")
        driver_connection = connection.connection.driver_connection
        dbapi_error = connection.dialect.loaded_dbapi.Error
        try:
            return _FIRST_ROWS[self.backend](driver_connection, sql, max_rows)
        except (dbapi_error, sqlalchemy.exc.DBAPIError) as exc:
            raise CheckError(self.describe_error(exc) + _denied_by_guard(connection)) from None

    def describe_error(self, exc):
        """A one-line reason without the SQL statement or parameters, with any password masked."""
        original = getattr(exc, "orig", None) or exc
        text = str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__
        if self.password:
            text = text.replace(self.password, "****")
        return "%s: %s" % (self.shown, mask_url(text))


# How drivers and servers say a connect or statement timeout (psycopg, PyMySQL, PostgreSQL, MariaDB).
_TIMEOUT_WORDS = ("timed out", "timeout", "max_statement_time", "canceling statement", "interrupted")


def said_as_timeout(reason, started):
    """A driver's or server's timeout said the way every check says it: 'timed out after 2s: ...'."""
    if any(word in reason.lower() for word in _TIMEOUT_WORDS):
        return "timed out after %s: %s" % (format_duration(time.monotonic() - started), reason)
    return reason


def _read_only_pg_options(url, ctx) -> str:
    """libpq options that make the session read-only and time-bounded before any statement runs,
    appended to options the URL already gives (a later -c wins)."""
    milliseconds = max(1, int(ctx.remaining() * 1000))
    given = url.query.get("options") or ""
    given = " ".join(given) if isinstance(given, tuple) else given
    return f"{given} -c default_transaction_read_only=on -c statement_timeout={milliseconds}".strip()


def _postgresql_first_rows(driver_connection, sql: str, max_rows: int) -> list[tuple]:
    with driver_connection.cursor() as cursor:
        # Inside a savepoint PostgreSQL refuses to make the transaction read-write, even through
        # set_config('transaction_read_only', 'off', ...) in a query. The transaction is rolled back
        # as a whole, so the savepoint is never released.
        cursor.execute("SAVEPOINT golive_user_statement")
    # A server-side cursor: DECLARE ... CURSOR FOR takes only a query, goes through the extended query
    # protocol (whose Parse message holds exactly one statement), and sends only the rows fetched.
    with driver_connection.cursor(name="golive_user_statement") as cursor:
        cursor.execute(sql)
        return [tuple(row) for row in cursor.fetchmany(max_rows)]


def _mysql_first_rows(driver_connection, sql: str, max_rows: int) -> list[tuple]:
    import pymysql.cursors

    with driver_connection.cursor() as cursor:
        # The server sends at most this many rows of a SELECT (unless it says LIMIT itself).
        cursor.execute("SET SESSION sql_select_limit = %s", (max_rows,))
    # Unbuffered, so a huge result is never held in memory; without MULTI_STATEMENTS the server
    # answers a second statement with a syntax error. No arguments: PyMySQL leaves '%' alone.
    with driver_connection.cursor(pymysql.cursors.SSCursor) as cursor:
        cursor.execute(sql)
        return [tuple(row) for row in cursor.fetchmany(max_rows)]


def _sqlite_first_rows(driver_connection, sql: str, max_rows: int) -> list[tuple]:
    cursor = driver_connection.cursor()  # sqlite3 refuses a second statement in execute()
    try:
        return [tuple(row) for row in cursor.execute(sql).fetchmany(max_rows)]
    finally:
        cursor.close()


def _denied_by_guard(connection) -> str:
    guard = connection.info.get("golive_sqlite_guard")
    if guard is None or not guard.denied:
        return ""
    return f" (the read-only session denies {', '.join(dict.fromkeys(guard.denied))})"


_FIRST_ROWS = dict(postgresql=_postgresql_first_rows, mysql=_mysql_first_rows, mariadb=_mysql_first_rows,
                   sqlite=_sqlite_first_rows)


def _read_only_sqlite(url):
    """sqlite:///path -> a read-only URI connection: the file must exist and is never written."""
    database = url.database or ""
    if database in ("", ":memory:"):
        return url
    return url.set(database="file:%s" % database).update_query_dict({"mode": "ro", "uri": "true"})


def _make_session_read_only(connection, backend, sqlalchemy, ctx):
    """Every following transaction of the session is read-only and its statements time out with the check."""
    milliseconds = max(1, int(ctx.remaining() * 1000))
    text = sqlalchemy.text
    if backend == "postgresql":
        return  # done by the connection's options (_read_only_pg_options)
    if backend in ("mysql", "mariadb"):
        connection.execute(text("SET SESSION TRANSACTION READ ONLY"))
        version = connection.execute(text("SELECT VERSION()")).scalar() or ""
        if "mariadb" in version.lower():
            connection.execute(text("SET SESSION max_statement_time = :s"), {"s": milliseconds / 1000.0})
        else:
            connection.execute(text("SET SESSION max_execution_time = :ms"), {"ms": milliseconds})
    elif backend == "sqlite":
        connection.execute(text("PRAGMA query_only = ON"))
        guard_sqlite(connection)


# What a read-only SQLite session may do: read tables, call functions, select, and the PRAGMAs that
# only describe the schema (SQLAlchemy's inspector uses them). Anything else, among them ATTACH
# (which VACUUM INTO needs), DETACH, every write and every other PRAGMA, is denied.
_SQLITE_SCHEMA_PRAGMAS = frozenset((
    "table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo", "foreign_key_list",
    "database_list", "collation_list", "function_list", "compile_options",
))


# The authorizer's action codes, by the name the error shows (sqlite3 also has result codes with the
# same numbers, so the names come from this list).
_SQLITE_ACTIONS = (
    "CREATE_INDEX", "CREATE_TABLE", "CREATE_TEMP_INDEX", "CREATE_TEMP_TABLE", "CREATE_TEMP_TRIGGER",
    "CREATE_TEMP_VIEW", "CREATE_TRIGGER", "CREATE_VIEW", "DELETE", "DROP_INDEX", "DROP_TABLE", "DROP_TEMP_INDEX",
    "DROP_TEMP_TABLE", "DROP_TEMP_TRIGGER", "DROP_TEMP_VIEW", "DROP_TRIGGER", "DROP_VIEW", "INSERT", "PRAGMA",
    "READ", "SELECT", "TRANSACTION", "UPDATE", "ATTACH", "DETACH", "ALTER_TABLE", "REINDEX", "ANALYZE",
    "CREATE_VTABLE", "DROP_VTABLE", "FUNCTION", "SAVEPOINT", "RECURSIVE",
)


class SqliteGuard(object):
    """The authorizer that keeps an sqlite3 connection read-only; remembers what it denied, for the error."""

    def __init__(self, sqlite3) -> None:
        self.sqlite3 = sqlite3
        names = ("SQLITE_READ", "SQLITE_SELECT", "SQLITE_FUNCTION", "SQLITE_RECURSIVE", "SQLITE_TRANSACTION",
                 "SQLITE_SAVEPOINT")
        self.allowed = frozenset(getattr(sqlite3, name) for name in names if hasattr(sqlite3, name))
        self.action_names = dict((getattr(sqlite3, f"SQLITE_{name}"), name) for name in _SQLITE_ACTIONS
                                 if hasattr(sqlite3, f"SQLITE_{name}"))
        self.denied: list[str] = []

    def __call__(self, action, first, second, database, trigger):
        if action in self.allowed:
            return self.sqlite3.SQLITE_OK
        if action == self.sqlite3.SQLITE_PRAGMA and (first or "").lower() in _SQLITE_SCHEMA_PRAGMAS:
            return self.sqlite3.SQLITE_OK
        name = self.action_names.get(action, str(action))
        self.denied.append(f"{name} {first}" if action == self.sqlite3.SQLITE_PRAGMA else name)
        return self.sqlite3.SQLITE_DENY


def guard_sqlite(connection) -> SqliteGuard:
    """Install the read-only authorizer on the SQLAlchemy connection's sqlite3 connection; allow no ATTACH."""
    import sqlite3

    driver_connection = connection.connection.driver_connection
    guard = SqliteGuard(sqlite3)
    driver_connection.set_authorizer(guard)
    if hasattr(driver_connection, "setlimit"):  # Python 3.11+
        driver_connection.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
    connection.info["golive_sqlite_guard"] = guard
    return guard


def first_rows(connection, statement, count: int) -> list:
    """At most ``count`` rows of ``statement``, streamed: the rest of the result set is never fetched."""
    streamed = connection.execution_options(stream_results=True, max_row_buffer=min(count, _STREAM_BATCH))
    result = streamed.execute(statement)
    try:
        return result.fetchmany(count)
    finally:
        result.close()


def fetch_rows(connection, statement, what: str, cap: int = DB_ROW_CAP) -> list:
    """The rows of ``statement``, streamed; more than ``cap`` rows is CapExceeded naming DB_ROW_CAP."""
    rows = first_rows(connection, statement, cap + 1)
    if len(rows) > cap:
        raise CapExceeded(what, cap, "DB_ROW_CAP", f"{cap} rows")
    return rows


def table_of(sqlalchemy, name, option="table"):
    """A table construct for 'name' or 'schema.name'; the library quotes both parts."""
    if not name or not str(name).strip():
        raise OptionError("%s: must not be empty" % option)
    schema, dot, table = str(name).rpartition(".")
    return sqlalchemy.table(table, schema=schema if dot else None)
