"""dbt_artifacts end to end: `ansible localhost -m golive.readiness.dbt_artifacts` over a real dbt project's targets."""

from __future__ import annotations

from ansible_collections.golive.readiness.plugins.module_utils._checks import dbt_artifacts

from ._adhoc import ansible_run, assert_documents_options


def test_module_documentation_renders_every_option():
    doc = assert_documents_options("dbt_artifacts", dbt_artifacts)
    checks = doc["options"]["checks"]["suboptions"]
    assert checks["severities"]["choices"] == list(dbt_artifacts.SEVERITIES)
    assert "path" not in checks and "bearer_token" in checks
    for cap in ("RUN_RESULTS_CAP", "MANIFEST_CAP", "SOURCES_CAP"):
        assert any(cap in line for line in doc["description"]), cap


def test_module_grades_the_targets_of_real_dbt_runs(dbt_project, tmp_path):
    done, result = ansible_run("dbt_artifacts", {"checks": [
        {"target_dir": dbt_project.clean, "dbt_target": "prod", "max_age": "1d"},
        {"target_dir": dbt_project.target, "min_test_coverage": "90%", "severity": "medium"},
        {"target_dir": str(tmp_path / "target")},
    ]})
    assert done.returncode == 2, done.stdout
    records = result["golive_checks"]
    assert [r["status"] for r in records] == ["pass", "fail", "fail"]
    assert [r["section"] for r in records] == ["data"] * 3
    assert records[0]["severity"] == "high" and records[1]["severity"] == "medium"
    assert records[1]["observed"]["test_coverage"] == {"value": 40.0, "unit": "percent"}
    assert "models with a test 40.0% (fail < 90.0%)" in records[1]["summary"]
    assert records[2]["summary"] == f"{tmp_path}/target/run_results.json does not exist"
    assert result["golive_counts"] == {"pass": 1, "warn": 0, "fail": 2, "error": 0, "skipped": 0}
