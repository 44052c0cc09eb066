# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-only, time-bounded SQL connections for the database check kinds (private).

Databases are addressed by SQLAlchemy URL (postgresql+psycopg://, mysql+pymysql://, sqlite:///), or by the URL
of a warehouse dialect that takes the generic path of _db_generic (duckdb:///, snowflake://, redshift://,
bigquery://).
Every check opens its own connection (no pool) to a session that is read-only from its first
statement, works inside an explicitly read-only transaction with a statement timeout, and rolls it
back. Table and column names from options are turned into SQLAlchemy constructs, so the library
quotes them; they are never formatted into SQL text. SQL written by users (db_schema's
migration_query) runs through run_single_statement: one statement, by the driver's protocol (on
PostgreSQL a server-side cursor inside a savepoint of that transaction); on SQLite an authorizer
denies every write, ATTACH and PRAGMA change.

No value is read whole: every statement that reads values (capped_rows, fetch_rows and
run_single_statement) is first described, and its variable-length columns (text, bytea, JSON, blobs,
arrays...) are selected as their first DB_VALUE_CAP + 1 characters, cut by the server, so a 500 MB
value never crosses the wire. On PostgreSQL such a value comes back as its text (a JSON document or an
array as the server writes it); MySQL needs distinct column names to read a query as a subquery.
SQLite runs in this process, so its connections also refuse any value longer than SQLITE_VALUE_CAP
(SQLITE_LIMIT_LENGTH) before it is built in memory.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import time
import uuid
from typing import Any

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.golive.readiness.plugins.module_utils._caps import ByteBudget, CapExceeded
from ansible_collections.golive.readiness.plugins.module_utils._check import (
    CheckError,
    OptionError,
    format_duration,
    format_size,
    mask_url,
)
from ansible_collections.golive.readiness.plugins.module_utils._db_generic import (
    GENERIC_DIALECTS,
    InformationSchemaInspector,
    connect_arguments,
    cut_column,
    interrupted_after,
    is_generic,
    make_session_read_only,
)
from ansible_collections.golive.readiness.plugins.module_utils._net import resolve

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
# Characters (bytes for binary values) of one value the server sends: a longer value is cut to its first
# DB_VALUE_CAP + 1 by the server, which tells that it was longer. Versions, keys and timestamps are far shorter.
DB_VALUE_CAP = 65536
# SQLite builds values in this process: a connection refuses any string or blob longer than this.
SQLITE_VALUE_CAP = 16 * 1024 * 1024
# Characters of all the values of one result set streamed by fetch_rows (a migration history): DB_ROW_CAP
# rows of DB_VALUE_CAP characters each would be gigabytes.
DB_READ_CAP = 64 * 1024 * 1024

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
        raise OptionError(f"{option}: {mask_url(url)!r} is not a SQLAlchemy database URL (dialect+driver://...)")
    backend = match.group("backend").lower()
    if is_generic(backend):
        return backend, (match.group("driver") or "").lower()
    if backend not in BACKENDS:
        supported = ", ".join(BACKENDS + tuple(GENERIC_DIALECTS))
        raise OptionError(f"{option}: the {backend!r} dialect is not supported (use one of {supported})")
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
            kwargs["connect_args"] = {"connect_timeout": seconds, "options": _read_only_pg_options(url, ctx),
                                      **_resolved_host(url, self.backend, ctx.child_timeout())}
        elif self.backend in ("mysql", "mariadb"):
            kwargs["connect_args"] = {"connect_timeout": seconds, "read_timeout": max(1, int(ctx.remaining())),
                                      "client_flag": _MYSQL_CLIENT_FLAGS,
                                      **_resolved_host(url, self.backend, ctx.child_timeout())}
        elif self.backend == "sqlite":
            url = _read_only_sqlite(url)
            kwargs["connect_args"] = {"timeout": seconds}
        else:
            kwargs["connect_args"] = connect_arguments(self.backend)
        try:
            return sqlalchemy.create_engine(url, **kwargs)
        except (ImportError, sqlalchemy.exc.NoSuchModuleError) as exc:
            package = GENERIC_DIALECTS.get(self.backend) or DRIVER_PACKAGES.get(self.driver, self.driver)
            raise CheckError(f"{missing_required_lib(package)} ({exc})") from None

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
                with interrupted_after(connection, self.backend, ctx.remaining()), connection.begin() as transaction:
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

    @property
    def generic(self) -> bool:
        """Whether the dialect takes the generic path (_db_generic): DuckDB, Snowflake, Redshift, BigQuery."""
        return is_generic(self.backend)

    def require_single_statement_driver(self, option: str) -> None:
        """OptionError naming the option unless the URL's driver refuses a second statement in one call."""
        if self.generic:
            raise OptionError(f"{option}: SQL written in options is not run on the {self.backend} dialect (no driver "
                              "known here refuses a second statement in one call)")
        wanted = SINGLE_STATEMENT_DRIVERS[self.backend]
        if self.driver != wanted:
            scheme = "sqlite" if self.backend == "sqlite" else f"{self.backend}+{wanted}"
            raise OptionError(f"{option}: SQL written in options runs only through a driver that refuses a second "
                              f"statement; use a {scheme}:// URL (this one uses {self.driver})")

    def run_single_statement(self, connection, sql: str, max_rows: int) -> list[tuple]:
        """Up to max_rows rows of one user-written statement, run so that it can neither be followed by
        another statement nor make the read-only transaction writable (see the module docstring).
        A value longer than DB_VALUE_CAP is CapExceeded naming its column: a cut value would be a wrong answer."""
        sqlalchemy = load_sqlalchemy()
        self.require_single_statement_driver("statement")
        driver_connection = connection.connection.driver_connection
        dbapi_error = connection.dialect.loaded_dbapi.Error
        reader = _FIRST_ROWS[self.backend](driver_connection, _SubqueryText(sql), max_rows)
        try:
            rows = reader.read()
        except (dbapi_error, sqlalchemy.exc.DBAPIError) as exc:
            raise CheckError(self.describe_error(exc) + _denied_by_guard(connection)) from None
        return refuse_cut(rows, reader.names, "the query's result")

    def describe_error(self, exc):
        """A one-line reason without the SQL statement or parameters, with any password masked."""
        original = getattr(exc, "orig", None) or exc
        text = str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__
        if self.password:
            text = text.replace(self.password, "****")
        if self.backend == "sqlite" and "string or blob too big" in text:
            text += f" (a value is longer than SQLITE_VALUE_CAP, {format_size(SQLITE_VALUE_CAP)}: it is not read)"
        return f"{self.shown}: {mask_url(text)}"


# How drivers and servers say a connect or statement timeout (psycopg, PyMySQL, PostgreSQL, MariaDB).
_TIMEOUT_WORDS = ("timed out", "timeout", "max_statement_time", "canceling statement", "interrupted")


def said_as_timeout(reason, started):
    """A driver's or server's timeout said the way every check says it: 'timed out after 2s: ...'."""
    if any(word in reason.lower() for word in _TIMEOUT_WORDS):
        return f"timed out after {format_duration(time.monotonic() - started)}: {reason}"
    return reason


_DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "mariadb": 3306}


def _resolved_host(url, backend: str, seconds: float) -> dict[str, str]:
    """The URL's host name resolved by _net.resolve within ``seconds``: libpq and PyMySQL resolve names by
    getaddrinfo, which no connect timeout bounds, so a silent nameserver is told here, in time.

    libpq is then given the addresses (hostaddr; the name stays for TLS and messages). PyMySQL takes one host,
    which is also the name a TLS certificate is checked against: it resolves the name again itself, which a
    resolver that has just answered does at once.
    """
    host = url.host
    query = {key.lower() for key in url.query}
    if not host or host.startswith("/") or query & {"host", "hostaddr", "unix_socket"} or _is_address(host):
        return {}
    addresses = [address[3][0] for address in resolve(host, url.port or _DEFAULT_PORTS[backend], seconds)]
    if backend != "postgresql":
        return {}
    return {"host": ",".join([host] * len(addresses)), "hostaddr": ",".join(addresses)}


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _read_only_pg_options(url, ctx) -> str:
    """libpq options that make the session read-only and time-bounded before any statement runs,
    appended to options the URL already gives (a later -c wins)."""
    milliseconds = max(1, int(ctx.remaining() * 1000))
    given = url.query.get("options") or ""
    given = " ".join(given) if isinstance(given, tuple) else given
    return f"{given} -c default_transaction_read_only=on -c statement_timeout={milliseconds}".strip()


class _SubqueryText(object):
    """A user's statement as the body of a subquery: trailing semicolons dropped, on lines of its own (so
    that a trailing -- comment ends before the closing parenthesis), under an alias it cannot guess."""

    def __init__(self, sql: str) -> None:
        self.sql = sql
        body = sql.rstrip()
        while body.endswith(";"):
            body = body[:-1].rstrip()
        self.body = f"\n{body}\n"
        self.alias = f"golive_{uuid.uuid4().hex[:12]}"

    def column_names(self, count: int) -> list[str]:
        return [f"c{number}" for number in range(1, count + 1)]


class _QueryReader(object):
    """Reads the first rows of one user statement with every variable-length value cut by the server;
    ``names`` are the statement's own column names, for messages."""

    def __init__(self, driver_connection: Any, statement: _SubqueryText, max_rows: int) -> None:
        self.driver_connection = driver_connection
        self.statement = statement
        self.max_rows = max_rows
        self.names: list[str] = []

    def read(self) -> list[tuple]:
        raise NotImplementedError


# PostgreSQL types (by OID) whose text is short by construction: booleans, numbers, dates and times, uuid,
# network addresses, object references. Every other type (text, bytea, json, xml, arrays, enums and other
# types of extensions) is cut.
_PG_SHORT_TYPES = frozenset((
    16, 18, 19, 20, 21, 23, 24, 26, 27, 28, 29, 650, 700, 701, 774, 790, 829, 869, 1082, 1083, 1114, 1184, 1186,
    1266, 1700, 2202, 2203, 2204, 2205, 2206, 2950, 3220, 3734, 3769, 4089, 4096,
))
_PG_BYTEA = 17


class _PostgresqlReader(_QueryReader):
    def read(self) -> list[tuple]:
        from psycopg import sql

        with self.driver_connection.cursor() as cursor:
            # Inside a savepoint PostgreSQL refuses to make the transaction read-write, even through
            # set_config('transaction_read_only', 'off', ...) in a query. The transaction is rolled back
            # as a whole, so the savepoint is never released.
            cursor.execute("SAVEPOINT golive_user_statement")
        # A server-side cursor: DECLARE ... CURSOR FOR takes only a query, goes through the extended query
        # protocol (whose Parse message holds exactly one statement), and sends only the rows fetched.
        # Declared as written first, only to describe its columns; no row of it is fetched.
        with self.driver_connection.cursor(name="golive_user_statement") as cursor:
            cursor.execute(self.statement.sql)
            described = [(column.name, column.type_code) for column in cursor.description or ()]
        self.names = [name for name, dummy in described]
        if not described:  # SELECT without columns (PostgreSQL allows it): no value to cut
            with self.driver_connection.cursor(name="golive_capped_statement") as cursor:
                cursor.execute(self.statement.sql)
                return [tuple(row) for row in cursor.fetchmany(self.max_rows)]
        alias = sql.Identifier(self.statement.alias)
        columns = [sql.SQL(".").join([alias, sql.Identifier(name)])
                   for name in self.statement.column_names(len(described))]
        capped = sql.SQL("SELECT {} FROM ({}) AS {}({})").format(
            sql.SQL(", ").join(_pg_cut(column, type_code) for column, (dummy, type_code) in zip(columns, described)),
            sql.SQL(self.statement.body), alias,
            sql.SQL(", ").join(sql.Identifier(name) for name in self.statement.column_names(len(described))))
        with self.driver_connection.cursor(name="golive_capped_statement") as cursor:
            cursor.execute(capped)
            return [tuple(row) for row in cursor.fetchmany(self.max_rows)]


def _pg_cut(column: Any, type_code: int) -> Any:
    from psycopg import sql

    if type_code in _PG_SHORT_TYPES:
        return column
    if type_code == _PG_BYTEA:
        return sql.SQL("substr({}, 1, {})").format(column, sql.Literal(DB_VALUE_CAP + 1))
    return sql.SQL("substr({}::text, 1, {})").format(column, sql.Literal(DB_VALUE_CAP + 1))


class _DescribedBySubquery(_QueryReader):
    """MySQL and SQLite describe a statement only by running it: it is described as a subquery with
    LIMIT 0, which sends no row. A statement that cannot be a subquery (a write, ATTACH, PRAGMA...) is
    then run as written, by the single-statement protocol, so that its refusal says why as before."""

    def read(self) -> list[tuple]:
        try:
            described = self.describe(f"SELECT * FROM ({self.statement.body}) AS {self.statement.alias} LIMIT 0")
        except Exception as wrapped_error:
            self.raise_refusal_of_statement(wrapped_error)
            raise
        self.names = [column[0] for column in described]
        return self.fetch(self.capped_query(described))

    def describe(self, query: str) -> list[tuple]:
        cursor = self.driver_connection.cursor()
        try:
            cursor.execute(query)
            return list(cursor.description or ())
        finally:
            cursor.close()

    def capped_query(self, described: list[tuple]) -> str:
        names = self.statement.column_names(len(described))
        cut = ", ".join(self.cut(name, column[1]) for name, column in zip(names, described))
        return (f"WITH {self.statement.alias}({', '.join(names)}) AS ({self.statement.body}) "
                f"SELECT {cut} FROM {self.statement.alias}")

    def cut(self, name: str, type_code: Any) -> str:
        raise NotImplementedError

    def fetch(self, query: str) -> list[tuple]:
        raise NotImplementedError

    def raise_refusal_of_statement(self, wrapped_error: Exception) -> None:
        raise NotImplementedError


# MySQL field types that carry text or bytes of any length (VARCHAR, JSON, the BLOB/TEXT family,
# VAR_STRING, STRING, GEOMETRY); numbers, dates, BIT, ENUM and SET are short by construction.
_MYSQL_LONG_TYPES = frozenset((15, 245, 249, 250, 251, 252, 253, 254, 255))


class _MysqlReader(_DescribedBySubquery):
    def read(self) -> list[tuple]:
        with self.driver_connection.cursor() as cursor:
            # The server sends at most this many rows of a SELECT (unless it says LIMIT itself).
            cursor.execute("SET SESSION sql_select_limit = %s", (self.max_rows,))
        return super().read()

    def cut(self, name: str, type_code: Any) -> str:
        return f"SUBSTR({name}, 1, {DB_VALUE_CAP + 1})" if type_code in _MYSQL_LONG_TYPES else name

    def fetch(self, query: str) -> list[tuple]:
        import pymysql.cursors

        # Unbuffered, so a huge result is never held in memory; without MULTI_STATEMENTS the server
        # answers a second statement with a syntax error. No arguments: PyMySQL leaves '%' alone.
        with self.driver_connection.cursor(pymysql.cursors.SSCursor) as cursor:
            cursor.execute(query)
            return [tuple(row) for row in cursor.fetchmany(self.max_rows)]

    def raise_refusal_of_statement(self, wrapped_error: Exception) -> None:
        import pymysql.cursors

        with self.driver_connection.cursor() as cursor:
            cursor.execute("SET SESSION sql_select_limit = 0")  # should it be a query after all, send no row
        with self.driver_connection.cursor(pymysql.cursors.SSCursor) as cursor:
            cursor.execute(self.statement.sql)


class _SqliteReader(_DescribedBySubquery):
    def cut(self, name: str, type_code: Any) -> str:
        # SQLite has no column types: the storage class of each value decides.
        return (f"CASE WHEN typeof({name}) IN ('text', 'blob') THEN substr({name}, 1, {DB_VALUE_CAP + 1}) "
                f"ELSE {name} END")

    def fetch(self, query: str) -> list[tuple]:
        cursor = self.driver_connection.cursor()  # sqlite3 refuses a second statement in execute()
        try:
            return [tuple(row) for row in cursor.execute(query).fetchmany(self.max_rows)]
        finally:
            cursor.close()

    def raise_refusal_of_statement(self, wrapped_error: Exception) -> None:
        cursor = self.driver_connection.cursor()
        try:
            cursor.execute(self.statement.sql)
        finally:
            cursor.close()


def _denied_by_guard(connection) -> str:
    guard = connection.info.get("golive_sqlite_guard")
    if guard is None or not guard.denied:
        return ""
    return f" (the read-only session denies {', '.join(dict.fromkeys(guard.denied))})"


_FIRST_ROWS = dict(postgresql=_PostgresqlReader, mysql=_MysqlReader, mariadb=_MysqlReader, sqlite=_SqliteReader)


def _read_only_sqlite(url):
    """sqlite:///path -> a read-only URI connection: the file must exist and is never written."""
    database = url.database or ""
    if database in ("", ":memory:"):
        return url
    return url.set(database=f"file:{database}").update_query_dict({"mode": "ro", "uri": "true"})


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
    else:
        make_session_read_only(connection, sqlalchemy, backend)


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
        driver_connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, SQLITE_VALUE_CAP)
    connection.info["golive_sqlite_guard"] = guard
    return guard


def is_cut(value: Any) -> bool:
    """Whether a value read through a capped statement came back cut by the server (it is one longer than the cap)."""
    return isinstance(value, (str, bytes, bytearray, memoryview)) and len(value) > DB_VALUE_CAP


def refuse_cut(rows: list, names: list[str], what: str) -> list:
    """The rows, unless a value in them was cut: then CapExceeded naming its column and DB_VALUE_CAP."""
    for row in rows:
        for index, value in enumerate(row):
            if is_cut(value):
                column = names[index] if index < len(names) else f"#{index + 1}"
                raise CapExceeded(f"a value in column {column} of {what}", DB_VALUE_CAP, "DB_VALUE_CAP",
                                  f"{DB_VALUE_CAP} characters")
    return rows


def _cut_column(sqlalchemy, backend: str, column, type_code: Any):
    """``column`` as the server should send it: its first DB_VALUE_CAP + 1 characters when its type can be long."""
    length = DB_VALUE_CAP + 1
    if backend == "postgresql":
        if type_code in _PG_SHORT_TYPES:
            return column
        if type_code == _PG_BYTEA:
            return sqlalchemy.func.substr(column, 1, length)
        return sqlalchemy.func.substr(sqlalchemy.cast(column, sqlalchemy.Text), 1, length)
    if backend == "sqlite":
        long_value = sqlalchemy.func.typeof(column).in_(["text", "blob"])
        return sqlalchemy.case((long_value, sqlalchemy.func.substr(column, 1, length)), else_=column)
    if is_generic(backend):
        return cut_column(sqlalchemy, column, type_code, length)
    return sqlalchemy.func.substr(column, 1, length) if type_code in _MYSQL_LONG_TYPES else column


def capped_statement(connection, statement):
    """``statement`` (a SELECT construct) with each column whose type can be long cut by the server to
    DB_VALUE_CAP + 1 characters (see is_cut). Its columns are described first by the same SELECT with LIMIT 0;
    WHERE, GROUP BY and ORDER BY still see the whole values. A DISTINCT statement cannot be capped (PostgreSQL
    orders only by selected values): group by its columns instead."""
    sqlalchemy = load_sqlalchemy()
    if statement._distinct:  # pylint: disable=protected-access
        raise ValueError("capped_statement: use GROUP BY instead of DISTINCT")
    described = connection.execute(statement.limit(0))
    try:
        type_codes = [column[1] for column in described.cursor.description]
    finally:
        described.close()
    backend = connection.dialect.name
    columns = [_cut_column(sqlalchemy, backend, column, type_code).label(f"golive_value_{index}")
               for index, (column, type_code) in enumerate(zip(statement.selected_columns, type_codes))]
    return statement.with_only_columns(*columns, maintain_column_froms=True)


def capped_rows(connection, statement, count: int, budget: ByteBudget | None = None) -> list:
    """At most ``count`` rows of ``statement``, streamed (the rest of the result set is never fetched), with
    every long value cut by the server (is_cut tells which); the length of every value read is charged to
    ``budget``, if given, as the rows arrive."""
    capped = capped_statement(connection, statement)
    streamed = connection.execution_options(stream_results=True, max_row_buffer=min(count, _STREAM_BATCH))
    result = streamed.execute(capped)
    rows: list[tuple] = []
    try:
        while len(rows) < count:
            batch = result.fetchmany(min(_STREAM_BATCH, count - len(rows)))
            if not batch:
                break
            for row in batch:
                if budget is not None:
                    budget.charge(sum(len(value) for value in row if isinstance(value, (str, bytes))))
                rows.append(tuple(row))
        return rows
    finally:
        result.close()


def fetch_rows(connection, statement, what: str, cap: int = DB_ROW_CAP) -> list:
    """The rows of ``statement``, streamed; more than ``cap`` rows is CapExceeded naming DB_ROW_CAP, more than
    DB_READ_CAP characters in all is CapExceeded naming DB_READ_CAP, a value longer than DB_VALUE_CAP is
    CapExceeded naming its column and DB_VALUE_CAP."""
    rows = capped_rows(connection, statement, cap + 1, ByteBudget(DB_READ_CAP, "DB_READ_CAP", what))
    if len(rows) > cap:
        raise CapExceeded(what, cap, "DB_ROW_CAP", f"{cap} rows")
    return refuse_cut(rows, [column.name for column in statement.selected_columns], what)


def inspector_of(connection, sqlalchemy):
    """SQLAlchemy's inspector of the connection, or for a generic dialect the same lookups in information_schema."""
    if is_generic(connection.dialect.name):
        return InformationSchemaInspector(connection, sqlalchemy)
    return sqlalchemy.inspect(connection)


def table_of(sqlalchemy, name, option="table"):
    """A table construct for 'name' or 'schema.name'; the library quotes both parts."""
    if not name or not str(name).strip():
        raise OptionError(f"{option}: must not be empty")
    schema, dot, table = str(name).rpartition(".")
    return sqlalchemy.table(table, schema=schema if dot else None)
