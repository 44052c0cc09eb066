"""test_results end to end: real `ansible localhost -m golive.readiness.test_results` runs over reports a real
pytest --junitxml run wrote, one of them fetched from Python's http.server with a token that must stay hidden."""

from __future__ import annotations

import shutil

from ansible_collections.golive.readiness.plugins.module_utils._checks import test_results
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._test_reports import (
    run_coverage,
    run_pytest,
    served_directory,
)

from ._adhoc import ansible_run, ansible_run_logged, assert_documents_options

TOKEN = "ci-artifacts-token-5d1e0b"


def test_module_documentation_renders_every_option():
    doc = assert_documents_options("test_results", test_results)
    checks = doc["options"]["checks"]["suboptions"]
    assert checks["min_tests"]["default"] == 1 and checks["max_failures"]["default"] == 0
    assert "TEST_RESULTS_CAP" in " ".join(doc["description"])


def test_module_checks_real_pytest_reports_on_the_host_and_over_http(tmp_path):
    green, broken = tmp_path / "green.xml", tmp_path / "broken.xml"
    assert run_pytest(str(tmp_path / "green"), str(green), broken=False).returncode == 0
    assert run_pytest(str(tmp_path / "broken"), str(broken)).returncode == 1
    coverage_xml = run_coverage(str(tmp_path / "covered")).xml
    served = tmp_path / "served"
    served.mkdir()
    shutil.copyfile(green, served / "junit.xml")
    with served_directory(served) as base:
        done, result, written = ansible_run_logged("test_results", tmp_path, {"checks": [
            {"path": str(green), "min_tests": 3, "max_age": "1h"},
            {"path": str(broken), "suite": "pytest"},
            {"url": f"{base}/junit.xml", "bearer_token": TOKEN, "max_age": "1h"},
            {"path": coverage_xml},
            {"path": str(tmp_path / "missing.xml")},
        ]})
    assert done.returncode == 2
    records = result["golive_checks"]
    assert [r["status"] for r in records] == ["pass", "fail", "pass", "error", "fail"], records
    assert records[1]["id"] == f"test_results:{broken}:pytest"
    assert "1 of 6 tests failed (fail > 0): tests.test_broken::test_refund_is_negative" in records[1]["summary"]
    assert records[2]["observed"]["tests"]["value"] == 3
    assert "is not a JUnit XML report: root element <coverage>" in records[3]["summary"]
    assert result["golive_counts"] == {"pass": 2, "warn": 0, "fail": 2, "error": 1, "skipped": 0}
    assert TOKEN not in written


def test_bad_options_fail_the_task_naming_the_option(tmp_path):
    done, result = ansible_run("test_results", {"checks": [
        {"path": "reports/junit.xml"},
        {"path": str(tmp_path / "junit.xml"), "url": "http://127.0.0.1/junit.xml"},
        {"path": str(tmp_path / "junit.xml"), "bearer_token": TOKEN},
    ]})
    assert done.returncode == 2
    assert "checks[0]: path: 'reports/junit.xml' must be an absolute path" in result["msg"]
    assert "checks[1]: path: give either path (a file on the host) or url (fetched from the probe), not both" in (
        result["msg"])
    assert "checks[2]: bearer_token: only applies with url" in result["msg"]
    assert TOKEN not in done.stdout + done.stderr
