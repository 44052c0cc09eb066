"""The whole golive playbook, run for real by ansible-playbook over loopback SSH hosts."""

from __future__ import annotations

import collections
import datetime
import os
import xml.etree.ElementTree as ET

import pytest
from playbook_runs import (
    HEALTHY_VARS,
    PROBE_TASK,
    SSH_HOSTS,
    VERIFY_TASK,
    checks_by_host,
    hosts_of_task,
)

pytestmark = pytest.mark.integration

# A run over three loopback hosts takes a few seconds on an idle machine and some twenty times that
# at load 20 per core; the bound proves the run ends (no check or host stalls it), not its speed,
# which benchmarks/ measures.
RUN_BUDGET_SECONDS = 300


def with_vars(**extra):
    merged = dict(HEALTHY_VARS)
    merged.update(extra)
    return merged


def days_from_today(days):
    return (datetime.date.today() + datetime.timedelta(days=days)).isoformat()


def assert_quick(run):
    assert run.seconds < RUN_BUDGET_SECONDS, run.tail()


def assert_no_go(run):
    assert run.returncode != 0, run.tail()
    assert run.verdict == "NO-GO", run.tail()
    assert run.report["verdict"] == "NO-GO"


@pytest.fixture
def env_file(tmp_path):
    path = tmp_path / "app.env"
    path.write_text("APP_ENV=production\nWORKERS=4\n")
    path.chmod(0o600)
    return str(path)


@pytest.fixture
def full_checklist(env_file):
    """One item of every host check kind, all of them healthy on the loopback hosts."""
    return with_vars(
        golive_paths=[dict(path="/etc/passwd", state="file", mode_max="0644", owner="root")],
        golive_processes=[dict(name="sshd", min_count=1)],
        golive_commands=[dict(name="kernel-name", argv=["uname", "-s"], stdout_regex="^Linux$")],
        golive_env_vars=[dict(env_file=env_file, required=["APP_ENV", "WORKERS"],
                              expected_values=dict(APP_ENV="^production$"))],
        golive_python_runtime=[dict(python="/usr/bin/python3", min_version="3.8")],
        golive_app_paths=[dict(path="/etc/hostname", state="file", severity="medium")],
    )


def expected_ids(env_file):
    return {
        "disk_space:/", "system_resources:host", "path:/etc/passwd", "process:sshd", "command_output:kernel-name",
        f"env_vars:{env_file}", "python_runtime:/usr/bin/python3", "path:/etc/hostname",
    }


def missing_path_on_web02(tmp_path):
    missing = str(tmp_path / "golive-missing" / "release.tar.gz")
    host_vars = {"web02": dict(golive_paths=[dict(path=missing, state="file", severity="high")])}
    return f"path:{missing}", host_vars


def waiver(check_id, expires):
    return dict(id=check_id.rsplit("/", 1)[0] + "/*", hosts="web0*", reason="release archive is fetched at deploy",
                owner="release-team", expires=expires, ticket="OPS-1234")


def test_unreachable_host_makes_the_verdict_no_go(golive):
    run = golive.run(group_vars=HEALTHY_VARS, unreachable=["gone01"], label="unreachable")

    assert_no_go(run)
    report = run.report
    assert [entry["host"] for entry in report["unreachable"]] == ["gone01"]
    hosts = dict((host["name"], host) for host in report["hosts"])
    assert hosts["gone01"]["status"] == "unreachable"
    for name in SSH_HOSTS:
        assert hosts[name]["status"] == "ok"
    assert "gone01 unreachable" in run.stdout
    assert_quick(run)


def test_every_host_unreachable_still_gives_a_no_go_report(golive):
    # Ansible ends the whole run when no host of a play is left, so the gate play never starts:
    # the report callback alone has to say NO-GO.
    run = golive.run(hosts=[], unreachable=["gone01", "gone02"], group_vars=HEALTHY_VARS, label="all-unreachable")

    assert_no_go(run)
    assert sorted(entry["host"] for entry in run.report["unreachable"]) == ["gone01", "gone02"]
    assert_quick(run)


def test_healthy_fleet_is_go_with_every_check_in_one_verify_task_per_host(golive_runner, full_checklist, env_file):
    # Through ansible-runner: the verdict from the run's stats, the tasks and their hosts from its events.
    run = golive_runner.run(group_vars=full_checklist, label="healthy")

    assert (run.status, run.rc) == ("successful", 0), run.tail()
    assert run.verdict == "GO", run.tail()
    report = run.report
    assert report["verdict"] == "GO"
    by_host = checks_by_host(report)
    assert set(by_host) == set(SSH_HOSTS)
    for host in SSH_HOSTS:
        checks = by_host[host]
        assert set(checks) == expected_ids(env_file), host
        assert dict((i, c["status"]) for i, c in checks.items()) == dict.fromkeys(checks, "pass"), host
        assert checks["disk_space:/"]["section"] == "infrastructure"
        assert checks["python_runtime:/usr/bin/python3"]["section"] == "application"
    assert report["counts"]["total"] == len(SSH_HOSTS) * len(expected_ids(env_file))

    # The host's whole checklist ran in one task: the only one that reached the host over SSH.
    assert run.task_names().count(VERIFY_TASK) == 1, run.task_names()
    assert sorted(run.results_of(VERIFY_TASK)) == sorted(("runner_on_ok", host) for host in SSH_HOSTS)
    # Every other task of the host play ran once, on the controller (run_once, delegated to localhost).
    others = collections.Counter(event["event_data"]["task"] for event in run.events
                                 if event["event"] == "runner_on_ok" and event["event_data"]["host"] in SSH_HOSTS
                                 and event["event_data"]["task"] != VERIFY_TASK)
    assert set(others.values()) == {1}, others
    junit = ET.fromstring(run.report_text("junit.xml"))
    assert junit.get("tests") == str(report["counts"]["total"])
    assert (junit.get("failures"), junit.get("errors")) == ("0", "0")


def test_failing_path_check_on_one_host_is_no_go(golive, tmp_path):
    check_id, host_vars = missing_path_on_web02(tmp_path)
    run = golive.run(group_vars=HEALTHY_VARS, host_vars=host_vars, label="failing-path")

    assert_no_go(run)
    report = run.report
    failing = checks_by_host(report)["web02"][check_id]
    assert failing["status"] == "fail"
    assert failing["severity"] == "high"
    assert failing["blocking"] is True
    assert [(b["host"], b["id"]) for b in report["blocking"]] == [("web02", check_id)]
    assert check_id not in checks_by_host(report)["web01"]
    assert f"web02 {check_id} fail" in run.stdout
    assert_quick(run)


def test_hosts_sharing_a_checklist_template_each_get_their_own_values(golive, tmp_path):
    # Hosts with equal checklist variables share one templating in the policy stage; a template reading
    # anything host-specific (here inventory_hostname) must still be templated for each host.
    markers = tmp_path / "markers"
    markers.mkdir()
    (markers / "web01").write_text("deployed\n")
    (markers / "db01").write_text("deployed\n")
    shared = with_vars(golive_paths=[dict(path=f"{markers}/{{{{ inventory_hostname }}}}", state="file")])
    run = golive.run(group_vars=shared, label="per-host-template")

    assert_no_go(run)
    by_host = checks_by_host(run.report)
    for host, status in (("web01", "pass"), ("web02", "fail"), ("db01", "pass")):
        assert by_host[host][f"path:{markers}/{host}"]["status"] == status, host
        assert by_host[host]["disk_space:/"]["status"] == "pass", host
    assert [(b["host"], b["id"]) for b in run.report["blocking"]] == [("web02", f"path:{markers}/web02")]
    assert_quick(run)


def test_waiver_turns_the_failure_into_go_with_warnings(golive, tmp_path):
    check_id, host_vars = missing_path_on_web02(tmp_path)
    accepted = waiver(check_id, expires=days_from_today(30))
    run = golive.run(group_vars=with_vars(golive_waivers=[accepted]), host_vars=host_vars, label="waived")

    assert run.returncode == 0, run.tail()
    assert run.verdict == "GO WITH WARNINGS", run.tail()
    report = run.report
    assert report["verdict"] == "GO WITH WARNINGS"
    applied = report["waivers"]["applied"]
    assert [(a["host"], a["id"]) for a in applied] == [("web02", check_id)]
    assert applied[0]["waiver"]["owner"] == "release-team"
    waived = checks_by_host(report)["web02"][check_id]
    assert waived["status"] == "fail"
    assert waived["waiver"]["reason"] == accepted["reason"]
    assert report["blocking"] == []
    assert f"applied to web02 {check_id}" in run.stdout
    assert_quick(run)


def test_expired_waiver_does_not_apply_and_is_reported(golive, tmp_path):
    check_id, host_vars = missing_path_on_web02(tmp_path)
    stale = waiver(check_id, expires=days_from_today(-1))
    run = golive.run(group_vars=with_vars(golive_waivers=[stale]), host_vars=host_vars, label="expired-waiver")

    assert_no_go(run)
    report = run.report
    assert report["waivers"]["applied"] == []
    expired = report["waivers"]["expired"]
    assert [w["id"] for w in expired] == [stale["id"]]
    assert expired[0]["expires"] == stale["expires"]
    assert [(m["host"], m["id"]) for m in expired[0]["matched"]] == [("web02", check_id)]
    assert "EXPIRED, not applied: {}".format(stale["id"]) in run.stdout
    assert_quick(run)


@pytest.mark.parametrize("variable, value, problem", [
    ("golive_disk_space", [dict(path="/", free_warn_below="20XB")], ("free_warn_below", "20XB")),
    ("golive_disk_space", "not-a-list", ()),
    # An endpoint check runs later, on the probe host, but its settings stop the run up front too.
    ("golive_prometheus", [dict(url="http://127.0.0.1:9", down_fail_above="many")], ("down_fail_above", "many")),
], ids=["bad-size-unit", "not-a-list", "endpoint-check"])
def test_malformed_variable_fails_fast_naming_variable_and_option(golive, variable, value, problem):
    run = golive.run(group_vars=with_vars(**{variable: value}), label="malformed")

    assert run.returncode != 0, run.tail()
    assert variable in run.output, run.tail()
    for word in problem:
        assert word in run.output, run.tail()
    assert "Traceback" not in run.output, run.tail()
    # Nothing reached the hosts: the policy stage of the gate validated every host's checklist on the controller.
    assert f"invalid check settings in {variable}" in run.output, run.tail()
    assert ": 1 problem, printed above as a warning" in run.output, run.tail()
    assert hosts_of_task(run.stdout, VERIFY_TASK) == [], run.tail()
    assert run.verdict in (None, "NO-GO"), run.tail()
    assert_quick(run)


def test_a_misspelt_variable_is_named_with_the_one_meant_and_the_run_goes_on(golive):
    run = golive.run(group_vars=with_vars(golive_disk_spaces=[dict(path="/", free_fail_below="1%")]),
                     label="misspelt")

    assert ("golive_disk_spaces is not a variable golive reads, so golive ignores it; did you mean "
            "golive_disk_space? (in the variables of ") in run.output, run.tail()
    assert run.returncode == 0, run.tail()
    assert run.verdict in ("GO", "GO WITH WARNINGS"), run.tail()
    assert_quick(run)


@pytest.mark.parametrize("section, other", [("infrastructure", "application"), ("application", "infrastructure")])
def test_tags_select_one_section(golive, full_checklist, section, other):
    run = golive.run("--tags", section, group_vars=full_checklist, label=f"tags-{section}")

    assert run.returncode == 0, run.tail()
    report = run.report
    sections = set(check["section"] for check in report["checks"])
    assert sections == {section}, run.tail()
    by_host = checks_by_host(report)
    for host in SSH_HOSTS:
        if section == "infrastructure":
            assert "disk_space:/" in by_host[host]
            assert "python_runtime:/usr/bin/python3" not in by_host[host]
        else:
            assert "python_runtime:/usr/bin/python3" in by_host[host]
            assert "disk_space:/" not in by_host[host]
    assert other not in report["counts"]["by_section"]
    assert_quick(run)


def test_endpoint_checks_run_on_the_probe_host_once_per_target(golive_runner):
    host_vars = dict(
        (host, dict(golive_probe_checks=[dict(
            kind="command_output", name="probe-echo", argv=["echo", f"probing {host}"],
            stdout_regex=f"^probing {host}$", section="services", severity="high")]))
        for host in SSH_HOSTS)
    run = golive_runner.run(group_vars=HEALTHY_VARS, host_vars=host_vars, label="probe")

    assert (run.status, run.rc) == ("successful", 0), run.tail()
    assert run.verdict == "GO", run.tail()
    report = run.report
    probe_records = [c for c in report["checks"] if c["id"] == "command_output:probe-echo"]
    assert sorted(c["host"] for c in probe_records) == sorted(SSH_HOSTS)
    for record in probe_records:
        assert record["probe"] == "localhost"
        assert record["status"] == "pass", record
        assert record["section"] == "services"
    # One call on the controller ran all three targets' checks: its event carries their records.
    assert run.results_of(PROBE_TASK) == [("runner_on_ok", "localhost")], run.tail()
    probed = [record for record in run.records() if record["ran_on"] == "localhost"]
    assert sorted(record["target"] for record in probed) == sorted(SSH_HOSTS)
    assert os.path.basename(report["run"]["playbook"]) == "golive.yml"
