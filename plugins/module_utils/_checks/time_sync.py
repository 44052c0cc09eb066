# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check kind time_sync: the host clock's offset from NTP servers (SNTP, RFC 4330) and its timezone (private).

Runs on the managed host with the standard library only: one 48-byte UDP request per server.
"""

from __future__ import annotations

import os
import re
import socket
import statistics
import struct
import time

from ansible_collections.golive.readiness.plugins.module_utils._check import (
    CheckError,
    Evaluation,
    Limit,
    OptionError,
    check_order,
    format_duration,
    format_ms,
    parse_duration,
    quantity,
)
from ansible_collections.golive.readiness.plugins.module_utils._net import resolve

KIND = "time_sync"
SECTION = "infrastructure"
SEVERITY = "high"
VARIABLES = {"golive_time_sync": "infrastructure"}
OPTIONS = dict(
    ntp_servers=dict(type="list", elements="str"),
    max_offset=dict(type="str"),
    offset_warn_above=dict(type="str"),
    offset_fail_above=dict(type="str"),
    timezone=dict(type="str"),
    min_servers=dict(type="int", default=1),
)

NTP_PORT = 123
NTP_EPOCH_OFFSET = 2208988800  # seconds from 1900-01-01 (NTP era 0) to 1970-01-01
_PACKET = struct.Struct("!BBbbII4sQQQQ")  # 48 bytes: RFC 4330 section 4
_CLIENT_V4 = (0 << 6) | (4 << 3) | 3  # leap indicator 0, version 4, mode 3 (client)
_MODE_SERVER = 4
_LEAP_ALARM = 3  # the server's clock is not synchronized

ZONEINFO = "/usr/share/zoneinfo"
LOCALTIME = "/etc/localtime"
TIMEZONE_FILE = "/etc/timezone"
_TZ_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$")
_HOST = re.compile(r"^[A-Za-z0-9._-]+$")


def describe(item):
    servers = item.get("ntp_servers") or []
    return (",".join(servers) if servers else "timezone"), "Time sync"


# --- options ------------------------------------------------------------------------------------

def parse_server(spec, option="ntp_servers"):
    """(host, port) from 'host', 'host:port', '[v6]:port' or a bare IPv6 address."""
    text = str(spec).strip() if spec is not None else ""
    if not text:
        raise OptionError(f"{option}: an empty server name")
    host, port = text, NTP_PORT
    if text.startswith("["):
        match = re.match(r"^\[([0-9A-Fa-f:.]+)\](?::(\d+))?$", text)
        if not match:
            raise OptionError(f"{option}: {spec!r} is not [ipv6] or [ipv6]:port")
        host, port = match.group(1), int(match.group(2)) if match.group(2) else NTP_PORT
    elif text.count(":") == 1:
        host, port_text = text.split(":")
        if not port_text.isdigit():
            raise OptionError(f"{option}: {spec!r} has a port that is not a number")
        port = int(port_text)
    elif text.count(":") > 1 and not re.match(r"^[0-9A-Fa-f:.]+$", text):
        raise OptionError(f"{option}: {spec!r} is not a host, host:port or IPv6 address")
    if ":" not in host and not _HOST.match(host):
        raise OptionError(f"{option}: {spec!r} is not a host name or address")
    if not 1 <= port <= 65535:
        raise OptionError(f"{option}: {spec!r}: port {port} is not a UDP port (1-65535)")
    return host, port


def server_label(host, port):
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


# Clocks a second apart already break token expiry, TLS validity edges and log correlation.
DEFAULT_OFFSET_MS = dict(warn=100.0, fail=1000.0)


def _offset_limit(item):
    if item.get("max_offset") is not None and item.get("offset_fail_above") is not None:
        raise OptionError("max_offset: is another name for offset_fail_above; give one of them")
    fail_option = "max_offset" if item.get("max_offset") is not None else "offset_fail_above"
    levels = {}
    for level, option in (("warn", "offset_warn_above"), ("fail", fail_option)):
        if item.get(option) is not None:
            levels[level] = parse_duration(item[option], option) * 1000.0
    if not levels and item.get("ntp_servers"):
        levels = dict(DEFAULT_OFFSET_MS)
    limit = Limit(direction="above", formatter=format_ms, **levels)
    check_order(limit, f"offset_warn_above/{fail_option}")
    return limit


def _timezone(item):
    name = item.get("timezone")
    if name is None:
        return None
    if len(name) > 64 or not _TZ_NAME.match(name) or ".." in name:
        raise OptionError(f"timezone: {name!r} is not an IANA timezone name such as Europe/Paris or UTC")
    return name


def prepare(item):
    servers = []
    for index, spec in enumerate(item.get("ntp_servers") or []):
        server = parse_server(spec, f"ntp_servers[{index}]")
        if server in servers:
            raise OptionError(f"ntp_servers[{index}]: {server_label(*server)} is listed twice")
        servers.append(server)
    timezone = _timezone(item)
    if not servers and timezone is None:
        raise OptionError("ntp_servers/timezone: give NTP servers to query, an expected timezone, or both")
    limit = _offset_limit(item)
    if not servers and limit.is_set:
        raise OptionError("max_offset/offset_warn_above/offset_fail_above: only apply with ntp_servers")
    min_servers = 1 if item.get("min_servers") is None else item["min_servers"]
    if servers and not 1 <= min_servers <= len(servers):
        raise OptionError(f"min_servers: {min_servers} is not between 1 and the {len(servers)} servers listed")
    if not servers and min_servers != 1:
        raise OptionError("min_servers: only applies with ntp_servers")
    return dict(servers=servers, limit=limit, min_servers=min_servers, timezone=timezone)


def format_offset_ms(milliseconds):
    """'+850ms', '-2.0s', '+10m': signed, and rounded so that 599.99 s reads as 10m."""
    seconds = abs(milliseconds) / 1000.0
    if seconds < 1:
        shown = f"{round(seconds * 1000)}ms"
    elif seconds < 60:
        shown = f"{seconds:.1f}s"
    else:
        shown = format_duration(round(seconds))
    return "{}{}".format("-" if milliseconds < 0 else "+", shown)


# --- SNTP ---------------------------------------------------------------------------------------

def to_ntp(unix_seconds):
    """A 64-bit NTP timestamp (32.32 fixed point, modulo the 2036 era roll-over)."""
    seconds = int(unix_seconds)
    fraction = int((unix_seconds - seconds) * 2 ** 32) & 0xFFFFFFFF
    return (((seconds + NTP_EPOCH_OFFSET) & 0xFFFFFFFF) << 32) | fraction


def from_ntp(timestamp):
    """Unix seconds from a 64-bit NTP timestamp; era 1 (from 2036) when the top bit is clear (RFC 4330 s.3)."""
    seconds, fraction = timestamp >> 32, timestamp & 0xFFFFFFFF
    if seconds < 0x80000000:
        seconds += 2 ** 32
    return seconds - NTP_EPOCH_OFFSET + fraction / 2.0 ** 32


class ServerError(Exception):
    """This server gave no usable answer."""


def _exchange(host, port, budget):
    """Send one client request; (request transmit timestamp, reply bytes, t1, t4)."""
    started = time.monotonic()
    try:
        family, socktype, proto, address = resolve(host, port, budget, socket.SOCK_DGRAM)[0]
    except CheckError as exc:
        raise ServerError(str(exc)) from None
    sock = socket.socket(family, socktype, proto)
    try:
        sock.settimeout(max(0.01, budget - (time.monotonic() - started)))
        sock.connect(address)  # connected: only the server's datagrams (and ICMP errors) reach us
        t1 = time.time()
        sent = to_ntp(t1)
        sock.send(_PACKET.pack(_CLIENT_V4, 0, 0, 0, 0, 0, b"\0" * 4, 0, 0, 0, sent))
        reply = sock.recv(1024)
        t4 = time.time()
    except socket.timeout:
        raise ServerError(f"no answer within {format_duration(budget)}") from None
    except ConnectionRefusedError:
        raise ServerError(f"port unreachable (nothing listens on UDP {port})") from None
    except OSError as exc:
        raise ServerError(exc.strerror or str(exc)) from None
    finally:
        sock.close()
    return sent, reply, t1, t4


def parse_reply(reply, sent):
    """The reply's fields, validated as RFC 4330 section 5 says a client must; ServerError otherwise."""
    if len(reply) < _PACKET.size:
        raise ServerError(f"short reply ({len(reply)} bytes)")
    fields = _PACKET.unpack(reply[:_PACKET.size])
    first, stratum, ref_id = fields[0], fields[1], fields[6]
    origin, received, transmit = fields[8:11]
    leap, mode = first >> 6, first & 7
    if mode != _MODE_SERVER:
        raise ServerError(f"not a server reply (mode {mode})")
    if origin != sent:
        raise ServerError("the reply does not echo the request's transmit time")
    if stratum == 0:
        code = ref_id.decode("ascii", errors="replace").strip("\0 ") or "?"
        raise ServerError(f"kiss-of-death {code} (stratum 0)")
    if stratum > 15:
        raise ServerError(f"stratum {stratum}: the server is not synchronized")
    if leap == _LEAP_ALARM:
        raise ServerError("the server's clock is not synchronized (leap indicator 3)")
    if transmit == 0:
        raise ServerError("the reply's transmit time is zero")
    return dict(stratum=stratum, received=from_ntp(received), transmit=from_ntp(transmit))


def query(host, port, budget):
    """One SNTP measurement: offset and round-trip delay in seconds, and the server's stratum."""
    sent, reply, t1, t4 = _exchange(host, port, budget)
    fields = parse_reply(reply, sent)
    t2, t3 = fields["received"], fields["transmit"]
    return dict(offset=((t2 - t1) + (t3 - t4)) / 2.0, delay=(t4 - t1) - (t3 - t2), stratum=fields["stratum"])


def query_all(servers, ctx):
    """A result per server; each query gets an equal share of the time the check has left."""
    results = []
    for index, (host, port) in enumerate(servers):
        budget = max(0.05, ctx.remaining() * 0.9 / (len(servers) - index))
        result = dict(server=server_label(host, port))
        try:
            measured = query(host, port, budget)
        except ServerError as exc:
            result.update(answered=False, error=str(exc))
        else:
            result.update(answered=True, offset_ms=quantity(round(measured["offset"] * 1000.0, 3), "ms"),
                          delay_ms=quantity(round(measured["delay"] * 1000.0, 3), "ms"), stratum=measured["stratum"])
        results.append(result)
    return results


# --- timezone -----------------------------------------------------------------------------------

def _zone_from_path(path):
    """'Europe/Paris' from '/usr/share/zoneinfo/Europe/Paris' (or its posix/ and right/ variants)."""
    marker = "zoneinfo/"
    if marker not in path:
        return None
    name = path.split(marker, 1)[1]
    for variant in ("posix/", "right/"):
        if name.startswith(variant):
            name = name[len(variant):]
    return name or None


def read_timezone(environ=None, localtime=LOCALTIME, timezone_file=TIMEZONE_FILE):
    """(name, source) of the timezone the host's processes use; name is None when it cannot be told.

    Precedence is that of the C library: TZ in the environment, then /etc/localtime (its symlink
    target names the zone), then /etc/timezone (Debian's record of the name) when /etc/localtime is a copy.
    """
    environ = os.environ if environ is None else environ
    if "TZ" in environ:
        value = environ["TZ"].lstrip(":")
        if not value:
            return "UTC", "TZ (set but empty: UTC)"
        if value.startswith("/"):
            return _zone_from_path(value) or value, "TZ"
        return value, "TZ"
    if os.path.islink(localtime):
        target = os.readlink(localtime)
        name = _zone_from_path(target)
        if name:
            return name, f"{localtime} -> {target}"
    elif not os.path.exists(localtime) and not os.path.exists(timezone_file):
        return "UTC", f"default (no {localtime})"
    try:
        with open(timezone_file) as handle:
            name = handle.read().strip()
    except OSError as exc:
        return None, (f"{localtime} is not a link into a zoneinfo tree and {timezone_file} cannot be read: "
                      f"{exc.strerror or exc}")
    return (name or None), timezone_file


def _zone_bytes(name, zoneinfo):
    path = os.path.join(zoneinfo, name)
    if not os.path.realpath(path).startswith(os.path.realpath(zoneinfo) + os.sep):
        return None
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def same_zone(observed, expected, zoneinfo=ZONEINFO):
    """Equal names, or names whose zoneinfo files are the same zone (UTC and Etc/UTC are links)."""
    if observed == expected:
        return True
    observed_bytes = _zone_bytes(observed, zoneinfo)
    return observed_bytes is not None and observed_bytes == _zone_bytes(expected, zoneinfo)


# --- evaluation ---------------------------------------------------------------------------------

def _describe_missing(results):
    return "; ".join("{}: {}".format(r["server"], r["error"]) for r in results if not r["answered"])


def _grade_servers(plan, results, ev):
    ev.observe("servers", results)
    answered = [r for r in results if r["answered"]]
    ev.expect_at_least("servers_answered", plan["min_servers"], "count")
    ev.observe("servers_answered", len(answered), "count")
    if not answered:
        ev.finding("error", f"no NTP server answered ({_describe_missing(results)})")
        return
    if len(answered) < plan["min_servers"]:
        ev.finding("fail", f"only {len(answered)} of {len(results)} NTP servers answered, "
                           f"min_servers {plan['min_servers']} ({_describe_missing(results)})")
    median = statistics.median(r["offset_ms"]["value"] for r in answered)
    ev.observe("median_offset_ms", round(median, 3), "ms")
    limit = plan["limit"]
    server_s = "" if len(answered) == 1 else "s"
    shown = f"clock offset {format_offset_ms(median)} (median of {len(answered)} server{server_s}"
    if limit.is_set:
        ev.expect_levels("median_offset_ms", limit, unit="ms")
        shown += f"; {limit.describe()}"
    shown += ")"
    status = limit.grade(abs(median))
    if status == "pass":
        ev.note(shown)
    else:
        ev.finding(status, shown)
    if len(answered) < len(results):
        ev.note(f"did not answer: {_describe_missing(results)}")


def _grade_timezone(plan, ev):
    name, source = read_timezone()
    ev.observe("timezone", name)
    ev.observe("timezone_source", source)
    expected = plan["timezone"]
    if expected is None:
        return
    ev.expect("timezone", expected)
    if name is None:
        ev.finding("error", f"cannot tell the timezone: {source}")
        return
    ev.require(same_zone(name, expected), f"timezone {name} (from {source}), expected {expected}",
               passing=f"timezone {name} (from {source})")


def run(plan, ctx):
    ev = Evaluation()
    if plan["servers"]:
        _grade_servers(plan, query_all(plan["servers"], ctx), ev)
    _grade_timezone(plan, ev)
    return ev.outcome()
