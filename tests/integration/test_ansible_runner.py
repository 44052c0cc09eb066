"""golive through ansible-runner, as AWX and Automation Controller run it: the verdict published with set_stats
reaches artifact_data, Runner.stats and the artifacts directory, on GO and on NO-GO."""

from __future__ import annotations

import datetime
import json
import subprocess

import pytest
import yaml
from playbook_runs import (
    HEALTHY_VARS,
    REPO,
    RUN_TIMEOUT,
    SSH_HOSTS,
    VERIFY_TASK,
    ansible_tool,
    clean_environment,
    read_report,
)

pytestmark = pytest.mark.integration

STATS_KEYS = ["golive_blocking", "golive_counts", "golive_reasons", "golive_verdict"]


def missing_path_on_web02(tmp_path, severity="high"):
    missing = str(tmp_path / "golive-missing" / "release.tar.gz")
    return f"path:{missing}", {"web02": dict(golive_paths=[dict(path=missing, state="file", severity=severity)])}


def stats_events(run):
    return [event for event in run.artifact_events() if event["event"] == "playbook_on_stats"]


def assert_published_everywhere(run, verdict):
    """The same stats in the event stream and in the artifacts directory's job events (what AWX reads)."""
    data = run.artifact_data
    assert sorted(data) == STATS_KEYS, run.tail()
    assert data["golive_verdict"] == verdict
    (on_disk,) = stats_events(run)
    assert on_disk["event_data"]["artifact_data"] == data
    # Runner.stats is read from the same event: the play recap's counts, the gate's task on the controller.
    assert run.stats["processed"].get("localhost") == 1, run.stats
    return data


def test_go_is_published_as_the_runs_stats_and_the_records_come_from_events(golive_runner):
    run = golive_runner.run(group_vars=HEALTHY_VARS, label="go")

    assert (run.status, run.rc) == ("successful", 0), run.tail()
    data = assert_published_everywhere(run, "GO")
    report = run.report
    assert report["verdict"] == "GO"
    counts = data["golive_counts"]
    assert counts["total"] == report["counts"]["total"] == counts["pass"] > 0
    assert (counts["fail"], counts["error"], counts["blocking"], counts["hosts"]) == (0, 0, 0, len(SSH_HOSTS))
    assert data["golive_blocking"] == [] and data["golive_reasons"] == []
    # The gate role's two stages load without a warning (a YAML merge key that repeated one would warn).
    assert [line for event in run.events for line in event.get("stdout", "").splitlines() if "[WARNING]" in line] == []
    # One verify task per host, read from the events: the records it returned are the report's.
    assert sorted(run.results_of(VERIFY_TASK)) == sorted(("runner_on_ok", host) for host in SSH_HOSTS)
    from_events = sorted((record["ran_on"], record["id"], record["status"]) for record in run.records())
    assert from_events == sorted((check["host"], check["id"], check["status"]) for check in report["checks"])


def test_no_go_is_published_before_the_gate_fails_the_run(golive_runner, tmp_path):
    check_id, host_vars = missing_path_on_web02(tmp_path)
    run = golive_runner.run(group_vars=HEALTHY_VARS, host_vars=host_vars, label="no-go")

    assert run.status == "failed" and run.rc != 0, run.tail()
    data = assert_published_everywhere(run, "NO-GO")
    assert data["golive_blocking"] == [dict(id=check_id, status="fail", severity="high", hosts=["web02"])]
    assert data["golive_counts"]["fail"] == data["golive_counts"]["blocking"] == 1
    assert data["golive_reasons"] == [reason["text"] for reason in run.report["reasons"]]
    assert run.report["verdict"] == "NO-GO"
    # The gate failed the play after the stats were recorded.
    assert run.stats["failures"] == {"localhost": 1}, run.stats
    assert run.results_of("Decide the go-live verdict") == [("runner_on_failed", "localhost")]


def test_go_with_warnings_and_an_unreachable_host_are_published(golive_runner, tmp_path):
    host_vars = missing_path_on_web02(tmp_path, severity="medium")[1]
    run = golive_runner.run(group_vars=HEALTHY_VARS, host_vars=host_vars, label="warnings")
    assert run.status == "successful", run.tail()
    data = assert_published_everywhere(run, "GO WITH WARNINGS")
    assert data["golive_counts"]["fail"] == 1 and data["golive_counts"]["blocking"] == 0

    gone = golive_runner.run(group_vars=HEALTHY_VARS, unreachable=["gone01"], label="unreachable")
    assert gone.status == "failed", gone.tail()
    data = assert_published_everywhere(gone, "NO-GO")
    assert data["golive_blocking"] == []
    assert [line for line in data["golive_reasons"] if line.startswith("gone01 unreachable")], data
    assert gone.results_of(VERIFY_TASK).count(("runner_on_unreachable", "gone01")) == 1


def test_a_waiver_that_expired_yesterday_is_a_no_go_in_the_artifacts(golive_runner, tmp_path):
    check_id, host_vars = missing_path_on_web02(tmp_path)
    expired = dict(id=check_id, hosts="web02", reason="archive is fetched at deploy", owner="release-team",
                   expires=(datetime.date.today() - datetime.timedelta(days=1)).isoformat())
    run = golive_runner.run(group_vars=dict(HEALTHY_VARS, golive_waivers=[expired]), host_vars=host_vars,
                            label="expired")
    data = assert_published_everywhere(run, "NO-GO")
    assert [entry["id"] for entry in data["golive_blocking"]] == [check_id]


def write_yaml(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def galaxy(*args, cwd, collections):
    completed = subprocess.run([ansible_tool("ansible-galaxy"), "collection", *args], cwd=str(cwd), timeout=300,
                               env=dict(clean_environment(), ANSIBLE_COLLECTIONS_PATH=str(collections)),
                               stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_the_readmes_private_data_dir_layout_runs_with_the_ansible_runner_cli(ssh_fleet, tmp_path):
    """README "Running it with ansible-runner", as written: project/, inventory/, env/, then `ansible-runner run`."""
    pdd = tmp_path / "golive-run"
    project = pdd / "project"
    write_yaml(project / "golive.yml", [{"ansible.builtin.import_playbook": "golive.readiness.golive"}])
    galaxy("build", REPO, "--output-path", str(tmp_path / "build"), cwd=tmp_path, collections=project / "collections")
    (tarball,) = (tmp_path / "build").glob("golive-readiness-*.tar.gz")
    galaxy("install", str(tarball), "-p", "project/collections", cwd=pdd, collections=project / "collections")
    inventory = ssh_fleet.inventory()
    write_yaml(pdd / "inventory" / "hosts.yml", inventory)
    write_yaml(pdd / "inventory" / "group_vars" / "all.yml", HEALTHY_VARS)
    control_dir = ssh_fleet.new_control_dir()
    write_yaml(pdd / "env" / "envvars", dict(ANSIBLE_CALLBACKS_ENABLED="golive.readiness.report",
                                             GOLIVE_REPORT_DIR="../artifacts/golive-report",
                                             ANSIBLE_SSH_CONTROL_PATH_DIR=control_dir))
    try:
        completed = subprocess.run([ansible_tool("ansible-runner"), "run", str(pdd), "-p", "golive.yml"],
                                   cwd=str(tmp_path), env=clean_environment(), stdin=subprocess.DEVNULL,
                                   capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False)
    finally:
        ssh_fleet.release_control_dir(control_dir)

    assert completed.returncode == 0, completed.stdout[-6000:] + completed.stderr[-3000:]
    report = read_report(pdd / "artifacts" / "golive-report" / "report.json")
    assert report["verdict"] == "GO"
    assert sorted(host["name"] for host in report["hosts"]) == sorted(SSH_HOSTS)
    (ident,) = [path for path in (pdd / "artifacts").iterdir() if path.name != "golive-report"]
    assert (ident / "status").read_text() == "successful"
    events = [json.loads(path.read_text()) for path in (ident / "job_events").iterdir()]
    (stats,) = [event for event in events if event["event"] == "playbook_on_stats"]
    assert stats["event_data"]["artifact_data"]["golive_verdict"] == "GO"
    assert stats["event_data"]["artifact_data"]["golive_counts"]["total"] == report["counts"]["total"]
