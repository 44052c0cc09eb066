# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check kind redis: PING latency, role and replication, memory and eviction, persistence, cluster state (private).

Read-only: the only commands sent are AUTH and SELECT (by redis-py, while connecting), PING, INFO,
CONFIG GET save (only for ``require_rdb``) and CLUSTER INFO (only in cluster mode). redis-py's CLIENT
SETINFO is switched off. The password is handed to redis-py and never recorded, not even masked.
"""

from __future__ import annotations

import inspect
import os
import re
import socket
import time

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.golive.readiness.plugins.module_utils._caps import ByteBudget, CappedSocket
from ansible_collections.golive.readiness.plugins.module_utils._check import (
    CheckError,
    Evaluation,
    Limit,
    OptionError,
    check_order,
    format_duration,
    format_percent,
    format_size,
    limit_from_options,
    parse_count,
    parse_duration,
    parse_percent,
    quantity,
)
from ansible_collections.golive.readiness.plugins.module_utils._net import connect_tcp

KIND = "redis"
SECTION = "services"
SEVERITY = "critical"
VARIABLES = {"golive_redis": "services"}
ENDPOINT = True
ROLES = {"master": "master", "primary": "master", "replica": "replica"}
OPTIONS = dict(
    host=dict(type="str", required=True),
    port=dict(type="int", default=6379),
    db=dict(type="int"),
    username=dict(type="str"),
    password=dict(type="str", no_log=True),
    tls=dict(type="bool", default=False),
    ca_file=dict(type="path"),
    validate_certs=dict(type="bool", default=True),
    latency_warn_above=dict(type="str"),
    latency_fail_above=dict(type="str"),
    role=dict(type="str", choices=list(ROLES)),
    replica_link_required=dict(type="bool", default=False),
    replica_lag_warn_above=dict(type="str"),
    replica_lag_fail_above=dict(type="str"),
    min_replicas=dict(type="int"),
    memory_used_warn_above=dict(type="str"),
    memory_used_fail_above=dict(type="str"),
    require_maxmemory=dict(type="bool"),
    eviction_policy=dict(type="str"),
    require_aof=dict(type="bool", default=False),
    require_rdb=dict(type="bool", default=False),
    rdb_last_save_max_age=dict(type="str"),
    cluster_state_ok=dict(type="bool", default=False),
)

# Our own time limits end this much before the runner's, so that a silent server is reported by the
# step it was silent in rather than by the runner's generic message.
# Bytes read from one server over a whole check (every reply: PING, INFO, CONFIG GET, CLUSTER INFO).
# INFO of a busy server is a few tens of KiB; a reply announcing more is not read past this.
REDIS_READ_CAP = 1024 * 1024
_MARGIN = 0.2
_NAME = re.compile(r"^[A-Za-z0-9._:\[\]-]+$")
_POLICY = re.compile(r"^[a-z]+(-[a-z]+)*$")
_REPLICA_LINE = re.compile(r"^slave\d+$")


def endpoint(host, port):
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _port(item):
    return item["port"]


def describe(item):
    key = endpoint(item["host"], _port(item))
    if item.get("db"):
        key = f"{key}/{item['db']}"
    return key, f"Redis {key}"


# --- options ------------------------------------------------------------------------------------

def format_ms(milliseconds):
    if milliseconds < 1000:
        return f"{milliseconds:.1f}ms"
    return format_duration(milliseconds / 1000.0)


def format_seconds(seconds):
    return f"{int(seconds)}s" if seconds < 60 else format_duration(seconds)


def _latency_limit(item):
    levels = {}
    for level in ("warn", "fail"):
        option = f"latency_{level}_above"
        if item.get(option) is not None:
            levels[level] = parse_duration(item[option], option) * 1000.0
    limit = Limit(direction="above", formatter=format_ms, **levels)
    check_order(limit, "latency_warn_above/latency_fail_above")
    return limit


def _host(item):
    host = item.get("host")
    if not host:
        raise OptionError("host: must not be empty")
    if not _NAME.match(host):
        raise OptionError(f"host: {host!r} is not a host name or address")
    return host


def _connection_options(item):
    port = _port(item)
    if not 1 <= port <= 65535:
        raise OptionError(f"port: {port} is not a TCP port (1-65535)")
    if item.get("db") is not None and item["db"] < 0:
        raise OptionError(f"db: {item['db']} must not be negative")
    if item.get("username") and item.get("password") is None:
        raise OptionError("username: given without password")
    if item.get("ca_file") is not None and not item.get("tls"):
        raise OptionError("ca_file: only applies with tls: true")
    return dict(host=_host(item), port=port, db=item.get("db") or 0, username=item.get("username") or None,
                password=item.get("password"), tls=bool(item.get("tls")), ca_file=item.get("ca_file"),
                validate_certs=item.get("validate_certs", True) is not False)


def _replication_options(item):
    role = ROLES[item["role"]] if item.get("role") else None
    lag = limit_from_options(item, "replica_lag", "above", parse_duration, format_seconds)
    if role == "master":
        if item.get("replica_link_required"):
            raise OptionError(f"replica_link_required: contradicts role: {item['role']} (only a replica has a link)")
        if lag.is_set:
            raise OptionError("replica_lag_warn_above/replica_lag_fail_above: contradict role: {} "
                              "(only a replica lags)".format(item["role"]))
    min_replicas = None
    if item.get("min_replicas") is not None:
        min_replicas = parse_count(item["min_replicas"], "min_replicas")
    return dict(role=role, replica_link_required=bool(item.get("replica_link_required")), replica_lag=lag,
                min_replicas=min_replicas)


def _memory_options(item):
    memory = limit_from_options(item, "memory_used", "above", parse_percent, format_percent)
    require_maxmemory = item.get("require_maxmemory")
    if require_maxmemory is None:
        require_maxmemory = memory.is_set
    policy = item.get("eviction_policy")
    if policy is not None and not _POLICY.match(policy):
        raise OptionError(f"eviction_policy: {policy!r} is not a maxmemory-policy name "
                          "(like allkeys-lru or noeviction)")
    return dict(memory_used=memory, require_maxmemory=bool(require_maxmemory), eviction_policy=policy)


def _persistence_options(item):
    max_age = None
    if item.get("rdb_last_save_max_age") is not None:
        max_age = parse_duration(item["rdb_last_save_max_age"], "rdb_last_save_max_age")
        if max_age <= 0:
            given = item["rdb_last_save_max_age"]
            raise OptionError(f"rdb_last_save_max_age: must be greater than zero, got {given!r}")
    return dict(require_aof=bool(item.get("require_aof")), require_rdb=bool(item.get("require_rdb")),
                rdb_last_save_max_age=max_age)


def prepare(item):
    plan = _connection_options(item)
    plan["latency"] = _latency_limit(item)
    plan.update(_replication_options(item))
    plan.update(_memory_options(item))
    plan.update(_persistence_options(item))
    plan["cluster_state_ok"] = bool(item.get("cluster_state_ok"))
    return plan


# --- the connection -----------------------------------------------------------------------------

def load_redis():
    try:
        import redis
    except ImportError:
        raise CheckError(missing_required_lib("redis")) from None
    return redis


def _quiet_identity(redis):
    """Keyword arguments that stop redis-py from sending CLIENT SETINFO, which is not a read-only command."""
    try:
        params = inspect.signature(redis.connection.AbstractConnection.__init__).parameters
    except AttributeError:  # redis-py before 5.0 sends no CLIENT SETINFO
        return {}
    if "driver_info" in params:
        return {"driver_info": None}
    if "lib_name" in params:
        return {"lib_name": None, "lib_version": None}
    return {}


def _bounded(ctx):
    return max(0.05, ctx.remaining() - _MARGIN)


def _bounded_tcp(redis):
    """redis-py's TCP connection, with the host resolved and connected by _net.connect_tcp: bounded by the
    connect timeout, resolution included (redis-py calls getaddrinfo, which takes no timeout)."""

    class BoundedTCP(redis.Connection):
        def _connect(self):
            sock = connect_tcp(self.host, self.port, self.socket_connect_timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.settimeout(self.socket_timeout)
            return sock

    return BoundedTCP


def _capped(redis, tls):
    """The connection class (TLS or not) whose socket reads are charged to a REDIS_READ_CAP budget."""
    # SSLConnection wraps the socket its super()._connect() makes: BoundedTCP's, by this order of bases.
    bases = (redis.SSLConnection, _bounded_tcp(redis)) if tls else (_bounded_tcp(redis),)

    class Capped(*bases):
        def _connect(self):
            budget = ByteBudget(REDIS_READ_CAP, "REDIS_READ_CAP", "the Redis server's replies")
            return CappedSocket(super()._connect(), budget)

    return Capped


def _connection(redis, plan, ctx):
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    seconds = _bounded(ctx)
    kwargs = dict(host=plan["host"], port=plan["port"], db=plan["db"], username=plan["username"],
                  password=plan["password"], socket_timeout=seconds, socket_connect_timeout=seconds,
                  retry=Retry(NoBackoff(), 0), decode_responses=True, protocol=2)
    kwargs.update(_quiet_identity(redis))
    if not plan["tls"]:
        return _capped(redis, tls=False)(**kwargs)
    if plan["ca_file"] and not os.access(plan["ca_file"], os.R_OK):
        raise CheckError("ca_file: cannot read {}".format(plan["ca_file"]))
    connection = _capped(redis, tls=True)
    return connection(ssl_ca_certs=plan["ca_file"], ssl_cert_reqs="required" if plan["validate_certs"] else "none",
                      ssl_check_hostname=plan["validate_certs"], **kwargs)


def _ssl_cause(exc):
    import ssl

    cause = exc.__cause__ or exc.__context__
    return cause if isinstance(cause, (ssl.SSLError, ssl.CertificateError)) else None


class _TLSFailed(Exception):
    """The TLS handshake failed: the server cannot be used as configured (a finding, not an error)."""


def _tls_failure(cause):
    verify_message = getattr(cause, "verify_message", None)
    if verify_message:
        return f"certificate not verified: {verify_message}"
    return f"TLS handshake failed: {getattr(cause, 'reason', None) or cause}"


def _oserror_text(exc):
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, OSError) and cause.strerror:
        return cause.strerror
    return str(exc)


def _user(plan):
    return "user {}".format(plan["username"]) if plan["username"] else "the default user"


def _connect(redis, connection, plan, ctx):
    where = endpoint(plan["host"], plan["port"])
    seconds = connection.socket_connect_timeout
    try:
        connection.connect()
    except redis.AuthenticationError as exc:
        raise CheckError(f"authentication failed for {_user(plan)}: {exc}") from None
    except redis.TimeoutError:
        raise CheckError("timed out after {} connecting to {}{}".format(
            format_duration(seconds), where, " (TCP, TLS handshake and AUTH)" if plan["tls"] else "")) from None
    except redis.ConnectionError as exc:
        cause = _ssl_cause(exc)
        if cause is not None:
            raise _TLSFailed(_tls_failure(cause)) from None
        raise CheckError(f"cannot connect to {where}: {_oserror_text(exc)}") from None
    except redis.ResponseError as exc:
        if plan["db"]:
            raise CheckError(f"cannot select db {plan['db']}: {exc}") from None
        raise CheckError(f"the server refused the connection: {exc}") from None


def _read(connection, seconds):
    if "timeout" in inspect.signature(connection.read_response).parameters:
        return connection.read_response(timeout=seconds)
    return connection.read_response()  # an older redis-py: the socket timeout set when connecting bounds it


def _command(redis, connection, ctx, *args):
    """Send one command and read its answer within the time the check has left."""
    what = " ".join(str(arg) for arg in args)
    seconds = _bounded(ctx)
    try:
        connection.send_command(*args)
        return _read(connection, seconds)
    except redis.TimeoutError:
        raise CheckError(f"timed out after {format_duration(seconds)} waiting for the answer to {what}"
                         ) from None
    except redis.BusyLoadingError:
        raise CheckError("the server is loading its dataset into memory and answers nothing else") from None
    except redis.AuthenticationError as exc:
        raise CheckError(f"authentication required: {exc}") from None
    except redis.ConnectionError as exc:
        raise CheckError(f"connection lost at {what}: {_oserror_text(exc)}") from None


def parse_info(text):
    """INFO's 'field:value' lines as a dict of strings (section headers and blank lines skipped)."""
    fields = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and ":" in line:
            key, value = line.split(":", 1)
            fields[key] = value
    return fields


def _number(info, key):
    value = info.get(key)
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return int(number) if number.is_integer() else number


def _replicas(info):
    """The master's replicas from its 'slaveN:ip=...,port=...,state=online,offset=...,lag=...' lines."""
    replicas = []
    for key in sorted(k for k in info if _REPLICA_LINE.match(k)):
        fields = dict(pair.split("=", 1) for pair in info[key].split(",") if "=" in pair)
        replica = dict(address=endpoint(fields.get("ip", "?"), int(fields.get("port", 0) or 0)),
                       state=fields.get("state"))
        replica["offset"] = _number(fields, "offset")
        lag = _number(fields, "lag")
        replica["lag"] = None if lag is None else quantity(lag, "seconds")
        replicas.append(replica)
    return replicas


# --- the evaluation ------------------------------------------------------------------------------

def _server(ev, info):
    ev.observe("redis_version", info.get("redis_version"))
    ev.observe("redis_mode", info.get("redis_mode"))
    ev.observe("uptime_seconds", _number(info, "uptime_in_seconds"), "seconds")


def _role(ev, info, plan):
    role = "replica" if info.get("role") == "slave" else info.get("role")
    ev.observe("role", role)
    if plan["role"] is not None:
        ev.expect("role", plan["role"])
        ev.require(role == plan["role"], "role is {}, expected {}".format(role, plan["role"]), passing=f"role {role}")
    return role


def _replication_link(ev, info):
    """Observe a replica's link to its master; returns (link_up, seconds since the master was last heard)."""
    master = endpoint(info.get("master_host", "?"), _number(info, "master_port") or 0)
    link_up = info.get("master_link_status") == "up"
    ev.observe("master", master)
    ev.observe("master_link_status", info.get("master_link_status"))
    down_seconds = None if link_up else _number(info, "master_link_down_since_seconds")
    ev.observe("master_link_down_seconds", down_seconds, "seconds")
    master_offset, replica_offset = _number(info, "master_repl_offset"), _number(info, "slave_repl_offset")
    offset_lag = None
    if master_offset is not None and replica_offset is not None:
        offset_lag = max(0, master_offset - replica_offset)
    ev.observe("replica_offset_lag", offset_lag, "bytes")
    return master, link_up, _number(info, "master_last_io_seconds_ago") if link_up else None


def _link_down_text(ev, master):
    down = ev.observed.get("master_link_down_seconds")
    since = f" for {format_seconds(down)}" if isinstance(down, (int, float)) and down >= 0 else ""
    return f"replication link to {master} is down{since}"


def _replica_checks(ev, info, plan, role):
    wanted = plan["replica_link_required"] or plan["replica_lag"].is_set
    if role != "replica":
        if plan["replica_link_required"]:
            ev.expect("master_link_status", "up")
        if plan["replica_lag"].is_set:
            ev.expect_levels("replica_lag_seconds", plan["replica_lag"], unit="seconds")
        ev.require(not wanted, f"not a replica (role {role}): no replication link")
        return
    master, link_up, lag = _replication_link(ev, info)
    if plan["replica_link_required"]:
        ev.expect("master_link_status", "up")
        ev.require(link_up, _link_down_text(ev, master), passing=f"link to {master} up")
    if not plan["replica_lag"].is_set:
        return
    if link_up and lag is not None:
        ev.measure("replica_lag_seconds", lag, plan["replica_lag"], label="master last heard", formatter=format_seconds,
                   unit="seconds")
    else:
        ev.observe("replica_lag_seconds", None)
        ev.expect_levels("replica_lag_seconds", plan["replica_lag"], unit="seconds")
        if not plan["replica_link_required"]:  # already said
            ev.finding("fail", f"replica lag unknown: {_link_down_text(ev, master)}")


def _replica_count(ev, info, plan):
    replicas = _replicas(info)
    online = len([r for r in replicas if r["state"] == "online"])
    replica_s = "" if online == 1 else "s"
    ev.observe("connected_replicas", _number(info, "connected_slaves"), "count")
    ev.observe("online_replicas", online, "count")
    ev.observe("replicas", replicas)
    if plan["min_replicas"] is not None:
        ev.expect_at_least("online_replicas", plan["min_replicas"], "count")
        ev.require(online >= plan["min_replicas"],
                   f"{online} replica{replica_s} online, expected at least {plan['min_replicas']}",
                   passing=f"{online} replica{replica_s} online")


def _memory(ev, info, plan):
    used, maxmemory = _number(info, "used_memory"), _number(info, "maxmemory")
    ev.observe("used_memory", used, "bytes")
    ev.observe("maxmemory", maxmemory, "bytes")
    ev.observe("maxmemory_policy", info.get("maxmemory_policy"))
    if not (plan["memory_used"].is_set or plan["require_maxmemory"]):
        ev.observe("memory_used_percent", round(100.0 * used / maxmemory, 1) if used is not None and maxmemory
                   else None)
        return
    if used is None or maxmemory is None:
        ev.finding("error", "INFO memory reports no used_memory or maxmemory")
        return
    if not maxmemory:
        ev.observe("memory_used_percent", None)
        if plan["require_maxmemory"]:
            ev.expect("maxmemory", "set (not 0)")
        ev.require(not plan["require_maxmemory"],
                   f"maxmemory is not set (unlimited), {format_size(used)} used",
                   passing=f"{format_size(used)} used of unlimited memory (maxmemory 0)")
        return
    percent = round(100.0 * used / maxmemory, 1)
    ev.measure("memory_used_percent", percent, plan["memory_used"],
               label=f"memory used ({format_size(used)} of {format_size(maxmemory)})")


def _eviction(ev, info, plan):
    if plan["eviction_policy"] is None:
        return
    policy = info.get("maxmemory_policy")
    ev.expect("maxmemory_policy", plan["eviction_policy"])
    if policy is None:
        ev.finding("error", "INFO memory reports no maxmemory_policy (Redis before 4.0?)")
        return
    ev.require(policy == plan["eviction_policy"],
               "maxmemory-policy is {}, expected {}".format(policy, plan["eviction_policy"]),
               passing=f"maxmemory-policy {policy}")


def _aof(ev, info, plan):
    enabled = info.get("aof_enabled") == "1"
    ev.observe("aof_enabled", enabled)
    ev.observe("aof_last_write_status", info.get("aof_last_write_status"))
    if not plan["require_aof"]:
        return
    ev.expect("aof_enabled", True)
    if not ev.require(enabled, "AOF is off (appendonly no)"):
        return
    status = info.get("aof_last_write_status")
    ev.require(status in (None, "ok"), f"the last AOF write failed (aof_last_write_status {status})",
               passing="AOF on")


def _save_config(redis, connection, ctx):
    """CONFIG GET save: (the schedule, None) or (None, why it could not be read)."""
    try:
        answer = _command(redis, connection, ctx, "CONFIG", "GET", "save")
    except redis.ResponseError as exc:  # no permission, or CONFIG renamed away
        return None, str(exc)
    if isinstance(answer, dict):
        return answer.get("save", ""), None
    return (answer[1] if len(answer) > 1 else ""), None


def _rdb_snapshots_taken(info):
    saves = _number(info, "rdb_saves")  # Redis 7+
    if saves is not None:
        return saves > 0
    return (_number(info, "rdb_last_bgsave_time_sec") or -1) >= 0


def _rdb(redis, connection, ctx, ev, info, plan):
    ev.observe("rdb_last_bgsave_status", info.get("rdb_last_bgsave_status"))
    ev.observe("rdb_changes_since_last_save", _number(info, "rdb_changes_since_last_save"), "count")
    if not (plan["require_rdb"] or plan["rdb_last_save_max_age"] is not None):
        return
    if plan["require_rdb"]:
        ev.expect("rdb_save", "configured")
        schedule, denied = _save_config(redis, connection, ctx)
        ev.observe("rdb_save", schedule)
        if denied is None:
            ev.require(bool(schedule.strip()), "RDB snapshots are off (save \"\")",
                       passing=f"RDB save {schedule}")
        elif _rdb_snapshots_taken(info):
            ev.note(f"RDB snapshots taken since start (CONFIG GET save not allowed: {denied})")
        else:
            ev.finding("error", "cannot tell whether RDB snapshots are configured: CONFIG GET save is not allowed "
                                f"({denied}) and no snapshot was taken since the server started")
    status = info.get("rdb_last_bgsave_status")
    ev.require(status in (None, "ok"), f"the last RDB snapshot failed (rdb_last_bgsave_status {status})")
    if plan["rdb_last_save_max_age"] is not None:
        _rdb_age(ev, info, plan["rdb_last_save_max_age"])


def _rdb_age(ev, info, max_age):
    saved = _number(info, "rdb_last_save_time")
    now_usec = _number(info, "server_time_usec")  # the server's clock, so probe clock skew does not count
    now = now_usec / 1e6 if now_usec else time.time()
    ev.expect_at_most("rdb_last_save_age_seconds", max_age, "seconds")
    if saved is None:
        ev.observe("rdb_last_save_age_seconds", None)
        ev.finding("error", "INFO persistence reports no rdb_last_save_time")
        return
    age = max(0, int(now - saved))
    ev.observe("rdb_last_save_age_seconds", age, "seconds")
    ev.require(age <= max_age, f"last RDB save {format_seconds(age)} ago (max {format_seconds(max_age)})",
               passing=f"last RDB save {format_seconds(age)} ago")


def _cluster(redis, connection, ctx, ev, info, plan):
    enabled = info.get("cluster_enabled") == "1"
    ev.observe("cluster_enabled", enabled)
    if plan["cluster_state_ok"]:
        ev.expect("cluster_state", "ok")
    if not enabled:
        ev.require(not plan["cluster_state_ok"], "cluster mode is off (cluster_enabled:0)")
        return
    try:
        cluster = parse_info(_command(redis, connection, ctx, "CLUSTER", "INFO"))
    except redis.ResponseError as exc:
        if plan["cluster_state_ok"]:
            ev.finding("error", f"CLUSTER INFO failed: {exc}")
        return
    state = cluster.get("cluster_state")
    ev.observe("cluster_state", state)
    ev.observe("cluster_slots_assigned", _number(cluster, "cluster_slots_assigned"), "count")
    ev.observe("cluster_known_nodes", _number(cluster, "cluster_known_nodes"), "count")
    if plan["cluster_state_ok"]:
        assigned = cluster.get("cluster_slots_assigned", "?")
        ev.require(state == "ok", f"cluster_state is {state} ({assigned} of 16384 slots assigned)",
                   passing="cluster_state ok")


def _ping(redis, connection, ctx, ev, plan):
    started = time.monotonic()
    answer = _command(redis, connection, ctx, "PING")
    latency_ms = round((time.monotonic() - started) * 1000.0, 2)
    if answer not in ("PONG", b"PONG", True):
        raise CheckError(f"PING answered {answer!r} instead of PONG")
    ev.measure("latency_ms", latency_ms, plan["latency"], label="PONG in", formatter=format_ms, unit="ms")


def _info(redis, connection, ctx):
    try:
        return parse_info(_command(redis, connection, ctx, "INFO"))
    except redis.ResponseError as exc:
        raise CheckError(f"INFO failed: {exc}") from None


def _evaluate(redis, connection, ctx, ev, plan):
    _ping(redis, connection, ctx, ev, plan)
    info = _info(redis, connection, ctx)
    _server(ev, info)
    role = _role(ev, info, plan)
    _replica_checks(ev, info, plan, role)
    _replica_count(ev, info, plan)
    _memory(ev, info, plan)
    _eviction(ev, info, plan)
    _aof(ev, info, plan)
    _rdb(redis, connection, ctx, ev, info, plan)
    _cluster(redis, connection, ctx, ev, info, plan)


def run(plan, ctx):
    redis = load_redis()
    ev = Evaluation()
    ev.expect("tls", plan["tls"])
    connection = _connection(redis, plan, ctx)
    try:
        _connect(redis, connection, plan, ctx)
        _evaluate(redis, connection, ctx, ev, plan)
    except _TLSFailed as exc:
        ev.finding("fail", str(exc))
    except redis.ResponseError as exc:  # e.g. NOPERM for PING
        raise CheckError(f"the server refused a read-only command: {exc}") from None
    finally:
        connection.disconnect()
    return ev.outcome()
