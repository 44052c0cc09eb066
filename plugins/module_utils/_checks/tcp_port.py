# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check kind tcp_port: a TCP port is open (optionally greeting with a banner) or stays closed (private).

A port that should be open and refuses or does not answer is a ``fail``: that is the finding. A port that
should be closed passes when the connection is refused, times out (filtered) or cannot be routed, and the
result says which. A host name that does not resolve is an ``error``: nothing could be tried.
"""

from __future__ import annotations

import re
import socket
import time

from ansible_collections.golive.readiness.plugins.module_utils._check import (
    CheckError,
    Evaluation,
    OptionError,
    format_duration,
    format_ms,
    limit_from_options,
    parse_duration,
)
from ansible_collections.golive.readiness.plugins.module_utils._net import resolve

KIND = "tcp_port"
SECTION = "security"
SEVERITY = "high"
VARIABLES = {"golive_ports": "security"}
ENDPOINT = True
OPTIONS = dict(
    host=dict(type="str", required=True),
    port=dict(type="int", required=True),
    state=dict(type="str", default="open", choices=["open", "closed"]),
    connect_warn_above=dict(type="str"),
    connect_fail_above=dict(type="str"),
    banner_regex=dict(type="str"),
    send=dict(type="str"),
)

MAX_BANNER_BYTES = 4096
# Once the first bytes of a banner are in, more are awaited this long before the banner is judged.
QUIET_AFTER_DATA = 0.5
SHOWN_CHARS = 200
_ONLY_OPEN = ("connect_warn_above", "connect_fail_above", "banner_regex", "send")


def _endpoint(host, port):
    return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"


def describe(item):
    key = _endpoint(item.get("host"), item.get("port"))
    return key, f"TCP port {key}"


# --- options ------------------------------------------------------------------------------------

def _host(item):
    host = str(item["host"]).strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]  # an IPv6 literal written as in a URL
    if not host or any(c.isspace() for c in host):
        raise OptionError("host: {!r} is not a host name or address".format(item["host"]))
    return host


def _port(item):
    port = item["port"]
    if not 1 <= port <= 65535:
        raise OptionError(f"port: {port} is outside 1-65535")
    return port


def _banner_regex(item):
    pattern = item.get("banner_regex")
    if pattern is None:
        return None
    try:
        return re.compile(pattern, re.MULTILINE)
    except re.error as exc:
        raise OptionError(f"banner_regex: {pattern!r} is not a valid regular expression: {exc}") from None


def _connect_ms(text, option):
    return parse_duration(text, option) * 1000.0


def prepare(item):
    state = item["state"]
    if state == "closed":
        for option in _ONLY_OPEN:
            if item.get(option) is not None:
                raise OptionError(f"{option}: only applies with state open")
    if item.get("send") is not None:
        if item.get("banner_regex") is None:
            raise OptionError("send: only applies with banner_regex (the answer is what is checked)")
        if not item["send"]:
            raise OptionError("send: must not be empty")
    return dict(
        host=_host(item),
        port=_port(item),
        state=state,
        connect=limit_from_options(item, "connect", "above", _connect_ms, format_ms),
        banner_regex=_banner_regex(item),
        send=None if item.get("send") is None else item["send"].encode("utf-8"),
    )


# --- connecting ---------------------------------------------------------------------------------

def addresses_of(host, port, deadline):
    """The host's addresses, resolved by the time of the deadline (a hung resolver is given up on)."""
    addresses = resolve(host, port, deadline - time.monotonic())
    return [(family, proto, sockaddr) for family, dummy, proto, sockaddr in addresses]


class Attempt(object):
    """One connection attempt: the socket when it connected, else why not."""

    def __init__(self, address):
        self.address = address
        self.sock = None
        self.state = "open"  # else 'refused', 'timed out' or 'unreachable'
        self.reason = None  # 'connection refused', 'connection timed out after 2s', 'No route to host' ...
        self.seconds = 0.0


def connect(family, proto, sockaddr, seconds):
    attempt = Attempt(sockaddr[0])
    sock = socket.socket(family, socket.SOCK_STREAM, proto)
    started = time.monotonic()
    try:
        sock.settimeout(max(0.01, seconds))
        sock.connect(sockaddr)
    except socket.timeout:
        attempt.state = "timed out"
        attempt.reason = f"connection timed out after {format_duration(time.monotonic() - started)}"
    except ConnectionRefusedError:
        attempt.state = "refused"
        attempt.reason = "connection refused"
    except OSError as exc:  # no route, network down, address not available ...
        attempt.state = "unreachable"
        attempt.reason = f"cannot connect: {exc.strerror or exc}"
    attempt.seconds = time.monotonic() - started
    if attempt.reason is None:
        attempt.sock = sock
    else:
        sock.close()
    return attempt


def connect_first(addresses, deadline):
    """Try the addresses in turn, each with an equal share of the time left; stop at the first that connects."""
    attempts = []
    for index, (family, proto, sockaddr) in enumerate(addresses):
        share = (deadline - time.monotonic()) / (len(addresses) - index)
        attempt = connect(family, proto, sockaddr, share)
        attempts.append(attempt)
        if attempt.sock is not None:
            break
    return attempts


# --- the banner ---------------------------------------------------------------------------------

class Banner(object):
    def __init__(self):
        self.data = b""
        self.closed = False  # the server closed (or reset) the connection
        self.waited = 0.0

    def text(self):
        return self.data.decode("utf-8", errors="replace")


def read_banner(sock, regex, send, deadline):
    """The first bytes the server sends (after ``send``), until the regex matches, the server stops or time is up."""
    banner = Banner()
    started = time.monotonic()
    try:
        if send:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            sock.sendall(send)
        while len(banner.data) < MAX_BANNER_BYTES:
            wait = deadline - time.monotonic()
            if banner.data:
                wait = min(wait, QUIET_AFTER_DATA)
            if wait <= 0:
                break
            sock.settimeout(wait)
            try:
                chunk = sock.recv(MAX_BANNER_BYTES - len(banner.data))
            except socket.timeout:
                break
            if not chunk:
                banner.closed = True
                break
            banner.data += chunk
            if regex.search(banner.text()):
                break
    except socket.timeout:
        waited = format_duration(time.monotonic() - started)
        raise CheckError(f"timed out after {waited} sending {len(send)} bytes") from None
    except ConnectionError:  # reset or broken pipe: what came before it is the banner
        banner.closed = True
    except OSError as exc:
        raise CheckError(f"reading the banner failed: {exc.strerror or exc}") from None
    banner.waited = time.monotonic() - started
    return banner


def _shown(text):
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"


def _check_banner(plan, sock, deadline, ev):
    regex = plan["banner_regex"]
    ev.expect("banner_regex", regex.pattern)
    banner = read_banner(sock, regex, plan["send"], deadline)
    ev.observe("banner", _shown(banner.text()))
    if not banner.data:
        if banner.closed:
            ev.finding("fail", "the server closed the connection without sending anything "
                               f"(banner_regex /{regex.pattern}/)")
            return
        hint = "" if plan["send"] else "; if the client speaks first, set send"
        raise CheckError(f"timed out after {format_duration(banner.waited)} "
                         f"waiting for the server to send anything{hint}")
    first_line = banner.text().splitlines()[0] if banner.text().strip() else banner.text()
    ev.require(regex.search(banner.text()) is not None,
               f"banner {_shown(first_line)!r} does not match /{regex.pattern}/",
               passing=f"banner {_shown(first_line.strip())}")


# --- evaluation ---------------------------------------------------------------------------------

def _why_not(attempts):
    if len(attempts) == 1:
        return attempts[0].reason
    return "; ".join(f"{a.address} {a.reason}" for a in attempts)


def _state_of(attempts):
    """'open', or how every attempt failed: 'refused', 'timed out', 'unreachable' (or a mix: 'not connected')."""
    states = set(a.state for a in attempts)
    if "open" in states:
        return "open"
    return states.pop() if len(states) == 1 else "not connected"


def run(plan, ctx):
    deadline = time.monotonic() + ctx.child_timeout()
    addresses = addresses_of(plan["host"], plan["port"], deadline)
    if not addresses:
        raise CheckError("{} has no address".format(plan["host"]))
    attempts = connect_first(addresses, deadline)
    ev = Evaluation()
    ev.expect("state", plan["state"])
    ev.observe("state", _state_of(attempts))
    ev.observe("address", attempts[-1].address)
    ev.observe("tried", [a.address for a in attempts])
    connected = attempts[-1].sock
    if connected is None:
        ev.observe("reason", _why_not(attempts))
        if plan["state"] == "closed":
            ev.note(f"closed: {_why_not(attempts)}")
        else:
            ev.finding("fail", f"{_why_not(attempts)} (expected open)")
        return ev.outcome()
    try:
        if plan["state"] == "closed":
            ev.finding("fail", f"open: {attempts[-1].address} accepted the connection (expected closed)")
            return ev.outcome()
        ev.note("open")
        ev.measure("connect_ms", round(attempts[-1].seconds * 1000.0, 3), plan["connect"], label="connect",
                   formatter=format_ms)
        if plan["banner_regex"] is not None:
            _check_banner(plan, connected, deadline, ev)
    finally:
        connected.close()
    return ev.outcome()
