"""Every format shows how many rounds a check took while its call waited, and reads records without rounds."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ansible_collections.golive.readiness.plugins.plugin_utils._report_html import render_html
from ansible_collections.golive.readiness.plugins.plugin_utils._report_junit import render_junit
from ansible_collections.golive.readiness.plugins.plugin_utils._report_markdown import render_markdown
from ansible_collections.golive.readiness.tests.unit.plugins.callback._report_schema import schema_errors
from ansible_collections.golive.readiness.tests.unit.plugins.plugin_utils._documents import check, document


def waited_document():
    return document([
        check("web01", "http_endpoint:GET http://web01/health", summary="status 200", rounds=4),
        check("web01", "disk_space:/", summary="free 80%", rounds=1),
        check("web02", "process:gunicorn", status="fail", summary="0 running (expected at least 4)", rounds=7),
        check("web02", "path:/srv/shop", summary="exists"),  # a call without a wait, or an older report
    ])


def junit_outputs(text):
    """{check id: the system-out text of its case, or None}."""
    root = ET.fromstring(text)
    return dict((case.get("name").split(" - ")[0], case.findtext("system-out")) for case in root.iter("testcase"))


def test_the_document_with_rounds_is_valid_and_an_old_record_without_them_too():
    assert schema_errors(waited_document()) == []


def test_markdown_shows_the_rounds_of_checks_run_more_than_once():
    text = render_markdown(waited_document())
    assert r"0 running \(expected at least 4\) _(7 rounds)_" in text
    assert "status 200 _(4 rounds)_" in text
    assert "free 80% |" in text and "1 round" not in text
    assert "exists |" in text


def test_html_shows_the_rounds_under_the_time_of_checks_run_more_than_once():
    text = render_html(waited_document())
    assert text.count('<span class="under">7 rounds</span>') == 1
    assert text.count('<span class="under">4 rounds</span>') == 1
    assert "1 round<" not in text


def test_junit_says_how_many_rounds_a_case_ran():
    outputs = junit_outputs(render_junit(waited_document()))
    assert outputs["process:gunicorn"] == "ran 7 rounds while waiting"
    assert outputs["http_endpoint:GET http://web01/health"] == "ran 4 rounds while waiting"
    assert outputs["disk_space:/"] is None and outputs["path:/srv/shop"] is None


def test_a_warning_keeps_its_output_and_adds_its_rounds():
    doc = document([check("web01", "log_health:/var/log/app.log", status="warn", summary="3 errors", rounds=2)])
    output = junit_outputs(render_junit(doc))["log_health:/var/log/app.log"]
    assert output == "warn: 3 errors\nran 2 rounds while waiting"
