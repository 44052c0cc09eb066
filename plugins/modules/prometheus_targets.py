#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: prometheus_targets
short_description: Check that Prometheus scrapes its targets and has the required alert rules loaded
version_added: 0.1.0
description:
  - Asks Prometheus's HTTP API for its active targets (C(/api/v1/targets?state=active)) and alerting rules
    (C(/api/v1/rules?type=alert)) and checks that every target, or every target of the named I(jobs), is up;
    that each named job has at least one active target; that the alert rules the checklist requires
    (I(required_alerts)) are loaded, with the expression, C(for) and severity the checklist expects; that
    none of them is firing now; and that no alert rule fails to evaluate.
  - A target that is down fails (see I(down_warn_above) and I(down_fail_above) for an allowance); one not
    scraped yet (health C(unknown)) warns (I(unknown_status)). A required alert rule that is missing or whose
    evaluation fails fails; any other alert rule whose evaluation fails warns.
  - Prometheus unreachable, not answering within the check's I(timeout), or answering something other than
    its API's success JSON is an C(error).
  - A target's job is its C(job) label; a named job also matches the scrape pool (the C(job_name) of the
    scrape configuration), in case relabelling changed the label.
  - Endpoint check; it runs on the probe host (by default the controller) with the Python standard library.
    Proxy environment variables are not used and redirects are not followed.
  - An API answer is read up to 64 MiB (decoded, when the server sends it gzip-compressed); a larger one
    is an C(error) naming that cap. Servers that close the connection after answering, keep it alive
    or send it chunked are all read.
author: golive.readiness contributors (@golive-readiness)
extends_documentation_fragment:
  - golive.readiness.check_item
options:
  checks:
    description:
      - The Prometheus servers to check, one item each.
      - An item's C(id) defaults to C(prometheus_targets:<url>), or C(prometheus_targets:<url>:<jobs>) with I(jobs)
        (the job names joined by commas).
      - Its C(title) defaults to C(Prometheus targets at <url>) (or C(of <jobs> at <url>)).
      - An item's C(timeout) is the time limit of this check (both requests together).
      # BEGIN generated: kind defaults (scripts/generate; do not edit by hand)
      - A C(prometheus_targets) item defaults to section V(monitoring) and severity V(high).
      # END generated: kind defaults
    type: list
    elements: dict
    required: true
    suboptions:
      url:
        description:
          - Base URL of Prometheus, for example V(https://prometheus.example.com:9090), with its path prefix
            if it is served under one (C(--web.external-url)), without a query.
          - Put credentials in I(username) and I(password) (for example for a proxy in front of Prometheus) or
            I(bearer_token), not in the URL.
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
      jobs:
        description:
          - Only the targets of these jobs are checked, and each must have at least one active target.
          - Without it, every active target is checked.
        type: list
        elements: str
      down_warn_above:
        description: Warn when more targets than this are down (a whole number).
        type: raw
      down_fail_above:
        description:
          - Fail when more targets than this are down (a whole number).
          - When neither I(down_warn_above) nor I(down_fail_above) is set, any target down fails (V(0)).
        type: raw
      min_targets:
        description: Fail when fewer active targets than this are checked (all of them, or those of I(jobs)).
        type: int
        default: 1
      unknown_status:
        description: Status of targets not scraped yet (health C(unknown)), as after a restart of Prometheus.
        type: str
        choices: [pass, warn, fail]
        default: warn
      required_alerts:
        description:
          - Alerting rules that must be loaded, for example V(ApiDown), V(HighErrorRate), V(HighLatency),
            V(HighMemory), V(HighCpu). Missing ones fail and are listed.
          - Each is a rule's name, or a mapping with its C(name) and what the loaded rule must be, where each
            key given must hold (of the rules loaded under that name, one must meet them all, else the check
            fails saying what differs) - C(expr), a text the rule's expression must contain (spaces aside, as
            Prometheus prints the expression, which may differ from the rule file in spacing and in the place of
            C(by)); C(expr_regex), a Python regular expression the expression must match; C(for), the rule's
            C(for) as a duration compared by its length (V(5m) is V(300s)); C(severity), its C(severity) label.
          - A required alert that is firing now is reported with O(checks[].firing_status).
          - The mapping form was added in version 0.2.0.
        type: list
        elements: raw
      firing_status:
        description:
          - Status when a required alert (O(checks[].required_alerts)) is firing now. Other alerts firing are
            listed in the record, not graded.
        type: str
        choices: [pass, warn, fail]
        default: warn
        version_added: 0.2.0
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
  - module: golive.readiness.alertmanager
  - module: golive.readiness.verify
"""

EXAMPLES = r"""
- name: Every Prometheus target is up and the alerts of the checklist are loaded
  golive.readiness.prometheus_targets:
    checks:
      - url: https://prometheus.example.com
        bearer_token: "{{ vault_prometheus_token }}"
        required_alerts: [ApiDown, HighErrorRate, HighLatency, HighMemory, HighCpu]
  delegate_to: localhost

- name: The checklist's 'High Error Rate > 5%' alert is loaded as written, for 5 minutes, and paging
  golive.readiness.prometheus_targets:
    checks:
      - url: http://prometheus.internal:9090
        jobs: [api]
        required_alerts:
          - name: HighErrorRate
            expr: "> 0.05"
            for: 5m
            severity: page
          - name: ApiDown
            expr_regex: 'up\{job="api"\} == 0'
        firing_status: fail  # an alert of the checklist firing at go-live stops it
  delegate_to: localhost

- name: The API's own targets, tolerating one node exporter down
  golive.readiness.prometheus_targets:
    checks:
      - url: http://prometheus.internal:9090
        jobs: [api]
        min_targets: 3
      - url: http://prometheus.internal:9090
        jobs: [node]
        down_warn_above: 0
        down_fail_above: 1
        severity: medium
"""

RETURN = r"""
golive_checks:
  description:
    - One record per item, in the order of O(checks).
    - C(observed) holds C(url); C(targets) (C(total), C(up), C(down), C(unknown), counts) and C(jobs) (per job
      its C(up), C(down) and C(unknown) counts) of the checked targets; C(down_targets) and, when there are any,
      C(unknown_targets) (at most 10 each, with C(job), C(instance), C(health), C(last_error), C(last_scrape));
      C(missing_jobs) with I(jobs); C(active_targets) and C(targets_down) (counts); C(alert_rules) (how many
      alerting rules are loaded, a count), C(unhealthy_rules) (C(name), C(group), C(health),
      C(last_error)), C(firing_alerts) (names, at most 10); with I(required_alerts) C(missing_alerts) and
      C(required_alert_rules), each loaded rule of a required name with its C(name), C(group), C(state),
      C(query) (as Prometheus prints it, at most 300 characters), C(labels), C(for) (a duration) and
      C(problems) (what differs from the expectation).
    - C(expected) holds C(jobs) as given, the C(active_targets) and C(targets_down) levels, C(unknown_status)
      when targets are not scraped yet, C(required_alerts) as given and C(firing_status).
  returned: always
  type: list
  elements: dict
  sample:
    - id: prometheus_targets:http://prometheus.internal:9090
      kind: prometheus_targets
      section: monitoring
      title: Prometheus targets at http://prometheus.internal:9090
      status: fail
      severity: high
      summary: '1 of 12 targets down (fail > 0): node db02:9100'
      observed:
        url: http://prometheus.internal:9090
        targets:
          total: {value: 12, unit: count}
          up: {value: 11, unit: count}
          down: {value: 1, unit: count}
          unknown: {value: 0, unit: count}
        jobs:
          node: {up: {value: 5, unit: count}, down: {value: 1, unit: count}, unknown: {value: 0, unit: count}}
          shop: {up: {value: 6, unit: count}, down: {value: 0, unit: count}, unknown: {value: 0, unit: count}}
        down_targets:
          - job: node
            instance: db02:9100
            health: down
            last_error: connection refused
            last_scrape: '2030-06-01T12:00:03Z'
        active_targets: {value: 12, unit: count}
        targets_down: {value: 1, unit: count}
        alert_rules: {value: 18, unit: count}
        unhealthy_rules: []
        firing_alerts: []
      expected:
        active_targets: {fail: {below: 1}, unit: count}
        targets_down: {fail: {above: 0}, unit: count}
      duration_ms: 73
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

from ansible_collections.golive.readiness.plugins.module_utils._checks import prometheus_targets
from ansible_collections.golive.readiness.plugins.module_utils._module import run_kind_module


def main():
    run_kind_module(prometheus_targets)


if __name__ == "__main__":
    main()
