# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Processes checks start, each in a process group of its own, all ended together when the run stops (private).

Every check that runs a program starts it with child_process(), which puts it in a new session (its
process group, grandchildren included, is killed as one) and registers it. A check that must undo
something if the module is stopped half-way (the restore drill's scratch database) registers that undo
with on_interrupt(). watch_controller() notices that the module's controller is gone (SIGINT, SIGTERM,
SIGHUP, its stdout hung up, its parent died): it then refuses new children, kills every registered
process group, lets the checks unwind, runs the undos still pending and exits the module.

A module on a managed host is never signalled when ansible-playbook is interrupted: ssh dies and sshd
closes the session's pipes. Hence the watch on stdout, whose reader is the controller's side.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import threading
import time
from typing import Any, Callable, Iterator

from ansible_collections.golive.readiness.plugins.module_utils._check import CheckError

# Signals that mean the controller gave up on this module.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# Seconds the checks get to unwind (their own cleanups) once their children are killed, before the
# pending cleanups are run from the watchdog.
UNWIND_GRACE = 5.0
# How often the watchdog looks at stdout and the parent process.
WATCH_INTERVAL = 0.25
# Seconds a stopping module waits, beyond the grace, for the pending cleanups (each bounds its own time).
_CLEANUP_BOUND = 60.0
# Exit status of a module stopped because its controller is gone.
STOPPED_EXIT = 143

_lock = threading.Lock()
_children: set[subprocess.Popen] = set()
_cleanups: list[OnInterrupt] = []
_stopping = threading.Event()


class Interrupted(CheckError):
    """The module is being stopped: no new process is started."""


_STOPPED_MESSAGE = "the run was interrupted; the check was stopped"


def _refuse_when_stopping() -> None:
    if _stopping.is_set():
        raise Interrupted(_STOPPED_MESSAGE)


def start_child(argv: list[str], **popen_kwargs: Any) -> subprocess.Popen:
    """Popen in a session of its own, registered so that stop_everything() can kill its process group.

    Interrupted when the module is being stopped; OSError as from Popen when the program cannot start.
    """
    _refuse_when_stopping()
    proc = subprocess.Popen(argv, start_new_session=True, **popen_kwargs)
    with _lock:
        _children.add(proc)
        racing = _stopping.is_set()
    if racing:  # the watchdog's kill may have run before the registration
        kill_process_group(proc)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
        raise Interrupted(_STOPPED_MESSAGE)
    return proc


def forget_child(proc: subprocess.Popen) -> None:
    with _lock:
        _children.discard(proc)


def signal_group(proc: subprocess.Popen, signum: int = signal.SIGKILL) -> None:
    try:
        os.killpg(proc.pid, signum)
    except OSError:
        pass  # already gone


def kill_process_group(proc: subprocess.Popen) -> None:
    """Kill a child started by start_child, grandchildren included, reap it and forget it."""
    signal_group(proc)
    proc.wait()
    forget_child(proc)


def end_child(proc: subprocess.Popen) -> None:
    """Done with a child: its group is killed if its leader still runs, and it is forgotten."""
    if proc.poll() is None:
        kill_process_group(proc)
    forget_child(proc)


@contextlib.contextmanager
def child_process(argv: list[str], **popen_kwargs: Any) -> Iterator[subprocess.Popen]:
    """start_child() for the ``with`` block, ended with end_child() on leaving it."""
    proc = start_child(argv, **popen_kwargs)
    try:
        yield proc
    finally:
        end_child(proc)


def running_children() -> list[subprocess.Popen]:
    with _lock:
        return [proc for proc in _children if proc.returncode is None]


def kill_all_children() -> int:
    """SIGKILL every registered process group whose leader has not been reaped; how many were signalled."""
    children = running_children()
    for proc in children:
        signal_group(proc)
    return len(children)


class OnInterrupt(object):
    """An undo run exactly once: by the check when it ends, or by the watchdog if the module is stopped first."""

    def __init__(self, action: Callable[[], Any]) -> None:
        self._action = action
        self._lock = threading.Lock()
        self._done = False
        self._result: Any = None
        self._error: BaseException | None = None

    def run(self) -> Any:
        """Run the undo (once); its result, or its exception raised again."""
        with self._lock:
            if not self._done:
                try:
                    self._result = self._action()
                except Exception as exc:  # kept for the check, which reports it
                    self._error = exc
                self._done = True
                _unregister_cleanup(self)
        if self._error is not None:
            raise self._error
        return self._result

    def cancel(self) -> None:
        """Nothing to undo after all."""
        with self._lock:
            self._done = True
            _unregister_cleanup(self)


def on_interrupt(action: Callable[[], Any]) -> OnInterrupt:
    """Register ``action`` to run if the module is stopped before the check calls run() or cancel()."""
    cleanup = OnInterrupt(action)
    with _lock:
        _cleanups.append(cleanup)
    return cleanup


def _unregister_cleanup(cleanup: OnInterrupt) -> None:
    with _lock:
        if cleanup in _cleanups:
            _cleanups.remove(cleanup)


def pending_cleanups() -> list[OnInterrupt]:
    with _lock:
        return list(_cleanups)


def stop_everything(grace: float = UNWIND_GRACE) -> None:
    """Refuse new children, kill every child's group, wait (bounded) for the checks to unwind, then run
    the cleanups they did not get to."""
    _stopping.set()
    kill_all_children()
    give_up = time.monotonic() + grace
    while (pending_cleanups() or running_children()) and time.monotonic() < give_up:
        kill_all_children()  # a child started in a race with the first kill
        time.sleep(0.05)
    for cleanup in pending_cleanups():
        try:
            cleanup.run()
        except Exception:  # pylint: disable=broad-except
            pass  # nobody is left to tell; the next cleanup still runs
    kill_all_children()


def resume() -> None:
    """Allow children again after stop_everything() (a test that stopped everything in its own process)."""
    _stopping.clear()


def _stdout_hung_up(poller: Any) -> bool:
    """Whether the reader of stdout (sshd, or the controller's worker) went away."""
    try:
        events = poller.poll(0)
    except OSError:
        return False
    return any(mask & (select.POLLERR | select.POLLHUP | select.POLLNVAL) for _fd, mask in events)


def _stdout_fd() -> int:
    try:
        return sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # replaced by an object without a descriptor
        return 1


def _stdout_poller(fd: int) -> Any:
    try:
        os.fstat(fd)
    except OSError:
        return None
    poller = select.poll()
    poller.register(fd, 0)  # only the error conditions, which poll always reports
    return poller


class ControllerWatch(object):
    """Signal handlers and a watchdog thread that stop the module when its controller is gone."""

    def __init__(self, exit_process: Callable[[int], Any] = os._exit, interval: float = WATCH_INTERVAL,
                 grace: float = UNWIND_GRACE) -> None:
        self.exit_process = exit_process
        self.interval = interval
        self.grace = grace
        self.reason: str | None = None
        self._wake = threading.Event()
        self._closed = threading.Event()
        self._stopped = False
        self._previous: dict[int, Any] = {}
        self._parent = os.getppid()
        self._stdout = _stdout_poller(_stdout_fd())
        self._thread = threading.Thread(target=self._watch, name="golive-controller-watch", daemon=True)

    def _on_signal(self, signum: int, _frame: Any) -> None:
        # Only record it: the work happens on the watchdog thread, not inside whatever the main thread was doing.
        self.reason = self.reason or signal.Signals(signum).name
        self._wake.set()

    def controller_gone(self) -> str | None:
        """Why the controller is considered gone, or None."""
        if self.reason:
            return self.reason
        if os.getppid() != self._parent:
            return "parent process exited"
        if self._stdout is not None and _stdout_hung_up(self._stdout):
            return "stdout hung up"
        return None

    def _watch(self) -> None:
        while not self._closed.is_set() and not self._stopped:
            reason = self.controller_gone()
            if reason:
                self._stop_module(reason)
            else:
                self._wake.wait(self.interval)
                self._wake.clear()

    def _stop_module(self, reason: str) -> None:
        """Kill what the checks started, let their cleanups run, then end the module process."""
        self.reason = reason
        self._stopped = True
        stop_everything(self.grace)
        self.exit_process(STOPPED_EXIT)

    def __enter__(self) -> ControllerWatch:
        for signum in STOP_SIGNALS:
            try:
                self._previous[signum] = signal.signal(signum, self._on_signal)
            except ValueError:  # not the main thread: signals cannot be caught here, the watchdog still runs
                break
        self._thread.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if self.reason or _stopping.is_set():
            # The checks ended because their children were killed: the watchdog, not this thread, ends the module
            # once the cleanups ran (a module returning now would cut them short).
            self._thread.join(self.grace + _CLEANUP_BOUND)
        self._closed.set()
        self._wake.set()
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)


def watch_controller(**kwargs: Any) -> ControllerWatch:
    """A context manager around a module's run: see ControllerWatch."""
    return ControllerWatch(**kwargs)
