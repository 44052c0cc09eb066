"""An interrupted run leaves a true report and nothing running (issue 10), proved with real interrupted runs.

A real ``ansible-playbook golive.yml`` run, over a loopback SSH host (sshd) or the local connection, has one
host whose single verify call runs a ``command_output`` check sleeping for minutes and a ``backup_restore``
drill whose real ``pg_restore`` into a scratch database on the local PostgreSQL runs for minutes too (the
dump's CHECK constraint calls a function that sleeps, so the restore is slow whatever the machine's load).
Once both processes are seen running, ansible-playbook gets SIGINT or SIGTERM. Then, within bounded waits:
the run exits non-zero, neither process remains, the scratch database is gone, and the report says NO-GO,
"run interrupted", incomplete, in every format, with ``latest`` pointing at its archive.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import types
import uuid

import pytest
import yaml
from playbook_runs import REPO, ansible_tool, clean_environment, printed_verdict, read_report

from ansible_collections.golive.readiness.plugins.plugin_utils._report_markdown import md
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._backups import (
    PG_ADMIN,
    admin_scalar,
    create_database,
    drop_database,
    pg_dump,
    unique_name,
)

pytestmark = pytest.mark.integration

# Bounded waits, generous for a loaded machine: nothing here depends on how fast it is.
SEEN_RUNNING_WITHIN = 180
EXIT_WITHIN = 90
GONE_WITHIN = 60
# Longer than any wait above: the checks can only end because the run was interrupted.
CHECK_RUNS_FOR = 300
ITEM_TIMEOUT = "10m"
CALL_DEADLINE = "15m"
REPORT_FILES = ("report.json", "junit.xml", "report.html", "report.md", "golive.prom")


# --- processes ---------------------------------------------------------------------------------------

def command_lines():
    """{pid: command line} of every process on this machine (managed and probe hosts are loopback ones)."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                found[int(entry)] = handle.read(65536).replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue  # ended meanwhile
    return found


def marked_processes(marker):
    return sorted(pid for pid, line in command_lines().items() if marker in line)


def unique_sleep():
    """A sleep argument no other process has: CHECK_RUNS_FOR seconds and a random fraction."""
    return f"{CHECK_RUNS_FOR}.{uuid.uuid4().int % 1000000:06d}"


def wait_until(condition, within, step=0.25):
    """Poll ``condition`` until it is true or ``within`` seconds pass; its last value."""
    give_up = time.monotonic() + within
    value = condition()
    while not value and time.monotonic() < give_up:
        time.sleep(step)
        value = condition()
    return value


def kill_leftovers(*markers):
    """SIGKILL what a failed test left running, so that it cannot disturb the next tests."""
    for marker in markers:
        for pid in marked_processes(marker):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


# --- the slow restore ----------------------------------------------------------------------------------

SLOW_SOURCE = f"""
CREATE FUNCTION public.row_is_fine(id integer) RETURNS boolean LANGUAGE plpgsql IMMUTABLE
    AS $$ BEGIN RETURN id > 0; END $$;
CREATE TABLE public.payments (id integer PRIMARY KEY CHECK (public.row_is_fine(id)));
INSERT INTO public.payments SELECT generate_series(1, 50);
CREATE OR REPLACE FUNCTION public.row_is_fine(id integer) RETURNS boolean LANGUAGE plpgsql IMMUTABLE
    AS $$ BEGIN PERFORM pg_catalog.pg_sleep({CHECK_RUNS_FOR}); RETURN id > 0; END $$;
"""


class SlowDump(object):
    """A custom-format pg_dump whose restore runs for minutes: each row's CHECK sleeps."""

    def __init__(self, directory):
        self.source = unique_name("golive_intr_src")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{self.source}"
        self.path = os.path.join(directory, f"interrupt-{uuid.uuid4().hex[:12]}.dump")

    def make(self):
        create_database(self.source)
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", self.source, "-v", "ON_ERROR_STOP=1",
                        "-q", "-c", SLOW_SOURCE], check=True, capture_output=True, timeout=60)
        pg_dump(types.SimpleNamespace(name=self.source), self.path, "c")
        return self

    def drop(self):
        drop_database(self.source)


@pytest.fixture
def slow_dump(tmp_path):
    dump = SlowDump(str(tmp_path)).make()
    try:
        yield dump
    finally:
        dump.drop()


def database_exists(name):
    return admin_scalar("SELECT count(*) FROM pg_catalog.pg_database WHERE datname = :name", name=name) == 1


# --- the run ---------------------------------------------------------------------------------------------

def checklist(dump, scratch, sleep_marker):
    """The host's variables: a sleeping command and a slow restore drill, with time for both."""
    return dict(
        golive_disk_space=[],
        golive_system_resources=None,
        golive_commands=[dict(name="sleeper", argv=["sleep", sleep_marker], timeout=ITEM_TIMEOUT)],
        golive_restore_drills=[dict(path=dump.path, source_url=dump.url, admin_url=PG_ADMIN,
                                    scratch_database=scratch, timeout=ITEM_TIMEOUT)],
        golive_deadline=CALL_DEADLINE,
        ansible_python_interpreter=sys.executable,  # the drill needs SQLAlchemy and psycopg on the host
    )


def ssh_inventory(fleet, host_vars):
    return fleet.inventory(hosts=["web01"], host_vars={"web01": host_vars})


def local_inventory(host_vars):
    return {"all": {"hosts": {"app01": dict(host_vars, ansible_connection="local")}}}


class InterruptedRun(object):
    def __init__(self, returncode, stdout, report_dir):
        self.returncode = returncode
        self.stdout = stdout
        self.report_dir = report_dir

    def text(self, name):
        with open(os.path.join(self.report_dir, name), encoding="utf-8") as handle:
            return handle.read()


def interrupt_run(workdir, inventory, env, signum, markers):
    """Start ansible-playbook golive.yml, wait until every marker is in a running process, send ``signum``."""
    inventory_path = os.path.join(workdir, "inventory.yml")
    with open(inventory_path, "w") as handle:
        yaml.safe_dump(inventory, handle)
    report_dir = os.path.join(workdir, "report")
    env = dict(env, GOLIVE_REPORT_DIR=report_dir)
    with open(os.path.join(workdir, "output.txt"), "w+") as output:
        proc = subprocess.Popen([ansible_tool("ansible-playbook"), "golive.yml", "-i", inventory_path], cwd=REPO,
                                env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT)
        try:
            running = wait_until(lambda: all(marked_processes(m) for m in markers) or proc.poll() is not None,
                                 SEEN_RUNNING_WITHIN)
            assert proc.poll() is None and running, f"the checks never ran; {_tail(output)}"
            proc.send_signal(signum)
            returncode = proc.wait(timeout=EXIT_WITHIN)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        output.seek(0)
        return InterruptedRun(returncode, output.read(), report_dir)


def _tail(output):
    output.seek(0)
    return output.read()[-4000:]


def assert_nothing_left(run, markers, scratch):
    left = wait_until(lambda: not any(marked_processes(m) for m in markers), GONE_WITHIN)
    still = [line for m in markers for line in command_lines().values() if m in line]
    assert left, f"still running after {GONE_WITHIN}s: {still}"
    assert wait_until(lambda: not database_exists(scratch), GONE_WITHIN), \
        f"scratch database {scratch} was not dropped; {run.stdout[-3000:]}"


def assert_interrupted_report(run, signal_name):
    assert run.returncode != 0, run.stdout[-3000:]
    assert printed_verdict(run.stdout) == "NO-GO", run.stdout[-3000:]
    report = read_report(os.path.join(run.report_dir, "report.json"))
    assert report["verdict"] == "NO-GO"
    assert report["incomplete"] is True
    assert report["interrupted"] == {"reason": "run interrupted", "signal": signal_name}
    latest = os.readlink(os.path.join(run.report_dir, "latest"))
    assert report["archive"] and latest == report["archive"]
    archived = read_report(os.path.join(run.report_dir, latest, "report.json"))
    assert archived["generated_at"] == report["generated_at"] and archived["incomplete"] is True
    assert "golive_report_incomplete 1" in run.text("golive.prom")
    said = f"run interrupted ({signal_name})"
    for name in ("junit.xml", "report.html"):
        assert said in run.text(name), name
    assert md(said) in run.text("report.md")
    assert said in run.stdout


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_run_over_ssh_ends_its_checks_and_reports_no_go(ssh_fleet, slow_dump, tmp_path, signum):
    """sshd (loopback), PostgreSQL: the module on the managed host notices its controller is gone."""
    scratch = unique_name("golive_intr_scratch")
    sleep_marker = unique_sleep()
    markers = [f"sleep {sleep_marker}", slow_dump.path]
    inventory = ssh_inventory(ssh_fleet, checklist(slow_dump, scratch, sleep_marker))
    control_dir = ssh_fleet.new_control_dir()
    try:
        run = interrupt_run(str(tmp_path), inventory, ssh_fleet.ansible_env(control_dir, base=clean_environment()),
                            signum, markers)
        assert_nothing_left(run, markers, scratch)
        assert_interrupted_report(run, signum.name)
    finally:
        ssh_fleet.release_control_dir(control_dir)
        kill_leftovers(*markers)
        drop_database(scratch)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_run_over_local_connection_ends_its_checks_and_reports_no_go(slow_dump, tmp_path, signum):
    """PostgreSQL, the controller itself with the local connection (as a probe host runs)."""
    scratch = unique_name("golive_intr_scratch")
    sleep_marker = unique_sleep()
    markers = [f"sleep {sleep_marker}", slow_dump.path]
    try:
        run = interrupt_run(str(tmp_path), local_inventory(checklist(slow_dump, scratch, sleep_marker)),
                            clean_environment(), signum, markers)
        assert_nothing_left(run, markers, scratch)
        assert_interrupted_report(run, signum.name)
    finally:
        kill_leftovers(*markers)
        drop_database(scratch)
