"""Policy is read where users write it and validated before any host is contacted: real ansible-playbook runs
over the loopback SSH hosts (sshd on 127.0.0.1)."""

from __future__ import annotations

import datetime
import os
import xml.etree.ElementTree as ET

import pytest
import yaml
from playbook_runs import HEALTHY_VARS, VERIFY_TASK, checks_by_host, hosts_of_task

pytestmark = pytest.mark.integration

WEB = ("web01", "web02")


def days_from_today(days):
    return (datetime.date.today() + datetime.timedelta(days=days)).isoformat()


def group_inventory(tmp_path, group_vars, name="groups.yml"):
    """A second inventory source: group web (web01, web02) with ``group_vars``, as group_vars/web.yml would."""
    path = os.path.join(str(tmp_path), name)
    with open(path, "w") as handle:
        yaml.safe_dump({"web": {"hosts": dict((host, None) for host in WEB), "vars": group_vars}}, handle)
    return path


def missing_path_everywhere(tmp_path, severity="high"):
    """A path check failing on every host; its id is the same on each."""
    missing = str(tmp_path / "golive-missing" / "release.tar.gz")
    return f"path:{missing}", dict(HEALTHY_VARS, golive_paths=[dict(path=missing, state="file", severity=severity)])


def waiver(check_id, **extra):
    entry = dict(id=check_id, reason="release archive is fetched at deploy", owner="release-team",
                 expires=days_from_today(30))
    entry.update(extra)
    return entry


def assert_stopped_before_any_host(run, *words):
    assert run.returncode != 0, run.tail()
    assert run.verdict == "NO-GO", run.tail()
    report = run.report
    assert report["verdict"] == "NO-GO"
    assert hosts_of_task(run.stdout, VERIFY_TASK) == [], run.tail()
    assert report["checks"] == []
    (message,) = [task["message"] for task in report["failed_tasks"]]
    for word in words:
        assert word in message, message
    assert "Traceback" not in run.output


def test_waiver_in_a_groups_variables_applies_to_that_groups_hosts(golive, tmp_path):
    check_id, group_vars = missing_path_everywhere(tmp_path)
    web = group_inventory(tmp_path, dict(golive_waivers=[waiver(check_id)]))
    run = golive.run("-i", web, group_vars=group_vars, label="group-waiver")

    # db01 is not in group web: its failure still blocks.
    assert run.returncode != 0 and run.verdict == "NO-GO", run.tail()
    report = run.report
    assert [(b["host"], b["id"]) for b in report["blocking"]] == [("db01", check_id)]
    assert sorted(a["host"] for a in report["waivers"]["applied"]) == list(WEB)
    assert report["waivers"]["applied"][0]["waiver"]["applies_to"] == list(WEB)
    assert checks_by_host(report)["web02"][check_id]["waiver"]["owner"] == "release-team"


def test_waiver_in_all_seen_by_every_host_is_one_fleet_waiver(golive, tmp_path):
    check_id, group_vars = missing_path_everywhere(tmp_path)
    group_vars["golive_waivers"] = [waiver(check_id)]
    run = golive.run(group_vars=group_vars, label="fleet-waiver")

    assert run.returncode == 0, run.tail()
    report = run.report
    assert report["verdict"] == "GO WITH WARNINGS"
    assert sorted(a["host"] for a in report["waivers"]["applied"]) == ["db01", "web01", "web02"]
    assert {a["waiver"]["applies_to"] for a in report["waivers"]["applied"]} == {None}
    assert report["waivers"]["unused"] == []


@pytest.mark.parametrize("where, variable, value, words", [
    ("web", "golive_waivers", [waiver("path:*", expires="2026-13-45")],
     ["golive_waivers[0].expires: '2026-13-45' is not a date (YYYY-MM-DD)", "in the variables of web01, web02"]),
    ("all", "golive_waivers", [dict(id="path:*", owner="ops", expires="2030-01-01")],
     ["golive_waivers[0].reason: required"]),
    ("web", "golive_waivers", "path:*", ["golive_waivers: must be a list of waivers, got str", "web01, web02"]),
    ("all", "golive_signoff", [dict(role="release manager", name="Ann Example", decision="MAYBE")],
     ["golive_signoff[0].decision: 'MAYBE' is not a decision"]),
    ("all", "golive_blocking_severities", ["urgent"], ["golive_blocking_severities: 'urgent' is not a severity"]),
    ("all", "golive_fail_on_nogo", "maybe", ["golive_fail_on_nogo: 'maybe' is not a boolean (true or false)"]),
    ("web", "golive_blocking_severities", ["critical"],
     ["golive_blocking_severities is fleet-wide (set it for group all, or with -e): web01, web02 have ['critical']"]),
    ("all", "golive_attestations", [dict(id="code-reviewed", at="2026-11-20", evidence="PR-1")],
     ["golive_attestations[0].by: required (who attests: a name or email)"]),
    ("all", "golive_attestations_required", [dict(id="code-reviewed", max_age="a month")],
     ["golive_attestations_required[0].max_age: "]),
], ids=["bad-expiry-in-group", "no-reason", "string-not-list", "signoff-maybe", "unknown-severity",
        "fail-on-nogo-maybe", "fleet-wide-in-group", "attestation-without-by", "attestation-bad-max-age"])
def test_invalid_policy_stops_the_run_before_any_host_naming_variable_item_and_field(
        golive, tmp_path, where, variable, value, words):
    if where == "all":
        run = golive.run(group_vars=dict(HEALTHY_VARS, **{variable: value}), label="bad-policy")
    else:
        run = golive.run("-i", group_inventory(tmp_path, {variable: value}), group_vars=HEALTHY_VARS,
                         label="bad-policy")

    assert_stopped_before_any_host(run, *words)


def test_catch_all_waiver_is_refused_unless_it_says_so(golive, tmp_path):
    _check_id, group_vars = missing_path_everywhere(tmp_path, severity="critical")
    group_vars["golive_waivers"] = [waiver("*", hosts="*")]
    run = golive.run(group_vars=group_vars, label="catch-all-refused")

    assert_stopped_before_any_host(run, "golive_waivers[0].id: '*' waives every check", "catch_all: true")


def test_explicit_catch_all_waiver_is_listed_first_in_every_format(golive, tmp_path):
    _check_id, group_vars = missing_path_everywhere(tmp_path, severity="critical")
    group_vars["golive_waivers"] = [waiver("*", hosts="*", catch_all=True, reason="launch whatever happens")]
    run = golive.run(group_vars=group_vars, label="catch-all-explicit")

    assert run.returncode == 0, run.tail()
    report = run.report
    assert report["verdict"] == "GO WITH WARNINGS"
    (critical,) = report["waivers"]["critical"]
    assert critical["waiver"]["catch_all"] is True
    assert sorted(c["host"] for c in critical["checks"]) == ["db01", "web01", "web02"]
    assert "WAIVED A CRITICAL CHECK: * on * (release-team" in run.stdout
    markdown = run.report_text("report.md")
    assert markdown.index("### Waived a critical check (1)") < markdown.index("### Applied")
    page = run.report_text("report.html")
    assert page.index("Waived a critical check") < page.index("<h3>Applied")
    assert "golive_critical_waivers 1" in run.report_text("golive.prom")
    waived_cases = ET.fromstring(run.junit).findall(".//testcase/skipped")
    assert len(waived_cases) >= 3


# --- attestations: the human items ---------------------------------------------------------------------

REQUIRED_ATTESTATIONS = [
    dict(id="code-reviewed", title="Release code reviewed", allowed_by=["ann@shop.example"]),
    dict(id="rollback-rehearsed", title="Rollback rehearsed on staging", severity="critical", max_age="30d"),
]


def attestation(item_id, by="ann@shop.example", days_ago=2, **extra):
    entry = dict(id=item_id, by=by, at=days_from_today(-days_ago), evidence=f"https://wiki.shop.example/{item_id}")
    entry.update(extra)
    return entry


def test_a_missing_required_attestation_is_no_go_in_every_format(golive, tmp_path):
    group_vars = dict(HEALTHY_VARS, golive_attestations_required=REQUIRED_ATTESTATIONS,
                      golive_attestations=[attestation("code-reviewed")])
    run = golive.run(group_vars=group_vars, label="attestation-missing")

    assert run.returncode != 0 and run.verdict == "NO-GO", run.tail()
    report = run.report
    assert [reason["text"] for reason in report["reasons"]] == [
        "localhost attestation:rollback-rehearsed fail: not attested: nobody attested 'Rollback rehearsed on staging'"]
    items = report["attestations"]["items"]
    assert [(i["id"], i["status"], i["by"]) for i in items] == [
        ("attestation:code-reviewed", "pass", "ann@shop.example"), ("attestation:rollback-rehearsed", "fail", None)]
    assert "Attestations: 1 of 2 required items attested (1 fail)" in run.stdout
    assert "https://wiki.shop.example/code-reviewed" in run.report_text("report.html")
    assert "attestation:rollback-rehearsed" in run.report_text("report.md")
    assert 'golive_attestations{status="fail"} 1' in run.report_text("golive.prom")
    (case,) = [c for c in ET.fromstring(run.junit).iter("testcase") if c.get("classname") == "attestations.localhost"
               and c.get("name").startswith("attestation:rollback-rehearsed")]
    assert case.find("failure") is not None


def test_attested_items_are_go_also_when_one_section_runs(golive, tmp_path):
    group_vars = dict(HEALTHY_VARS, golive_attestations_required=REQUIRED_ATTESTATIONS,
                      golive_attestations=[attestation("code-reviewed"),
                                           attestation("rollback-rehearsed", by="Bo", days_ago=40),
                                           attestation("rollback-rehearsed", by="Bo", days_ago=3)])
    run = golive.run("--tags", "infrastructure", group_vars=group_vars, label="attestation-go")

    assert run.returncode == 0 and run.verdict == "GO", run.tail()
    report = run.report
    checks = checks_by_host(report)["localhost"]
    assert {check_id: check["status"] for check_id, check in checks.items()} == {
        "attestation:code-reviewed": "pass", "attestation:rollback-rehearsed": "pass"}
    # The newest attestation that counts: three days old, not the stale one.
    assert checks["attestation:rollback-rehearsed"]["observed"]["at"] == days_from_today(-3)


def test_a_waived_missing_attestation_is_go_with_warnings(golive, tmp_path):
    group_vars = dict(HEALTHY_VARS, golive_attestations_required=REQUIRED_ATTESTATIONS,
                      golive_attestations=[attestation("code-reviewed", by="eve@shop.example")],
                      golive_waivers=[waiver("attestation:*", reason="the review and rehearsal are on launch day")])
    run = golive.run(group_vars=group_vars, label="attestation-waived")

    assert run.returncode == 0 and run.verdict == "GO WITH WARNINGS", run.tail()
    report = run.report
    assert sorted((a["id"], a["status"]) for a in report["waivers"]["applied"]) == [
        ("attestation:code-reviewed", "fail"), ("attestation:rollback-rehearsed", "fail")]
    (reviewed,) = [i for i in report["attestations"]["items"] if i["id"] == "attestation:code-reviewed"]
    assert reviewed["summary"].startswith("eve@shop.example is not allowed to attest it (allowed: ann@shop.example)")
    assert reviewed["waiver"]["reason"] == "the review and rehearsal are on launch day"
