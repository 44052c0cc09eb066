"""Every report format from real golive runs, each read by a real consumer; history, webhook and sign-off.

The demo inventory (local hosts) and the loopback SSH hosts are run for real by ansible-playbook. Then:
report.json is validated against docs/report.schema.json (jsonschema), junit.xml against a JUnit XSD and
read by junitparser, golive.prom by promtool and prometheus_client's parser, and report.html / report.md
must show the verdict and every check id, with markup in values escaped. Webhooks go to a receiver on
127.0.0.1 started by the test.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import xmlschema
from junitparser import JUnitXml, SystemOut
from playbook_runs import HEALTHY_VARS, REPO, SSH_HOSTS, checks_by_host, run_demo, schema_errors
from prometheus_client.parser import text_string_to_metric_families
from sshhosts import free_port

from ansible_collections.golive.readiness.plugins.plugin_utils._report_markdown import code as markdown_code

pytestmark = pytest.mark.integration

JUNIT_XSD = os.path.join(REPO, "tests", "unit", "plugins", "plugin_utils", "junit.xsd")
PROMTOOL = "/usr/bin/promtool"
FILES = dict(json="report.json", junit="junit.xml", html="report.html", markdown="report.md",
             prometheus="golive.prom")
# A check whose id and title carry markup: every format must show it as text.
HOSTILE_PATH = "/tmp/golive-<script>alert(1)</script>&x\"y"
HOSTILE_CHECK = dict(kind="path", path=HOSTILE_PATH, state="absent", title="No <b>stray</b> & \"odd\" file",
                     section="application")
HOSTILE_ID = "path:" + HOSTILE_PATH
WEBHOOK_TOKEN = "s3cr3tT0kenAbCdEfGhIjKlMn"


# --- what every report must be ------------------------------------------------------------------


def read(report_dir, name):
    """A report file's text; report.html's without its line-break opportunities (<wbr>), as a reader sees it."""
    with open(os.path.join(report_dir, name), encoding="utf-8") as handle:
        text = handle.read()
    return text.replace("<wbr>", "") if name.endswith(".html") else text


def assert_json_valid(document):
    assert schema_errors(document) == []


def assert_junit_valid(text, document):
    xmlschema.XMLSchema(JUNIT_XSD).validate(text)
    xml = JUnitXml.fromstring(text.encode("utf-8"))
    cases = set((case.classname, case.name) for suite in xml for case in suite)
    expected = set((f"{c['section']}.{c['host']}", f"{c['id']} - {c['title']}") for c in document["checks"])
    assert expected <= cases
    by_status = document["counts"]["by_status"]
    failures = sum(1 for c in document["checks"] if c["status"] == "fail" and "waiver" not in c)
    assert int(xml.failures) == failures
    assert int(xml.tests) >= document["counts"]["total"]
    assert int(xml.tests) - document["counts"]["total"] == sum(
        1 for h in document["hosts"] if h["status"] != "ok") + len(document["failed_tasks"])
    assert by_status["pass"] <= int(xml.tests)
    (run,) = [suite for suite in xml if suite.name == "golive"]
    properties = dict((p.name, p.value) for p in run.properties())
    assert properties["verdict"] == document["verdict"]
    return run.child(SystemOut).text


def assert_prometheus_valid(text, document):
    if os.access(PROMTOOL, os.X_OK):
        checked = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True, text=True,
                                 timeout=60, check=False)
        assert checked.returncode == 0, checked.stdout + checked.stderr
    samples = dict(((s.name, tuple(sorted(s.labels.items()))), s.value)
                   for family in text_string_to_metric_families(text) for s in family.samples)
    assert samples[("golive_verdict", (("verdict", document["verdict"]),))] == 1
    for verdict in ("GO", "GO WITH WARNINGS", "NO-GO"):
        assert samples[("golive_verdict", (("verdict", verdict),))] == (verdict == document["verdict"])
    return samples


def assert_shows_every_check(text, document, shown_id):
    assert document["verdict"] in text
    for check in document["checks"]:
        assert shown_id(check["id"]) in text, check["id"]


def validate_report(report_dir):
    """Every file of the run read by its consumer; returns the document and {format: text}."""
    assert sorted(name for name in os.listdir(report_dir) if not name.startswith(".")) == sorted(
        [*FILES.values(), "history", "latest"])
    texts = dict((fmt, read(report_dir, name)) for fmt, name in FILES.items())
    document = json.loads(texts["json"])
    assert_json_valid(document)
    assert document["files"] == FILES
    assert_junit_valid(texts["junit"], document)
    assert_prometheus_valid(texts["prometheus"], document)
    assert_shows_every_check(texts["html"], document, html.escape)
    assert_shows_every_check(texts["markdown"], document, markdown_code)
    return document, texts


def assert_hostile_values_escaped(texts, document):
    assert HOSTILE_ID in [c["id"] for c in document["checks"]]
    for fmt in ("html", "markdown", "junit"):
        assert "<script>alert(1)" not in texts[fmt], fmt
        assert "<b>stray</b>" not in texts[fmt], fmt
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&amp;x&quot;y" in texts["html"]
    assert "No &lt;b&gt;stray&lt;/b&gt; &amp; &quot;odd&quot; file" in texts["html"]


# --- (1) the demo and (2) the SSH hosts -------------------------------------------------------------


# What the demo shows of the operations checks, and where.
DEMO_OPERATIONS = {
    ("web01", "rollback_readiness"), ("web01", "secrets_hygiene"), ("web01", "log_health"),
    ("worker01", "backup_freshness"), ("worker01", "scheduled_jobs"), ("web01", "test_results"),
}


def test_demo_run_writes_every_format_each_valid(tmp_path):
    extra = tmp_path / "extra.json"
    extra.write_text(json.dumps(dict(golive_extra_checks=[HOSTILE_CHECK])))
    report_dir = str(tmp_path / "report")
    run = run_demo(report_dir, "-e", f"@{extra}")

    document, texts = validate_report(report_dir)
    # The quick start's promise: the demo's only findings are its deliberately unpinned requirement and the
    # team briefing nobody attested yet (a warn item).
    assert run.returncode == 0 and run.verdict == document["verdict"] == "GO WITH WARNINGS", run.tail()
    assert set(c["kind"] for c in document["checks"] if c["status"] != "pass") == {"python_runtime", "attestation"}
    # The attestations are the fleet's, about the controller where the verdict is decided.
    assert set(h["name"] for h in document["hosts"]) == {"web01", "web02", "worker01", "localhost"}
    assert [(i["id"], i["status"]) for i in document["attestations"]["items"]] == [
        ("attestation:code-reviewed", "pass"), ("attestation:rollback-rehearsed", "pass"),
        ("attestation:team-briefed", "warn")]
    assert "Attestations: 2 of 3 required items attested (1 warn)" in run.stdout
    shown = set((c["host"], c["kind"]) for c in document["checks"])
    assert shown >= DEMO_OPERATIONS
    assert {"monitoring", "backup"} <= set(document["counts"]["by_section"])
    assert_hostile_values_escaped(texts, document)
    # The summary ends with where the report is.
    summary = run.stdout[run.stdout.index("GOLIVE VERDICT:"):]
    assert "Report: " in summary and os.path.join(report_dir, "report.html") in summary
    assert document["history"]["previous"] is None and document["archive"].startswith("history/")


def test_ssh_hosts_run_writes_every_format_each_valid(golive, tmp_path):
    missing = str(tmp_path / "not-deployed" / "release.tar.gz")
    group_vars = dict(HEALTHY_VARS, golive_extra_checks=[HOSTILE_CHECK],
                      golive_paths=[dict(path=missing, state="file", severity="high")])
    run = golive.run(group_vars=group_vars, label="formats")

    assert run.returncode != 0 and run.verdict == "NO-GO", run.tail()
    document, texts = validate_report(run.report_dir)
    assert document["verdict"] == "NO-GO"
    assert set(checks_by_host(document)) == set(SSH_HOSTS)
    assert_hostile_values_escaped(texts, document)
    # One blocking line for the three hosts, folded into a range where names allow.
    assert f"path:{missing} fails on 3 hosts: db01, web01, web02" in run.stdout
    samples = assert_prometheus_valid(texts["prometheus"], document)
    assert samples[("golive_blocking_checks", ())] == 3


# --- (3) history across two real runs ------------------------------------------------------------


def run_into(golive, report_dir, label, **kwargs):
    """A golive run over the SSH hosts writing into ``report_dir`` (shared between runs)."""
    run = golive.run(env=dict(GOLIVE_REPORT_DIR=report_dir), label=label, **kwargs)
    run.report_dir = report_dir
    return run


def test_history_shows_a_regression_and_a_fix_in_every_format(golive, tmp_path):
    present, absent = tmp_path / "present.flag", tmp_path / "absent.flag"
    present.write_text("here\n")
    group_vars = dict(HEALTHY_VARS, golive_paths=[dict(path=str(present), state="file", severity="high"),
                                                  dict(path=str(absent), state="file", severity="high")])
    report_dir = str(tmp_path / "shared-report")
    first = run_into(golive, report_dir, "history-1", group_vars=group_vars)
    first_document = first.report
    assert first_document["verdict"] == "NO-GO", first.tail()

    # Between the runs the first file goes away and the second appears: one check regresses, one is fixed.
    present.unlink()
    absent.write_text("now here\n")
    second = run_into(golive, report_dir, "history-2", group_vars=group_vars)

    document, texts = validate_report(report_dir)
    history = document["history"]
    assert history["previous"] == dict(generated_at=first_document["generated_at"], verdict="NO-GO",
                                       archive=first_document["archive"], schema_version=2)
    regressed, fixed = f"path:{present}", f"path:{absent}"
    assert sorted((c["host"], c["id"], c["before"], c["after"]) for c in history["regressions"]) == sorted(
        (host, regressed, "pass", "fail") for host in SSH_HOSTS)
    assert sorted((c["host"], c["id"], c["before"], c["after"]) for c in history["fixed"]) == sorted(
        (host, fixed, "fail", "pass") for host in SSH_HOSTS)
    assert history["new"] == [] and history["removed"] == []
    # Both runs are archived; latest points at the second.
    archives = sorted(os.listdir(os.path.join(report_dir, "history")))
    assert ["history/" + name for name in archives] == [first_document["archive"], document["archive"]]
    assert os.readlink(os.path.join(report_dir, "latest")) == document["archive"]
    with open(os.path.join(report_dir, first_document["archive"], "report.json"), encoding="utf-8") as handle:
        assert json.load(handle)["generated_at"] == first_document["generated_at"]

    # Every format shows the difference.
    assert f"regressed: web01 {regressed}: pass -> fail" in second.stdout
    assert f"fixed: web01 {fixed}: fail -> pass" in second.stdout
    junit_run = assert_junit_valid(texts["junit"], document)
    assert f"regressions: web01 {regressed}: pass -> fail" in junit_run
    assert f"fixed: web01 {fixed}: fail -> pass" in junit_run
    samples = assert_prometheus_valid(texts["prometheus"], document)
    assert samples[("golive_changes", (("change", "regressions"),))] == 3
    assert samples[("golive_changes", (("change", "fixed"),))] == 3
    for fmt, shown in (("html", html.escape), ("markdown", markdown_code)):
        text = texts[fmt]
        assert shown(regressed) in text and shown(fixed) in text
        assert "regression" in text.lower() and first_document["generated_at"] in text
    shutil.rmtree(report_dir)


# --- (4) webhook --------------------------------------------------------------------------------


class Receiver(object):
    """An incoming-webhook stand-in on 127.0.0.1 that records every POST and answers 200 'ok'."""

    def __init__(self):
        self.posts = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.posts.append(dict(path=self.path, headers=dict(self.headers), body=json.loads(body)))
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/services/T0001/B0001/{WEBHOOK_TOKEN}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def failing_vars(tmp_path):
    missing = str(tmp_path / "not-deployed" / "release.tar.gz")
    return dict(HEALTHY_VARS, golive_paths=[dict(path=missing, state="file", severity="high")]), "path:" + missing


def assert_token_never_shown(run):
    for name in os.listdir(run.report_dir):
        path = os.path.join(run.report_dir, name)
        if os.path.isfile(path):
            assert WEBHOOK_TOKEN not in read(run.report_dir, name), name
    assert WEBHOOK_TOKEN not in run.output


def test_webhook_receives_the_verdict_top_blocking_items_and_report_path(golive, tmp_path):
    group_vars, blocking_id = failing_vars(tmp_path)
    with Receiver() as receiver:
        run = golive.run(group_vars=group_vars, env=dict(GOLIVE_NOTIFY_URL=receiver.url), label="webhook")
    assert run.returncode == 2 and run.verdict == "NO-GO", run.tail()
    (post,) = receiver.posts
    assert post["path"].endswith(WEBHOOK_TOKEN)
    payload = post["body"]
    assert payload["text"].startswith("GOLIVE NO-GO: 3 blocking")
    blocks = json.dumps(payload["blocks"])
    assert "GOLIVE NO-GO" in blocks
    assert blocking_id in blocks and "web01" in blocks
    assert os.path.join(run.report_dir, "report.html") in blocks

    document, texts = validate_report(run.report_dir)
    notification = document["notification"]
    assert (notification["status"], notification["attempts"], notification["http_status"]) == ("sent", 1, 200)
    assert notification["target"].startswith("http://127.0.0.1:") and WEBHOOK_TOKEN[-4:] in notification["target"]
    assert "Notification sent" in run.stdout
    for fmt in ("html", "markdown"):
        assert "sent" in texts[fmt]
    assert_token_never_shown(run)


def test_unreachable_webhook_is_reported_and_changes_nothing(golive, tmp_path):
    group_vars = failing_vars(tmp_path)[0]
    plain = golive.run(group_vars=group_vars, label="no-webhook")
    closed = f"http://127.0.0.1:{free_port()}/services/T0001/B0001/{WEBHOOK_TOKEN}"
    run = golive.run(group_vars=group_vars, label="closed-webhook",
                     env=dict(GOLIVE_NOTIFY_URL=closed, GOLIVE_NOTIFY_RETRIES="1", GOLIVE_NOTIFY_TIMEOUT="2"))

    assert (run.returncode, run.verdict) == (plain.returncode, plain.verdict) == (2, "NO-GO"), run.tail()
    document, texts = validate_report(run.report_dir)
    assert document["verdict"] == plain.report["verdict"] == "NO-GO"
    assert plain.report["notification"]["status"] == "not_configured"
    notification = document["notification"]
    assert notification["status"] == "failed" and notification["attempts"] == 2
    assert notification["http_status"] is None
    assert "Notification failed: " in run.stdout
    samples = assert_prometheus_valid(texts["prometheus"], document)
    assert samples[("golive_notification", (("status", "failed"),))] == 1
    for fmt in ("html", "markdown"):
        assert "failed" in texts[fmt]
    assert_token_never_shown(run)


# --- (5) sign-off from inventory variables ---------------------------------------------------------


SIGNOFF = [dict(role="release manager", name="Ann Example", decision="GO", date="2030-06-01",
                comment="all green on staging"),
           dict(role="database owner", name="Bo Example", decision="NO-GO", date="2030-06-01"),
           dict(role="qa", name="Cy Example")]


def test_sign_off_from_the_inventory_a_go_on_a_no_go_run_is_rejected(golive, tmp_path):
    group_vars = failing_vars(tmp_path)[0]
    run = golive.run(group_vars=dict(group_vars, golive_signoff=SIGNOFF), label="signoff-rejected")

    assert run.returncode == 2 and run.verdict == "NO-GO", run.tail()
    assert "[WARNING]: go-live sign-off rejected: a NO-GO cannot be signed off as GO: release manager " \
           "(Ann Example) signed GO" in run.output
    assert "Sign-off: rejected: a NO-GO cannot be signed off as GO" in run.stdout
    document, texts = validate_report(run.report_dir)
    signoff = document["signoff"]
    assert signoff["status"] == "rejected"
    assert [(a["name"], a["decision"], a["accepted"]) for a in signoff["approvers"]] == [
        ("Ann Example", "GO", False), ("Bo Example", "NO-GO", True), ("Cy Example", None, True)]
    for fmt in ("html", "markdown"):
        text = texts[fmt]
        for approver in ("Ann Example", "Bo Example", "Cy Example", "all green on staging"):
            assert approver in text, (fmt, approver)
        assert "rejected" in text and "cannot be signed off as GO" in text
    assert "sign-off: rejected" in assert_junit_valid(texts["junit"], document)
    assert assert_prometheus_valid(texts["prometheus"], document)[("golive_signoff", (("status", "rejected"),))] == 1


def test_signed_go_from_the_inventory(golive):
    signoff = [dict(SIGNOFF[0]), dict(SIGNOFF[1], decision="GO")]
    run = golive.run(group_vars=dict(HEALTHY_VARS, golive_signoff=signoff), label="signoff-signed")
    assert run.returncode == 0 and run.verdict == "GO", run.tail()
    document, texts = validate_report(run.report_dir)
    assert (document["signoff"]["status"], document["signoff"]["summary"]) == ("signed", "2 of 2 approvers signed GO")
    assert "Sign-off: signed: 2 of 2 approvers signed GO" in run.stdout
    for fmt in ("html", "markdown"):
        assert "Ann Example" in texts[fmt] and "Bo Example" in texts[fmt]


def test_invalid_sign_off_variable_is_named_without_a_traceback(golive):
    signoff = [dict(SIGNOFF[0]), dict(role="qa", name="Cy Example", decision="ship it")]
    run = golive.run(group_vars=dict(HEALTHY_VARS, golive_signoff=signoff), label="signoff-invalid")
    assert run.returncode == 2, run.tail()
    message = "golive_signoff[1].decision: 'ship it' is not a decision (GO, GO WITH WARNINGS, NO-GO, " \
              "or empty while pending)"
    assert message in run.stdout
    assert "Traceback" not in run.output
    assert run.verdict == "NO-GO"
    assert message in run.report["failed_tasks"][0]["message"]
