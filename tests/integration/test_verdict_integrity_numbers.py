"""Numbers are numbers: a NaN deadline or timeout stops a real ansible-playbook run before any SSH host is contacted."""

from __future__ import annotations

import os
import stat

import pytest
from playbook_runs import HEALTHY_VARS, VERIFY_TASK, hosts_of_task

pytestmark = pytest.mark.integration

# A refused setting is found while the controller templates the first host task: seconds, not the
# run's timeout. Generous, so that a loaded machine passes; a run that spins would hit RUN_TIMEOUT.
REFUSAL_BUDGET_SECONDS = 90


def ssh_recorder(tmp_path):
    """(an ssh executable that records each call in a file and then runs the real ssh, that file)."""
    calls = tmp_path / "ssh-calls.log"
    wrapper = tmp_path / "recording-ssh"
    wrapper.write_text(f"#!/bin/sh\necho \"$*\" >> '{calls}'\nexec ssh \"$@\"\n")
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return str(wrapper), calls


def run_recorded(golive, tmp_path, *args, **group_vars):
    """A golive run over the loopback SSH hosts whose every ssh call is recorded; (run, calls file)."""
    wrapper, calls = ssh_recorder(tmp_path)
    merged = dict(HEALTHY_VARS, ansible_ssh_executable=wrapper)
    merged.update(group_vars)
    return golive.run(*args, label="numbers", group_vars=merged), calls


def assert_stopped_before_any_host(run, calls, *fragments):
    assert run.returncode != 0, run.tail()
    assert run.seconds < REFUSAL_BUDGET_SECONDS, run.tail()
    assert not os.path.exists(calls), f"a host was contacted: {calls.read_text()}\n{run.tail()}"
    assert run.verdict not in ("GO", "GO WITH WARNINGS"), run.tail()
    for fragment in fragments:
        assert fragment in run.output, (fragment, run.tail())


def test_the_ssh_recorder_sees_a_run_that_contacts_its_hosts(golive, tmp_path):
    """Without this, 'no call recorded' below could mean a recorder that records nothing."""
    run, calls = run_recorded(golive, tmp_path, "--tags", "infrastructure")
    assert run.returncode == 0, run.tail()
    assert {host for status, host in hosts_of_task(run.stdout, VERIFY_TASK)} == {"web01", "web02", "db01"}
    assert calls.read_text().count("127.0.0.1") >= 3


def test_nan_deadline_on_the_command_line_stops_before_any_host_is_contacted(golive, tmp_path):
    run, calls = run_recorded(golive, tmp_path, "-e", "golive_deadline=.nan")
    assert_stopped_before_any_host(run, calls, "golive_deadline: deadline: '.nan' is not a number",
                                   "(allowed: 1ms to 24h)")


def test_nan_deadline_as_a_yaml_float_stops_before_any_host_is_contacted(golive, tmp_path):
    run, calls = run_recorded(golive, tmp_path, "-e", "{golive_deadline: .nan}")
    assert_stopped_before_any_host(run, calls, "golive_deadline: deadline: nan is not a finite number "
                                               "(allowed: 1ms to 24h)")


def test_nan_timeout_of_an_item_stops_before_any_host_is_contacted(golive, tmp_path):
    run, calls = run_recorded(golive, tmp_path, golive_disk_space=[dict(path="/", timeout=float("nan"))])
    assert_stopped_before_any_host(run, calls, "golive_disk_space[0] (disk_space): timeout: nan is not a "
                                               "finite number (allowed: 1ms to 24h)")


def test_out_of_range_numbers_and_nul_bytes_stop_the_run_each_named(golive, tmp_path):
    run, calls = run_recorded(
        golive, tmp_path, "-e", "golive_max_workers=0",
        golive_check_timeout="25h",
        golive_paths=[dict(path="/etc/pass\x00wd", state="file")],
        golive_disk_space=[dict(path="/", free_fail_below="100000000000000000000000PB")])
    assert_stopped_before_any_host(
        run, calls,
        "golive_max_workers: max_workers: 0 is outside 1 to 256",
        "golive_check_timeout: timeout: '25h' is outside 1ms to 24h",
        "golive_paths[0] (path): path: contains a NUL byte",
        "golive_disk_space[0] (disk_space): free_fail_below: '100000000000000000000000PB' is outside 0 B to 1 EiB")
