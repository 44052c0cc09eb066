"""Report documents (report.json shape, schema 2: observed and expected with units) for the renderer tests."""

from __future__ import annotations

import copy
import datetime

from ansible_collections.golive.readiness.plugins.module_utils._check import STATUSES
from ansible_collections.golive.readiness.plugins.plugin_utils._attestations import (
    attestations_of,
    grade,
    normalise_attestations,
    normalise_required,
)

# A value that would run as script if any renderer let HTML through; the browser test watches the flag.
SCRIPT = '<script>window.__golive_pwned = 1</script>'
IMG = '<img src=x onerror="window.__golive_pwned = 2">'
NASTY = 'a | b `tick` "quoted" \'single\' <b>bold</b> & amp\nsecond line * _under_ [link](http://x) # ü ✓ 漢字'
SECTIONS = ("infrastructure", "services", "data", "application", "security", "monitoring", "backup")
SEVERITY_OF = {"infrastructure": "high", "services": "critical", "data": "medium", "application": "medium",
               "security": "high", "monitoring": "low", "backup": "critical"}


def check(host, check_id, status="pass", section="infrastructure", severity="high", summary=None, **extra):
    record = dict(
        id=check_id, kind=check_id.split(":", 1)[0], section=section, title=f"Title of {check_id}",
        status=status, severity=severity, summary=summary if summary is not None else f"{check_id} is {status}",
        observed={"value": {"value": 1, "unit": "count"}}, expected={"value": {"fail": {"below": 1}, "unit": "count"}},
        duration_ms=12, host=host, blocking=False,
    )
    record.update(extra)
    return record


def _item(record):
    item = dict((key, record[key]) for key in ("host", "id", "title", "section", "status", "severity", "summary"))
    for key in ("probe", "waiver", "hint", "contact"):
        if record.get(key):
            item[key] = record[key]
    return item


def document(checks, verdict=None, unreachable=(), no_results=(), failed_tasks=(), waivers=None,
             blocking_severities=("critical", "high"), **extra):
    """A report document whose counts, hosts, blocking and warnings agree with its checks."""
    checks = copy.deepcopy(list(checks))
    by_status = dict((s, 0) for s in STATUSES)
    by_section = {}
    hosts = {}
    blocking, warnings = [], []
    for record in checks:
        by_status[record["status"]] += 1
        by_section.setdefault(record["section"], dict((s, 0) for s in STATUSES))[record["status"]] += 1
        hosts.setdefault(record["host"], []).append(record["status"])
        if record["status"] in ("fail", "error") and record["severity"] in blocking_severities \
                and not record.get("waiver"):
            record["blocking"] = True
            blocking.append(_item(record))
        elif record["status"] in ("warn", "fail", "error"):
            warnings.append(_item(record))
    blocking.sort(key=lambda item: ("critical", "high", "medium", "low").index(item["severity"]))
    rank = {"skipped": 0, "pass": 1, "warn": 2, "fail": 3, "error": 4}
    host_list = [dict(name=name, status="ok", checks=len(s), worst=max(s, key=rank.get)) for name, s in hosts.items()]
    host_list += [dict(name=name, status="unreachable", checks=0, worst=None, reason="ssh: connection refused")
                  for name in unreachable]
    host_list += [dict(name=name, status="no_results", checks=0, worst=None, reason="its check task failed")
                  for name in no_results]
    if verdict is None:
        if blocking or unreachable or no_results or failed_tasks:
            verdict = "NO-GO"
        elif warnings:
            verdict = "GO WITH WARNINGS"
        else:
            verdict = "GO"
    found = {
        "schema_version": 2,
        "verdict": verdict,
        "generated_at": "2026-11-24T10:15:00Z",
        "run": dict(started="2026-11-24T10:14:20Z", finished="2026-11-24T10:15:00Z", duration_s=40.5,
                    user="deployer", controller="ops-bastion", ansible_version="2.19.4", collection_version="0.1.0",
                    playbook="golive.yml", inventory=["inventories/prod"], limit=None, check_mode=False),
        "blocking_severities": list(blocking_severities),
        "counts": dict(total=len(checks), by_status=by_status, by_section=by_section, blocking=len(blocking),
                       waived=sum(1 for c in checks if c.get("waiver"))),
        "hosts": host_list,
        "checks": checks,
        "blocking": blocking,
        "warnings": warnings,
        "waivers": waivers or dict(applied=[], expired=[], unused=[]),
        "failed_tasks": [dict(t) for t in failed_tasks],
        "unreachable": [dict(host=name, task="Run every host's checks in one call", message="ssh: connection refused")
                        for name in unreachable],
    }
    found.update(extra)
    return found


def change(host, check_id, before, after, section="infrastructure", severity="high", summary="changed"):
    return dict(host=host, id=check_id, title=f"Title of {check_id}", section=section, severity=severity,
                before=before, after=after, summary=summary)


WAIVER = dict(id="tls_certificate:*", hosts=["web*"], reason="renewal booked", owner="sec-team",
              expires="2026-12-31", ticket="SEC-42")
EXPIRED_WAIVER = dict(id="backup:*", hosts=["db01"], reason="old", owner="dba", expires="2026-01-01", ticket=None,
                      expired=True)
UNUSED_WAIVER = dict(id="smtp_server:*", hosts=["*"], reason="mail later", owner="ops", expires="2026-12-31",
                     ticket=None, expired=False)


def no_go():
    """A NO-GO with every part: blocking, warnings, waivers in each state, history, sign-off, notification."""
    checks = [
        check("web01", "disk_space:/", "fail", summary="free 1.2 GiB (fail < 2 GiB)",
              observed={"free_bytes": {"value": 1288490188, "unit": "bytes"},
                        "free_percent": {"value": 1.5, "unit": "percent"}},
              expected={"free_percent": {"fail": {"below": 2}, "unit": "percent"}}),
        check("web01", "tls_certificate:api.example.com:443", "warn", summary="expires in 20 days (warn < 30)",
              waiver=dict(WAIVER), section="security"),
        check("web01", "http_endpoint:https://api.example.com/health", "pass", section="application",
              severity="medium"),
        check("web02", "disk_space:/", "pass"),
        check("web02", "http_endpoint:https://api.example.com/health", "error", section="application",
              severity="critical", summary="connection refused", probe="localhost"),
        check("db01", "backup:/var/backups/db", "fail", section="backup", severity="critical",
              summary="newest backup 30h old (fail > 24h)"),
        check("db01", "db_server:postgresql://db01/shop", "skipped", section="data", severity="medium",
              summary="not configured"),
    ]
    waivers = dict(
        applied=[dict(host="web01", id="tls_certificate:api.example.com:443", status="warn", waiver=dict(WAIVER))],
        expired=[dict(EXPIRED_WAIVER, matched=[dict(host="db01", id="backup:/var/backups/db")])],
        unused=[dict(UNUSED_WAIVER)],
    )
    history = dict(
        previous=dict(generated_at="2026-11-23T10:15:00Z", verdict="GO WITH WARNINGS",
                      archive="history/20261123T101500Z"),
        regressions=[change("web01", "disk_space:/", "pass", "fail", summary="free 1.2 GiB (fail < 2 GiB)"),
                     change("db01", "backup:/var/backups/db", "warn", "fail", section="backup", severity="critical")],
        fixed=[change("web02", "disk_space:/", "fail", "pass")],
        new=[change("db01", "db_server:postgresql://db01/shop", None, "skipped", section="data")],
        removed=[change("web03", "process:nginx", "pass", None, section="services")],
    )
    signoff = dict(status="rejected", summary="a NO-GO cannot be signed off as GO", approvers=[
        dict(role="Release manager", name="Ana Souza", decision="NO-GO", date="2026-11-24", comment="disk first",
             accepted=True, note=None),
        dict(role="Security", name="Bo Lindqvist", decision="GO", date="2026-11-24", comment=None, accepted=False,
             note="a GO cannot be given on a NO-GO verdict"),
        dict(role="Product owner", name="Chidi Okafor", decision=None, date=None, comment=None, accepted=True,
             note=None),
    ])
    return document(
        checks, unreachable=["web03"], failed_tasks=[dict(host="db01", task="Gather the backup list",
                                                          message="permission denied")],
        waivers=waivers, history=history, signoff=signoff,
        notification=dict(status="failed", target="https://hooks.example.com/…/T0123", attempts=3, http_status=503,
                          message="server error after 3 attempts"),
        files=dict(json="report.json", junit="junit.xml", html="report.html", markdown="report.md",
                   prometheus="golive.prom"),
        archive="history/20261124T101500Z",
    )


def go():
    """Everything passed; the approvers signed."""
    checks = [check(f"web{n:02d}", "disk_space:/", "pass") for n in range(1, 4)]
    signoff = dict(status="signed", summary="2 of 2 approvers signed GO", approvers=[
        dict(role="Release manager", name="Ana Souza", decision="GO", date="2026-11-24", comment=None, accepted=True,
             note=None),
        dict(role="Ops lead", name="Dev Patel", decision="GO", date="2026-11-24", comment=None, accepted=True,
             note=None),
    ])
    history = dict(previous=None, regressions=[], fixed=[], new=[change("web01", "disk_space:/", None, "pass")],
                   removed=[])
    return document(checks, signoff=signoff, history=history,
                    notification=dict(status="sent", target="https://hooks.example.com/…/abcd", attempts=1,
                                      http_status=200, message="sent"))


def attested():
    """A NO-GO whose human items were graded by the real grading: one attested (its evidence a link), one
    missing and blocking, one missing as a warning, one waived, and an attestation of an id nobody requires."""
    required = normalise_required([
        dict(id="code-reviewed", title="Release code reviewed", allowed_by=["ana@shop.example"]),
        dict(id="rollback-rehearsed", title="Rollback rehearsed", severity="critical", hint="rehearse on staging",
             contact="ops (#ops)"),
        dict(id="team-briefed", title=f"Team briefed {IMG}", severity="medium", missing_status="warn"),
        dict(id="runbook-written", title="Runbook written"),
    ], "golive_attestations_required")
    attestations = normalise_attestations([
        dict(id="code-reviewed", by="ana@shop.example", at="2026-11-20T09:30:00Z",
             evidence="https://git.example.com/shop/pull/412?a=1&b=2", expires="2026-12-31"),
        dict(id="rolback-rehearsed", by="Bo <b>", at="2026-11-21", evidence=f"OPS-9 {SCRIPT}"),
    ], "golive_attestations")
    now = datetime.datetime(2026, 11, 24, 10, 15, tzinfo=datetime.timezone.utc)
    records = grade(required, attestations, now)
    waiver = dict(id="attestation:runbook-written", hosts=["*"], reason="written during launch week", owner="ops",
                  expires="2026-12-01", ticket=None, expired=False)
    for record in records:
        if record["id"] == waiver["id"]:
            record["waiver"] = waiver
    checks = [check("web01", "disk_space:/", "pass"), *records]
    found = document(checks, signoff=dict(status="not_required", summary="no approvers configured", approvers=[]),
                     waivers=dict(applied=[dict(host="localhost", id=waiver["id"], status="fail", waiver=waiver)],
                                  expired=[], unused=[]))
    found["attestations"] = attestations_of(found["checks"])
    return found


def warnings_only():
    checks = [check("web01", "disk_space:/", "warn", summary="free 8% (warn < 10%)"),
              check("web01", "process:nginx", "pass", section="services")]
    return document(checks, notification=dict(status="not_configured", target=None, attempts=0, http_status=None,
                                              message="no notification configured"))


def old_schema():
    """A report written before history, sign-off, notification, files and archive existed."""
    return document([check("web01", "disk_space:/", "fail", summary="full"),
                     check("web01", "process:nginx", "pass", section="services")])


def nasty():
    """Values that try to break out of HTML, Markdown tables and Prometheus labels, in every field."""
    hostile = dict(
        id=f"command_output:{SCRIPT}", title=f"Title {IMG} {NASTY}",
        observed={"stdout": SCRIPT, "quote": NASTY, "nested": {"k": [SCRIPT, NASTY]}},
        expected={"<key>": IMG},
    )
    checks = [
        check('host"<script>|x', hostile["id"], "fail", section='sec"tion\\with\nnewline|pipe', severity="critical",
              summary=f"{SCRIPT} {NASTY}", title=hostile["title"], observed=hostile["observed"],
              expected=hostile["expected"]),
        check("web01", "env_vars:/srv/.env", "warn", section="application", severity="medium", summary=NASTY,
              waiver=dict(WAIVER, reason=SCRIPT, owner=NASTY)),
        check("web01", "path:/srv", "pass", section="application", severity="low", summary="ok ✓ 漢字"),
    ]
    waivers = dict(applied=[dict(host="web01", id="env_vars:/srv/.env", status="warn",
                                 waiver=dict(WAIVER, reason=SCRIPT, owner=NASTY))],
                   expired=[dict(EXPIRED_WAIVER, reason=IMG, matched=[dict(host="web01", id=SCRIPT)])],
                   unused=[dict(UNUSED_WAIVER, id=SCRIPT, hosts=[NASTY])])
    history = dict(previous=dict(generated_at="2026-11-23T10:15:00Z", verdict="GO", archive=f"history/{SCRIPT}"),
                   regressions=[change('host"<script>|x', hostile["id"], "pass", "fail", summary=SCRIPT)],
                   fixed=[], new=[], removed=[change("web01", NASTY, "pass", None, summary=IMG)])
    signoff = dict(status="pending", summary=f"{SCRIPT} 1 of 2", approvers=[
        dict(role=SCRIPT, name=NASTY, decision="NO-GO", date="2026-11-24", comment=IMG, accepted=True, note=None),
        dict(role="QA | lead", name="Zoë <i>Ng</i>", decision=None, date=None, comment=None, accepted=True,
             note=None),
    ])
    return document(checks, failed_tasks=[dict(host="web01", task=SCRIPT, message=NASTY)], unreachable=[NASTY],
                    waivers=waivers, history=history, signoff=signoff,
                    notification=dict(status="failed", target=f"https://hooks.example.com/{SCRIPT}", attempts=2,
                                      http_status=500, message=IMG),
                    run=dict(started="2026-11-24T10:14:20Z", finished="2026-11-24T10:15:00Z", duration_s=1.5,
                             user=SCRIPT, controller=NASTY, ansible_version="2.19.4", collection_version="0.1.0",
                             playbook=IMG, inventory=[SCRIPT], limit="web*|db", check_mode=True))


def large(hosts=20, checks_per_host=100):
    """hosts x checks_per_host records spread over the sections, with a few problems on every host."""
    records = []
    for h in range(1, hosts + 1):
        host = f"web{h:02d}"
        for c in range(checks_per_host):
            section = SECTIONS[c % len(SECTIONS)]
            status = "pass"
            if c % 37 == h % 37:
                status = "fail"
            elif c % 23 == 1:
                status = "warn"
            elif c % 41 == 2:
                status = "error"
            elif c % 53 == 3:
                status = "skipped"
            records.append(check(host, f"{section}_check:item-{c:03d}", status, section=section,
                                 severity=SEVERITY_OF[section],
                                 observed={"value": {"value": c, "unit": "count"}, "list": ["a", "b"],
                                           "text": "x" * (c % 5)},
                                 expected={"value": {"fail": {"above": c + 1}, "unit": "count"}}))
    return document(records)
