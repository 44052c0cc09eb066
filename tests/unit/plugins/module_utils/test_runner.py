"""The concurrent runner: timeouts, the call deadline, exceptions, ordering."""

from __future__ import annotations

import threading
import time
import types

from ansible_collections.golive.readiness.plugins.module_utils._check import CheckError, Outcome
from ansible_collections.golive.readiness.plugins.module_utils._registry import KIND_NAMES
from ansible_collections.golive.readiness.plugins.module_utils._runner import (
    NETWORK_BOUND_KINDS,
    PreparedCheck,
    run_checks,
    work_deadline,
)


def fake_kind(behaviour, kind="fake"):
    return types.SimpleNamespace(KIND=kind, run=behaviour)


def prepared(name, behaviour, timeout=2.0, kind="fake"):
    item = {"section": "infrastructure", "severity": "high"}
    return PreparedCheck(item, f"{kind}:{name}", name, fake_kind(behaviour, kind), name, timeout)


def sleeper(seconds, status="pass"):
    def run(plan, ctx):
        time.sleep(seconds)
        return Outcome(status, f"{plan} slept")
    return run


def test_results_keep_input_order_and_run_concurrently():
    checks = [prepared(str(i), sleeper(3.0), timeout=60) for i in range(8)]
    started = time.monotonic()
    records = run_checks(checks, max_workers=8, deadline=120)
    elapsed = time.monotonic() - started
    assert [r["id"] for r in records] == [f"fake:{i}" for i in range(8)]
    assert all(r["status"] == "pass" for r in records)
    # One after the other they take 24 s; the bound leaves a loaded machine 12 s of slack.
    assert elapsed < 15, f"8 checks of 3 s on 8 workers took {elapsed:.2f}s"


def test_max_workers_bounds_concurrency():
    active = []
    peak = []
    lock = threading.Lock()

    def run(plan, ctx):
        with lock:
            active.append(plan)
            peak.append(len(active))
        time.sleep(0.1)
        with lock:
            active.remove(plan)
        return Outcome("pass", "ok")

    run_checks([prepared(str(i), run) for i in range(6)], max_workers=2, deadline=10)
    assert max(peak) == 2


def test_hung_check_times_out_without_stalling_the_others():
    never = threading.Event()

    def hang(plan, ctx):
        never.wait()

    checks = [prepared("hung", hang, timeout=0.5), prepared("quick", sleeper(0.05))]
    started = time.monotonic()
    records = run_checks(checks, max_workers=4, deadline=60)
    assert time.monotonic() - started < 20  # the hung check never returns: only its 0.5 s timeout ends it
    assert records[0]["status"] == "error"
    assert records[0]["summary"] == "timed out after 500ms"
    assert records[1]["status"] == "pass"


def test_call_deadline_turns_running_and_unstarted_checks_into_errors():
    checks = [prepared(str(i), sleeper(20), timeout=30) for i in range(3)]
    started = time.monotonic()
    records = run_checks(checks, max_workers=1, deadline=0.5)
    assert time.monotonic() - started < 12  # the first check alone sleeps 20 s: only the deadline ends the call
    assert records[0]["status"] == "error" and "deadline" in records[0]["summary"]
    assert all(r["status"] == "error" and "not started" in r["summary"] for r in records[1:])


def test_exceptions_become_error_never_pass():
    def raises_check_error(plan, ctx):
        raise CheckError("connection refused")

    def raises_bug(plan, ctx):
        raise KeyError("oops")

    def returns_nothing(plan, ctx):
        return None

    records = run_checks([prepared("a", raises_check_error), prepared("b", raises_bug),
                          prepared("c", returns_nothing)], deadline=5)
    assert [r["status"] for r in records] == ["error", "error", "error"]
    assert records[0]["summary"] == "connection refused"
    assert "KeyError" in records[1]["summary"]


def test_context_reports_remaining_time():
    seen = {}

    def run(plan, ctx):
        seen["remaining"] = ctx.remaining()
        return Outcome("pass", "ok")

    run_checks([prepared("a", run, timeout=3)], deadline=5)
    assert 2.5 < seen["remaining"] <= 3


class PeakConcurrency(object):
    """A check behaviour that records how many checks of each kind ran at the same time."""

    def __init__(self, hold=0.2):
        self.hold = hold
        self.active = {}
        self.peak = {}
        self.lock = threading.Lock()

    def __call__(self, plan, ctx):
        kind = plan.split("/")[0]
        with self.lock:
            self.active[kind] = self.active.get(kind, 0) + 1
            self.peak[kind] = max(self.peak.get(kind, 0), self.active[kind])
        time.sleep(self.hold)
        with self.lock:
            self.active[kind] -= 1
        return Outcome("pass", "ok")


def mixed(behaviour, network, local, timeout=30.0):
    return ([prepared(f"tcp_port/{i}", behaviour, timeout, kind="tcp_port") for i in range(network)]
            + [prepared(f"disk_space/{i}", behaviour, timeout, kind="disk_space") for i in range(local)])


def test_network_bound_checks_run_in_their_own_wider_pool():
    peaks = PeakConcurrency()
    records = run_checks(mixed(peaks, network=40, local=12), max_workers=3, deadline=120, network_workers=20)
    assert [r["status"] for r in records] == ["pass"] * 52
    assert peaks.peak["disk_space"] == 3
    assert 1 < peaks.peak["tcp_port"] <= 20


def test_without_network_workers_every_check_shares_max_workers():
    peaks = PeakConcurrency(hold=0.05)
    run_checks(mixed(peaks, network=6, local=6), max_workers=2, deadline=120)
    assert sum(peaks.peak.values()) <= 4 and max(peaks.peak.values()) <= 2


def test_derived_deadline_covers_every_wave_of_the_slower_pool():
    checks = mixed(sleeper(0), network=130, local=10, timeout=10.0)
    # 130 network checks on 64 workers: 3 waves of up to 10 s; 10 local on 8 workers: 2 waves.
    assert work_deadline(checks, max_workers=8, network_workers=64) == 30.0 + 10.0
    # Without a pool of their own, all 140 checks are waves of 8: 18 x 10 s, plus 10% grace.
    assert work_deadline(checks, max_workers=8) == 180.0 + 18.0


def test_derived_deadline_lets_more_checks_than_a_fixed_one_would_finish():
    checks = [prepared(str(i), sleeper(0.3), timeout=5) for i in range(6)]
    records = run_checks(checks, max_workers=1, deadline=None)
    assert [r["status"] for r in records] == ["pass"] * 6


def test_network_bound_kinds_are_kinds():
    assert sorted(NETWORK_BOUND_KINDS - set(KIND_NAMES)) == []
