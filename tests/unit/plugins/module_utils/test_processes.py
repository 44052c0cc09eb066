"""Child processes of checks: own process groups, killed as groups, cleanups run once, the controller watch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid

import pytest

from ansible_collections.golive.readiness.plugins.module_utils import _processes
from ansible_collections.golive.readiness.plugins.module_utils._check import CheckError
from ansible_collections.golive.readiness.plugins.module_utils._processes import (
    Interrupted,
    child_process,
    kill_all_children,
    on_interrupt,
    pending_cleanups,
    resume,
    running_children,
    start_child,
    stop_everything,
)

# Bounded waits, generous for a loaded machine.
WITHIN = 30.0


def marked(marker):
    """Pids of processes whose command line holds ``marker`` (read from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                line = handle.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if marker in line:
            found.append(int(entry))
    return found


def wait_for(condition):
    """The first true value of ``condition`` within WITHIN seconds, else its last value."""
    give_up = time.monotonic() + WITHIN
    value = condition()
    while not value and time.monotonic() < give_up:
        time.sleep(0.05)
        value = condition()
    return value


def gone(marker):
    """Whether no live process holds ``marker`` within WITHIN seconds (zombies do not count: /proc cmdline is empty)."""
    return wait_for(lambda: not marked(marker))


def sleep_marker():
    return f"300.{uuid.uuid4().int % 1000000:06d}"


@pytest.fixture(autouse=True)
def fresh_registry():
    resume()
    yield
    kill_all_children()
    for cleanup in pending_cleanups():
        cleanup.cancel()
    resume()


def test_a_child_leads_its_own_process_group():
    with child_process(["sleep", sleep_marker()], stdin=subprocess.DEVNULL) as proc:
        assert os.getpgid(proc.pid) == proc.pid
        assert os.getsid(proc.pid) == proc.pid
        assert os.getpgid(proc.pid) != os.getpgid(0)
        assert proc in running_children()
    assert proc not in running_children()


def test_kill_all_children_ends_grandchildren_too():
    marker = sleep_marker()
    proc = start_child(["sh", "-c", f"sleep {marker} & sleep {marker} & wait"], stdin=subprocess.DEVNULL)
    assert wait_for(lambda: len(marked(f"sleep {marker}")) >= 2)
    assert kill_all_children() == 1
    proc.wait(timeout=WITHIN)
    assert gone(f"sleep {marker}")
    _processes.forget_child(proc)


def test_leaving_the_block_early_kills_the_group():
    marker = sleep_marker()
    with pytest.raises(RuntimeError), child_process(["sh", "-c", f"sleep {marker}; true"],
                                                    stdin=subprocess.DEVNULL) as proc:
        raise RuntimeError("the check failed half-way")
    assert proc.returncode is not None
    assert gone(f"sleep {marker}")
    assert running_children() == []


def test_a_stopped_module_starts_no_child():
    stop_everything(grace=0.1)
    with pytest.raises(Interrupted) as raised:
        start_child(["true"], stdin=subprocess.DEVNULL)
    assert isinstance(raised.value, CheckError)
    assert "interrupted" in str(raised.value)


def test_pending_cleanups_run_once_when_stopped():
    calls = []
    drop = on_interrupt(lambda: calls.append("drop") or "dropped")
    untouched = on_interrupt(lambda: calls.append("never"))
    untouched.cancel()
    stop_everything(grace=0.1)
    assert calls == ["drop"]
    # The check reaching its own cleanup later gets the same answer, and nothing runs twice.
    assert drop.run() == "dropped"
    assert calls == ["drop"]
    assert pending_cleanups() == []


def test_a_cleanup_error_reaches_the_check_that_runs_it():
    def broken():
        raise CheckError("server gone")

    cleanup = on_interrupt(broken)
    with pytest.raises(CheckError, match="server gone"):
        cleanup.run()
    with pytest.raises(CheckError, match="server gone"):
        cleanup.run()


def test_stop_waits_for_the_check_to_run_its_own_cleanup():
    """A check whose child is killed unwinds and runs its cleanup; the stop waits for it (bounded)."""
    import threading

    calls = []
    marker = sleep_marker()

    def check():
        cleanup = on_interrupt(lambda: calls.append(threading.current_thread().name))
        try:
            with child_process(["sleep", marker], stdin=subprocess.DEVNULL) as proc:
                proc.wait()
        except Interrupted:
            pass  # the stop came while the child was being registered: it was killed there (the runner's way)
        finally:
            time.sleep(0.2)
            cleanup.run()

    worker = threading.Thread(target=check, name="check")
    worker.start()
    assert wait_for(lambda: marked(f"sleep {marker}"))
    stop_everything(grace=WITHIN)
    worker.join(WITHIN)
    assert calls == ["check"]
    assert gone(f"sleep {marker}")


# --- the controller watch, in a real process shaped like a module ------------------------------------

MODULE = textwrap.dedent("""
    import subprocess, sys, time
    from ansible_collections.golive.readiness.plugins.module_utils._processes import (
        child_process, on_interrupt, watch_controller)

    marker, cleaned = sys.argv[1], sys.argv[2]

    def drop():
        with open(cleaned, "w") as handle:
            handle.write("dropped")

    with watch_controller(grace=2.0):
        cleanup = on_interrupt(drop)
        with child_process(["sleep", marker], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL) as proc:
            print("ready", flush=True)
            proc.wait()
        time.sleep(0.5)  # the check is slower than the watchdog: the watchdog runs the cleanup
    print("returned normally", flush=True)
""")


def start_module(tmp_path):
    marker = sleep_marker()
    cleaned = str(tmp_path / "cleaned")
    # The collection is importable the way tests/conftest.py makes it so: from the .collections directory.
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path for path in sys.path if path.endswith(".collections")))
    proc = subprocess.Popen([sys.executable, "-c", MODULE, marker, cleaned], stdin=subprocess.DEVNULL, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    line = proc.stdout.readline()
    assert line == b"ready\n", (line, proc.stderr.read() if proc.poll() is not None else "")
    return proc, marker, cleaned


def assert_module_stopped(proc, marker, cleaned):
    try:
        returncode = proc.wait(timeout=WITHIN)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert returncode == _processes.STOPPED_EXIT, proc.stderr.read()
    assert gone(f"sleep {marker}")
    with open(cleaned) as handle:
        assert handle.read() == "dropped"


def test_a_module_whose_controller_hangs_up_ends_its_children(tmp_path):
    """What sshd does when ansible-playbook is interrupted: it closes the session's pipes, signals nothing."""
    proc, marker, cleaned = start_module(tmp_path)
    proc.stdout.close()
    assert_module_stopped(proc, marker, cleaned)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_a_signalled_module_ends_its_children(tmp_path, signum):
    """What a local connection's worker does: it signals the module's process group."""
    proc, marker, cleaned = start_module(tmp_path)
    proc.send_signal(signum)
    assert_module_stopped(proc, marker, cleaned)
    proc.stdout.close()


def test_a_module_left_alone_returns_normally(tmp_path):
    proc, marker, cleaned = start_module(tmp_path)
    sleeping = wait_for(lambda: marked(f"sleep {marker}"))
    assert sleeping
    for pid in sleeping:
        os.kill(pid, signal.SIGTERM)  # the child ends by itself: nothing is interrupted
    out, _err = proc.communicate(timeout=WITHIN)
    assert proc.returncode == 0
    assert out == b"returned normally\n"
    assert not os.path.exists(cleaned)
