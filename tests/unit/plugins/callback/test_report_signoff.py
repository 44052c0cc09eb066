"""Sign-off rules: who may sign what, the status and summary, and the validation of golive_signoff."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._verdict import (
    GO,
    GO_WITH_WARNINGS,
    NO_GO,
    evaluate_signoff,
    normalise_signoff,
)


def approvers(*decisions):
    names = ("Ann", "Bo", "Cy", "Di")
    return normalise_signoff([dict(role=f"role{index}", name=names[index], decision=decision)
                              for index, decision in enumerate(decisions)])


@pytest.mark.parametrize("verdict, decision, accepted", [
    (NO_GO, GO, False), (NO_GO, GO_WITH_WARNINGS, False), (NO_GO, NO_GO, True), (NO_GO, None, True),
    (GO_WITH_WARNINGS, GO, True), (GO_WITH_WARNINGS, GO_WITH_WARNINGS, True), (GO_WITH_WARNINGS, NO_GO, True),
    (GO, GO, True), (GO, GO_WITH_WARNINGS, True), (GO, NO_GO, True),
])
def test_which_decisions_each_verdict_accepts(verdict, decision, accepted):
    (judged,) = evaluate_signoff(approvers(decision), verdict)["approvers"]
    assert judged["accepted"] is accepted
    assert (judged["note"] == f"a {verdict} run cannot be signed off as {decision}") is (not accepted)


@pytest.mark.parametrize("verdict, decisions, status, summary", [
    (GO, [], "not_required", "no approvers configured"),
    (GO, [GO, GO], "signed", "2 of 2 approvers signed GO"),
    (GO_WITH_WARNINGS, [GO_WITH_WARNINGS, GO], "signed", "2 of 2 approvers signed GO WITH WARNINGS"),
    (GO, [GO, None, None], "pending", "1 of 3 approvers signed GO; waiting for role1 (Bo), role2 (Cy)"),
    (GO, [GO, NO_GO, None], "rejected", "role1 (Bo) signed NO-GO"),
    (NO_GO, [NO_GO, NO_GO], "rejected", "role0 (Ann), role1 (Bo) signed NO-GO"),
    (NO_GO, [GO, GO_WITH_WARNINGS, NO_GO], "rejected",
     "a NO-GO cannot be signed off as GO: role0 (Ann) signed GO, role1 (Bo) signed GO WITH WARNINGS"),
    (NO_GO, [None], "pending", "no decision yet; waiting for role0 (Ann)"),
])
def test_status_and_summary(verdict, decisions, status, summary):
    signoff = evaluate_signoff(approvers(*decisions), verdict)
    assert (signoff["status"], signoff["summary"]) == (status, summary)


def test_a_go_on_a_run_with_warnings_is_noted():
    (judged,) = evaluate_signoff(approvers(GO), GO_WITH_WARNINGS)["approvers"]
    assert judged["accepted"] and judged["note"] == "signed GO on a run with warnings: counted as GO WITH WARNINGS"


def test_judging_again_against_another_verdict():
    # The callback re-judges the gate's approvers against its own verdict (failed tasks make it NO-GO).
    at_gate = evaluate_signoff(approvers(GO), GO)
    assert at_gate["status"] == "signed"
    again = evaluate_signoff(normalise_signoff(at_gate["approvers"]), NO_GO)
    assert again["status"] == "rejected" and again["approvers"][0]["accepted"] is False


@pytest.mark.parametrize("spelled, decision", [
    ("GO", GO), ("go", GO), ("Go With Warnings", GO_WITH_WARNINGS), ("go_with_warnings", GO_WITH_WARNINGS),
    ("NO-GO", NO_GO), ("no_go", NO_GO), ("NOGO", NO_GO), ("", None), (None, None),
])
def test_decision_spellings(spelled, decision):
    (approver,) = normalise_signoff([dict(role="qa", name="Cy", decision=spelled)])
    assert approver["decision"] == decision


def test_an_approver_normalised():
    (approver,) = normalise_signoff([dict(role=" release manager ", name="Ann", decision="go",
                                          date=datetime.date(2030, 6, 1), comment=42)])
    assert approver == dict(role="release manager", name="Ann", decision=GO, date="2030-06-01", comment="42")


@pytest.mark.parametrize("value, message", [
    ("Ann", "golive_signoff: must be a list of approvers (role, name, decision, date, comment), got str"),
    ({"role": "qa"}, "golive_signoff: must be a list of approvers"),
    (["Ann"], "golive_signoff[0]: must be a dictionary with role and name"),
    ([dict(name="Ann")], "golive_signoff[0].role: required"),
    ([dict(role="qa", name="")], "golive_signoff[0].name: required (who signs)"),
    ([dict(role="qa", name=["Ann"])], "golive_signoff[0].name: must be a non-empty string"),
    ([dict(role="qa", name="Ann"), dict(role="qa", name="Bo", decision="yes")],
     "golive_signoff[1].decision: 'yes' is not a decision (GO, GO WITH WARNINGS, NO-GO, or empty while pending)"),
    ([dict(role="qa", name="Ann", decision=True)], "golive_signoff[0].decision: True is not a decision"),
    ([dict(role="qa", name="Ann", date="01/06/2030")], "golive_signoff[0].date: '01/06/2030' is not a date"),
    ([dict(role="qa", name="Ann", date="2030-02-30")], "golive_signoff[0].date: '2030-02-30' is not a date"),
    ([dict(role="qa", name="Ann", comment=["x"])], "golive_signoff[0].comment: must be a string"),
    ([dict(role="qa", name="Ann", signed=True)], "golive_signoff[0]: unknown key 'signed'"),
])
def test_invalid_sign_off_names_the_entry_and_field(value, message):
    with pytest.raises(OptionError) as caught:
        normalise_signoff(value, "golive_signoff")
    assert message in str(caught.value)


def test_empty_sign_off():
    assert normalise_signoff(None) == normalise_signoff("") == normalise_signoff([]) == []
