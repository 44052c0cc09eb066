"""Secret values read on the hosts never reach the output or the report of a real golive run."""

from __future__ import annotations

import base64
import json
import os
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, quote, quote_plus

import pytest
from loopback_http import serve_http
from playbook_runs import HEALTHY_VARS, SSH_HOSTS, checks_by_host

pytestmark = pytest.mark.integration

# Distinctive random-looking parts: none of them may appear anywhere, not even in part.
SECRET_KEY = "Zq8Kx3RtQ7mW2pVn9LsY4bHj6DfG1cAe"
DB_PASSWORD = "Pw9xQ2mZr7KtL4vN"
TOKEN_TAIL = "Hk27vQpX93LmRtWy"
API_TOKEN = "changeme-" + TOKEN_TAIL
ENV_FILE_TEXT = f"""\
APP_ENV=production
SECRET_KEY="{SECRET_KEY}"
DATABASE_URL=postgresql://shop:{DB_PASSWORD}@db-primary.shop.internal:5432/shop
API_TOKEN={API_TOKEN}
"""
# Masked forms may show a few characters (mask_secret keeps the last four), never this many in a row.
LEAK_WINDOW = 6


def leaked_fragments(text, secrets=(SECRET_KEY, DB_PASSWORD, TOKEN_TAIL), window=LEAK_WINDOW):
    """Every ``window``-character fragment of a secret that occurs in ``text``."""
    found = set()
    for secret in secrets:
        for start in range(len(secret) - window + 1):
            fragment = secret[start:start + window]
            if fragment in text:
                found.add(fragment)
    return sorted(found)


@pytest.fixture
def secret_env_file(tmp_path):
    path = tmp_path / "shop.env"
    path.write_text(ENV_FILE_TEXT)
    path.chmod(0o600)
    return str(path)


def test_env_secrets_stay_on_the_hosts(golive, secret_env_file):
    env_check = dict(
        env_file=secret_env_file,
        required=["APP_ENV", "SECRET_KEY", "DATABASE_URL", "API_TOKEN"],
        # SECRET_KEY does not match: the failure must say so without quoting the value.
        expected_values=dict(APP_ENV="^production$", SECRET_KEY="^live-"),
    )
    group_vars = dict(HEALTHY_VARS, golive_env_vars=[env_check])
    # -v prints every task result, including the check records the hosts sent back.
    run = golive.run("-v", group_vars=group_vars, label="secrets")

    assert run.returncode != 0, run.tail()
    assert run.verdict == "NO-GO", run.tail()
    report = run.report
    for host in SSH_HOSTS:
        record = checks_by_host(report)[host][f"env_vars:{secret_env_file}"]
        assert record["status"] == "fail", record
        assert "API_TOKEN" in record["summary"], record
        assert "SECRET_KEY" in record["summary"], record

    places = dict(stdout=run.stdout, stderr=run.stderr, report_json=run.report_text("report.json"),
                  junit_xml=run.junit)
    leaks = dict((place, leaked_fragments(text)) for place, text in places.items())
    assert dict((place, found) for place, found in leaks.items() if found) == {}, leaks


# --- credentials an endpoint echoes back ---------------------------------------------------------

ECHO_USER = "probe"
ECHO_PASSWORD = "Wq7/Lr+Xe92Tz=Vn4"  # '/', '+' and '=' make its URL-encoded forms differ from it
BEARER_TAIL = "Bt5Rk82WqYz3NcLp"
BODY_SECRET = "Rf6Jn3Qx8Tb1MzKd"
FORM_SECRET = "Kp4/Wz8+Nq2Xv6Tj"  # sent form-encoded; the server echoes the field alone, decoded
# Derived forms are longer and made of base64 or %-escapes: fragments this long cannot occur by chance.
DERIVED_WINDOW = 10


def wire_forms():
    """Every form the echoed credentials take: plain, basic-auth base64, URL-encoded, and base64 of each."""
    pair = (f"{ECHO_USER}:{ECHO_PASSWORD}").encode()
    forms = [base64.b64encode(pair).decode(), base64.urlsafe_b64encode(pair).decode()]
    for secret in (ECHO_PASSWORD, BEARER_TAIL, BODY_SECRET, FORM_SECRET):
        forms += [quote(secret, safe=""), quote_plus(secret), base64.b64encode(secret.encode()).decode()]
    return [form.rstrip("=") for form in forms]


class EchoHandler(BaseHTTPRequestHandler):
    """Answers every request with its headers and body: in the response's headers and in a JSON body,
    which also holds the body's form fields one by one (as an OAuth server's error names a field)."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def echo(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode(errors="replace") if length else ""
        payload = json.dumps({"form": dict(parse_qsl(body)), "path": self.path, "headers": dict(self.headers.items()),
                              "body": body}).encode()
        self.send_response(200)
        for name, value in self.headers.items():
            self.send_header("X-Echo-" + name, value)
        self.send_header("X-Echo-Body", body.replace("\r", " ").replace("\n", " "))
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = echo


def endpoint_vars(echo):
    """Endpoint checks of web01 that send credentials in every way an item can give them."""
    return dict(
        golive_http_endpoints=[
            dict(url=echo + "/api/search", method="POST", headers={"Authorization": "Bearer " + BEARER_TAIL},
                 json={"refresh_token": BODY_SECRET, "query": "shoes"}, body_regex="never-in-the-answer"),
            dict(url=echo.replace("http://", "http://{}:{}@".format(ECHO_USER, quote(ECHO_PASSWORD, safe=""))) + "/me",
                 headers={"X-Api-Key": BEARER_TAIL[::-1], "Accept": "application/json"}),
            dict(url=echo + "/oauth/token", method="POST",
                 headers={"Content-Type": "application/x-www-form-urlencoded"},
                 body="grant_type=client_credentials&client_secret=" + quote(FORM_SECRET, safe="")),
        ],
        golive_prometheus=[dict(url=echo + "/prometheus", username=ECHO_USER, password=ECHO_PASSWORD)],
        golive_alertmanagers=[dict(url=echo + "/alertmanager", bearer_token=BEARER_TAIL)],
    )


def files_under(directory):
    """{relative path: text} of every file the report callback wrote, the history's archives included; report.html
    without its line-break opportunities (<wbr>), so that a secret split by them is still found."""
    texts = {}
    for root, _dirs, names in os.walk(directory):
        for name in names:
            path = os.path.join(root, name)
            with open(path, encoding="utf-8", errors="replace") as handle:
                text = handle.read()
            texts[os.path.relpath(path, directory)] = text.replace("<wbr>", "") if name.endswith(".html") else text
    return texts


def test_echoed_credentials_stay_secret_in_every_form(golive, tmp_path):
    log_path = str(tmp_path / "ansible.log")
    with serve_http(EchoHandler) as echo:
        run = golive.run("-vvv", group_vars=HEALTHY_VARS, host_vars={"web01": endpoint_vars(echo)},
                         env={"ANSIBLE_LOG_PATH": log_path}, label="echoed-secrets")

    checks = checks_by_host(run.report)["web01"]
    kinds = sorted(record["kind"] for record in checks.values()
                   if record["kind"] in ("http_endpoint", "prometheus_targets", "alertmanager"))
    assert kinds == ["alertmanager", "http_endpoint", "http_endpoint", "http_endpoint", "prometheus_targets"], \
        run.tail()
    search = next(record for record in checks.values() if record["kind"] == "http_endpoint"
                  and record["observed"].get("request", {}).get("url", "").endswith("/api/search"))
    token = next(record for record in checks.values() if record["kind"] == "http_endpoint"
                 and record["observed"].get("request", {}).get("url", "").endswith("/oauth/token"))
    assert '"form"' in token["observed"]["body"], token
    # The server did get the credentials and echoed them (the check read its answer, shown masked).
    assert search["observed"]["status"] == 200 and "X-Echo-Authorization" in search["observed"]["headers"], search
    assert os.path.isdir(os.path.join(run.report_dir, "history")), run.tail()

    with open(log_path, encoding="utf-8", errors="replace") as handle:
        places = dict(stdout=run.stdout, stderr=run.stderr, log=handle.read())
    places.update(files_under(run.report_dir))
    assert {"report.json", "junit.xml", "report.html", "report.md", "golive.prom"} <= set(places), sorted(places)
    assert any(name.startswith("history" + os.sep) for name in places), sorted(places)
    plain = (ECHO_PASSWORD, BEARER_TAIL, BEARER_TAIL[::-1], BODY_SECRET, FORM_SECRET)
    leaks = dict((place, leaked_fragments(text, plain) + leaked_fragments(text, wire_forms(), DERIVED_WINDOW))
                 for place, text in places.items())
    assert dict((place, found) for place, found in leaks.items() if found) == {}, leaks
