"""The report of an interrupted run: NO-GO, "run interrupted", marked incomplete, in every format."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET

import pytest
import xmlschema

from ansible_collections.golive.readiness.plugins.callback.report import RENDERERS
from ansible_collections.golive.readiness.plugins.module_utils._verdict import decide
from ansible_collections.golive.readiness.plugins.plugin_utils._report_markdown import md
from ansible_collections.golive.readiness.tests.unit.plugins.callback._report_schema import schema_errors
from ansible_collections.golive.readiness.tests.unit.plugins.plugin_utils._documents import check, document

XSD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "junit.xsd")
SAID = "run interrupted (SIGTERM)"


def interrupted_document(incomplete=True):
    interrupted = dict(reason="run interrupted", signal="SIGTERM") if incomplete else None
    return document([check("web01", "disk_space:/", "pass")], verdict="NO-GO" if incomplete else None,
                    incomplete=incomplete, interrupted=interrupted)


def test_an_interrupted_run_is_no_go_whatever_passed_so_far():
    passed = [dict(check("web01", "disk_space:/", "pass"))]
    assert decide(passed)["verdict"] == "GO"
    decision = decide(passed, interrupted="SIGINT")
    assert decision["verdict"] == "NO-GO"
    assert decision["interrupted"] == {"reason": "run interrupted", "signal": "SIGINT"}
    assert [reason["kind"] for reason in decision["reasons"]] == ["interrupted"]


def test_the_schema_takes_both_complete_and_interrupted_reports():
    assert schema_errors(interrupted_document()) == []
    assert schema_errors(interrupted_document(incomplete=False)) == []
    wrong = interrupted_document()
    wrong["interrupted"] = dict(reason="stopped", signal="SIGKILL")
    assert len(schema_errors(wrong)) == 2


@pytest.mark.parametrize("name", ["junit", "html", "markdown"])
def test_every_readable_format_says_the_run_was_interrupted(name):
    text = RENDERERS[name](interrupted_document())
    assert (md(SAID) if name == "markdown" else SAID) in text
    assert "incomplete" in text.lower()
    assert "interrupted" not in RENDERERS[name](interrupted_document(incomplete=False)).lower()


def test_junit_counts_the_interruption_as_an_error_and_stays_valid():
    text = RENDERERS["junit"](interrupted_document())
    xmlschema.XMLSchema(XSD).validate(text)
    root = ET.fromstring(text)
    run_suite = root.find("testsuite[@name='run']")
    assert run_suite.find("testcase/error").get("message").startswith(SAID)
    assert root.find("testsuite[@name='golive']/properties/property[@name='incomplete']").get("value") == "true"
    assert int(root.get("errors")) == 1


def test_prometheus_exposes_the_incomplete_flag():
    assert "\ngolive_report_incomplete 1\n" in RENDERERS["prometheus"](interrupted_document())
    assert "\ngolive_report_incomplete 0\n" in RENDERERS["prometheus"](interrupted_document(incomplete=False))
