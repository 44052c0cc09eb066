"""The go-live policy read from the inventory: merged per host, validated with named errors, tags and scope."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.golive.readiness.plugins.plugin_utils._policy import (
    controller_problem,
    count_endpoint_checks,
    empty_scope_problem,
    read_policy,
    unknown_tags,
    unprobed_problem,
)

TODAY = datetime.date(2026, 12, 3)
WAIVER = dict(id="disk_space:/var/log", hosts="web*", reason="resized after launch", owner="ops",
              expires="2026-12-15")
FLEET = dict(waivers=[], blocking_severities=["critical", "high"], fail_on_nogo=True, signoff=[])


def policy_of(hostvars, fleet=None):
    return read_policy(dict(FLEET, **(fleet or {})), TODAY, hostvars, list(hostvars))


def test_waiver_in_a_groups_variables_covers_that_groups_hosts_only():
    hostvars = dict(web01=dict(golive_waivers=[WAIVER]), web02=dict(golive_waivers=[WAIVER]), db01={})
    policy, errors = policy_of(hostvars)
    assert errors == []
    (waiver,) = policy.waivers
    assert waiver["applies_to"] == ["web01", "web02"]


def test_waiver_in_all_is_one_fleet_waiver():
    hostvars = dict(web01=dict(golive_waivers=[WAIVER]), db01=dict(golive_waivers=[WAIVER]))
    policy, errors = policy_of(hostvars, dict(waivers=[WAIVER]))
    assert errors == []
    assert [w["applies_to"] for w in policy.waivers] == [None]


@pytest.mark.parametrize("variable, value, message", [
    ("golive_waivers", [dict(WAIVER, expires="2026-13-45")],
     "golive_waivers[0].expires: '2026-13-45' is not a date (YYYY-MM-DD) (in the variables of web01, web02)"),
    ("golive_waivers", [dict(id="x:*", owner="ops", expires="2026-12-15")],
     "golive_waivers[0].reason: required (why the risk is accepted) (in the variables of web01, web02)"),
    ("golive_waivers", "disk_space:*",
     "golive_waivers: must be a list of waivers, got str (in the variables of web01, web02)"),
    ("golive_waivers", [dict(WAIVER, id="*", hosts="*")],
     "golive_waivers[0].id: '*' waives every check"),
    ("golive_signoff", [dict(role="release manager", name="Ann", decision="MAYBE")],
     "golive_signoff[0].decision: 'MAYBE' is not a decision"),
    ("golive_blocking_severities", ["urgent"], "golive_blocking_severities: 'urgent' is not a severity"),
    ("golive_fail_on_nogo", "maybe", "golive_fail_on_nogo: 'maybe' is not a boolean (true or false)"),
    ("golive_attestations_required", [dict(id="a"), dict(id="a")],
     "golive_attestations_required[1].id: 'a' is already required by golive_attestations_required[0]"),
    ("golive_attestations", [dict(id="a", at="2026-11-20", evidence="OPS-1")],
     "golive_attestations[0].by: required (who attests: a name or email)"),
])
def test_invalid_policy_on_hosts_is_named_with_variable_item_field_and_hosts(variable, value, message):
    hostvars = dict(web01={variable: value}, web02={variable: value})
    _policy, errors = policy_of(hostvars)
    assert len(errors) == 1
    assert errors[0].startswith(message)
    assert "web01, web02" in errors[0]


def test_invalid_fleet_value_is_named_without_hosts():
    _policy, errors = read_policy(dict(FLEET, fail_on_nogo="maybe", blocking_severities=["urgent"]), TODAY)
    assert errors == ["golive_blocking_severities: 'urgent' is not a severity (critical, high, medium, low)",
                      "golive_fail_on_nogo: 'maybe' is not a boolean (true or false)"]


def test_fleet_wide_setting_differing_on_a_host_is_an_error_naming_it():
    hostvars = dict(web01=dict(golive_blocking_severities=["critical"]), db01={})
    _policy, errors = policy_of(hostvars)
    assert errors == ["golive_blocking_severities is fleet-wide (set it for group all, or with -e): web01 has "
                      "['critical'], the fleet has ['critical', 'high']"]


def test_fleet_wide_setting_equal_on_every_host_is_accepted():
    signoff = [dict(role="release manager", name="Ann", decision="GO")]
    hostvars = dict(web01=dict(golive_signoff=signoff, golive_fail_on_nogo="yes"))
    policy, errors = policy_of(hostvars, dict(signoff=signoff))
    assert errors == []
    assert policy.signoff[0]["decision"] == "GO" and policy.fail_on_nogo is True


def test_every_problem_is_reported_not_only_the_first():
    hostvars = dict(web01=dict(golive_waivers="x", golive_signoff="y"))
    _policy, errors = policy_of(hostvars)
    assert [e.split(":")[0] for e in errors] == ["golive_waivers", "golive_signoff"]


@pytest.mark.parametrize("run_tags, skip_tags, problems", [
    (["all"], [], []),
    (["infrastructure", "always"], ["backup", "never"], []),
    (["infrastrucure"], [], ["unknown tag 'infrastrucure' in --tags"]),
    (["all"], ["securty"], ["unknown tag 'securty' in --skip-tags"]),
])
def test_unknown_section_tag_is_named_with_the_known_sections(run_tags, skip_tags, problems):
    found = unknown_tags(run_tags, skip_tags)
    assert [p.split(":")[0] for p in found] == problems
    assert all("infrastructure, application, security, services, data, monitoring, backup" in p for p in found)


def test_scope_problems_name_pattern_limit_and_probe_group():
    assert empty_scope_problem([], "wbe", None) == [
        "no host in scope: the host pattern 'wbe' (golive_hosts) selects no host"]
    assert empty_scope_problem(["web01"], "web", None) == []
    assert unprobed_problem([], "bastoin", "web*", 3) == [
        "probe group 'bastoin' (golive_probe_group) with --limit 'web*' matches no host: 3 endpoint checks did not run"]
    assert unprobed_problem([], "bastoin", None, 0) == []
    assert controller_problem(False, "web01")[0].startswith("--limit 'web01' leaves out localhost")
    assert controller_problem(True, "web01,localhost") == []


def test_endpoint_checks_are_counted_from_every_scope_host():
    hostvars = dict(web01=dict(golive_endpoint_checks=[{}, {}], golive_probe_checks={"kind": "tcp_port"}),
                    web02=dict(golive_endpoint_checks=[]), db01={})
    assert count_endpoint_checks(hostvars, ["web01", "web02", "db01"],
                                 ["golive_endpoint_checks", "golive_probe_checks"]) == 3


def test_named_waiver_variables_add_to_golive_waivers_on_the_hosts_that_carry_them():
    own = dict(WAIVER, id="backup_restore:*")
    hostvars = dict(
        localhost=dict(golive_waivers=[WAIVER]),
        worker01=dict(golive_waivers=[WAIVER], golive_waivers_worker01=[own]),
        worker02=dict(golive_waivers=[WAIVER]))
    policy, errors = policy_of(hostvars, dict(waivers=[WAIVER]))
    assert errors == []
    assert [(w["id"], w["applies_to"]) for w in policy.waivers] == [
        ("disk_space:/var/log", None), ("backup_restore:*", ["worker01"])]


def test_invalid_named_waiver_variable_is_named():
    hostvars = dict(web01=dict(golive_waivers_web=[dict(WAIVER, expires="soon")]))
    _policy, errors = policy_of(hostvars)
    assert errors == ["golive_waivers_web[0].expires: 'soon' is not a date (YYYY-MM-DD) (in the variables of web01)"]


def test_attestations_are_fleet_wide_and_validated_with_the_policy():
    required = [dict(id="rollback-rehearsed", max_age="30d")]
    attested = [dict(id="rollback-rehearsed", by="ann", at="2026-11-20", evidence="OPS-1")]
    fleet = dict(attestations_required=required, attestations=attested)
    hostvars = dict(web01=dict(golive_attestations_required=required, golive_attestations=attested), db01={})
    policy, errors = policy_of(hostvars, fleet)
    assert errors == []
    assert [item["id"] for item in policy.attestations_required] == ["rollback-rehearsed"]
    assert policy.attestations[0]["by"] == "ann"
    # A group attesting on its own is refused: one list of attestations judges the whole release.
    own = dict(web01=dict(golive_attestations=attested), db01={})
    _policy, errors = policy_of(own, dict(attestations_required=required))
    assert errors == ["golive_attestations is fleet-wide (set it for group all, or with -e): web01 has "
                      f"{policy.attestations!r}, the fleet has []"]


def test_an_invalid_fleet_attestation_names_the_variable_item_and_field():
    _policy, errors = read_policy(dict(FLEET, attestations=[dict(id="a", by="ann", at="2026-13-45", evidence="e")]),
                                  TODAY)
    assert errors == ["golive_attestations[0].at: '2026-13-45' is not a date or date-time "
                      "(YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)"]
