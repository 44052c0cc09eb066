# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bounded concurrent runner: every check under its own timeout, the whole call under a deadline (private)."""

from __future__ import annotations

import collections
import math
import threading
import time
from types import ModuleType

from ansible_collections.golive.readiness.plugins.module_utils._check import (
    CheckError,
    OptionError,
    Outcome,
    checked_number,
    format_duration,
    make_record,
)


class PreparedCheck(object):
    """One validated check item, ready to run."""

    def __init__(self, item: dict, check_id: str, title: str, kind_module: ModuleType, plan: dict,
                 timeout: float) -> None:
        self.item = item
        self.check_id = check_id
        self.title = title
        self.kind_module = kind_module
        self.plan = plan
        self.timeout = timeout

    def record(self, outcome: Outcome, duration_ms: float) -> dict:
        return make_record(self.item, self.check_id, self.kind_module.KIND, self.title, outcome, duration_ms)


class CheckContext(object):
    """What a running check may know about its own limits."""

    def __init__(self, timeout: float, call_deadline: float | None = None) -> None:
        self.timeout = timeout
        self.started = time.monotonic()
        self.ends = self.started + timeout
        if call_deadline is not None:
            self.ends = min(self.ends, call_deadline)

    def remaining(self) -> float:
        """Seconds left before this check is given up on, by its timeout or the call's deadline."""
        return max(0.05, self.ends - time.monotonic())

    def child_timeout(self) -> float:
        """Time a child process may take: a little less than the check's, so that it is killed and
        reaped before the runner gives up on the check (and the module may exit, orphaning it)."""
        remaining = self.remaining()
        return max(0.05, remaining - min(0.25, remaining * 0.2))


def run_one(check: PreparedCheck, call_deadline: float | None = None) -> Outcome:
    """Run a check and turn any exception into an ``error`` outcome: unknown is never ``pass``."""
    ctx = CheckContext(check.timeout, call_deadline)
    try:
        outcome = check.kind_module.run(check.plan, ctx)
    except (CheckError, OptionError) as exc:
        outcome = Outcome("error", str(exc))
    except Exception as exc:  # a bug or an unforeseen environment must not hide the other checks
        outcome = Outcome("error", f"unexpected {type(exc).__name__}: {exc}")
    if not isinstance(outcome, Outcome):
        outcome = Outcome("error", "check returned no outcome")
    return outcome


class _Slot(object):
    """A check the runner has started: when, in which pool, and its outcome once it has one."""

    def __init__(self, check: PreparedCheck) -> None:
        self.check = check
        self.started = time.monotonic()
        self.outcome: Outcome | None = None
        self.finished: float | None = None
        self.network = False


# Kinds whose checks spend their time waiting on a remote server's socket, with one short-lived
# connection each: they run in their own, wider pool (network_workers). Database kinds are not here:
# each holds a server connection, and database servers cap those (max_connections).
NETWORK_BOUND_KINDS = frozenset((
    "alertmanager", "dns_record", "http_endpoint", "prometheus_targets", "redis", "smtp_server",
    "stripe_account", "tcp_port", "tls_certificate",
))
# A derived deadline allows this much beyond the worst case, for starting threads on a loaded machine.
_DEADLINE_GRACE = 10.0


def is_network_bound(check: PreparedCheck) -> bool:
    return check.kind_module.KIND in NETWORK_BOUND_KINDS


def _pool_bound(timeouts: list[float], workers: int) -> float:
    """Worst case of one pool: every wave of ``workers`` checks runs to the longest timeout."""
    if not timeouts:
        return 0.0
    return math.ceil(len(timeouts) / float(workers)) * max(timeouts)


def work_deadline(checks: list[PreparedCheck], max_workers: int = 8, network_workers: int = 0) -> float:
    """A call deadline that follows the work: the worst case of the slower pool (each check ends by
    its own timeout), plus a grace for a loaded machine. Never cuts a check short by itself."""
    network = [c.timeout for c in checks if network_workers and is_network_bound(c)]
    local = [c.timeout for c in checks if not (network_workers and is_network_bound(c))]
    worst = max(_pool_bound(network, network_workers or 1), _pool_bound(local, max_workers))
    return worst + max(_DEADLINE_GRACE, worst * 0.1)


def run_checks(checks: list[PreparedCheck], max_workers: int = 8, deadline: float | None = 45.0,
               network_workers: int = 0) -> list[dict]:
    """Run prepared checks concurrently and return their records in input order.

    At most ``max_workers`` checks run at once, plus, when ``network_workers`` is set, up to that many
    network-bound checks (NETWORK_BOUND_KINDS) in a pool of their own. ``deadline=None`` derives the
    call deadline from the work (work_deadline). Worker threads are daemons: a check stuck in a
    system call is abandoned once its timeout passes (reported as ``error``) and cannot keep the
    module process alive.
    """
    if deadline is None:
        deadline = work_deadline(checks, max_workers, network_workers)
    # A deadline that is not a finite number would never be reached: no check would start, none end.
    checked_number(deadline, "deadline", "duration")
    records = [None] * len(checks)
    queues: dict[bool, collections.deque[int]] = {True: collections.deque(), False: collections.deque()}
    for index, check in enumerate(checks):
        queues[bool(network_workers) and is_network_bound(check)].append(index)
    limits = {True: network_workers, False: max_workers}
    busy = {True: 0, False: 0}
    running: dict[int, _Slot] = {}
    done = threading.Condition()
    call_started = time.monotonic()
    call_deadline = call_started + deadline

    def work(slot: _Slot) -> None:
        outcome = run_one(slot.check, call_deadline)
        with done:
            slot.outcome = outcome
            slot.finished = time.monotonic()
            done.notify_all()

    def finish(index: int, slot: _Slot, outcome: Outcome, ended: float) -> None:
        records[index] = slot.check.record(outcome, (ended - slot.started) * 1000)
        busy[slot.network] -= 1
        del running[index]

    def start_what_fits() -> None:
        for network, queue in queues.items():
            while queue and busy[network] < limits[network] and time.monotonic() < call_deadline:
                index = queue.popleft()
                slot = _Slot(checks[index])
                slot.network = network
                running[index] = slot
                busy[network] += 1
                threading.Thread(target=work, args=(slot,), daemon=True).start()

    with done:
        while queues[True] or queues[False] or running:
            start_what_fits()
            now = time.monotonic()
            for index, slot in list(running.items()):
                if slot.outcome is not None:
                    finish(index, slot, slot.outcome, slot.finished)
                elif now >= slot.started + slot.check.timeout:
                    finish(index, slot, Outcome(
                        "error", f"timed out after {format_duration(slot.check.timeout)}"), now)
                elif now >= call_deadline:
                    reason = f"call deadline of {format_duration(deadline)} reached before the check finished"
                    finish(index, slot, Outcome("error", reason), now)
            if now >= call_deadline:
                for queue in queues.values():
                    for index in queue:
                        records[index] = checks[index].record(Outcome(
                            "error", f"not started: the call deadline of {format_duration(deadline)} was reached"), 0)
                    queue.clear()
            if running:
                wake_at = min([call_deadline] + [s.started + s.check.timeout for s in running.values()])
                if not any(s.outcome is not None for s in running.values()):
                    done.wait(max(0.0, min(wake_at - time.monotonic(), 0.5)))
    return records
