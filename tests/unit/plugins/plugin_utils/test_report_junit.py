"""junit.xml of the report: read back with junitparser (a real JUnit consumer) and validated against a JUnit XSD."""

from __future__ import annotations

import copy
import os
import xml.etree.ElementTree as ET

import pytest
import xmlschema
from junitparser import Error, Failure, JUnitXml, Skipped, SystemOut

from ansible_collections.golive.readiness.plugins.plugin_utils._report_junit import render_junit

from . import _documents as docs

XSD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "junit.xsd")
WAIVER = dict(id="disk_space:*", hosts=["web02"], reason="volume grows on Monday", owner="ops",
              expires="2030-01-01", ticket="OPS-7")


def record(host, check_id, status, section="infrastructure", severity="high", **extra):
    base = dict(id=check_id, kind=check_id.split(":")[0], section=section, title=f"Title of {check_id}",
                status=status, severity=severity, summary=f"{status} on {host}",
                observed={"free_percent": {"value": 2, "unit": "percent"}, "mount": "/"},
                expected={"free_percent": {"fail": {"below": 10}, "unit": "percent"}}, duration_ms=1250, host=host,
                blocking=status == "fail")
    base.update(extra)
    return base


def document(**extra):
    """A report document of schema 2 as the callback writes it, without the fields issue 6 added."""
    checks = [
        record("web01", "disk_space:/", "pass"),
        record("web02", "disk_space:/", "fail", waiver=WAIVER),
        record("web03", "disk_space:/", "fail"),
        record("web01", "tls_certificate:api:443", "error", section="services", severity="critical"),
        record("web01", "http_endpoint:/health", "warn", section="application"),
        record("web01", "process:cron", "skipped", section="application", severity="low"),
    ]
    base = dict(
        schema_version=2, verdict="NO-GO", generated_at="2026-11-24T10:15:00Z",
        run=dict(controller="ci-runner-1"), blocking_severities=["critical", "high"],
        counts=dict(total=len(checks)), checks=checks,
        hosts=[dict(name="web01", status="ok", checks=4, worst="error"),
               dict(name="web02", status="ok", checks=1, worst="fail"),
               dict(name="web03", status="ok", checks=1, worst="fail"),
               dict(name="gone01", status="unreachable", checks=0, worst=None, reason="ssh: connection refused")],
        failed_tasks=[dict(host="web02", task="Install the app", message="package not found")],
        unreachable=[dict(host="gone01", task=None, message="ssh: connection refused")],
        waivers=dict(applied=[dict(host="web02", id="disk_space:/", status="fail", waiver=WAIVER)],
                     expired=[dict(WAIVER, id="tls_*", expired=True, matched=[dict(host="web01", id="tls_x")])],
                     unused=[dict(WAIVER, id="redis:*", expired=False)]),
    )
    base.update(extra)
    return base


ISSUE6 = dict(
    history=dict(previous=dict(generated_at="2026-11-23T10:15:00Z", verdict="GO", archive="history/20261123T101500Z"),
                 regressions=[dict(host="web03", id="disk_space:/", title="t", section="infrastructure",
                                   severity="high", before="pass", after="fail", summary="free 2%")],
                 fixed=[dict(host="web01", id="path:/srv", title="t", section="application", severity="high",
                             before="fail", after="pass", summary="ok")], new=[], removed=[]),
    signoff=dict(status="rejected", summary="a NO-GO cannot be signed off as GO: release (Ann) signed GO",
                 approvers=[dict(role="release", name="Ann", decision="GO", date="2026-11-24", comment=None,
                                 accepted=False, note="a NO-GO run cannot be signed off as GO")]),
    notification=dict(status="failed", target="http://127.0.0.1:9/hook/****", attempts=3, http_status=None,
                      message="connection refused"),
    files=dict(json="report.json", junit="junit.xml"), archive="history/20261124T101500Z",
)


def parsed(text):
    """The document as junitparser reads it: the whole file, its suites by name, {(classname, name): case}."""
    xml = JUnitXml.fromstring(text.encode("utf-8"))
    suites = dict((suite.name, suite) for suite in xml)
    cases = dict(((case.classname, case.name), case) for suite in xml for case in suite)
    return xml, suites, cases


def suite_output(suite):
    return suite.child(SystemOut).text


def assert_valid_junit(text):
    xmlschema.XMLSchema(XSD).validate(text)


@pytest.mark.parametrize("extra", [{}, ISSUE6], ids=["schema-1-document", "with-history-signoff-notification"])
def test_every_report_is_valid_junit(extra):
    assert_valid_junit(render_junit(document(**extra)))


def test_one_suite_per_section_one_case_per_host_and_check():
    suites = parsed(render_junit(document()))[1]
    assert list(suites) == ["golive", "infrastructure", "services", "application", "hosts", "tasks"]
    assert [(c.classname, c.name) for c in suites["infrastructure"]] == [
        ("infrastructure.web01", "disk_space:/ - Title of disk_space:/"),
        ("infrastructure.web02", "disk_space:/ - Title of disk_space:/"),
        ("infrastructure.web03", "disk_space:/ - Title of disk_space:/")]
    (passed,) = [c for c in suites["infrastructure"] if c.classname == "infrastructure.web01"]
    assert passed.is_passed and passed.time == 1.25


def test_statuses_map_to_failure_error_skipped():
    cases = parsed(render_junit(document()))[2]
    (failure,) = cases[("infrastructure.web03", "disk_space:/ - Title of disk_space:/")].result
    assert isinstance(failure, Failure)
    assert (failure.message, failure.type) == ("fail on web03", "high")
    assert "observed: free_percent: 2.0%, mount: /\nexpected: free_percent: fail < 10.0%" in failure.text
    (error,) = cases[("services.web01", "tls_certificate:api:443 - Title of tls_certificate:api:443")].result
    assert isinstance(error, Error) and error.type == "critical"
    (skipped,) = cases[("application.web01", "process:cron - Title of process:cron")].result
    assert isinstance(skipped, Skipped) and skipped.message == "skipped on web01"
    # A waived failure does not fail the build, and says why.
    (waived,) = cases[("infrastructure.web02", "disk_space:/ - Title of disk_space:/")].result
    assert isinstance(waived, Skipped)
    assert waived.message == "waived: volume grows on Monday (ops, until 2030-01-01, OPS-7)"
    warn = cases[("application.web01", "http_endpoint:/health - Title of http_endpoint:/health")]
    assert warn.is_passed and warn.system_out == "warn: warn on web01"
    (unreachable,) = cases[("hosts.gone01", "gone01 has check results")].result
    assert isinstance(unreachable, Error) and unreachable.message == "unreachable: ssh: connection refused"
    (task,) = cases[("tasks.web02", "Install the app")].result
    assert isinstance(task, Error) and task.message == "package not found"


def test_counts_add_up_in_every_suite_and_the_root():
    xml, suites = parsed(render_junit(document()))[:2]
    xml.update_statistics()  # junitparser recounts from the cases; the file's numbers must agree
    root = ET.fromstring(render_junit(document()))
    assert (int(root.get("tests")), int(root.get("failures")), int(root.get("errors")), int(root.get("skipped"))) \
        == (xml.tests, xml.failures, xml.errors, xml.skipped) == (8, 1, 3, 2)
    for suite in root.findall("testsuite"):
        parsed_suite = suites[suite.get("name")]
        parsed_suite.update_statistics()
        assert int(suite.get("tests")) == parsed_suite.tests
        assert int(suite.get("failures")) == parsed_suite.failures
        assert int(suite.get("errors")) == parsed_suite.errors
        assert int(suite.get("skipped")) == parsed_suite.skipped


def test_the_run_suite_carries_verdict_signoff_waivers_and_history():
    run = parsed(render_junit(document(**ISSUE6)))[1]["golive"]
    assert run.tests == 0
    properties = dict((p.name, p.value) for p in run.properties())
    assert properties["verdict"] == "NO-GO"
    assert properties["signoff"] == "rejected"
    assert properties["previous_verdict"] == "GO"
    assert (properties["regressions"], properties["fixed"]) == ("1", "1")
    assert properties["notification"] == "failed"
    assert properties["archive"] == "history/20261124T101500Z"
    text = suite_output(run)
    assert "sign-off: rejected (a NO-GO cannot be signed off as GO: release (Ann) signed GO)" in text
    assert "release (Ann): GO on 2026-11-24 NOT ACCEPTED: a NO-GO run cannot be signed off as GO" in text
    assert "waiver applied to web02 disk_space:/: waived: volume grows on Monday" in text
    assert "waiver EXPIRED, not applied: tls_* on web02" in text
    assert "waiver unused (matches no problem): redis:* on web02" in text
    assert "since the previous run (GO, 2026-11-23T10:15:00Z): 1 regressions, 1 fixed, 0 new, 0 removed" in text
    assert "regressions: web03 disk_space:/: pass -> fail" in text
    assert "fixed: web01 path:/srv: fail -> pass" in text
    assert "notification: failed (connection refused)" in text


def test_an_older_document_renders_without_the_new_fields():
    text = render_junit(document())
    run = parsed(text)[1]["golive"]
    names = [p.name for p in run.properties()]
    assert "signoff" not in names and "previous_verdict" not in names
    assert "since the previous run" not in suite_output(run)


def test_markup_and_control_characters_survive_as_text():
    hostile = document()
    hostile["checks"] = [record("web01", "command_output:<x>&\"y\"", "fail", title="a <b> & 'c'",
                                summary="stdout \x1b[31mred\x1b[0m \x00 <script>alert(1)</script>")]
    hostile["hosts"], hostile["failed_tasks"] = hostile["hosts"][:1], []
    text = render_junit(hostile)
    assert_valid_junit(text)
    (case,) = [c for suite in JUnitXml.fromstring(text.encode()) for c in suite]
    assert case.name == "command_output:<x>&\"y\" - a <b> & 'c'"
    assert case.result[0].message == "stdout ?[31mred?[0m ? <script>alert(1)</script>"
    assert "<script>" not in text


def test_rendering_does_not_change_the_document():
    original = document(**ISSUE6)
    kept = copy.deepcopy(original)
    render_junit(original)
    assert original == kept


@pytest.mark.parametrize("broken", [
    '<testsuites><testsuite name="s" tests="1"><testcase name="n"/></testsuite></testsuites>',
    '<testsuites><testsuite name="s" tests="1"><testcase name="n" classname="c"><failure/><error/></testcase>'
    '</testsuite></testsuites>',
    '<testsuites><testsuite name="s" tests="x"/></testsuites>',
    '<testsuites><testsuite name="s" tests="0" timestamp="2026-11-24T10:15:00Z"/></testsuites>',
], ids=["no-classname", "two-results", "count-not-a-number", "timestamp-with-zone"])
def test_the_schema_rejects_what_consumers_choke_on(broken):
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        assert_valid_junit(broken)


def test_hint_and_contact_follow_the_details_of_checks_that_did_not_pass():
    follow = dict(hint="df -h; clean /var/log <old>", contact="ops")
    checks = [record("web03", "disk_space:/", "fail", **follow),
              record("web01", "http_endpoint:/health", "warn", section="application", **follow),
              record("web01", "disk_space:/", "pass", **follow)]
    text = render_junit(document(checks=checks))
    assert_valid_junit(text)
    cases = parsed(text)[2]
    (failure,) = cases[("infrastructure.web03", "disk_space:/ - Title of disk_space:/")].result
    assert failure.text.endswith("\nhint: df -h; clean /var/log <old>\ncontact: ops")
    warn = cases[("application.web01", "http_endpoint:/health - Title of http_endpoint:/health")]
    assert warn.system_out == "warn: warn on web01\nhint: df -h; clean /var/log <old>\ncontact: ops"
    assert "hint" not in ET.tostring(ET.fromstring(text).find(".//testcase[@classname='infrastructure.web01']"),
                                     encoding="unicode")


def test_attestations_are_test_cases_and_stand_beside_the_sign_off_in_the_run_suite():
    text = render_junit(docs.attested())
    assert_valid_junit(text)
    suites = parsed(text)[1]
    attestations = suites["attestations"]
    assert [(case.classname, case.name.split(" - ")[0]) for case in attestations] == [
        ("attestations.localhost", f"attestation:{name}") for name in
        ("code-reviewed", "rollback-rehearsed", "team-briefed", "runbook-written", "rolback-rehearsed")]
    reviewed, rehearsed, _briefed, runbook, _typo = list(attestations)
    assert reviewed.is_passed
    (failure,) = [r for r in rehearsed.result if isinstance(r, Failure)]
    assert "not attested: nobody attested 'Rollback rehearsed'" in failure.message
    assert "rehearse on staging" in failure.text and "ops (#ops)" in failure.text
    assert any(isinstance(r, Skipped) for r in runbook.result)  # waived
    run = suites["golive"]
    properties = dict((p.name, p.value) for p in run.properties())
    assert properties["attestations"] == "1 of 4 required items attested (2 fail, 1 warn, 1 not required)"
    output = suite_output(run)
    assert "attestations: 1 of 4 required items attested" in output
    assert "  runbook-written: fail - not attested: nobody attested 'Runbook written' (waived: written during " \
           "launch week)" in output
    assert "attestations" not in dict((p.name, p.value) for p in parsed(render_junit(document()))[1]["golive"]
                                      .properties())
