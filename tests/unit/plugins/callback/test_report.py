"""The report callback, end to end: real ansible-playbook runs of the three-play golive shape.

Each test writes an inventory of local hosts (plus, where needed, one host whose SSH port refuses
connections) and a playbook into tmp_path, runs ansible-playbook from the repository root so that
ansible.cfg enables the callback, and checks the exit code, the printed verdict, report.json
(against docs/report.schema.json) and junit.xml.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import yaml

from ansible_collections.golive.readiness.tests.unit.plugins.callback._report_schema import schema_errors

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")

TODAY = datetime.date.today()
YESTERDAY = TODAY - datetime.timedelta(days=1)

PASS = dict(kind="disk_space", path="/")
WARN = dict(kind="disk_space", path="/", free_warn_below="100%")
FAIL = dict(kind="disk_space", path="/", free_fail_below="100%", severity="critical")
ERROR = dict(kind="disk_space", path="/nonexistent/golive-test", id="disk_space:missing", severity="high")

# The golive playbook's shape: host checks in one verify per host, probe checks, then the gate.
GOLIVE_PLAYBOOK = """
- name: Host checks
  hosts: scope
  gather_facts: false
  tasks:
    - name: Record the hosts in scope
      ansible.builtin.set_fact:
        golive_scope_hosts: "{{ ansible_play_hosts_all }}"
      delegate_to: localhost
      delegate_facts: true
      run_once: true
    - name: Run this host's checks in one call
      golive.readiness.verify:
        checks: "{{ host_checks }}"
        fail_on: []
      register: golive_host_verify
%(extra_host_tasks)s
- name: Endpoint checks
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Run the endpoint checks
      golive.readiness.disk_space:
        checks: "{{ probe_checks }}"
        fail_on: []
      when: probe_checks | length > 0
      register: golive_probe_verify

- name: Verdict
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Decide
      golive.readiness.gate:
        scope_hosts: "{{ golive_scope_hosts }}"
        probe_hosts: [localhost]
        waivers: "{{ golive_waivers }}"
        blocking_severities: "{{ golive_blocking_severities }}"
        signoff: "{{ golive_signoff | default([]) }}"
"""

FAILING_TASK = """
    - name: Install the application
      ansible.builtin.fail:
        msg: "package golive-app not found"
      when: inventory_hostname == 'web02'
"""


class Run(object):
    def __init__(self, process, report_dir):
        self.rc = process.returncode
        self.stdout = process.stdout
        self.stderr = process.stderr
        self.report_dir = report_dir

    @property
    def report(self):
        with open(os.path.join(self.report_dir, "report.json"), encoding="utf-8") as handle:
            return json.load(handle)

    @property
    def junit(self):
        return ET.parse(os.path.join(self.report_dir, "junit.xml")).getroot()


def clean_env(**extra):
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "GOLIVE_")))
    env.update(NO_COLOR="1", ANSIBLE_NOCOLOR="1")
    env.update(extra)
    return env


def run_playbook(tmp_path, playbook, inventory, **env):
    inventory_path = tmp_path / "inventory.yml"
    playbook_path = tmp_path / "playbook.yml"
    inventory_path.write_text(yaml.safe_dump(inventory, sort_keys=False))
    playbook_path.write_text(playbook)
    report_dir = str(tmp_path / "out" / "report")
    process = subprocess.run(
        [ANSIBLE_PLAYBOOK, "-i", str(inventory_path), str(playbook_path)],
        cwd=REPO, env=clean_env(GOLIVE_REPORT_DIR=report_dir, **env),
        capture_output=True, text=True, timeout=300, check=False)
    return Run(process, report_dir)


def golive_inventory(scope, down=(), probe_checks=(), waivers=(), blocking=("critical", "high"), signoff=()):
    hosts = dict((name, dict(ansible_connection="local", host_checks=list(checks))) for name, checks in scope.items())
    for name in down:
        hosts[name] = dict(ansible_host="127.0.0.1", ansible_port=1, ansible_connection="ssh", host_checks=[PASS])
    localhost = dict(ansible_connection="local", probe_checks=list(probe_checks), golive_waivers=list(waivers),
                     golive_blocking_severities=list(blocking), golive_signoff=list(signoff))
    return {"all": {
        "vars": {"ansible_python_interpreter": sys.executable},
        "hosts": {"localhost": localhost},
        "children": {"scope": {"hosts": hosts}},
    }}


def run_golive(tmp_path, scope, extra_host_tasks="", env=None, **inventory):
    return run_playbook(tmp_path, GOLIVE_PLAYBOOK % dict(extra_host_tasks=extra_host_tasks),
                        golive_inventory(scope, **inventory), **(env or {}))


def assert_schema_valid(report):
    assert schema_errors(report) == []


def summary_of(run):
    """The callback's terminal summary: everything after the verdict banner."""
    assert "GOLIVE VERDICT:" in run.stdout, run.stdout + run.stderr
    return run.stdout[run.stdout.index("GOLIVE VERDICT:"):]


def junit_counts(element):
    return dict((key, int(element.get(key))) for key in ("tests", "failures", "errors", "skipped"))


def assert_junit_consistent(root):
    """Every suite's counts match its testcases, and the root sums the suites."""
    totals = dict(tests=0, failures=0, errors=0, skipped=0)
    for suite in root.findall("testsuite"):
        cases = suite.findall("testcase")
        expected = dict(tests=len(cases),
                        failures=sum(1 for c in cases if c.find("failure") is not None),
                        errors=sum(1 for c in cases if c.find("error") is not None),
                        skipped=sum(1 for c in cases if c.find("skipped") is not None))
        assert junit_counts(suite) == expected, suite.get("name")
        for key in totals:
            totals[key] += expected[key]
    assert junit_counts(root) == totals


def cases_by_name(root):
    return dict(((c.get("classname"), c.get("name")), c) for c in root.iter("testcase"))


def test_go(tmp_path):
    run = run_golive(tmp_path, {"web01": [PASS], "web02": [PASS]},
                     probe_checks=[dict(path="/tmp", target="web01")])
    assert run.rc == 0, run.stdout + run.stderr
    summary = summary_of(run)
    assert summary.startswith("GOLIVE VERDICT: GO *")
    assert "3 checks on 2 hosts: 3 pass" in summary
    assert "Blocking:" not in summary and "Warnings:" not in summary
    assert "Passed:" not in summary
    assert "Report: " in summary and "report.json" in summary and "junit.xml" in summary
    assert sorted(os.listdir(run.report_dir)) == ["golive.prom", "history", "junit.xml", "latest", "report.html",
                                                  "report.json", "report.md"]

    report = run.report
    assert_schema_valid(report)
    assert report["verdict"] == "GO"
    assert report["counts"]["by_status"]["pass"] == 3
    assert report["counts"]["by_section"] == {"infrastructure": {"pass": 3, "warn": 0, "fail": 0, "error": 0,
                                                                 "skipped": 0}}
    assert report["hosts"] == [dict(name="web01", status="ok", checks=2, worst="pass"),
                               dict(name="web02", status="ok", checks=1, worst="pass")]
    probe_record = [c for c in report["checks"] if c["id"] == "disk_space:/tmp"]
    assert [(c["host"], c["probe"]) for c in probe_record] == [("web01", "localhost")]
    assert report["failed_tasks"] == [] and report["unreachable"] == []
    run_info = report["run"]
    assert run_info["playbook"].endswith("playbook.yml")
    assert run_info["inventory"] == [str(tmp_path / "inventory.yml")]
    with open(os.path.join(REPO, "galaxy.yml"), encoding="utf-8") as galaxy:
        assert run_info["collection_version"] == yaml.safe_load(galaxy)["version"]
    assert run_info["check_mode"] is False and run_info["limit"] is None
    assert run_info["duration_s"] >= 0

    root = run.junit
    assert_junit_consistent(root)
    assert junit_counts(root) == dict(tests=3, failures=0, errors=0, skipped=0)
    assert [s.get("name") for s in root.findall("testsuite")] == ["golive", "infrastructure"]
    assert ("infrastructure.web01", "disk_space:/tmp - Disk space on /tmp") in cases_by_name(root)


def test_go_with_warnings_on_warn_only(tmp_path):
    run = run_golive(tmp_path, {"web01": [WARN], "web02": [PASS]})
    assert run.rc == 0, run.stdout + run.stderr
    summary = summary_of(run)
    assert summary.startswith("GOLIVE VERDICT: GO WITH WARNINGS *")
    assert "Warnings:\n  web01 disk_space:/ warn: free " in summary
    report = run.report
    assert_schema_valid(report)
    assert report["verdict"] == "GO WITH WARNINGS"
    assert [(w["host"], w["status"]) for w in report["warnings"]] == [("web01", "warn")]
    assert report["blocking"] == []
    root = run.junit
    assert_junit_consistent(root)
    assert junit_counts(root) == dict(tests=2, failures=0, errors=0, skipped=0)
    out = cases_by_name(root)[("infrastructure.web01", "disk_space:/ - Disk space on /")].find("system-out")
    assert out.text.startswith("warn: free ")


def test_hint_and_contact_reach_the_checks_warnings_and_junit(tmp_path):
    follow = dict(hint="extend the volume: lvextend -r -L +20G /dev/vg0/root", contact="ops (#infra)")
    run = run_golive(tmp_path, {"web01": [dict(WARN, **follow)], "web02": [dict(PASS, **follow)]})
    assert run.rc == 0, run.stdout + run.stderr
    report = run.report
    assert_schema_valid(report)
    by_host = {check["host"]: check for check in report["checks"]}
    assert (by_host["web01"]["hint"], by_host["web01"]["contact"]) == (follow["hint"], follow["contact"])
    assert by_host["web02"]["contact"] == follow["contact"]
    assert [(w["host"], w["hint"], w["contact"]) for w in report["warnings"]] == [
        ("web01", follow["hint"], follow["contact"])]
    out = cases_by_name(run.junit)[("infrastructure.web01", "disk_space:/ - Disk space on /")].find("system-out")
    assert out.text.endswith(f"\nhint: {follow['hint']}\ncontact: {follow['contact']}")


def test_go_with_warnings_on_waived_failure(tmp_path):
    waivers = [dict(id="disk_space:*", hosts="web0[1]", reason="volume grows on Monday", owner="ops",
                    expires=TODAY, ticket="OPS-7"),
               dict(id="tls_certificate:*", reason="old cert", owner="sec", expires=TODAY.isoformat())]
    run = run_golive(tmp_path, {"web01": [FAIL], "web02": [PASS]}, waivers=waivers)
    assert run.rc == 0, run.stdout + run.stderr
    summary = summary_of(run)
    assert summary.startswith("GOLIVE VERDICT: GO WITH WARNINGS *")
    assert "Waivers: 1 applied, 0 expired, 1 unused" in summary
    assert "unused (matches no problem): tls_certificate:* on *" in summary
    report = run.report
    assert_schema_valid(report)
    assert report["verdict"] == "GO WITH WARNINGS"
    (applied,) = report["waivers"]["applied"]
    assert (applied["host"], applied["id"], applied["status"]) == ("web01", "disk_space:/", "fail")
    assert applied["waiver"]["expires"] == TODAY.isoformat()
    assert [w["id"] for w in report["waivers"]["unused"]] == ["tls_certificate:*"]
    (waived,) = report["warnings"]
    assert waived["waiver"]["reason"] == "volume grows on Monday"
    assert report["counts"]["waived"] == 1
    root = run.junit
    assert_junit_consistent(root)
    assert junit_counts(root) == dict(tests=2, failures=0, errors=0, skipped=1)
    skipped = cases_by_name(root)[("infrastructure.web01", "disk_space:/ - Disk space on /")].find("skipped")
    assert skipped.get("message") == f"waived: volume grows on Monday (ops, until {TODAY.isoformat()}, OPS-7)"


def test_no_go_on_critical_failures_grouped_across_hosts(tmp_path):
    run = run_golive(tmp_path, {"web01": [FAIL], "web02": [FAIL, ERROR], "web03": [FAIL]})
    assert run.rc == 2, run.stdout + run.stderr
    assert "NO-GO: 4 blocking items on 3 hosts" in run.stdout  # the gate's failure: one line of counts
    summary = summary_of(run)
    assert summary.startswith("GOLIVE VERDICT: NO-GO *")
    # The same failure on three hosts is one line, the hosts folded into a range.
    assert "Blocking:\n  disk_space:/ fails on 3 hosts: web01-web03 (web01: free " in summary
    assert "  web02 disk_space:missing error: cannot stat /nonexistent/golive-test" in summary
    assert "Counts:\n  infrastructure: 1 error, 3 fail" in summary
    report = run.report
    assert_schema_valid(report)
    assert report["verdict"] == "NO-GO"
    assert report["failed_tasks"] == []  # the gate failing the play is not a failed task
    assert sorted((b["host"], b["id"]) for b in report["blocking"]) == [
        ("web01", "disk_space:/"), ("web02", "disk_space:/"), ("web02", "disk_space:missing"),
        ("web03", "disk_space:/")]
    assert report["counts"]["by_status"]["fail"] == 3 and report["counts"]["by_status"]["error"] == 1
    root = run.junit
    assert_junit_consistent(root)
    assert junit_counts(root) == dict(tests=4, failures=3, errors=1, skipped=0)
    failure = cases_by_name(root)[("infrastructure.web03", "disk_space:/ - Disk space on /")].find("failure")
    assert failure.get("message").startswith("free ") and "(fail < 100.0%)" in failure.get("message")


def test_gate_severities_win_over_the_callback_option_even_when_empty(tmp_path):
    playbook = GOLIVE_PLAYBOOK % dict(extra_host_tasks="")
    run = run_playbook(tmp_path, playbook, golive_inventory({"web01": [FAIL]}, blocking=()),
                       GOLIVE_BLOCKING_SEVERITIES="critical,high,medium,low")
    assert run.rc == 0, run.stdout + run.stderr
    assert summary_of(run).startswith("GOLIVE VERDICT: GO WITH WARNINGS *")
    report = run.report
    assert report["blocking_severities"] == []
    assert report["verdict"] == "GO WITH WARNINGS"


def test_no_go_on_unreachable_host(tmp_path):
    run = run_golive(tmp_path, {"web01": [PASS]}, down=["down01"])
    assert run.rc == 4, run.stdout + run.stderr
    summary = summary_of(run)
    assert summary.startswith("GOLIVE VERDICT: NO-GO *")
    assert "  down01 unreachable: " in summary
    report = run.report
    assert_schema_valid(report)
    assert report["verdict"] == "NO-GO"
    assert [(h["name"], h["status"]) for h in report["hosts"]] == [("down01", "unreachable"), ("web01", "ok")]
    (unreachable,) = report["unreachable"]
    assert unreachable["host"] == "down01"
    assert unreachable["task"] == "Run this host's checks in one call"
    assert "port 1" in unreachable["message"]
    root = run.junit
    assert_junit_consistent(root)
    assert junit_counts(root) == dict(tests=2, failures=0, errors=1, skipped=0)
    error = cases_by_name(root)[("hosts.down01", "down01 has check results")].find("error")
    assert error.get("message").startswith("unreachable: ")


def test_no_go_on_failed_task_outside_the_checks(tmp_path):
    run = run_golive(tmp_path, {"web01": [PASS], "web02": [PASS]}, extra_host_tasks=FAILING_TASK)
    assert run.rc == 2, run.stdout + run.stderr
    summary = summary_of(run)
    assert summary.startswith("GOLIVE VERDICT: NO-GO *")
    assert "  web02 task 'Install the application' failed: package golive-app not found" in summary
    report = run.report
    assert_schema_valid(report)
    assert report["verdict"] == "NO-GO"
    assert report["failed_tasks"] == [dict(host="web02", task="Install the application",
                                           message="package golive-app not found")]
    assert report["counts"]["by_status"]["pass"] == 2
    root = run.junit
    assert_junit_consistent(root)
    assert junit_counts(root) == dict(tests=3, failures=0, errors=1, skipped=0)
    assert ("tasks.web02", "Install the application") in cases_by_name(root)


def test_no_go_when_a_host_skipped_its_checks_agrees_with_the_failing_gate(tmp_path):
    playbook = GOLIVE_PLAYBOOK % dict(extra_host_tasks="")
    playbook = playbook.replace("      register: golive_host_verify\n",
                                "      register: golive_host_verify\n      when: inventory_hostname != 'web02'\n")
    run = run_playbook(tmp_path, playbook, golive_inventory({"web01": [PASS], "web02": [PASS]}))
    assert run.rc == 2, run.stdout + run.stderr
    assert "NO-GO: 1 blocking item on 1 host" in run.stdout  # the gate's failure: one line of counts
    summary = summary_of(run)
    assert summary.startswith("GOLIVE VERDICT: NO-GO *")
    assert "  web02: its check task was skipped" in summary
    report = run.report
    assert_schema_valid(report)
    assert report["verdict"] == "NO-GO"
    assert [(h["name"], h["status"]) for h in report["hosts"]] == [("web01", "ok"), ("web02", "no_results")]


def test_no_go_when_the_waiver_has_expired(tmp_path):
    waivers = [dict(id="disk_space:/", hosts=["web*"], reason="grow volume", owner="ops",
                    expires=YESTERDAY.isoformat())]
    run = run_golive(tmp_path, {"web01": [FAIL]}, waivers=waivers)
    assert run.rc == 2, run.stdout + run.stderr
    summary = summary_of(run)
    assert summary.startswith("GOLIVE VERDICT: NO-GO *")
    assert "Waivers: 0 applied, 1 expired, 0 unused" in summary
    assert f"EXPIRED, not applied: disk_space:/ on web* (ops, until {YESTERDAY.isoformat()}): grow volume" in summary
    report = run.report
    assert_schema_valid(report)
    assert report["verdict"] == "NO-GO"
    (expired,) = report["waivers"]["expired"]
    assert expired["expired"] is True and expired["matched"] == [dict(host="web01", id="disk_space:/")]
    assert report["waivers"]["applied"] == []
    assert [b["host"] for b in report["blocking"]] == ["web01"]
    assert junit_counts(run.junit)["failures"] == 1


def test_malformed_waiver_fails_the_gate_naming_it(tmp_path):
    waivers = [dict(id="disk_space:/", reason="r", owner="o", expires=TODAY.isoformat()),
               dict(id="disk_space:/", reason="r", owner="o", expires="next week")]
    run = run_golive(tmp_path, {"web01": [PASS]}, waivers=waivers)
    assert run.rc == 2, run.stdout + run.stderr
    message = "waivers[1].expires: 'next week' is not a date (YYYY-MM-DD)"
    assert message in run.stdout
    assert "Traceback" not in run.stdout + run.stderr
    summary = summary_of(run)
    assert summary.startswith("GOLIVE VERDICT: NO-GO *")
    report = run.report
    assert_schema_valid(report)
    (failed,) = report["failed_tasks"]
    assert failed["host"] == "localhost" and failed["task"] == "Decide"
    assert message in failed["message"]


def test_standalone_checks_in_a_loop_use_the_callback_options(tmp_path):
    playbook = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Disk checks, one call per path
      golive.readiness.disk_space:
        checks:
          - path: "{{ item }}"
            free_fail_below: "{{ '100%' if item == '/' else '0%' }}"
            severity: high
        fail_on: []
      loop: ["/", "/tmp"]
"""
    inventory = {"all": {"hosts": {"localhost": dict(ansible_connection="local",
                                                     ansible_python_interpreter=sys.executable)}}}
    run = run_playbook(tmp_path, playbook, inventory, GOLIVE_BLOCKING_SEVERITIES="critical",
                       GOLIVE_REPORT_SHOW_PASSED="true")
    assert run.rc == 0, run.stdout + run.stderr
    summary = summary_of(run)
    assert summary.startswith("GOLIVE VERDICT: GO WITH WARNINGS *")
    assert "Passed:\n  localhost disk_space:/tmp pass: " in summary
    report = run.report
    assert_schema_valid(report)
    assert report["blocking_severities"] == ["critical"]
    assert sorted((c["id"], c["status"]) for c in report["checks"]) == [("disk_space:/", "fail"),
                                                                        ("disk_space:/tmp", "pass")]
    assert report["hosts"] == [dict(name="localhost", status="ok", checks=2, worst="fail")]


def test_unrelated_playbook_writes_and_prints_nothing(tmp_path):
    playbook = """
- hosts: localhost
  gather_facts: false
  tasks:
    - ansible.builtin.debug:
        msg: nothing to see
    - ansible.builtin.fail:
        msg: unrelated failure
"""
    inventory = {"all": {"hosts": {"localhost": dict(ansible_connection="local")}}}
    run = run_playbook(tmp_path, playbook, inventory)
    assert run.rc == 2
    assert "nothing to see" in run.stdout
    assert "GOLIVE" not in run.stdout + run.stderr
    assert not os.path.exists(os.path.dirname(run.report_dir))


def test_verdict_is_coloured_unless_disabled(tmp_path):
    scope = {"web01": [FAIL]}
    coloured = run_playbook(tmp_path, GOLIVE_PLAYBOOK % dict(extra_host_tasks=""), golive_inventory(scope),
                            ANSIBLE_FORCE_COLOR="1", NO_COLOR="", ANSIBLE_NOCOLOR="")
    line = next(li for li in coloured.stdout.splitlines() if "GOLIVE VERDICT: NO-GO" in li)
    assert "\x1b[0;31m" in line  # COLOR_ERROR, red by default
    plain = run_golive(tmp_path, scope)
    assert "\x1b[" not in summary_of(plain)


def test_check_mode_and_limit_are_recorded(tmp_path):
    playbook = """
- hosts: localhost
  gather_facts: false
  tasks:
    - golive.readiness.disk_space:
        checks: [{path: /}]
"""
    inventory = {"all": {"hosts": {"localhost": dict(ansible_connection="local",
                                                     ansible_python_interpreter=sys.executable)}}}
    inventory_path = tmp_path / "inventory.yml"
    playbook_path = tmp_path / "playbook.yml"
    inventory_path.write_text(yaml.safe_dump(inventory))
    playbook_path.write_text(playbook)
    report_dir = tmp_path / "report"
    process = subprocess.run(
        [ANSIBLE_PLAYBOOK, "-i", str(inventory_path), str(playbook_path), "--limit", "localhost", "--check"],
        cwd=REPO, env=clean_env(GOLIVE_REPORT_DIR=str(report_dir)), capture_output=True, text=True, timeout=300,
        check=False)
    assert process.returncode == 0, process.stdout + process.stderr
    report = json.loads((report_dir / "report.json").read_text())
    assert_schema_valid(report)
    assert report["verdict"] == "GO"
    assert report["run"]["check_mode"] is True
    assert report["run"]["limit"] == "localhost"


def test_report_is_written_when_every_host_is_unreachable(tmp_path):
    run = run_golive(tmp_path, {}, down=["down01", "down02"])
    assert run.rc == 4, run.stdout + run.stderr
    summary = summary_of(run)
    assert summary.startswith("GOLIVE VERDICT: NO-GO *")
    assert "0 checks on 2 hosts" in summary
    report = run.report
    assert_schema_valid(report)
    assert report["verdict"] == "NO-GO"
    assert [(h["name"], h["status"]) for h in report["hosts"]] == [("down01", "unreachable"),
                                                                   ("down02", "unreachable")]
    root = run.junit
    assert_junit_consistent(root)
    # Two unreachable hosts, and the run checked nothing.
    assert report["scope_problems"] == ["nothing was checked: the run executed no check"]
    assert junit_counts(root) == dict(tests=3, failures=0, errors=3, skipped=0)


def test_formats_option_writes_only_the_chosen_formats(tmp_path):
    run = run_golive(tmp_path, {"web01": [PASS]},
                     env=dict(GOLIVE_REPORT_FORMATS="prometheus, html, pdf", GOLIVE_REPORT_HISTORY="false"))
    assert run.rc == 0, run.stdout + run.stderr
    assert sorted(os.listdir(run.report_dir)) == ["golive.prom", "history", "latest", "report.html"]
    assert "unknown report format pdf ignored (known: json, junit, html, markdown, prometheus)" in \
        run.stdout + run.stderr
    summary = summary_of(run)
    assert summary.rstrip().splitlines()[-1] == "Report: {}, {}".format(
        os.path.join(run.report_dir, "report.html"), os.path.join(run.report_dir, "golive.prom"))


def test_with_history_report_json_is_always_written_and_archived(tmp_path):
    env = dict(GOLIVE_REPORT_FORMATS="markdown", GOLIVE_REPORT_HISTORY_KEEP="2")
    runs = [run_golive(tmp_path, {"web01": [PASS]}, env=env) for dummy in range(3)]
    assert [r.rc for r in runs] == [0, 0, 0]
    assert sorted(os.listdir(runs[-1].report_dir)) == ["history", "latest", "report.json", "report.md"]
    archives = sorted(os.listdir(os.path.join(runs[-1].report_dir, "history")))
    assert len(archives) == 2  # history_keep
    report = runs[-1].report
    assert report["files"] == {"json": "report.json", "markdown": "report.md"}
    assert report["archive"] == "history/" + archives[-1]
    assert os.readlink(os.path.join(runs[-1].report_dir, "latest")) == report["archive"]
    assert sorted(os.listdir(os.path.join(runs[-1].report_dir, report["archive"]))) == ["report.json", "report.md"]
    assert report["history"]["previous"]["archive"] in ("history/" + a for a in archives)
    assert_schema_valid(report)


def test_a_damaged_previous_report_costs_neither_this_report_nor_its_history(tmp_path):
    report_dir = tmp_path / "out" / "report"
    archive = report_dir / "history" / "20200101T000000Z"
    archive.mkdir(parents=True)
    damaged = dict(verdict="GO", generated_at=None, hosts=[dict(name="web01", status=[])],
                   checks=[dict(host="web01", id="disk_space:/", status={"was": "pass"}, title=["x"])])
    (archive / "report.json").write_text(json.dumps(damaged), encoding="utf-8")
    os.symlink("history/20200101T000000Z", str(report_dir / "latest"))
    run = run_golive(tmp_path, {"web01": [FAIL]})
    assert run.rc == 2, run.stdout + run.stderr
    summary = summary_of(run)
    assert "Since the previous run (GO, None): 0 regressions, 2 fixed, 0 new, 0 removed" in summary
    assert "WARNING" not in run.stdout + run.stderr
    report = run.report
    assert_schema_valid(report)
    assert [(c["id"], c["before"], c["after"]) for c in report["history"]["fixed"]] == [
        ("disk_space:/", "error", "fail"), ("host:web01", "error", "pass")]
    assert sorted(os.listdir(run.report_dir)) == ["golive.prom", "history", "junit.xml", "latest", "report.html",
                                                  "report.json", "report.md"]


def test_no_color_wins_over_force_color(tmp_path):
    run = run_playbook(tmp_path, GOLIVE_PLAYBOOK % dict(extra_host_tasks=""), golive_inventory({"web01": [FAIL]}),
                       ANSIBLE_FORCE_COLOR="1", ANSIBLE_NOCOLOR="", NO_COLOR="please")
    assert "GOLIVE VERDICT: NO-GO" in run.stdout
    assert "\x1b[" not in summary_of(run)


def test_sign_off_is_judged_against_the_report_verdict(tmp_path):
    # The gate sees only passing checks (GO) and accepts the GO decision; the task that failed outside the
    # checks makes the report NO-GO, where a GO decision is not accepted.
    signoff = [dict(role="release manager", name="Ann", decision="GO", date=TODAY.isoformat()),
               dict(role="qa", name="Cy")]
    run = run_golive(tmp_path, {"web01": [PASS], "web02": [PASS]}, extra_host_tasks=FAILING_TASK, signoff=signoff)
    assert run.rc == 2, run.stdout + run.stderr
    summary = summary_of(run)
    assert "Sign-off: rejected: a NO-GO cannot be signed off as GO: release manager (Ann) signed GO" in summary
    assert (f"  release manager (Ann): GO on {TODAY.isoformat()}  "
            "NOT ACCEPTED: a NO-GO run cannot be signed off as GO") in summary
    assert "  qa (Cy): pending" in summary
    report = run.report
    assert_schema_valid(report)
    assert report["verdict"] == "NO-GO"
    assert report["signoff"]["status"] == "rejected"
    assert [a["accepted"] for a in report["signoff"]["approvers"]] == [False, True]


def test_a_go_decision_on_a_run_with_warnings_says_how_it_is_counted(tmp_path):
    signoff = [dict(role="release manager", name="Ann", decision="GO", date=TODAY.isoformat())]
    run = run_golive(tmp_path, {"web01": [WARN]}, signoff=signoff)
    assert run.rc == 0, run.stdout + run.stderr
    assert ("Sign-off: signed: 1 of 1 approvers signed GO WITH WARNINGS\n"
            f"  release manager (Ann): GO on {TODAY.isoformat()}  "
            "(signed GO on a run with warnings: counted as GO WITH WARNINGS)") in summary_of(run)


def test_signed_go(tmp_path):
    signoff = [dict(role="release manager", name="Ann", decision="GO", date=TODAY.isoformat(), comment="ship it")]
    run = run_golive(tmp_path, {"web01": [PASS]}, signoff=signoff)
    assert run.rc == 0, run.stdout + run.stderr
    assert ("Sign-off: signed: 1 of 1 approvers signed GO\n"
            f"  release manager (Ann): GO on {TODAY.isoformat()} - ship it") in summary_of(run)
    assert run.report["signoff"]["status"] == "signed"
