"""Observed and expected values for people in every format (schema 2), version 1 reports still read."""

from __future__ import annotations

import copy
import json
import os
import re

from ansible_collections.golive.readiness.plugins.plugin_utils._report_common import (
    duration_text,
    follow_up,
    value_text,
    values_text,
)
from ansible_collections.golive.readiness.plugins.plugin_utils._report_history import (
    HISTORY_DIR,
    LATEST,
    history_of,
    previous_document,
)
from ansible_collections.golive.readiness.plugins.plugin_utils._report_html import render_html
from ansible_collections.golive.readiness.plugins.plugin_utils._report_junit import render_junit
from ansible_collections.golive.readiness.plugins.plugin_utils._report_markdown import render_markdown
from ansible_collections.golive.readiness.tests.unit.plugins.callback._report_schema import schema_errors
from ansible_collections.golive.readiness.tests.unit.plugins.plugin_utils import _documents as docs

V1_REPORT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "report_v1.json")
FREE = {"value": 82621554688, "unit": "bytes"}
FREE_LEVELS = {"warn": {"below": 21474836480}, "fail": {"below": 10737418240}, "unit": "bytes"}


def disk_record(host="web01", status="fail", **extra):
    values = dict(observed={"free_bytes": FREE, "free_percent": {"value": 41.3, "unit": "percent"}, "mount": "/"},
                  expected={"free_bytes": FREE_LEVELS})
    values.update(extra)
    return docs.check(host, "disk_space:/", status, summary="free 76.9 GiB (warn < 20.0 GiB, fail < 10.0 GiB)",
                      **values)


def latency_record():
    return docs.check("web01", "http_endpoint:/health", "warn", section="application",
                      observed={"latency": {"value": 0.85, "unit": "seconds"}, "status": 200},
                      expected={"latency": {"warn": {"above": 0.5}, "fail": {"above": 2}, "unit": "seconds"},
                                "status": [200]})


def test_value_text_shows_quantities_and_levels_in_their_units():
    assert value_text(FREE) == "76.9 GiB"
    assert value_text(FREE_LEVELS) == "warn < 20.0 GiB, fail < 10.0 GiB"
    assert value_text({"fail": {"below": 1, "above": 5000}, "unit": "count"}) == "fail < 1, fail > 5000"
    assert value_text({"value": 9, "unit": "days"}) == "9 days"
    assert value_text({"value": 850, "unit": "ms"}) == "850ms"
    assert values_text({"free_bytes": FREE, "mount": "/"}) == "free_bytes: 76.9 GiB, mount: /"
    # Not the contract's shapes: shown as structures, as before.
    assert value_text({"value": 1, "unit": "furlongs"}) == "{value: 1, unit: furlongs}"
    assert value_text({"used": 3, "max": 100}) == "{used: 3, max: 100}"


def test_html_shows_observed_and_expected_for_people():
    page = render_html(docs.document([disk_record(), latency_record()]))
    assert "76.9 GiB" in page and "warn &lt; 20.0 GiB, fail &lt; 10.0 GiB" in page
    assert "850ms" in page and "warn &gt; 500ms, fail &gt; 2s" in page
    assert "82621554688" not in page and "21474836480" not in page


def test_markdown_shows_observed_and_expected_for_people():
    markdown = render_markdown(docs.document([disk_record(), latency_record()]))
    row = next(line for line in markdown.splitlines() if "disk_space:/" in line and "GiB<br>" in line)
    assert r"free\_bytes: 76.9 GiB<br>free\_percent: 41.3%<br>mount: /" in row
    assert r"free\_bytes: warn &lt; 20.0 GiB, fail &lt; 10.0 GiB" in row
    assert "latency: warn &gt; 500ms, fail &gt; 2s" in markdown
    assert "82621554688" not in markdown


def test_junit_shows_observed_and_expected_for_people():
    junit = render_junit(docs.document([disk_record()]))
    assert ("observed: free_bytes: 76.9 GiB, free_percent: 41.3%, mount: /\n"
            "expected: free_bytes: warn &lt; 20.0 GiB, fail &lt; 10.0 GiB") in junit
    assert "82621554688" not in junit


def test_a_version_1_record_still_renders_its_plain_values():
    record = disk_record(observed={"free_bytes": 82621554688},
                         expected={"free_bytes": "warn < 20.0 GiB, fail < 10.0 GiB"})
    markdown = render_markdown(docs.document([record]))
    assert r"free\_bytes: 82621554688 | free\_bytes: warn &lt; 20.0 GiB, fail &lt; 10.0 GiB |" in markdown


def test_a_version_2_record_follows_the_schema_and_a_malformed_unit_does_not():
    document = docs.document([disk_record(), latency_record()])
    document["schema_version"] = 2
    assert not [e for e in schema_errors(document) if "/observed" in e or "/expected" in e or "schema_version" in e]
    broken = copy.deepcopy(document)
    broken["checks"][0]["expected"]["free_bytes"] = {"fail": {"under": 10}, "unit": "bytes"}
    broken["checks"][1]["observed"]["latency"] = {"value": "slow", "unit": "seconds"}
    errors = [e for e in schema_errors(broken) if "/observed" in e or "/expected" in e]
    assert any(e.startswith("checks/0/expected/free_bytes") for e in errors), errors
    assert any(e.startswith("checks/1/observed/latency") for e in errors), errors


def _report_dir_with_previous(tmp_path, text):
    archive = tmp_path / HISTORY_DIR / "20261123T160211Z"
    archive.mkdir(parents=True)
    (archive / "report.json").write_text(text, encoding="utf-8")
    os.symlink(f"{HISTORY_DIR}/20261123T160211Z", str(tmp_path / LATEST))
    return str(tmp_path)


def test_a_version_1_previous_report_loads_and_is_compared_with_a_version_2_run(tmp_path):
    with open(V1_REPORT, encoding="utf-8") as handle:
        report_dir = _report_dir_with_previous(tmp_path, handle.read())
    previous = previous_document(report_dir)
    assert previous["schema_version"] == 1
    current = docs.document([
        disk_record("web01", "pass"),
        disk_record("web02", "fail"),
        docs.check("web01", "tls_certificate:shop.example.com:443", "pass", section="security",
                   observed={"days_left": {"value": 80, "unit": "days"}},
                   expected={"days_left": {"warn": {"below": 30}, "fail": {"below": 14}, "unit": "days"}}),
    ], verdict="NO-GO")
    history = history_of(previous, current, "history/20261123T160211Z")
    assert history["previous"] == dict(generated_at="2026-11-23T16:02:11Z", verdict="GO WITH WARNINGS",
                                       archive="history/20261123T160211Z", schema_version=1)
    assert [(c["host"], c["id"], c["before"], c["after"]) for c in history["regressions"]] == [
        ("web02", "disk_space:/", "pass", "fail")]
    assert [(c["host"], c["id"], c["before"], c["after"]) for c in history["fixed"]] == [
        ("web01", "tls_certificate:shop.example.com:443", "warn", "pass")]
    assert [(c["host"], c["id"]) for c in history["removed"]] == [("web01", "http_endpoint:https://shop.example.com/health")]
    # Every format renders the comparison with the version 1 run.
    current["history"] = history
    markdown = render_markdown(current)
    assert re.search(r"GO WITH WARNINGS", markdown) and "web02" in markdown
    assert "2026-11-23T16:02:11Z" in render_html(current)


def test_a_report_without_a_schema_version_is_read_as_version_1(tmp_path):
    with open(V1_REPORT, encoding="utf-8") as handle:
        document = json.load(handle)
    del document["schema_version"]
    previous = previous_document(_report_dir_with_previous(tmp_path, json.dumps(document)))
    history = history_of(previous, docs.document([disk_record("web01", "pass")]))
    assert history["previous"]["schema_version"] == 1


def test_durations_read_in_their_unit_and_anything_else_is_left_blank():
    assert [duration_text(ms) for ms in (0, 12, 850, 1500, 61000, 7260000)] == [
        "0ms", "12ms", "850ms", "1s", "1m 1s", "2h 1m"]
    assert [duration_text(value) for value in (None, "12", True)] == ["", "", ""]


def test_hint_and_contact_follow_a_check_that_did_not_pass_only():
    item = dict(status="fail", hint="df -h", contact="ops", owner="root")
    assert follow_up(item) == [("Hint", "df -h"), ("Contact", "ops")]
    assert follow_up(dict(item, status="pass")) == []
    assert follow_up(dict(status="warn", hint="", contact=None)) == []


def test_the_schema_takes_hint_and_contact_within_their_caps():
    record = disk_record(hint="df -h", contact="ops")
    document = docs.document([record])
    assert document["blocking"][0]["contact"] == "ops"
    assert schema_errors(document) == []
    document["checks"][0]["hint"] = "x" * 1001
    assert schema_errors(document) != []
