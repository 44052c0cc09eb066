# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check kind backup_restore: a restore drill of the newest PostgreSQL dump into a scratch database (private).

The only kind that writes, and only to a database it creates for the drill and always drops again:
the newest dump matching a glob is restored (archives with ``pg_restore``, plain SQL with ``psql`` in
one transaction that stops at the first error) into a new database on the admin connection's server,
the rows of the named tables are counted there and in the source (read-only) and compared within a
tolerance, and the restore's duration is graded as evidence for the recovery-time objective.

Safety: the source database is only ever read, through a read-only session; the restore tools are
given the scratch database alone. A scratch name equal to the source's or the admin connection's
database is refused, as is one that already exists: the drill drops only what it created. A pg_dumpall
cluster dump is refused (its roles are cluster-wide), and psql is killed, not given a clean end of input
(which would commit its transaction), at a line switching databases. The drop
runs in a ``finally`` block, also after a failed or timed-out restore, with a fixed reserve of the check's time
kept for it (and a floor when that is spent): other sessions in it are ended first, and it is tried again
until it is gone or the time is up, when the result says to drop it by hand, naming it.
"""

from __future__ import annotations

import collections
import math
import os
import re
import subprocess
import tempfile
import threading
import time
import uuid
from urllib.parse import parse_qsl, unquote, urlsplit

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.golive.readiness.plugins.module_utils._check import (
    CheckError,
    Evaluation,
    OptionError,
    format_duration,
    format_number,
    format_percent,
    format_size,
    limit_from_options,
    mask_url,
    parse_count,
    parse_duration,
    parse_percent,
)
from ansible_collections.golive.readiness.plugins.module_utils._checks.backup_freshness import (
    OutOfTime,
    backup_files,
    close_data,
    compression_of,
    find_binary,
    first_error,
    is_tar,
    open_data,
    sniff,
    sql_trailer_problem,
)
from ansible_collections.golive.readiness.plugins.module_utils._checks.db_row_counts import exact_count
from ansible_collections.golive.readiness.plugins.module_utils._db import (
    DRIVER_PACKAGES,
    Database,
    backend_of,
    load_sqlalchemy,
    said_as_timeout,
)
from ansible_collections.golive.readiness.plugins.module_utils._db_data import (
    DataSession,
    check_table_name,
    inspected,
    require_table,
    split_name,
)
from ansible_collections.golive.readiness.plugins.module_utils._processes import (
    end_child,
    kill_process_group,
    on_interrupt,
    signal_group,
    start_child,
)

KIND = "backup_restore"
SECTION = "backup"
SEVERITY = "high"
# A drill restores a whole dump, minutes of work: it runs once even when the call waits for checks (wait).
RERUN_WHILE_WAITING = False
VARIABLES = {"golive_restore_drills": "backup"}
FORMATS = ("auto", "custom", "plain")
OPTIONS = dict(
    path=dict(type="path", required=True),
    format=dict(type="str", choices=list(FORMATS), default="auto"),
    source_url=dict(type="str", required=True),
    source_password=dict(type="str", no_log=True),
    admin_url=dict(type="str", required=True),
    admin_password=dict(type="str", no_log=True),
    scratch_database=dict(type="str"),
    tables=dict(type="list", elements="str", default=[]),
    tolerance=dict(type="raw"),
    duration_warn_above=dict(type="str"),
    duration_fail_above=dict(type="str"),
    jobs=dict(type="int", default=1),
    bin_dir=dict(type="path"),
    connect_timeout=dict(type="raw"),
)

SCRATCH_PREFIX = "golive_restore_"
_SCRATCH_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_PG_CUSTOM_MAGIC = b"PGDMP"
# The header pg_dumpall writes (also with --globals-only, which has no \connect line to refuse).
_CLUSTER_DUMP = b"-- PostgreSQL database cluster dump"
# libpq settings an admin URL may carry in its query, and the environment variables that pass them on.
_LIBPQ_ENV = {
    "host": "PGHOST", "port": "PGPORT", "sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY", "sslcrl": "PGSSLCRL", "gssencmode": "PGGSSENCMODE",
    "options": "PGOPTIONS", "target_session_attrs": "PGTARGETSESSIONATTRS", "connect_timeout": "PGCONNECT_TIMEOUT",
    "application_name": "PGAPPNAME",
}
# psql commands that would leave the scratch database (pg_dump --create, pg_dumpall write them).
_SWITCHES_DATABASE = re.compile(rb"^\\(?:c|connect)(?:\s|$)")
# Outside COPY data, pg_dump writes no psql meta-command but these (newer releases guard the dump with them).
_PG_DUMP_META = re.compile(rb"^\\(?:restrict|unrestrict)\s")
# psql meta-commands that run a shell command, read or write a file, or run query results as SQL. psql
# honours them after a statement on the same line too, so a tampered dump is refused on any such word
# outside COPY data. Regular-expression escapes in SQL strings ('\w+', '\s') are not followed by a
# space, so they do not count; a string that still looks like a command makes the drill refuse the dump
# (safe, and said in the result).
_HOST_META = re.compile(rb"(?:^|[\s;])\\(?:!|(?:o|out|w|write|copy|g\w*|i|ir|include\w*|cd|setenv|lo_\w+|s)"
                        rb"(?=\s|$))")
_COPY_FROM_STDIN = re.compile(rb"^COPY\b.*\bFROM stdin;\s*$")
_END_OF_COPY = b"\\."
_CHUNK = 1024 * 1024
# A plain dump's completion trailer is looked for in its last lines.
_TAIL_LINES = 32
# Seconds kept back from the restore for dropping the scratch database (at most half of the check's time).
# A loaded server (load 20 on 2 cores) needs seconds to connect, end the restore's backends and drop.
_DROP_RESERVE = 15.0
# The least time a drop is given, even when the check's own time is spent.
_DROP_FLOOR = 10.0
_DROP_CONNECT_TIMEOUT = 5
# Pause between drop attempts (a backend being terminated, a timed-out statement).
_DROP_RETRY_PAUSE = 0.25


def describe(item):
    return item["path"], "Restore drill of {}".format(item["path"])


# --- options ------------------------------------------------------------------------------------

def database_name(url):
    """The database a SQLAlchemy URL names ('' when none)."""
    return unquote(urlsplit(url).path.lstrip("/"))


def _postgresql_url(item, option):
    url = item.get(option)
    backend = backend_of(url, option)[0]
    if backend != "postgresql":
        raise OptionError(f"{option}: the restore drill works with PostgreSQL only, not {backend}")
    if not database_name(url):
        raise OptionError(f"{option}: {mask_url(url)!r} names no database")
    return url


def _check_admin_query(url):
    for key in (pair[0] for pair in parse_qsl(urlsplit(url).query)):
        if key not in _LIBPQ_ENV:
            raise OptionError("admin_url: the query parameter {!r} cannot be passed on to pg_restore and psql "
                              "(supported: {})".format(key, ", ".join(sorted(_LIBPQ_ENV))))


def _scratch_name(item, source_url, admin_url):
    name = item.get("scratch_database")
    if name is None:
        return None
    if not _SCRATCH_NAME.match(name):
        raise OptionError(f"scratch_database: {name!r} is not a plain name (letters, digits and underscores, "
                          "not starting with a digit, at most 63 characters)")
    for option, url in (("source_url", source_url), ("admin_url", admin_url)):
        if name == database_name(url):
            raise OptionError(f"scratch_database: {name!r} is the database of {option}; refusing to restore into it")
    return name


def _tolerance(value):
    """('percent', p) or ('rows', n); exact (0 rows) when not set."""
    if value is None:
        return "rows", 0
    if isinstance(value, str) and value.strip().endswith("%"):
        return "percent", parse_percent(value, "tolerance")
    return "rows", parse_count(value, "tolerance")


def _tables(item):
    tables = []
    for name in item.get("tables") or []:
        check_table_name(name, "tables")
        if name not in tables:
            tables.append(name)
    return tables


def prepare(item):
    if not os.path.isabs(item["path"]):
        raise OptionError("path: {!r} must be absolute".format(item["path"]))
    source_url = _postgresql_url(item, "source_url")
    admin_url = _postgresql_url(item, "admin_url")
    _check_admin_query(admin_url)
    if item.get("bin_dir") is not None and not os.path.isabs(item["bin_dir"]):
        raise OptionError("bin_dir: {!r} must be absolute".format(item["bin_dir"]))
    jobs = 1 if item.get("jobs") is None else item["jobs"]
    if jobs < 1:
        raise OptionError(f"jobs: must be at least 1, got {jobs}")
    dump_format = item["format"]
    if dump_format not in FORMATS:
        raise OptionError("format: {!r} is not one of {}".format(dump_format, ", ".join(FORMATS)))
    source = Database(dict(url=source_url, password=item.get("source_password"),
                           connect_timeout=item.get("connect_timeout")))
    return dict(
        path=item["path"], format=dump_format, source=source, admin_url=admin_url,
        admin_password=item.get("admin_password"), connect_timeout=source.connect_timeout,
        scratch=_scratch_name(item, source_url, admin_url), tables=_tables(item),
        tolerance=_tolerance(item.get("tolerance")),
        duration=limit_from_options(item, "duration", "above", parse_duration, format_duration),
        jobs=jobs, bin_dir=item.get("bin_dir"),
    )


# --- time ---------------------------------------------------------------------------------------

def drop_seconds(ctx) -> float:
    """Seconds the drop may take: what is left of the check's time (the reserve kept for it), and never less
    than a floor, so a check whose time ran out (or a module being stopped) still drops what it created."""
    return max(_DROP_FLOOR, ctx.remaining())


def drop_limits(seconds: float) -> tuple[int, int]:
    """(connect seconds, statement ms) of one drop attempt that has ``seconds`` left."""
    left = max(1.0, seconds)
    connect = max(1, min(_DROP_CONNECT_TIMEOUT, int(left / 3)))
    return connect, int(max(1.0, left - connect) * 1000)


class Reserved(object):
    """The check's context with time held back for dropping the scratch database: a fixed reserve (what a drop
    needs on a loaded server), not a share of the timeout, but at most half of the check's time."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.reserve = min(_DROP_RESERVE, ctx.remaining() / 2)

    def remaining(self):
        return max(0.05, self.ctx.remaining() - self.reserve)

    def child_timeout(self):
        return self.remaining()


# --- the dump -----------------------------------------------------------------------------------

class Dump(object):
    """The dump to restore: where, how it is read (pg_restore or psql), and through what decompression."""

    def __init__(self, path, st, tool, compression):
        self.path = path
        self.st = st
        self.tool = tool
        self.compression = compression

    @property
    def format(self):
        kind = "archive" if self.tool == "pg_restore" else "plain"
        return kind if self.compression is None else f"{kind}+{self.compression}"


def _inner_head(path, compression):
    stream = open_data(path, compression)
    try:
        return stream.read(512)
    except Exception:  # pylint: disable=broad-except
        return b""  # the restore itself reports the broken compression
    finally:
        close_data(stream)


def choose_dump(plan):
    """The newest matching file and how to restore it; None when nothing matches."""
    found = backup_files(plan["path"])
    if not found:
        return None
    path, st = found[-1]
    head = sniff(path)
    compression = compression_of(head)
    inner = _inner_head(path, compression) if compression else head
    is_archive = inner.startswith(_PG_CUSTOM_MAGIC) or is_tar(inner)
    if plan["format"] == "custom" and not is_archive:
        raise _NotRestorable(f"{os.path.basename(path)} is not a pg_dump archive (custom or tar format)")
    if plan["format"] == "plain" and is_archive:
        raise _NotRestorable(f"{os.path.basename(path)} is a pg_dump archive, not a plain SQL dump (format: plain)")
    if not is_archive and _CLUSTER_DUMP in inner:
        raise _NotRestorable(f"{os.path.basename(path)} is a pg_dumpall cluster dump: refusing to restore it, "
                             "its roles, tablespaces and databases are cluster-wide, outside the scratch database")
    return Dump(path, st, "pg_restore" if is_archive else "psql", compression)


class _NotRestorable(Exception):
    """The dump cannot be restored as asked: a failed drill."""


# --- source and scratch databases ---------------------------------------------------------------

def count_source(plan, ctx):
    """{table: rows} of the source, through a read-only session; CheckError when a table is missing."""
    def work(connection, sqlalchemy):
        counts = {}
        for table in plan["tables"]:
            require_table(connection, sqlalchemy, plan["source"], table)
            counts[table] = exact_count(connection, sqlalchemy, table)
        return counts

    return DataSession(plan["source"]).run(ctx, work) if plan["tables"] else {}


def scratch_database(sqlalchemy, plan, name):
    """A Database (read-only sessions) for the scratch database, as the admin user."""
    url = sqlalchemy.engine.make_url(plan["admin_url"]).set(database=name)
    return Database(dict(url=url.render_as_string(hide_password=False), password=plan["admin_password"],
                         connect_timeout=plan["connect_timeout"]))


def count_restored(plan, scratch, ctx):
    """{table: rows or None when the restore did not create it} in the scratch database."""
    def work(connection, sqlalchemy):
        counts = {}
        for table in plan["tables"]:
            schema, bare = split_name(table)
            present = inspected(connection, sqlalchemy,
                                lambda inspector, s=schema, b=bare: inspector.has_table(b, schema=s), failed=False)
            counts[table] = exact_count(connection, sqlalchemy, table) if present else None
        return counts

    return DataSession(scratch).run(ctx, work) if plan["tables"] else {}


class Admin(object):
    """Autocommit sessions on the admin URL: does a database exist, create it, drop it."""

    def __init__(self, plan, sqlalchemy):
        self.plan = plan
        self.sqlalchemy = sqlalchemy
        self.database = Database(dict(url=plan["admin_url"], password=plan["admin_password"]))

    def _engine(self, connect_seconds):
        sqlalchemy = self.sqlalchemy
        url = sqlalchemy.engine.make_url(self.plan["admin_url"])
        if self.plan["admin_password"] is not None:
            url = url.set(password=self.plan["admin_password"])
        try:
            return sqlalchemy.create_engine(url, poolclass=sqlalchemy.pool.NullPool, isolation_level="AUTOCOMMIT",
                                            connect_args={"connect_timeout": max(1, int(connect_seconds))})
        except (ImportError, sqlalchemy.exc.NoSuchModuleError) as exc:
            package = DRIVER_PACKAGES.get(self.database.driver, self.database.driver)
            raise CheckError(f"{missing_required_lib(package)} ({exc})") from None

    def session(self, connect_seconds, statement_ms, work):
        """work(connection) in an autocommit session whose statements time out; DB errors become CheckError."""
        sqlalchemy = self.sqlalchemy
        started = time.monotonic()
        engine = self._engine(connect_seconds)
        try:
            with engine.connect() as connection:
                connection.execute(sqlalchemy.text("SELECT set_config('statement_timeout', :ms, false)"),
                                   {"ms": str(max(1, int(statement_ms)))})
                return work(connection)
        except sqlalchemy.exc.DBAPIError as exc:
            raise CheckError(said_as_timeout(self.database.describe_error(exc), started)) from None
        finally:
            engine.dispose()

    def exists(self, connection, name):
        statement = self.sqlalchemy.text("SELECT 1 FROM pg_catalog.pg_database WHERE datname = :name")
        return connection.execute(statement, {"name": name}).scalar() is not None

    @staticmethod
    def quoted(connection, name):
        """The name as an SQL identifier, quoted by the dialect (CREATE/DROP DATABASE take no parameters)."""
        return connection.dialect.identifier_preparer.quote_identifier(name)

    def create(self, name, ctx):
        """Create the scratch database; CheckError (nothing created) when it exists already."""
        def work(connection):
            if self.exists(connection, name):
                raise CheckError(f"scratch database {name!r} already exists on {self.database.shown}; "
                                 "refusing to use it (the drill only drops databases it created)")
            statement = f"CREATE DATABASE {self.quoted(connection, name)} TEMPLATE template0"
            connection.execute(self.sqlalchemy.text(statement))

        remaining = ctx.remaining()
        self.session(min(remaining, self.plan["connect_timeout"] or remaining), remaining * 1000, work)

    def _end_other_sessions(self, connection, name: str) -> None:
        connection.execute(self.sqlalchemy.text(
            "SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity "
            "WHERE datname = :name AND pid <> pg_catalog.pg_backend_pid()"), {"name": name})

    def _drop_once(self, name: str, seconds: float) -> bool:
        """One attempt: end the sessions still in the database, drop it; True when it is gone."""
        def work(connection):
            quoted = self.quoted(connection, name)
            self._end_other_sessions(connection, name)
            force = " WITH (FORCE)" if connection.dialect.server_version_info >= (13,) else ""
            connection.execute(self.sqlalchemy.text(f"DROP DATABASE IF EXISTS {quoted}{force}"))
            return not self.exists(connection, name)

        return self.session(*drop_limits(seconds), work)

    def drop(self, name: str, seconds: float) -> bool:
        """Drop the scratch database, trying again within ``seconds``; CheckError naming it when it is still there."""
        ends = time.monotonic() + seconds
        problem = "it still exists"
        while True:
            try:
                if self._drop_once(name, ends - time.monotonic()):
                    return True
            except CheckError as exc:
                problem = str(exc)
            if ends - time.monotonic() <= _DROP_RETRY_PAUSE + 1.0:
                raise CheckError(f"the scratch database {name} could not be dropped, drop it by hand: {problem}")
            time.sleep(_DROP_RETRY_PAUSE)


# --- the restore --------------------------------------------------------------------------------

def libpq_environment(plan, sqlalchemy, name):
    """The restore tools' environment: the admin connection's settings for the scratch database, and no
    PG* variable inherited from the module's environment (PGDATABASE could name the source)."""
    url = sqlalchemy.engine.make_url(plan["admin_url"])
    env = dict((key, value) for key, value in os.environ.items() if not key.startswith("PG"))
    if url.host:
        env["PGHOST"] = url.host
    if url.port:
        env["PGPORT"] = str(url.port)
    if url.username:
        env["PGUSER"] = url.username
    password = plan["admin_password"] if plan["admin_password"] is not None else url.password
    if password is not None:
        env["PGPASSWORD"] = str(password)
    for key, value in url.query.items():
        env[_LIBPQ_ENV[key]] = value if isinstance(value, str) else value[-1]
    env["PGAPPNAME"] = "golive_restore"
    env["PGDATABASE"] = name
    if plan["connect_timeout"] and "PGCONNECT_TIMEOUT" not in env:
        env["PGCONNECT_TIMEOUT"] = str(max(2, int(plan["connect_timeout"])))
    return env


def restore_command(plan, dump, binary, name):
    """argv of the restore. The database is given as a conninfo keyword, never as a bare name that a
    tool could read as a connection string."""
    conninfo = f"dbname={name}"  # a plain name (see _SCRATCH_NAME): nothing to escape
    if dump.tool == "pg_restore":
        argv = [binary, f"--dbname={conninfo}", "--no-owner", "--no-privileges", "--exit-on-error"]
        if dump.compression is None:
            if plan["jobs"] > 1:
                argv.append(f"--jobs={plan['jobs']}")
            argv.append(dump.path)
        return argv
    return [binary, "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--single-transaction",
            f"--dbname={conninfo}", "--file=-"]


def unexpected_meta_command(line):
    """Whether a line of a plain dump (outside COPY data) holds a psql meta-command pg_dump does not write."""
    stripped = line.lstrip()
    if stripped.startswith(b"\\") and not _PG_DUMP_META.match(stripped):
        return True
    return bool(_HOST_META.search(line))


class Feeder(threading.Thread):
    """Writes the dump (decompressed) to the restore tool's stdin. For psql, it stops at a line that would
    switch databases (the restore is then refused) and keeps the end of the text, to check that the dump
    is complete."""

    def __init__(self, dump, proc):
        super(Feeder, self).__init__(daemon=True)
        self.dump = dump
        self.proc = proc
        self.refused = None
        self.unsafe = None
        self.broken = None
        self.last_lines = collections.deque(maxlen=_TAIL_LINES)

    def _chunks(self, stream):
        if self.dump.tool != "psql":
            while True:
                chunk = stream.read(_CHUNK)
                if not chunk:
                    return
                yield chunk
        in_copy = False
        for line in stream:
            if in_copy:
                in_copy = line.rstrip(b"\r\n") != _END_OF_COPY
            elif _SWITCHES_DATABASE.match(line):
                self.refused = line.strip()[:80].decode("utf-8", "replace")
                return
            elif unexpected_meta_command(line):
                self.unsafe = line.strip()[:80].decode("utf-8", "replace")
                return
            else:
                in_copy = bool(_COPY_FROM_STDIN.match(line))
            self.last_lines.append(line)
            yield line

    def run(self):
        try:
            stream = open_data(self.dump.path, self.dump.compression)
        except CheckError as exc:
            self.broken = str(exc)
            stream = None
        try:
            if stream is not None:
                for chunk in self._chunks(stream):
                    self.proc.stdin.write(chunk)
        except (BrokenPipeError, ValueError):
            pass  # the tool stopped reading: it failed or was killed, which its exit status says
        except Exception as exc:  # pylint: disable=broad-except
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc or type(exc).__name__
            self.broken = f"cannot read the dump: {reason}"
        finally:
            if stream is not None:
                close_data(stream)
            if self.refused or self.unsafe or self.broken:
                self._abort()
            try:
                self.proc.stdin.close()
            except (BrokenPipeError, OSError):
                pass

    def _abort(self):
        """Kill the tool before its stdin ends: at a clean end of input psql would COMMIT its single transaction,
        keeping what the dump did before the refused line (roles of a pg_dumpall are cluster-wide)."""
        signal_group(self.proc)


class Restored(object):
    def __init__(self, rc, seconds, errors, problem=None):
        self.rc = rc
        self.seconds = seconds
        self.errors = errors
        self.problem = problem


def restore(plan, dump, binary, name, env, budget):
    """Run the restore into the scratch database within ``budget`` seconds; OutOfTime when it takes longer
    (its process group is killed)."""
    argv = restore_command(plan, dump, binary, name)
    fed = dump.tool == "psql" or dump.compression is not None
    with tempfile.TemporaryFile() as errors:
        started = time.monotonic()
        try:
            proc = start_child(argv, cwd="/", env=env, stdin=subprocess.PIPE if fed else subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=errors)
        except OSError as exc:
            raise CheckError(f"cannot execute {binary}: {exc.strerror or exc}") from None
        feeder = Feeder(dump, proc) if fed else None
        if feeder:
            feeder.start()
        try:
            rc = proc.wait(timeout=budget)
        except subprocess.TimeoutExpired:
            kill_process_group(proc)
            raise OutOfTime() from None
        finally:
            if feeder:
                feeder.join(5)
            end_child(proc)
        seconds = time.monotonic() - started
        errors.seek(0)
        text = errors.read().decode("utf-8", "replace")
    problem = None
    if feeder and feeder.refused:
        problem = (f"the dump switches databases ({feeder.refused}; made with pg_dump --create or pg_dumpall): "
                   "refusing to restore it, it would write outside the scratch database")
    elif feeder and feeder.unsafe:
        problem = ("the dump holds a psql command that could run programs or touch files on this host "
                   f"({feeder.unsafe}): refusing to restore it")
    elif feeder and feeder.broken:
        problem = feeder.broken
    elif feeder and dump.tool == "psql" and rc == 0:
        trailer = sql_trailer_problem(b"".join(feeder.last_lines))
        problem = f"the SQL dump {trailer}" if trailer else None
    return Restored(rc, seconds, first_error(text), problem)


# --- grading ------------------------------------------------------------------------------------

def allowed_difference(plan, source_rows):
    unit, value = plan["tolerance"]
    return math.floor(source_rows * value / 100.0) if unit == "percent" else value


def _tolerance_text(plan):
    unit, value = plan["tolerance"]
    if unit == "percent":
        return format_percent(value)
    return "exact" if value == 0 else f"{format_number(value)} rows"


def compare_tables(ev, plan, source, restored):
    rows = []
    for table in plan["tables"]:
        entry = dict(table=table, source=source[table], restored=restored.get(table))
        if entry["restored"] is None:
            rows.append(entry)
            ev.finding("fail", f"table {table} is missing from the restored database")
            continue
        entry["difference"] = entry["restored"] - entry["source"]
        rows.append(entry)
        allowed = allowed_difference(plan, entry["source"])
        if abs(entry["difference"]) > allowed:
            ev.finding("fail", f"{table}: {entry['restored']} rows restored, {entry['source']} in the source "
                       f"(difference {entry['difference']:+d}, tolerance {_tolerance_text(plan)})")
    if plan["tables"]:
        ev.observe("tables", rows)
        ev.expect("tolerance", _tolerance_text(plan))
        counts = ", ".join(f"{r['table']} {'-' if r['restored'] is None else r['restored']}/{r['source']}"
                           for r in rows)
        matching = "1 table matches" if len(rows) == 1 else f"{len(rows)} tables match"
        ev.note(f"{matching} the source ({_tolerance_text(plan)}): {counts}")


def _observe_dump(ev, plan, dump, name):
    ev.observe("dump", dump.path)
    ev.observe("dump_format", dump.format)
    ev.observe("dump_size", dump.st.st_size, "bytes")
    ev.observe("dump_age_seconds", round(time.time() - dump.st.st_mtime, 1), "seconds")
    ev.observe("source", plan["source"].shown)
    ev.observe("admin", mask_url(plan["admin_url"]))
    ev.observe("scratch_database", name)


def _judge_restore(ev, plan, dump, done):
    ev.observe("restore_exit_code", done.rc)
    if done.problem:
        ev.finding("fail", f"restore of {os.path.basename(dump.path)} failed: {done.problem}")
        return False
    if done.rc != 0:
        tool = "pg_restore" if dump.tool == "pg_restore" else "psql"
        if "connection to server" in done.errors or "could not connect" in done.errors:
            ev.finding("error", f"{tool} could not connect to the scratch database: {done.errors}")
        else:
            ev.finding("fail", f"restore of {os.path.basename(dump.path)} failed ({tool} exit {done.rc}): "
                               f"{done.errors}")
        return False
    ev.note(f"restored {os.path.basename(dump.path)} ({format_size(dump.st.st_size)})")
    ev.measure("restore_seconds", round(done.seconds, 3), plan["duration"], label="restore took",
               formatter=format_duration)
    return True


def _drill(ev, plan, dump, name, ctx, sqlalchemy):
    """Everything between creating and dropping the scratch database."""
    binary = find_binary(dump.tool, plan["bin_dir"])
    env = libpq_environment(plan, sqlalchemy, name)
    budget = ctx.child_timeout()
    try:
        done = restore(plan, dump, binary, name, env, budget)
    except OutOfTime:
        ev.finding("error", f"the restore did not finish within the time left ({format_duration(budget)}) and was "
                            "stopped; give the check a longer timeout (and the call a longer deadline)")
        return None
    if not _judge_restore(ev, plan, dump, done):
        return None
    return count_restored(plan, scratch_database(sqlalchemy, plan, name), ctx)


def run(plan, ctx):
    ev = Evaluation()
    try:
        dump = choose_dump(plan)
    except _NotRestorable as exc:
        ev.finding("fail", str(exc))
        return ev.outcome()
    if dump is None:
        ev.finding("fail", "no dump matches {}".format(plan["path"]))
        return ev.outcome()
    find_binary(dump.tool, plan["bin_dir"])  # a missing tool is an error before anything is created
    sqlalchemy = load_sqlalchemy()
    reserved = Reserved(ctx)
    name = plan["scratch"] or f"{SCRATCH_PREFIX}{uuid.uuid4().hex[:12]}"
    _observe_dump(ev, plan, dump, name)
    source = count_source(plan, reserved)
    admin = Admin(plan, sqlalchemy)
    # Registered before the database exists: a module stopped while it is being created still drops it.
    drop = on_interrupt(lambda: admin.drop(name, drop_seconds(ctx)))
    try:
        admin.create(name, reserved)
    except BaseException:
        drop.cancel()  # nothing was created (or it was there before: not ours to drop)
        raise
    restored = None
    dropped = False
    try:
        restored = _drill(ev, plan, dump, name, reserved, sqlalchemy)
    except CheckError as exc:
        ev.finding("error", str(exc))
    finally:
        try:
            dropped = drop.run()
        except CheckError as exc:
            ev.finding("error", str(exc))
        ev.observe("dropped", dropped)
    if restored is not None:
        compare_tables(ev, plan, source, restored)
    elif plan["tables"]:
        ev.observe("tables", [dict(table=t, source=source[t], restored=None) for t in plan["tables"]])
    if dropped:
        ev.note(f"scratch database {name} dropped")
    return ev.outcome()
