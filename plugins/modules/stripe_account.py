#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: stripe_account
short_description: Check Stripe API keys, the account's ability to take payments, webhooks and the signing secret
version_added: 0.1.0
description:
  - For each Stripe account, checks that the secret key is a secret (C(sk_)) or restricted (C(rk_)) key of
    the expected mode (live in production), that the publishable key (C(pk_)) is of the same mode, and that
    the webhook signing secret of the configured source is present and starts with C(whsec_). These are
    read from the keys themselves, without asking the API.
  - Then, with the official C(stripe) SDK, retrieves the account (C(GET /v1/account)) - which proves the key
    authenticates - and checks that it can take payments (C(charges_enabled), C(payouts_enabled),
    C(details_submitted)) and has no requirements due; and lists the webhook endpoints
    (C(GET /v1/webhook_endpoints), every page) to check that each required URL has an enabled endpoint
    subscribed to the required events.
  - B(Read-only.) Only those two C(GET) requests are made, so a restricted key with read access to the
    account and to webhook endpoints is enough. The API is not asked at all when the secret key is not a
    secret or restricted key.
  - C(fail) when an expectation is not met, including a key the API rejects (HTTP 401).
  - C(error) when the account cannot be evaluated - the API refuses a read to the key (HTTP 403), keeps
    answering 429 or 5xx after the retries, cannot be connected to, presents a certificate that does not
    verify, or does not answer within the check's time limit (the summary says C(timed out)); an env file
    that cannot be read; the C(stripe) SDK not installed.
  - 429 and 5xx answers and connection failures are retried with the SDK's exponential back-off, at most
    I(retries) times and only while the check's time limit leaves room for another attempt.
  - The keys are shown masked (C(sk_live_) followed by the last four characters); nothing of the signing
    secret is shown. Messages of the API and the SDK are scrubbed of anything shaped like a key or signing
    secret.
  - An endpoint check; runs on the probe host. Proxy variables of the environment are not used; point
    I(api_base) at a reverse proxy when the probe host has no direct route to the API.
author: golive.readiness contributors (@golive-readiness)
requirements:
  - stripe (the official Stripe Python SDK; tested with 16.1.0) on the host that runs the check
extends_documentation_fragment:
  - golive.readiness.check_item
options:
  checks:
    description:
      - The Stripe accounts to check, one item each.
      - An item's C(id) defaults to C(stripe_account:<mode>), with C(@<host[:port]>) of I(api_base) when it is not
        the default. Give an id to each account when checking several from one host.
      - Its C(title) defaults to C(Stripe account, <mode> mode) (with C(, via <host>) like the id).
      - An item's C(timeout) is the time limit of this check, retries and back-off included. Every request is
        bounded by what is left of it.
      # BEGIN generated: kind defaults (scripts/generate; do not edit by hand)
      - A C(stripe_account) item defaults to section V(services) and severity V(critical).
      # END generated: kind defaults
    type: list
    elements: dict
    required: true
    suboptions:
      secret_key:
        description:
          - The secret key the application uses (C(sk_live_...)), or a restricted key (C(rk_live_...)) allowed
            to read the account and webhook endpoints (C(no_log)).
          - A publishable key, or anything that is not a Stripe key, fails the check without the API being asked.
        type: str
        required: true
      publishable_key:
        description:
          - The publishable key the application serves to browsers (C(pk_live_...)) (C(no_log)). It must be a
            publishable key of the expected I(mode) and of the secret key's mode. Only its form is checked.
        type: str
      mode:
        description: The mode the keys must be of; V(live) in production.
        type: str
        choices: [live, test]
        default: live
      require_charges_enabled:
        description: Fail unless the account can create charges (C(charges_enabled)).
        type: bool
        default: true
      require_payouts_enabled:
        description: Fail unless Stripe can send payouts to the account (C(payouts_enabled)).
        type: bool
        default: true
      require_details_submitted:
        description: Fail unless the account's details have been submitted (C(details_submitted)).
        type: bool
        default: true
      requirements_due:
        description:
          - The status that account requirements due (C(requirements.currently_due) and
            C(requirements.past_due)) give the check. Stripe restricts an account whose requirements are not
            provided by their deadline; V(ignore) only reports them.
        type: str
        choices: [ignore, warn, fail]
        default: warn
      webhooks:
        description:
          - The webhook endpoints the application needs. For each, at least one endpoint with exactly this
            URL must be enabled and subscribed to every one of I(events) (or to V(*)).
        type: list
        elements: dict
        suboptions:
          url:
            description: The endpoint's URL, exactly as registered with Stripe.
            type: str
            required: true
          events:
            description:
              - Event types the endpoint must be subscribed to (V(payment_intent.succeeded)). Empty - any
                enabled endpoint with the URL will do.
            type: list
            elements: str
            default: []
      webhook_secret:
        description:
          - The webhook signing secret itself, for example from a vault (C(no_log)). It must start with
            C(whsec_). At most one of I(webhook_secret), I(webhook_secret_env) and I(webhook_secret_file).
          - Stripe does not return signing secrets, so only its presence and form are checked.
        type: str
      webhook_secret_env:
        description:
          - Name of the environment variable that holds the webhook signing secret, in the environment of the
            check on the host that runs it.
        type: str
      webhook_secret_file:
        description:
          - An env file (C(NAME=value) lines, as read by dotenv and systemd) on the host that runs the check that
            holds the webhook signing secret in I(webhook_secret_variable).
        type: path
      webhook_secret_variable:
        description:
          - The variable of I(webhook_secret_file) that holds the signing secret; C(STRIPE_WEBHOOK_SECRET) when
            not set. Only with I(webhook_secret_file).
        type: str
      api_base:
        description:
          - Base URL of the Stripe API, C(https://) only (the secret key is sent to it). Set it for a reverse
            proxy or a test stand-in.
        type: str
        default: https://api.stripe.com
      ca_path:
        description:
          - A PEM file (or a directory of hashed certificates) of the CA certificates to trust for I(api_base).
            By default, the CA certificates the C(stripe) SDK ships with.
        type: path
      retries:
        description:
          - How many times a request answered with 429 or 5xx, or whose connection failed, is retried (0-10),
            with the SDK's exponential back-off, while the check's time limit leaves room.
        type: int
        default: 2
      # BEGIN generated: item options (scripts/generate; do not edit by hand)
      id:
        description:
          - Result id, unique within a host; waivers and reports refer to it.
          - Its default is given in the description of O(checks).
        type: str
      title:
        description: Human title; its default is given in the description of O(checks).
        type: str
      section:
        description:
          - Checklist section of this check; defaults to the module's O(section), else the kind's (see
            O(checks)).
        type: str
      severity:
        description: Severity of this check; defaults to the module's O(severity), else the kind's (see O(checks)).
        type: str
        choices: [critical, high, medium, low]
      timeout:
        description:
          - Time limit of this check, as a duration (V(10s), V(500ms), V(2m)) or seconds; defaults to the module's
            O(timeout).
          - What it bounds besides the check itself, if anything, is said in the description of O(checks).
        type: raw
      target:
        description: Inventory host this check is about, when it runs from another (probe) host.
        type: str
      hint:
        description:
          - What to do when this check does not pass (a runbook step, a command, a link), at most 1000 characters.
          - Carried in the result and shown beside the check in the HTML, Markdown and JUnit reports when it
            warns, fails or errs.
        type: str
      contact:
        description:
          - Who acts when this check does not pass (a team, a person, a channel), at most 200 characters.
          - Carried in the result and shown beside the check, with O(checks[].hint), when it warns, fails or errs.
        type: str
      # END generated: item options
seealso:
  - module: golive.readiness.verify
  - name: Stripe API keys
    description: Key types and modes.
    link: https://docs.stripe.com/keys
  - name: Stripe webhook endpoints
    description: The webhook endpoint object.
    link: https://docs.stripe.com/api/webhook_endpoints/object
"""

EXAMPLES = r"""
- name: The shop's live keys work, the account takes payments and the webhooks are registered
  golive.readiness.stripe_account:
    checks:
      - secret_key: "{{ vault_stripe_secret_key }}"
        publishable_key: "{{ stripe_publishable_key }}"
        webhook_secret: "{{ vault_stripe_webhook_secret }}"
        webhooks:
          - url: https://shop.example.com/stripe/webhook
            events:
              - payment_intent.succeeded
              - payment_intent.payment_failed
              - charge.refunded
  delegate_to: localhost

- name: On the app server, the signing secret is in the app's env file; a read-only restricted key probes the API
  golive.readiness.stripe_account:
    checks:
      - secret_key: "{{ vault_stripe_probe_key }}"
        webhook_secret_file: /etc/shop/shop.env
        webhook_secret_variable: STRIPE_WEBHOOK_SECRET
        requirements_due: fail
        webhooks:
          - url: https://shop.example.com/stripe/webhook
            events: ["checkout.session.completed"]

- name: The staging shop runs on test keys, through the egress proxy
  golive.readiness.stripe_account:
    checks:
      - secret_key: "{{ vault_stripe_test_secret_key }}"
        mode: test
        require_payouts_enabled: false
        api_base: https://stripe-egress.internal.example.com
        ca_path: /etc/ssl/internal-ca.pem
"""

RETURN = r"""
golive_checks:
  description:
    - One record per account, in the order of O(checks).
    - C(observed) holds C(api_base), C(secret_key) (masked), C(secret_key_type) (V(secret), V(restricted),
      V(publishable) or V(unknown)), C(secret_key_mode) (V(live), V(test) or null); with I(publishable_key)
      C(publishable_key) (masked), C(publishable_key_type) and C(publishable_key_mode); with a signing secret
      source C(webhook_secret) (C(source), C(present), C(format_ok) - never any of the value).
    - Once the API was asked, C(account_id), C(country), C(default_currency), C(charges_enabled),
      C(payouts_enabled), C(details_submitted), C(requirements_due) (the first ten names),
      C(requirements_past_due) (a count), C(disabled_reason), C(requirements_deadline) (Unix time) and
      C(retries) (a count); with I(webhooks) C(webhook_endpoints_total), C(webhook_endpoints_enabled) and C(webhooks)
      (for each required URL the matched C(endpoint) id, its C(status) and C(missing_events)); nothing here
      carries a unit.
    - C(expected) holds what was required of each of them - C(secret_key_type), C(secret_key_mode), the
      publishable key's, C(webhook_secret), C(charges_enabled), C(payouts_enabled), C(details_submitted),
      C(requirements_due) and C(webhooks) (each URL with its events).
  returned: always
  type: list
  elements: dict
  sample:
    - id: stripe_account:live
      kind: stripe_account
      section: services
      title: Stripe account, live mode
      status: pass
      severity: critical
      summary: >-
        live secret key sk_live_…a1b2; account acct_1Nx2example: charges enabled, payouts enabled,
        details submitted
      observed:
        api_base: https://api.stripe.com
        secret_key: sk_live_…a1b2
        secret_key_type: secret
        secret_key_mode: live
        account_id: acct_1Nx2example
        country: DE
        default_currency: eur
        charges_enabled: true
        payouts_enabled: true
        details_submitted: true
        requirements_due: []
        requirements_past_due: {value: 0, unit: count}
        disabled_reason: null
        requirements_deadline: null
        retries: {value: 0, unit: count}
      expected:
        secret_key_type: secret or restricted
        secret_key_mode: live
        charges_enabled: true
        payouts_enabled: true
        details_submitted: true
        requirements_due: none
      duration_ms: 322
  contains:
    # BEGIN generated: record fields (scripts/generate; do not edit by hand)
    id:
      description: Stable identifier of the check, unique within a host; waivers refer to it.
      returned: always
      type: str
    kind:
      description: The check kind (the module's name).
      returned: always
      type: str
    section:
      description: Checklist section.
      returned: always
      type: str
    title:
      description: Human title.
      returned: always
      type: str
    status:
      description: V(pass), V(warn), V(fail), V(error) (could not be evaluated) or V(skipped).
      returned: always
      type: str
    severity:
      description: V(critical), V(high), V(medium) or V(low).
      returned: always
      type: str
    summary:
      description: One line saying what was observed against what was expected.
      returned: always
      type: str
    observed:
      description:
        - Measured values by name (what each kind measures is listed in the description of RV(golive_checks)).
        - A number with a unit is C({value, unit}) (units V(bytes), V(seconds), V(ms), V(percent), V(count), V(ratio),
          V(days)); texts, lists and flags are plain; secrets only masked.
      returned: always
      type: dict
    expected:
      description:
        - 'What each observed value was held against, under the same name: levels
          C({warn: {below|above: n}, fail: {...}, unit}), a quantity, or a plain value. Empty when nothing was graded.'
      returned: always
      type: dict
    duration_ms:
      description:
        - How long the check took, in milliseconds.
        - With O(wait), from its first round's start to its last round's end, pauses included.
      returned: always
      type: int
    rounds:
      description:
        - How many times the check ran while the call waited (O(wait)); V(1) when it passed, warned or was
          skipped at once, V(0) when the call's deadline came before it could start. Its other fields are
          its last round's.
      returned: when O(wait) is set above V(0s)
      type: int
    target:
      description: Inventory host the check is about, when it ran from another (probe) host.
      returned: when set in the item
      type: str
    hint:
      description: What to do when the check does not pass, as the item's C(hint) says.
      returned: when set in the item
      type: str
    contact:
      description: Who acts when the check does not pass, as the item's C(contact) says.
      returned: when set in the item
      type: str
    # END generated: record fields
# BEGIN generated: golive_counts (scripts/generate; do not edit by hand)
golive_counts:
  description: Number of results per status.
  returned: always
  type: dict
  sample: {pass: 3, warn: 1, fail: 0, error: 0, skipped: 0}
  contains:
    pass:
      description: Checks that passed.
      returned: always
      type: int
    warn:
      description: Checks that warned.
      returned: always
      type: int
    fail:
      description: Checks that failed.
      returned: always
      type: int
    error:
      description: Checks that could not be evaluated.
      returned: always
      type: int
    skipped:
      description: Checks that were skipped.
      returned: always
      type: int
# END generated: golive_counts
"""

from ansible_collections.golive.readiness.plugins.module_utils._checks import stripe_account
from ansible_collections.golive.readiness.plugins.module_utils._module import run_kind_module


def main():
    run_kind_module(stripe_account)


if __name__ == "__main__":
    main()
