"""A local HTTPS stand-in for the Stripe API, for the stripe_account tests.

Stripe cannot be reached from the tests, so this server answers the two requests the check makes,
``GET /v1/account`` and ``GET /v1/webhook_endpoints`` (with ``limit`` and ``starting_after`` paging),
with the shapes documented at https://docs.stripe.com/api/accounts/object,
https://docs.stripe.com/api/webhook_endpoints/object and https://docs.stripe.com/api/errors. It checks
the ``Authorization: Bearer`` key (401 for an unknown one, 403 for a restricted key not allowed a
path), and can be told to answer 429 or 500 a number of times before it answers properly, or to
hold every request without answering. It listens on 127.0.0.1 on a port the kernel picks, over TLS
with a certificate minted per run by the test CA of ``_http_apps`` (the client trusts its ca_file).
"""

from __future__ import annotations

import contextlib
import json
import tempfile
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from ._http_apps import TestCA

# Distinctive values, searched for in every output: none may appear anywhere.
LIVE_SECRET = "sk_live_PYrBgkiH0XG6KIq2JpmmhBMVR4dmwPQL"
LIVE_RESTRICTED = "rk_live_Qn2pSeRtZ1EgS1kVRbZmV6qNFZXRlmJo"
LIVE_RESTRICTED_NO_WEBHOOKS = "rk_live_mkIYEOnJUnVhcGoaJuAgGyTYLq8T8gNc"
TEST_SECRET = "sk_test_YdvxgKtmnp0skBK7yH7n7plJyIf2c8uo"
LIVE_PUBLISHABLE = "pk_live_JJnYyPbSrk1PL7j0cTf1FIHwtZXXjsjs"
TEST_PUBLISHABLE = "pk_test_n3KaOJrTdvpAENuXHCf3Q3lS5xofsph1"
UNKNOWN_SECRET = "sk_live_qoxVruchs0QSeukxY05goJz6DBwuPEE6"
WEBHOOK_SECRET = "whsec_DI60OdDUwhJetZosZsKMvI7dO5IJy3S8"
SECRETS = (LIVE_SECRET, LIVE_RESTRICTED, LIVE_RESTRICTED_NO_WEBHOOKS, TEST_SECRET, LIVE_PUBLISHABLE,
           TEST_PUBLISHABLE, UNKNOWN_SECRET, WEBHOOK_SECRET)
# Masked forms show a secret's last four characters, never this many in a row.
LEAK_WINDOW = 6


def leaked_fragments(text, secrets=SECRETS, window=LEAK_WINDOW):
    """Every ``window``-character fragment of the random part of a secret that occurs in ``text``."""
    found = set()
    for secret in secrets:
        body = secret.rsplit("_", 1)[-1]
        for start in range(len(body) - window + 1):
            if body[start:start + window] in text:
                found.add(body[start:start + window])
    return sorted(found)


ACCOUNT_ID = "acct_1PgolivE7test42"
SHOP_URL = "https://shop.example.test/stripe/webhook"
BILLING_URL = "https://billing.example.test/hooks/stripe"
SHOP_EVENTS = ["payment_intent.succeeded", "payment_intent.payment_failed", "charge.refunded"]


def account(**changes):
    """A Stripe Account object (abridged to the fields the check and a reader care about)."""
    document = {
        "id": ACCOUNT_ID,
        "object": "account",
        "business_profile": {"name": "Golive Test Shop", "url": "https://shop.example.test", "mcc": "5734"},
        "business_type": "company",
        "capabilities": {"card_payments": "active", "transfers": "active"},
        "charges_enabled": True,
        "country": "DE",
        "created": 1589000000,
        "default_currency": "eur",
        "details_submitted": True,
        "email": "payments@shop.example.test",
        "metadata": {},
        "payouts_enabled": True,
        "requirements": {
            "alternatives": [],
            "current_deadline": None,
            "currently_due": [],
            "disabled_reason": None,
            "errors": [],
            "eventually_due": [],
            "past_due": [],
            "pending_verification": [],
        },
        "settings": {"dashboard": {"display_name": "Golive Test Shop", "timezone": "Europe/Berlin"}},
        "type": "standard",
    }
    requirements = changes.pop("requirements", None)
    document.update(changes)
    if requirements:
        document["requirements"].update(requirements)
    return document


def webhook_endpoint(number, url, events, status="enabled"):
    """A Stripe WebhookEndpoint object as the list answers it (its secret is only shown on creation)."""
    return {
        "id": f"we_1PgolivE7test{number:04d}",
        "object": "webhook_endpoint",
        "api_version": None,
        "application": None,
        "created": 1589000000 + number,
        "description": None,
        "enabled_events": list(events),
        "livemode": True,
        "metadata": {},
        "status": status,
        "url": url,
    }


def healthy_endpoints():
    return [webhook_endpoint(1, SHOP_URL, [*SHOP_EVENTS, "customer.subscription.updated"]),
            webhook_endpoint(2, BILLING_URL, ["*"])]


def _error(kind, message, code=None, param=None):
    error = {"type": kind, "message": message}
    if code:
        error["code"] = code
    if param:
        error["param"] = param
    return {"error": error}


def stripe_masked(key):
    """How Stripe quotes a key in an error: its prefix, stars, and its last four characters."""
    prefix = key[:8] if key[:3] in ("sk_", "rk_", "pk_") else ""
    return prefix + "*" * max(0, len(key) - len(prefix) - 4) + key[-4:]


class StripeState(object):
    """What the stand-in knows and how it is to behave; tests change it between requests."""

    def __init__(self):
        self.lock = threading.Lock()
        self.released = threading.Event()
        self.reset()

    def reset(self):
        with self.lock:
            # key -> the paths it may read (None: every path)
            self.keys = {LIVE_SECRET: None, LIVE_RESTRICTED: None, TEST_SECRET: None,
                         LIVE_RESTRICTED_NO_WEBHOOKS: ("/v1/account",)}
            self.account = account()
            self.endpoints = healthy_endpoints()
            self.page_size = 100
            self.failures = []  # statuses to answer, one per request, before answering properly
            self.hang = False
            self.echo_keys = False  # quote unknown keys whole in 401 messages (Stripe masks them)
            self.requests = []

    def fail_next(self, status, times):
        with self.lock:
            self.failures.extend([status] * times)

    def next_failure(self):
        with self.lock:
            return self.failures.pop(0) if self.failures else None

    def record(self, path, query):
        with self.lock:
            self.requests.append(dict(path=path, query=query))


class StripeHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""

    def log_message(self, format, *args):
        pass

    def version_string(self):
        return self.server_version

    def answer(self, status, document):
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Request-Id", f"req_{uuid.uuid4().hex[:14]}")
        self.send_header("Stripe-Version", "2024-06-20")
        self.end_headers()
        self.wfile.write(body)

    @property
    def state(self):
        return self.server.state

    def do_GET(self):
        parts = urlsplit(self.path)
        query = dict((k, v[-1]) for k, v in parse_qs(parts.query).items())
        self.state.record(parts.path, query)
        if self.state.hang:
            self.state.released.wait(60)
            self.close_connection = True
            return
        failure = self.state.next_failure()
        if failure is not None:
            self.answer_failure(failure)
            return
        key = self.authenticated()
        if key is None:
            return
        allowed = self.state.keys[key]
        if allowed is not None and parts.path not in allowed:
            self.answer(403, _error("invalid_request_error",
                                    f"The provided key '{stripe_masked(key)}' does not have the required "
                                    f"permissions for this endpoint on account '{ACCOUNT_ID}'."))
            return
        if parts.path == "/v1/account":
            self.answer(200, self.state.account)
        elif parts.path == "/v1/webhook_endpoints":
            self.list_endpoints(query)
        else:
            self.answer(404, _error("invalid_request_error", f"Unrecognized request URL (GET: {parts.path})."))

    def answer_failure(self, status):
        if status == 429:
            self.answer(429, _error("invalid_request_error", "Request rate limit exceeded. Learn more about rate "
                                    "limits here https://stripe.com/docs/rate-limits.", code="rate_limit"))
        else:
            self.answer(status, _error("api_error", "An unknown error occurred"))

    def authenticated(self):
        """The request's key when the stand-in knows it, else None after answering 401."""
        header = self.headers.get("Authorization") or ""
        key = header[len("Bearer "):] if header.startswith("Bearer ") else ""
        if key in self.state.keys:
            return key
        if not key:
            message = ("You did not provide an API key. You need to provide your API key in the Authorization "
                       "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').")
        else:
            message = f"Invalid API Key provided: {key if self.state.echo_keys else stripe_masked(key)}"
        self.answer(401, _error("invalid_request_error", message))
        return None

    def list_endpoints(self, query):
        try:
            limit = int(query.get("limit", "10"))
        except ValueError:
            limit = 0
        if not 1 <= limit <= 100:
            self.answer(400, _error("invalid_request_error", "Invalid integer: {}".format(query.get("limit")),
                                    code="parameter_invalid_integer", param="limit"))
            return
        endpoints = self.state.endpoints
        start = 0
        if "starting_after" in query:
            ids = [endpoint["id"] for endpoint in endpoints]
            if query["starting_after"] not in ids:
                missing = query["starting_after"]
                self.answer(400, _error("invalid_request_error", f"No such webhook endpoint: '{missing}'",
                                        code="resource_missing", param="starting_after"))
                return
            start = ids.index(query["starting_after"]) + 1
        size = min(limit, self.state.page_size)
        page = endpoints[start:start + size]
        self.answer(200, {"object": "list", "url": "/v1/webhook_endpoints", "has_more": start + size < len(endpoints),
                          "data": page})


class _TLSServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state, context):
        ThreadingHTTPServer.__init__(self, ("127.0.0.1", 0), StripeHandler)
        self.state = state
        self.context = context

    def finish_request(self, request, client_address):
        # The handshake runs in the request's own thread, so a stalled client blocks nobody else.
        request.settimeout(10)
        request = self.context.wrap_socket(request, server_side=True)
        ThreadingHTTPServer.finish_request(self, request, client_address)

    def handle_error(self, request, client_address):
        pass  # clients that hang up (after their timeout) are expected


class StripeStandIn(object):
    """The running stand-in: ``api_base`` and ``ca_file`` for the check, ``state`` to steer it."""

    def __init__(self, server, ca_file):
        self.server = server
        self.state = server.state
        self.port = server.server_address[1]
        self.api_base = f"https://127.0.0.1:{self.port}"
        self.ca_file = ca_file


@contextlib.contextmanager
def stripe_standin():
    """A started stand-in; stopped (and any held request released) at the end."""
    with tempfile.TemporaryDirectory(prefix="golive-stripe-") as directory:
        ca = TestCA(directory)
        server = _TLSServer(StripeState(), ca.server_context("stripe", ["127.0.0.1", "localhost"]))
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        thread.start()
        try:
            yield StripeStandIn(server, ca.ca_file)
        finally:
            server.state.released.set()
            server.shutdown()
            server.server_close()
            thread.join(5)
