"""test_results: reports written by a real pytest --junitxml run, Surefire's and jest-junit's documented shapes,
wrong formats, a missing file, age, the size cap, and a report fetched from a real HTTP server."""

from __future__ import annotations

import os
import re
import shutil
import time
from datetime import datetime, timezone
from xml.etree import ElementTree

import pytest
from junitparser import JUnitXml

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._checks import test_results

from ._kind_runner import described, prepared, run_item
from ._test_reports import (
    JEST_JUNIT_REPORT,
    SUREFIRE_REPORT,
    run_coverage,
    run_pytest,
    served_directory,
    set_age,
    write,
)

HOUR = 3600


def check(**item):
    return run_item(test_results, item, 20.0)


def count(record, name):
    return record["observed"][name]["value"]


@pytest.fixture(scope="module")
def pytest_reports(tmp_path_factory):
    """Real pytest runs: one with a failing, an erroring and a skipped test; one where everything passes."""
    root = tmp_path_factory.mktemp("pytest-run")
    broken = str(root / "reports" / "junit.xml")
    done = run_pytest(str(root / "broken"), broken)
    assert done.returncode == 1 and os.path.isfile(broken), done.stdout + done.stderr
    green = str(root / "reports" / "green.xml")
    done = run_pytest(str(root / "green"), green, broken=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return broken, green


def test_a_green_pytest_run_passes_with_its_counts_and_its_own_time(pytest_reports):
    green = pytest_reports[1]
    record = check(path=green, min_tests=3, max_age="1h")
    assert record["status"] == "pass", record["summary"]
    assert record["id"] == f"test_results:{green}" and record["title"] == f"Test results in {green}"
    assert (record["section"], record["severity"]) == ("application", "high")
    assert [count(record, n) for n in ("tests", "passed", "failures", "errors", "skipped")] == [3, 3, 0, 0, 0]
    assert record["observed"]["suite_names"] == ["pytest"] and record["observed"]["format"] == "junit"
    assert record["summary"].startswith("3 tests: 3 passed; age ")
    # The age is the suite's own timestamp, which pytest writes with its offset.
    stamp = ElementTree.parse(green).getroot().find("testsuite").get("timestamp")
    started = datetime.fromisoformat(stamp).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert record["observed"]["produced_at"] == started and count(record, "age") < HOUR
    assert record["expected"]["tests"] == {"fail": {"below": 3}, "unit": "count"}
    assert record["expected"]["failures"] == {"fail": {"above": 0}, "unit": "count"}


def test_a_failing_pytest_run_fails_naming_its_failing_and_erroring_tests(pytest_reports):
    broken = pytest_reports[0]
    record = check(path=broken)
    assert record["status"] == "fail"
    assert [count(record, n) for n in ("tests", "passed", "failures", "errors", "skipped")] == [6, 3, 1, 1, 1]
    assert record["observed"]["failing"] == [
        dict(case="tests.test_broken::test_refund_is_negative", outcome="failure",
             message="AssertionError: refund sign is wrong"),
        dict(case="tests.test_broken::test_orders_listed", outcome="error",
             message='failed on setup with "RuntimeError: database not seeded"'),
    ]
    assert ("1 of 6 tests failed (fail > 0): tests.test_broken::test_refund_is_negative (AssertionError: refund sign "
            "is wrong)") in record["summary"]
    assert "1 of 6 tests errored (fail > 0): tests.test_broken::test_orders_listed" in record["summary"]
    allowed = check(path=broken, max_failures=1, max_errors=1, max_skipped=0)
    assert allowed["status"] == "fail" and allowed["summary"] == "1 of 6 tests skipped (fail > 0)"
    assert check(path=broken, max_failures=1, max_errors=1)["status"] == "pass"


def test_the_counts_agree_with_junitparser_reading_the_same_report(pytest_reports):
    broken = pytest_reports[0]
    report = JUnitXml.fromfile(broken)
    suites = list(report) if report._tag == "testsuites" else [report]
    cases = [case for suite in suites for case in suite]
    outcomes = [type(result).__name__ for case in cases for result in case.result]
    record = check(path=broken, max_failures=9, max_errors=9)
    assert count(record, "tests") == len(cases)
    assert (count(record, "failures"), count(record, "errors"), count(record, "skipped")) == (
        outcomes.count("Failure"), outcomes.count("Error"), outcomes.count("Skipped"))


def test_a_named_suite_must_be_present_and_only_its_tests_count(tmp_path, pytest_reports):
    broken = pytest_reports[0]
    record = check(path=broken, suite="integration")
    assert record["status"] == "fail"
    assert record["summary"] == f"no test suite named integration in {broken} (suites: pytest)"
    assert record["id"] == f"test_results:{broken}:integration"
    assert described(test_results, dict(path=broken, suite="integration"))[1] == (
        f"Test results of suite integration in {broken}")
    named = tmp_path / "named.xml"
    run_pytest(str(tmp_path / "project"), str(named), "-o", "junit_suite_name=shop-unit", broken=False)
    assert check(path=str(named), suite="shop-unit", min_tests=3)["status"] == "pass"


def test_surefire_report_fails_on_its_failure_and_counts_the_rerun_as_flaky(tmp_path):
    report = set_age(write(str(tmp_path / "surefire-reports" / "TEST-com.example.shop.CheckoutIT.xml"),
                           SUREFIRE_REPORT), 2 * HOUR)
    record = check(path=str(tmp_path / "surefire-reports" / "TEST-*.xml"), suite="com.example.shop.CheckoutIT",
                   age_warn_above="1h")
    assert record["status"] == "fail"
    assert [count(record, n) for n in ("tests", "passed", "failures", "skipped", "flaky")] == [4, 2, 1, 1, 1]
    assert record["observed"]["failing"] == [dict(case="com.example.shop.CheckoutIT::refundsOrder",
                                                  outcome="failure", message="expected: <-5> but was: <5>")]
    # Surefire writes no timestamp: the file's modification time is the age.
    assert record["observed"]["source"] == report and 2 * HOUR - 5 < count(record, "age") < 2 * HOUR + 60
    assert "age 2h" in record["summary"] and "(warn > 1h)" in record["summary"]


def test_jest_junit_report_is_aged_by_its_suites_timestamp_read_as_utc(tmp_path):
    three_hours_ago = datetime.fromtimestamp(time.time() - 3 * HOUR, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    report = write(str(tmp_path / "junit.xml"), JEST_JUNIT_REPORT.format(timestamp=three_hours_ago))
    record = check(path=report, max_age="2h", max_failures=1)
    # The seconds past the three hours depend on how fast this ran: only the hours are asserted.
    assert record["status"] == "fail" and re.match(r"age 3h( \d+s)? \(fail > 2h\)$", record["summary"])
    assert [count(record, n) for n in ("tests", "failures", "skipped")] == [5, 1, 1]
    assert record["observed"]["failing"][0] == dict(
        case="cart rounds totals::cart rounds totals", outcome="failure",
        message="Error: expect(received).toBe(expected) // Object.is equality")
    assert check(path=report, suite="health.test.js", max_age="4h")["status"] == "pass"


def test_a_report_of_no_tests_is_no_evidence(tmp_path):
    empty = write(str(tmp_path / "empty.xml"), '<testsuites><testsuite name="pytest" tests="0"/></testsuites>')
    record = check(path=empty)
    assert record["status"] == "fail" and record["summary"] == "0 tests (fail < 1)"


def test_suites_that_list_no_test_case_are_counted_by_their_attributes(tmp_path):
    totals = write(str(tmp_path / "totals.xml"), '<testsuites><testsuite name="a" tests="40" failures="0" '
                                                 'errors="0" skipped="2"/><testsuite name="b" tests="10" '
                                                 'failures="1" errors="0"/></testsuites>')
    record = check(path=totals, max_failures=0)
    assert [count(record, n) for n in ("tests", "passed", "failures", "skipped")] == [50, 47, 1, 2]
    bad = write(str(tmp_path / "bad.xml"), '<testsuite name="a" tests="many"/>')
    record = check(path=bad)
    assert record["status"] == "error"
    assert record["summary"] == f"{bad} is not a JUnit XML report: testsuite 'a' has tests='many', not a count"


def test_wrong_formats_are_errors_naming_the_source_and_the_format(tmp_path):
    coverage = run_coverage(str(tmp_path / "project"))
    record = check(path=coverage.xml)
    assert record["status"] == "error"
    assert record["summary"] == (f"{coverage.xml} is not a JUnit XML report: root element <coverage>, expected "
                                 "<testsuites> or <testsuite>")
    page = write(str(tmp_path / "index.html"), "<!DOCTYPE html>\n<html><body>Build #12</body></html>\n")
    record = check(path=page)
    assert record["status"] == "error" and record["summary"].startswith(f"{page} is not a JUnit XML report: ")
    truncated = tmp_path / "truncated.xml"
    truncated.write_text(SUREFIRE_REPORT[:len(SUREFIRE_REPORT) // 2])
    record = check(path=str(truncated))
    assert record["status"] == "error"
    assert record["summary"].startswith(f"{truncated} is not a JUnit XML report: not well-formed XML")
    stamp = write(str(tmp_path / "stamp.xml"), '<testsuite name="x" tests="1" timestamp="yesterday"><testcase '
                                               'name="t"/></testsuite>')
    assert check(path=stamp)["summary"] == (f"{stamp} is not a JUnit XML report: timestamp of <testsuite "
                                            "name='x'>: 'yesterday' is not a date and time")


def test_a_missing_report_fails_and_a_report_over_the_cap_is_an_error(tmp_path, monkeypatch):
    missing = str(tmp_path / "reports" / "junit.xml")
    record = check(path=missing)
    assert record["status"] == "fail" and record["summary"] == f"{missing} does not exist"
    record = check(path=str(tmp_path / "reports" / "*.xml"))
    assert record["status"] == "fail" and record["summary"] == f"no file matches {tmp_path}/reports/*.xml"
    monkeypatch.setattr(test_results, "TEST_RESULTS_CAP", 1024)
    big = write(str(tmp_path / "big.xml"), "<testsuite>" + "<testcase name='t'/>" * 100 + "</testsuite>")
    record = check(path=big)
    assert record["status"] == "error"
    assert record["summary"] == f"{big} exceeded the size cap TEST_RESULTS_CAP (1.0 KiB); reading stopped there"


def test_bad_options_are_refused_naming_the_option():
    with pytest.raises(OptionError, match="suite: must name a test suite"):
        prepared(test_results, dict(path="/srv/junit.xml", suite=" "))
    with pytest.raises(OptionError, match="max_failures"):
        prepared(test_results, dict(path="/srv/junit.xml", max_failures=-1))
    with pytest.raises(OptionError, match="path: give either path"):
        prepared(test_results, dict(path="/srv/junit.xml", url="http://127.0.0.1/junit.xml"))


@pytest.fixture(scope="module")
def served_reports(tmp_path_factory, pytest_reports):
    """The real pytest reports served by Python's own http.server."""
    directory = tmp_path_factory.mktemp("served")
    broken, green = pytest_reports
    for path in (broken, green):
        shutil.copyfile(path, directory / os.path.basename(path))
    with served_directory(directory) as base:
        yield base


def test_a_report_fetched_from_a_url_is_checked_like_a_file(served_reports):
    record = check(url=f"{served_reports}/green.xml", max_age="1h", bearer_token="ci-artifact-token-3f9a")
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["source"] == f"{served_reports}/green.xml"
    assert record["id"] == f"test_results:{served_reports}/green.xml"
    assert check(url=f"{served_reports}/junit.xml")["status"] == "fail"
    record = check(url=f"{served_reports}/missing.xml")
    assert record["status"] == "error" and "answered HTTP 404" in record["summary"]
