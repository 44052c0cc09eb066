"""Slice reports read from real files and checked: slice identity, missing slices, what is refused."""

from __future__ import annotations

import json
import re

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.plugin_utils._report_merge import (
    MergeError,
    checklist_of,
    parse_slice,
    read_slices,
    slice_of,
)

FLEET_WAIVER = dict(id="disk_space:*", hosts=["*"], reason="grows", owner="ops", expires="2030-01-01", ticket=None,
                    catch_all=False, expired=False, applies_to=None)


def _report(hosts, job=None, workflow="77", number=None, count=None, waivers=(FLEET_WAIVER,), status="pass"):
    """A slice's report.json as the callback writes it, reduced to what the merge reads."""
    checks = [dict(host=host, id="disk_space:/", kind="disk_space", section="infrastructure", title="Disk space on /",
                   status=status, severity="high", summary="free 50%") for host in hosts]
    return dict(
        schema_version=2, verdict="GO", generated_at="2026-12-03T10:00:00Z",
        run=dict(started="2026-12-03T09:59:00Z", finished="2026-12-03T10:00:00Z", user="ci", controller="c1",
                 ansible_version="2.19.0", collection_version="0.1.0", playbook="golive.yml", inventory=["prod"],
                 limit=None, check_mode=False),
        hosts=[dict(name=host, status="ok", checks=1) for host in hosts], checks=checks, failed_tasks=[],
        scope_problems=[], incomplete=False, interrupted=None,
        slice=dict(number=number, count=count, job_id=job, workflow_job_id=workflow),
        checklist=checklist_of(["infrastructure"], ["critical", "high"], waivers, []))


def _write(tmp_path, name, document):
    path = tmp_path / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def test_a_slice_is_k_of_n_and_a_wrong_one_names_the_variable():
    assert parse_slice("2/3") == dict(number=2, count=3)
    for wrong, said in (("2of3", "is not a slice"), ("4/3", "slice 4 of 3 does not exist"),
                        ("x/3", "golive_slice (number): 'x' is not a whole number"), ("1/0", "out of range")):
        with pytest.raises(OptionError, match=re.escape(said)):
            parse_slice(wrong)


def test_awx_job_ids_are_kept_and_a_run_saying_nothing_has_no_slice():
    assert slice_of({}) is None
    assert slice_of({"awx_job_id": 12, "awx_workflow_job_id": 10}) == dict(
        number=None, count=None, job_id="12", workflow_job_id="10")
    assert slice_of({"tower_job_id": 5, "golive_slice": "1/2"})["job_id"] == "5"


def test_host_scoped_waivers_do_not_change_the_fingerprint():
    scoped = dict(FLEET_WAIVER, id="process:*", applies_to=["web01"])
    plain = checklist_of(["data"], ["critical"], [FLEET_WAIVER], [])
    assert checklist_of(["data"], ["critical"], [FLEET_WAIVER, scoped], [])["fingerprint"] == plain["fingerprint"]
    assert checklist_of(["data"], ["critical", "high"], [FLEET_WAIVER], [])["fingerprint"] != plain["fingerprint"]


def test_unnumbered_awx_slices_count_the_missing_one_and_name_its_hosts(tmp_path):
    paths = [_write(tmp_path, "a.json", _report(["web01", "web02"], job="11")),
             _write(tmp_path, "b.json", _report(["web05", "web06"], job="13"))]
    merge = read_slices(paths, 2, slice_count=3, expected_hosts=["web01", "web02", "web03", "web04", "web05", "web06"])
    assert merge.problems == ["1 of 3 slices missing: 2 slice reports given, the missing slices' hosts are unchecked",
                              "web03, web04: in the inventory but in no slice report (2 hosts unchecked)"]
    decision = merge.decide()
    assert decision["verdict"] == "NO-GO" and decision["counts"]["total"] == 4


def test_awx_slices_need_their_count(tmp_path):
    paths = [_write(tmp_path, "a.json", _report(["web01"], job="11"))]
    with pytest.raises(MergeError, match="slice_count: required"):
        read_slices(paths, 2)


@pytest.mark.parametrize("second, said", [
    (_report(["web03"], job="11"), "is the report of AWX job 11, and so is"),
    (_report(["web03"], job="12", workflow="78"), "their AWX workflow job ids .* differ"),
    (_report(["web01"], job="12"), "host web01 is also in"),
    (_report(["web03"], job="12", waivers=()), r"ran another checklist than .* \(fleet-wide waivers"),
    (dict(_report(["web03"], job="12"), schema_version=1), "schema version 1, but this release merges version 2"),
])
def test_slices_that_cannot_be_one_run_are_refused_naming_the_file(tmp_path, second, said):
    first = _write(tmp_path, "first.json", _report(["web01"], job="11"))
    other = _write(tmp_path, "second.json", second)
    with pytest.raises(MergeError, match=said) as refused:
        read_slices([first, other], 2, slice_count=2)
    assert "first.json" in str(refused.value) or "second.json" in str(refused.value)


def test_a_listed_report_that_does_not_exist_is_a_missing_slice(tmp_path):
    present = _write(tmp_path, "1.json", _report(["web01"], number=1, count=2))
    merge = read_slices([present, str(tmp_path / "2.json")], 2)
    assert merge.problems == [
        f"slice report {tmp_path / '2.json'} is missing: a missing slice leaves its hosts unchecked",
        "slice 2 of 2 is missing: no report for it, its hosts are unchecked"]
    assert merge.decide()["verdict"] == "NO-GO"
