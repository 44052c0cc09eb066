#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: coverage
short_description: Check the line and branch coverage of a Cobertura XML or coverage.py JSON report
version_added: 0.1.0
description:
  - Reads a test coverage report and checks the total line coverage, and optionally branch coverage and the
    coverage of named packages, against levels, and that the report is recent.
  - Reads Cobertura XML (C(coverage xml) of coverage.py, istanbul's C(cobertura) reporter, JaCoCo's reports
    converted to Cobertura) and coverage.py's JSON report (C(coverage json)); O(checks[].format=auto) tells them
    apart by their content, not by the file's name.
  - The report is a file on the host that lists the item (O(checks[].path)), or a URL fetched from the probe hosts
    (O(checks[].url)), such as a CI server's artifact.
  - Line coverage is covered lines over measured lines - Cobertura's C(lines-covered) over C(lines-valid) (its
    C(line-rate) when they are absent), coverage.json's C(covered_lines) over C(num_statements) (not its
    C(percent_covered), which mixes in branches when they are measured). Branch coverage is Cobertura's
    C(branch-rate), or coverage.json's C(covered_branches) over C(num_branches).
  - A package is a Cobertura C(<package name>) (coverage.py names them after directories, V(shop.api), without
    their subdirectories; JaCoCo after Java packages), or, in coverage.json, every file under a path prefix
    (V(shop/api), subdirectories included).
  - The age is the report's own time - Cobertura's C(timestamp) (milliseconds since the epoch), coverage.json's
    C(meta.timestamp) (coverage.py writes the local time of the machine that ran it without an offset; it is read
    as the local time of the machine that reads the report) - else the file's modification time or the answer's
    C(Last-Modified).
  - Status C(fail) - the report does not exist, measured no lines, is below a fail level, lacks a named package,
    or is too old. Status C(warn) - below a warn level. Status C(error) - it cannot be read or fetched, is not a
    coverage report of the format (the source and what it is instead are named - a JUnit report, an HTML page, a
    truncated file), declares a document type or entities, is larger than 32 MiB (C(COVERAGE_CAP)), or a branch
    level is set and the report has no branch data (coverage.py run without C(--branch)).
  - Runs with the Python standard library, on the host for O(checks[].path) and on the probe hosts for
    O(checks[].url).
author: golive.readiness contributors (@golive-readiness)
extends_documentation_fragment:
  - golive.readiness.check_item
options:
  checks:
    description:
      - The coverage reports to check, one item each.
      - An item's C(id) defaults to C(coverage:<path or url>).
      - Its C(title) defaults to C(Coverage in <path or url>).
      - An item's C(timeout) is the time limit of this check, fetching the report included.
      - No level has a default - each project sets its own bar; without levels the coverage is reported, not graded.
      # BEGIN generated: kind defaults (scripts/generate; do not edit by hand)
      - A C(coverage) item defaults to section V(application) and severity V(high).
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
          - The report's format. V(auto) reads an XML document as Cobertura and a JSON object as coverage.py's report.
        type: str
        default: auto
        choices: [auto, cobertura, coverage_json]
      line_warn_below:
        description: Warn when the total line coverage is below this percentage (V(85%)).
        type: str
      line_fail_below:
        description: Fail when the total line coverage is below this percentage (V(80%)).
        type: str
      branch_warn_below:
        description: Warn when the total branch coverage is below this percentage; the report must measure branches.
        type: str
      branch_fail_below:
        description: Fail when the total branch coverage is below this percentage; the report must measure branches.
        type: str
      packages:
        description:
          - Packages held to their own levels, each with at least one level. A package the report lacks fails,
            naming the packages (or files) it has, at most 20.
        type: list
        elements: dict
        suboptions:
          name:
            description:
              - A Cobertura package name (V(shop.payments), V(com.example.shop)), or a path prefix of the files of a
                coverage.json report (V(shop/payments)).
            type: str
            required: true
          line_warn_below:
            description: Warn when the package's line coverage is below this percentage.
            type: str
          line_fail_below:
            description: Fail when the package's line coverage is below this percentage.
            type: str
          branch_warn_below:
            description: Warn when the package's branch coverage is below this percentage.
            type: str
          branch_fail_below:
            description: Fail when the package's branch coverage is below this percentage.
            type: str
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
  - module: golive.readiness.test_results
  - module: golive.readiness.verify
"""

EXAMPLES = r"""
- name: The release's coverage is at least 80%, and the payments package at least 90%
  golive.readiness.coverage:
    checks:
      - path: /srv/shop/reports/coverage.xml
        line_warn_below: 85%
        line_fail_below: 80%
        max_age: 1d
        packages:
          - {name: shop.payments, line_fail_below: 90%}

- name: Branch coverage from coverage.py's JSON report (coverage run --branch, then coverage json)
  golive.readiness.coverage:
    checks:
      - path: /srv/shop/reports/coverage.json
        line_fail_below: 80%
        branch_warn_below: 70%
        packages:
          - {name: shop/api, line_fail_below: 75%, branch_fail_below: 60%}

- name: The CI server's Cobertura report of the main pipeline, fetched from the controller
  golive.readiness.coverage:
    checks:
      - url: https://ci.example.com/artifacts/shop/main/coverage.xml
        bearer_token: "{{ vault_ci_token }}"
        line_fail_below: 80%
        max_age: 2d
  delegate_to: localhost
"""

RETURN = r"""
golive_checks:
  description:
    - One record per item, in the order of O(checks).
    - C(observed) holds C(source) (the file read, or the URL without credentials), C(size) (bytes), C(matches)
      (with a glob), C(format) (V(cobertura) or V(coverage_json)), C(branch_data) (whether the report measured
      branches), C(lines) (C(measured) and C(covered) counts, when the report gives them), C(line_coverage) and,
      with branch data, C(branch_coverage) (percent); C(packages) with O(checks[].packages) (each its C(name),
      C(line_coverage) and C(branch_coverage)); C(produced_at) and C(age) when the report's time is known.
    - C(expected) holds the C(line_coverage) and C(branch_coverage) levels that are set, C(packages) (each its
      C(name) and levels) and the C(age) levels.
  returned: always
  type: list
  elements: dict
  sample:
    - id: coverage:/srv/shop/reports/coverage.xml
      kind: coverage
      section: application
      title: Coverage in /srv/shop/reports/coverage.xml
      status: warn
      severity: high
      summary: 'line coverage 82.4% (warn < 85.0%, fail < 80.0%)'
      observed:
        source: /srv/shop/reports/coverage.xml
        size: {value: 182733, unit: bytes}
        format: cobertura
        branch_data: false
        lines: {measured: {value: 4210, unit: count}, covered: {value: 3469, unit: count}}
        line_coverage: {value: 82.4, unit: percent}
        packages:
          - {name: shop.payments, line_coverage: {value: 93.1, unit: percent}}
        produced_at: "2030-06-01T04:12:09Z"
        age: {value: 21600.0, unit: seconds}
      expected:
        line_coverage: {warn: {below: 85.0}, fail: {below: 80.0}, unit: percent}
        packages:
          - {name: shop.payments, line_coverage: {fail: {below: 90.0}, unit: percent}}
        age: {fail: {above: 86400.0}, unit: seconds}
      duration_ms: 9
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

from ansible_collections.golive.readiness.plugins.module_utils._checks import coverage
from ansible_collections.golive.readiness.plugins.module_utils._module import run_kind_module


def main():
    run_kind_module(coverage)


if __name__ == "__main__":
    main()
