"""load_test end to end: `ansible localhost -m golive.readiness.load_test` over a real Locust run's statistics."""

from __future__ import annotations

from ansible_collections.golive.readiness.plugins.module_utils._checks import load_test

from ._adhoc import ansible_run, assert_documents_options
from ._servers import load_tests


def test_module_documentation_renders_every_option():
    doc = assert_documents_options("load_test", load_test)
    checks = doc["options"]["checks"]["suboptions"]
    assert checks["format"]["choices"] == list(load_test.FORMATS)
    assert "LOAD_TEST_CAP" in " ".join(doc["description"])


def test_module_grades_a_real_locust_run_and_refuses_bad_levels(tmp_path):
    with load_tests.counting_app() as (url, counts):
        stats = load_tests.run_locust(tmp_path, url, run_time="3s")
    summary = tmp_path / "k6-summary.json"
    summary.write_text(load_tests.k6_summary(requests=900, failed=45, p95=950.0))
    done, result = ansible_run("load_test", {"checks": [
        {"path": stats, "max_age": "1h", "min_requests": 1, "error_rate_warn_above": "50%"},
        {"path": stats, "endpoint": "/slow", "p95_fail_above": "100ms"},
        {"path": str(summary), "p95_warn_above": "500ms", "error_rate_fail_above": "1%"},
    ]})
    assert done.returncode == 2
    records = result["golive_checks"]
    assert [r["status"] for r in records] == ["pass", "fail", "fail"], [r["summary"] for r in records]
    assert records[0]["observed"]["requests"]["value"] <= sum(
        counts[(path, "seen")] for path in ("/fast", "/slow", "/broken"))
    assert records[1]["summary"].startswith("p95 ") and "(fail > 100ms)" in records[1]["summary"]
    assert records[2]["summary"] == "error rate 5.0% (fail > 1.0%); p95 950ms (warn > 500ms)"
    done, result = ansible_run("load_test", {"checks": [{"path": stats, "p95_warn_above": "1s",
                                                         "p95_fail_above": "500ms"}]})
    assert done.returncode == 2
    assert result["msg"] == ("invalid check options: checks[0]: p95_warn_above/p95_fail_above: the warn level (1s) "
                             "must be below the fail level (500ms)")
