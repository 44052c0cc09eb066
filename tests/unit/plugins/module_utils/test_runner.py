"""The concurrent runner: timeouts, the call deadline, exceptions, ordering."""

from __future__ import annotations

import threading
import time
import types

from ansible_collections.golive.readiness.plugins.module_utils._check import CheckError, Outcome
from ansible_collections.golive.readiness.plugins.module_utils._runner import PreparedCheck, run_checks


def fake_kind(behaviour):
    return types.SimpleNamespace(KIND="fake", run=behaviour)


def prepared(name, behaviour, timeout=2.0):
    item = {"section": "infrastructure", "severity": "high"}
    return PreparedCheck(item, "fake:%s" % name, name, fake_kind(behaviour), name, timeout)


def sleeper(seconds, status="pass"):
    def run(plan, ctx):
        time.sleep(seconds)
        return Outcome(status, "%s slept" % plan)
    return run


def test_results_keep_input_order_and_run_concurrently():
    checks = [prepared(str(i), sleeper(3.0), timeout=60) for i in range(8)]
    started = time.monotonic()
    records = run_checks(checks, max_workers=8, deadline=120)
    elapsed = time.monotonic() - started
    assert [r["id"] for r in records] == ["fake:%d" % i for i in range(8)]
    assert all(r["status"] == "pass" for r in records)
    # One after the other they take 24 s; the bound leaves a loaded machine 12 s of slack.
    assert elapsed < 15, "8 checks of 3 s on 8 workers took %.2fs" % elapsed


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
