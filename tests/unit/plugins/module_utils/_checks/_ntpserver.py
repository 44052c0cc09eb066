"""A real SNTP server on 127.0.0.1 for the time_sync tests: a thread answering NTP datagrams.

It answers with its own clock plus a configurable offset, so a test can put the checked clock 2 s or
10 min "off" without touching the host's clock. It can also answer like a broken or unfriendly server:
kiss-of-death (stratum 0), unsynchronized (stratum 16, leap indicator 3), a wrong origin timestamp, or
not at all. No public NTP server is ever contacted.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time

NTP_EPOCH_OFFSET = 2208988800
PACKET = struct.Struct("!BBbbII4sQQQQ")


def ntp_timestamp(unix_seconds):
    seconds = int(unix_seconds)
    fraction = int((unix_seconds - seconds) * 2 ** 32) & 0xFFFFFFFF
    return (((seconds + NTP_EPOCH_OFFSET) & 0xFFFFFFFF) << 32) | fraction


class Behaviour(object):
    """How the server answers; change its attributes while the server runs."""

    def __init__(self, offset=0.0, stratum=2, leap=0, kiss_code=b"RATE", echo_origin=True, silent=False,
                 delay=0.0):
        self.offset = offset
        self.stratum = stratum
        self.leap = leap
        self.kiss_code = kiss_code
        self.echo_origin = echo_origin
        self.silent = silent
        self.delay = delay


def answer(request, behaviour):
    """The server's reply to a client request (RFC 4330 section 5, server side)."""
    received = time.time() + behaviour.offset
    if len(request) < PACKET.size:
        return None
    first = request[0]
    version = (first >> 3) & 7
    client_transmit = PACKET.unpack(request[:PACKET.size])[-1]
    if behaviour.delay:
        time.sleep(behaviour.delay)
    ref_id = behaviour.kiss_code if behaviour.stratum == 0 else b"LOCL"
    origin = client_transmit if behaviour.echo_origin else client_transmit ^ 0xFFFF
    transmit = time.time() + behaviour.offset
    return PACKET.pack((behaviour.leap << 6) | (version << 3) | 4, behaviour.stratum, 6, -20, 0, 0, ref_id,
                       ntp_timestamp(received - 60), origin, ntp_timestamp(received), ntp_timestamp(transmit))


class Served(object):
    def __init__(self, port, behaviour, seen):
        self.port = port
        self.address = f"127.0.0.1:{port}"
        self.behaviour = behaviour
        self.seen = seen


@contextlib.contextmanager
def ntp_server(behaviour=None):
    """Serve NTP on 127.0.0.1 on a free UDP port; yields a Served (port, behaviour, requests seen)."""
    behaviour = behaviour or Behaviour()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.1)
    stop = threading.Event()
    seen = []

    def serve():
        while not stop.is_set():
            try:
                request, peer = sock.recvfrom(1024)
            except socket.timeout:
                continue
            seen.append(request)
            if behaviour.silent:
                continue
            reply = answer(request, behaviour)
            if reply is not None:
                sock.sendto(reply, peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield Served(sock.getsockname()[1], behaviour, seen)
    finally:
        stop.set()
        thread.join(2)
        sock.close()
