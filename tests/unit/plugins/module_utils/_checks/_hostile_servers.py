"""Hostile servers on 127.0.0.1 that never end their answer: a Redis announcing a 3 GB bulk string, SMTP
servers sending an endless line or endless continuation lines, a STARTTLS greeting without end."""

from __future__ import annotations

import time

from ._tcp_servers import TcpServer

CHUNK = b"x" * 65536
# A hostile server stops streaming after this long (or when the client goes away): tests stay bounded.
STREAM_FOR_SECONDS = 60.0


def stream(conn, head, chunk=CHUNK):
    """Send ``head`` then ``chunk`` again and again until the client closes or the time is up."""
    conn.settimeout(STREAM_FOR_SECONDS)
    conn.sendall(head)
    stop_at = time.monotonic() + STREAM_FOR_SECONDS
    while time.monotonic() < stop_at:
        conn.sendall(chunk)


def _read_until(conn, marker):
    data = b""
    while marker not in data:
        piece = conn.recv(4096)
        if not piece:
            return None
        data += piece
    return data


def huge_bulk_redis(server, conn):
    """Answers the first command with ``$3000000000`` and streams data, as a hostile Redis would."""
    if _read_until(conn, b"\r\n") is not None:
        stream(conn, b"$3000000000\r\n")


def endless_line_smtp(server, conn):
    """A banner line that never ends."""
    stream(conn, b"220 ")


def endless_reply_smtp(server, conn):
    """A banner of continuation lines that never end, each short enough to pass a per-line limit."""
    stream(conn, b"", b"220-" + b"y" * 200 + b"\r\n")


def endless_json_http(server, conn):
    """Answers an HTTP request with a JSON array that never ends, as a hostile monitoring API would."""
    if _read_until(conn, b"\r\n\r\n") is not None:
        stream(conn, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n[",
               b"1," * 32768)


def hostile(serve):
    """A started TcpServer running ``serve`` for each connection (the caller stops it)."""
    return TcpServer(serve, backlog=64).start()


def huge_chain_tls_server(pki, copies=200):
    """A started TLS server presenting its leaf followed by the intermediate ``copies`` times (> 100 KiB)."""
    from ._tls_servers import TLSServer, server_context

    leaf = pki.leaf("valid")
    return TLSServer(server_context([leaf] + [pki.intermediate] * copies, leaf.key)).start()


def endless_starttls_greeting(server, conn):
    """An SMTP greeting of continuation lines that never ends, for a client that wants STARTTLS."""
    stream(conn, b"", b"220-" + b"z" * 200 + b"\r\n")
