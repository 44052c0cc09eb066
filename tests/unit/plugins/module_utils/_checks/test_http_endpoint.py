"""http_endpoint: real HTTP(S) apps on 127.0.0.1 (see _http_apps.py), every status path and bad input."""

from __future__ import annotations

import json
import sys
import time

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._checks import http_endpoint

from ._http_apps import ALLOWED_ORIGIN, BEARER, HEALTH, TOKEN, running_apps
from ._kind_runner import run_item as run_kind_item
from ._kind_runner import validated_item

EVIL_ORIGIN = "https://evil.example.test"


@pytest.fixture(scope="module")
def apps():
    with running_apps() as running:
        yield running


def validated(item):
    return validated_item(http_endpoint, item)


def check(item, timeout=5.0):
    """The record of one item, prepared the way every module prepares it."""
    record = run_kind_item(http_endpoint, item, timeout)
    assert TOKEN not in json.dumps(record)  # whatever the check, the secret never shows
    return record


def prepare(**item):
    return http_endpoint.prepare(validated(item))


# --- status, latency, body ----------------------------------------------------------------------

def test_healthy_json_endpoint_passes_with_its_facts(apps):
    url = apps.http + "/health"
    record = check(dict(url=url, json_query=[{"query": "status", "equals": "healthy"},
                                             {"query": "db.ok", "equals": True},
                                             {"query": "workers", "min": 2, "max": 16}]))
    assert record["id"] == f"http_endpoint:GET {url}"
    assert record["title"] == f"HTTP GET {url}"
    assert (record["kind"], record["section"], record["severity"]) == ("http_endpoint", "application", "high")
    assert record["status"] == "pass", record["summary"]
    assert record["summary"].startswith("status 200; latency ")
    assert record["summary"].endswith("; 3 of 3 body assertions hold")
    observed = record["observed"]
    assert observed["status"] == 200 and observed["reason"] == "OK"
    assert json.loads(observed["body"]) == HEALTH
    assert observed["body_bytes"]["value"] == len(json.dumps(HEALTH)) and observed["body_truncated"] is False
    assert observed["headers"]["Content-Type"] == "application/json"
    assert 0 <= observed["latency_ms"]["value"] < 30000  # a measured figure; how large depends on the machine's load
    assert [a["passed"] for a in observed["assertions"]] == [True, True, True]
    assert observed["assertions"][2] == dict(query="workers", assertion="min 2, max 16", passed=True, actual="4")
    assert record["expected"]["status"] == [200]


def test_json_assertion_that_does_not_hold_fails_naming_the_query(apps):
    record = check(dict(url=apps.http + "/health", json_query=[
        {"query": "db.ok", "equals": False}, {"query": "version", "matches": "^3\\."}, {"query": "db", "length": 1}]))
    assert record["status"] == "fail"
    assert record["summary"] == "db.ok is true, expected false; version 2.4.1 does not match /^3\\./"
    assert [a["passed"] for a in record["observed"]["assertions"]] == [False, False, True]


def test_unexpected_status_fails_and_listed_statuses_pass(apps):
    record = check(dict(url=apps.http + "/unhealthy"))
    assert record["status"] == "fail"
    assert record["summary"].startswith("status 503 Service Unavailable (expected 200)")
    assert check(dict(url=apps.http + "/unhealthy", status=[200, 503]))["status"] == "pass"
    assert check(dict(url=apps.http + "/unhealthy", status="200,503"))["status"] == "pass"


def test_latency_grades_warn_and_fail(apps):
    url = apps.http + "/slow"
    warned = check(dict(url=url, latency_warn_above="100ms"))
    assert warned["status"] == "warn"
    assert warned["summary"].startswith("latency ") and warned["summary"].endswith("(warn > 100ms)")
    assert warned["observed"]["latency_ms"]["value"] >= 500 and warned["observed"]["latency_ms"]["unit"] == "ms"
    assert warned["observed"]["latency"]["unit"] == "seconds" and warned["observed"]["latency"]["value"] >= 0.5
    assert warned["expected"]["latency"] == {"warn": {"above": 0.1}, "unit": "seconds"}
    failed_levels = {"warn": {"above": 0.1}, "fail": {"above": 0.2}, "unit": "seconds"}
    failed = check(dict(url=url, latency_warn_above="100ms", latency_fail_above=0.2))
    assert failed["status"] == "fail" and failed["expected"]["latency"] == failed_levels
    assert failed["summary"].endswith("(warn > 100ms, fail > 200ms)")
    assert check(dict(url=url, latency_warn_above="20s", latency_fail_above="30s"), timeout=60.0)["status"] == "pass"


def test_body_regexes(apps):
    url = apps.http + "/"
    assert check(dict(url=url, body_regex="Welcome", body_not_regex="(?i)exception|traceback"))["status"] == "pass"
    record = check(dict(url=url, body_regex="Goodbye", body_not_regex="shop"))
    assert record["status"] == "fail"
    assert record["summary"] == "body does not match /Goodbye/; body matches /shop/"


def test_body_that_is_not_json_is_an_error_finding(apps):
    record = check(dict(url=apps.http + "/not-json", json_query=[{"query": "status", "equals": "healthy"}]))
    assert record["status"] == "error"
    assert record["summary"].startswith("body is not JSON: ")


def test_only_max_body_bytes_are_read(apps):
    record = check(dict(url=apps.http + "/big", max_body_bytes="4KB", body_regex="items"))
    assert record["status"] == "pass"
    assert record["observed"]["body_bytes"]["value"] == 4096 and record["observed"]["body_truncated"] is True
    record = check(dict(url=apps.http + "/big", max_body_bytes=1000, json_query=[{"query": "items", "length": 2048}]))
    assert record["status"] == "error"
    assert record["summary"] == "body is larger than max_body_bytes (1000 B); its JSON cannot be evaluated"


def test_head_and_post_with_json(apps):
    head = check(dict(url=apps.http + "/health", method="head"))
    assert head["status"] == "pass" and head["id"].startswith("http_endpoint:HEAD ")
    assert head["observed"]["body_bytes"]["value"] == 0
    posted = check(dict(url=apps.http + "/echo", method="POST", json={"query": "shoes"},
                        json_query=[{"query": "method", "equals": "POST"},
                                    {"query": "headers.\"Content-Type\"", "equals": "application/json"},
                                    {"query": "body", "equals": '{"query": "shoes"}'}]))
    assert posted["status"] == "pass", posted["summary"]
    sent = check(dict(url=apps.http + "/echo", method="PUT", body="plain", headers={"X-Probe": "golive"},
                      json_query=[{"query": "body", "equals": "plain"}, {"query": "headers.\"X-Probe\"",
                                                                         "equals": "golive"}]))
    assert sent["status"] == "pass", sent["summary"]
    assert sent["observed"]["request"] == dict(method="PUT", url=apps.http + "/echo", headers={"X-Probe": "golive"})


def test_compressed_bodies_are_decoded_within_max_body_bytes(apps):
    record = check(dict(url=apps.http + "/raw-deflate", json_query=[{"query": "status", "equals": "healthy"}]))
    assert record["status"] == "pass", record["summary"]
    bomb = check(dict(url=apps.http + "/gzip-bomb", json_query=[{"query": "length(@)", "equals": 0}]), timeout=20)
    assert bomb["status"] == "error"
    assert bomb["summary"] == "body is larger than max_body_bytes (1.0 MiB); its JSON cannot be evaluated"
    assert bomb["observed"]["body_bytes"]["value"] == 1024 * 1024 and bomb["observed"]["body_truncated"] is True


def test_headers_replace_the_defaults_whatever_their_case(apps):
    record = check(dict(url=apps.http + "/echo", headers={"accept-encoding": "identity", "user-agent": "ops-probe"},
                        json_query=[{"query": "headers.\"accept-encoding\"", "equals": "identity"},
                                    {"query": "headers.\"User-Agent\"", "truthy": False},
                                    {"query": "headers.\"user-agent\"", "equals": "ops-probe"}]))
    assert record["status"] == "pass", record["summary"]


def test_credential_headers_given_in_headers_are_sent_but_shown_masked(apps):
    record = check(dict(url=apps.http + "/echo", headers={"X-Api-Key": TOKEN, "X-Probe": "golive"},
                        json_query=[{"query": "headers.\"X-Api-Key\"", "equals": TOKEN}]))
    assert record["status"] == "pass", record["summary"]  # the server got the key (check() searched the record)
    request = record["observed"]["request"]
    assert request["headers"] == {"X-Probe": "golive"}
    assert request["secret_headers"] == {"X-Api-Key": "\u2026c7b2"}


def test_request_body_echoed_back_is_not_shown(apps):
    secret_body = {"grant": "refresh", "refresh_token": "rt-" + TOKEN[::-1]}
    record = check(dict(url=apps.http + "/echo", method="POST", json=secret_body,
                        json_query=[{"query": "body", "equals": json.dumps(secret_body)}]))
    assert record["status"] == "pass", record["summary"]
    assert TOKEN[::-1] not in json.dumps(record)
    assert "body" not in record["observed"]["request"]


# --- redirects ----------------------------------------------------------------------------------

def test_redirect_is_the_answer_unless_followed(apps):
    url = apps.http + "/redirect-302"
    record = check(dict(url=url))
    assert record["status"] == "fail"
    assert record["summary"].startswith("status 302 Found (expected 200)")
    followed = check(dict(url=url, follow_redirects=True, ca_file=apps.ca_file, body_regex="Welcome"))
    assert followed["status"] == "pass", followed["summary"]
    assert followed["observed"]["redirects"] == [dict(status=302, location=apps.https + "/redirect-302")]
    assert followed["observed"]["final_url"] == apps.https + "/redirect-302"


def test_redirect_loop_is_an_error(apps):
    record = check(dict(url=apps.http + "/redirect-loop", follow_redirects=True))
    assert record["status"] == "error"
    assert record["summary"] == f"more than 10 redirects, the last to {apps.http}/redirect-loop"


def test_redirect_to_another_host_fails_naming_it_unless_listed_in_redirect_hosts(apps):
    record = check(dict(url=apps.http + "/redirect-other-host", follow_redirects=True, body_regex="never-there"))
    target = apps.http.replace("127.0.0.1", "localhost") + "/echo"
    assert record["status"] == "fail"
    assert record["summary"] == (f"redirect 302 to {target} not followed: host localhost is not the url's host nor in "
                                 "redirect_hosts")
    assert record["observed"]["refused_redirect"] == dict(status=302, location=target)
    assert record["expected"]["redirect_hosts"] == ["127.0.0.1"]
    assert apps.http_app.requests[-1][1] == "/redirect-other-host"  # the other host was never asked
    allowed = check(dict(url=apps.http + "/redirect-other-host", follow_redirects=True, redirect_hosts=["LocalHost"]))
    assert allowed["status"] == "pass", allowed["summary"]
    assert allowed["observed"]["final_url"] == target


def test_credentials_do_not_follow_a_redirect_to_another_host(apps):
    record = check(dict(url=apps.http + "/redirect-other-host", follow_redirects=True, redirect_hosts=["localhost"],
                        secret_headers={"Authorization": BEARER}, headers={"X-Probe": "golive"},
                        json_query=[{"query": "headers.\"X-Probe\"", "equals": "golive"},
                                    {"query": "headers.Authorization", "truthy": False}]))
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["final_url"] == apps.http.replace("127.0.0.1", "localhost") + "/echo"


# --- security posture ---------------------------------------------------------------------------

def test_permanent_redirect_to_https_passes(apps):
    record = check(dict(url=apps.http + "/redirect-301", require_https_redirect=True))
    assert record["status"] == "pass", record["summary"]
    assert "redirects 301 to https" in record["summary"]
    assert record["observed"]["https_redirect"] == dict(status=301, location=apps.https + "/redirect-301")
    assert record["expected"]["https_redirect"] == "301 or 308 to https://127.0.0.1/redirect-301"
    assert "status" not in record["expected"]  # the redirect is the answer


def test_temporary_redirect_to_https_fails_unless_allowed(apps):
    url = apps.http + "/redirect-302"
    record = check(dict(url=url, require_https_redirect=True))
    assert record["status"] == "fail"
    assert record["summary"] == ("redirect to https is temporary (302); use 301 or 308, or set "
                                 "allow_temporary_redirect")
    allowed = check(dict(url=url, require_https_redirect=True, allow_temporary_redirect=True))
    assert allowed["status"] == "pass", allowed["summary"]


def test_no_redirect_or_a_redirect_elsewhere_fails(apps):
    record = check(dict(url=apps.http + "/account", require_https_redirect=True))
    assert record["status"] == "fail"
    assert record["summary"] == "http answered 200 instead of redirecting to https"
    record = check(dict(url=apps.http + "/redirect-elsewhere", require_https_redirect=True))
    assert record["status"] == "fail"
    assert record["summary"] == ("redirect goes to https://other.invalid/redirect-elsewhere, not to the same host "
                                 "and path over https")


def test_followed_https_redirect_then_judges_the_https_answer(apps):
    record = check(dict(url=apps.http + "/redirect-301", require_https_redirect=True, follow_redirects=True,
                        ca_file=apps.ca_file, hsts_min_age="180d"))
    assert record["status"] == "fail"
    assert record["summary"] == "Strict-Transport-Security is missing"
    assert record["observed"]["status"] == 200


def test_hsts(apps):
    long = check(dict(url=apps.https + "/hsts", ca_file=apps.ca_file, hsts_min_age="365d"))
    assert long["status"] == "pass", long["summary"]
    assert long["observed"]["hsts"] == dict(max_age=63072000, include_subdomains=True, preload=False)
    assert "HSTS max-age 730d; includeSubDomains" in long["summary"]
    assert long["expected"]["hsts_max_age"] == {"fail": {"below": 365 * 86400}, "unit": "seconds"}
    short = check(dict(url=apps.https + "/hsts-short", ca_file=apps.ca_file, hsts_min_age=86400))
    assert short["status"] == "fail"
    assert short["summary"] == "HSTS max-age 5m is below 1d"
    missing = check(dict(url=apps.https + "/", ca_file=apps.ca_file, hsts_min_age="1d"))
    assert missing["status"] == "fail" and missing["summary"] == "Strict-Transport-Security is missing"


def test_hsts_over_plain_http_fails(apps):
    record = check(dict(url=apps.http + "/hsts", follow_redirects=True, hsts_min_age="1d"))
    assert record["status"] == "fail"
    assert record["summary"].startswith("HSTS cannot be judged: the final response came over http")


def test_required_headers_by_name_and_by_value(apps):
    url = apps.http + "/secure-headers"
    record = check(dict(url=url, required_headers=["X-Content-Type-Options", "Content-Security-Policy"]))
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["headers"]["Set-Cookie"] == "\u2026Only"  # a cookie is a credential: masked
    record = check(dict(url=url, required_headers={"X-Frame-Options": "^(DENY|SAMEORIGIN)$",
                                                   "X-Content-Type-Options": "^nosniff$",
                                                   "Referrer-Policy": ""}))
    assert record["status"] == "fail"
    assert record["summary"] == "header Referrer-Policy is missing"
    record = check(dict(url=url, required_headers={"X-Frame-Options": "^SAMEORIGIN$"}))
    assert record["summary"] == "header X-Frame-Options: 'DENY' does not match /^SAMEORIGIN$/"


def test_forbidden_headers_catch_version_banners(apps):
    forbidden = {"Server": r"\d", "X-Powered-By": None}
    record = check(dict(url=apps.http + "/banner", forbidden_headers=forbidden))
    assert record["status"] == "fail"
    assert record["summary"] == ("header Server: 'nginx/1.18.0' matches the forbidden /\\d/; header X-Powered-By is "
                                 "sent ('PHP/7.4.3') but is forbidden")
    assert record["expected"]["forbidden_headers"] == {"Server": "\\d", "X-Powered-By": "absent"}
    assert check(dict(url=apps.http + "/health", forbidden_headers=forbidden))["status"] == "pass"
    assert check(dict(url=apps.http + "/banner", forbidden_headers="x-powered-by"))["status"] == "fail"


def test_cors_that_echoes_any_origin_fails(apps):
    url = apps.http + "/cors-any"
    record = check(dict(url=url, cors_allowed_origin=ALLOWED_ORIGIN, cors_forbidden_origin=EVIL_ORIGIN))
    assert record["status"] == "fail"
    assert record["summary"] == f"CORS allows the foreign origin {EVIL_ORIGIN} with credentials"
    assert record["observed"]["cors_forbidden_origin"] == dict(
        origin=EVIL_ORIGIN, status=200, allow_origin=EVIL_ORIGIN, allow_credentials=True)
    assert f"CORS allows {ALLOWED_ORIGIN}" in check(dict(url=url, cors_allowed_origin=ALLOWED_ORIGIN))["summary"]


def test_cors_that_echoes_only_the_allowed_origin_passes(apps):
    url = apps.http + "/cors-strict"
    record = check(dict(url=url, cors_allowed_origin=ALLOWED_ORIGIN, cors_forbidden_origin=EVIL_ORIGIN))
    assert record["status"] == "pass", record["summary"]
    assert record["summary"].endswith(f"CORS allows {ALLOWED_ORIGIN}; CORS refuses {EVIL_ORIGIN}")
    record = check(dict(url=url, cors_allowed_origin="https://admin.example.test"))
    assert record["status"] == "fail"
    assert record["summary"] == "CORS does not allow https://admin.example.test (Access-Control-Allow-Origin: absent)"


def test_protected_url_refuses_unauthenticated_requests_and_the_token_never_shows(apps):
    url = apps.http + "/api/orders"
    record = check(dict(url=url, secret_headers={"Authorization": BEARER}, expect_unauthenticated=True,
                        json_query=[{"query": "user", "equals": "ops"}]))
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["unauthenticated_status"] == 401
    assert record["expected"]["unauthenticated_status"] == [401, 403]
    assert record["observed"]["request"]["secret_headers"] == {"Authorization": "\u2026c7b2"}
    assert "token_seen" in record["observed"]["body"]  # the echoed token is shown masked (check() searched)
    without = check(dict(url=url))
    assert without["status"] == "fail" and without["summary"].startswith("status 401 Unauthorized (expected 200)")


def test_open_url_expected_to_be_protected_fails(apps):
    record = check(dict(url=apps.http + "/admin", expect_unauthenticated=[401]))
    assert record["status"] == "fail"
    assert record["summary"] == "without credentials the url answers 200 (expected 401)"


def test_secrets_echoed_anywhere_are_scrubbed(apps):
    record = check(dict(url=apps.http + "/echo", secret_headers={"Authorization": BEARER, "X-Api-Key": TOKEN[::-1]},
                        body_regex="never-there", json_query=[{"query": "headers", "length": 1}]))
    assert record["status"] == "fail"
    assert TOKEN[::-1] not in json.dumps(record)
    assert '"Authorization": "\u2026c7b2"' in record["observed"]["body"]
    # Shortened values may end inside a secret: even that beginning of it is masked.
    assert '"X-Api-Key": "' in record["observed"]["assertions"][1]["actual"]
    assert TOKEN[::-1][:4] not in json.dumps(record)


def test_password_in_the_url_is_sent_as_basic_auth_and_masked(apps):
    url = apps.http.replace("http://", "http://probe:S3cret-pw-9f2d1e@") + "/echo"
    record = check(dict(url=url, json_query=[{"query": "headers.Authorization", "matches": "^Basic "}]))
    assert record["status"] == "pass", record["summary"]
    assert record["id"] == "http_endpoint:GET {}".format(apps.http.replace("http://", "http://probe:****@")) + "/echo"
    assert "S3cret-pw-9f2d1e" not in json.dumps(record)
    assert "cHJvYmU6UzNjcmV0LXB3LTlmMmQxZQ" not in json.dumps(record)  # nor its base64 form


def test_unknown_path_must_answer_404(apps):
    record = check(dict(url=apps.http + "/health", expect_not_found_path="/definitely-not-here"))
    assert record["status"] == "pass"
    assert record["observed"]["not_found"] == dict(path="/definitely-not-here", status=404)
    soft = check(dict(url=apps.spa + "/", expect_not_found_path="/definitely-not-here"))
    assert soft["status"] == "fail"
    assert soft["summary"] == "/definitely-not-here answers 200, not 404"


def test_rate_limit_met_within_the_burst(apps):
    record = check(dict(url=apps.http + "/limited?client=burst-ok", rate_limit={"max_requests": 10}))
    assert record["status"] == "pass", record["summary"]
    seen = record["observed"]["rate_limit"]
    # The server allows 5: the check's main request was the first, the burst's 5th request is limited.
    assert seen == dict(burst=5, limited_after=4, check_requests_before=5, statuses={"200": 4, "429": 1},
                        retry_after="60")
    assert record["summary"].endswith("rate limited (429) at request 5 of the burst, after 5 requests of this check")
    assert record["expected"]["rate_limit"] == "429 within 10 requests"


def test_rate_limit_not_met_fails_after_a_bounded_burst(apps):
    record = check(dict(url=apps.http + "/limited?client=burst-short", rate_limit={"max_requests": 3}))
    assert record["status"] == "fail"
    assert record["summary"] == "no 429 within 3 requests (answers: 200 x3)"
    assert record["observed"]["rate_limit"]["burst"] == 3
    counted = apps.http_app.counters["limited:burst-short"]
    assert counted == 4  # the main request and the burst of 3, nothing more


# --- could not evaluate -------------------------------------------------------------------------

def test_server_that_accepts_and_never_answers_times_out(apps):
    started = time.monotonic()
    record = check(dict(url=apps.silent + "/health"), timeout="1s")
    assert time.monotonic() - started < 20  # the listener never answers: only the 1 s timeout ends it
    assert record["status"] == "error"
    assert record["summary"].startswith("timed out after ")
    assert record["summary"].endswith("waiting for the response from {}".format(apps.silent[len("http://"):]))


def test_server_that_never_completes_the_tls_handshake_times_out(apps):
    record = check(dict(url=apps.silent_https + "/"), timeout=1.0)
    assert record["status"] == "error"
    assert "timed out after" in record["summary"] and "TLS handshake" in record["summary"]


def test_body_that_never_comes_times_out(apps):
    record = check(dict(url=apps.http + "/stalls-body"), timeout=1.0)
    assert record["status"] == "error"
    assert record["summary"].startswith("timed out after ") and "reading the body" in record["summary"]


def test_server_that_trickles_its_answer_is_bounded_by_the_check_timeout(apps):
    record = check(dict(url=apps.http + "/trickle"), timeout=1.0)
    assert record["status"] == "error"
    # The client's own deadline ended it (the runner's would say only "timed out after 1s").
    assert record["summary"].endswith("waiting for the response from {}".format(apps.http[len("http://"):])), record


def test_refused_connection_is_an_error(apps):
    record = check(dict(url=apps.refused + "/health"))
    assert record["status"] == "error"
    assert record["summary"] == "connection refused by {}".format(apps.refused[len("http://"):])


def test_untrusted_certificate_is_an_error_naming_the_reason(apps):
    record = check(dict(url=apps.https + "/health"))
    assert record["status"] == "error"
    assert record["summary"].startswith("TLS certificate verification failed: unable to get local issuer certificate")


def test_certificate_for_another_name_is_an_error_unless_not_validated(apps):
    record = check(dict(url=apps.wrong_name + "/health", ca_file=apps.ca_file))
    assert record["status"] == "error"
    assert record["summary"].startswith("TLS certificate verification failed: IP address mismatch")
    assert check(dict(url=apps.wrong_name + "/health", validate_certs=False))["status"] == "pass"


def test_client_certificate_for_mutual_tls(apps):
    url = apps.mtls + "/health"
    refused = check(dict(url=url, ca_file=apps.ca_file))
    assert refused["status"] == "error"
    assert refused["summary"].startswith("TLS "), refused["summary"]
    assert "the server may require a client certificate (client_cert)" in refused["summary"]
    record = check(dict(url=url, ca_file=apps.ca_file, client_cert=apps.client_cert, client_key=apps.client_key))
    assert record["status"] == "pass", record["summary"]


def test_unreadable_ca_file_is_an_error(apps, tmp_path):
    record = check(dict(url=apps.https + "/health", ca_file=str(tmp_path / "missing.pem")))
    assert record["status"] == "error"
    assert record["summary"].startswith("ca_file: cannot load %s" % (tmp_path / "missing.pem"))


def test_missing_jmespath_is_an_error_with_the_standard_text(apps, monkeypatch):
    monkeypatch.setitem(sys.modules, "jmespath", None)  # what an import finds when it is not installed
    record = check(dict(url=apps.http + "/health", json_query=[{"query": "status", "equals": "healthy"}]))
    assert record["status"] == "error"
    assert record["summary"].startswith("Failed to import the required Python library (jmespath)")


# --- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize("item, message", [
    (dict(url="ftp://files.example.test/x"), "url: 'ftp://files.example.test/x' must start with http:// or https://"),
    (dict(url="http:///health"), "url: 'http:///health' names no host"),
    (dict(url="http://h.test:99999/"), "url: 'http://h.test:99999/' has an invalid port"),
    (dict(url="http://h.test/", status=700), "status: 700 is not an HTTP status code (100-599)"),
    (dict(url="http://h.test/", status="ok"), "status: 'ok' is not an HTTP status code"),
    (dict(url="http://h.test/", status=[]), "status: must list at least one status code"),
    (dict(url="http://h.test/", latency_warn_above="2s", latency_fail_above="1s"),
     "latency_warn_above/latency_fail_above: the warn level (2s) must be below the fail level (1s)"),
    (dict(url="http://h.test/", latency_warn_above="fast"), "latency_warn_above: 'fast' is not a number"),
    (dict(url="http://h.test/", rate_limit={"expect_status": 429}), "rate_limit: max_requests is required"),
    (dict(url="http://h.test/", rate_limit={"max_requests": 0}), "rate_limit: max_requests must be between 1 and"),
    (dict(url="http://h.test/", json_query=[{"query": "db.[", "equals": 1}]), "json_query[0]: query 'db.[' is not"),
    (dict(url="http://h.test/", json_query=[{"query": "db"}]), "json_query[0]: give at least one of equals"),
    (dict(url="http://h.test/", body="a", json={"a": 1}), "body/json: give one of them, not both"),
    (dict(url="https://h.test/", require_https_redirect=True), "require_https_redirect: only applies to an http://"),
    (dict(url="http://h.test/", allow_temporary_redirect=True), "allow_temporary_redirect: only applies with"),
    (dict(url="http://h.test/", method="HEAD", body_regex="x"), "method: a HEAD response has no body"),
    (dict(url="http://h.test/", method="GET /x"), "method: 'GET /x' is not an HTTP method"),
    (dict(url="http://h.test/", headers={"Bad Name": "x"}), "headers: 'Bad Name' is not a header name"),
    (dict(url="http://h.test/", headers={"a": 1}, secret_headers={"A": "b"}),
     "headers/secret_headers: a set in both"),
    (dict(url="http://h.test/", headers={"X-Name": "\u2603"}), "headers: '\u2603' of X-Name is not Latin-1 text"),
    (dict(url="http://h.test/", body_regex="("), "body_regex: '(' is not a valid regular expression"),
    (dict(url="http://h.test/", required_headers={"X-A": "["}), "required_headers: X-A: '[' is not a valid"),
    (dict(url="http://h.test/", forbidden_headers=5), "forbidden_headers: must be a list of header names"),
    (dict(url="http://h.test/", cors_allowed_origin="https://a.test/path"), "cors_allowed_origin: 'https://a.test/pa"),
    (dict(url="http://h.test/", cors_forbidden_origin="evil.test"), "cors_forbidden_origin: 'evil.test' is not an"),
    (dict(url="http://h.test/", expect_unauthenticated="yes"), "expect_unauthenticated: 'yes' is not an HTTP"),
    (dict(url="http://h.test/", expect_not_found_path="nothing"), "expect_not_found_path: 'nothing' must start"),
    (dict(url="http://h.test/", max_body_bytes=0), "max_body_bytes: must be at least 1 byte"),
    (dict(url="http://h.test/", max_body_bytes="lots"), "max_body_bytes: 'lots' is not a number"),
    (dict(url="https://h.test/", client_key="/k.pem"), "client_key: only applies with client_cert"),
    (dict(url="https://h.test/", ca_file="/ca.pem", validate_certs=False), "ca_file: only applies when"),
    (dict(url="http://h.test/", hsts_min_age="1d"), "hsts_min_age: only applies to an https:// url"),
    (dict(url="https://h.test/", hsts_min_age="a while"), "hsts_min_age: 'a while' is not a number"),
    (dict(url="https://h.test/", server_name="shop.test:443"), "server_name: 'shop.test:443' is not a host name"),
    (dict(url="https://h.test/", server_name="a.test", headers={"host": "b.test"}), "server_name: give either"),
    (dict(url="https://h.test/", redirect_hosts=["cdn.test"]), "redirect_hosts: only applies with follow_redirects"),
    (dict(url="https://h.test/", follow_redirects=True, redirect_hosts=["ok.test", "https://cdn.test"]),
     "redirect_hosts[1]: 'https://cdn.test' is not a host name"),
])
def test_bad_options_name_the_option(item, message):
    with pytest.raises(OptionError) as raised:
        prepare(**item)
    assert str(raised.value).startswith(message), str(raised.value)


def test_secret_header_with_a_line_break_is_refused_without_showing_it():
    with pytest.raises(OptionError) as raised:
        prepare(url="http://h.test/", secret_headers={"Authorization": BEARER + "\r\nX-Evil: 1"})
    assert str(raised.value) == "secret_headers: its value of Authorization contains a line break"
    with pytest.raises(OptionError) as raised:
        prepare(url="http://h.test/", headers={"X-Auth-Token": TOKEN + "\n"})
    assert str(raised.value) == "headers: its value of X-Auth-Token contains a line break"


def test_prepare_touches_nothing(tmp_path):
    # Missing files and unresolvable hosts are found by run(), not by prepare() (it runs on the controller).
    plan = prepare(url="https://nowhere.invalid/", ca_file=str(tmp_path / "none.pem"),
                   client_cert=str(tmp_path / "none.crt"))
    assert plan["ca_file"].endswith("none.pem")
    assert plan["status"] == [200] and plan["max_body_bytes"] == 1024 * 1024
