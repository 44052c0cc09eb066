"""golive runs driven by ansible-runner: the verdict and the records read from its event stream and artifacts.

ansible-runner is how AWX and Automation Controller run playbooks: its ``awx_display`` stdout callback turns
every task result into a structured event, and the run's custom stats (the gate's ``set_stats``) into the
``artifact_data`` of the ``playbook_on_stats`` event. Tests that read these need no stdout scraping.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator

import ansible_runner
from playbook_runs import ANSIBLE_BIN, PROBE_TASK, REPO, RUN_TIMEOUT, VERIFY_TASK, read_report

RESULT_EVENTS = ("runner_on_ok", "runner_on_failed", "runner_on_unreachable", "runner_on_skipped")


@contextlib.contextmanager
def without_ansible_settings() -> Iterator[None]:
    """ansible-runner seeds a run's environment from this process's: a developer's ANSIBLE_*/GOLIVE_* stay out."""
    saved = dict((key, value) for key, value in os.environ.items() if key.startswith(("ANSIBLE_", "GOLIVE_")))
    for key in saved:
        del os.environ[key]
    try:
        yield
    finally:
        os.environ.update(saved)


class RunnerRun(object):
    """What one ansible-runner run left: its status, events, stats and artifacts, and the golive report."""

    def __init__(self, runner: ansible_runner.Runner, private_data_dir: str, report_dir: str) -> None:
        self.status = runner.status
        self.rc = runner.rc
        self.stats = runner.stats or {}
        self.events = list(runner.events)
        self.private_data_dir = private_data_dir
        self.artifact_dir = runner.config.artifact_dir
        self.report_dir = report_dir

    @property
    def stats_event(self) -> dict:
        (event,) = [event for event in self.events if event["event"] == "playbook_on_stats"]
        return event

    @property
    def artifact_data(self) -> dict:
        """The run's custom stats, as the playbook_on_stats event carries them (what AWX saves as artifacts)."""
        return self.stats_event["event_data"].get("artifact_data") or {}

    @property
    def verdict(self) -> str | None:
        return self.artifact_data.get("golive_verdict")

    def results_of(self, task: str) -> list[tuple[str, str]]:
        """(event, host) of every result of the task named ``task``, in the order they arrived."""
        return [(event["event"], event["event_data"]["host"]) for event in self.events
                if event["event"] in RESULT_EVENTS and event["event_data"].get("task") == task]

    def records(self) -> list[dict]:
        """Every check record the verify tasks returned, tagged with the host that ran it."""
        found = []
        for event in self.events:
            data = event.get("event_data") or {}
            if event["event"] == "runner_on_ok" and data.get("task") in (VERIFY_TASK, PROBE_TASK):
                found.extend(dict(record, ran_on=data["host"]) for record in data["res"].get("golive_checks") or ())
        return found

    def artifact_events(self) -> list[dict]:
        """The job events ansible-runner wrote to artifacts/<ident>/job_events/, in their order."""
        directory = os.path.join(self.artifact_dir, "job_events")
        events = []
        for name in os.listdir(directory):
            with open(os.path.join(directory, name), encoding="utf-8") as handle:
                events.append(json.load(handle))
        return sorted(events, key=lambda event: event["counter"])

    @property
    def report(self) -> dict:
        return read_report(os.path.join(self.report_dir, "report.json"))

    def report_text(self, name: str) -> str:
        """The text of a file the report callback wrote (junit.xml, report.md)."""
        with open(os.path.join(self.report_dir, name), encoding="utf-8") as handle:
            return handle.read()

    def task_names(self) -> list[str]:
        """The name of every task that started, in order (playbook_on_task_start events)."""
        return [event["event_data"]["task"] for event in self.events if event["event"] == "playbook_on_task_start"]

    def tail(self, events: int = 12) -> str:
        """Status and the last events' stdout, for assertion messages."""
        lines = [event.get("stdout", "") for event in self.events[-events:]]
        return f"status {self.status}, rc {self.rc}\n" + "\n".join(lines)


class GoliveAnsibleRunner(object):
    """Runs golive.yml through ``ansible_runner.run`` over inventories of the loopback SSH fleet."""

    def __init__(self, fleet, workdir) -> None:
        self.fleet = fleet
        self.workdir = str(workdir)

    def run(self, label: str = "runner", extravars: dict | None = None, verbosity: int | None = None,
            **inventory_kwargs) -> RunnerRun:
        """golive.yml of this checkout (its ansible.cfg: the collection and the report callback) in a fresh
        private data dir, at ``verbosity`` (3: -vvv); the report goes to ``<private data dir>/report``."""
        private_data_dir = os.path.join(self.workdir, label)
        os.makedirs(private_data_dir)
        inventory = self.fleet.write_inventory(os.path.join(private_data_dir, "inventory.yml"), **inventory_kwargs)
        report_dir = os.path.join(private_data_dir, "report")
        control_dir = self.fleet.new_control_dir()
        envvars = self.fleet.ansible_env(control_dir, base={})
        # The virtualenv's ansible-playbook first: ansible-runner finds it on PATH.
        envvars.update(GOLIVE_REPORT_DIR=report_dir, ANSIBLE_NOCOLOR="1",
                       PATH=ANSIBLE_BIN + os.pathsep + os.environ.get("PATH", ""))
        try:
            with without_ansible_settings():
                runner = ansible_runner.run(private_data_dir=private_data_dir, project_dir=REPO, playbook="golive.yml",
                                            inventory=inventory, envvars=envvars, extravars=extravars,
                                            verbosity=verbosity, quiet=True, timeout=RUN_TIMEOUT)
        finally:
            self.fleet.release_control_dir(control_dir)
        return RunnerRun(runner, private_data_dir, report_dir)
