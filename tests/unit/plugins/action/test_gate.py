"""The gate action, end to end: real ansible-playbook runs; the gate's result is read back with the tree callback."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")

PASS = dict(kind="disk_space", path="/")
WARN = dict(kind="disk_space", path="/", free_warn_below="100%")
FAIL = dict(kind="disk_space", path="/", free_fail_below="100%", severity="critical")
LOW_FAIL = dict(kind="disk_space", path="/", free_fail_below="100%", severity="low")
INVALID = dict(kind="disk_space", path="relative/path")

PLAYBOOK = """
- name: Host checks
  hosts: scope
  gather_facts: false
  tasks:
    - name: Record the hosts in scope
      ansible.builtin.set_fact:
        golive_scope_hosts: "{{ ansible_play_hosts_all + extra_scope }}"
      delegate_to: localhost
      delegate_facts: true
      run_once: true
    - name: Host checklist
      golive.readiness.verify:
        checks: "{{ host_checks }}"
        fail_on: []
      register: %(result_var)s

- name: Endpoint checks
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Endpoint checklist
      golive.readiness.disk_space:
        checks: "{{ probe_checks }}"
        fail_on: []
      when: probe_checks | length > 0
      register: %(probe_result_var)s

- name: Verdict
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Decide
      golive.readiness.gate:
%(gate_args)s
"""

DEFAULT_GATE_ARGS = {
    "scope_hosts": "{{ golive_scope_hosts }}",
    "probe_hosts": ["localhost"],
    "waivers": [],
}


class GateRun(object):
    def __init__(self, process, tree_dir):
        self.rc = process.returncode
        self.output = process.stdout + process.stderr
        path = os.path.join(tree_dir, "localhost")
        with open(path, encoding="utf-8") as handle:
            self.result = json.load(handle)
        self.gate = self.result.get("golive_gate")
        # The tree callback drops the "failed" flag; the default callback's line says it.
        self.gate_failed = "fatal: [localhost]: FAILED!" in process.stdout


def run_gate(tmp_path, scope, probe_checks=(), gate_args=None, extra_scope=(), result_var="golive_host_verify",
             probe_result_var="golive_probe_verify", playbook=None):
    hosts = dict((name, dict(ansible_connection="local", host_checks=checks)) for name, checks in scope.items())
    inventory = {"all": {
        "vars": {"ansible_python_interpreter": sys.executable, "extra_scope": list(extra_scope)},
        "hosts": {"localhost": dict(ansible_connection="local", probe_checks=list(probe_checks))},
        "children": {"scope": {"hosts": hosts}, "spare": {"hosts": {"spare01": dict(ansible_connection="local")}}},
    }}
    args = dict(DEFAULT_GATE_ARGS) if gate_args is None else gate_args
    rendered_args = "\n".join("        " + line for line in yaml.safe_dump(args, sort_keys=False).splitlines())
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory, sort_keys=False))
    (tmp_path / "playbook.yml").write_text(playbook or PLAYBOOK % dict(
        result_var=result_var, probe_result_var=probe_result_var, gate_args=rendered_args))
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "GOLIVE_")))
    tree = tmp_path / "tree"
    env.update(NO_COLOR="1", ANSIBLE_CALLBACKS_ENABLED="golive.readiness.report,ansible.builtin.tree",
               ANSIBLE_CALLBACK_TREE_DIR=str(tree), GOLIVE_REPORT_DIR=str(tmp_path / "report"))
    process = subprocess.run(
        [ANSIBLE_PLAYBOOK, "-i", str(tmp_path / "inventory.yml"), str(tmp_path / "playbook.yml")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    return GateRun(process, str(tree))


def test_no_go_fails_the_task_with_one_short_line_and_a_compact_result(tmp_path):
    run = run_gate(tmp_path, {"web01": [FAIL], "web02": [PASS], "web03": [INVALID]})
    assert run.rc == 2, run.output
    assert run.gate_failed and run.result["changed"] is False
    # Empty policy parts are left out: what Ansible prints of the failure stays short.
    assert sorted(run.gate) == ["blocking_severities", "hosts", "verdict"]
    assert run.gate["verdict"] == "NO-GO"
    # Only the hosts that are not ok: the report callback needs them to reach the same verdict.
    assert [(h["name"], h["status"], h["reason"]) for h in run.gate["hosts"]] == [
        ("web03", "no_results", "its check task failed (its own error says why)")]
    assert run.result["msg"] == "NO-GO: 2 blocking items on 2 hosts"


def test_no_go_details_every_blocking_item(tmp_path):
    run = run_gate(tmp_path, {"web01": [FAIL], "web02": [PASS], "web03": [INVALID]},
                   probe_checks=[dict(path="/tmp", target="web02", free_warn_below="100%")],
                   gate_args=dict(DEFAULT_GATE_ARGS, fail_on_nogo=False))
    assert run.rc == 2, run.output  # web03's check task failed; the gate itself did not
    assert not run.gate_failed and run.result["changed"] is False
    gate = run.gate
    assert gate["verdict"] == "NO-GO"
    (blocking,) = gate["blocking"]
    assert sorted(blocking) == ["host", "id", "severity", "status", "summary", "title"]
    assert (blocking["host"], blocking["id"], blocking["status"], blocking["severity"], blocking["title"]) == (
        "web01", "disk_space:/", "fail", "critical", "Disk space on /")
    assert gate["hosts_without_results"] == ["web03"]
    assert run.result["msg"] == "NO-GO: 2 blocking items on 2 hosts"
    # The probe's record is about web02 and counted there.
    assert [(w["host"], w["id"], w["status"]) for w in gate["warnings"]] == [("web02", "disk_space:/tmp", "warn")]
    hosts = dict((h["name"], h) for h in gate["hosts"])
    assert hosts["web02"]["checks"] == 2 and hosts["web02"]["worst"] == "warn"
    assert hosts["web03"]["status"] == "no_results"
    assert gate["counts"]["total"] == 3 and gate["counts"]["blocking"] == 1
    assert gate["blocking_severities"] == ["critical", "high"]


def test_no_go_without_failing_the_task(tmp_path):
    args = dict(DEFAULT_GATE_ARGS, fail_on_nogo=False)
    run = run_gate(tmp_path, {"web01": [FAIL]}, gate_args=args)
    assert run.rc == 0, run.output
    assert not run.gate_failed
    assert run.gate["verdict"] == "NO-GO"
    assert run.result["msg"] == "NO-GO: 1 blocking item on 1 host"


def test_go_with_warnings_and_waiver_bookkeeping(tmp_path):
    waivers = [dict(id="disk_space:/", hosts="web0[1]", reason="growing", owner="ops", expires="2999-12-31"),
               dict(id="disk_space:/", hosts="web02", reason="old", owner="ops", expires="2000-01-01"),
               dict(id="nothing:*", reason="stale", owner="ops", expires="2999-12-31", ticket=42)]
    args = dict(DEFAULT_GATE_ARGS, waivers=waivers, blocking_severities="critical, high")
    run = run_gate(tmp_path, {"web01": [FAIL], "web02": [LOW_FAIL]}, gate_args=args)
    assert run.rc == 0, run.output
    gate = run.gate
    assert gate["verdict"] == "GO WITH WARNINGS"
    assert run.result["msg"] == "GO WITH WARNINGS: 2 warnings on 2 hosts (1 waived), 1 expired waiver"
    assert [(a["host"], a["waiver"]["reason"]) for a in gate["applied_waivers"]] == [("web01", "growing")]
    assert [(w["reason"], w["matched"]) for w in gate["expired_waivers"]] == [
        ("old", [dict(host="web02", id="disk_space:/")])]
    assert [(w["id"], w["ticket"]) for w in gate["unused_waivers"]] == [("nothing:*", "42")]
    assert [w["expired"] for w in gate["waivers"]] == [False, True, False]
    assert sorted((w["host"], w["waived"]) for w in gate["warnings"]) == [("web01", True), ("web02", False)]


def test_go_with_renamed_result_vars_and_a_skipped_probe(tmp_path):
    args = dict(DEFAULT_GATE_ARGS, result_var="my_checks", probe_result_var="my_probe")
    run = run_gate(tmp_path, {"web01": [PASS], "web02": [PASS]}, gate_args=args,
                   result_var="my_checks", probe_result_var="my_probe")
    assert run.rc == 0, run.output
    assert run.gate["verdict"] == "GO"
    assert run.result["msg"] == "GO: 2 checks on 2 hosts passed"
    assert run.gate["hosts_without_results"] == []


def test_a_result_variable_defined_as_a_template_is_read_through_it(tmp_path):
    # The gate reads registered results as stored (templating whole results again was most of its time);
    # a result variable the user defines as a template over them is still followed.
    args = dict(DEFAULT_GATE_ARGS, result_var="my_checks", fail_on_nogo=False)
    (tmp_path / "host_vars").mkdir()
    for host in ("web01", "web02"):
        (tmp_path / "host_vars" / f"{host}.yml").write_text('my_checks: "{{ golive_host_verify }}"\n')
    run = run_gate(tmp_path, {"web01": [PASS], "web02": [FAIL]}, gate_args=args)
    assert run.rc == 0, run.output
    assert run.gate["verdict"] == "NO-GO"
    assert [(item["host"], item["status"]) for item in run.gate["blocking"]] == [("web02", "fail")]
    assert run.gate["hosts_without_results"] == []


def test_scope_hosts_that_never_ran_their_checks_are_no_go(tmp_path):
    run = run_gate(tmp_path, {"web01": [PASS]}, extra_scope=["spare01", "ghost01"])
    assert run.rc == 2, run.output
    assert run.result["msg"] == "NO-GO: 2 blocking items on 2 hosts"
    assert [(h["name"], h["reason"]) for h in run.gate["hosts"]] == [
        (name, "no golive_host_verify result (unreachable, or the play never reached its check task)")
        for name in ("ghost01", "spare01")]


def test_probe_host_without_its_result_is_no_go(tmp_path):
    args = dict(DEFAULT_GATE_ARGS, probe_hosts=["localhost", "spare01"])
    run = run_gate(tmp_path, {"web01": [PASS]}, gate_args=args)
    assert run.rc == 2, run.output
    assert run.result["msg"] == "NO-GO: 1 blocking item on 1 host"
    assert [h["name"] for h in run.gate["hosts"]] == ["spare01"]


APPROVERS = [
    dict(role="release manager", name="Ann", decision="GO", date="2030-06-01", comment="looks fine"),
    dict(role="database owner", name="Bo", decision="no-go", date="2030-06-01"),
    dict(role="qa", name="Cy"),
]


def test_a_no_go_cannot_be_signed_off_as_go(tmp_path):
    args = dict(DEFAULT_GATE_ARGS, fail_on_nogo=False, signoff=APPROVERS)
    run = run_gate(tmp_path, {"web01": [FAIL]}, gate_args=args)
    assert run.rc == 0, run.output
    signoff = run.gate["signoff"]
    assert run.gate["verdict"] == "NO-GO"
    assert signoff["status"] == "rejected"
    assert signoff["summary"] == "a NO-GO cannot be signed off as GO: release manager (Ann) signed GO"
    assert [(a["decision"], a["accepted"], a["note"]) for a in signoff["approvers"]] == [
        ("GO", False, "a NO-GO run cannot be signed off as GO"), ("NO-GO", True, None), (None, True, None)]
    assert signoff["approvers"][0]["comment"] == "looks fine" and signoff["approvers"][0]["date"] == "2030-06-01"
    # The gate says so in its message and warns; the verdict stays the checks' verdict.
    assert run.result["msg"].endswith(" | sign-off rejected: " + signoff["summary"])
    assert "[WARNING]: go-live sign-off rejected: " + signoff["summary"] in run.output


def test_a_failing_gate_still_returns_the_sign_off(tmp_path):
    run = run_gate(tmp_path, {"web01": [FAIL]}, gate_args=dict(DEFAULT_GATE_ARGS, signoff=APPROVERS[:1]))
    assert run.rc == 2 and run.gate_failed, run.output
    assert run.gate["signoff"]["status"] == "rejected"


@pytest.mark.parametrize("decisions, status, summary", [
    (["GO", "GO"], "signed", "2 of 2 approvers signed GO"),
    (["GO", None], "pending", "1 of 2 approvers signed GO; waiting for qa (Cy)"),
    (["GO", "NO_GO"], "rejected", "qa (Cy) signed NO-GO"),
])
def test_sign_off_of_a_go_run(tmp_path, decisions, status, summary):
    approvers = [dict(role="release manager", name="Ann", decision=decisions[0], date="2030-06-01"),
                 dict(role="qa", name="Cy", decision=decisions[1])]
    run = run_gate(tmp_path, {"web01": [PASS]}, gate_args=dict(DEFAULT_GATE_ARGS, signoff=approvers))
    assert run.rc == 0, run.output
    assert (run.gate["signoff"]["status"], run.gate["signoff"]["summary"]) == (status, summary)
    assert run.result["msg"] == f"GO: 1 check on 1 host passed | sign-off {status}: {summary}"
    assert ("[WARNING]: go-live sign-off rejected" in run.output) is (status == "rejected")


def test_without_approvers_the_sign_off_is_not_required(tmp_path):
    run = run_gate(tmp_path, {"web01": [PASS]})
    assert run.gate["signoff"] == dict(status="not_required", summary="no approvers configured", approvers=[])
    assert run.result["msg"] == "GO: 1 check on 1 host passed"


REQUIRED = [dict(id="rollback-rehearsed", title="Rollback rehearsed", max_age="3650d", allowed_by=["ann@shop"]),
            dict(id="team-briefed", severity="medium", missing_status="warn")]
ATTESTED = [dict(id="rollback-rehearsed", by="Ann@Shop", at="2024-06-01T10:00:00Z", evidence="OPS-512")]


def report_of(tmp_path):
    with open(tmp_path / "report" / "report.json", encoding="utf-8") as handle:
        return json.load(handle)


def test_a_missing_required_attestation_is_no_go_and_reported_beside_the_sign_off(tmp_path):
    args = dict(DEFAULT_GATE_ARGS, attestations_required=REQUIRED)
    run = run_gate(tmp_path, {"web01": [PASS]}, gate_args=args)
    assert run.rc == 2 and run.gate_failed, run.output
    assert run.result["msg"] == "NO-GO: 1 blocking item on 1 host"
    # The compact result of a failing gate keeps the records: the report callback needs them for its verdict.
    assert [(r["id"], r["host"], r["status"]) for r in run.gate["attestations"]] == [
        ("attestation:rollback-rehearsed", "localhost", "fail"), ("attestation:team-briefed", "localhost", "warn")]
    report = report_of(tmp_path)
    assert report["verdict"] == "NO-GO"
    assert [reason["text"] for reason in report["reasons"]] == [
        "localhost attestation:rollback-rehearsed fail: not attested: nobody attested 'Rollback rehearsed'"]
    assert [(i["id"], i["status"], i["blocking"]) for i in report["attestations"]["items"]] == [
        ("attestation:rollback-rehearsed", "fail", True), ("attestation:team-briefed", "warn", False)]
    assert "Attestations: 0 of 2 required items attested (1 fail, 1 warn)" in run.output


def test_an_attested_item_passes_and_a_waived_one_does_not_block(tmp_path):
    args = dict(DEFAULT_GATE_ARGS, attestations_required=REQUIRED[:1], attestations=ATTESTED)
    run = run_gate(tmp_path, {"web01": [PASS]}, gate_args=args)
    assert run.rc == 0, run.output
    assert run.result["msg"] == "GO: 2 checks on 2 hosts passed"
    (record,) = run.gate["attestations"]
    observed = record["observed"]
    assert (record["status"], observed["by"], observed["evidence"]) == ("pass", "Ann@Shop", "OPS-512")
    assert report_of(tmp_path)["verdict"] == "GO"

    waiver = dict(id="attestation:team-briefed", reason="briefed on launch day", owner="dana", expires="2099-01-01")
    args = dict(args, attestations_required=[dict(REQUIRED[1], missing_status="fail", severity="high")],
                waivers=[waiver])
    (tmp_path / "waived").mkdir()
    waived = run_gate(tmp_path / "waived", {"web01": [PASS]}, gate_args=args)
    assert waived.rc == 0, waived.output
    assert waived.gate["verdict"] == "GO WITH WARNINGS"
    # The attestation of an id nobody requires now is a warning naming the nearest required id.
    assert [(w["id"], w["status"], w["waived"]) for w in waived.gate["warnings"]] == [
        ("attestation:team-briefed", "fail", True), ("attestation:rollback-rehearsed", "warn", False)]
    assert [(e["id"], e["waiver"]["reason"]) for e in waived.gate["applied_waivers"]] == [
        ("attestation:team-briefed", "briefed on launch day")]


ONLY_GATE = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Decide
      golive.readiness.gate:
%s
"""


@pytest.mark.parametrize("args, message", [
    (dict(scope_hosts=[], blocking_severities=["critical", "urgent"]),
     "blocking_severities: 'urgent' is not a severity (critical, high, medium, low)"),
    (dict(scope_hosts=[], waivers=dict(id="x")), "waivers: must be a list of waivers, got dict"),
    (dict(scope_hosts=[], waivers=[dict(id="x", reason="r", owner="o")]), "waivers[0].expires: required (YYYY-MM-DD)"),
    (dict(scope_hosts=[], waivers=[dict(id="x", reason="r", owner="o", expires="soon", expiry="x")]),
     "waivers[0]: unknown key 'expiry'"),
    (dict(probe_hosts=[]), "missing required arguments: scope_hosts"),
    (dict(scope_hosts=[], fail_on_nogo="perhaps"), "fail_on_nogo"),
    (dict(scope_hosts=[], verdict="GO"), "Unsupported parameters"),
    (dict(scope_hosts=[], signoff="Ann"),
     "signoff: must be a list of approvers (role, name, decision, date, comment), got str"),
    (dict(scope_hosts=[], signoff_var="golive_signoff",
          signoff=[dict(role="qa", name="Cy"), dict(role="qa", name="Di", decision="maybe")]),
     "golive_signoff[1].decision: 'maybe' is not a decision (GO, GO WITH WARNINGS, NO-GO, or empty while pending)"),
    (dict(scope_hosts=[], signoff_var="golive_signoff", signoff=[dict(role="qa")]),
     "golive_signoff[0].name: required (who signs)"),
    (dict(scope_hosts=[], signoff=[dict(role="qa", name="Cy", decision="GO", date="tomorrow")]),
     "signoff[0].date: 'tomorrow' is not a date (YYYY-MM-DD)"),
    (dict(scope_hosts=[], signoff=[dict(role="qa", name="Cy", approved=True)]),
     "signoff[0]: unknown key 'approved' (allowed: role, name, decision, date, comment)"),
    (dict(scope_hosts=[], attestations_required=[dict(id="a"), dict(id="a")]),
     "attestations_required[1].id: 'a' is already required by attestations_required[0]"),
    (dict(scope_hosts=[], attestations=[dict(id="a", by="ann", at="yesterday", evidence="e")]),
     "attestations[0].at: 'yesterday' is not a date or date-time (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)"),
], ids=["severity", "waivers-type", "waiver-expires", "waiver-key", "scope-missing", "bool", "unknown",
        "signoff-type", "signoff-decision", "signoff-name", "signoff-date", "signoff-key", "attestation-duplicate",
        "attestation-date"])
def test_invalid_options_fail_with_a_message_naming_them(tmp_path, args, message):
    rendered = "\n".join("        " + line for line in yaml.safe_dump(args).splitlines())
    run = run_gate(tmp_path, {}, playbook=ONLY_GATE % rendered)
    assert run.rc == 2, run.output
    assert run.gate_failed
    assert message in run.result["msg"]
    assert "golive_gate" not in run.result
    assert "Traceback" not in run.output


def test_the_module_stub_refuses_to_run_on_a_host(tmp_path):
    args = tmp_path / "args.json"
    args.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {"scope_hosts": ["web01"]}}))
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, ".collections"))
    process = subprocess.run([sys.executable, os.path.join(REPO, "plugins", "modules", "gate.py"), str(args)],
                             env=env, capture_output=True, text=True, timeout=60, check=False)
    assert process.returncode == 1
    result = json.loads(process.stdout)
    assert result["failed"] is True
    assert "runs on the controller as an action plugin" in result["msg"]
