"""The report callback's interrupt path: a real signal to this process, ansible's handler stood in for."""

from __future__ import annotations

import os
import signal

import pytest

from ansible_collections.golive.readiness.plugins.callback import report as report_callback


class QuietDisplay(object):
    columns = 80
    verbosity = 0

    def warning(self, *args, **kwargs):
        pass

    def display(self, *args, **kwargs):
        pass


class AnsibleHandler(object):
    """Stands in for ansible's TaskQueueManager handler: records when it was given the signal."""

    def __init__(self, log):
        self.log = log

    def __call__(self, signum, frame):
        self.log.append(("ansible", signal.Signals(signum).name))


@pytest.fixture
def run(monkeypatch):
    """A callback built after 'ansible' installed its handlers, whose report writing is recorded."""
    saved = {signum: signal.getsignal(signum) for signum in report_callback.INTERRUPT_SIGNALS}
    log = []
    for signum in report_callback.INTERRUPT_SIGNALS:
        signal.signal(signum, AnsibleHandler(log))
    callback = report_callback.CallbackModule(display=QuietDisplay())

    during = []

    def report_run(interrupted=None):
        log.append(("report", interrupted))
        for signum in during:
            os.kill(os.getpid(), signum)  # delivered to this (main) thread's handler right here
    monkeypatch.setattr(callback, "_report_run", report_run)
    try:
        yield callback, log, during
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)


@pytest.mark.parametrize("signum", report_callback.INTERRUPT_SIGNALS, ids=lambda s: s.name)
def test_an_interrupted_golive_run_is_reported_before_ansible_gets_the_signal(run, signum):
    callback, log, _during = run
    callback._golive_started = True
    os.kill(os.getpid(), signum)
    assert log == [("report", signum.name), ("ansible", signum.name)]


def test_a_run_without_golive_tasks_passes_the_signal_straight_on(run):
    _callback, log, _during = run
    os.kill(os.getpid(), signal.SIGINT)
    assert log == [("ansible", "SIGINT")]


def test_a_signal_during_the_final_report_waits_for_it(run):
    callback, log, during = run
    callback._golive_ran = True
    during.append(signal.SIGTERM)
    callback.v2_playbook_on_stats(None)
    assert log == [("report", None), ("ansible", "SIGTERM")]


def test_a_second_signal_while_reporting_forces_the_way_out(run):
    callback, log, during = run
    callback._golive_started = True
    during.append(signal.SIGINT)
    os.kill(os.getpid(), signal.SIGTERM)
    assert log == [("report", "SIGTERM"), ("ansible", "SIGINT"), ("ansible", "SIGTERM")]
