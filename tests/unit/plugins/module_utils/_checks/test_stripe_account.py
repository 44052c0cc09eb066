"""stripe_account through the real stripe SDK against a local HTTPS stand-in of the Stripe API (see
_stripe_standin.py): key types and modes, the account's capabilities and requirements, webhook endpoints
(paged), the webhook signing secret from a value, the environment or an env file, 401/403/429/5xx answers,
retries, refused and silent servers, and bad options. No key or signing secret may appear in any record."""

from __future__ import annotations

import json
import sys

import pytest
from ansible.module_utils.basic import missing_required_lib

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._checks import stripe_account as kind

from ._kind_runner import described, prepared, run_item
from ._ports import unused_port
from ._stripe_standin import (
    ACCOUNT_ID,
    BILLING_URL,
    LIVE_PUBLISHABLE,
    LIVE_RESTRICTED,
    LIVE_RESTRICTED_NO_WEBHOOKS,
    LIVE_SECRET,
    SHOP_EVENTS,
    SHOP_URL,
    TEST_PUBLISHABLE,
    TEST_SECRET,
    UNKNOWN_SECRET,
    WEBHOOK_SECRET,
    leaked_fragments,
    webhook_endpoint,
)

WEBHOOKS = [dict(url=SHOP_URL, events=SHOP_EVENTS), dict(url=BILLING_URL, events=["invoice.paid"])]


def check(standin, timeout=5.0, **item):
    item.setdefault("secret_key", LIVE_SECRET)
    if standin is not None:
        item.setdefault("api_base", standin.api_base)
        item.setdefault("ca_path", standin.ca_file)
    record = run_item(kind, item, timeout)
    shown = json.dumps(record, ensure_ascii=False)
    assert leaked_fragments(shown) == [], shown
    return record


def prepare(**item):
    item.setdefault("secret_key", LIVE_SECRET)
    return prepared(kind, item)


# --- pass ---------------------------------------------------------------------------------------

def test_live_account_with_webhooks_and_signing_secret_passes(stripe):
    record = check(stripe, publishable_key=LIVE_PUBLISHABLE, webhooks=WEBHOOKS, webhook_secret=WEBHOOK_SECRET)
    assert record["status"] == "pass", record["summary"]
    assert record["summary"] == (
        "live secret key sk_live_\u2026wPQL; publishable key of the same mode; webhook signing secret present; "
        f"account {ACCOUNT_ID}: charges enabled, payouts enabled, details submitted; 2 of 2 webhooks ok")
    observed = record["observed"]
    assert observed["secret_key"] == "sk_live_\u2026wPQL"
    assert (observed["secret_key_type"], observed["secret_key_mode"]) == ("secret", "live")
    assert observed["publishable_key"] == "pk_live_\u2026jsjs"
    assert observed["account_id"] == ACCOUNT_ID
    assert (observed["charges_enabled"], observed["payouts_enabled"], observed["details_submitted"]) == (
        True, True, True)
    assert observed["webhook_secret"] == dict(source="webhook_secret", present=True, format_ok=True)
    assert [(w["endpoint"], w["status"]) for w in observed["webhooks"]] == [
        ("we_1PgolivE7test0001", "enabled"), ("we_1PgolivE7test0002", "enabled")]
    assert observed["retries"] == {"value": 0, "unit": "count"}
    assert record["expected"]["secret_key_mode"] == "live"
    assert (record["section"], record["severity"]) == ("services", "critical")
    assert [r["path"] for r in stripe.state.requests] == ["/v1/account", "/v1/webhook_endpoints"]
    assert stripe.state.requests[1]["query"] == {"limit": "100"}


def test_a_restricted_key_may_do_the_reading(stripe):
    record = check(stripe, secret_key=LIVE_RESTRICTED, webhooks=WEBHOOKS)
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["secret_key_type"] == "restricted"
    assert record["summary"].startswith("live restricted key rk_live_\u2026")


def test_test_mode_is_checked_when_asked_for(stripe):
    record = check(stripe, secret_key=TEST_SECRET, publishable_key=TEST_PUBLISHABLE, mode="test")
    assert record["status"] == "pass", record["summary"]
    assert record["id"] == f"stripe_account:test@127.0.0.1:{stripe.port}"


def test_describe_names_the_mode_and_a_non_default_api():
    assert described(kind, {"secret_key": LIVE_SECRET}) == ("live", "Stripe account, live mode")
    proxied = {"secret_key": LIVE_SECRET, "mode": "test", "api_base": "https://stripe-proxy.internal:8443/"}
    assert described(kind, proxied) == (
        "test@stripe-proxy.internal:8443", "Stripe account, test mode, via stripe-proxy.internal:8443")


# --- keys ---------------------------------------------------------------------------------------

def test_a_test_key_fails_where_live_is_expected(stripe):
    record = check(stripe, secret_key=TEST_SECRET)
    assert record["status"] == "fail"
    assert record["summary"] == "the secret key sk_test_\u2026c8uo is a test mode key, expected live"
    assert record["observed"]["account_id"] == ACCOUNT_ID  # the key still works: everything else is reported


def test_secret_and_publishable_keys_of_different_modes_fail(stripe):
    record = check(stripe, publishable_key=TEST_PUBLISHABLE)
    assert record["status"] == "fail"
    assert record["summary"] == ("the publishable key pk_test_\u2026sph1 is a test mode key, expected live; "
                                 "the secret key is a live mode key but the publishable key is test mode")


def test_a_publishable_key_given_as_the_secret_key_fails_without_asking_the_api(stripe):
    record = check(stripe, secret_key=LIVE_PUBLISHABLE)
    assert record["status"] == "fail"
    assert record["summary"] == ("the secret key pk_live_\u2026jsjs is a live publishable key, not a secret (sk_) "
                                 "or restricted (rk_) key")
    assert record["observed"]["secret_key_type"] == "publishable"
    assert stripe.state.requests == []


def test_something_else_given_as_a_key_fails(stripe):
    record = check(stripe, secret_key="not-a-stripe-key-at-all", publishable_key=LIVE_SECRET)
    assert record["status"] == "fail"
    assert record["summary"] == (
        "the secret key \u2026-all is not a Stripe API key (expected a secret (sk_) or restricted (rk_) key); "
        "the publishable key sk_live_\u2026wPQL is a live secret key, not a publishable (pk_) key")
    assert stripe.state.requests == []


def test_an_unknown_key_is_rejected(stripe):
    record = check(stripe, secret_key=UNKNOWN_SECRET)
    assert record["status"] == "fail"
    assert record["summary"].startswith("the secret key sk_live_\u2026PEE6 was rejected: Invalid API Key provided: ")


def test_an_api_message_quoting_the_whole_key_is_scrubbed(stripe):
    stripe.state.echo_keys = True
    record = check(stripe, secret_key=UNKNOWN_SECRET)
    assert record["summary"] == ("the secret key sk_live_\u2026PEE6 was rejected: "
                                 "Invalid API Key provided: sk_live_\u2026PEE6")


# --- the account --------------------------------------------------------------------------------

def test_an_account_that_cannot_take_payments_fails(stripe):
    stripe.state.account.update(charges_enabled=False, payouts_enabled=False, details_submitted=False)
    stripe.state.account["requirements"].update(disabled_reason="requirements.past_due",
                                                past_due=["external_account"], currently_due=["external_account"])
    record = check(stripe)
    assert record["status"] == "fail"
    assert record["summary"] == (
        "charges are disabled (requirements.past_due); payouts are disabled (requirements.past_due); "
        "the account details are not submitted; 1 account requirement due (1 past due): external_account")
    assert record["observed"]["disabled_reason"] == "requirements.past_due"


def test_capabilities_not_required_are_only_reported(stripe):
    stripe.state.account.update(payouts_enabled=False)
    record = check(stripe, require_payouts_enabled=False)
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["payouts_enabled"] is False
    assert "payouts_enabled" not in record["expected"]


@pytest.mark.parametrize("level, status", [("warn", "warn"), ("fail", "fail"), ("ignore", "pass")])
def test_requirements_due_are_graded_as_asked(stripe, level, status):
    stripe.state.account["requirements"].update(currently_due=["company.tax_id", "representative.dob.day"],
                                                current_deadline=1900000000)
    record = check(stripe, requirements_due=level)
    assert record["status"] == status, record["summary"]
    assert record["observed"]["requirements_due"] == ["company.tax_id", "representative.dob.day"]
    if status != "pass":
        assert record["summary"] == "2 account requirements due: company.tax_id, representative.dob.day"


# --- webhooks -----------------------------------------------------------------------------------

def test_a_missing_webhook_url_fails(stripe):
    record = check(stripe, webhooks=[dict(url="https://shop.example.test/other", events=["charge.refunded"])])
    assert record["status"] == "fail"
    assert record["summary"] == "no webhook endpoint for https://shop.example.test/other"
    assert record["observed"]["webhooks"][0]["endpoint"] is None


def test_a_disabled_endpoint_fails(stripe):
    stripe.state.endpoints[0]["status"] = "disabled"
    record = check(stripe, webhooks=WEBHOOKS)
    assert record["status"] == "fail"
    assert record["summary"] == f"the webhook endpoint we_1PgolivE7test0001 for {SHOP_URL} is disabled"


def test_an_enabled_endpoint_is_preferred_to_a_disabled_one_with_the_same_url(stripe):
    stripe.state.endpoints.insert(0, webhook_endpoint(9, SHOP_URL, SHOP_EVENTS, status="disabled"))
    record = check(stripe, webhooks=WEBHOOKS)
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["webhooks"][0]["endpoint"] == "we_1PgolivE7test0001"


def test_a_missing_event_fails_and_a_wildcard_covers_every_event(stripe):
    shop_events = ["payment_intent.succeeded", "invoice.paid", "checkout.session.completed"]
    record = check(stripe, webhooks=[dict(url=SHOP_URL, events=shop_events),
                                     dict(url=BILLING_URL, events=["anything.at_all"])])
    assert record["status"] == "fail"
    assert record["summary"] == (f"the webhook endpoint we_1PgolivE7test0001 for {SHOP_URL} is not subscribed to "
                                 "invoice.paid, checkout.session.completed")
    assert record["observed"]["webhooks"][1]["missing_events"] == []


def test_endpoints_are_read_page_by_page(stripe):
    stripe.state.endpoints = [webhook_endpoint(n, f"https://other.example.test/{n}", ["*"]) for n in range(1, 8)]
    stripe.state.endpoints.append(webhook_endpoint(8, SHOP_URL, SHOP_EVENTS))
    stripe.state.page_size = 3
    record = check(stripe, webhooks=[dict(url=SHOP_URL, events=SHOP_EVENTS)])
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["webhook_endpoints_total"] == {"value": 8, "unit": "count"}
    pages = [r["query"].get("starting_after") for r in stripe.state.requests if r["path"] == "/v1/webhook_endpoints"]
    assert pages == [None, "we_1PgolivE7test0003", "we_1PgolivE7test0006"]


# --- the webhook signing secret -----------------------------------------------------------------

def test_signing_secret_from_the_environment(stripe, monkeypatch):
    monkeypatch.setenv("GOLIVE_TEST_WHSEC", WEBHOOK_SECRET)
    record = check(stripe, webhook_secret_env="GOLIVE_TEST_WHSEC")
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["webhook_secret"]["source"] == "environment variable GOLIVE_TEST_WHSEC"


def test_a_missing_signing_secret_fails(stripe, monkeypatch):
    monkeypatch.delenv("GOLIVE_TEST_WHSEC", raising=False)
    record = check(stripe, webhook_secret_env="GOLIVE_TEST_WHSEC")
    assert record["status"] == "fail"
    assert record["summary"] == "the webhook signing secret (environment variable GOLIVE_TEST_WHSEC) is not set"
    assert record["observed"]["webhook_secret"]["present"] is False


@pytest.mark.parametrize("value, problem", [
    ("", "is empty"),
    ("whsec_", "holds only the whsec_ prefix"),
    (WEBHOOK_SECRET + "\n", "has leading or trailing whitespace"),
    (WEBHOOK_SECRET.replace("whsec_", "wh_"), "does not start with whsec_"),
    (LIVE_SECRET, "holds a live secret key, not a signing secret (whsec_)"),
])
def test_a_malformed_signing_secret_fails_without_showing_it(stripe, value, problem):
    record = check(stripe, webhook_secret=value)
    assert record["status"] == "fail"
    assert record["summary"] == f"the webhook signing secret (webhook_secret) {problem}"
    assert record["observed"]["webhook_secret"]["format_ok"] is False


def test_signing_secret_from_an_env_file(stripe, tmp_path):
    env_file = tmp_path / "shop.env"
    env_file.write_text(f'STRIPE_SECRET_KEY={LIVE_SECRET}\nSTRIPE_WEBHOOK_SECRET="{WEBHOOK_SECRET}"\nHOOKS_SECRET=wrong\n')
    passing = check(stripe, webhook_secret_file=str(env_file))
    assert passing["status"] == "pass", passing["summary"]
    assert passing["observed"]["webhook_secret"]["source"] == f"STRIPE_WEBHOOK_SECRET in {env_file}"
    wrong = check(stripe, webhook_secret_file=str(env_file), webhook_secret_variable="HOOKS_SECRET")
    assert wrong["summary"] == f"the webhook signing secret (HOOKS_SECRET in {env_file}) does not start with whsec_"
    missing = check(stripe, webhook_secret_file=str(env_file), webhook_secret_variable="NOT_THERE")
    assert missing["status"] == "fail"


def test_an_unreadable_env_file_is_an_error(stripe, tmp_path):
    record = check(stripe, webhook_secret_file=str(tmp_path / "missing.env"))
    assert record["status"] == "error"
    absent = tmp_path / "missing.env"
    assert record["summary"] == f"webhook signing secret: cannot read {absent}: No such file or directory"


# --- errors and retries -------------------------------------------------------------------------

def test_retries_after_429_until_the_api_answers(stripe):
    stripe.state.fail_next(429, 2)
    record = check(stripe, webhooks=WEBHOOKS)
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["retries"] == {"value": 2, "unit": "count"}
    assert record["summary"].endswith("; the API answered after 2 retries (429, 429)")


def test_retries_after_500_until_the_api_answers(stripe):
    stripe.state.fail_next(500, 1)
    record = check(stripe)
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["retries"] == {"value": 1, "unit": "count"}


def test_an_api_failing_beyond_the_retries_is_an_error(stripe):
    stripe.state.fail_next(500, 10)
    record = check(stripe, retries=1)
    assert record["status"] == "error"
    assert record["summary"] == "retrieving the account: HTTP 500 after 1 retry (500): An unknown error occurred"


def test_rate_limiting_beyond_the_retries_is_an_error(stripe):
    stripe.state.fail_next(429, 10)
    record = check(stripe, retries=0)
    assert record["status"] == "error"
    assert record["summary"].startswith("retrieving the account: rate limited (HTTP 429): Request rate limit exceeded.")


def test_a_key_not_allowed_to_read_webhooks_is_an_error(stripe):
    record = check(stripe, secret_key=LIVE_RESTRICTED_NO_WEBHOOKS, webhooks=WEBHOOKS)
    assert record["status"] == "error"
    assert record["summary"].startswith("listing webhook endpoints: the key may not read this (HTTP 403): "
                                        "The provided key 'rk_live_*")
    assert record["observed"]["account_id"] == ACCOUNT_ID


def test_a_refused_connection_is_an_error():
    port = unused_port()
    record = check(None, api_base=f"https://127.0.0.1:{port}", retries=0)
    assert record["status"] == "error"
    assert record["summary"] == f"retrieving the account: cannot connect to 127.0.0.1:{port}: Connection refused"


def test_a_silent_api_times_out_within_the_check_timeout(stripe):
    stripe.state.hang = True
    record = check(stripe, timeout=1.5)
    assert record["status"] == "error"
    assert record["summary"].startswith("retrieving the account: timed out after ")
    assert record["summary"].endswith(f" waiting for 127.0.0.1:{stripe.port}")


def test_an_api_certificate_not_trusted_is_an_error(stripe):
    record = check(stripe, ca_path=None)  # the SDK's bundled CA certificates do not know the test CA
    assert record["status"] == "error"
    assert record["summary"] == (f"retrieving the account: certificate of 127.0.0.1:{stripe.port} not verified: "
                                 "unable to get local issuer certificate")


def test_an_unreadable_ca_path_is_an_error(stripe, tmp_path):
    record = check(stripe, ca_path=str(tmp_path / "nope.pem"))
    assert record["status"] == "error"
    assert record["summary"].startswith(f'ca_path: cannot load CA certificates from {tmp_path / "nope.pem"}')


def test_without_the_sdk_the_check_is_an_error(stripe, monkeypatch):
    monkeypatch.setitem(sys.modules, "stripe", None)  # makes `import stripe` raise ImportError
    record = check(stripe)
    assert record["status"] == "error"
    assert record["summary"] == missing_required_lib("stripe")


def test_scrub_masks_anything_shaped_like_a_key():
    text = "bad {} and {} or {}".format(LIVE_SECRET, WEBHOOK_SECRET, "hunter2-but-longer")
    assert kind.scrub(text, ["hunter2-but-longer"]) == "bad sk_live_\u2026wPQL and whsec_\u2026y3S8 or \u2026nger"


# --- bad options --------------------------------------------------------------------------------

@pytest.mark.parametrize("item, message", [
    (dict(secret_key=""), "secret_key: must not be empty"),
    (dict(secret_key=LIVE_SECRET + "\n"), "secret_key: contains whitespace or control characters"),
    (dict(publishable_key=" " + LIVE_PUBLISHABLE), "publishable_key: contains whitespace or control characters"),
    (dict(api_base="http://api.stripe.com"), "api_base: 'http://api.stripe.com' is not an https:// URL "
                                             "(the secret key is sent to it)"),
    (dict(api_base="https://user:pw@proxy.internal"), "api_base: 'https://user:****@proxy.internal' must not hold "
                                                      "credentials, a query or a fragment"),
    (dict(retries=11), "retries: 11 is not between 0 and 10"),
    (dict(webhooks=[dict(url="shop.example.test/hook", events=[])]),
     "webhooks[0].url: 'shop.example.test/hook' is not an http(s) URL"),
    (dict(webhooks=[dict(url=SHOP_URL, events=[]), dict(url=SHOP_URL, events=[])]),
     f"webhooks[1].url: {SHOP_URL} is listed twice"),
    (dict(webhooks=[dict(url=SHOP_URL, events=["charge. refunded"])]),
     "webhooks[0].events: 'charge. refunded' is not an event type (like payment_intent.succeeded)"),
    (dict(webhook_secret=WEBHOOK_SECRET, webhook_secret_env="X"),
     "webhook_secret/webhook_secret_env: give only one source of the webhook signing secret"),
    (dict(webhook_secret_variable="STRIPE_WEBHOOK_SECRET"),
     "webhook_secret_variable: only applies with webhook_secret_file"),
    (dict(webhook_secret_env="STRIPE-WEBHOOK"), "webhook_secret_env: 'STRIPE-WEBHOOK' is not an environment "
                                                "variable name"),
])
def test_bad_options_are_named(item, message):
    with pytest.raises(OptionError) as raised:
        prepare(**item)
    assert str(raised.value) == message
    assert leaked_fragments(str(raised.value)) == []
