"""Real ``ansible-playbook`` runs over inventories of the loopback SSH hosts, and what they leave behind."""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
import time

from ansible_collections.golive.readiness.tests.unit.plugins.callback._report_schema import schema_errors

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The virtualenv's own ansible tools, next to the interpreter running the tests.
ANSIBLE_BIN = os.path.dirname(sys.executable)
# A bound on runs expected to end: one that hangs fails there. A run of seconds on an idle machine takes some
# twenty times that at load 20 per core, so the bound is far above that (the tests' own budgets are below it).
RUN_TIMEOUT = 600
SSH_HOSTS = ("web01", "web02", "db01")

# Healthy settings for the shared loopback hosts: generous enough that a busy test machine still passes.
HEALTHY_VARS = dict(
    golive_disk_space=[dict(path="/", free_fail_below="1%", inodes_free_fail_below="1%")],
    golive_system_resources=dict(cpus_fail_below=1, load_per_core_warn_above=50, memory_available_fail_below="1%"),
)

VERIFY_TASK = "Run this host's checks in one call"
PROBE_TASK = "Run every host's endpoint checks in one call"
_VERDICT_LINE = re.compile(r"^GOLIVE VERDICT: (GO WITH WARNINGS|NO-GO|GO)\b", re.MULTILINE)
_TASK_HEADER = re.compile(r"^TASK \[(?P<name>.*)\] \**$")
_PLAY_HEADER = re.compile(r"^(PLAY \[|PLAY RECAP)")
_HOST_RESULT = re.compile(r"^(?P<status>ok|changed|skipping|failed|fatal): \[(?P<host>[^\] ]+)(?: -> [^\]]+)?\]")


def ansible_tool(name):
    return os.path.join(ANSIBLE_BIN, name)


def read_report(path):
    """A report.json a real run wrote, checked against its JSON Schema on the way (every test reads it here)."""
    with open(path, encoding="utf-8") as handle:
        document = json.load(handle)
    assert schema_errors(document) == [], path
    return document


def clean_environment():
    """The calling environment without ANSIBLE_* / GOLIVE_* settings, so a developer's shell cannot steer runs."""
    env = dict((key, value) for key, value in os.environ.items()
               if not key.startswith(("ANSIBLE_", "GOLIVE_")))
    env["PATH"] = ANSIBLE_BIN + os.pathsep + env.get("PATH", "")
    env["ANSIBLE_NOCOLOR"] = "1"
    env["ANSIBLE_FORCE_COLOR"] = "0"
    return env


def printed_verdict(stdout):
    """The verdict the report callback printed ('GO', 'GO WITH WARNINGS', 'NO-GO'), or None."""
    found = _VERDICT_LINE.findall(stdout)
    return found[-1] if found else None


def task_results(stdout):
    """[(task name, [(status, host), ...]), ...] in the order the default stdout callback printed them."""
    tasks = []
    current = None
    for line in stdout.splitlines():
        header = _TASK_HEADER.match(line)
        if header:
            current = (header.group("name"), [])
            tasks.append(current)
            continue
        if _PLAY_HEADER.match(line):
            current = None
            continue
        result = _HOST_RESULT.match(line)
        if result and current is not None:
            current[1].append((result.group("status"), result.group("host")))
    return tasks


def hosts_of_task(stdout, name):
    """Every host result line of the task(s) called ``name``, as (status, host) pairs."""
    return [entry for task, entries in task_results(stdout) if task == name for entry in entries]


def checks_by_host(report):
    """{host: {check id: record}} from report.json."""
    hosts = {}
    for check in report["checks"]:
        hosts.setdefault(check["host"], {})[check["id"]] = check
    return hosts


class PlaybookRun(object):
    """What one ``ansible-playbook`` run left behind: exit code, output and the report files."""

    def __init__(self, args, completed, report_dir, seconds):
        self.args = args
        self.returncode = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        self.report_dir = report_dir
        self.seconds = seconds

    @property
    def output(self):
        return self.stdout + "\n" + self.stderr

    @property
    def verdict(self):
        return printed_verdict(self.stdout)

    def report_path(self, name):
        return os.path.join(self.report_dir, name)

    def report_text(self, name):
        """The text of a file the report callback wrote (report.json, junit.xml); report.html without its line-break
        opportunities (<wbr>), as a reader sees it."""
        path = self.report_path(name)
        assert os.path.isfile(path), f"no {name} in {self.report_dir}; {self.tail()}"
        with open(path) as handle:
            text = handle.read()
        return text.replace("<wbr>", "") if name.endswith(".html") else text

    @property
    def report(self):
        self.report_text("report.json")  # says which run left no report
        return read_report(self.report_path("report.json"))

    @property
    def junit(self):
        return self.report_text("junit.xml")

    def tail(self, chars=6000):
        """Exit code and the end of both streams, for assertion messages."""
        return (f"exit {self.returncode} after {self.seconds:.1f}s\n"
                f"--- stdout ---\n{self.stdout[-chars:]}\n"
                f"--- stderr ---\n{self.stderr[-chars:]}")


class GoliveRunner(object):
    """Runs ``ansible-playbook`` for real over inventories of the SSH fleet, one work directory per run."""

    def __init__(self, fleet, workdir):
        self.fleet = fleet
        self.workdir = str(workdir)
        self._counter = itertools.count(1)

    def new_dir(self, label):
        path = os.path.join(self.workdir, f"{next(self._counter):02d}-{label}")
        os.makedirs(path)
        return path

    def run(self, *extra_args, playbook="golive.yml", cwd=REPO, env=None, label="run", **inventory_kwargs):
        """``ansible-playbook <playbook> -i <inventory> <extra_args>`` from ``cwd``.

        ``inventory_kwargs`` go to SSHFleet.inventory(); ``env`` is added to a clean environment that
        points GOLIVE_REPORT_DIR at a directory of this run.
        """
        directory = self.new_dir(label)
        inventory = self.fleet.write_inventory(os.path.join(directory, "inventory.yml"), **inventory_kwargs)
        report_dir = os.path.join(directory, "report")
        control_dir = self.fleet.new_control_dir()
        run_env = self.fleet.ansible_env(control_dir, base=clean_environment())
        run_env["GOLIVE_REPORT_DIR"] = report_dir
        run_env.update(env or {})
        args = [ansible_tool("ansible-playbook"), playbook, "-i", inventory, *extra_args]
        started = time.monotonic()
        try:
            completed = subprocess.run(args, cwd=cwd, env=run_env, stdin=subprocess.DEVNULL, capture_output=True,
                                       text=True, timeout=RUN_TIMEOUT, check=False)
        finally:
            self.fleet.release_control_dir(control_dir)
        return PlaybookRun(args, completed, report_dir, time.monotonic() - started)


def run_demo(report_dir, *extra_args):
    """``scripts/demo`` exactly as the README's quick start runs it, with the report written to ``report_dir``.

    The one test that runs it owns the demo shop's generated state (database, env file, backup) meanwhile.
    """
    run_env = clean_environment()
    run_env["GOLIVE_REPORT_DIR"] = report_dir
    args = [os.path.join(REPO, "scripts", "demo"), *extra_args]
    started = time.monotonic()
    completed = subprocess.run(args, cwd=REPO, env=run_env, stdin=subprocess.DEVNULL, capture_output=True,
                               text=True, timeout=RUN_TIMEOUT, check=False)
    return PlaybookRun(args, completed, report_dir, time.monotonic() - started)
