"""http_endpoint end to end: real `ansible localhost -m golive.readiness.http_endpoint` runs against real apps."""

from __future__ import annotations

import os
import sys
import time

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._checks import http_endpoint

from ._adhoc import ansible_run, assert_documents_options

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
        ("http_endpoint:GET %s/health" % apps.http, "pass"),
        ("http_endpoint:GET %s/api/orders" % apps.http, "pass"),
        ("http_endpoint:GET %s/echo" % apps.http, "pass"),
        ("http_endpoint:GET %s/banner" % apps.http, "fail"),
        ("http_endpoint:GET %s/hsts" % apps.https, "pass"),
    ]
    protected = result["golive_checks"][1]
    assert protected["observed"]["unauthenticated_status"] == 401
    assert protected["section"] == "application" and protected["severity"] == "high"
    # The server really received the token: the check was authenticated, only its display is masked.
    received = [headers.get("Authorization") for method, path, headers in apps.http_app.requests
                if path == "/api/orders"]
    assert BEARER in received and None in received


def test_many_endpoints_cost_about_the_slowest(apps):
    count = 20
    started = time.monotonic()
    ansible_run("http_endpoint", {"checks": [{"url": "%s/slow?n=one" % apps.http}]})
    one = time.monotonic() - started  # Ansible's own start-up on this machine right now, plus one endpoint
    started = time.monotonic()
    done, result = ansible_run("http_endpoint", {"max_workers": count, "checks": [
        {"url": "%s/slow?n=%d" % (apps.http, n)} for n in range(count)]})
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stdout
    records = result["golive_checks"]
    assert len(records) == count and all(r["status"] == "pass" for r in records)
    assert all(r["duration_ms"] >= SLOW_SECONDS * 1000 for r in records)  # each one really waited
    # One after the other they would add (count - 1) * 0.5 s = 9.5 s to the run of one.
    assert elapsed < one + count * SLOW_SECONDS / 2, (elapsed, one)


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
