"""A sliced run merged into one verdict: real slices of a 6-host fleet run concurrently through ansible-runner over
real SSH hosts, then merged by the real ``ansible-playbook golive.readiness.merge_reports``."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess

import ansible_runner
import pytest
from playbook_runs import HEALTHY_VARS, REPO, ansible_tool, clean_environment, printed_verdict, read_report
from sshhosts import SSHFleet

from ansible_collections.golive.readiness.tests.unit.plugins.plugin_utils._webhook_receiver import (
    answer,
    running_receiver,
)

HOSTS = ("web01", "web02", "web03", "web04", "web05", "web06")
SLICES = {1: ["web01", "web02"], 2: ["web03", "web04"], 3: ["web05", "web06"]}
# Bounded but generous: five playbooks share a busy 2-core machine.
SLICE_TIMEOUT = 900
MERGE_TIMEOUT = 300
FORMAT_FILES = ("report.json", "junit.xml", "report.html", "report.md", "golive.prom")
FAILING_DISK = {"golive_disk_space": [{"path": "/", "free_fail_below": "100%"}]}
# The slice runs: name -> (slice number, extra group vars, host vars, how the slice is cut). AWX hands each slice a
# pared-down inventory; a CI job may take the whole inventory and --limit it, as the README shows.
RUNS = {
    "s1": (1, {}, {}, "inventory"),
    "s2": (2, {}, {}, "inventory"),
    "s2-failing": (2, {}, {"web04": FAILING_DISK}, "inventory"),
    "s3": (3, {}, {}, "limit"),
    "s3-other-policy": (3, {"golive_blocking_severities": ["critical"]}, {}, "inventory"),
}


def _run_slice(fleet, workdir, name):
    """Start one slice: ansible-playbook golive.yml over that slice's hosts, with -e golive_slice=k/3."""
    number, group_vars, host_vars, cut = RUNS[name]
    directory = os.path.join(workdir, name)
    os.makedirs(os.path.join(directory, "runner"))
    hosts = SLICES[number] if cut == "inventory" else list(HOSTS)
    inventory = fleet.write_inventory(os.path.join(directory, "inventory.yml"), hosts=hosts,
                                      group_vars=dict(HEALTHY_VARS, **group_vars), host_vars=host_vars)
    env = fleet.ansible_env(fleet.new_control_dir(), base=clean_environment())
    env["GOLIVE_REPORT_DIR"] = os.path.join(directory, "report")
    limit = None if cut == "inventory" else ",".join([*SLICES[number], "localhost"])
    thread, runner = ansible_runner.run_async(
        private_data_dir=os.path.join(directory, "runner"), project_dir=REPO, playbook="golive.yml",
        inventory=inventory, limit=limit, extravars={"golive_slice": f"{number}/3"}, envvars=env,
        quiet=True, timeout=SLICE_TIMEOUT)
    return thread, runner


def _run_every_slice(workdir):
    """Every slice run of RUNS, all at once, over a fleet of their own; the full inventory's path."""
    with SSHFleet(os.path.join(workdir, "fleet"), HOSTS) as fleet:
        started = dict((name, _run_slice(fleet, workdir, name)) for name in RUNS)
        for name, (thread, runner) in started.items():
            thread.join(SLICE_TIMEOUT + 60)
            assert not thread.is_alive(), f"slice run {name} still running"
            assert runner.status in ("successful", "failed"), f"{name}: {runner.status}"
            with open(os.path.join(workdir, name, "rc"), "w", encoding="utf-8") as handle:
                handle.write(str(runner.rc))
        return fleet.write_inventory(os.path.join(workdir, "full-inventory.yml"), hosts=list(HOSTS),
                                     group_vars=HEALTHY_VARS)


def _shared_directory(tmp_path_factory):
    """One directory for this test session: pytest-xdist's workers share it, so the slices run once."""
    session = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if session is None:
        return str(tmp_path_factory.mktemp("slices"))
    path = tmp_path_factory.getbasetemp().parent / f"merge-slices-{session}"
    path.mkdir(exist_ok=True)
    return str(path)


@pytest.fixture(scope="module")
def sliced(tmp_path_factory):
    """{reports: {name: report directory}, inventory: the full inventory, rc: {name: exit code}}."""
    workdir = _shared_directory(tmp_path_factory)
    with open(os.path.join(workdir, "lock"), "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the other worker waits here while the slices run
        if not os.path.exists(os.path.join(workdir, "done")):
            _run_every_slice(workdir)
            with open(os.path.join(workdir, "done"), "w", encoding="utf-8"):
                pass
    reports = dict((name, os.path.join(workdir, name, "report")) for name in RUNS)
    for name, report_dir in reports.items():
        assert os.path.isfile(os.path.join(report_dir, "report.json")), f"slice {name} wrote no report"
    rc = {}
    for name in RUNS:
        with open(os.path.join(workdir, name, "rc"), encoding="utf-8") as handle:
            rc[name] = int(handle.read())
    return dict(reports=reports, inventory=os.path.join(workdir, "full-inventory.yml"), rc=rc)


def merge(report_dir, *args, env=None, cwd=None):
    """``ansible-playbook golive.readiness.merge_reports <args>`` in ``cwd``, with the repository's ansible.cfg."""
    run_env = clean_environment()
    run_env["ANSIBLE_CONFIG"] = os.path.join(REPO, "ansible.cfg")
    run_env["GOLIVE_REPORT_DIR"] = report_dir
    run_env.update(env or {})
    return subprocess.run([ansible_tool("ansible-playbook"), "golive.readiness.merge_reports", *args], cwd=cwd or REPO,
                          env=run_env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=MERGE_TIMEOUT, check=False)


def slices_arg(sliced, *names):
    return json.dumps({"golive_slices": [sliced["reports"][name] for name in names]})


def test_every_slice_ran_concurrently_and_says_which_slice_it_is(sliced):
    for name, run in RUNS.items():
        number = run[0]
        report = read_report(os.path.join(sliced["reports"][name], "report.json"))
        assert report["slice"] == dict(number=number, count=3, job_id=None, workflow_job_id=None), name
        assert sorted(h["name"] for h in report["hosts"]) == SLICES[number], name
        assert report["checklist"]["fingerprint"].startswith("sha256:")
    fingerprints = dict((name, read_report(os.path.join(path, "report.json"))["checklist"]["fingerprint"])
                        for name, path in sliced["reports"].items())
    assert fingerprints["s1"] == fingerprints["s2-failing"] == fingerprints["s3"]
    assert fingerprints["s3-other-policy"] != fingerprints["s3"]
    assert sliced["rc"]["s2-failing"] != 0 and sliced["rc"]["s1"] == 0


def test_a_failing_check_in_one_slice_makes_the_merged_verdict_nogo_naming_it(sliced, tmp_path):
    report_dir = str(tmp_path / "merged")
    earlier = merge(report_dir, "-e", slices_arg(sliced, "s1", "s2", "s3"))
    assert earlier.returncode == 0, earlier.stdout
    with running_receiver(answer(200)) as receiver:
        run = merge(report_dir, "-e", slices_arg(sliced, "s1", "s2-failing", "s3"),
                    env={"GOLIVE_NOTIFY_URL": receiver.url("/hooks/golive")})
        payloads = receiver.payloads()
    assert run.returncode != 0, run.stdout
    assert printed_verdict(run.stdout) == "NO-GO", run.stdout
    report = read_report(os.path.join(report_dir, "report.json"))
    assert report["verdict"] == "NO-GO"
    assert len(report["reasons"]) == 1, report["reasons"]
    assert report["reasons"][0]["text"].startswith("web04 disk_space:/ fail: free "), report["reasons"]
    assert sorted(h["name"] for h in report["hosts"]) == list(HOSTS)
    # History and the webhook, as the report callback does them: compared with the earlier merge, posted once.
    assert [(c["host"], c["id"]) for c in report["history"]["regressions"]] == [("web04", "disk_space:/")]
    assert report["notification"]["status"] == "sent"
    assert len(payloads) == 1 and payloads[0]["text"].startswith("GOLIVE NO-GO"), payloads
    assert report["slices"]["count"] == 3 and report["slices"]["missing"] == []
    assert [s["verdict"] for s in report["slices"]["reports"]] == ["GO", "NO-GO", "GO"]
    for name in FORMAT_FILES:
        assert os.path.isfile(os.path.join(report_dir, name)), name
    with open(os.path.join(report_dir, "junit.xml"), encoding="utf-8") as handle:
        assert "web04" in handle.read()
    with open(os.path.join(report_dir, "golive.prom"), encoding="utf-8") as handle:
        assert 'golive_verdict{verdict="NO-GO"} 1' in handle.read()


def test_all_slices_passing_merge_to_go_and_the_same_slices_give_the_same_files(sliced, tmp_path):
    # The README's example as written, from the directory holding each slice's report directory under slices/.
    slices = tmp_path / "slices"
    slices.mkdir()
    for number, name in ((1, "s1"), (2, "s2"), (3, "s3")):
        shutil.copytree(sliced["reports"][name], slices / str(number), symlinks=True)
    texts = []
    for attempt in ("first", "second"):
        report_dir = str(tmp_path / attempt)
        run = merge(report_dir, "-e", "golive_slices=slices", "-e", "golive_slice_count=3",
                    env={"GOLIVE_REPORT_HISTORY": "false"}, cwd=str(tmp_path))
        assert run.returncode == 0, run.stdout + run.stderr
        assert printed_verdict(run.stdout) == "GO", run.stdout
        texts.append(dict((name, (tmp_path / attempt / name).read_bytes()) for name in FORMAT_FILES))
    assert texts[0] == texts[1]
    report = read_report(str(tmp_path / "first" / "report.json"))
    assert report["verdict"] == "GO" and report["counts"]["total"] == 12 and len(report["hosts"]) == 6


def test_a_missing_slice_is_nogo_naming_the_slice_and_its_hosts(sliced, tmp_path):
    report_dir = str(tmp_path / "merged")
    run = merge(report_dir, "-i", sliced["inventory"], "-e", slices_arg(sliced, "s1", "s3"))
    assert run.returncode != 0
    assert printed_verdict(run.stdout) == "NO-GO", run.stdout
    report = read_report(os.path.join(report_dir, "report.json"))
    texts = [reason["text"] for reason in report["reasons"]]
    assert "slice 2 of 3 is missing: no report for it, its hosts are unchecked" in texts
    assert "web03, web04: in the inventory but in no slice report (2 hosts unchecked)" in texts
    assert report["incomplete"] is True
    assert "slice 2 of 3 is missing" in run.stdout


def test_slices_of_different_checklists_are_refused_naming_the_file(sliced, tmp_path):
    report_dir = str(tmp_path / "merged")
    run = merge(report_dir, "-e", slices_arg(sliced, "s1", "s2", "s3-other-policy"))
    assert run.returncode != 0
    other = os.path.join(sliced["reports"]["s3-other-policy"], "report.json")
    assert f"{other}: ran another checklist than" in run.stdout
    assert "(blocking severities differ)" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr
    assert not os.path.exists(report_dir), "a refused merge publishes nothing"
    assert printed_verdict(run.stdout) is None


def test_a_report_of_another_schema_version_is_refused_naming_the_file(sliced, tmp_path):
    with open(os.path.join(sliced["reports"]["s3"], "report.json"), encoding="utf-8") as handle:
        document = json.load(handle)
    document["schema_version"] = 1
    old = tmp_path / "old-report.json"
    old.write_text(json.dumps(document), encoding="utf-8")
    run = merge(str(tmp_path / "merged"), "-e",
                json.dumps({"golive_slices": [sliced["reports"]["s1"], sliced["reports"]["s2"], str(old)]}))
    assert run.returncode != 0
    assert f"{old}: schema version 1, but this release merges version 2 reports only" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr


def test_wrong_or_missing_merge_options_are_named(sliced, tmp_path):
    run = merge(str(tmp_path / "merged"), "-e", slices_arg(sliced, "s1"), "-e", "golive_slice_count=three")
    assert run.returncode != 0
    assert "merge_reports: slice_count: 'three' is not a whole number" in run.stdout
    run = merge(str(tmp_path / "merged"), "-e", slices_arg(sliced, "s1", "s1"))
    assert run.returncode != 0 and "host web01 is also in" in run.stdout
    run = merge(str(tmp_path / "merged"))
    assert "merge_reports: slices: required" in run.stdout and "golive_slices" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr
