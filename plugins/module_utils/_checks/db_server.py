# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check kind db_server: a SQL server answers, fast enough, at a version, with room, encrypted, in its role (private).

A server that cannot be reached, refuses the login or does not answer in time is an ``error``: nothing
could be evaluated. What the server then reports (version, connections in use, TLS, role, replica
lag) is graded against the options and is a ``warn`` or ``fail`` when it misses them.
"""

from __future__ import annotations

import re
import time

from ansible_collections.golive.readiness.plugins.module_utils._check import (
    Evaluation,
    OptionError,
    format_duration,
    format_ms,
    format_percent,
    limit_from_options,
    parse_duration,
    parse_percent,
    quantity,
)
from ansible_collections.golive.readiness.plugins.module_utils._db import DB_OPTIONS, Database, shown_url
from ansible_collections.golive.readiness.plugins.module_utils._db_generic import is_generic

KIND = "db_server"
SECTION = "services"
SEVERITY = "critical"
VARIABLES = {"golive_databases": "services"}
ENDPOINT = True
OPTIONS = dict(DB_OPTIONS)
OPTIONS.update(
    latency_warn_above=dict(type="str"),
    latency_fail_above=dict(type="str"),
    min_version=dict(type="str"),
    connections_warn_above=dict(type="raw"),
    connections_fail_above=dict(type="raw"),
    require_ssl=dict(type="bool", default=False),
    role=dict(type="str", choices=["primary", "replica"]),
    replica_lag_warn_above=dict(type="str"),
    replica_lag_fail_above=dict(type="str"),
)

# A server at 95% of max_connections refuses the next deploy's pool; 80% leaves no room for a spike.
DEFAULT_CONNECTIONS = ("80%", "95%")
_VERSION = re.compile(r"^\s*(\d+(?:\.\d+)*)")
GENERIC_PRODUCTS = {"duckdb": "DuckDB", "snowflake": "Snowflake", "redshift": "Redshift", "bigquery": "BigQuery"}
# Options that mean nothing for an SQLite file: no connection limit, no transport, no replication.
_NOT_FOR_SQLITE = ("connections_warn_above", "connections_fail_above", "require_ssl", "role",
                   "replica_lag_warn_above", "replica_lag_fail_above")


def describe(item):
    shown = shown_url(item.get("url"))
    return shown, f"Database {shown}"


# --- options ------------------------------------------------------------------------------------

def version_tuple(text, option="min_version"):
    """(10, 6) from '10.6', (15, 20) from '15.20 (Debian 15.20-0+deb12u1)', (10, 11, 9) from '10.11.9-MariaDB'."""
    match = _VERSION.match(str(text or ""))
    if not match:
        raise OptionError(f"{option}: {text!r} does not start with a version number like 13 or 10.6")
    return tuple(int(part) for part in match.group(1).split("."))


def newer_or_equal(version, minimum):
    """Numeric comparison, missing parts counting as 0: 10.6 == 10.6.0 and 10.11 > 10.6."""
    width = max(len(version), len(minimum))
    return version + (0,) * (width - len(version)) >= minimum + (0,) * (width - len(minimum))


def _milliseconds(text, option):
    return parse_duration(text, option) * 1000.0


def _reject_for(item, why):
    for option in _NOT_FOR_SQLITE:
        value = item.get(option)
        if value is not None and value is not False:
            raise OptionError(f"{option}: does not apply to {why}")


def prepare(item):
    database = Database(item)
    if database.backend == "sqlite":
        _reject_for(item, "SQLite (a file has no connection limit, transport or replication)")
    elif database.generic:
        _reject_for(item, f"the {database.backend} dialect (its generic path reads only the version and latency)")
    min_version = item.get("min_version")
    return dict(
        database=database,
        latency=limit_from_options(item, "latency", "above", _milliseconds, format_ms),
        min_version=None if min_version is None else (str(min_version).strip(), version_tuple(min_version)),
        connections=limit_from_options(item, "connections", "above", parse_percent, format_percent,
                                       defaults=None if _files_or_generic(database) else DEFAULT_CONNECTIONS),
        require_ssl=bool(item.get("require_ssl")),
        role=item.get("role"),
        replica_lag=limit_from_options(item, "replica_lag", "above", parse_duration, format_duration),
    )


def _files_or_generic(database):
    """SQLite and the generic dialects: no connection count, transport or replication is read."""
    return database.backend == "sqlite" or database.generic


# --- talking to the server ----------------------------------------------------------------------

def _scalar(connection, sqlalchemy, sql):
    """One value of a fixed statement written here (never built from options)."""
    return connection.execute(sqlalchemy.text(sql)).scalar()


def _status_variable(connection, sqlalchemy, name):
    """A MySQL/MariaDB status variable of the session ('' when the server does not know it)."""
    row = connection.execute(sqlalchemy.text("SHOW SESSION STATUS LIKE :name"), {"name": name}).first()
    return row[1] if row else ""


def product_and_version(connection, sqlalchemy, backend):
    if backend == "postgresql":
        return "PostgreSQL", _scalar(connection, sqlalchemy, "SHOW server_version")
    if backend == "sqlite":
        return "SQLite", _scalar(connection, sqlalchemy, "SELECT sqlite_version()")
    if backend == "duckdb":
        return "DuckDB", str(_scalar(connection, sqlalchemy, "SELECT version()") or "").lstrip("v")
    if is_generic(backend):
        version_info = connection.dialect.server_version_info or ()
        return GENERIC_PRODUCTS.get(backend, backend), ".".join(str(part) for part in version_info) or "unknown"
    version = _scalar(connection, sqlalchemy, "SELECT VERSION()") or ""
    return ("MariaDB" if "mariadb" in version.lower() else "MySQL"), version


def connections_in_use(connection, sqlalchemy, backend):
    """(used, max) connections; PostgreSQL counts client backends, MySQL/MariaDB Threads_connected."""
    if backend == "postgresql":
        activity = sqlalchemy.table("pg_stat_activity", sqlalchemy.column("backend_type"), schema="pg_catalog")
        used = connection.execute(sqlalchemy.select(sqlalchemy.func.count()).select_from(activity).where(
            activity.c.backend_type == "client backend")).scalar()
        return int(used), int(_scalar(connection, sqlalchemy, "SELECT current_setting('max_connections')"))
    row = connection.execute(sqlalchemy.text("SHOW GLOBAL STATUS LIKE 'Threads_connected'")).first()
    return int(row[1]), int(_scalar(connection, sqlalchemy, "SELECT @@max_connections"))


def session_ssl(connection, sqlalchemy, backend):
    """{'encrypted': bool, 'version', 'cipher'} of this session's connection."""
    if backend == "postgresql":
        row = connection.execute(sqlalchemy.text(
            "SELECT ssl, version, cipher FROM pg_catalog.pg_stat_ssl WHERE pid = pg_backend_pid()")).first()
        if row is None:
            return dict(encrypted=False, version=None, cipher=None)
        return dict(encrypted=bool(row[0]), version=row[1], cipher=row[2])
    cipher = _status_variable(connection, sqlalchemy, "Ssl_cipher")
    version = _status_variable(connection, sqlalchemy, "Ssl_version")
    return dict(encrypted=bool(cipher), version=version or None, cipher=cipher or None)


class Replication(object):
    """What the server says about its role and, on a replica, how far behind it is."""

    def __init__(self, role, lag=None, lag_reason=None, details=None):
        self.role = role
        self.lag = lag  # seconds; None when not a replica or unknown
        self.lag_reason = lag_reason  # why lag is unknown (a fail when levels are set)
        self.details = details or {}


def postgresql_replication(connection, sqlalchemy):
    if not _scalar(connection, sqlalchemy, "SELECT pg_is_in_recovery()"):
        return Replication("primary")
    row = connection.execute(sqlalchemy.text(
        "SELECT pg_last_wal_receive_lsn()::text, pg_last_wal_replay_lsn()::text,"
        " EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()),"
        " (SELECT status FROM pg_catalog.pg_stat_wal_receiver LIMIT 1)")).first()
    received, replayed, since_replay, receiver = row
    details = dict(receive_lsn=received, replay_lsn=replayed, wal_receiver=receiver)
    # Only while WAL streams in is "everything received is replayed" proof of being current: an idle
    # primary sends nothing, so the time since the last replayed transaction grows without any lag.
    if receiver == "streaming" and received is not None and received == replayed:
        return Replication("replica", 0.0, details=details)
    if since_replay is None:
        return Replication("replica", None, f"no transaction replayed yet (WAL receiver {receiver or 'not running'})",
                           details)
    return Replication("replica", max(0.0, float(since_replay)), details=details)


def _replica_status_row(connection, sqlalchemy):
    """The first row of SHOW REPLICA STATUS (older servers: SHOW SLAVE STATUS) as a dict, or None."""
    error = None
    for statement in ("SHOW REPLICA STATUS", "SHOW SLAVE STATUS"):
        try:
            result = connection.execute(sqlalchemy.text(statement))
        except sqlalchemy.exc.ProgrammingError as exc:  # syntax unknown to this server, or no privilege
            error = exc
            continue
        row = result.mappings().first()
        return dict(row) if row is not None else None
    raise error


def mysql_replication(connection, sqlalchemy):
    status = _replica_status_row(connection, sqlalchemy)
    if status is None:
        return Replication("primary")
    behind = status.get("Seconds_Behind_Master", status.get("Seconds_Behind_Source"))
    running = dict((name, status.get(name)) for name in
                   ("Slave_IO_Running", "Slave_SQL_Running", "Replica_IO_Running", "Replica_SQL_Running")
                   if name in status)
    if behind is None:
        return Replication("replica", None, "replication is not running (Seconds_Behind_Master is NULL)", running)
    return Replication("replica", float(behind), details=running)


def replication_of(connection, sqlalchemy, backend):
    if backend == "postgresql":
        return postgresql_replication(connection, sqlalchemy)
    return mysql_replication(connection, sqlalchemy)


# --- grading ------------------------------------------------------------------------------------

def _grade_version(plan, ev, product, version):
    ev.observe("product", product)
    ev.observe("version", version)
    if plan["min_version"] is None:
        ev.note(f"{product} {version}")
        return
    shown, minimum = plan["min_version"]
    ev.expect("min_version", shown)
    try:
        actual = version_tuple(version, "version")
    except OptionError:
        ev.finding("error", f"cannot read a version number from {version!r}")
        return
    ev.require(newer_or_equal(actual, minimum), f"{product} {version} is older than {shown}",
               passing=f"{product} {version} (>= {shown})")


def _grade_connections(plan, ev, used, maximum):
    percent = 100.0 * used / maximum if maximum else 100.0
    ev.observe("connections", dict(used=quantity(used, "count"), max=quantity(maximum, "count"),
                                   percent=quantity(round(percent, 1), "percent")))
    ev.observe("connections_percent", round(percent, 1), "percent")
    limit = plan["connections"]
    if limit.is_set:
        ev.expect_levels("connections_percent", limit)
    message = f"connections {used} of {maximum} ({format_percent(percent)})"
    status = limit.grade(percent)
    if status == "pass":
        ev.note(message if not limit.is_set else f"{message} ({limit.describe()})")
    else:
        ev.finding(status, f"{message} ({limit.describe()})")


def _grade_ssl(plan, ev, ssl):
    ev.observe("ssl", ssl)
    if plan["require_ssl"]:
        ev.expect("ssl", True)
        ev.require(ssl["encrypted"], "the connection is not encrypted (require_ssl)",
                   passing=f"encrypted ({ssl['version'] or 'TLS'})")


def _grade_role(plan, ev, replication):
    ev.observe("role", replication.role)
    if plan["role"] is None:
        return
    ev.expect("role", plan["role"])
    ev.require(replication.role == plan["role"], "{}, expected {}".format(replication.role, plan["role"]),
               passing=replication.role)


def _grade_lag(plan, ev, replication):
    ev.observe("replication", replication.details)
    limit = plan["replica_lag"]
    if replication.role != "replica":
        ev.observe("replica_lag_seconds", None)
        if limit.is_set:
            ev.expect_levels("replica_lag_seconds", limit)
            ev.note("replica lag: not a replica")
        return
    if replication.lag is None:
        ev.observe("replica_lag_seconds", None)
        if limit.is_set:
            ev.expect_levels("replica_lag_seconds", limit)
            ev.finding("fail", f"replica lag unknown: {replication.lag_reason}")
        return
    ev.measure("replica_lag_seconds", round(replication.lag, 3), limit, label="replica lag")


def _not_applicable(ev):
    ev.observe("connections", "not applicable")
    ev.observe("ssl", "not applicable")
    ev.observe("role", "not applicable")
    ev.observe("replica_lag_seconds", "not applicable")


def _measure(plan, sqlalchemy, connection, ev):
    backend = plan["database"].backend
    _grade_version(plan, ev, *product_and_version(connection, sqlalchemy, backend))
    if _files_or_generic(plan["database"]):
        _not_applicable(ev)
        return
    _grade_connections(plan, ev, *connections_in_use(connection, sqlalchemy, backend))
    _grade_ssl(plan, ev, session_ssl(connection, sqlalchemy, backend))
    try:
        replication = replication_of(connection, sqlalchemy, backend)
    except sqlalchemy.exc.DBAPIError as exc:
        if plan["role"] is None and not plan["replica_lag"].is_set:
            ev.observe("role", None)
            ev.observe("replication_error", plan["database"].describe_error(exc))
            return
        raise
    _grade_role(plan, ev, replication)
    _grade_lag(plan, ev, replication)


def run(plan, ctx):
    from ansible_collections.golive.readiness.plugins.module_utils._db import load_sqlalchemy

    sqlalchemy = load_sqlalchemy()
    database = plan["database"]
    ev = Evaluation()
    ev.observe("database", database.shown)
    started = time.monotonic()
    with database.read_only(ctx) as connection:
        connection.execute(sqlalchemy.select(sqlalchemy.literal_column("1"))).scalar()
        latency_ms = (time.monotonic() - started) * 1000.0
        ev.measure("latency_ms", round(latency_ms, 1), plan["latency"], label="latency", formatter=format_ms)
        _measure(plan, sqlalchemy, connection, ev)
    return ev.outcome()
