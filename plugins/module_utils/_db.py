# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-only, time-bounded SQL connections for the database check kinds (private).

Databases are addressed by SQLAlchemy URL (postgresql+psycopg://, mysql+pymysql://, sqlite:///).
Every check opens its own connection (no pool), inside a read-only transaction with a statement
timeout, and never commits. Table and column names from options are turned into SQLAlchemy
constructs, so the library quotes them; they are never formatted into SQL text.
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
            kwargs["connect_args"] = {"connect_timeout": seconds}
        elif self.backend in ("mysql", "mariadb"):
            kwargs["connect_args"] = {"connect_timeout": seconds, "read_timeout": max(1, int(ctx.remaining()))}
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
                with connection.begin() as transaction:
                    try:
                        yield connection
                    finally:
                        transaction.rollback()
        except sqlalchemy.exc.DBAPIError as exc:
            raise CheckError(said_as_timeout(self.describe_error(exc), started)) from None
        finally:
            engine.dispose()

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
        connection.execute(text("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"))
        connection.execute(text("SELECT set_config('statement_timeout', :ms, false)"), {"ms": str(milliseconds)})
    elif backend in ("mysql", "mariadb"):
        connection.execute(text("SET SESSION TRANSACTION READ ONLY"))
        version = connection.execute(text("SELECT VERSION()")).scalar() or ""
        if "mariadb" in version.lower():
            connection.execute(text("SET SESSION max_statement_time = :s"), {"s": milliseconds / 1000.0})
        else:
            connection.execute(text("SET SESSION max_execution_time = :ms"), {"ms": milliseconds})
    elif backend == "sqlite":
        connection.execute(text("PRAGMA query_only = ON"))


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
