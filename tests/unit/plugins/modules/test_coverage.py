"""coverage end to end: real `ansible localhost -m golive.readiness.coverage` runs over the Cobertura XML and JSON
reports of a real coverage.py run."""

from __future__ import annotations

from ansible_collections.golive.readiness.plugins.module_utils._checks import coverage
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._test_reports import (
    run_coverage,
    run_pytest,
)

from ._adhoc import ansible_run, assert_documents_options


def test_module_documentation_renders_every_option():
    doc = assert_documents_options("coverage", coverage)
    checks = doc["options"]["checks"]["suboptions"]
    assert checks["format"]["choices"] == list(coverage.FORMATS)
    assert set(checks["packages"]["suboptions"]) == set(coverage.PACKAGE_OPTIONS)
    assert "COVERAGE_CAP" in " ".join(doc["description"])


def test_module_checks_real_coverage_reports(tmp_path):
    measured = run_coverage(str(tmp_path / "project"), branch=True)
    junit = str(tmp_path / "junit.xml")
    run_pytest(str(tmp_path / "tested"), junit, broken=False)
    done, result = ansible_run("coverage", {"checks": [
        {"path": measured.xml, "line_fail_below": "50%", "max_age": "1h",
         "packages": [{"name": "shop", "line_fail_below": "60%"}]},
        {"path": measured.json, "line_warn_below": "60%", "branch_fail_below": "30%"},
        {"path": measured.xml, "packages": [{"name": "shop.api", "line_fail_below": "50%"}], "severity": "medium",
         "id": "coverage:api"},
        {"path": junit, "line_fail_below": "80%"},
    ]})
    assert done.returncode == 2, result
    records = result["golive_checks"]
    assert [r["status"] for r in records] == ["pass", "warn", "fail", "error"], records
    assert records[0]["observed"]["packages"][0]["line_coverage"] == {"value": 62.5, "unit": "percent"}
    assert records[1]["summary"] == "line coverage 53.3% (warn < 60.0%)"
    assert records[2]["summary"].startswith("shop.api line coverage 42.9% (fail < 50.0%)")
    assert records[3]["summary"].endswith("is not a Cobertura XML report: root element <testsuites>, expected "
                                          "<coverage>")


def test_bad_options_fail_the_task_naming_the_option(tmp_path):
    done, result = ansible_run("coverage", {"checks": [
        {"path": str(tmp_path / "coverage.xml"), "line_fail_below": "eighty"},
        {"path": str(tmp_path / "coverage.xml"), "packages": [{"name": "shop"}]},
    ]})
    assert done.returncode == 2
    assert "checks[0]: line_fail_below: 'eighty' is not a number" in result["msg"]
    assert "checks[1]: packages[0]: give line_fail_below, line_warn_below or a branch level for shop" in result["msg"]
    done, result = ansible_run("coverage", {"checks": [{"path": str(tmp_path / "coverage.xml"), "format": "lcov"}]})
    assert done.returncode == 2
    assert result["msg"] == "value of format must be one of: auto, cobertura, coverage_json, got: lcov found in checks"
