"""Slice reports read from real files and checked: slice identity, missing slices, what is refused."""

from __future__ import annotations

import datetime
import json
import re

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.plugin_utils._attestations import (
    grade,
    normalise_attestations,
    normalise_required,
)
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


def test_slices_over_the_total_size_cap_are_refused_before_any_is_decoded(tmp_path, monkeypatch):
    from ansible_collections.golive.readiness.plugins.plugin_utils import _report_merge

    paths = [_write(tmp_path, f"{n}.json", _report([f"web0{n}"], number=n, count=2)) for n in (1, 2)]
    monkeypatch.setattr(_report_merge, "MAX_MERGED_BYTES", 100)
    with pytest.raises(MergeError, match=r"the 2 slice reports hold [0-9]+ bytes together, over the size cap "
                                         r"MAX_MERGED_BYTES"):
        read_slices(paths, 2)


def _attested_report(hosts, number, generated_at, attested_by):
    """A slice's report whose gate graded the run's attestations about its own localhost."""
    required = normalise_required([dict(id="rollback-rehearsed"), dict(id="team-briefed", missing_status="warn")])
    attested = normalise_attestations([dict(id="rollback-rehearsed", by=by, at="2026-12-01", evidence="OPS-5")
                                       for by in attested_by])
    records = grade(required, attested, datetime.datetime(2026, 12, 3, 10, tzinfo=datetime.timezone.utc))
    report = _report(hosts, number=number, count=2)
    report["checks"] += records
    report["hosts"].append(dict(name="localhost", status="ok", checks=len(records)))
    report["generated_at"] = generated_at
    report["checklist"] = checklist_of(["infrastructure"], ["critical", "high"], [FLEET_WAIVER], [], report["checks"])
    return report


def test_merged_slices_keep_the_runs_attestations_once_the_newest_slices(tmp_path):
    first = _write(tmp_path, "1.json", _attested_report(["web01"], 1, "2026-12-03T10:00:00Z", ["ann"]))
    second = _write(tmp_path, "2.json", _attested_report(["web02"], 2, "2026-12-03T10:05:00Z", ["bo"]))
    merge = read_slices([first, second], 2)
    # localhost carries only the attestations in each slice: it is no slice's host, so the slices do not overlap.
    assert [report.host_names for report in merge.reports] == [["web01"], ["web02"]]
    decision = merge.decide()
    attestations = [(c["host"], c["id"], c["status"]) for c in decision["checks"] if c["kind"] == "attestation"]
    assert attestations == [("localhost", "attestation:rollback-rehearsed", "pass"),
                            ("localhost", "attestation:team-briefed", "warn")]
    (rehearsed,) = [c for c in decision["checks"] if c["id"] == "attestation:rollback-rehearsed"]
    assert rehearsed["observed"]["by"] == "bo"  # the newest slice's grading
    assert decision["verdict"] == "GO WITH WARNINGS" and decision["counts"]["total"] == 4


def test_slices_requiring_other_attestations_are_refused(tmp_path):
    first = _attested_report(["web01"], 1, "2026-12-03T10:00:00Z", ["ann"])
    second = _attested_report(["web02"], 2, "2026-12-03T10:05:00Z", ["ann"])
    second["checks"] = [c for c in second["checks"] if c["id"] != "attestation:team-briefed"]
    second["checklist"] = checklist_of(["infrastructure"], ["critical", "high"], [FLEET_WAIVER], [], second["checks"])
    # What was attested, and when, does not change the fingerprint; what is required does.
    assert first["checklist"]["fingerprint"] == _attested_report(["web03"], 1, "x", ["cy"])["checklist"]["fingerprint"]
    with pytest.raises(MergeError, match=r"ran another checklist than .* \(required attestations"):
        read_slices([_write(tmp_path, "1.json", first), _write(tmp_path, "2.json", second)], 2)
