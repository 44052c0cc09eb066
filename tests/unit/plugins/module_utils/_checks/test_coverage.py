"""coverage: Cobertura XML and JSON reports written by real coverage.py runs (with and without branches), older
Cobertura shapes, wrong formats, a missing file, age, the size cap, and a report fetched from a real HTTP server."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from datetime import datetime

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._checks import coverage

from ._kind_runner import prepared, run_item
from ._test_reports import coverage_totals, run_coverage, run_pytest, served_directory, set_age, write

DAY = 86400


def check(**item):
    return run_item(coverage, item, 20.0)


def value(record, name):
    return record["observed"][name]["value"]


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """Real coverage.py reports of the same tests: measured with branches, and without."""
    root = tmp_path_factory.mktemp("coverage-runs")
    return run_coverage(str(root / "branches"), branch=True), run_coverage(str(root / "lines"))


def test_both_formats_give_coverage_pys_own_figures(reports):
    branches = reports[0]
    totals = coverage_totals(branches.json)
    for path, fmt in ((branches.xml, "cobertura"), (branches.json, "coverage_json")):
        record = check(path=path, line_fail_below="50%", branch_warn_below="30%")
        assert record["status"] == "pass", record["summary"]
        assert record["observed"]["format"] == fmt and record["observed"]["branch_data"] is True
        assert value(record, "line_coverage") == round(totals["percent_statements_covered"], 2)
        assert value(record, "branch_coverage") == round(totals["percent_branches_covered"], 2)
        assert record["observed"]["lines"] == dict(measured=dict(value=totals["num_statements"], unit="count"),
                                                   covered=dict(value=totals["covered_lines"], unit="count"))
        assert record["expected"]["line_coverage"] == {"fail": {"below": 50.0}, "unit": "percent"}
        assert record["summary"].startswith("line coverage 53.3% (fail < 50.0%); branch coverage 33.3%")
    assert record["id"] == f"coverage:{branches.json}" and record["title"] == f"Coverage in {branches.json}"
    assert (record["section"], record["severity"]) == ("application", "high")


def test_levels_warn_and_fail_on_the_total(reports):
    lines = reports[1]
    record = check(path=lines.xml, line_warn_below="60%", line_fail_below="40%")
    assert record["status"] == "warn"
    assert record["summary"].startswith("line coverage 53.3% (warn < 60.0%, fail < 40.0%)")
    record = check(path=lines.json, line_fail_below="80%")
    assert record["status"] == "fail" and record["summary"].startswith("line coverage 53.3% (fail < 80.0%)")
    assert check(path=lines.xml)["status"] == "pass"  # no level: reported, not graded


def test_packages_are_cobertura_packages_or_path_prefixes_of_coverage_json(reports):
    branches = reports[0]
    record = check(path=branches.xml, packages=[dict(name="shop.api", line_fail_below="50%"),
                                                dict(name="shop", line_warn_below="60%")])
    assert record["status"] == "fail"
    assert record["observed"]["packages"] == [
        dict(name="shop.api", line_coverage=dict(value=42.86, unit="percent"),
             branch_coverage=dict(value=0.0, unit="percent")),
        dict(name="shop", line_coverage=dict(value=62.5, unit="percent"),
             branch_coverage=dict(value=50.0, unit="percent"))]
    assert record["summary"].startswith("shop.api line coverage 42.9% (fail < 50.0%)")
    # In coverage.json a package is every file under its path prefix: shop holds shop/api too.
    record = check(path=branches.json, packages=[dict(name="shop/api/", line_fail_below="50%"),
                                                 dict(name="shop", line_fail_below="50%")])
    assert [p["line_coverage"]["value"] for p in record["observed"]["packages"]] == [42.86, 53.33]
    assert record["expected"]["packages"][0] == dict(name="shop/api/", line_coverage={"fail": {"below": 50.0},
                                                                                      "unit": "percent"})
    missing = check(path=branches.xml, packages=[dict(name="shop.payments", line_fail_below="90%")])
    assert missing["status"] == "fail"
    assert missing["summary"].startswith(f"no package shop.payments in {branches.xml} (packages: shop, shop.api)")
    missing = check(path=branches.json, packages=[dict(name="shop/pay", line_fail_below="90%")])
    assert missing["summary"].startswith(f"no file under shop/pay in {branches.json} (files: shop/__init__.py, ")


def test_a_branch_level_on_a_report_without_branch_data_is_an_error(reports):
    lines = reports[1]
    for path in (lines.xml, lines.json):
        record = check(path=path, line_fail_below="50%", branch_fail_below="50%")
        assert record["status"] == "error", record["summary"]
        assert record["observed"]["branch_data"] is False and "branch_coverage" not in record["observed"]
        assert record["summary"].startswith("branch coverage: the report has no branch data (measure with branches")
        assert "line coverage 53.3%" not in record["summary"]  # findings only; the line figure is still observed
        assert value(record, "line_coverage") == 53.33


def test_the_format_is_told_by_content_not_by_name(tmp_path, reports):
    branches = reports[0]
    misnamed = tmp_path / "coverage.json"
    shutil.copyfile(branches.xml, misnamed)
    record = check(path=str(misnamed), line_fail_below="50%")
    assert record["status"] == "pass" and record["observed"]["format"] == "cobertura"
    record = check(path=str(misnamed), format="coverage_json")
    assert record["status"] == "error"
    assert record["summary"].startswith(f"{misnamed} is not a coverage.py JSON report: not JSON")


def test_wrong_formats_are_errors_naming_the_source_and_the_format(tmp_path):
    junit = str(tmp_path / "junit.xml")
    run_pytest(str(tmp_path / "project"), junit, broken=False)
    record = check(path=junit, line_fail_below="80%")
    assert record["status"] == "error"
    assert record["summary"] == (f"{junit} is not a Cobertura XML report: root element <testsuites>, "
                                 "expected <coverage>")
    page = write(str(tmp_path / "htmlcov" / "index.html"), "<!DOCTYPE html>\n<html><title>Coverage</title></html>\n")
    record = check(path=page)
    assert record["status"] == "error" and record["summary"].startswith(f"{page} is not a Cobertura XML report: ")
    truncated = write(str(tmp_path / "truncated.xml"), '<?xml version="1.0" ?>\n<coverage line-rate="0.5">\n<packages>')
    record = check(path=truncated)
    assert record["summary"].startswith(f"{truncated} is not a Cobertura XML report: not well-formed XML")
    other_json = write(str(tmp_path / "run_results.json"), json.dumps({"results": []}))
    record = check(path=other_json)
    assert record["summary"] == (f"{other_json} is not a coverage.py JSON report: expected an object with meta, "
                                 "files and totals")
    text = write(str(tmp_path / "coverage.txt"), "Name  Stmts  Miss  Cover\nTOTAL  15  7  53%\n")
    assert check(path=text)["summary"] == (f"{text} is not a coverage report (Cobertura XML or coverage.py JSON): "
                                           "it is neither XML nor a JSON object")
    rate = write(str(tmp_path / "rate.xml"), '<coverage line-rate="1.5" branch-rate="0"/>')
    assert check(path=rate)["summary"] == f"{rate} is not a Cobertura XML report: <coverage> has line-rate='1.5'"


def test_an_older_cobertura_report_with_rates_only_is_read_by_its_rates(tmp_path):
    # Cobertura 1.9 (coverage-03.dtd) wrote rates without line counts, and a timestamp in milliseconds.
    stamp = int((time.time() - 2 * DAY) * 1000)
    old = write(str(tmp_path / "coverage.xml"), f'<coverage line-rate="0.912" branch-rate="0.75" version="1.9" '
                                                f'timestamp="{stamp}"><packages><package name="com.example.shop" '
                                                'line-rate="0.8" branch-rate="0.5"/></packages></coverage>')
    record = check(path=old, line_fail_below="90%", packages=[dict(name="com.example.shop", line_warn_below="85%")],
                   max_age="1d")
    assert record["status"] == "fail"
    assert value(record, "line_coverage") == 91.2 and "lines" not in record["observed"]
    assert re.match(r"age 2d( \d+s)? \(fail > 1d\); com.example.shop line coverage 80.0% \(warn < 85.0%\)",
                    record["summary"]), record["summary"]


def test_age_is_the_reports_own_time_not_the_files(tmp_path, reports):
    branches = reports[0]
    for path in (branches.xml, branches.json):
        copy = tmp_path / os.path.basename(path)
        shutil.copyfile(path, copy)
        set_age(str(copy), 10 * DAY)  # copied around since; the report still says when it was made
        record = check(path=str(copy), max_age="1h")
        assert record["status"] == "pass", record["summary"]
        assert value(record, "age") < 3600
    # coverage.json's meta.timestamp is the local time of the machine that ran coverage, read as this one's.
    with open(branches.json) as handle:
        document = json.load(handle)
    document["meta"]["timestamp"] = datetime.fromtimestamp(time.time() - 3 * DAY).isoformat()
    stale = write(str(tmp_path / "stale.json"), json.dumps(document))
    record = check(path=stale, max_age="2d")
    assert record["status"] == "fail" and re.match(r"age 3d( \d+s)? \(fail > 2d\)", record["summary"])


def test_a_missing_report_fails_and_a_report_over_the_cap_is_an_error(tmp_path, monkeypatch, reports):
    missing = str(tmp_path / "coverage.xml")
    record = check(path=missing, line_fail_below="80%")
    assert record["status"] == "fail" and record["summary"] == f"{missing} does not exist"
    monkeypatch.setattr(coverage, "COVERAGE_CAP", 1024)
    record = check(path=reports[0].json)
    assert record["status"] == "error"
    assert record["summary"] == f"{reports[0].json} exceeded the size cap COVERAGE_CAP (1.0 KiB); reading stopped there"


def test_bad_options_are_refused_naming_the_option():
    with pytest.raises(OptionError, match=r"packages\[0\]: give line_fail_below, line_warn_below or a branch level"):
        prepared(coverage, dict(path="/srv/coverage.xml", packages=[dict(name="shop")]))
    with pytest.raises(OptionError, match=r"packages\[1\]\.line_fail_below: 'most' is not a number"):
        prepared(coverage, dict(path="/srv/coverage.xml", packages=[dict(name="a", line_fail_below="1%"),
                                                                    dict(name="b", line_fail_below="most")]))
    with pytest.raises(OptionError, match="line_warn_below/line_fail_below: the warn level"):
        prepared(coverage, dict(path="/srv/coverage.xml", line_warn_below="70%", line_fail_below="80%"))
    with pytest.raises(OptionError, match="line_fail_below: '180%'"):
        prepared(coverage, dict(path="/srv/coverage.xml", line_fail_below="180%"))


@pytest.fixture(scope="module")
def served(tmp_path_factory, reports):
    directory = tmp_path_factory.mktemp("served")
    for path in (reports[0].xml, reports[0].json):
        shutil.copyfile(path, directory / os.path.basename(path))
    with served_directory(directory) as base:
        yield base


def test_a_report_fetched_from_a_url_is_checked_like_a_file(served):
    for name in ("coverage.xml", "coverage.json"):
        record = check(url=f"{served}/{name}", line_fail_below="50%", max_age="1h", username="ci",
                       password="artifact-pass-71c2")
        assert record["status"] == "pass", record["summary"]
        assert record["observed"]["source"] == f"{served}/{name}" and value(record, "line_coverage") == 53.33
    record = check(url=f"{served}/htmlcov/index.html")
    assert record["status"] == "error" and "answered HTTP 404" in record["summary"]
