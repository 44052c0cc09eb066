"""http_endpoint end to end: real `ansible localhost -m golive.readiness.http_endpoint` runs against real apps."""

from __future__ import annotations

import base64
import os
import sys
import time

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._checks import http_endpoint

from ._adhoc import ansible_run, ansible_run_logged, assert_documents_options

# The apps live next to the kind-level tests; their directory is the package root pytest gives them.
sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, "module_utils")))
from _checks._http_apps import BEARER, SLOW_SECONDS, TOKEN, running_apps


@pytest.fixture(scope="module")
def apps():
    with running_apps() as running:
        yield running


def test_module_checks_endpoints_and_never_shows_the_token(apps):
    done, result = ansible_run("http_endpoint", {"fail_on": ["error"], "checks": [
        {"url": apps.http + "/health", "latency_fail_above": "30s",
         "json_query": [{"query": "status", "equals": "healthy"}, {"query": "db.ok", "equals": True}]},
        {"url": apps.http + "/api/orders", "secret_headers": {"Authorization": BEARER},
         "expect_unauthenticated": True, "json_query": [{"query": "token_seen", "truthy": True}]},
        {"url": apps.http + "/echo", "secret_headers": {"Authorization": BEARER}},
        {"url": apps.http + "/banner", "forbidden_headers": {"Server": "\\d", "X-Powered-By": ""}},
        {"url": apps.https + "/hsts", "ca_file": apps.ca_file, "hsts_min_age": "365d"},
    ]}, verbose=True)
    assert TOKEN not in done.stdout + done.stderr  # secret_headers is no_log: not even in the -vvv invocation
    assert done.returncode == 0, done.stdout
    assert [(r["id"], r["status"]) for r in result["golive_checks"]] == [
        (f"http_endpoint:GET {apps.http}/health", "pass"),
        (f"http_endpoint:GET {apps.http}/api/orders", "pass"),
        (f"http_endpoint:GET {apps.http}/echo", "pass"),
        (f"http_endpoint:GET {apps.http}/banner", "fail"),
        (f"http_endpoint:GET {apps.https}/hsts", "pass"),
    ]
    protected = result["golive_checks"][1]
    assert protected["observed"]["unauthenticated_status"] == 401
    assert protected["section"] == "application" and protected["severity"] == "high"
    # The server really received the token: the check was authenticated, only its display is masked.
    received = [headers.get("Authorization") for method, path, headers in apps.http_app.requests
                if path == "/api/orders"]
    assert BEARER in received and None in received


def test_credentials_in_headers_and_request_bodies_never_show_at_vvv(apps, tmp_path):
    body_secret = "body-" + TOKEN[::-1]
    done, result, written = ansible_run_logged("http_endpoint", tmp_path, {"checks": [
        {"url": apps.http + "/echo", "method": "POST", "headers": {"Authorization": BEARER, "X-Probe": "golive"},
         "json": {"refresh_token": body_secret, "page": 1}, "json_query": [{"query": "method", "equals": "POST"}]},
    ]})
    assert done.returncode == 0, done.stdout
    assert result["golive_checks"][0]["status"] == "pass"
    assert result["invocation"]["module_args"]["checks"][0]["json"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert result["golive_counts"]["pass"] == 1  # a body's values do not mask the output's numbers
    for secret in (TOKEN, body_secret, base64.b64encode(TOKEN.encode()).decode()):
        assert secret not in written
    received = [headers.get("Authorization") for method, path, headers in apps.http_app.requests if method == "POST"]
    assert BEARER in received  # sent for real, only never shown


def test_many_endpoints_are_asked_at_once(apps):
    count = 20
    done, result = ansible_run("http_endpoint", {"max_workers": count, "checks": [
        {"url": f"{apps.http}/slow?n={n}"} for n in range(count)]})
    assert done.returncode == 0, done.stdout
    records = result["golive_checks"]
    assert len(records) == count and all(r["status"] == "pass" for r in records)
    assert all(r["duration_ms"] >= SLOW_SECONDS * 1000 for r in records)  # each one really waited
    # Proved by the server, not by a clock a busy machine would skew: it held several requests at once.
    assert apps.http_app.most_at_once["slow"] >= 2, apps.http_app.most_at_once


def test_server_that_never_answers_is_an_error_within_the_timeout(apps):
    started = time.monotonic()
    done, result = ansible_run("http_endpoint", {"timeout": "1s", "checks": [{"url": apps.silent + "/health"}]})
    assert time.monotonic() - started < 60  # the listener never answers: only the 1 s timeout ends it
    assert done.returncode == 2
    [record] = result["golive_checks"]
    assert record["status"] == "error"
    assert record["summary"].startswith("timed out after ")


def test_bad_option_fails_the_task_naming_it():
    done, result = ansible_run("http_endpoint", {"checks": [
        {"url": "http://127.0.0.1:9/", "rate_limit": {"expect_status": 429}}]})
    assert done.returncode == 2
    assert result["msg"].startswith("invalid check options: checks[0]: rate_limit: max_requests is required")


def test_module_documentation_renders_every_option():
    doc = assert_documents_options("http_endpoint", http_endpoint)
    assert doc["requirements"] == ["jmespath (on the probe host, only for I(json_query))"]
    assert http_endpoint.OPTIONS["secret_headers"]["no_log"] is True
