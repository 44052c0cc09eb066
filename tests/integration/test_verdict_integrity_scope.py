"""Nothing checked is never GO: real ansible-playbook runs over the loopback SSH hosts (sshd on 127.0.0.1)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from playbook_runs import HEALTHY_VARS, PROBE_TASK, SSH_HOSTS, VERIFY_TASK, hosts_of_task

from ansible_collections.golive.readiness.plugins.plugin_utils._report_markdown import md

pytestmark = pytest.mark.integration

SECTIONS_TEXT = "infrastructure, application, security, services, data, monitoring, backup"
NOTHING_CHECKED = "nothing was checked: the run executed no check"
POLICY_TASK = "Check the go-live policy and the run's scope"


def assert_no_go(run):
    assert run.returncode != 0, run.tail()
    assert run.verdict == "NO-GO", run.tail()
    assert run.report["verdict"] == "NO-GO", run.tail()


def assert_no_host_contacted(run):
    """The verify task never ran on any host: the run stopped on the controller."""
    assert hosts_of_task(run.stdout, VERIFY_TASK) == [], run.tail()
    assert hosts_of_task(run.stdout, PROBE_TASK) == [], run.tail()
    assert run.report["checks"] == []


def failed_task_messages(report):
    return [task["message"] for task in report["failed_tasks"]]


def probe_checks():
    """One endpoint check per host, run by the probe hosts (the controller by default)."""
    return dict((host, dict(golive_probe_checks=[dict(kind="command_output", name="probe-echo", argv=["true"])]))
                for host in SSH_HOSTS)


@pytest.mark.parametrize("option, tag", [("--tags", "infrastrucure"), ("--skip-tags", "securty")])
def test_typo_in_tag_is_never_go_and_stops_before_any_host(golive, option, tag):
    run = golive.run(option, tag, group_vars=HEALTHY_VARS, label="tag-typo")

    assert_no_go(run)
    assert_no_host_contacted(run)
    expected = f"unknown tag '{tag}' in {option}: the sections are {SECTIONS_TEXT}"
    assert any(expected in message for message in failed_task_messages(run.report)), run.tail()
    assert hosts_of_task(run.stdout, POLICY_TASK) != [], run.tail()


def test_ansible_special_tags_with_sections_are_accepted(golive):
    run = golive.run("--tags", "infrastructure,always", "--skip-tags", "never", group_vars=HEALTHY_VARS,
                     label="special-tags")

    assert run.returncode == 0, run.tail()
    assert run.report["verdict"] in ("GO", "GO WITH WARNINGS"), run.tail()
    assert {check["section"] for check in run.report["checks"]} == {"infrastructure"}


def test_host_pattern_selecting_no_host_is_no_go_with_that_reason(golive):
    run = golive.run("-e", "golive_hosts=wbe", group_vars=HEALTHY_VARS, label="empty-pattern")

    assert_no_go(run)
    report = run.report
    reason = "no host in scope: the host pattern 'wbe' (golive_hosts) selects no host"
    assert report["scope_problems"] == [reason, NOTHING_CHECKED]
    assert report["hosts"] == [] and report["checks"] == []
    assert "  " + reason in run.stdout  # under Blocking, on the terminal
    assert md(reason) in run.report_text("report.md")
    assert "golive_scope_problems 2" in run.report_text("golive.prom")
    scope_cases = ET.fromstring(run.junit).findall("testsuite[@name='scope']/testcase/error")
    assert [case.get("message") for case in scope_cases] == [reason, NOTHING_CHECKED]
    assert reason.replace("'", "&#x27;") in run.report_text("report.html")


def test_probe_group_matching_no_host_with_endpoint_checks_is_no_go(golive):
    run = golive.run("-e", "golive_probe_group=bastoin", group_vars=HEALTHY_VARS, host_vars=probe_checks(),
                     label="empty-probe-group")

    assert_no_go(run)
    assert_no_host_contacted(run)
    expected = "probe group 'bastoin' (golive_probe_group) matches no host: 3 endpoint checks did not run"
    assert any(expected in message for message in failed_task_messages(run.report)), run.tail()


def test_limit_leaving_out_the_controller_is_no_go_naming_the_limit(golive):
    run = golive.run("--limit", "web01", group_vars=HEALTHY_VARS, label="limit-without-controller")

    assert_no_go(run)
    assert_no_host_contacted(run)
    expected = "--limit 'web01' leaves out localhost, where the verdict is decided"
    assert any(expected in message for message in failed_task_messages(run.report)), run.tail()


def test_limit_with_the_controller_checks_only_the_limited_hosts(golive):
    run = golive.run("--limit", "web01,localhost", group_vars=HEALTHY_VARS, host_vars=probe_checks(),
                     label="limit-with-controller")

    assert run.returncode == 0, run.tail()
    report = run.report
    assert [host["name"] for host in report["hosts"]] == ["web01"]
    assert {check["host"] for check in report["checks"]} == {"web01"}
    assert "command_output:probe-echo" in {check["id"] for check in report["checks"]}
    assert report["scope_problems"] == []


def test_run_that_executed_no_check_is_no_go(golive):
    # The application section has no checks in this inventory: nothing at all is checked.
    run = golive.run("--tags", "application", group_vars=HEALTHY_VARS, label="nothing-checked")

    assert_no_go(run)
    report = run.report
    assert report["scope_problems"] == [NOTHING_CHECKED]
    assert sorted(host["name"] for host in report["hosts"] if host["status"] == "no_checks") == sorted(SSH_HOSTS)
    assert NOTHING_CHECKED in run.stdout


def test_host_with_an_empty_checklist_is_listed_in_every_format(golive):
    app_check = dict(golive_app_paths=[dict(path="/etc/hostname", state="file")])
    run = golive.run("--tags", "application", group_vars=HEALTHY_VARS, host_vars=dict(web01=app_check),
                     label="empty-checklist")

    assert run.returncode == 0, run.tail()
    report = run.report
    assert report["verdict"] == "GO", run.tail()
    statuses = dict((host["name"], host["status"]) for host in report["hosts"])
    assert statuses == dict(web01="ok", web02="no_checks", db01="no_checks")
    junit = ET.fromstring(run.junit)
    skipped = junit.findall("testsuite[@name='hosts']/testcase/skipped")
    assert sorted(case.get("message").split(":")[0] for case in skipped) == ["no_checks", "no_checks"]
    assert "Hosts with an empty checklist (2)" in run.report_text("report.md")
    assert "Hosts with an empty checklist" in run.report_text("report.html")
    prom = run.report_text("golive.prom")
    assert 'golive_host_empty_checklist{host="web02"} 1' in prom
    assert 'golive_hosts{status="no_checks"} 2' in prom
