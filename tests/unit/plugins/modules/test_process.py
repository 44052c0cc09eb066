"""process end to end: real `ansible localhost -m golive.readiness.process` and verify runs with real children."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._checks import process

from ._adhoc import ansible_run, assert_documents_options


def _cmdline(pid):
    with open(f"/proc/{pid}/cmdline", "rb") as handle:
        return handle.read()


@pytest.fixture
def marked_sleeper():
    """A Python child sleeping with a distinctive marker argument; killed afterwards."""
    marker = f"golive-marker-{uuid.uuid4().hex[:10]}"
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", marker, "--token=abcdefghijklmnop"])
    deadline = time.monotonic() + 10
    while marker.encode() not in _cmdline(child.pid):
        assert time.monotonic() < deadline, "the child did not start"
        time.sleep(0.02)
    yield marker, child.pid
    child.kill()
    child.wait()


def test_module_documentation_renders_every_option():
    doc = assert_documents_options("process", process)
    assert doc["options"]["checks"]["suboptions"]["state"]["choices"] == ["present", "absent"]


def test_module_counts_a_real_process_and_not_its_own_command_line(marked_sleeper):
    marker, pid = marked_sleeper
    # The marker is in the -a argument of the `ansible` command that runs the module, too: only the child counts.
    done, result = ansible_run("process", {"checks": [{"cmdline_regex": marker, "max_count": 1}]})
    assert done.returncode == 0, done.stdout
    [record] = result["golive_checks"]
    assert (record["id"], record["title"]) == (f"process:{marker}", f"Process matching /{marker}/")
    assert (record["section"], record["severity"], record["status"]) == ("application", "high", "pass")
    assert record["observed"]["pids"] == [pid]
    assert record["observed"]["samples"][0].endswith(f"{marker} --token=\u2026mnop")
    assert "abcdefghijklmnop" not in done.stdout


def test_absent_process_passes_although_the_module_command_line_names_it():
    marker = f"golive-debug-{uuid.uuid4().hex[:10]}"
    done, result = ansible_run("process", {"checks": [{"cmdline_regex": marker, "state": "absent"}]})
    assert done.returncode == 0, done.stdout
    assert result["golive_checks"][0]["summary"] == "0 running (expected none running)"


def test_running_process_that_must_be_absent_fails_the_task(marked_sleeper):
    marker, pid = marked_sleeper
    done, result = ansible_run("process", {"checks": [{"cmdline_regex": marker, "state": "absent", "id": "no-debug"}]})
    assert result["golive_checks"][0]["observed"]["pids"] == [pid]
    assert done.returncode == 2
    assert result["golive_checks"][0]["id"] == "no-debug"
    assert result["msg"] == "1 check: 1 fail; no-debug fail: 1 running (expected none running)"


def test_bad_regex_fails_the_task_naming_the_option():
    done, result = ansible_run("process", {"checks": [{"cmdline_regex": "celery (worker"}]})
    assert done.returncode == 2
    assert result["msg"].startswith("invalid check options: checks[0]")
    assert "cmdline_regex: 'celery (worker' is not a valid regular expression" in result["msg"]


def test_verify_runs_process_in_a_mixed_list(marked_sleeper, tmp_path):
    marker, _pid = marked_sleeper
    done, result = ansible_run("verify", {"fail_on": [], "checks": [
        {"kind": "process", "cmdline_regex": marker, "user": "root"},
        {"kind": "process", "cmdline_regex": marker, "user": "nobody", "id": "as-nobody"},
        {"kind": "system_resources", "cpu_sample": "100ms"},
        {"kind": "path", "path": str(tmp_path), "state": "directory"},
    ]})
    assert done.returncode == 0, done.stdout
    records = result["golive_checks"]
    assert [(r["id"], r["status"]) for r in records] == [
        (f"process:{marker}", "pass"), ("as-nobody", "fail"), ("system_resources:host", "pass"),
        (f"path:{tmp_path}", "pass")]
    assert records[1]["observed"]["other_users"] == ["root"]
