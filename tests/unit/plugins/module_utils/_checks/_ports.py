"""Loopback ports nothing listens on, for the test servers and the 'refused' and 'dead' cases."""

from __future__ import annotations

import socket


def unused_port(kind=socket.SOCK_STREAM):
    """A 127.0.0.1 port nothing listens on right now (bound by the kernel's choice, then released)."""
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def unused_udp_port():
    """A UDP port nothing listens on: a datagram to it is answered by ICMP port unreachable."""
    return unused_port(socket.SOCK_DGRAM)
