# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Name resolution and TCP connections bounded by the time a check has left (private).

getaddrinfo() takes no timeout: a silent nameserver holds it for the resolver's own timeouts and
attempts (30 s and more), whatever the check's ``timeout``. Every network kind resolves through
resolve(), which asks in a daemon thread and gives up when the check's time is spent; the thread,
if still blocked, ends with the process.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any, Callable

from ansible_collections.golive.readiness.plugins.module_utils._check import CheckError, format_duration

# (family, type, proto, sockaddr) of one address to connect to.
Address = tuple

Resolver = Callable[..., list]


def resolve(host: str, port: int, seconds: float, socktype: int = socket.SOCK_STREAM,
            getaddrinfo: Resolver = socket.getaddrinfo) -> list[Address]:
    """The addresses of ``host`` (each once, in the resolver's order), asked for at most ``seconds``.

    CheckError 'resolving <host> timed out after <seconds>' when the resolver has not answered by then,
    'cannot resolve <host>: <reason>' when it answered that it cannot.
    """
    found: dict[str, Any] = {}

    def lookup() -> None:
        try:
            found["addresses"] = getaddrinfo(host, port, 0, socktype)
        except (OSError, UnicodeError) as exc:  # socket.gaierror is an OSError
            found["error"] = exc

    started = time.monotonic()
    worker = threading.Thread(target=lookup, name=f"resolve {host}", daemon=True)
    worker.start()
    worker.join(max(0.0, seconds))
    if worker.is_alive():
        raise CheckError(f"resolving {host} timed out after {format_duration(time.monotonic() - started)}")
    if "error" in found:
        exc = found["error"]
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise CheckError(f"cannot resolve {host}: {reason}")
    unique: list[Address] = []
    for info in found["addresses"]:
        address = (info[0], info[1], info[2], info[4])  # without the canonical name
        if address not in unique:
            unique.append(address)
    if not unique:
        raise CheckError(f"cannot resolve {host}: no address")
    return unique


def connect_tcp(host: str, port: int, seconds: float, getaddrinfo: Resolver = socket.getaddrinfo) -> socket.socket:
    """A TCP socket connected to ``host`` within ``seconds`` in all, resolution included, trying its addresses in
    turn with the time left, like socket.create_connection. The socket's timeout is what was left.

    Resolution fails with CheckError (see resolve); connecting with the OSError of the last address tried
    (socket.timeout once the time is spent), as socket.create_connection does.
    """
    deadline = time.monotonic() + seconds
    addresses = resolve(host, port, seconds, socket.SOCK_STREAM, getaddrinfo)
    error: OSError | None = None
    for family, kind, proto, sockaddr in addresses:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(left)
            sock.connect(sockaddr)
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            return sock
        except OSError as exc:
            sock.close()
            error = exc
    raise error if error is not None else socket.timeout("timed out")


def create_connection(address: tuple[str, int], timeout: float | None = None, source_address: Any = None,
                      **dummy: Any) -> socket.socket:
    """connect_tcp with socket.create_connection's signature, for clients that take that hook
    (http.client's ``_create_connection``). ``timeout`` bounds resolution and connecting together."""
    if source_address is not None:
        raise ValueError("create_connection: source_address is not supported")
    return connect_tcp(address[0], address[1], 60.0 if timeout is None else timeout)
