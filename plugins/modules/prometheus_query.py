#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: prometheus_query
short_description: Check a PromQL query's value against warn and fail levels
version_added: 0.2.0
description:
  - Asks Prometheus's HTTP API for the value of a PromQL query (C(/api/v1/query)), or its values over a
    window (C(/api/v1/query_range), with O(checks[].range)), and grades it against warn and fail levels, such
    as a 5xx error rate, a latency percentile from a histogram, an availability or a memory growth.
  - O(checks[].unit) says what the value is. It decides how the value is shown and how a level is read. A
    plain number is in the query's unit, a text may carry its own (V(5%), V(500ms), V(512MB)). With
    V(ratio), the query gives a share such as V(0.05), recorded and shown as a percentage (V(5.0%)), and a
    level V(5%) means V(0.05).
  - A query that answers no series is an C(error) by default (O(checks[].no_data)), as for a metric that is
    not scraped, a typo in a label or a target gone. When no series means that nothing happened (no 5xx
    responses at all), add V(or vector(0\)) to the query, so that it answers V(0), or set
    O(checks[].no_data).
  - A query expected to give one value (O(checks[].expect_series) V(one)) that gives several series is an
    C(error) naming them; aggregate them (V(sum), V(max by (...\))) or grade every series (V(all)).
  - A value that is not a number (V(NaN), as a ratio of two rates is when nothing happened in the window, or
    V(+Inf)) is an C(error). So is a sample older than O(checks[].max_staleness).
  - Prometheus unreachable, not answering within the check's I(timeout), refusing the query (its parse
    error is shown) or answering something other than its API's success JSON is an C(error).
  - Endpoint check; it runs on the probe host (by default the controller) with the Python standard library.
    Proxy environment variables are not used and redirects are not followed.
  - A query's answer is read up to 16 MiB (C(QUERY_ANSWER_CAP); decoded, when the server sends it
    gzip-compressed); a larger one is an C(error) naming that cap.
author: golive.readiness contributors (@golive-readiness)
extends_documentation_fragment:
  - golive.readiness.check_item
options:
  checks:
    description:
      - The queries to check, one item each.
      - An item's C(id) defaults to C(prometheus_query:<name>) with O(checks[].name), else
        C(prometheus_query:<url>:<query>) (the query on one line). Give each query of a host its own name.
      - Its C(title) defaults to C(<name> from Prometheus at <url>), else C(Prometheus query <query> at <url>).
      - An item's C(timeout) is the time limit of this check (all its requests together).
      # BEGIN generated: kind defaults (scripts/generate; do not edit by hand)
      - A C(prometheus_query) item defaults to section V(monitoring) and severity V(high).
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
      query:
        description:
          - The PromQL expression (see the examples). It may span lines and carry C(#) comments.
          - It must give an instant vector or a scalar, so a function of a range selector such as
            V(avg_over_time(up[1h]\)) rather than the range selector itself.
        type: str
        required: true
      name:
        description:
          - What the value is, for the id, the title and the summary (V(5xx error rate)).
        type: str
      unit:
        description:
          - The unit of the query's value. V(ratio) is a share from 0 to 1 (shown as a percentage),
            V(percent) a percentage from 0 to 100, V(seconds) and V(ms) durations, V(bytes) a size, V(count) a
            number of things (or a rate of them), V(none) a plain number.
        type: str
        choices: [ratio, percent, seconds, ms, bytes, count, none]
        default: none
      warn_above:
        description:
          - Warn when the value is above this level, given in O(checks[].unit) or with a unit of its own
            (V(1%), V(300ms), V(1GB)).
        type: raw
      fail_above:
        description: Fail when the value is above this level.
        type: raw
      warn_below:
        description: Warn when the value is below this level.
        type: raw
      fail_below:
        description:
          - Fail when the value is below this level.
          - Without any level the value is only recorded, and the check passes when the query gives it.
        type: raw
      expect_series:
        description:
          - How many series the query may give. V(one) grades the one value, and more than one series is an
            C(error). V(all) grades every series, the worst one deciding, and lists the series outside the
            levels by their labels. V(any) passes when at least one series is within the levels (the best
            one decides).
        type: str
        choices: [one, any, all]
        default: one
      range:
        description:
          - Makes the check a range query over the last O(checks[].range) of Prometheus's time (V(1h), V(30m)),
            graded on one value of each series chosen by O(checks[].reduce).
        type: str
      step:
        description:
          - With O(checks[].range), the time between two evaluations; at most 11000 per range (Prometheus's
            limit). Defaults to a sixtieth of the range, at least V(1s).
        type: str
      reduce:
        description:
          - With O(checks[].range), the value a series is graded on. V(worst) (the default) takes the highest
            value against levels above and the lowest against levels below, whichever grades worse; V(max),
            V(min), V(avg) and V(last) take that value of the window. Values that are not numbers are left
            out.
        type: str
        choices: [worst, max, min, avg, last]
      max_staleness:
        description:
          - A series whose newest sample is older than this (V(2m)) is an C(error) naming it.
          - For an instant query, the age is Prometheus's time minus the time PromQL's C(timestamp) function
            gives each series. A selector's sample keeps the time it was scraped at (old when exported with a
            timestamp, as pushed, federated or batch metrics can be), while an expression (a rate, a sum) is
            dated at its evaluation.
            A target that stopped answering gets a staleness marker and its selectors give no data at once,
            but a rate over it is computed from the samples left in its window; use a range query to see that
            its series stopped.
          - For a range query, the age is the end of the range minus the series' last point.
        type: str
      no_data:
        description:
          - Status when the query gives no series. V(pass) when no series means that nothing happened;
            adding V(or vector(0\)) to the query says the same in PromQL and grades the zero.
        type: str
        choices: [error, pass, warn, fail]
        default: error
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
- name: The error rate stayed under 5% for the whole last hour, on its own
  golive.readiness.prometheus_query:
    checks:
      - url: http://prometheus.internal:9090
        name: 5xx error rate, last hour
        query: sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))
        unit: ratio
        range: 1h
        step: 1m
        reduce: max
        fail_above: 5%
  delegate_to: localhost

# The go-live's service levels as PromQL. In the inventory, the items under golive_prometheus_queries
# (group_vars/monitoring.yml, for instance) are exactly those below; golive.yml runs them from the probe.
- name: Error rate, p95 latency, availability and memory growth of the shop
  golive.readiness.prometheus_query:
    checks: "{{ golive_prometheus_queries }}"
  delegate_to: localhost
  vars:
    golive_prometheus_queries:
      - url: https://prometheus.example.com
        bearer_token: "{{ vault_prometheus_token }}"
        name: 5xx error rate
        query: |
          (sum(rate(http_requests_total{job="shop", code=~"5.."}[10m])) or vector(0))
            / sum(rate(http_requests_total{job="shop"}[10m]))
        unit: ratio
        warn_above: 1%
        fail_above: 5%
      - url: https://prometheus.example.com
        bearer_token: "{{ vault_prometheus_token }}"
        name: p95 latency
        query: histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{job="shop"}[10m])))
        unit: seconds
        fail_above: 500ms
      - url: https://prometheus.example.com
        bearer_token: "{{ vault_prometheus_token }}"
        name: availability
        query: avg_over_time(up{job="shop"}[1h])
        unit: ratio
        expect_series: all  # every instance of the job
        fail_below: 100%
      - url: https://prometheus.example.com
        bearer_token: "{{ vault_prometheus_token }}"
        name: memory growth per hour
        query: deriv(process_resident_memory_bytes{job="shop"}[1h]) * 3600
        unit: bytes
        expect_series: all
        warn_above: 256MB
        fail_above: 512MB

- name: The nightly batch pushed its row count less than a day ago
  golive.readiness.prometheus_query:
    checks:
      - url: http://prometheus.internal:9090
        name: rows loaded tonight
        query: batch_rows_loaded{job="etl"}
        unit: count
        fail_below: 1
        max_staleness: 26h
  delegate_to: localhost
"""

RETURN = r"""
golive_checks:
  description:
    - One record per item, in the order of O(checks).
    - C(observed) holds C(url), C(query), with O(checks[].range) C(range), C(step) (durations) and C(reduce);
      C(series_count) (a count); C(series), at most 10, the worst first, each with its C(labels) (as
      C({code="500", job="shop"})), C(value) (in the record's unit), C(status), C(age) with
      O(checks[].max_staleness) and C(problem) when it could not be graded; C(value), the graded value (the
      one series', the worst's with V(all), the best's with V(any)); C(age) with O(checks[].max_staleness).
    - The record's unit of C(value) is C(percent) for O(checks[].unit) V(ratio) and V(percent), C(ratio) (a
      plain number) for V(none), and otherwise the O(checks[].unit).
    - C(expected) holds the C(value) levels, C(series) (O(checks[].expect_series)), the C(age) level with
      O(checks[].max_staleness), and C(no_data) when the query gave no series.
  returned: always
  type: list
  elements: dict
  sample:
    - id: prometheus_query:5xx error rate
      kind: prometheus_query
      section: monitoring
      title: 5xx error rate from Prometheus at http://prometheus.internal:9090
      status: warn
      severity: high
      summary: 5xx error rate 2.0% (warn > 1.0%, fail > 5.0%)
      observed:
        url: http://prometheus.internal:9090
        query: sum(rate(http_requests_total{code=~"5.."}[10m])) / sum(rate(http_requests_total[10m]))
        series_count: {value: 1, unit: count}
        series:
          - labels: "{}"
            value: {value: 2.0, unit: percent}
            status: warn
        value: {value: 2.0, unit: percent}
      expected:
        value: {warn: {above: 1.0}, fail: {above: 5.0}, unit: percent}
        series: one
      duration_ms: 12
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

from ansible_collections.golive.readiness.plugins.module_utils._checks import prometheus_query
from ansible_collections.golive.readiness.plugins.module_utils._module import run_kind_module


def main():
    run_kind_module(prometheus_query)


if __name__ == "__main__":
    main()
