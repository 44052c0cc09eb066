"""Attestations: the human items validated with named errors, graded against the run's time, and decided."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.golive.readiness.plugins.callback.report import decision_document
from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._verdict import GO, GO_WITH_WARNINGS, NO_GO, decide
from ansible_collections.golive.readiness.plugins.plugin_utils._attestations import (
    attestations_of,
    attestations_summary,
    grade,
    normalise_attestations,
    normalise_required,
)
from ansible_collections.golive.readiness.plugins.plugin_utils._report_history import history_of

NOW = datetime.datetime(2026, 12, 3, 12, 0, tzinfo=datetime.timezone.utc)
REQUIRED = "golive_attestations_required"
ATTESTED = "golive_attestations"


def required(*items):
    return normalise_required(list(items), REQUIRED)


def attested(*entries):
    return normalise_attestations([dict(dict(evidence="OPS-1"), **entry) for entry in entries], ATTESTED)


def graded(items, entries, now=NOW):
    return dict((record["id"], record) for record in grade(required(*items), attested(*entries), now))


# --- validation ------------------------------------------------------------------------------------


def test_required_items_take_their_defaults():
    (item,) = required(dict(id="code-reviewed"))
    assert item == dict(id="code-reviewed", title="code-reviewed", severity="high", allowed_by=[], max_age=None,
                        section="attestations", hint=None, contact=None, missing_status="fail")
    (item,) = required(dict(id="rollback", allowed_by="ann@shop", max_age="30d", severity="Critical"))
    assert (item["allowed_by"], item["max_age"], item["severity"]) == (["ann@shop"], 30 * 86400, "critical")


@pytest.mark.parametrize("items, message", [
    ([dict(id="a", approver="ann")],
     "golive_attestations_required[0]: unknown key 'approver' (allowed: id, title, severity, allowed_by, max_age, "
     "section, hint, contact, missing_status)"),
    ([dict(id="a"), dict(id="b"), dict(id="a")],
     "golive_attestations_required[2].id: 'a' is already required by golive_attestations_required[0]"),
    ([dict(title="Code reviewed")], "golive_attestations_required[0].id: required (what is attested"),
    ([dict(id="a", max_age="a month")], "golive_attestations_required[0].max_age: "),
    ([dict(id="a", max_age="0s")], "golive_attestations_required[0].max_age: must be longer than 0s"),
    ([dict(id="a", severity="urgent")],
     "golive_attestations_required[0].severity: 'urgent' is not one of critical, high, medium, low"),
    ([dict(id="a", missing_status="pass")],
     "golive_attestations_required[0].missing_status: 'pass' is not one of fail, warn"),
    ([dict(id="a", allowed_by=[])], "golive_attestations_required[0].allowed_by: must be a name or email"),
    ([dict(id="a", hint="x" * 1001)], "golive_attestations_required[0].hint: longer than 1000 characters (1001)"),
    ("code-reviewed", "golive_attestations_required: must be a list of required items (id, title, ...), got str"),
    (["code-reviewed"], "golive_attestations_required[0]: must be a dictionary with id and title"),
], ids=["unknown-key", "duplicate", "no-id", "max-age", "zero-age", "severity", "missing-status", "allowed-by",
        "hint-cap", "not-a-list", "not-a-dict"])
def test_invalid_required_items_are_named_by_variable_item_and_field(items, message):
    with pytest.raises(OptionError) as caught:
        normalise_required(items, REQUIRED)
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize("entry, message", [
    (dict(id="a", at="2026-11-20", evidence="e"), "golive_attestations[0].by: required (who attests"),
    (dict(id="a", by="ann", evidence="e"), "golive_attestations[0].at: required (YYYY-MM-DD or"),
    (dict(id="a", by="ann", at="2026-13-45", evidence="e"),
     "golive_attestations[0].at: '2026-13-45' is not a date or date-time (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)"),
    (dict(id="a", by="ann", at="last week", evidence="e"), "golive_attestations[0].at: 'last week' is not a date"),
    (dict(id="a", by="ann", at="2026-11-20"), "golive_attestations[0].evidence: required (a link or ticket"),
    (dict(id="a", by="ann", at="2026-11-20", evidence="e", expires="soon"),
     "golive_attestations[0].expires: 'soon' is not a date (YYYY-MM-DD)"),
    (dict(id="a", by="ann", at="2026-11-20", evidence="e", signed=True),
     "golive_attestations[0]: unknown key 'signed' (allowed: id, by, at, evidence, expires, note)"),
    (dict(id="a", by=["ann"], at="2026-11-20", evidence="e"), "golive_attestations[0].by: must be a string"),
], ids=["no-by", "no-at", "bad-date", "not-a-date", "no-evidence", "bad-expires", "unknown-key", "by-list"])
def test_invalid_attestations_are_named_by_variable_item_and_field(entry, message):
    with pytest.raises(OptionError) as caught:
        normalise_attestations([dict(id="b", by="bo", at="2026-11-01", evidence="e"), entry], ATTESTED)
    assert str(caught.value).startswith(message.replace("[0]", "[1]"))


def test_dates_and_date_times_are_read_as_utc_and_yaml_dates_work_too():
    entries = normalise_attestations([
        dict(id="a", by="ann", at=datetime.date(2026, 11, 20), evidence="e", expires=datetime.date(2026, 12, 31)),
        dict(id="a", by="ann", at="2026-11-20T15:30:00+01:00", evidence="e"),
        dict(id="a", by="ann", at="2026-11-20T15:30", evidence="e"),
    ], ATTESTED)
    assert [(e["at"], e["expires"]) for e in entries] == [
        ("2026-11-20", "2026-12-31"), ("2026-11-20T14:30:00Z", None), ("2026-11-20T15:30:00Z", None)]


def test_a_password_in_an_evidence_url_is_masked():
    (entry,) = normalise_attestations([dict(id="a", by="ann", at="2026-11-20",
                                            evidence="https://ci:s3cr3t-token@ci.example.com/job/7")], ATTESTED)
    assert entry["evidence"] == "https://ci:****@ci.example.com/job/7"


# --- grading ----------------------------------------------------------------------------------------


def test_an_attested_item_passes_with_who_when_and_the_evidence():
    records = graded([dict(id="code-reviewed", title="Code reviewed", hint="review it", contact="dev")],
                     [dict(id="code-reviewed", by="ann@shop", at="2026-11-20", evidence="https://git/pr/4")])
    record = records["attestation:code-reviewed"]
    assert (record["status"], record["kind"], record["host"], record["section"], record["severity"]) == (
        "pass", "attestation", "localhost", "attestations", "high")
    assert record["summary"] == "attested by ann@shop on 2026-11-20 (evidence: https://git/pr/4)"
    assert record["observed"] == dict(by="ann@shop", at="2026-11-20", evidence="https://git/pr/4",
                                      age_seconds=dict(value=(13 * 86400 + 12 * 3600), unit="seconds"))
    assert record["expected"] == dict(required=True)
    assert (record["hint"], record["contact"]) == ("review it", "dev")


@pytest.mark.parametrize("item, entry, summary", [
    (dict(id="r"), None, "not attested: nobody attested 'r'"),
    (dict(id="r"), dict(expires="2026-12-02"), "expired on 2026-12-02 (attested by ann on 2026-11-20)"),
    (dict(id="r", max_age="7d"), dict(), "stale: attested 13d 12h ago (max age 7d) (attested by ann on 2026-11-20)"),
    (dict(id="r", allowed_by=["bo@shop", "cy@shop"]), dict(),
     "ann is not allowed to attest it (allowed: bo@shop, cy@shop) (attested by ann on 2026-11-20)"),
    (dict(id="r"), dict(at="2026-12-03T12:00:01Z"),
     "attested in the future (2026-12-03T12:00:01Z) (attested by ann on 2026-12-03T12:00:01Z)"),
    (dict(id="r"), dict(at="2026-12-04"), "attested in the future (2026-12-04) (attested by ann on 2026-12-04)"),
], ids=["missing", "expired", "stale", "not-allowed", "future-moment", "future-day"])
def test_missing_expired_stale_disallowed_and_future_attestations_fail(item, entry, summary):
    entries = [] if entry is None else [dict(dict(id="r", by="ann", at="2026-11-20"), **entry)]
    record = graded([item], entries)["attestation:r"]
    assert (record["status"], record["summary"]) == ("fail", summary)


def test_boundaries_count_for_the_attestation():
    # Valid through its expiry day, exactly max_age old is not stale, allowed_by ignores case, now is not future.
    records = graded([dict(id="a"), dict(id="b", max_age="324h"), dict(id="c", allowed_by="Ann@Shop"),
                      dict(id="d")],
                     [dict(id="a", by="x", at="2026-11-01", expires="2026-12-03"),
                      dict(id="b", by="x", at="2026-11-20"), dict(id="c", by="ann@shop", at="2026-11-20"),
                      dict(id="d", by="x", at="2026-12-03T12:00:00Z")])
    assert [r["status"] for r in records.values()] == ["pass"] * 4


def test_the_newest_attestation_that_counts_passes_the_item():
    records = graded([dict(id="r", allowed_by=["ann", "bo"], max_age="30d")], [
        dict(id="r", by="ann", at="2026-10-01", evidence="old"),  # stale
        dict(id="r", by="bo", at="2026-11-25", evidence="valid"),
        dict(id="r", by="eve", at="2026-12-01", evidence="newest, not allowed"),
        dict(id="r", by="ann", at="2026-11-20", evidence="older valid"),
    ])
    record = records["attestation:r"]
    assert (record["status"], record["observed"]["by"], record["observed"]["evidence"]) == ("pass", "bo", "valid")
    assert record["expected"] == dict(required=True, allowed_by=["ann", "bo"],
                                      age_seconds=dict(fail={"above": 30 * 86400}, unit="seconds"))


def test_without_any_that_counts_the_newest_says_why_and_the_older_are_counted():
    record = graded([dict(id="r", max_age="7d")], [dict(id="r", by="ann", at="2026-10-01"),
                                                   dict(id="r", by="bo", at="2026-11-01")])["attestation:r"]
    assert record["status"] == "fail"
    assert record["summary"] == ("stale: attested 32d 12h ago (max age 7d) (attested by bo on 2026-11-01) "
                                 "(1 older attestation did not count either)")


def test_a_missing_item_may_be_a_warning_but_a_bad_attestation_still_fails():
    items = [dict(id="briefed", missing_status="warn", severity="medium")]
    assert graded(items, [])["attestation:briefed"]["status"] == "warn"
    late = graded(items, [dict(id="briefed", by="ann", at="2026-11-01", expires="2026-11-30")])
    assert late["attestation:briefed"]["status"] == "fail"


def test_an_attestation_of_an_id_nobody_requires_is_a_warning_naming_the_nearest_id():
    records = graded([dict(id="rollback-rehearsed"), dict(id="code-reviewed")],
                     [dict(id="rollback-rehearsed", by="ann", at="2026-11-20"),
                      dict(id="rolback-rehearsed", by="bo", at="2026-11-21"),
                      dict(id="rolback-rehearsed", by="bo", at="2026-11-22")])
    assert list(records) == ["attestation:rollback-rehearsed", "attestation:code-reviewed",
                             "attestation:rolback-rehearsed"]
    typo = records["attestation:rolback-rehearsed"]
    assert (typo["status"], typo["severity"], typo["expected"]) == ("warn", "low", dict(required=False))
    assert typo["summary"] == ("attested by bo on 2026-11-22, but no required item has this id "
                               "(did you mean 'rollback-rehearsed'?)")
    assert graded([], [dict(id="x", by="bo", at="2026-11-22")])["attestation:x"]["summary"].endswith(
        "(no item is required)")


# --- the verdict and the report's part ---------------------------------------------------------------


def _decided(items, entries, waivers=()):
    return decide(grade(required(*items), attested(*entries), NOW), list(waivers), today=NOW.date())


def test_a_missing_required_item_is_no_go_an_attested_one_go_a_warn_item_go_with_warnings():
    missing = _decided([dict(id="r", title="Rollback rehearsed")], [])
    assert missing["verdict"] == NO_GO
    assert [reason["text"] for reason in missing["reasons"]] == [
        "localhost attestation:r fail: not attested: nobody attested 'Rollback rehearsed'"]
    assert _decided([dict(id="r")], [dict(id="r", by="ann", at="2026-11-20")])["verdict"] == GO
    assert _decided([dict(id="r", missing_status="warn")], [])["verdict"] == GO_WITH_WARNINGS
    assert _decided([dict(id="r", severity="medium")], [])["verdict"] == GO_WITH_WARNINGS


def test_a_failing_item_is_waived_like_any_check():
    waiver = dict(id="attestation:r", hosts=["*"], reason="briefed on launch day", owner="dana", expires="2026-12-15",
                  ticket=None, catch_all=False, expired=False, applies_to=None)
    decision = _decided([dict(id="r")], [], [waiver])
    assert decision["verdict"] == GO_WITH_WARNINGS
    section = attestations_of(decision["checks"])
    (item,) = section["items"]
    assert (item["status"], item["waiver"]["reason"], item["blocking"]) == ("fail", "briefed on launch day", False)


def test_the_reports_part_lists_required_items_first_with_their_counts():
    decision = _decided([dict(id="a"), dict(id="b", missing_status="warn")],
                        [dict(id="x", by="bo", at="2026-11-20"), dict(id="a", by="ann", at="2026-11-20")])
    section = attestations_of(decision["checks"])
    assert [(i["id"], i["status"], i["required"], i["by"]) for i in section["items"]] == [
        ("attestation:a", "pass", True, "ann"), ("attestation:b", "warn", True, None),
        ("attestation:x", "warn", False, "bo")]
    assert (section["required"], section["by_status"]) == (2, {"pass": 1, "warn": 1})
    assert attestations_summary(section) == "1 of 2 required items attested (1 warn, 1 not required)"


def test_history_compares_attestations_like_other_checks():
    def report(entries):
        decision = _decided([dict(id="r"), dict(id="briefed", missing_status="warn")], entries)
        return decision_document(decision, "2026-12-03T12:00:00Z", {}, [], {})

    before = report([])
    after = report([dict(id="r", by="ann", at="2026-11-20")])
    history = history_of(before, after)
    assert [(c["host"], c["id"], c["before"], c["after"]) for c in history["fixed"]] == [
        ("localhost", "attestation:r", "fail", "pass")]
    again = history_of(after, report([dict(id="r", by="ann", at="2026-11-20", expires="2026-12-01")]))
    assert [(c["id"], c["before"], c["after"]) for c in again["regressions"]] == [("attestation:r", "pass", "fail")]
    assert history["new"] == history["removed"] == again["new"] == []
