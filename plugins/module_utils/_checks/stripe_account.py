# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check kind stripe_account: key types and modes, the account's capabilities, webhooks, signing secret (private).

Talks to the Stripe API with the official ``stripe`` SDK (imported on first use): ``GET /v1/account``
and ``GET /v1/webhook_endpoints`` (paged), nothing else, so a read-only restricted key is enough.
The SDK sends its requests through ``BoundedHTTPClient``, an ``http_client`` of the SDK's own kind
built on ``http.client``, so that every attempt is bounded by the time the check has left, the
API's certificate is verified against ``ca_path`` (or the SDK's bundled CA certificates), and the
SDK's retries (which this kind extends to 429) stop when no time is left for another attempt.

Keys and the webhook signing secret are never shown: results carry masked keys (``sk_live_…a1b2``),
and nothing of the signing secret; every message taken from the SDK or the API is scrubbed of them.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import ssl
from urllib.parse import urlsplit

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.golive.readiness.plugins.module_utils._check import (
    CheckError,
    Evaluation,
    OptionError,
    format_duration,
    mask_secret,
    mask_url,
)
from ansible_collections.golive.readiness.plugins.module_utils._checks.env_vars import read_env_file
from ansible_collections.golive.readiness.plugins.module_utils._net import create_connection

KIND = "stripe_account"
SECTION = "services"
SEVERITY = "critical"
VARIABLES = {"golive_stripe_accounts": "services"}
ENDPOINT = True
DEFAULT_API_BASE = "https://api.stripe.com"
DEFAULT_SECRET_VARIABLE = "STRIPE_WEBHOOK_SECRET"
WEBHOOK_OPTIONS = dict(
    url=dict(type="str", required=True),
    events=dict(type="list", elements="str", default=[]),
)
OPTIONS = dict(
    secret_key=dict(type="str", required=True, no_log=True),
    publishable_key=dict(type="str", no_log=True),
    mode=dict(type="str", choices=["live", "test"], default="live"),
    require_charges_enabled=dict(type="bool", default=True),
    require_payouts_enabled=dict(type="bool", default=True),
    require_details_submitted=dict(type="bool", default=True),
    requirements_due=dict(type="str", choices=["ignore", "warn", "fail"], default="warn"),
    webhooks=dict(type="list", elements="dict", options=WEBHOOK_OPTIONS),
    webhook_secret=dict(type="str", no_log=True),
    webhook_secret_env=dict(type="str", no_log=False),
    webhook_secret_file=dict(type="path", no_log=False),
    webhook_secret_variable=dict(type="str", no_log=False),
    api_base=dict(type="str", default=DEFAULT_API_BASE),
    ca_path=dict(type="path"),
    retries=dict(type="int", default=2),
)

MAX_RETRIES = 10
PAGE_LIMIT = 100  # the most Stripe returns per page
MAX_PAGES = 50
MAX_ANSWER_BYTES = 5 * 1024 * 1024
SHOWN_MESSAGE_CHARS = 300
SHOWN_REQUIREMENTS = 10
# Our own time limits end this much before the runner's, so that a silent API is reported with what
# it was silent about rather than by the runner's generic message.
_MARGIN = 0.2
# The least time worth starting another attempt with (after the SDK's back-off sleep).
_MIN_ATTEMPT = 0.5
KEY_TYPES = {"sk": "secret", "rk": "restricted", "pk": "publishable"}
_KEY = re.compile(r"^(sk|rk|pk)_(live|test)_[A-Za-z0-9]+$")
# Anything in a message from the SDK or the API that looks like a key or a signing secret.
_KEY_LIKE = re.compile(r"(?:(?:sk|rk|pk)_(?:live|test)_|whsec_)[A-Za-z0-9+/=_]+")
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f]")


# --- options ------------------------------------------------------------------------------------

def _api_base(item):
    return (item.get("api_base") or DEFAULT_API_BASE).rstrip("/")


def describe(item):
    mode = item["mode"]
    base = _api_base(item)
    if base == DEFAULT_API_BASE:
        return mode, f"Stripe account, {mode} mode"
    where = urlsplit(base).netloc or base
    return f"{mode}@{where}", f"Stripe account, {mode} mode, via {where}"


def key_kind(value):
    """(type, mode) of a Stripe API key: ('secret', 'live'), ('publishable', 'test'), ('unknown', None)."""
    match = _KEY.match(value or "")
    if not match:
        return "unknown", None
    return KEY_TYPES[match.group(1)], match.group(2)


def _key_option(item, option, required):
    value = item.get(option)
    if value is None and not required:
        return None
    if not value:
        raise OptionError(f"{option}: must not be empty")
    if _UNSAFE.search(value):
        # The value is not quoted: it is a secret.
        raise OptionError(f"{option}: contains whitespace or control characters")
    return value


def _api_base_option(item):
    base = _api_base(item)
    parts = urlsplit(base)
    if parts.scheme != "https" or not parts.hostname:
        raise OptionError(f"api_base: {mask_url(base)!r} is not an https:// URL (the secret key is sent to it)")
    if parts.username is not None or parts.query or parts.fragment:
        raise OptionError(f"api_base: {mask_url(base)!r} must not hold credentials, a query or a fragment")
    try:
        if parts.port == 0:
            raise ValueError("port 0")
    except ValueError:
        raise OptionError(f"api_base: {base!r} has an invalid port") from None
    return base


def _retries_option(item):
    retries = item.get("retries")
    retries = 2 if retries is None else retries
    if not 0 <= retries <= MAX_RETRIES:
        raise OptionError(f"retries: {retries} is not between 0 and {MAX_RETRIES}")
    return retries


def _webhooks_option(item):
    webhooks, seen = [], set()
    for index, webhook in enumerate(item.get("webhooks") or []):
        where = f"webhooks[{index}]"
        url = (webhook.get("url") or "").strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise OptionError(f"{where}.url: {mask_url(url)!r} is not an http(s) URL")
        if url in seen:
            raise OptionError(f"{where}.url: {mask_url(url)} is listed twice")
        seen.add(url)
        events = []
        for event in webhook.get("events") or []:
            if not event or _UNSAFE.search(event):
                raise OptionError(f"{where}.events: {event!r} is not an event type (like payment_intent.succeeded)")
            if event not in events:
                events.append(event)
        webhooks.append(dict(url=url, events=events))
    return webhooks


def _webhook_secret_option(item):
    """Where the signing secret is to be found: None, or dict(source=..., ...)."""
    given = [name for name in ("webhook_secret", "webhook_secret_env", "webhook_secret_file")
             if item.get(name) is not None]
    if len(given) > 1:
        raise OptionError("{}: give only one source of the webhook signing secret".format("/".join(given)))
    if item.get("webhook_secret_variable") is not None and item.get("webhook_secret_file") is None:
        raise OptionError("webhook_secret_variable: only applies with webhook_secret_file")
    if not given:
        return None
    if given[0] == "webhook_secret":
        return dict(source="webhook_secret", value=item["webhook_secret"])
    if given[0] == "webhook_secret_env":
        name = item["webhook_secret_env"]
        if not _VARIABLE.match(name):
            raise OptionError(f"webhook_secret_env: {name!r} is not an environment variable name")
        return dict(source=f"environment variable {name}", variable=name)
    path = item["webhook_secret_file"]
    if not path:
        raise OptionError("webhook_secret_file: must not be empty")
    name = item.get("webhook_secret_variable") or DEFAULT_SECRET_VARIABLE
    if not _VARIABLE.match(name):
        raise OptionError(f"webhook_secret_variable: {name!r} is not a variable name")
    return dict(source=f"{name} in {path}", variable=name, path=path)


def prepare(item):
    return dict(
        secret_key=_key_option(item, "secret_key", required=True),
        publishable_key=_key_option(item, "publishable_key", required=False),
        mode=item["mode"],
        require=dict((flag, item.get(f"require_{flag}") is not False)
                     for flag in ("charges_enabled", "payouts_enabled", "details_submitted")),
        requirements_due=item["requirements_due"],
        webhooks=_webhooks_option(item),
        webhook_secret=_webhook_secret_option(item),
        api_base=_api_base_option(item),
        ca_path=item.get("ca_path"),
        retries=_retries_option(item),
    )


# --- keeping secrets out of messages -------------------------------------------------------------

def _secrets(plan):
    values = [plan["secret_key"], plan["publishable_key"]]
    if plan["webhook_secret"] and plan["webhook_secret"].get("value"):
        values.append(plan["webhook_secret"]["value"])
    return sorted((v for v in values if v), key=len, reverse=True)


def scrub(text, secrets=(), limit=None):
    """``text`` with every given secret and anything shaped like a Stripe key or signing secret masked,
    cut to ``limit`` characters (messages of the API may quote a whole answer)."""
    text = str(text)
    for secret in secrets:
        text = text.replace(secret, mask_secret(secret))
    text = _KEY_LIKE.sub(lambda m: mask_secret(m.group(0)), text)
    if limit is not None and len(text) > limit:
        text = text[:limit] + "\u2026"
    return text


def _sdk_message(exc, plan):
    return scrub(exc.user_message or exc, _secrets(plan), SHOWN_MESSAGE_CHARS)


# --- the keys ------------------------------------------------------------------------------------

def _key_name(kind, mode):
    if kind == "unknown":
        return "not a Stripe API key"
    return f"a {mode} {kind} key"


def _not_a(kind, mode, wanted):
    """'is a live publishable key, not a secret (sk_) or restricted (rk_) key'."""
    if kind == "unknown":
        return f"is not a Stripe API key (expected {wanted})"
    return f"is {_key_name(kind, mode)}, not {wanted}"


def _grade_secret_key(ev, plan):
    """Observe and grade the secret key; True when it is a key the API can be asked with."""
    kind, mode = key_kind(plan["secret_key"])
    ev.observe("secret_key", mask_secret(plan["secret_key"]))
    ev.observe("secret_key_type", kind)
    ev.observe("secret_key_mode", mode)
    ev.expect("secret_key_type", "secret or restricted")
    ev.expect("secret_key_mode", plan["mode"])
    if kind not in ("secret", "restricted"):
        ev.finding("fail", "the secret key {} {}".format(mask_secret(plan["secret_key"]), _not_a(
            kind, mode, "a secret (sk_) or restricted (rk_) key")))
        return False
    shown = mask_secret(plan["secret_key"])
    ev.require(mode == plan["mode"], f"the secret key {shown} is a {mode} mode key, expected {plan['mode']}",
               passing=f"{mode} {kind} key {shown}")
    return True


def _grade_publishable_key(ev, plan):
    key = plan["publishable_key"]
    if key is None:
        return
    kind, mode = key_kind(key)
    ev.observe("publishable_key", mask_secret(key))
    ev.observe("publishable_key_type", kind)
    ev.observe("publishable_key_mode", mode)
    ev.expect("publishable_key_type", "publishable")
    ev.expect("publishable_key_mode", plan["mode"])
    if kind != "publishable":
        ev.finding("fail", f"the publishable key {mask_secret(key)} {_not_a(kind, mode, 'a publishable (pk_) key')}")
        return
    ev.require(mode == plan["mode"],
               f"the publishable key {mask_secret(key)} is a {mode} mode key, expected {plan['mode']}")
    secret_mode = key_kind(plan["secret_key"])[1]
    if secret_mode is not None:
        ev.require(mode == secret_mode,
                   f"the secret key is a {secret_mode} mode key but the publishable key is {mode} mode",
                   passing="publishable key of the same mode")


# --- the webhook signing secret ------------------------------------------------------------------

def _read_signing_secret(source):
    """The signing secret's value from its source, or None when the source does not hold it."""
    if "value" in source:
        return source["value"]
    if "path" not in source:
        return os.environ.get(source["variable"])
    return read_env_file(source["path"])[0].get(source["variable"])


def _signing_secret_problem(value):
    if value is None:
        return "is not set"
    if not value.strip():
        return "is empty"
    if value != value.strip():
        return "has leading or trailing whitespace"
    if not value.startswith("whsec_"):
        kind, mode = key_kind(value)
        if kind != "unknown":
            return f"holds {_key_name(kind, mode)}, not a signing secret (whsec_)"
        return "does not start with whsec_"
    if len(value) <= len("whsec_"):
        return "holds only the whsec_ prefix"
    return None


def _grade_signing_secret(ev, plan):
    source = plan["webhook_secret"]
    if source is None:
        return
    ev.expect("webhook_secret", "present, starting with whsec_")
    shown = dict(source=source["source"], present=False, format_ok=False)
    ev.observe("webhook_secret", shown)
    try:
        value = _read_signing_secret(source)
    except CheckError as exc:
        ev.finding("error", f"webhook signing secret: {scrub(exc, _secrets(plan))}")
        return
    problem = _signing_secret_problem(value)
    shown["present"] = bool(value and value.strip())
    shown["format_ok"] = problem is None
    ev.require(problem is None, "the webhook signing secret ({}) {}".format(source["source"], problem),
               passing="webhook signing secret present")


# --- talking to the API --------------------------------------------------------------------------

def load_stripe():
    try:
        import stripe
    except ImportError:
        raise CheckError(missing_required_lib("stripe")) from None
    return stripe


def _where(url):
    parts = urlsplit(url)
    return parts.netloc or url


def tls_context(plan, stripe):
    """Trust ``ca_path`` (a PEM file or a hashed directory), else the CA certificates the SDK ships."""
    path = plan["ca_path"] or stripe.ca_bundle_path
    try:
        if os.path.isdir(path):
            return ssl.create_default_context(capath=path)
        return ssl.create_default_context(cafile=path)
    except (OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise CheckError(f"ca_path: cannot load CA certificates from {path}: {reason}") from None


def _client_class(stripe):
    """The SDK's HTTPClient subclass that bounds every attempt and retry by the check's time left."""
    from stripe import APIConnectionError, HTTPClient

    class BoundedHTTPClient(HTTPClient):
        name = "golive.readiness"

        def __init__(self, ctx, context):
            super(BoundedHTTPClient, self).__init__()
            self.ctx = ctx
            self.context = context
            self.retried = []  # why each retry was made: '429', '500', 'connection'

        def time_left(self):
            return self.ctx.remaining() - _MARGIN

        def _connection_error(self, message, should_retry):
            return APIConnectionError(message, should_retry=should_retry)

        def request(self, method, url, headers, post_data=None):
            parts = urlsplit(url)
            path = parts.path + ("?" + parts.query if parts.query else "")
            seconds = max(0.05, self.time_left())
            connection = http.client.HTTPSConnection(parts.hostname, parts.port or 443, timeout=seconds,
                                                     context=self.context)
            connection._create_connection = create_connection  # resolution bounded too  # pylint: disable=protected-access
            where = _where(url)
            try:
                connection.request(method.upper(), path, body=post_data, headers=headers)
                response = connection.getresponse()
                body = response.read(MAX_ANSWER_BYTES + 1)
            except socket.timeout:
                raise self._connection_error(f"timed out after {format_duration(seconds)} waiting for {where}",
                                             True) from None
            except ssl.SSLCertVerificationError as exc:
                raise self._connection_error(
                    f"certificate of {where} not verified: {exc.verify_message or exc.reason}", False) from None
            except ssl.SSLError as exc:
                raise self._connection_error(f"TLS handshake with {where} failed: {exc.reason or exc}",
                                             False) from None
            except OSError as exc:
                raise self._connection_error(f"cannot connect to {where}: {exc.strerror or exc}",
                                             True) from None
            except http.client.HTTPException as exc:
                raise self._connection_error(f"bad HTTP answer from {where}: {type(exc).__name__}",
                                             False) from None
            finally:
                connection.close()
            if len(body) > MAX_ANSWER_BYTES:
                raise self._connection_error(f"the answer from {where} is larger than {MAX_ANSWER_BYTES} bytes", False)
            return body, response.status, response.headers

        def _should_retry(self, response, api_connection_error, num_retries, max_network_retries):
            if self.time_left() < HTTPClient.INITIAL_DELAY + _MIN_ATTEMPT:
                return False
            if response is not None and response[1] == 429:
                # Stripe asks clients to back off and retry rate-limited requests; the SDK does so
                # only when told to by a header.
                retry = num_retries < (max_network_retries or 0)
            else:
                retry = super(BoundedHTTPClient, self)._should_retry(
                    response, api_connection_error, num_retries, max_network_retries)
            if retry:
                self.retried.append(str(response[1]) if response is not None else "connection")
            return retry

        def _sleep_time_seconds(self, num_retries):
            sleep = super(BoundedHTTPClient, self)._sleep_time_seconds(num_retries)
            return max(0.0, min(sleep, self.time_left() - _MIN_ATTEMPT))

        def close(self):
            pass

    return BoundedHTTPClient


def _client(stripe, plan, ctx):
    http_client = _client_class(stripe)(ctx, tls_context(plan, stripe))
    client = stripe.StripeClient(plan["secret_key"], base_addresses={"api": plan["api_base"]},
                                 max_network_retries=plan["retries"], http_client=http_client)
    return client, http_client


class _Rejected(Exception):
    """The API refused the key itself (401): a finding, not an error."""


def _call(stripe, plan, http_client, what, function, *args):
    """Call the SDK; its errors become _Rejected (401) or CheckError, with secrets scrubbed."""
    try:
        return function(*args)
    except stripe.AuthenticationError as exc:
        raise _Rejected("the secret key {} was rejected: {}".format(
            mask_secret(plan["secret_key"]), _sdk_message(exc, plan))) from None
    except stripe.StripeError as exc:
        raise CheckError(_api_failure(stripe, exc, what, http_client, plan)) from None


def _retries_text(http_client):
    if not http_client.retried:
        return ""
    retried = http_client.retried
    return f" after {len(retried)} retr{'y' if len(retried) == 1 else 'ies'} ({', '.join(retried)})"


def _api_failure(stripe, exc, what, http_client, plan):
    message = _sdk_message(exc, plan)
    retried = _retries_text(http_client)
    if isinstance(exc, stripe.APIConnectionError):
        return f"{what}: {message}{retried}"
    if isinstance(exc, stripe.PermissionError):
        return f"{what}: the key may not read this (HTTP 403): {message}"
    if isinstance(exc, stripe.RateLimitError):
        return f"{what}: rate limited (HTTP 429){retried}: {message}"
    return f"{what}: HTTP {exc.http_status}{retried}: {message}"


# --- the account -------------------------------------------------------------------------------

def _requirements(account):
    requirements = account.get("requirements") or {}
    due = []
    for field in ("past_due", "currently_due"):
        for name in requirements.get(field) or []:
            if name not in due:
                due.append(name)
    return requirements, due


def _grade_requirements(ev, plan, account):
    requirements, due = _requirements(account)
    ev.observe("requirements_due", due[:SHOWN_REQUIREMENTS])
    ev.observe("requirements_past_due", len(requirements.get("past_due") or []), "count")
    ev.observe("disabled_reason", requirements.get("disabled_reason"))
    ev.observe("requirements_deadline", requirements.get("current_deadline"))
    if plan["requirements_due"] == "ignore":
        return
    ev.expect("requirements_due", "none")
    past_due = len(requirements.get("past_due") or [])
    text = f"{len(due)} account requirement{'' if len(due) == 1 else 's'} due"
    if past_due:
        text += f" ({past_due} past due)"
    ev.require(not due, "{}: {}".format(text, ", ".join(due[:SHOWN_REQUIREMENTS])), status=plan["requirements_due"])


def _grade_account(ev, plan, account):
    ev.observe("account_id", account.get("id"))
    ev.observe("country", account.get("country"))
    ev.observe("default_currency", account.get("default_currency"))
    disabled = (account.get("requirements") or {}).get("disabled_reason")
    because = f" ({disabled})" if disabled else ""
    problems = dict(charges_enabled="charges are disabled" + because,
                    payouts_enabled="payouts are disabled" + because,
                    details_submitted="the account details are not submitted")
    for flag in ("charges_enabled", "payouts_enabled", "details_submitted"):
        ev.observe(flag, account.get(flag))
        if plan["require"][flag]:
            ev.expect(flag, True)
            ev.require(account.get(flag) is True, problems[flag])
    ready = [flag.replace("_", " ") for flag in ("charges_enabled", "payouts_enabled", "details_submitted")
             if account.get(flag) is True]
    ev.note("account {}: {}".format(account.get("id"), ", ".join(ready) or "cannot take payments"))
    _grade_requirements(ev, plan, account)


# --- webhooks ------------------------------------------------------------------------------------

def _webhook_endpoints(stripe, plan, client, http_client):
    """Every webhook endpoint of the account, page after page."""
    endpoints, after = [], None
    for _page in range(MAX_PAGES):
        params = dict(limit=PAGE_LIMIT)
        if after is not None:
            params["starting_after"] = after
        page = _call(stripe, plan, http_client, "listing webhook endpoints", client.v1.webhook_endpoints.list,
                     params)
        data = [endpoint.to_dict() for endpoint in page.data]
        endpoints.extend(data)
        if not page.has_more or not data:
            return endpoints
        after = data[-1]["id"]
    raise CheckError(f"listing webhook endpoints: more than {MAX_PAGES} pages")


def _missing_events(endpoint, events):
    enabled = endpoint.get("enabled_events") or []
    if "*" in enabled:
        return []
    return [event for event in events if event not in enabled]


def _match_webhook(endpoints, wanted):
    """(shown, problem) for one required webhook: the best endpoint with its URL and what it lacks."""
    candidates = [e for e in endpoints if e.get("url") == wanted["url"]]
    shown = dict(url=mask_url(wanted["url"]), endpoint=None, status=None, missing_events=list(wanted["events"]))
    if not candidates:
        return shown, "no webhook endpoint for {}".format(mask_url(wanted["url"]))
    ranked = sorted(candidates, key=lambda e: (e.get("status") != "enabled",
                                               len(_missing_events(e, wanted["events"]))))
    best = ranked[0]
    missing = _missing_events(best, wanted["events"])
    shown.update(endpoint=best.get("id"), status=best.get("status"), missing_events=missing)
    if best.get("status") != "enabled":
        return shown, "the webhook endpoint {} for {} is {}".format(
            best.get("id"), mask_url(wanted["url"]), best.get("status"))
    if missing:
        return shown, "the webhook endpoint {} for {} is not subscribed to {}".format(
            best.get("id"), mask_url(wanted["url"]), ", ".join(missing))
    return shown, None


def _grade_webhooks(ev, plan, endpoints):
    ev.observe("webhook_endpoints_total", len(endpoints), "count")
    ev.observe("webhook_endpoints_enabled", len([e for e in endpoints if e.get("status") == "enabled"]), "count")
    ev.expect("webhooks", [dict(url=mask_url(w["url"]), events=w["events"]) for w in plan["webhooks"]])
    matched = []
    for wanted in plan["webhooks"]:
        shown, problem = _match_webhook(endpoints, wanted)
        matched.append(shown)
        ev.require(problem is None, problem)
    ev.observe("webhooks", matched)
    ok = len([m for m in matched if m["status"] == "enabled" and not m["missing_events"]])
    ev.note(f"{ok} of {len(matched)} webhook{'' if len(matched) == 1 else 's'} ok")


# --- the check -----------------------------------------------------------------------------------

def _ask_api(ev, plan, ctx):
    stripe = load_stripe()
    client, http_client = _client(stripe, plan, ctx)
    try:
        try:
            account = _call(stripe, plan, http_client, "retrieving the account",
                            client.v1.accounts.retrieve_current)
            _grade_account(ev, plan, account.to_dict())
            if plan["webhooks"]:
                _grade_webhooks(ev, plan, _webhook_endpoints(stripe, plan, client, http_client))
            if http_client.retried:
                ev.note(f"the API answered{_retries_text(http_client)}")
        finally:
            ev.observe("retries", len(http_client.retried), "count")
    except _Rejected as exc:
        ev.finding("fail", str(exc))
    except CheckError as exc:
        ev.finding("error", str(exc))


def _evaluate(ev, plan, ctx):
    ev.observe("api_base", plan["api_base"])
    usable = _grade_secret_key(ev, plan)
    _grade_publishable_key(ev, plan)
    _grade_signing_secret(ev, plan)
    if usable:
        _ask_api(ev, plan, ctx)


def run(plan, ctx):
    ev = Evaluation()
    try:
        _evaluate(ev, plan, ctx)
    except CheckError as exc:
        raise CheckError(scrub(exc, _secrets(plan))) from None
    except Exception as exc:  # pylint: disable=broad-exception-caught
        # An unforeseen exception's message could quote a key: the runner would show it as it is.
        raise CheckError(f"unexpected {type(exc).__name__}: {scrub(exc, _secrets(plan))}") from None
    return ev.outcome()
