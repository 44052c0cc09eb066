"""process reads the process table once for the checks that run together, two files per process.

Against the real /proc, with real child processes started here and killed afterwards.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
import uuid

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._check import CheckError
from ansible_collections.golive.readiness.plugins.module_utils._checks import process
from ansible_collections.golive.readiness.plugins.module_utils._module import CheckBatch, validated_item
from ansible_collections.golive.readiness.plugins.module_utils._runner import run_checks

# Long enough for any thread of this test to reach its next step on a loaded machine.
PATIENCE = 30.0


def _token():
    return uuid.uuid4().hex[:10]


def _plan(**item):
    return process.prepare(validated_item(item, process))


def _wait_for(condition, what):
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def sleepers():
    """Start ``sleep`` under a given argv[0] (bash's exec -a); every child is killed and reaped at teardown."""
    started = []

    def start(argv0, program="sleep"):
        child = subprocess.Popen(["bash", "-c", 'exec -a "$0" "$1" 300', argv0, program],
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        started.append(child)
        _wait_for(lambda: _argv0(child.pid) == argv0, f"argv[0] {argv0}")
        return child

    yield start
    for child in started:
        child.kill()
        child.wait()


def _argv0(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().split(b"\0")[0].decode()
    except OSError:
        return None


class CountedScans(object):
    """process.scan, counted, and held until ``release`` is set so that other checks arrive meanwhile."""

    def __init__(self, real_scan):
        self.real_scan = real_scan
        self.calls = 0
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, proc):
        self.calls += 1
        self.entered.set()
        assert self.release.wait(PATIENCE), "the test never released the scan"
        return self.real_scan(proc)


@pytest.fixture
def held_scan(monkeypatch):
    counted = CountedScans(process.scan)
    monkeypatch.setattr(process, "scan", counted)
    return counted


def _in_thread(function, *args):
    """Run ``function(*args)`` in a thread; the returned dict gets its ``result`` or ``error``."""
    outcome = {}

    def target():
        try:
            outcome["result"] = function(*args)
        except CheckError as exc:
            outcome["error"] = str(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    outcome["thread"] = thread
    return outcome


# --- one scan for the checks that run together ------------------------------------------------------


def test_a_check_started_while_a_scan_runs_takes_that_scan(held_scan):
    scans = process.SharedScans()
    first = _in_thread(scans.processes, "/proc", time.monotonic(), PATIENCE)
    assert held_scan.entered.wait(PATIENCE)
    second = _in_thread(scans.processes, "/proc", time.monotonic(), PATIENCE)
    held_scan.release.set()
    for taken in (first, second):
        taken["thread"].join(PATIENCE)
    assert held_scan.calls == 1
    assert first["result"] is second["result"]
    assert any(info.comm for info in first["result"])


def test_a_check_started_after_the_scan_ended_reads_the_table_again(sleepers):
    scans = process.SharedScans()
    name = f"golive-test-{_token()}"
    before = scans.processes("/proc", time.monotonic(), PATIENCE)
    child = sleepers(name)
    after = scans.processes("/proc", time.monotonic(), PATIENCE)
    assert child.pid not in {info.pid for info in before}
    assert child.pid in {info.pid for info in after}


def test_the_error_of_a_shared_scan_is_the_error_of_every_check_that_took_it(held_scan, tmp_path):
    scans = process.SharedScans()
    missing = str(tmp_path / "no-proc")
    first = _in_thread(scans.processes, missing, time.monotonic(), PATIENCE)
    assert held_scan.entered.wait(PATIENCE)
    second = _in_thread(scans.processes, missing, time.monotonic(), PATIENCE)
    held_scan.release.set()
    for taken in (first, second):
        taken["thread"].join(PATIENCE)
    message = f"cannot list processes in {missing}: No such file or directory"
    assert first["error"] == second["error"] == message
    assert held_scan.calls == 1


def test_a_check_waits_for_another_checks_scan_only_as_long_as_it_may_run(held_scan):
    scans = process.SharedScans()
    first = _in_thread(scans.processes, "/proc", time.monotonic(), PATIENCE)
    assert held_scan.entered.wait(PATIENCE)
    with pytest.raises(CheckError) as raised:
        scans.processes("/proc", time.monotonic(), 0.05)
    assert str(raised.value) == "the scan of /proc by a concurrent process check did not finish in time"
    held_scan.release.set()
    first["thread"].join(PATIENCE)
    assert first["result"]


def test_process_checks_of_one_call_share_a_scan_and_each_counts_its_own(held_scan, sleepers, monkeypatch):
    name = f"golive-test-{_token()}"
    for _dummy in range(2):
        sleepers(name)
    asked = threading.Semaphore(0)
    shared = process.SharedScans()
    real_processes = shared.processes

    def processes(proc, started, wait):
        asked.release()
        return real_processes(proc, started, wait)

    monkeypatch.setattr(shared, "processes", processes)
    monkeypatch.setattr(process, "SCANS", shared)
    items = [dict(name=name, min_count=2), dict(id="absent", name=name, state="absent"),
             dict(cmdline_regex=f"^{name} 300$")]
    batch = CheckBatch({"timeout": PATIENCE})
    for index, item in enumerate(items):
        batch.add(f"checks[{index}]", validated_item(item, process), process)
    assert not batch.errors

    def release_when_all_asked():
        for _dummy in items:
            asked.acquire(timeout=PATIENCE)
        held_scan.release.set()

    threading.Thread(target=release_when_all_asked, daemon=True).start()
    records = run_checks(batch.prepared, max_workers=8, deadline=PATIENCE * 2)
    assert [(r["status"], r["summary"]) for r in records] == [
        ("pass", "2 running (expected at least 2)"),
        ("fail", "2 running (expected none running)"),
        ("pass", "2 running (expected at least 1)"),
    ]
    assert held_scan.calls == 1


# --- what a scan reads ------------------------------------------------------------------------------


def test_a_command_name_with_spaces_and_parentheses_is_read_whole(sleepers, tmp_path):
    comm = f"a) (b {_token()[:6]}"  # within the 15 characters the kernel keeps
    link = tmp_path / comm
    link.symlink_to(shutil.which("sleep"))
    child = sleepers("golive-renamed", program=str(link))
    outcome = process.run(_plan(name=comm), _Context())
    assert outcome.observed["pids"] == [child.pid]
    assert outcome.observed["samples"] == ["golive-renamed 300"]


def test_a_process_gone_before_its_uid_is_read_is_not_counted(sleepers):
    name = f"golive-test-{_token()}"
    child = sleepers(name)
    processes = process.scan("/proc")
    assert [info.pid for info in process.matching_processes(processes, _plan(name=name))] == [child.pid]
    seen_before_it_ended = [info for info in process.scan("/proc") if info.pid == child.pid]
    child.kill()
    child.wait()
    assert process.matching_processes(seen_before_it_ended, _plan(name=name)) == []


@pytest.mark.parametrize("raw, argv", [
    (b"", []),
    (b"\0\0\0", []),
    (b"nginx: worker process" + b"\0" * 4000, ["nginx: worker process"]),
    (b"python\0-c\0\0print(1)\0", ["python", "-c", "", "print(1)"]),
    (b"caf\xc3\xa9\0\xff\0", ["caf\u00e9", "\ufffd"]),
])
def test_command_lines_padded_with_nuls_keep_their_arguments(raw, argv):
    assert process.parse_cmdline(raw) == argv


class _Context(object):
    """A check's context as the runner gives it: when it started and how long it may still run."""

    def __init__(self):
        self.started = time.monotonic()

    def remaining(self):
        return PATIENCE
