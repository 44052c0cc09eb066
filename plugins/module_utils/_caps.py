# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Size caps on what a checked server may send: read at most N bytes, or fail naming the cap (private).

A checked server is not trusted to end its answer: a Redis reply announcing 3 GB, an SMTP reply of
endless continuation lines or a result set without end would otherwise be read into the probe's
memory until the check's timeout, once per concurrent check. Every protocol reader counts what it
reads against a cap named by a module-level constant of its kind; over the cap the check is
``error`` with a message naming that constant.
"""

from __future__ import annotations

from typing import Any, Callable

from ansible_collections.golive.readiness.plugins.module_utils._check import CheckError, format_size


class CapExceeded(CheckError):
    """A server sent more than a reader's cap allows; the check cannot be evaluated."""

    def __init__(self, what: str, cap: int, name: str, shown: str | None = None) -> None:
        self.what = what
        self.cap = cap
        self.name = name
        super().__init__(f"{what} exceeded the size cap {name} ({shown or format_size(cap)}); reading stopped there")


class ByteBudget(object):
    """Counts the bytes read over one conversation against a cap."""

    def __init__(self, cap: int, name: str, what: str) -> None:
        self.cap = cap
        self.name = name
        self.what = what
        self.used = 0

    def charge(self, count: int) -> None:
        """Count ``count`` more bytes read; raise CapExceeded once the total is over the cap."""
        self.used += count
        if self.used > self.cap:
            raise CapExceeded(self.what, self.cap, self.name)


def read_at_most(read: Callable[[int], bytes], cap: int, name: str, what: str) -> bytes:
    """``read(cap + 1)`` and raise CapExceeded if the answer is longer than ``cap``."""
    data = read(cap + 1)
    if len(data) > cap:
        raise CapExceeded(what, cap, name)
    return data


class CappedSocket(object):
    """A connected socket whose reads are charged to a ByteBudget; every other call is passed through.

    Client libraries that read from a socket they were handed (redis-py) read through this one, so
    no reply can grow past the cap however its length was announced.
    """

    def __init__(self, sock: Any, budget: ByteBudget) -> None:
        self._sock = sock
        self._budget = budget

    def recv(self, size: int, *flags: int) -> bytes:
        data = self._sock.recv(min(size, self._room()), *flags)
        self._budget.charge(len(data))
        return data

    def recv_into(self, buffer: Any, size: int = 0, *flags: int) -> int:
        size = min(size or len(buffer), self._room())
        count = self._sock.recv_into(buffer, size, *flags)
        self._budget.charge(count)
        return count

    def _room(self) -> int:
        """At most one byte past the cap is ever asked for: enough to know the cap was exceeded."""
        return max(1, self._budget.cap - self._budget.used + 1)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class CappedReader(object):
    """A binary file (``socket.makefile('rb')``) whose reads are charged to a ByteBudget, with lines
    limited to ``line_cap`` bytes (over it: CapExceeded naming ``line_cap_name``)."""

    def __init__(self, stream: Any, budget: ByteBudget, line_cap: int | None = None,
                 line_cap_name: str = "") -> None:
        self._stream = stream
        self._budget = budget
        self._line_cap = line_cap
        self._line_cap_name = line_cap_name

    def readline(self, limit: int = -1) -> bytes:
        wanted = self._line_cap + 1 if self._line_cap is not None else -1
        if limit is not None and limit >= 0:
            wanted = limit if wanted < 0 else min(limit, wanted)
        line = self._stream.readline(wanted)
        self._budget.charge(len(line))
        if self._line_cap is not None and len(line) > self._line_cap:
            raise CapExceeded(f"a line from the server ({self._budget.what})", self._line_cap, self._line_cap_name)
        return line

    def read(self, size: int = -1) -> bytes:
        room = self._budget.cap - self._budget.used + 1
        data = self._stream.read(room if size is None or size < 0 else min(size, room))
        self._budget.charge(len(data))
        return data

    def close(self) -> None:
        self._stream.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
