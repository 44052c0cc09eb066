"""dbt_artifacts graded on the artifacts of real dbt runs (dbt-core with dbt-duckdb, see _dbt_projects.py).

The project's full build has a failing test, a test that warns, a broken model and the model skipped after
it; its freshness run a fresh, a late and a stale source; its passing build only successes.
"""

from __future__ import annotations

import json
import os
import shutil
import sys

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._checks import dbt_artifacts

from ._kind_runner import described, prepared, run_item
from ._ports import unused_port
from ._real_http_servers import ServerProcess

FAILING_TEST = "test.shop.relationships_stg_orders_customer_id__id__ref_stg_customers_.c4293d696a"
WARNING_TEST = "test.shop.accepted_values_stg_orders_status__placed__shipped.0b09736f95"
TIMEOUT = 30


def check(item):
    return run_item(dbt_artifacts, item, TIMEOUT)


def copy_of(target, tmp_path, *names):
    """A target directory holding only the named artifacts of ``target``."""
    directory = tmp_path / "target"
    directory.mkdir()
    for name in names:
        shutil.copy2(os.path.join(target, name), directory / name)
    return str(directory)


def test_the_full_build_fails_on_its_failing_test_and_broken_model_and_warns_on_the_rest(dbt_project):
    record = check({"target_dir": dbt_project.target})
    observed = record["observed"]
    assert record["status"] == "fail", record
    assert record["id"] == f"dbt_artifacts:{dbt_project.target}"
    assert record["title"] == f"dbt artifacts {dbt_project.target}"
    assert observed["failed_tests"] == [FAILING_TEST]
    assert observed["warned_tests"] == [WARNING_TEST]
    assert observed["failed_nodes"] == ["model.shop.broken_report"]
    assert observed["skipped"] == ["model.shop.report_summary"]
    assert observed["tests"] == {"value": 5, "unit": "count"}
    assert observed["tests_passed"] == {"value": 3, "unit": "count"}
    assert observed["dbt_version"].startswith("1.") and observed["dbt_target"] == "prod"
    summary = record["summary"]
    assert f"1 test failed: {FAILING_TEST} (Got 1 result, configured to fail if != 0)" in summary
    assert "1 node failed: model.shop.broken_report (Runtime Error in model broken_report" in summary
    assert f"1 test warned: {WARNING_TEST} (Got 1 result, configured to warn if != 0)" in summary
    assert "1 node skipped: model.shop.report_summary" in summary


def test_sources_freshness_maps_each_status(dbt_project):
    observed = check({"target_dir": dbt_project.target})["observed"]
    assert observed["sources"] == {"value": 3, "unit": "count"}
    assert observed["sources_fail"] == ["source.shop.raw.raw_customers"]
    assert observed["sources_warn"] == ["source.shop.raw.raw_payments"]
    summary = check({"target_dir": dbt_project.target})["summary"]
    assert "1 source failed freshness: source.shop.raw.raw_customers (error: last loaded 2020-01-01" in summary
    assert "1 source past warn_after: source.shop.raw.raw_payments (warn: last loaded " in summary


def test_the_passing_build_passes_and_says_what_it_counted(dbt_project):
    record = check({"target_dir": dbt_project.clean, "dbt_target": "prod", "max_age": "1d"})
    assert record["status"] == "pass", record
    assert record["summary"].startswith("2 tests passed, 2 other nodes succeeded; models with a test 40.0%")
    assert record["expected"]["dbt_target"] == "prod"
    assert record["observed"]["age"]["value"] < 86400


def test_strict_severities_turn_the_warning_test_and_the_late_source_into_failures(dbt_project):
    honour = check({"target_dir": dbt_project.target})
    strict = check({"target_dir": dbt_project.target, "severities": "strict"})
    assert honour["observed"]["failed_tests"] == [FAILING_TEST]
    assert sorted(strict["observed"]["failed_tests"]) == sorted([FAILING_TEST, WARNING_TEST])
    assert "warned_tests" not in strict["observed"]
    assert strict["observed"]["sources_fail"] == ["source.shop.raw.raw_customers", "source.shop.raw.raw_payments"]


def test_another_target_fails_and_artifacts_that_name_none_are_an_error(dbt_project, tmp_path):
    record = check({"target_dir": dbt_project.clean, "dbt_target": "dev"})
    assert record["status"] == "fail" and record["summary"] == "target is 'prod', expected 'dev'"
    directory = tmp_path / "untargeted"
    directory.mkdir()
    with open(os.path.join(dbt_project.clean, "run_results.json"), encoding="utf-8") as handle:
        document = json.load(handle)
    del document["args"]["target"]  # as dbt writes it when run without --target
    (directory / "run_results.json").write_text(json.dumps(document))
    record = check({"target_dir": str(directory), "dbt_target": "prod"})
    assert record["status"] == "error"
    assert "does not say which target dbt ran against" in record["summary"]
    assert check({"target_dir": str(directory)})["status"] == "pass"


def test_test_coverage_counts_the_projects_non_ephemeral_models_a_test_depends_on(dbt_project):
    record = check({"target_dir": dbt_project.clean, "test_coverage_warn_below": "60%", "min_test_coverage": "30%"})
    observed = record["observed"]
    # stg_customers and stg_orders are tested (the relationships test covers both); order_amounts is ephemeral
    assert observed["models"] == {"value": 5, "unit": "count"}
    assert observed["models_tested"] == {"value": 2, "unit": "count"}
    assert observed["test_coverage"] == {"value": 40.0, "unit": "percent"}
    assert observed["untested_models"] == ["model.shop.broken_report", "model.shop.customer_revenue",
                                           "model.shop.report_summary"]
    assert record["status"] == "warn"
    assert record["summary"].startswith("models with a test 40.0% (warn < 60.0%, fail < 30.0%); untested: ")
    assert record["expected"]["test_coverage"] == {"warn": {"below": 60.0}, "fail": {"below": 30.0}, "unit": "percent"}
    assert check({"target_dir": dbt_project.clean, "min_test_coverage": "90%"})["status"] == "fail"


def test_optional_artifacts_are_required_only_when_asked_for(dbt_project, tmp_path):
    directory = copy_of(dbt_project.clean, tmp_path, "run_results.json")
    assert check({"target_dir": directory})["status"] == "pass"
    record = check({"target_dir": directory, "min_test_coverage": "90%", "require_freshness": True})
    assert record["status"] == "fail"
    assert f"{directory}/manifest.json does not exist" in record["summary"]
    assert f"{directory}/sources.json does not exist" in record["summary"]
    record = check({"target_dir": str(tmp_path / "never-built")})
    assert record["status"] == "fail" and record["summary"] == f"{tmp_path}/never-built/run_results.json does not exist"


def test_a_file_that_is_not_the_artifact_it_is_named_after_is_an_error(dbt_project, tmp_path):
    directory = tmp_path / "wrong"
    directory.mkdir()
    shutil.copy2(os.path.join(dbt_project.target, "manifest.json"), directory / "run_results.json")
    record = check({"target_dir": str(directory)})
    assert record["status"] == "error"
    assert record["summary"] == (f"{directory}/run_results.json is not a dbt run_results.json: "
                                 "metadata.dbt_schema_version is https://schemas.getdbt.com/dbt/manifest/v12.json "
                                 "(a manifest artifact)")
    (directory / "run_results.json").write_text('{"results": []}')
    record = check({"target_dir": str(directory)})
    assert record["summary"] == (f"{directory}/run_results.json is not a dbt run_results.json: it has no "
                                 "metadata.dbt_schema_version of dbt's")
    (directory / "run_results.json").write_text("<testsuite/>")
    record = check({"target_dir": str(directory)})
    assert record["status"] == "error" and "is not a dbt run_results.json: not JSON" in record["summary"]


def test_old_artifacts_fail_by_the_oldest_generated_at(dbt_project):
    record = check({"target_dir": dbt_project.target, "age_warn_above": "1s", "age_fail_above": "2d"})
    assert record["observed"]["age"]["value"] >= 1
    assert "age " in record["summary"] and "(warn > 1s, fail > 2d)" in record["summary"]
    with open(os.path.join(dbt_project.target, "sources.json"), encoding="utf-8") as handle:
        freshness_generated = json.load(handle)["metadata"]["generated_at"]
    with open(os.path.join(dbt_project.target, "run_results.json"), encoding="utf-8") as handle:
        build_generated = json.load(handle)["metadata"]["generated_at"]
    assert record["observed"]["produced_at"] == min(freshness_generated, build_generated)[:19] + "Z"


def test_an_artifact_over_its_cap_is_an_error_naming_the_cap(dbt_project, monkeypatch):
    monkeypatch.setattr(dbt_artifacts, "MANIFEST_CAP", 1024)
    record = check({"target_dir": dbt_project.clean})
    assert record["status"] == "error" and "MANIFEST_CAP" in record["summary"]


@pytest.fixture(scope="module")
def served_project(dbt_project):
    """Python's http.server over the project: the target directories as a CI server publishes them."""
    port = unused_port()
    server = ServerProcess("http.server", [sys.executable, "-m", "http.server", "--bind", "127.0.0.1",
                                           "--directory", dbt_project.directory, str(port)],
                           dbt_project.directory, [port])
    try:
        server.wait_ready()
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def test_a_url_reads_the_same_artifacts_from_the_probe(dbt_project, served_project):
    by_url = check({"url": f"{served_project}/target", "severities": "strict"})
    by_path = check({"target_dir": dbt_project.target, "severities": "strict"})
    assert by_url["id"] == f"dbt_artifacts:{served_project}/target"
    assert by_url["status"] == by_path["status"] == "fail"
    assert by_url["observed"]["artifacts"]["run_results.json"]["source"] == f"{served_project}/target/run_results.json"
    assert sorted(by_url["observed"]["artifacts"]) == ["manifest.json", "run_results.json", "sources.json"]
    for name in ("failed_tests", "failed_nodes", "skipped", "sources_fail", "test_coverage"):
        assert by_url["observed"][name] == by_path["observed"][name]
    clean = check({"url": f"{served_project}/clean/"})  # no sources.json there: a 404, not an error
    assert clean["status"] == "pass" and "sources" not in clean["observed"]
    assert sorted(clean["observed"]["artifacts"]) == ["manifest.json", "run_results.json"]


def test_options_are_checked_before_anything_is_read():
    with pytest.raises(OptionError, match=r"target_dir: give either target_dir .* or url .*not both"):
        prepared(dbt_artifacts, {"target_dir": "/srv/dbt/target", "url": "https://ci.example.com/target"})
    with pytest.raises(OptionError, match="target_dir: 'target' must be an absolute path"):
        prepared(dbt_artifacts, {"target_dir": "target"})
    with pytest.raises(OptionError, match="dbt_target: must not be empty"):
        prepared(dbt_artifacts, {"target_dir": "/srv/dbt/target", "dbt_target": " "})
    with pytest.raises(OptionError, match=r"test_coverage_warn_below/min_test_coverage: the warn level"):
        prepared(dbt_artifacts, {"target_dir": "/srv/dbt/target", "min_test_coverage": "90%",
                                 "test_coverage_warn_below": "80%"})
    with pytest.raises(OptionError, match="bearer_token: only applies with url"):
        prepared(dbt_artifacts, {"target_dir": "/srv/dbt/target", "bearer_token": "t0ken-value"})
    assert described(dbt_artifacts, {"url": "https://ci.example.com/target", "bearer_token": "t0ken-value"}) == (
        "https://ci.example.com/target", "dbt artifacts https://ci.example.com/target")
