#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: load_test
short_description: Check a load test's report for latency percentiles, request rate and error rate
version_added: 0.2.0
description:
  - Reads the report a load test left behind and grades the whole run, or one endpoint of it, against levels
    of p95 and p99 latency, requests per second and error rate, with a minimum number of requests.
  - Two reports are read. Locust's statistics file, written by C(locust --headless --csv PREFIX) as
    C(PREFIX_stats.csv) (one row per request type and name, and the C(Aggregated) row of the whole run;
    C(PREFIX_stats_history.csv) and C(PREFIX_failures.csv) are refused, naming the file to give). And the JSON
    k6 writes with C(k6 run --summary-export FILE) (C(metrics.http_req_duration) percentiles in milliseconds,
    C(metrics.http_reqs) count and rate, C(metrics.http_req_failed) rate of failed requests); the data of k6's
    C(handleSummary), which nests each metric's figures under C(values), is read the same way.
  - k6 exports the 90th and 95th percentiles by default; for O(checks[].p99_warn_above) and
    O(checks[].p99_fail_above) run it with a C(--summary-trend-stats) list that includes the 99th
    percentile, or the check is an C(error) saying so.
  - The report is a file on the host that lists the item (O(checks[].path)) or a URL fetched from the probe
    hosts (O(checks[].url)); see O(checks[].path). A missing file fails the check; a file of another format is
    an C(error) naming the file and the format expected. A report is read up to 16 MiB (C(LOAD_TEST_CAP));
    a larger one is an C(error) naming that cap.
  - No level has a default (what is slow depends on the service); a run without any request fails.
  - Host check with O(checks[].path), using the Python standard library only; endpoint check with
    O(checks[].url), run on the probe host without proxies or redirects.
author: golive.readiness contributors (@golive-readiness)
extends_documentation_fragment:
  - golive.readiness.check_item
options:
  checks:
    description:
      - The load test reports to check, one item each.
      - An item's C(id) defaults to C(load_test:<path or url>), or C(load_test:<path or url>:<endpoint>) with
        O(checks[].endpoint).
      - Its C(title) defaults to C(Load test <path or url>) (or C(Load test of <endpoint> (<path or url>))).
      - An item's C(timeout) is the time limit of this check, fetching a URL included.
      # BEGIN generated: kind defaults (scripts/generate; do not edit by hand)
      - A C(load_test) item defaults to section V(application) and severity V(high).
      # END generated: kind defaults
    type: list
    elements: dict
    required: true
    suboptions:
      # BEGIN generated: evidence source (scripts/generate; do not edit by hand)
      path:
        description:
          - Absolute path of the report on the host that lists the item; read there. A glob
            (V(/srv/ci/reports/*.xml)) takes the newest matching file.
          - Give I(path) or I(url), not both. A file that does not exist fails the check.
        type: str
      url:
        description:
          - HTTP(S) URL of the report, fetched from the probe hosts (C(golive_probe_group)) instead of read on the
            host; a CI server's artifact URL, for example. The answer must be HTTP 200; redirects are not followed.
          - Credentials go in I(username)/I(password) or I(bearer_token), never in the URL.
        type: str
      max_age:
        description:
          - Fail when the report is older than this duration (V(24h), V(7d)); the same as I(age_fail_above).
          - The age is taken from the time the report records of itself where its format has one, else from the
            file's modification time or the answer's C(Last-Modified) (an age limit with neither is an error).
        type: str
      age_warn_above:
        description: Warn when the report is older than this duration.
        type: str
      age_fail_above:
        description: Fail when the report is older than this duration (or use I(max_age), not both).
        type: str
      # END generated: evidence source
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
      format:
        description:
          - The report's format. V(auto) tells a JSON document (k6) from a CSV file with a C(Request Count)
            column (Locust).
        type: str
        choices: [auto, locust_csv, k6_summary]
        default: auto
      endpoint:
        description:
          - Grade one endpoint instead of the whole run.
          - For Locust, a C(Name) of the statistics (V(/checkout)); when several request types share the name,
            prefix the type (V(POST /cart)). An endpoint without a row fails, listing the rows there are.
          - For k6, the C(name) tag of the script's requests; k6 exports a sub-metric
            (C(http_req_duration{name:checkout})) only when the script sets a threshold on it, so a missing one is
            an C(error) saying so.
        type: str
      p95_warn_above:
        description: Warn when the 95th percentile of the response time is above this duration (V(300ms), V(1.5s)).
        type: raw
      p95_fail_above:
        description: Fail when the 95th percentile of the response time is above this duration.
        type: raw
      p99_warn_above:
        description: Warn when the 99th percentile of the response time is above this duration.
        type: raw
      p99_fail_above:
        description: Fail when the 99th percentile of the response time is above this duration.
        type: raw
      rps_warn_below:
        description:
          - Warn when the run's requests per second (Locust's C(Requests/s), k6's C(http_reqs) rate) are below
            this number.
        type: raw
      rps_fail_below:
        description: Fail when the run's requests per second are below this number.
        type: raw
      error_rate_warn_above:
        description:
          - Warn when the share of failed requests is above this percentage (V(0.5%)).
          - Locust's C(Failure Count) over its C(Request Count); k6's C(http_req_failed) rate.
        type: raw
      error_rate_fail_above:
        description: Fail when the share of failed requests is above this percentage (V(1%)).
        type: raw
      min_requests:
        description:
          - Fail when the run (or the endpoint) made fewer requests than this, for a run too short to say anything.
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
  - module: golive.readiness.http_endpoint
  - module: golive.readiness.verify
"""

EXAMPLES = r"""
- name: The release's load test met its latency and error levels
  golive.readiness.load_test:
    checks:
      - path: /srv/ci/loadtest/shop_stats.csv
        max_age: 7d
        min_requests: 1000
        p95_warn_above: 300ms
        p95_fail_above: 800ms
        error_rate_fail_above: 1%
      - path: /srv/ci/loadtest/shop_stats.csv
        endpoint: POST /checkout
        p99_fail_above: 2s
        error_rate_fail_above: 0.1%

- name: The k6 run of the CI pipeline, fetched from the CI server
  golive.readiness.load_test:
    checks:
      - url: https://ci.example.com/artifacts/shop/k6-summary.json
        bearer_token: "{{ vault_ci_token }}"
        max_age: 2d
        p95_fail_above: 500ms
        rps_fail_below: 200
        error_rate_warn_above: 0.5%
        error_rate_fail_above: 2%
  delegate_to: localhost
"""

RETURN = r"""
golive_checks:
  description:
    - One record per item, in the order of O(checks).
    - C(observed) holds C(source) (the file read, or the URL without credentials), C(size), C(matches) for a glob,
      C(produced_at) and C(age); C(format), C(endpoint) when given; C(requests) and C(failures) (counts),
      C(error_rate) (percent), C(rps) (requests per second), C(p95_ms), C(p99_ms), C(median_ms) and C(max_ms)
      (milliseconds), each when the report has it.
    - C(expected) holds the levels of the figures that have any, and C(requests) with O(checks[].min_requests).
  returned: always
  type: list
  elements: dict
  sample:
    - id: load_test:/srv/ci/loadtest/shop_stats.csv
      kind: load_test
      section: application
      title: Load test /srv/ci/loadtest/shop_stats.csv
      status: warn
      severity: high
      summary: p95 420ms (warn > 300ms, fail > 800ms)
      observed:
        source: /srv/ci/loadtest/shop_stats.csv
        size: {value: 1322, unit: bytes}
        produced_at: '2030-06-01T02:14:09Z'
        age: {value: 30211.4, unit: seconds}
        format: locust_csv
        requests: {value: 18412, unit: count}
        failures: {value: 37, unit: count}
        error_rate: {value: 0.201, unit: percent}
        rps: {value: 61.37, unit: ratio}
        p95_ms: {value: 420.0, unit: ms}
        p99_ms: {value: 910.0, unit: ms}
        median_ms: {value: 88.0, unit: ms}
        max_ms: {value: 2304.5, unit: ms}
      expected:
        age: {fail: {above: 604800}, unit: seconds}
        requests: {fail: {below: 1000}, unit: count}
        error_rate: {fail: {above: 1.0}, unit: percent}
        p95_ms: {warn: {above: 300.0}, fail: {above: 800.0}, unit: ms}
      duration_ms: 4
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

from ansible_collections.golive.readiness.plugins.module_utils._checks import load_test
from ansible_collections.golive.readiness.plugins.module_utils._module import run_kind_module


def main():
    run_kind_module(load_test)


if __name__ == "__main__":
    main()
