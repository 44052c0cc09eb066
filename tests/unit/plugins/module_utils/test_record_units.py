"""The record contract of schema version 2: real checks record numbers with units and their levels by name."""

from __future__ import annotations

import os

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._check import UNITS, is_levels, is_quantity
from ansible_collections.golive.readiness.plugins.module_utils._checks import disk_space, system_resources
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._kind_runner import run_item


def assert_levels_meet_their_quantities(record):
    """Every levels entry in expected has an observed quantity of the same name and unit (or none observed)."""
    for name, levels in record["expected"].items():
        if not is_levels(levels):
            continue
        assert levels["unit"] in UNITS
        observed = record["observed"].get(name)
        if observed is not None:
            assert is_quantity(observed), (name, observed)
            assert observed["unit"] == levels["unit"], name
        for level in ("warn", "fail"):
            for direction, bound in (levels.get(level) or {}).items():
                assert direction in ("below", "above")
                assert isinstance(bound, (int, float)) and not isinstance(bound, bool)


def test_disk_space_records_bytes_and_percent_with_numeric_levels(tmp_path):
    record = run_item(disk_space, {"path": str(tmp_path), "free_warn_below": "2KB", "free_fail_below": "1KB",
                                   "inodes_free_fail_below": "0.001%"}, timeout=10)
    assert record["status"] == "pass", record["summary"]
    st = os.statvfs(str(tmp_path))
    assert record["observed"]["total_bytes"] == {"value": st.f_blocks * st.f_frsize, "unit": "bytes"}
    assert record["observed"]["free_bytes"]["unit"] == "bytes"
    assert isinstance(record["observed"]["free_bytes"]["value"], int)
    assert record["observed"]["free_percent"]["unit"] == "percent"
    assert record["expected"]["free_bytes"] == {"warn": {"below": 2048}, "fail": {"below": 1024}, "unit": "bytes"}
    assert record["expected"]["inodes_free_percent"] == {"fail": {"below": 0.001}, "unit": "percent"}
    assert "(warn < 2.0 KiB, fail < 1.0 KiB)" in record["summary"]
    assert_levels_meet_their_quantities(record)


def test_system_resources_records_percent_ratio_and_bytes():
    record = run_item(system_resources, {"memory_available_fail_below": "0.001%", "swap_used_warn_above": "100%",
                                         "load_per_core_fail_above": 1000, "cpus_fail_below": 1}, timeout=10)
    assert record["status"] == "pass", record["summary"]
    observed = record["observed"]
    assert observed["memory_available_percent"]["unit"] == "percent"
    assert 0 <= observed["memory_available_percent"]["value"] <= 100
    assert observed["memory_total_bytes"]["unit"] == "bytes" and observed["memory_total_bytes"]["value"] > 0
    assert observed["load_per_core"]["unit"] == "ratio"
    assert observed["cpus"]["unit"] == "count" and observed["cpus"]["value"] >= 1
    assert record["expected"] == {
        "cpus": {"fail": {"below": 1}, "unit": "count"},
        "load_per_core": {"fail": {"above": 1000}, "unit": "ratio"},
        "memory_available_percent": {"fail": {"below": 0.001}, "unit": "percent"},
        "swap_used_percent": {"warn": {"above": 100}, "unit": "percent"},
    }
    assert_levels_meet_their_quantities(record)


@pytest.mark.parametrize("item, message", [
    ({"path": "/", "free_warn_below": "10GB", "free_fail_below": "20GB"}, "must be above the fail level"),
])
def test_inverted_levels_are_still_refused_with_people_units(item, message):
    with pytest.raises(AssertionError, match=message):
        run_item(disk_space, item, timeout=10)
