"""stripe_account end to end: real `ansible localhost -m golive.readiness.stripe_account` runs at -vvv with
Ansible's log on, against the local HTTPS stand-in of the Stripe API; no key or signing secret may appear in
stdout, stderr, the log or the returned records, not even in part."""

from __future__ import annotations

import json

from ansible_collections.golive.readiness.plugins.module_utils._checks import stripe_account
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._ports import unused_port
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._stripe_standin import (
    ACCOUNT_ID,
    BILLING_URL,
    LIVE_PUBLISHABLE,
    LIVE_SECRET,
    SHOP_EVENTS,
    SHOP_URL,
    TEST_PUBLISHABLE,
    TEST_SECRET,
    UNKNOWN_SECRET,
    WEBHOOK_SECRET,
    leaked_fragments,
)

from ._adhoc import ansible_run_logged, assert_documents_options

WEBHOOKS = [dict(url=SHOP_URL, events=SHOP_EVENTS), dict(url=BILLING_URL, events=["invoice.paid"])]
# What Ansible writes in place of a no_log value: the records must never have needed it.
ANSIBLE_MASK = "********"


def item(standin, **options):
    options.setdefault("secret_key", LIVE_SECRET)
    options.setdefault("api_base", standin.api_base)
    options.setdefault("ca_path", standin.ca_file)
    return options


def run_logged(tmp_path, args):
    """ansible_run_logged; (completed, result) once no secret, nor any part of one, is found in anything
    Ansible wrote or returned, and the records show nothing Ansible had to mask."""
    done, result, written = ansible_run_logged("stripe_account", tmp_path, args)
    assert leaked_fragments(written) == []
    assert leaked_fragments(json.dumps(result)) == []
    assert ANSIBLE_MASK not in json.dumps(result.get("golive_checks", []))
    for record in result.get("golive_checks", []):
        assert record["id"] in written  # the records were printed and logged, so the search covered them
    return done, result


def test_a_ready_account_passes(stripe, tmp_path, monkeypatch):
    monkeypatch.setenv("GOLIVE_TEST_STRIPE_WHSEC", WEBHOOK_SECRET)
    done, result = run_logged(tmp_path, {"checks": [
        item(stripe, publishable_key=LIVE_PUBLISHABLE, webhooks=WEBHOOKS,
             webhook_secret_env="GOLIVE_TEST_STRIPE_WHSEC"),
    ]})
    assert done.returncode == 0, done.stdout
    [record] = result["golive_checks"]
    assert record["status"] == "pass", record["summary"]
    assert record["id"] == f"stripe_account:live@127.0.0.1:{stripe.port}"
    assert record["observed"]["account_id"] == ACCOUNT_ID
    assert record["observed"]["secret_key"] == "sk_live_\u2026wPQL"
    assert result["msg"] == "1 check: 1 pass"


def test_failures_and_errors_in_one_call_show_no_secret(stripe, tmp_path):
    stripe.state.echo_keys = True  # the 401 message quotes the whole key: it must be scrubbed
    env_file = tmp_path / "shop.env"
    env_file.write_text(f"STRIPE_SECRET_KEY={LIVE_SECRET}\nSTRIPE_WEBHOOK_SECRET={LIVE_SECRET}\n")
    refused = unused_port()
    done, result = run_logged(tmp_path, {"checks": [
        item(stripe, id="stripe:test-keys", secret_key=TEST_SECRET, publishable_key=TEST_PUBLISHABLE,
             webhook_secret=WEBHOOK_SECRET),
        item(stripe, id="stripe:mixed-modes", publishable_key=TEST_PUBLISHABLE),
        item(stripe, id="stripe:unknown-key", secret_key=UNKNOWN_SECRET),
        item(stripe, id="stripe:env-file", webhook_secret_file=str(env_file), webhooks=WEBHOOKS),
        item(stripe, id="stripe:whsec-prefix", webhook_secret="wh_" + WEBHOOK_SECRET[len("whsec_"):]),
        item(stripe, id="stripe:missing-webhook", webhooks=[dict(url="https://shop.example.test/gone")]),
        item(stripe, id="stripe:refused", api_base=f"https://127.0.0.1:{refused}", retries=0),
    ]})
    assert done.returncode == 2
    summaries = dict((r["id"], (r["status"], r["summary"])) for r in result["golive_checks"])
    assert summaries == {
        "stripe:test-keys": ("fail", "the secret key sk_test_\u2026c8uo is a test mode key, expected live; "
                                     "the publishable key pk_test_\u2026sph1 is a test mode key, expected live"),
        "stripe:mixed-modes": ("fail", "the publishable key pk_test_\u2026sph1 is a test mode key, expected live; "
                                       "the secret key is a live mode key but the publishable key is test mode"),
        "stripe:unknown-key": ("fail", "the secret key sk_live_\u2026PEE6 was rejected: "
                                       "Invalid API Key provided: sk_live_\u2026PEE6"),
        "stripe:env-file": ("fail", f"the webhook signing secret (STRIPE_WEBHOOK_SECRET in {env_file}) "
                                    "holds a live secret key, not a signing secret (whsec_)"),
        "stripe:whsec-prefix": ("fail", "the webhook signing secret (webhook_secret) does not start with whsec_"),
        "stripe:missing-webhook": ("fail", "no webhook endpoint for https://shop.example.test/gone"),
        "stripe:refused": ("error",
                           f"retrieving the account: cannot connect to 127.0.0.1:{refused}: Connection refused"),
    }
    assert result["golive_counts"] == {"pass": 0, "warn": 0, "fail": 6, "error": 1, "skipped": 0}


def test_an_invalid_choice_fails_the_task_naming_it(tmp_path):
    done, result = run_logged(tmp_path, {"checks": [{"secret_key": LIVE_SECRET, "mode": "production"}]})
    assert done.returncode == 2
    assert "Traceback" not in done.stdout + done.stderr
    assert result["msg"].startswith("value of mode must be one of: live, test, got: production")


def test_option_problems_of_valid_types_are_all_named(tmp_path):
    done, result = run_logged(tmp_path, {"checks": [
        {"secret_key": LIVE_SECRET + " "},
        {"secret_key": LIVE_SECRET, "api_base": "http://api.stripe.com"},
        {"secret_key": LIVE_SECRET, "webhook_secret": WEBHOOK_SECRET, "webhook_secret_env": "STRIPE_WHSEC"},
        {"secret_key": LIVE_SECRET, "webhooks": [{"url": SHOP_URL}, {"url": SHOP_URL}]},
    ]})
    assert done.returncode == 2
    assert "Traceback" not in done.stdout + done.stderr
    assert result["msg"] == (
        "invalid check options: checks[0]: secret_key: contains whitespace or control characters; "
        "checks[1]: api_base: 'http://api.stripe.com' is not an https:// URL (the secret key is sent to it); "
        "checks[2]: webhook_secret/webhook_secret_env: give only one source of the webhook signing secret; "
        f"checks[3]: webhooks[1].url: {SHOP_URL} is listed twice")
    assert "golive_checks" not in result


def test_module_documentation_renders_every_option():
    doc = assert_documents_options("stripe_account", stripe_account)
    for name in ("secret_key", "publishable_key", "webhook_secret"):
        assert stripe_account.OPTIONS[name]["no_log"] is True, name
    suboptions = doc["options"]["checks"]["suboptions"]
    assert suboptions["mode"]["choices"] == ["live", "test"]
    assert suboptions["requirements_due"]["choices"] == ["ignore", "warn", "fail"]
    assert set(suboptions["webhooks"]["suboptions"]) == {"url", "events"}
