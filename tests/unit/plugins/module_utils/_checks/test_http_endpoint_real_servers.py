"""http_endpoint against servers nobody here wrote: nginx, gunicorn, python3 -m http.server, uvicorn (on 127.0.0.1)."""

from __future__ import annotations

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._checks import http_endpoint

from ._http_apps import ALLOWED_ORIGIN
from ._kind_runner import run_item
from ._real_http_servers import BASIC_PASSWORD, BASIC_USER, BIG_ITEMS, LIMIT_BURST, VHOST, real_servers

TIMEOUT = 30.0  # generous: the machine may be busy; nothing here waits for a timeout
HEALTHY = [{"query": "status", "equals": "healthy"}, {"query": "workers", "min": 2}]


@pytest.fixture(scope="module")
def servers():
    with real_servers() as running:
        yield running


def check(**item):
    return run_item(http_endpoint, item, TIMEOUT)


def passes(**item):
    record = check(**item)
    assert record["status"] == "pass", record["summary"]
    return record


# --- framing: HTTP/1.0, Connection: close, keep-alive, chunked, gzip ------------------------------

def test_http_server_answers_over_http_1_0_and_closes(servers):
    record = passes(url=servers.http_server + "/health.json", json_query=HEALTHY)
    assert record["observed"]["headers"]["Server"].startswith("SimpleHTTP/")
    assert record["summary"].endswith("2 of 2 body assertions hold")
    head = passes(url=servers.http_server + "/health.json", method="HEAD")
    assert head["observed"]["body_bytes"]["value"] == 0


def test_gunicorn_sync_worker_closes_every_connection(servers):
    record = passes(url=servers.gunicorn + "/health", json_query=HEALTHY)
    assert record["observed"]["headers"]["Connection"] == "close"
    streamed = passes(url=servers.gunicorn + "/stream", json_query=HEALTHY)
    assert "Content-Length" not in streamed["observed"]["headers"]
    passes(url=servers.gunicorn + "/gzip", json_query=HEALTHY)


def test_gunicorn_over_https_closes_every_connection(servers):
    record = passes(url=servers.gunicorn_https + "/health", ca_file=servers.ca_file, json_query=HEALTHY)
    assert record["observed"]["headers"]["Connection"] == "close"
    passes(url=servers.gunicorn_https + "/stream", ca_file=servers.ca_file, json_query=HEALTHY)


def test_uvicorn_keeps_alive_and_streams_chunked(servers):
    record = passes(url=servers.uvicorn + "/health", json_query=HEALTHY)
    assert record["observed"]["headers"]["server"] == "uvicorn"
    streamed = passes(url=servers.uvicorn + "/stream", json_query=HEALTHY)
    assert streamed["observed"]["headers"]["Transfer-Encoding"] == "chunked", streamed["observed"]["headers"]


def test_nginx_answers_gzip_and_chunked_over_https(servers):
    record = passes(url=servers.nginx_https + "/health", ca_file=servers.ca_file, json_query=HEALTHY)
    headers = record["observed"]["headers"]
    assert headers["Content-Encoding"] == "gzip" and headers["Transfer-Encoding"] == "chunked"
    assert headers["Connection"] == "keep-alive"
    big = passes(url=servers.nginx_https + "/big.json", ca_file=servers.ca_file,
                 json_query=[{"query": "length(items)", "equals": BIG_ITEMS}])
    assert big["observed"]["body_bytes"]["value"] > 50000  # decoded, not the compressed size


def test_nginx_body_over_the_cap_is_an_error_naming_it(servers):
    record = check(url=servers.nginx_https + "/big.json", ca_file=servers.ca_file, max_body_bytes="16KB",
                   body_not_regex="item-04999")
    assert record["status"] == "error"
    assert record["summary"] == ("body_not_regex: /item-04999/ cannot be judged: the body is larger than "
                                 "max_body_bytes (16.0 KiB) and the part read does not contain it")
    assert record["observed"]["body_bytes"]["value"] == 16 * 1024 and record["observed"]["body_truncated"] is True


# --- the security posture, as nginx's own config sets it ----------------------------------------

def test_nginx_redirects_to_https_with_hsts_and_security_headers(servers):
    record = passes(url=servers.nginx_http + "/", require_https_redirect=True, follow_redirects=True,
                    ca_file=servers.ca_file, hsts_min_age="365d", body_regex="Welcome",
                    required_headers={"X-Content-Type-Options": "^nosniff$", "X-Frame-Options": "^DENY$",
                                      "Content-Security-Policy": "default-src"},
                    forbidden_headers={"Server": r"\d", "X-Powered-By": None})
    assert record["observed"]["redirects"] == [dict(status=301, location=servers.nginx_https + "/")]
    assert record["observed"]["hsts"] == dict(max_age=63072000, include_subdomains=True, preload=False)
    assert "redirects 301 to https" in record["summary"]


def test_nginx_cors_allows_only_its_origin(servers):
    record = passes(url=servers.nginx_https + "/health", ca_file=servers.ca_file,
                    cors_allowed_origin=ALLOWED_ORIGIN, cors_forbidden_origin="https://evil.example.test")
    assert record["observed"]["cors_allowed_origin"]["allow_origin"] == ALLOWED_ORIGIN
    assert record["observed"]["cors_forbidden_origin"]["allow_origin"] is None


def test_nginx_auth_basic_refuses_the_unauthenticated(servers):
    url = servers.nginx_https.replace("https://", f"https://{BASIC_USER}:{BASIC_PASSWORD}@") + "/api/orders"
    record = passes(url=url, ca_file=servers.ca_file, expect_unauthenticated=True,
                    json_query=[{"query": "user", "equals": BASIC_USER}])
    assert record["observed"]["unauthenticated_status"] == 401
    assert BASIC_PASSWORD not in str(record)
    wrong = check(url=url.replace(BASIC_PASSWORD, "wrong-password"), ca_file=servers.ca_file)
    assert wrong["status"] == "fail" and wrong["summary"].startswith("status 401 Unauthorized (expected 200)")


def test_nginx_limit_req_answers_429_within_the_burst(servers):
    record = passes(url=servers.nginx_https + "/limited", ca_file=servers.ca_file, rate_limit={"max_requests": 20})
    seen = record["observed"]["rate_limit"]
    # limit_req lets the first request and a burst of LIMIT_BURST through; the check's own request was the first.
    assert seen["check_requests_before"] == LIMIT_BURST + 1
    assert seen["statuses"]["429"] == 1


# --- server_name and redirects to other hosts ----------------------------------------------------

def test_server_name_probes_a_name_based_virtual_host_by_address(servers):
    record = passes(url=servers.nginx_https + "/", server_name=VHOST, ca_file=servers.ca_file,
                    body_regex=f"the {VHOST} virtual host")
    assert record["id"] == f"http_endpoint:GET {servers.nginx_https}/"
    default = passes(url=servers.nginx_https + "/", ca_file=servers.ca_file, body_regex="Welcome")
    assert default["observed"]["body"].startswith("<html>")


def test_a_redirect_to_the_server_name_stays_on_the_node_probed_by_address(servers):
    # nginx redirects to $host, the server name, which DNS does not know here (and would send elsewhere).
    record = passes(url=servers.nginx_https + "/moved", server_name=VHOST, ca_file=servers.ca_file,
                    follow_redirects=True, body_regex=f"the {VHOST} virtual host")
    port = servers.nginx_https.rsplit(":", 1)[1]
    assert record["observed"]["final_url"] == f"https://{VHOST}:{port}/", record["observed"]


def test_server_name_the_certificate_does_not_name_is_an_error(servers):
    record = check(url=servers.nginx_https + "/", server_name="other.test", ca_file=servers.ca_file)
    assert record["status"] == "error"
    assert record["summary"].startswith("TLS certificate verification failed: "), record["summary"]
    assert "other.test" in record["summary"]


def test_nginx_redirect_to_another_host_is_not_followed_unless_allowed(servers):
    url = servers.nginx_http + "/elsewhere"
    target = servers.nginx_http.replace("127.0.0.1", "localhost") + "/health"
    record = check(url=url, follow_redirects=True, json_query=HEALTHY)
    assert record["status"] == "fail"
    assert record["summary"] == (f"redirect 302 to {target} not followed: host localhost is not the url's host nor in "
                                 "redirect_hosts")
    allowed = passes(url=url, follow_redirects=True, redirect_hosts=["localhost"], json_query=HEALTHY)
    assert allowed["observed"]["final_url"] == target
