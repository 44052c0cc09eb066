# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bounded concurrent runner: every check under its own timeout, the whole call under a deadline (private)."""

from __future__ import annotations

import collections
import heapq
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

    def record(self, outcome: Outcome, duration_ms: float, rounds: int | None = None) -> dict:
        return make_record(self.item, self.check_id, self.kind_module.KIND, self.title, outcome, duration_ms, rounds)


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
    "alertmanager", "dns_record", "http_endpoint", "prometheus_query", "prometheus_targets", "redis", "smtp_server",
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


# A check is run again while waiting when its last round ended in one of these: a service that is not up yet
# refuses or answers wrongly, a fail or an error depending on the kind. A warn is a settled finding (a disk
# 85% full), not a service coming up.
RERUN_STATUSES = frozenset(("fail", "error"))
# A re-run waiting for a free worker may still start this long after the wait's end: on a loaded machine
# the runner wakes late, and the last round, due at the wait's end, would otherwise never start.
_RERUN_START_GRACE = 2.0


class Waiting(object):
    """How a call waits for checks that do not pass yet: each is run again after a pause that starts at
    ``interval`` and doubles up to ``max_interval``, the last round due at the wait's end at the latest."""

    def __init__(self, seconds: float = 0.0, interval: float = 2.0, max_interval: float = 30.0) -> None:
        self.seconds = seconds
        self.interval = interval
        self.max_interval = max_interval

    def pause(self, rounds: int) -> float:
        """The pause after a check's ``rounds``-th round."""
        return min(self.max_interval, self.interval * 2 ** min(rounds - 1, 40))


NO_WAITING = Waiting()


def reruns_while_waiting(check: PreparedCheck) -> bool:
    """Whether a kind's checks are run again while waiting (not a restore drill: minutes of work each round)."""
    return getattr(check.kind_module, "RERUN_WHILE_WAITING", True)


def run_checks(checks: list[PreparedCheck], max_workers: int = 8, deadline: float | None = 45.0,
               network_workers: int = 0, waiting: Waiting = NO_WAITING) -> list[dict]:
    """Run prepared checks concurrently and return their records in input order.

    At most ``max_workers`` checks run at once, plus, when ``network_workers`` is set, up to that many
    network-bound checks (NETWORK_BOUND_KINDS) in a pool of their own. ``deadline=None`` derives the
    call deadline from the work (work_deadline). With ``waiting``, checks whose round ends in
    RERUN_STATUSES run again (see Waiting) until they pass or the wait is over, and the call may take
    the wait longer than its deadline. Worker threads are daemons: a check stuck in a system call is
    abandoned once its timeout passes (reported as ``error``) and cannot keep the module process alive.
    """
    if deadline is None:
        deadline = work_deadline(checks, max_workers, network_workers)
    # A deadline that is not a finite number would never be reached: no check would start, none end.
    checked_number(deadline, "deadline", "duration")
    return _CallRun(checks, {True: network_workers, False: max_workers}, deadline, waiting).run()


class _CallRun(object):
    """One call's checks: the pools, the rounds of the checks being waited for, and their records."""

    def __init__(self, checks: list[PreparedCheck], limits: dict[bool, int], deadline: float, waiting: Waiting) -> None:
        self.checks = checks
        self.limits = limits
        self.waiting = waiting
        self.records: list[dict | None] = [None] * len(checks)
        self.rounds = [0] * len(checks)
        self.first_started: list[float | None] = [None] * len(checks)
        self.queues: dict[bool, collections.deque[int]] = {True: collections.deque(), False: collections.deque()}
        for index, check in enumerate(checks):
            self.queues[self._pool_of(check)].append(index)
        self.busy = {True: 0, False: 0}
        self.running: dict[int, _Slot] = {}
        self.reruns: list[tuple[float, int]] = []  # a heap of (when due, index)
        self.done = threading.Condition()
        started = time.monotonic()
        self.wait_end = started + waiting.seconds
        self.call_deadline = started + deadline + waiting.seconds
        self.limit_text = format_duration(deadline)
        if waiting.seconds:
            self.limit_text += f" plus the wait of {format_duration(waiting.seconds)}"

    def _pool_of(self, check: PreparedCheck) -> bool:
        return bool(self.limits[True]) and is_network_bound(check)

    def run(self) -> list[dict]:
        with self.done:
            while self.queues[True] or self.queues[False] or self.running or self.reruns:
                now = time.monotonic()
                self._queue_due_reruns(now)
                self._start_what_fits()
                self._collect_ended(time.monotonic())
                if time.monotonic() >= self.call_deadline:
                    self._give_up_on_the_rest()
                self._sleep_until_something_happens()
        return self.records

    def _work(self, slot: _Slot) -> None:
        outcome = run_one(slot.check, self.call_deadline)
        with self.done:
            slot.outcome = outcome
            slot.finished = time.monotonic()
            self.done.notify_all()

    def _queue_due_reruns(self, now: float) -> None:
        while self.reruns and self.reruns[0][0] <= now:
            index = heapq.heappop(self.reruns)[1]
            self.queues[self._pool_of(self.checks[index])].append(index)

    def _may_start(self, index: int, now: float) -> bool:
        if self.rounds[index]:  # a re-run: only within the wait (its last record stands otherwise)
            return now < self.wait_end + _RERUN_START_GRACE and now < self.call_deadline
        return now < self.call_deadline

    def _start_what_fits(self) -> None:
        for network, queue in self.queues.items():
            while queue and self.busy[network] < self.limits[network]:
                index = queue.popleft()
                now = time.monotonic()
                if not self._may_start(index, now):
                    if self.rounds[index]:
                        continue
                    queue.appendleft(index)
                    break
                slot = _Slot(self.checks[index])
                slot.network = network
                self.running[index] = slot
                self.busy[network] += 1
                self.rounds[index] += 1
                if self.first_started[index] is None:
                    self.first_started[index] = slot.started
                threading.Thread(target=self._work, args=(slot,), daemon=True).start()

    def _collect_ended(self, now: float) -> None:
        for index, slot in list(self.running.items()):
            if slot.outcome is not None:
                self._finish(index, slot, slot.outcome, slot.finished)
            elif now >= slot.started + slot.check.timeout:
                timed_out = Outcome("error", f"timed out after {format_duration(slot.check.timeout)}")
                self._finish(index, slot, timed_out, now)
            elif now >= self.call_deadline:
                reason = f"call deadline of {self.limit_text} reached before the check finished"
                self._finish(index, slot, Outcome("error", reason), now)

    def _finish(self, index: int, slot: _Slot, outcome: Outcome, ended: float) -> None:
        rounds = self.rounds[index] if self.waiting.seconds else None
        self.records[index] = slot.check.record(outcome, (ended - self.first_started[index]) * 1000, rounds)
        self.busy[slot.network] -= 1
        del self.running[index]
        if self._runs_again(slot.check, outcome, ended):
            due = min(ended + self.waiting.pause(self.rounds[index]), self.wait_end)
            heapq.heappush(self.reruns, (due, index))

    def _runs_again(self, check: PreparedCheck, outcome: Outcome, ended: float) -> bool:
        return (outcome.status in RERUN_STATUSES and ended < self.wait_end and ended < self.call_deadline
                and reruns_while_waiting(check))

    def _give_up_on_the_rest(self) -> None:
        """At the call deadline: checks never started are errors; re-runs not started keep their last record."""
        self.reruns = []
        for queue in self.queues.values():
            for index in queue:
                if self.records[index] is None:
                    self.records[index] = self.checks[index].record(Outcome(
                        "error", f"not started: the call deadline of {self.limit_text} was reached"), 0,
                        0 if self.waiting.seconds else None)
            queue.clear()

    def _sleep_until_something_happens(self) -> None:
        if any(slot.outcome is not None for slot in self.running.values()):
            return
        wake_at = min([self.call_deadline] + [s.started + s.check.timeout for s in self.running.values()]
                      + [due for due, _index in self.reruns[:1]])
        if self.running or self.reruns or any(self.queues.values()):
            self.done.wait(max(0.0, min(wake_at - time.monotonic(), 0.5)))
