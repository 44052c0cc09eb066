#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: alertmanager
short_description: Check that Alertmanager is ready, has receivers that notify and routes alerts to them
version_added: 0.1.0
description:
  - Asks Alertmanager whether it is ready (C(/-/ready)) and reads its loaded configuration and cluster state
    (C(/api/v2/status)). Checks that at least I(min_receivers) receivers have a notification integration
    (a webhook, e-mail, PagerDuty, Slack... configuration); that the I(required_receivers) exist and notify;
    that the I(required_routes) are present; and, with I(min_cluster_peers), that the high-availability
    cluster is ready with enough peers.
  - A route is required by receiver name, optionally with the labels of an alert. With I(labels), the alert
    is routed the way Alertmanager routes it (nested routes tried depth first, in order; the first
    matching route ends the search unless it has C(continue); a route without a receiver uses its
    parent's), and the receiver must be among those the alert reaches. Without I(labels), some route of
    the tree (the root route included) must send to the receiver.
  - Not ready (any answer but 200 from C(/-/ready)) fails, and the configuration is then not judged.
    Unreachable, not answering within the check's I(timeout), or a configuration that cannot be read is
    an C(error).
  - Endpoint check; it runs on the probe host (by default the controller) with the Python standard library
    and PyYAML (which Ansible itself requires). Proxy environment variables are not used and redirects are
    not followed.
  - An API answer is read up to 64 MiB (decoded, when the server sends it gzip-compressed); a larger one
    is an C(error) naming that cap. Servers that close the connection after answering, keep it alive
    or send it chunked are all read.
author: golive.readiness contributors (@golive-readiness)
extends_documentation_fragment:
  - golive.readiness.check_item
requirements:
  - PyYAML (on the probe host)
options:
  checks:
    description:
      - The Alertmanagers to check, one item each.
      - An item's C(id) defaults to C(alertmanager:<url>).
      - Its C(title) defaults to C(Alertmanager at <url>).
      - An item's C(timeout) is the time limit of this check (both requests together).
      # BEGIN generated: kind defaults (scripts/generate; do not edit by hand)
      - A C(alertmanager) item defaults to section V(monitoring) and severity V(high).
      # END generated: kind defaults
    type: list
    elements: dict
    required: true
    suboptions:
      url:
        description:
          - Base URL of Alertmanager, for example V(https://alertmanager.example.com:9093), with its path
            prefix if it is served under one (C(--web.route-prefix)), without a query.
          - Put credentials in I(username) and I(password) or I(bearer_token), not in the URL.
        type: str
        required: true
      # BEGIN generated: monitoring connection (scripts/generate; do not edit by hand)
      validate_certs:
        description: Verify the server's TLS certificate (https only).
        type: bool
        default: true
      ca_file:
        description: PEM file of the CA certificates to verify an https server against, instead of the system store.
        type: path
      username:
        description: User name for HTTP Basic authentication.
        type: str
      password:
        description:
          - Password for HTTP Basic authentication, with I(username). Never shown, nor the
            C(Authorization Basic) header made of it (in any base64 or URL-encoded form), even when a server echoes it.
        type: str
      bearer_token:
        description:
          - Token sent as C(Authorization Bearer); not together with I(username). Never shown, in any
            base64 or URL-encoded form either.
        type: str
      # END generated: monitoring connection
      min_receivers:
        description:
          - Fail when fewer receivers than this have at least one notification integration. Receivers
            without any (which drop the alerts routed to them) are listed but not counted.
        type: int
        default: 1
      required_receivers:
        description: Receiver names that must be configured, each with at least one notification integration.
        type: list
        elements: str
      required_routes:
        description: Routes that must be present, identified by the receiver they send to.
        type: list
        elements: dict
        suboptions:
          receiver:
            description: The receiver name.
            type: str
            required: true
          labels:
            description:
              - "Labels of an alert that must reach I(receiver), for example V({severity: critical, team: db})."
              - Without it, any route sending to I(receiver) will do.
            type: dict
      min_cluster_peers:
        description:
          - Fail unless the gossip cluster is C(ready) with at least this many peers (an Alertmanager counts
            itself). Without it the cluster state is only reported.
        type: int
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
  - module: golive.readiness.prometheus_targets
  - module: golive.readiness.verify
"""

EXAMPLES = r"""
- name: Alertmanager pages the on-call for critical alerts and tells the database team about theirs
  golive.readiness.alertmanager:
    checks:
      - url: https://alertmanager.example.com
        username: probe
        password: "{{ vault_alertmanager_password }}"
        required_receivers: [pagerduty, slack-ops]
        required_routes:
          - receiver: pagerduty
            labels: {severity: critical}
          - receiver: slack-db
            labels: {team: db, severity: warning}
          - receiver: slack-ops
        min_cluster_peers: 3
  delegate_to: localhost
"""

RETURN = r"""
golive_checks:
  description:
    - One record per item, in the order of O(checks).
    - C(observed) holds C(url), C(ready), and once ready C(cluster) (C(status) - V(ready), V(settling) or
      V(disabled) - and C(peers), the count of peers), C(version), C(receivers) (each receiver name with
      its integrations and how many of each, for example V(webhook) with 1; empty for a receiver without any),
      C(notifying_receivers) (the count of receivers with an integration), C(cluster_peers) (a count) with
      I(min_cluster_peers), C(missing_receivers) with I(required_receivers) and C(routes) with I(required_routes)
      (per entry C(receiver), C(labels), C(routed_to) - the receivers the alert reaches, or every receiver of the
      routing tree without I(labels) - and C(ok)).
    - C(expected) holds the C(notifying_receivers) level, C(cluster_status) and the C(cluster_peers) level with
      I(min_cluster_peers), and C(required_receivers) and C(required_routes) as given.
  returned: always
  type: list
  elements: dict
  sample:
    - id: alertmanager:http://alertmanager.internal:9093
      kind: alertmanager
      section: monitoring
      title: Alertmanager at http://alertmanager.internal:9093
      status: pass
      severity: high
      summary: ready; cluster ready, 2 peers; 1 receiver notify; 1 required route present
      observed:
        url: http://alertmanager.internal:9093
        ready: true
        cluster: {status: ready, peers: {value: 2, unit: count}}
        version: 0.27.0
        cluster_peers: {value: 2, unit: count}
        receivers: {oncall: {pagerduty: 1, email: 1}}
        notifying_receivers: {value: 1, unit: count}
        missing_receivers: []
        routes: [{receiver: oncall, labels: {severity: critical}, routed_to: [oncall], ok: true}]
      expected:
        cluster_status: ready
        cluster_peers: {fail: {below: 2}, unit: count}
        notifying_receivers: {fail: {below: 1}, unit: count}
        required_receivers: [oncall]
        required_routes: [{receiver: oncall, labels: {severity: critical}}]
      duration_ms: 48
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

from ansible_collections.golive.readiness.plugins.module_utils._checks import alertmanager
from ansible_collections.golive.readiness.plugins.module_utils._module import run_kind_module


def main():
    run_kind_module(alertmanager)


if __name__ == "__main__":
    main()
