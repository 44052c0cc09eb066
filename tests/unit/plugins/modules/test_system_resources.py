"""system_resources end to end: real `ansible localhost -m golive.readiness.system_resources` and verify runs."""

from __future__ import annotations

import os

from ansible_collections.golive.readiness.plugins.module_utils._checks import system_resources

from ._adhoc import ansible_run, assert_documents_options


def cores():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def test_module_documentation_renders_every_option():
    doc = assert_documents_options("system_resources", system_resources)
    assert doc["options"]["checks"]["suboptions"]["cpu_sample"]["default"] == "500ms"


def test_module_measures_the_host():
    done, result = ansible_run("system_resources", {"checks": [
        {"cpus_fail_below": 1, "memory_available_fail_below": "1KB", "cpu_sample": "200ms",
         "cpu_busy_fail_above": "100%"}]})
    assert done.returncode == 0, done.stdout
    [record] = result["golive_checks"]
    assert (record["id"], record["kind"], record["title"]) == ("system_resources:host", "system_resources",
                                                               "System resources")
    assert (record["section"], record["severity"], record["status"]) == ("infrastructure", "high", "pass")
    assert record["observed"]["cpus"]["value"] == cores()
    for name in ("cpu_busy_percent", "load_1", "load_5", "load_15", "load_per_core", "memory_total_bytes",
                 "memory_available_bytes", "memory_available_percent", "swap_total_bytes", "swap_used_percent"):
        assert name in record["observed"], name
    assert record["expected"] == {"cpus": {"fail": {"below": 1}, "unit": "count"},
                                  "memory_available_bytes": {"fail": {"below": 1024}, "unit": "bytes"},
                                  "cpu_busy_percent": {"fail": {"above": 100}, "unit": "percent"}}
    assert result["changed"] is False


def test_failing_check_fails_the_task_unless_fail_on_is_empty():
    args = {"checks": [{"cpus_fail_below": cores() + 1, "cpu_sample": "100ms", "severity": "critical"}]}
    done, result = ansible_run("system_resources", args)
    assert done.returncode == 2
    assert result["golive_checks"][0]["status"] == "fail"
    assert result["golive_checks"][0]["severity"] == "critical"
    assert result["msg"] == f"1 check: 1 fail; system_resources:host fail: cpus {cores()} (fail < {cores() + 1})"
    done, result = ansible_run("system_resources", dict(args, fail_on=[]))
    assert done.returncode == 0
    assert result["golive_counts"]["fail"] == 1


def test_bad_options_fail_the_task_naming_the_item_and_option():
    done, result = ansible_run("system_resources", {"checks": [
        {"cpu_sample": "0"}, {"id": "second", "swap_used_warn_above": "60%", "swap_used_fail_above": "40%"}]})
    assert done.returncode == 2
    first, second = result["errors"]
    assert first.startswith("checks[0]")
    assert first.endswith("cpu_sample: must be greater than zero, got '0'")
    assert second.startswith("checks[1]")
    assert second.endswith("swap_used_warn_above/swap_used_fail_above: the warn level (60.0%) "
                           "must be below the fail level (40.0%)")
    assert "golive_checks" not in result


def test_verify_runs_system_resources_in_a_mixed_list(tmp_path):
    done, result = ansible_run("verify", {"fail_on": [], "checks": [
        {"kind": "system_resources", "cpus_warn_below": cores() + 1, "cpu_sample": "100ms"},
        {"kind": "disk_space", "path": str(tmp_path), "free_fail_below": "1KB"},
        {"kind": "path", "path": str(tmp_path / "missing"), "state": "absent"},
    ]})
    assert done.returncode == 0, done.stdout
    records = result["golive_checks"]
    assert [(r["id"], r["status"]) for r in records] == [
        ("system_resources:host", "warn"), (f"disk_space:{tmp_path}", "pass"),
        (f'path:{tmp_path / "missing"}', "pass")]
    assert result["golive_counts"] == {"pass": 2, "warn": 1, "fail": 0, "error": 0, "skipped": 0}
