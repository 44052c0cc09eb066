"""process reads two files per process: stat and cmdline, and status only for the processes it counts.

Against the real /proc, with real child processes started here and killed afterwards.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._checks import process
from ansible_collections.golive.readiness.plugins.module_utils._module import validated_item

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
