"""Webhook notification of the verdict, against real HTTP receivers on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import time
from urllib.parse import quote

import pytest

from ansible_collections.golive.readiness.plugins.plugin_utils import _notify
from ansible_collections.golive.readiness.plugins.plugin_utils._notify import build_payload, mask_webhook_url, notify

from ._webhook_receiver import answer, hang, running_receiver, trickle, unused_port

TOKEN = "Zq9XwV3tKp7LmN2bR8sYc4Hd"
HOOK_PATH = "/services/T0A1B2C3D/B0E4F5G6H/" + TOKEN
RESULT_KEYS = {"status", "target", "attempts", "http_status", "message"}
# Bound for calls that must return although the receiver never answers: far above a loaded machine's time,
# far below the receiver's hang (HANG_SECONDS per attempt).
RETURNS_WITHIN = 60


def _item(host, check_id, summary, status="fail", severity="critical"):
    return dict(host=host, id=check_id, title=check_id, section="infrastructure", status=status,
                severity=severity, summary=summary)


def no_go_document(blocking=3, history=True):
    document = {
        "schema_version": 1,
        "verdict": "NO-GO",
        "generated_at": "2026-11-24T10:15:00Z",
        "run": {"playbook": "playbooks/golive.yml"},
        "counts": {"total": 40, "by_status": {"pass": 34, "warn": 2, "fail": 3, "error": 1, "skipped": 0},
                   "blocking": blocking, "waived": 1},
        "hosts": [{"name": f"web{n:02d}", "status": "ok"} for n in range(1, 5)],
        "checks": [],
        # Each a check of its own: one check failing on several hosts would be one reason.
        "blocking": [_item(f"web{n + 1:02d}", "disk_space:/var" + (f"/{n}" if n else ""),
                           "free 2.1 GiB (fail < 10 GiB) <&>") for n in range(blocking)],
        "warnings": [_item("web01", "time_sync", "offset 80 ms (warn > 50 ms)", "warn", "medium")],
        "unreachable": [{"host": "db02", "task": "verify", "message": "ssh: connection timed out"}],
        "failed_tasks": [],
    }
    if history:
        document["history"] = {
            "previous": {"generated_at": "2026-11-23T10:15:00Z", "verdict": "GO", "archive": "history/x"},
            "regressions": [dict(host="web02", id="disk_space:/var", title="t", section="s", severity="critical",
                                 before="pass", after="fail", summary="free 2.1 GiB")],
            "fixed": [], "new": [], "removed": [],
        }
    return document


def _assert_secret_free(result):
    assert set(result) == RESULT_KEYS
    text = json.dumps(result)
    assert TOKEN not in text
    assert HOOK_PATH not in text


@pytest.fixture
def waits(monkeypatch):
    """The waits between attempts, recorded instead of slept."""
    recorded = []
    monkeypatch.setattr(_notify, "_sleep", recorded.append)
    return recorded


def test_sends_slack_compatible_payload_with_verdict_counts_and_top_items():
    with running_receiver(answer(200, "ok")) as receiver:
        result = notify(receiver.url(HOOK_PATH), no_go_document(blocking=8), "golive-report/report.html", top=5)
    assert result["status"] == "sent" and result["attempts"] == 1 and result["http_status"] == 200
    _assert_secret_free(result)
    assert result["target"] == f"http://127.0.0.1:{receiver.port}/services/****/****/\u2026{TOKEN[-4:]}"
    (request,) = receiver.requests
    assert request["path"] == HOOK_PATH
    assert request["headers"]["Content-Type"] == "application/json"
    payload = json.loads(request["body"])
    assert payload["text"].startswith("GOLIVE NO-GO: 9 blocking, 1 warning, 1 regression; 40 checks on 4 hosts")
    assert "golive-report/report.html" in payload["text"]
    header, counts, blocking, regressions, context = payload["blocks"]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": "GOLIVE NO-GO"}}
    assert "34 pass, 2 warn, 3 fail, 1 error; 1 waived" in counts["text"]["text"]
    lines = blocking["text"]["text"].splitlines()
    assert lines[0] == "*Blocking*"
    assert lines[1] == "\u2022 *web01* `disk_space:/var` free 2.1 GiB (fail &lt; 10 GiB) &lt;&amp;&gt;"
    assert len(lines) == 1 + 5 + 1 and lines[-1] == "\u2026 and 4 more in the report"
    assert "Regressions since 2026-11-23T10:15:00Z" in regressions["text"]["text"]
    assert "pass -&gt; fail" in regressions["text"]["text"]
    assert [e["text"] for e in context["elements"]] == [
        "Report: golive-report/report.html", "Playbook: playbooks/golive.yml", "Generated: 2026-11-24T10:15:00Z"]


def test_unreachable_hosts_and_failed_tasks_count_as_blocking():
    document = no_go_document(blocking=0, history=False)
    document["failed_tasks"] = [{"host": "web03", "task": "Gather", "message": "boom"}]
    payload = build_payload(document, None, top=5)
    assert payload["text"].startswith("GOLIVE NO-GO: 2 blocking, 1 warning;")
    text = payload["blocks"][2]["text"]["text"]
    assert "*db02* `unreachable` ssh: connection timed out" in text
    assert "*web03* `task failed` Gather: boom" in text


def test_an_interrupted_or_unchecked_run_says_so_first():
    document = no_go_document(blocking=1, history=False)
    document["interrupted"] = {"reason": "run interrupted", "signal": "SIGINT"}
    document["scope_problems"] = ["nothing was checked: the run executed no check"]
    text = build_payload(document, None, top=5)["blocks"][2]["text"]["text"]
    lines = text.splitlines()[1:]
    assert lines[0].startswith("• *all* `interrupted` run interrupted (SIGINT)"), lines
    assert lines[1] == "• *all* `scope` nothing was checked: the run executed no check", lines


def test_go_with_warnings_lists_warnings_and_old_documents_are_accepted():
    document = {"verdict": "GO WITH WARNINGS", "counts": {"total": 2, "by_status": {"pass": 1, "warn": 1}},
                "hosts": [{"name": "a", "status": "ok"}],
                "warnings": [_item("a", "time_sync", "offset 80 ms", "warn", "medium")]}
    payload = build_payload(document, None)
    assert payload["text"] == "GOLIVE GO WITH WARNINGS: 1 warning; 2 checks on 1 host"
    assert [b["type"] for b in payload["blocks"]] == ["header", "section", "section"]
    assert payload["blocks"][2]["text"]["text"].startswith("*Warnings*")
    assert build_payload({}, None)["text"] == "GOLIVE UNKNOWN: 0 checks on 0 hosts"


def test_payload_stays_within_block_kit_limits_for_huge_reports():
    document = no_go_document(blocking=500)
    for item in document["blocking"]:
        item["summary"] = "x" * 5000
    document["verdict"] = "NO-GO " + "y" * 400
    payload = build_payload(document, "r/" * 400, top=200)
    blocks = payload["blocks"]
    assert len(blocks) <= 50
    for block in blocks:
        assert block["type"] in ("header", "section", "context")
        if block["type"] == "header":
            assert block["text"]["type"] == "plain_text" and len(block["text"]["text"]) <= 150
        elif block["type"] == "section":
            assert block["text"]["type"] == "mrkdwn" and len(block["text"]["text"]) <= 3000
        else:
            assert len(block["elements"]) <= 10
            assert all(len(element["text"]) <= 3000 for element in block["elements"])


def test_server_error_is_retried_until_sent(waits):
    with running_receiver(answer(500, "oops"), answer(200, "ok")) as receiver:
        result = notify(receiver.url(HOOK_PATH), no_go_document(), "report.html", retries=2, backoff=0.25)
    assert result["status"] == "sent" and result["attempts"] == 2 and result["http_status"] == 200
    assert len(receiver.requests) == 2 and receiver.payloads()[0] == receiver.payloads()[1]
    assert waits == [0.25]
    _assert_secret_free(result)


def test_server_errors_exhaust_the_retries_with_exponential_backoff(waits):
    with running_receiver(answer(503, "unavailable")) as receiver:
        result = notify(receiver.url(HOOK_PATH), no_go_document(), None, retries=3, backoff=0.5)
    assert result["status"] == "failed" and result["attempts"] == 4 and result["http_status"] == 503
    assert result["message"] == "receiver answered HTTP 503: unavailable (after 4 attempts)"
    assert len(receiver.requests) == 4
    assert waits == [0.5, 1.0, 2.0]
    _assert_secret_free(result)


def test_rate_limit_honours_retry_after(waits):
    with running_receiver(answer(429, "rate_limited", {"Retry-After": "2"}), answer(200)) as receiver:
        result = notify(receiver.url(HOOK_PATH), no_go_document(), None, backoff=0.1)
    assert result["status"] == "sent" and result["attempts"] == 2
    assert waits == [2.0]
    _assert_secret_free(result)


def test_rate_limit_wait_is_capped_and_bad_retry_after_uses_the_backoff(waits):
    script = (answer(429, "", {"Retry-After": "86400"}), answer(429, "", {"Retry-After": "soon"}), answer(429))
    with running_receiver(*script) as receiver:
        result = notify(receiver.url(HOOK_PATH), no_go_document(), None, retries=2, backoff=0.1)
    assert result["status"] == "failed" and result["attempts"] == 3 and result["http_status"] == 429
    assert waits == [_notify.RETRY_AFTER_CAP, 0.2]


@pytest.mark.parametrize("status", [400, 403, 404, 410])
def test_client_errors_fail_without_retry(waits, status):
    with running_receiver(answer(status, "no_service")) as receiver:
        result = notify(receiver.url(HOOK_PATH), no_go_document(), None, retries=3)
    assert result == dict(status="failed", target=mask_webhook_url(receiver.url(HOOK_PATH)), attempts=1,
                          http_status=status, message=f"receiver answered HTTP {status}: no_service")
    assert len(receiver.requests) == 1 and waits == []


def test_redirects_are_not_followed(waits):
    with running_receiver(answer(302, "", {"Location": "/elsewhere"})) as receiver:
        result = notify(receiver.url(HOOK_PATH), no_go_document(), None)
    assert result["status"] == "failed" and result["http_status"] == 302 and result["attempts"] == 1
    assert "redirected" in result["message"]
    assert [r["path"] for r in receiver.requests] == [HOOK_PATH]


def test_receiver_echoing_the_url_does_not_leak_it():
    with running_receiver(answer(400, f"bad hook {HOOK_PATH}")) as receiver:
        result = notify(receiver.url(HOOK_PATH) + "?token=" + TOKEN + "x", no_go_document(), None)
    assert result["status"] == "failed" and result["http_status"] == 400
    assert "bad hook" in result["message"]
    _assert_secret_free(result)
    assert result["target"].endswith("?token=****")


def test_a_bare_query_token_echoed_by_the_receiver_does_not_leak():
    with running_receiver(answer(403, f"unknown token {TOKEN}")) as receiver:
        result = notify(receiver.url("/hook?") + TOKEN, no_go_document(), None)
    assert result["status"] == "failed" and result["http_status"] == 403
    assert result["target"] == f"http://127.0.0.1:{receiver.port}/hook?****"
    assert result["message"] == "receiver answered HTTP 403: unknown token ****"
    _assert_secret_free(result)


HOOK_USER = "golive"
HOOK_PASSWORD = "Hp2/Dv6+Ks9=Mt4Yc"  # written URL-encoded in the URL, sent decoded in a basic-auth header


def _basic_auth(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize("echo", [
    pytest.param(lambda: f"bad password {HOOK_PASSWORD} for {HOOK_USER}", id="password-decoded"),
    pytest.param(lambda: f"refused Authorization: {_basic_auth(HOOK_USER, HOOK_PASSWORD)}", id="basic-auth"),
    pytest.param(lambda: "refused: " + base64.b64encode(HOOK_PASSWORD.encode()).decode(), id="base64"),
    # Cut to its first 80 characters, the answer ends inside the token: no part of it may be shown.
    pytest.param(lambda: "x" * 72 + " " + TOKEN, id="cut-inside-the-token"),
])
def test_a_receiver_echoing_the_credentials_in_any_form_does_not_leak_them(echo):
    with running_receiver(answer(403, echo())) as receiver:
        url = receiver.url(HOOK_PATH).replace("http://", f"http://{HOOK_USER}:{quote(HOOK_PASSWORD, safe='')}@")
        result = notify(url, no_go_document(), None)
    assert result["status"] == "failed" and result["http_status"] == 403, result
    # The credentials did reach the receiver, in the form it echoes.
    assert receiver.requests[0]["headers"]["Authorization"] == _basic_auth(HOOK_USER, HOOK_PASSWORD)
    assert result["message"].startswith("receiver answered HTTP 403: "), result
    text = json.dumps(result)
    password_base64 = base64.b64encode(HOOK_PASSWORD.encode()).decode()
    for secret in (HOOK_PASSWORD, quote(HOOK_PASSWORD, safe=""), password_base64,
                   _basic_auth(HOOK_USER, HOOK_PASSWORD)[6:], TOKEN):
        assert [secret[i:i + 6] for i in range(len(secret) - 5) if secret[i:i + 6] in text] == [], text


def test_hanging_receiver_is_bounded_by_the_timeout(waits):
    with running_receiver(hang()) as receiver:
        started = time.monotonic()
        result = notify(receiver.url(HOOK_PATH), no_go_document(), None, timeout=0.5, retries=1)
        elapsed = time.monotonic() - started
    assert result["status"] == "failed" and result["attempts"] == 2 and result["http_status"] is None
    assert result["message"] == "no answer within 0.5s (after 2 attempts)"
    assert len(receiver.requests) == 2
    assert elapsed < RETURNS_WITHIN
    _assert_secret_free(result)


def test_receiver_trickling_its_answer_is_bounded_too(waits):
    # A byte every 0.1 s never lets the 0.5 s read timeout expire; each attempt still ends after 2 x 0.5 s.
    with running_receiver(trickle(0.1)) as receiver:
        started = time.monotonic()
        result = notify(receiver.url(HOOK_PATH), no_go_document(), None, timeout=0.5, retries=1)
        elapsed = time.monotonic() - started
    assert result["status"] == "failed" and result["attempts"] == 2 and result["http_status"] is None
    assert result["message"] == "no complete answer within 1s (after 2 attempts)"
    assert len(receiver.requests) == 2
    assert elapsed < RETURNS_WITHIN
    _assert_secret_free(result)


def test_closed_port_fails_with_connection_refused(waits):
    url = f"http://127.0.0.1:{unused_port()}{HOOK_PATH}"
    result = notify(url, no_go_document(), None, retries=1, backoff=0.3)
    assert result["status"] == "failed" and result["attempts"] == 2 and result["http_status"] is None
    assert "refused" in result["message"]
    assert waits == [0.3]
    _assert_secret_free(result)


@pytest.mark.parametrize("url", ["", None])
def test_no_url_is_not_configured(url):
    assert notify(url, no_go_document(), None) == dict(status="not_configured", target=None, attempts=0,
                                                       http_status=None, message="no webhook URL configured")


@pytest.mark.parametrize("url, message", [
    ("ftp://files.example.com/" + TOKEN, "webhook URL must use http or https, not 'ftp'"),
    ("hooks.slack.com/services/" + TOKEN, "webhook URL must use http or https, not 'no scheme'"),
    ("https:///services/" + TOKEN, "webhook URL has no host"),
    ("http://127.0.0.1:99999/" + TOKEN, "webhook URL is not valid (ValueError)"),
])
def test_invalid_urls_fail_before_sending(url, message):
    result = notify(url, no_go_document(), None)
    assert result["status"] == "failed" and result["attempts"] == 0 and result["http_status"] is None
    assert result["message"] == message
    assert TOKEN not in json.dumps(result)


def test_never_raises_whatever_the_session_does():
    class Broken(object):
        def post(self, *args, **kwargs):
            raise RuntimeError("exploded with " + HOOK_PATH)

    result = notify("https://hooks.slack.com" + HOOK_PATH, no_go_document(), None, session=Broken())
    assert result["status"] == "failed" and result["message"] == "notification failed: RuntimeError"
    _assert_secret_free(result)
    result = notify("https://hooks.slack.com" + HOOK_PATH, "not a document", None, session=Broken())
    assert result["status"] == "failed"


def test_a_given_session_is_used_and_left_open():
    import requests

    with running_receiver(answer(200)) as receiver, requests.Session() as session:
        session.headers["X-Trace"] = "golive"
        first = notify(receiver.url(HOOK_PATH), no_go_document(), None, session=session)
        second = notify(receiver.url(HOOK_PATH), no_go_document(), None, session=session)
    assert first["status"] == second["status"] == "sent"
    assert [r["headers"].get("X-Trace") for r in receiver.requests] == ["golive", "golive"]


@pytest.mark.parametrize("url, masked", [
    ("https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
     "https://hooks.slack.com/services/****/****/\u2026XXXX"),
    ("https://chat.example.com/hooks/x8k2m4p6q9r1s3t5u7v0w2y4z6",
     "https://chat.example.com/hooks/\u2026y4z6"),
    ("https://user:pa55word@alerts.example.com:8443/webhook?key=abc&channel=ops#frag",
     "https://****@alerts.example.com:8443/webhook?key=****&channel=****"),
    ("http://[::1]:8080/incoming/abc123", "http://[::1]:8080/incoming/****"),
    # A token given as the bare query, or as a parameter's name, is a secret like any value.
    ("https://hooks.example.com/hook?" + TOKEN, "https://hooks.example.com/hook?****"),
    ("https://hooks.example.com/hook?channel=ops&" + TOKEN + "&" + TOKEN + "=1",
     "https://hooks.example.com/hook?channel=****&****&****"),
    ("", None),
])
def test_mask_webhook_url(url, masked):
    assert mask_webhook_url(url) == masked


@pytest.mark.parametrize("timeout, retries, message", [
    (float("nan"), 2, "notify_timeout: nan is not a finite number (allowed: 1ms to 5m)"),
    (float("inf"), 2, "notify_timeout: inf is not a finite number (allowed: 1ms to 5m)"),
    (0, 2, "notify_timeout: 0 is outside 1ms to 5m"),
    (5, 1000, "notify_retries: 1000 is outside 0 to 10"),
])
def test_notification_limits_that_are_not_sane_numbers_are_refused_by_name(timeout, retries, message):
    with running_receiver(answer(200, "ok")) as receiver:
        result = notify(receiver.url(HOOK_PATH), no_go_document(), None, timeout=timeout, retries=retries)
    assert (result["status"], result["attempts"], result["message"]) == ("failed", 0, message)
    assert receiver.requests == []
