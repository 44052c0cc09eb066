"""Unit tests of the verdict rules, waivers and counts shared by the gate and the report callback."""

from __future__ import annotations

import ast
import datetime
import os

import pytest

from ansible_collections.golive.readiness.plugins.module_utils import _verdict
from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._verdict import (
    GO,
    GO_WITH_WARNINGS,
    NO_GO,
    NOTHING_CHECKED,
    decide,
    describe_verdict,
    normalise_flag,
    normalise_severities,
    normalise_waivers,
    reason_lines,
    records_of_result,
    scoped_waivers,
    short_message,
    tag_record,
)

TODAY = datetime.date(2025, 6, 15)
YESTERDAY = "2025-06-14"


def rec(host, check_id="disk_space:/", status="pass", severity="high", section="infrastructure"):
    return dict(id=check_id, kind=check_id.split(":")[0], section=section, title=f"Title of {check_id}",
                status=status, severity=severity, summary=f"{check_id} is {status}",
                observed={}, expected={}, duration_ms=3, host=host)


def waiver(check_id="disk_space:*", hosts=None, expires="2025-06-15", **extra):
    result = dict(id=check_id, reason="accepted for the launch", owner="ops", expires=expires)
    if hosts is not None:
        result["hosts"] = hosts
    result.update(extra)
    return result


def decided(records, waivers=(), today=None, **kwargs):
    """decide() over waivers as the policy hands them over: validated once, their expiry judged on ``today``."""
    return decide(records, normalise_waivers(waivers, today), today=today, **kwargs)


def blocking_lines(decision):
    return reason_lines(decision["reasons"])


def refs(checks):
    return sorted((c["host"], c["id"]) for c in checks)


# (name, records, decided() keyword arguments, verdict, blocking (host, id), warnings (host, id))
VERDICT_CASES = [
    ("everything passed", [rec("web01"), rec("web02")], {}, GO, [], []),
    ("skipped is fine", [rec("web01"), rec("web01", "path:/x", "skipped")], {}, GO, [], []),
    ("nothing checked is never go", [], {}, NO_GO, [], []),
    ("warn only", [rec("web01"), rec("web02", status="warn")], {}, GO_WITH_WARNINGS, [],
     [("web02", "disk_space:/")]),
    ("fail of low severity", [rec("web01", status="fail", severity="low")], {}, GO_WITH_WARNINGS, [],
     [("web01", "disk_space:/")]),
    ("error of medium severity", [rec("web01", status="error", severity="medium")], {}, GO_WITH_WARNINGS, [],
     [("web01", "disk_space:/")]),
    ("fail of critical severity", [rec("web01"), rec("web02", status="fail", severity="critical")], {}, NO_GO,
     [("web02", "disk_space:/")], []),
    ("error of high severity", [rec("web01", status="error", severity="high")], {}, NO_GO,
     [("web01", "disk_space:/")], []),
    ("waived critical fail, waiver expires today", [rec("web01", status="fail", severity="critical")],
     dict(waivers=[waiver(expires="2025-06-15")]), GO_WITH_WARNINGS, [], [("web01", "disk_space:/")]),
    ("waiver expired yesterday does not apply", [rec("web01", status="fail", severity="critical")],
     dict(waivers=[waiver(expires=YESTERDAY)]), NO_GO, [("web01", "disk_space:/")], []),
    ("id glob covers every disk but not tls",
     [rec("web01", "disk_space:/", "fail"), rec("web01", "disk_space:/var", "fail"),
      rec("web01", "tls_certificate:api:443", "fail")],
     dict(waivers=[waiver("disk_space:*")]), NO_GO, [("web01", "tls_certificate:api:443")],
     [("web01", "disk_space:/"), ("web01", "disk_space:/var")]),
    ("host glob covers web01 and web02, not web03",
     [rec("web01", status="fail"), rec("web02", status="fail"), rec("web03", status="fail")],
     dict(waivers=[waiver("disk_space:/", hosts="web0[12]")]), NO_GO, [("web03", "disk_space:/")],
     [("web01", "disk_space:/"), ("web02", "disk_space:/")]),
    ("host list of globs", [rec("db1", status="fail"), rec("web03", status="fail"), rec("web04", status="fail")],
     dict(waivers=[waiver(hosts=["db*", "web03"])]), NO_GO, [("web04", "disk_space:/")],
     [("db1", "disk_space:/"), ("web03", "disk_space:/")]),
    ("globs are case-sensitive", [rec("Web01", status="fail")], dict(waivers=[waiver(hosts="web*")]), NO_GO,
     [("Web01", "disk_space:/")], []),
    ("waiver as a YAML date object", [rec("web01", status="fail")],
     dict(waivers=[waiver(expires=datetime.date(2025, 6, 20))]), GO_WITH_WARNINGS, [], [("web01", "disk_space:/")]),
    ("host without results", [rec("web01")], dict(hosts_without_results=["web02"]), NO_GO, [], []),
    ("unreachable host", [rec("web01")], dict(unreachable={"web02": "connection refused"}), NO_GO, [], []),
    ("failed task outside the checks", [rec("web01")],
     dict(failed_tasks=[dict(host="web01", task="Install", message="boom")]), NO_GO, [], []),
    ("only critical blocks", [rec("web01", status="fail", severity="high")],
     dict(blocking_severities=["critical"]), GO_WITH_WARNINGS, [], [("web01", "disk_space:/")]),
    ("no blocking severities at all", [rec("web01", status="error", severity="critical")],
     dict(blocking_severities=[]), GO_WITH_WARNINGS, [], [("web01", "disk_space:/")]),
    ("medium blocks when asked", [rec("web01", status="fail", severity="medium")],
     dict(blocking_severities="critical,medium"), NO_GO, [("web01", "disk_space:/")], []),
    ("unknown status counts as error", [rec("web01", status="maybe")], {}, NO_GO, [("web01", "disk_space:/")], []),
    ("unknown severity blocks", [rec("web01", status="fail", severity="urgent")],
     dict(blocking_severities=["critical"]), NO_GO, [("web01", "disk_space:/")], []),
    ("waived warning is still a warning", [rec("web01", status="warn")], dict(waivers=[waiver()]),
     GO_WITH_WARNINGS, [], [("web01", "disk_space:/")]),
    ("waiver on a passing check changes nothing", [rec("web01")], dict(waivers=[waiver()]), GO, [], []),
]


@pytest.mark.parametrize("records, kwargs, verdict, blocking, warnings",
                         [case[1:] for case in VERDICT_CASES], ids=[case[0] for case in VERDICT_CASES])
def test_verdict_rules(records, kwargs, verdict, blocking, warnings):
    decision = decided(records, today=TODAY, **kwargs)
    assert decision["verdict"] == verdict
    assert refs(decision["blocking"]) == sorted(blocking)
    assert refs(decision["warnings"]) == sorted(warnings)
    assert all(c["blocking"] for c in decision["blocking"])
    assert not any(c["blocking"] for c in decision["warnings"])


def test_waived_item_is_shown_with_its_waiver():
    decision = decided([rec("web01", status="fail", severity="critical")],
                       [waiver("disk_space:*", "web*", ticket="OPS-1")], today=TODAY)
    (check,) = decision["checks"]
    assert check["waiver"] == dict(id="disk_space:*", hosts=["web*"], reason="accepted for the launch",
                                   owner="ops", expires="2025-06-15", ticket="OPS-1", catch_all=False,
                                   applies_to=None)
    assert decision["applied_waivers"] == [dict(host="web01", id="disk_space:/", status="fail",
                                                severity="critical", waiver=check["waiver"])]
    assert decision["counts"]["waived"] == 1
    assert decision["counts"]["blocking"] == 0


def test_expired_waiver_is_reported_with_what_it_matched_and_not_applied():
    decision = decided([rec("web01", status="fail"), rec("web02", status="fail")],
                       [waiver(hosts="web01", expires=YESTERDAY)], today=TODAY)
    assert decision["applied_waivers"] == []
    (expired,) = decision["expired_waivers"]
    assert expired["expired"] is True
    assert expired["matched"] == [dict(host="web01", id="disk_space:/")]
    assert decision["unused_waivers"] == []
    assert "waiver" not in decision["checks"][0]


def test_valid_waiver_applies_even_when_an_expired_one_matches_too():
    decision = decided([rec("web01", status="fail")],
                       [waiver(expires=YESTERDAY, reason="old"), waiver(reason="renewed")], today=TODAY)
    assert decision["verdict"] == GO_WITH_WARNINGS
    assert decision["applied_waivers"][0]["waiver"]["reason"] == "renewed"
    assert [w["reason"] for w in decision["expired_waivers"]] == ["old"]


def test_unused_waivers_are_those_matching_no_problem():
    waivers = [waiver("disk_space:/"), waiver("tls_certificate:*"), waiver("disk_space:/", hosts="db*"),
               waiver("disk_space:/", expires=YESTERDAY, hosts="web02")]
    decision = decided([rec("web01", status="fail"), rec("web02")], waivers, today=TODAY)
    assert [(w["id"], w["hosts"]) for w in decision["unused_waivers"]] == [
        ("tls_certificate:*", ["*"]), ("disk_space:/", ["db*"]), ("disk_space:/", ["web02"])]
    assert decision["expired_waivers"] == []


def test_waiver_expiring_today_applies_with_the_real_date():
    today = datetime.date.today()
    decision = decided([rec("web01", status="fail")], [waiver(expires=today)])
    assert decision["verdict"] == GO_WITH_WARNINGS
    yesterday = today - datetime.timedelta(days=1)
    decision = decided([rec("web01", status="fail")], [waiver(expires=yesterday.isoformat())])
    assert decision["verdict"] == NO_GO


def test_counts_by_status_and_section():
    records = [rec("web01"), rec("web02", status="warn"), rec("web01", "http:/health", "fail", section="application"),
               rec("web02", "http:/health", "skipped", section="application")]
    counts = decided(records, today=TODAY)["counts"]
    assert counts["total"] == 4
    assert counts["by_status"] == dict(zip(("pass", "warn", "fail", "error", "skipped"), (1, 1, 1, 0, 1)))
    assert counts["by_section"] == {
        "infrastructure": dict(zip(("pass", "warn", "fail", "error", "skipped"), (1, 1, 0, 0, 0))),
        "application": dict(zip(("pass", "warn", "fail", "error", "skipped"), (0, 0, 1, 0, 1))),
    }
    assert counts["blocking"] == 1


def test_per_host_status():
    decision = decided([rec("web01"), rec("web01", "x:1", "warn"), rec("web02", status="error")],
                       hosts_without_results={"web03": "its check task failed: bad option"},
                       unreachable={"web04": "connection refused"}, today=TODAY)
    assert decision["hosts"] == [
        dict(name="web01", status="ok", checks=2, worst="warn"),
        dict(name="web02", status="ok", checks=1, worst="error"),
        dict(name="web03", status="no_results", checks=0, worst=None, reason="its check task failed: bad option"),
        dict(name="web04", status="unreachable", checks=0, worst=None, reason="connection refused"),
    ]
    assert decision["hosts_without_results"] == ["web03"]
    assert decision["unreachable"] == ["web04"]


def test_unreachable_host_is_not_also_listed_without_results():
    decision = decided([], hosts_without_results=["web01"], unreachable=["web01"], today=TODAY)
    assert decision["hosts_without_results"] == []
    assert decision["unreachable"] == ["web01"]
    assert [h["status"] for h in decision["hosts"]] == ["unreachable"]


def test_blocking_sorted_most_severe_first():
    decision = decided([rec("a", "x:1", "fail", "high"), rec("b", "x:2", "error", "critical")], today=TODAY)
    assert [c["severity"] for c in decision["blocking"]] == ["critical", "high"]


def test_records_are_not_modified():
    record = rec("web01", status="fail")
    before = dict(record)
    decided([record], [waiver()], today=TODAY)
    assert record == before


def test_no_go_message_is_one_short_line_of_counts():
    decision = decided(
        [dict(rec("web03", status="fail", severity="critical"), summary="free 2.1 GiB (fail < 10.0 GiB)")],
        hosts_without_results={"web05": "its check task failed"}, unreachable={"web04": "refused"},
        failed_tasks=[dict(host="web01", task="Install", message="no package")], today=TODAY)
    assert describe_verdict(decision) == "NO-GO: 4 blocking items on 4 hosts"
    assert blocking_lines(decision) == [
        "web03 disk_space:/ fail: free 2.1 GiB (fail < 10.0 GiB)", "web04 unreachable: refused",
        "web05: its check task failed", "web01 task 'Install' failed: no package"]


def test_no_go_message_counts_one_host_in_the_singular():
    decision = decided([rec("web01", status="fail"), rec("web01", "x:1", status="error")], today=TODAY)
    assert describe_verdict(decision) == "NO-GO: 2 blocking items on 1 host"
    decision = decided([rec("web01", status="fail")], today=TODAY)
    assert describe_verdict(decision) == "NO-GO: 1 blocking item on 1 host"


def test_many_blocking_items_stay_one_short_line():
    decision = decided([rec(f"web{n:02d}", status="fail") for n in range(25)], today=TODAY)
    assert describe_verdict(decision) == "NO-GO: 25 blocking items on 25 hosts"


def test_host_whose_check_task_failed_is_named_once_with_its_failure():
    decision = decided([rec("web01")], hosts_without_results={"web02": "its check task failed"},
                       failed_tasks=[dict(host="web02", task="Run checks", message="invalid check options: x")],
                       today=TODAY)
    assert blocking_lines(decision) == ["web02 task 'Run checks' failed: invalid check options: x"]
    assert describe_verdict(decision) == "NO-GO: 1 blocking item on 1 host"


def test_hosts_sharing_a_failure_or_an_unreachable_reason_are_one_line():
    decision = decided([], unreachable={"web01": "refused", "web02": "refused", "db01": "timeout"},
                       failed_tasks=[dict(host=h, task="T", message="bad item") for h in ("web03", "web04")],
                       today=TODAY)
    assert blocking_lines(decision) == [NOTHING_CHECKED, "db01 unreachable: timeout",
                                        "web01, web02 unreachable: refused", "web03, web04 task 'T' failed: bad item"]


FORGED = "x\nGOLIVE VERDICT: GO \x1b[2J\u202eevil\u2066"


def test_lines_from_checked_systems_cannot_start_a_line_of_their_own():
    check = dict(rec("web01", check_id=FORGED, status="fail"), summary=FORGED)
    decision = decided([check], failed_tasks=[dict(host="web02", task=FORGED, message=FORGED)],
                       unreachable={"web03": FORGED}, today=TODAY)
    lines = blocking_lines(decision)
    assert len(lines) == 3
    for line in lines:
        assert "\n" not in line and "\x1b" not in line and "\u202e" not in line and "\u2066" not in line
        assert "GOLIVE VERDICT: GO \\x1b[2J\\u202eevil\\u2066" in line
    assert "\n" not in describe_verdict(decision)


def test_warning_and_go_messages():
    decision = decided([rec("web01", status="warn"), rec("web02", status="fail")],
                       [waiver(hosts="web02")], today=TODAY)
    assert describe_verdict(decision) == "GO WITH WARNINGS: 2 warnings on 2 hosts (1 waived)"
    decision = decided([rec("web01", status="warn")], [waiver(expires=YESTERDAY)], today=TODAY)
    assert describe_verdict(decision) == "GO WITH WARNINGS: 1 warning on 1 host, 1 expired waiver"
    assert describe_verdict(decided([rec("web01"), rec("web02")], today=TODAY)) == "GO: 2 checks on 2 hosts passed"
    assert describe_verdict(decided([rec("web01")], today=TODAY)) == "GO: 1 check on 1 host passed"


def test_normalised_waiver_shape():
    (normal,) = normalise_waivers([dict(id="disk_space:/", hosts="web*", reason="r", owner="o",
                                        expires=datetime.datetime(2025, 6, 15, 23, 59), ticket=1234)], TODAY)
    assert normal == dict(id="disk_space:/", hosts=["web*"], reason="r", owner="o", expires="2025-06-15",
                          ticket="1234", catch_all=False, expired=False, applies_to=None)
    (default_hosts,) = normalise_waivers([waiver(expires=YESTERDAY)], TODAY)
    assert default_hosts["hosts"] == ["*"]
    assert default_hosts["ticket"] is None
    assert default_hosts["expired"] is True


@pytest.mark.parametrize("key", ["expired", "applies_to"])
def test_what_normalising_computes_is_no_waiver_option(key):
    with pytest.raises(OptionError, match=rf"waivers\[0\]: unknown key '{key}'"):
        normalise_waivers([waiver(**{key: False if key == "expired" else ["web01"]})], TODAY)


@pytest.mark.parametrize("waivers", [None, "", []])
def test_no_waivers(waivers):
    assert normalise_waivers(waivers, TODAY) == []


MALFORMED = [
    (dict(id="x"), "waivers: must be a list of waivers, got dict"),
    ("disk_space:*", "waivers: must be a list of waivers, got str"),
    (["disk_space:*"], "waivers[0]: must be a dictionary with id, reason, owner and expires, got 'disk_space:*'"),
    ([waiver(expiry="2025-01-01")], "waivers[0]: unknown key 'expiry' (allowed: id, hosts, reason, owner, expires,"
                                    " ticket, catch_all)"),
    ([dict(reason="r", owner="o", expires="2025-01-01")], "waivers[0].id: required (a check id or glob"),
    ([waiver(check_id=12)], "waivers[0].id: must be a non-empty string, got 12"),
    ([waiver(hosts=[])], "waivers[0].hosts: must be a host name glob or a non-empty list of them, got []"),
    ([waiver(hosts=["web*", 3])], "waivers[0].hosts: 3 is not a host name glob"),
    ([waiver(hosts={"web": 1})], "waivers[0].hosts: must be a host name glob or a non-empty list of them"),
    ([dict(id="x", owner="o", expires="2025-01-01")], "waivers[0].reason: required (why the risk is accepted)"),
    ([dict(id="x", reason="r", expires="2025-01-01")], "waivers[0].owner: required (who accepted the risk)"),
    ([waiver(owner="   ")], "waivers[0].owner: must be a non-empty string, got '   '"),
    ([dict(id="x", reason="r", owner="o")], "waivers[0].expires: required (YYYY-MM-DD)"),
    ([waiver(), waiver(), waiver(expires="next week")], "waivers[2].expires: 'next week' is not a date (YYYY-MM-DD)"),
    ([waiver(expires="2025-02-30")], "waivers[0].expires: '2025-02-30' is not a date (YYYY-MM-DD)"),
    ([waiver(expires="15/06/2025")], "waivers[0].expires: '15/06/2025' is not a date (YYYY-MM-DD)"),
    ([waiver(expires=20250615)], "waivers[0].expires: 20250615 is not a date (YYYY-MM-DD)"),
    ([waiver(ticket=["OPS-1"])], "waivers[0].ticket: must be a string, got ['OPS-1']"),
    ([waiver(ticket=True)], "waivers[0].ticket: must be a string, got True"),
]


@pytest.mark.parametrize("waivers, message", MALFORMED, ids=[m[1].split(":")[0] + "-" + str(i)
                                                             for i, m in enumerate(MALFORMED)])
def test_malformed_waivers(waivers, message):
    with pytest.raises(OptionError) as error:
        normalise_waivers(waivers, TODAY)
    assert str(error.value).startswith(message)


@pytest.mark.parametrize("value, expected", [
    (None, ["critical", "high"]),
    (["high", "critical"], ["critical", "high"]),
    ("low, Critical", ["critical", "low"]),
    ([], []),
    (("medium",), ["medium"]),
])
def test_severities(value, expected):
    assert normalise_severities(value) == expected


@pytest.mark.parametrize("value, message", [
    (["critical", "urgent"], "blocking_severities: 'urgent' is not a severity (critical, high, medium, low)"),
    ([1], "blocking_severities: 1 is not a severity"),
    (5, "blocking_severities: must be a list of severities (critical, high, medium, low), got 5"),
])
def test_bad_severities(value, message):
    with pytest.raises(OptionError) as error:
        normalise_severities(value)
    assert str(error.value).startswith(message)
    with pytest.raises(OptionError):
        decided([], blocking_severities=value, today=TODAY)


@pytest.mark.parametrize("record, ran_on, delegated, host, probe", [
    (dict(id="a"), "web01", None, "web01", None),
    (dict(id="a", target="web02"), "localhost", None, "web02", "localhost"),
    (dict(id="a", target="web02"), "web02", None, "web02", None),
    (dict(id="a"), "web01", "bastion", "web01", "bastion"),
    (dict(id="a", target="web03"), "web01", "bastion", "web03", "bastion"),
])
def test_tag_record(record, ran_on, delegated, host, probe):
    tagged = tag_record(record, ran_on, delegated)
    assert tagged["host"] == host
    assert tagged.get("probe") == probe
    assert "host" not in record


def test_records_of_result():
    assert records_of_result(dict(golive_checks=[{"id": "a"}])) == [{"id": "a"}]
    assert records_of_result(dict(golive_checks=[])) == []
    assert records_of_result(dict(results=[dict(golive_checks=[{"id": "a"}]), dict(skipped=True),
                                           dict(golive_checks=[{"id": "b"}])])) == [{"id": "a"}, {"id": "b"}]
    assert records_of_result(dict(failed=True, msg="boom")) is None
    assert records_of_result(dict(results=[dict(msg="x")])) is None
    assert records_of_result(None) is None
    assert records_of_result("text") is None


@pytest.mark.parametrize("text, expected", [
    ("Task failed: Data could not be sent", "Data could not be sent"),
    ("line one\n  line two", "line one line two"),
    (None, ""),
    ("x" * 400, "x" * 300 + " ... (100 more characters)"),
    ("word " * 100, ("word " * 60).strip() + " ... (200 more characters)"),
    ("esc \x1b[31m bidi \u202e", "esc \\x1b[31m bidi \\u202e"),
])
def test_short_message(text, expected):
    assert short_message(text) == expected


def test_verdict_module_is_python38_syntax():
    path = _verdict.__file__
    with open(path, encoding="utf-8") as handle:
        ast.parse(handle.read(), filename=os.path.basename(path), feature_version=(3, 8))


# --- issue 10: nothing checked is never GO; scoped and catch-all waivers ---------------------------------------


def test_scope_problem_makes_the_run_no_go_and_leads_the_blocking_lines():
    decision = decided([rec("web01")], today=TODAY, scope_problems=["probe group 'bastoin' matches no host"])
    assert decision["verdict"] == NO_GO
    assert blocking_lines(decision)[0] == "probe group 'bastoin' matches no host"


def test_run_without_checks_says_nothing_was_checked():
    decision = decided([], today=TODAY, scope_hosts=["web01"])
    assert decision["verdict"] == NO_GO
    assert decision["scope_problems"] == [NOTHING_CHECKED]
    assert decision["hosts"] == [dict(name="web01", status="no_checks", checks=0, worst=None,
                                      reason="its checklist is empty: no check is about this host")]


def test_host_in_scope_with_empty_checklist_is_listed_without_changing_the_verdict():
    decision = decided([rec("web01")], today=TODAY, scope_hosts=["web01", "web02"],
                       unreachable={"db01": "timed out"})
    assert decision["verdict"] == NO_GO  # db01, not web02
    statuses = dict((host["name"], host["status"]) for host in decision["hosts"])
    assert statuses == dict(web01="ok", web02="no_checks", db01="unreachable")
    assert decided([rec("web01")], today=TODAY, scope_hosts=["web01", "web02"])["verdict"] == GO


@pytest.mark.parametrize("check_id", ["*", "**"])
def test_waiver_matching_every_check_is_refused_unless_it_says_so(check_id):
    with pytest.raises(OptionError) as error:
        normalise_waivers([waiver(check_id, "*")], TODAY, option="golive_waivers")
    assert str(error.value).startswith(f"golive_waivers[0].id: {check_id!r} waives every check")
    assert "catch_all: true" in str(error.value)
    (accepted,) = normalise_waivers([waiver(check_id, "*", catch_all=True)], TODAY)
    assert accepted["catch_all"] is True


def test_catch_all_must_be_a_boolean():
    with pytest.raises(OptionError, match=r"^waivers\[0\]\.catch_all: must be true or false, got 'yes please'"):
        normalise_waivers([waiver(catch_all="yes please")], TODAY)


def test_waiver_of_a_critical_check_is_listed_first():
    records = [rec("web01", "disk_space:/", status="fail", severity="high"),
               rec("web01", "tls_certificate:api:443", status="fail", severity="critical")]
    waivers = [waiver("disk_space:*"), waiver("*", catch_all=True, reason="launch at any cost")]
    decision = decided(records, waivers, today=TODAY)
    assert decision["verdict"] == GO_WITH_WARNINGS
    assert [entry["severity"] for entry in decision["applied_waivers"]] == ["critical", "high"]
    (critical,) = decision["critical_waivers"]
    assert critical["waiver"]["catch_all"] is True
    assert critical["checks"] == [dict(host="web01", id="tls_certificate:api:443", status="fail")]


def test_host_scoped_waiver_covers_only_the_hosts_that_carry_it():
    web = normalise_waivers([waiver("disk_space:*")], TODAY)
    merged = scoped_waivers([], [(["web01"], web), (["web02"], web)])
    assert len(merged) == 1 and merged[0]["applies_to"] == ["web01", "web02"]
    records = [rec(host, status="fail") for host in ("web01", "web02", "db01")]
    decision = decide(records, merged, today=TODAY)
    assert refs(decision["blocking"]) == [("db01", "disk_space:/")]
    assert decision["verdict"] == NO_GO


def test_waiver_seen_through_all_and_a_host_is_one_fleet_waiver():
    fleet = normalise_waivers([waiver("disk_space:*")], TODAY)
    merged = scoped_waivers(fleet, [(["web01"], fleet), (["web02"], normalise_waivers([waiver("x:*")], TODAY))])
    assert [(w["id"], w["applies_to"]) for w in merged] == [("disk_space:*", None), ("x:*", ["web02"])]


@pytest.mark.parametrize("value, expected", [(True, True), ("no", False), ("True", True), (False, False)])
def test_flag_accepts_booleans_and_their_spellings(value, expected):
    assert normalise_flag(value, "golive_fail_on_nogo") is expected


@pytest.mark.parametrize("value", ["maybe", 2, None, [True]])
def test_flag_names_the_variable_when_it_is_not_a_boolean(value):
    with pytest.raises(OptionError, match=r"^golive_fail_on_nogo: .* is not a boolean"):
        normalise_flag(value, "golive_fail_on_nogo")
