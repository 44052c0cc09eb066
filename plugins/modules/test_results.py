#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: test_results
short_description: Check that a JUnit XML test report shows the release's tests ran recently and passed
version_added: 0.1.0
description:
  - Reads a JUnit XML report - what C(pytest --junitxml), Maven Surefire, jest-junit and most CI tools write - and
    checks that it holds at least O(checks[].min_tests) tests, no more failures, errors and skipped tests than
    allowed, that a named O(checks[].suite) is present, and that the report is recent.
  - The report is a file on the host that lists the item (O(checks[].path)), or a URL fetched from the probe hosts
    (O(checks[].url)), such as a CI server's artifact.
  - Every dialect of the Ant JUnit shape is read - a root C(<testsuites>) or C(<testsuite>), suites (nested or
    not) holding C(<testcase>) elements whose C(<failure>), C(<error>) or C(<skipped>) child says how each ended.
    The counts are taken from the test cases, as CI servers read them; a suite listing no test case is counted by
    its C(tests), C(failures), C(errors) and C(skipped) attributes. A test case with both a failure and an error
    (pytest's failing test whose teardown errs too) counts in both. Surefire's C(<flakyFailure>) on a test that
    passed on a rerun counts as passed, and as flaky.
  - Failing test cases are listed as C(classname::name) with the first line of their message (at most 10 in
    RV(golive_checks[].observed), 3 in the summary, each message cut at 200 characters).
  - The age is the newest C(timestamp) of the suites counted (pytest and jest-junit write one; a time without
    offset is UTC), else the file's modification time or the answer's C(Last-Modified).
  - Status C(fail) - the report does not exist, holds fewer tests than O(checks[].min_tests), more failures,
    errors or skipped tests than allowed, lacks the named suite, or is too old. Status C(error) - it cannot be
    read or fetched, is not a JUnit XML report (the source and its root element are named - a Cobertura
    C(coverage.xml), an HTML page, a truncated file), declares a document type or entities, or is larger than
    32 MiB (C(TEST_RESULTS_CAP)).
  - Runs with the Python standard library, on the host for O(checks[].path) and on the probe hosts for
    O(checks[].url).
author: golive.readiness contributors (@golive-readiness)
extends_documentation_fragment:
  - golive.readiness.check_item
options:
  checks:
    description:
      - The test reports to check, one item each.
      - An item's C(id) defaults to C(test_results:<path or url>), or C(test_results:<path or url>:<suite>) with
        O(checks[].suite).
      - Its C(title) defaults to C(Test results in <path or url>) (or C(Test results of suite <suite> in ...)).
      - An item's C(timeout) is the time limit of this check, fetching the report included.
      # BEGIN generated: kind defaults (scripts/generate; do not edit by hand)
      - A C(test_results) item defaults to section V(application) and severity V(high).
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
      suite:
        description:
          - Name of the test suite (a C(<testsuite name>)) that must be in the report; only its test cases are
            counted. Several suites of that name count together.
          - pytest names its suite V(pytest) (its C(junit_suite_name) setting), Surefire after the test class,
            jest-junit after the test file or its C(suiteName).
          - A report without it fails, listing the suites it has (at most 20).
        type: str
      min_tests:
        description: Fail when fewer tests than this are counted; a report of no tests is no evidence.
        type: int
        default: 1
      max_failures:
        description: Fail when more tests than this failed (a C(<failure>)).
        type: int
        default: 0
      max_errors:
        description: Fail when more tests than this errored (an C(<error>), such as pytest's error in a fixture).
        type: int
        default: 0
      max_skipped:
        description: Fail when more tests than this were skipped. Without it, skipped tests are counted, not graded.
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
  - module: golive.readiness.coverage
  - module: golive.readiness.verify
"""

EXAMPLES = r"""
- name: The release's test run passed, with at least 200 tests, within the last day
  golive.readiness.test_results:
    checks:
      - path: /srv/shop/reports/junit.xml
        min_tests: 200
        max_age: 1d

- name: The newest Surefire report of the integration suite passed; two skipped tests are accepted
  golive.readiness.test_results:
    checks:
      - path: /srv/build/target/surefire-reports/TEST-*.xml
        suite: com.example.shop.CheckoutIT
        max_skipped: 2

- name: The CI server's report of the main pipeline, fetched from the controller
  golive.readiness.test_results:
    checks:
      - url: https://ci.example.com/artifacts/shop/main/junit.xml
        bearer_token: "{{ vault_ci_token }}"
        suite: pytest
        age_warn_above: 12h
        max_age: 2d
  delegate_to: localhost
"""

RETURN = r"""
golive_checks:
  description:
    - One record per item, in the order of O(checks).
    - C(observed) holds C(source) (the file read, or the URL without credentials), C(size) (bytes), C(matches)
      (with a glob), C(format) (V(junit)), C(suites) (how many C(<testsuite>) elements) and C(suite_names) (at
      most 20); the counts of the tests counted, C(tests), C(passed), C(failures), C(errors), C(skipped) and, when
      there are any, C(flaky); C(failing) (at most 10, each with C(case), C(outcome) V(failure) or V(error), and
      C(message), its first line); C(produced_at) and C(age) when the report's time is known.
    - C(expected) holds C(suite) when named, the C(tests) level (below) and the C(failures), C(errors) and
      C(skipped) levels (above), and the C(age) levels when set.
  returned: always
  type: list
  elements: dict
  sample:
    - id: test_results:/srv/shop/reports/junit.xml
      kind: test_results
      section: application
      title: Test results in /srv/shop/reports/junit.xml
      status: fail
      severity: high
      summary: >-
        1 of 212 tests failed (fail > 0): tests.test_cart::test_total (AssertionError: cart total is off)
      observed:
        source: /srv/shop/reports/junit.xml
        size: {value: 48211, unit: bytes}
        format: junit
        suites: {value: 1, unit: count}
        suite_names: [pytest]
        passed: {value: 209, unit: count}
        failing:
          - {case: "tests.test_cart::test_total", outcome: failure, message: "AssertionError: cart total is off"}
        tests: {value: 212, unit: count}
        failures: {value: 1, unit: count}
        errors: {value: 0, unit: count}
        skipped: {value: 2, unit: count}
        produced_at: "2030-06-01T04:12:09Z"
        age: {value: 21600.0, unit: seconds}
      expected:
        tests: {fail: {below: 200}, unit: count}
        failures: {fail: {above: 0}, unit: count}
        errors: {fail: {above: 0}, unit: count}
        age: {fail: {above: 86400.0}, unit: seconds}
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

from ansible_collections.golive.readiness.plugins.module_utils._checks import test_results
from ansible_collections.golive.readiness.plugins.module_utils._module import run_kind_module


def main():
    run_kind_module(test_results)


if __name__ == "__main__":
    main()
