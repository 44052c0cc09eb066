"""Waiting for checks that do not pass yet (the ``wait`` run option): rounds, backoff, bounds, validation.

The checks here are real tcp_port checks against real listeners on 127.0.0.1 that open during the wait.
"""

from __future__ import annotations

import socket
import threading
import time
import types

from ansible_collections.golive.readiness.plugins.module_utils._check import Outcome
from ansible_collections.golive.readiness.plugins.module_utils._checks import tcp_port
from ansible_collections.golive.readiness.plugins.module_utils._module import (
    CheckBatch,
    run_option_problems,
    validated_item,
)
from ansible_collections.golive.readiness.plugins.module_utils._runner import PreparedCheck, Waiting, run_checks
from ansible_collections.golive.readiness.plugins.plugin_utils._checklists import (
    HOST_RUN_VARIABLES,
    PROBE_RUN_VARIABLES,
    ChecklistValidation,
)
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._ports import unused_port


def port_checks(*ports, timeout="5s"):
    batch = CheckBatch({"timeout": timeout})
    for index, port in enumerate(ports):
        batch.add(f"checks[{index}]", validated_item({"host": "127.0.0.1", "port": port}, tcp_port), tcp_port)
    assert not batch.errors, batch.errors
    return batch.prepared


class Listener(object):
    """A real TCP listener on a given loopback port, opened when asked (from a timer, mid-wait)."""

    def __init__(self, port):
        self.port = port
        self.sock = None

    def open(self):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(16)  # connections complete in the kernel's backlog: enough for tcp_port
        self.sock = sock

    def close(self):
        if self.sock is not None:
            self.sock.close()


def opening_after_its_first_round(prepared, listener):
    """The prepared port check, with a kind that opens ``listener`` once its first round has run (refused),
    however late a loaded machine schedules that round."""
    real = prepared.kind_module

    def run(plan, ctx):
        outcome = real.run(plan, ctx)
        if listener.sock is None:
            listener.open()
        return outcome
    prepared.kind_module = types.SimpleNamespace(KIND=real.KIND, run=run)
    return prepared


def counting_kind(status, reruns=True):
    """A kind whose every round ends in ``status``, counting its rounds."""
    calls = []

    def run(plan, ctx):
        calls.append(time.monotonic())
        return Outcome(status, f"{status} again")
    return types.SimpleNamespace(KIND="counted", run=run, RERUN_WHILE_WAITING=reruns), calls


def counted_check(kind_module, timeout=5.0):
    item = {"section": "infrastructure", "severity": "high"}
    return PreparedCheck(item, "counted:x", "x", kind_module, None, timeout)


def test_the_pause_starts_at_the_interval_doubles_and_stops_growing_at_the_cap():
    waiting = Waiting(600, interval=2, max_interval=30)
    assert [waiting.pause(rounds) for rounds in range(1, 8)] == [2, 4, 8, 16, 30, 30, 30]
    assert Waiting(600, interval=1, max_interval=1).pause(50) == 1


def test_a_port_that_opens_mid_wait_passes_after_more_rounds_and_an_open_one_passes_in_one():
    late = Listener(unused_port())
    early = Listener(unused_port())
    early.open()
    late_check, early_check = port_checks(late.port, early.port)
    try:
        records = run_checks([opening_after_its_first_round(late_check, late), early_check], deadline=30,
                             waiting=Waiting(60, interval=0.5, max_interval=1))
    finally:
        late.close()
        early.close()
    assert records[0]["status"] == "pass", records[0]
    assert records[0]["rounds"] > 1
    # From the first round's start to the passing round's end: at least the pause before the second round.
    assert records[0]["duration_ms"] >= 400
    assert records[1]["status"] == "pass" and records[1]["rounds"] == 1


def test_a_port_that_never_opens_fails_after_the_wait_with_its_rounds_counted_and_the_call_bounded():
    started = time.monotonic()
    [record] = run_checks(port_checks(unused_port()), deadline=30, waiting=Waiting(4, interval=0.5, max_interval=1))
    elapsed = time.monotonic() - started
    assert record["status"] == "fail" and "refused" in record["summary"], record
    # Rounds at about 0, 0.5, 1.5, 2.5, 3.5 and 4 s; a loaded machine may fit fewer, never fewer than two
    # (the first and the one due at the wait's end).
    assert record["rounds"] >= 2
    assert elapsed >= 4  # the last round is due at the wait's end
    assert elapsed < 30, f"a 4 s wait of refused connections took {elapsed:.1f}s"


def test_without_a_wait_a_check_runs_once_and_its_record_has_no_rounds():
    [record] = run_checks(port_checks(unused_port()), deadline=30)
    assert record["status"] == "fail" and "rounds" not in record


def test_a_warning_is_settled_and_runs_once():
    kind_module, calls = counting_kind("warn")
    [record] = run_checks([counted_check(kind_module)], deadline=30, waiting=Waiting(3, interval=0.2, max_interval=0.2))
    assert record["status"] == "warn" and record["rounds"] == 1 and len(calls) == 1


def test_errors_run_again_but_a_kind_that_opts_out_runs_once():
    erring, error_calls = counting_kind("error")
    drill, drill_calls = counting_kind("fail", reruns=False)
    records = run_checks([counted_check(erring), counted_check(drill)], deadline=30,
                         waiting=Waiting(2, interval=0.2, max_interval=0.2))
    assert records[0]["status"] == "error" and records[0]["rounds"] == len(error_calls) > 1
    assert records[1]["status"] == "fail" and records[1]["rounds"] == len(drill_calls) == 1


def test_the_wait_extends_a_shorter_deadline_and_a_hung_check_still_ends_by_its_timeout():
    never = threading.Event()

    def hang(plan, ctx):
        never.wait()

    hung = types.SimpleNamespace(KIND="hung", run=hang)
    late = Listener(unused_port())
    # Opened 1.5 s after the first round was refused: after the 1 s deadline, well within the wait.
    opener = threading.Timer(1.5, late.open)
    [late_check] = port_checks(late.port)
    real = late_check.kind_module

    def refused_first(plan, ctx):
        outcome = real.run(plan, ctx)
        if not opener.is_alive() and late.sock is None:
            opener.start()
        return outcome
    late_check.kind_module = types.SimpleNamespace(KIND=real.KIND, run=refused_first)
    started = time.monotonic()
    try:
        records = run_checks([late_check, counted_check(hung, timeout=0.5)], deadline=1,
                             waiting=Waiting(10, interval=0.5, max_interval=0.5))
    finally:
        opener.cancel()
        late.close()
    elapsed = time.monotonic() - started
    # The deadline of 1 s alone would have ended the call before the port opened.
    assert records[0]["status"] == "pass" and records[0]["rounds"] > 1, records[0]
    assert records[1]["status"] == "error" and records[1]["summary"] == "timed out after 500ms"
    assert records[1]["rounds"] > 1
    # Bounded by the wait plus one timeout (plus the deadline, 1 s): generous for a loaded machine.
    assert elapsed < 30, f"a wait ended by a pass after about 2 s took {elapsed:.1f}s"


def test_wait_options_are_refused_with_their_names_and_ranges():
    assert run_option_problems({"wait": "25h"}) == ["wait: '25h' is outside 0s to 24h"]
    assert run_option_problems({"wait": "soon"}) == [
        "wait: 'soon' is not a number with an optional unit (allowed: 0s to 24h)"]
    assert run_option_problems({"wait_interval": "10ms"}) == ["wait_interval: '10ms' is outside 100ms to 1h"]
    assert run_option_problems({"wait_max_interval": float("nan")}) == [
        "wait_max_interval: nan is not a finite number (allowed: 100ms to 1h)"]
    assert run_option_problems({"wait": "1m", "wait_interval": "5s", "wait_max_interval": "2s"}) == [
        "wait_max_interval: '2s' is shorter than wait_interval '5s' "
        "(the pause starts at wait_interval and doubles up to wait_max_interval)"]
    assert run_option_problems({"wait": "10m", "wait_interval": "2s", "wait_max_interval": "30s"}) == []


def test_the_playbook_names_the_wait_variables():
    validation = ChecklistValidation()
    validation.check_run_options("web01", {"wait": "forever", "deadline": "45s"}, HOST_RUN_VARIABLES)
    validation.check_run_options("localhost", {"wait": "1m", "wait_interval": "1m", "wait_max_interval": "30s"},
                                 PROBE_RUN_VARIABLES)
    assert validation.problems() == [
        "golive_wait: wait: 'forever' is not a number with an optional unit (allowed: 0s to 24h) "
        "(in the variables of web01)",
        "golive_wait_max_interval: '30s' is shorter than golive_wait_interval '1m' (the pause starts at "
        "golive_wait_interval and doubles up to golive_wait_max_interval) (in the variables of localhost)"]
