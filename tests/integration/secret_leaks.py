"""Secrets for the leak tests, the forms they take, and the search of every output for them.

The tests put these secrets in a run's items (an env file on the host, credentials an echoing endpoint sends
back) and then search every output of the run for any piece of them, plain or in a derived form.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterable, Mapping
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, quote, quote_plus

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
ENV_SECRETS = (SECRET_KEY, DB_PASSWORD, TOKEN_TAIL)
# Masked forms may show a few characters (mask_secret keeps the last four), never this many in a row.
LEAK_WINDOW = 6

ECHO_USER = "probe"
ECHO_PASSWORD = "Wq7/Lr+Xe92Tz=Vn4"  # '/', '+' and '=' make its URL-encoded forms differ from it
BEARER_TAIL = "Bt5Rk82WqYz3NcLp"
BODY_SECRET = "Rf6Jn3Qx8Tb1MzKd"
FORM_SECRET = "Kp4/Wz8+Nq2Xv6Tj"  # sent form-encoded; the server echoes the field alone, decoded
ECHOED_SECRETS = (ECHO_PASSWORD, BEARER_TAIL, BEARER_TAIL[::-1], BODY_SECRET, FORM_SECRET)
# Derived forms are longer and made of base64 or %-escapes: fragments this long cannot occur by chance.
DERIVED_WINDOW = 10


def write_env_file(directory: str) -> str:
    """The path of a private env file holding ENV_FILE_TEXT, written in ``directory``."""
    path = os.path.join(directory, "shop.env")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(ENV_FILE_TEXT)
    os.chmod(path, 0o600)
    return path


def env_file_check(env_file: str) -> dict:
    """An env_vars item over the env file that fails on SECRET_KEY's value: the failure must say so without
    quoting the value."""
    return dict(env_file=env_file, required=["APP_ENV", "SECRET_KEY", "DATABASE_URL", "API_TOKEN"],
                expected_values=dict(APP_ENV="^production$", SECRET_KEY="^live-"))


def leaked_fragments(text: str, secrets: Iterable[str] = ENV_SECRETS, window: int = LEAK_WINDOW) -> list[str]:
    """Every ``window``-character fragment of a secret that occurs in ``text``."""
    found = set()
    for secret in secrets:
        for start in range(len(secret) - window + 1):
            fragment = secret[start:start + window]
            if fragment in text:
                found.add(fragment)
    return sorted(found)


def derived_forms(secrets: Iterable[str], basic_auth: Iterable[tuple[str, str]] = ()) -> list[str]:
    """The forms secrets take on the wire: each one URL-encoded (both ways) and in base64, and the base64 of
    each (user, password) pair as an ``Authorization: Basic`` header carries it; without base64 padding."""
    forms = []
    for user, password in basic_auth:
        pair = f"{user}:{password}".encode()
        forms += [base64.b64encode(pair).decode(), base64.urlsafe_b64encode(pair).decode()]
    for secret in secrets:
        forms += [quote(secret, safe=""), quote_plus(secret), base64.b64encode(secret.encode()).decode()]
    return [form.rstrip("=") for form in forms]


def wire_forms() -> list[str]:
    """Every derived form of the credentials the echoing endpoint sends back."""
    return derived_forms((ECHO_PASSWORD, BEARER_TAIL, BODY_SECRET, FORM_SECRET), [(ECHO_USER, ECHO_PASSWORD)])


def leaks_in(places: Mapping[str, str], plain: Iterable[str], derived: Iterable[str]) -> dict[str, list[str]]:
    """{place: fragments found} of the places holding a piece of a plain secret or of a derived form."""
    plain, derived = list(plain), list(derived)
    found = {}
    for place, text in places.items():
        hits = leaked_fragments(text, plain) + leaked_fragments(text, derived, DERIVED_WINDOW)
        if hits:
            found[place] = hits
    return found


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


def echoed_endpoint_checks(echo: str) -> dict[str, list[dict]]:
    """Endpoint checks that send credentials in every way an item can give them to the echoing server."""
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


def files_under(directory: str) -> dict[str, str]:
    """{relative path: text} of every file under ``directory`` (a report set with its history's archives, an
    ansible-runner artifacts directory); report.html without its line-break opportunities (<wbr>), so that a
    secret split by them is still found."""
    texts = {}
    for root, _dirs, names in os.walk(directory):
        for name in names:
            path = os.path.join(root, name)
            with open(path, encoding="utf-8", errors="replace") as handle:
                text = handle.read()
            texts[os.path.relpath(path, directory)] = text.replace("<wbr>", "") if name.endswith(".html") else text
    return texts
