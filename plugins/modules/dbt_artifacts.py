#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dbt_artifacts
short_description: Check what a dbt run left in its target directory - tests, model errors, test coverage, freshness
version_added: 0.1.0
description:
  - Reads the artifacts a dbt run writes into its C(target/) directory and checks that the run that built the
    release passed - C(run_results.json) (required), C(manifest.json) (test coverage of the models) and
    C(sources.json) (written by C(dbt source freshness)).
  - Every result of a data test or unit test must have passed - a failing test or one whose query errored
    fails, a test at C(severity warn) that found rows warns (fails with I(severities=strict)). A model, seed,
    snapshot or hook that ended in error fails; a node dbt skipped after a failure warns. Offenders are listed by
    C(unique_id) with the first line of dbt's message, at most 10 per kind of problem, the rest counted.
  - Test coverage is the share of models with at least one data test depending on them (a test of a
    relationship covers both models). Counted are the enabled models of the root project
    (C(metadata.project_name)) that are not ephemeral - an ephemeral model exists only inside the models
    that select from it, so no test can read it - not the models of installed packages.
  - Source freshness - each source of C(sources.json) whose status is C(warn) (past C(warn_after)) warns; C(error)
    (past C(error_after)) or C(runtime error) (freshness could not be measured) fails.
  - The age of the evidence is the C(metadata.generated_at) of the oldest of C(run_results.json) and
    C(sources.json) (I(max_age)). I(dbt_target) checks C(args.target) of C(run_results.json), the target dbt was run
    with (C(dbt build --target prod)).
  - A file that is not the dbt artifact it is named after (other JSON, another artifact's
    C(metadata.dbt_schema_version)) is an C(error) naming the file and the artifact expected. A missing
    C(run_results.json) fails; a missing C(manifest.json) or C(sources.json) fails only when I(min_test_coverage)
    or I(test_coverage_warn_below), or I(require_freshness), ask for it.
  - Each artifact is read whole and decoded with Python's C(json) module, which holds a document as Python
    objects of several times its size (measured - a 126 MiB manifest of dbt's nodes peaks at 685 MB), so every
    read is capped - C(run_results.json) at 64 MiB (C(RUN_RESULTS_CAP)), C(manifest.json) at 128 MiB
    (C(MANIFEST_CAP)) and C(sources.json) at 16 MiB (C(SOURCES_CAP)); over a cap the check is an C(error)
    naming it. The artifacts are read one after the other, each let go before the next, so a check stays
    under about 0.75 GB of memory; the manifests of the very largest dbt projects (a few hundred MB) are
    refused rather than risk the host's memory.
  - With I(target_dir) the check runs on the host that lists it, with the Python standard library; with I(url) it
    runs on the probe hosts and fetches C(<url>/run_results.json), C(<url>/manifest.json) and
    C(<url>/sources.json) (a 404 for an optional one means it is not there).
author: golive.readiness contributors (@golive-readiness)
extends_documentation_fragment:
  - golive.readiness.check_item
options:
  checks:
    description:
      - The dbt target directories to check, one item each.
      - An item's C(id) defaults to C(dbt_artifacts:<target_dir>) (or C(dbt_artifacts:<url>), the URL's password
        masked).
      - Its C(title) defaults to C(dbt artifacts <target_dir>).
      - An item's C(timeout) is the time limit of this check, all its reads together.
      # BEGIN generated: kind defaults (scripts/generate; do not edit by hand)
      - A C(dbt_artifacts) item defaults to section V(data) and severity V(high).
      # END generated: kind defaults
    type: list
    elements: dict
    required: true
    suboptions:
      target_dir:
        description:
          - Absolute path of the dbt project's target directory (C(target-path), by default C(target/) in the
            project) on the host that lists the item.
          - Give I(target_dir) or I(url), not both.
        type: path
      url:
        description:
          - HTTP(S) base URL under which the artifacts are published (a CI job's artifact directory, dbt docs
            served with the artifacts), fetched from the probe hosts (C(golive_probe_group)) instead of read on
            the host. C(/run_results.json) and the others are appended to its path. The answers must be HTTP 200;
            redirects are not followed.
          - Credentials go in I(username)/I(password) or I(bearer_token), never in the URL.
        type: str
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
      max_age:
        description:
          - Fail when the artifacts are older than this duration (V(24h), V(7d)), by the C(metadata.generated_at)
            dbt wrote into them; the same as I(age_fail_above).
        type: str
      age_warn_above:
        description: Warn when the artifacts are older than this duration.
        type: str
      age_fail_above:
        description: Fail when the artifacts are older than this duration (or use I(max_age), not both).
        type: str
      dbt_target:
        description:
          - The dbt target the run must have used (C(args.target) of C(run_results.json)), for example V(prod).
            Another target fails; artifacts that do not say (dbt run without C(--target)) are an C(error).
        type: str
      severities:
        description:
          - V(honour) - a test configured with C(severity warn) that finds rows warns, as dbt says.
          - V(strict) - it fails, as does a source past C(warn_after).
        type: str
        choices: [honour, strict]
        default: honour
      min_test_coverage:
        description:
          - Fail when fewer than this percentage of the models have a test (V(90%)); needs C(manifest.json).
        type: str
      test_coverage_warn_below:
        description: Warn when fewer than this percentage of the models have a test.
        type: str
      require_freshness:
        description: Fail when there is no C(sources.json) (C(dbt source freshness) was not run into the directory).
        type: bool
        default: false
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
  - module: golive.readiness.db_data_quality
  - module: golive.readiness.verify
"""

EXAMPLES = r"""
- name: The production dbt build passed, its artifacts are fresh and 90% of the models are tested
  golive.readiness.dbt_artifacts:
    checks:
      - target_dir: /srv/analytics/target
        dbt_target: prod
        max_age: 26h
        min_test_coverage: 90%
        require_freshness: true

- name: The artifacts a CI job published, fetched from the controller; warnings of tests count as failures
  golive.readiness.dbt_artifacts:
    checks:
      - url: https://ci.example.com/jobs/dbt-prod/artifacts/target
        bearer_token: "{{ vault_ci_token }}"
        severities: strict
  delegate_to: localhost
"""

RETURN = r"""
golive_checks:
  description:
    - One record per item, in the order of O(checks).
    - C(observed) holds C(artifacts) (per file read, its C(source) - path or URL - and C(size) in bytes);
      C(dbt_version), C(invocation_id) and C(dbt_target) of the run (C(args.target)); C(tests) and
      C(tests_passed) (data and unit tests), C(nodes) (every other result); C(failed_tests), C(warned_tests),
      C(failed_nodes), C(skipped) and C(unknown_statuses) when there are any (C(unique_id)s, at most 10 each);
      with a manifest C(models), C(models_tested), C(test_coverage) (percent) and C(untested_models) (at most
      10); with C(sources.json) C(sources) (a count) and C(sources_fail), C(sources_warn) (C(unique_id)s);
      C(produced_at) and C(age) (seconds).
    - C(expected) holds C(dbt_target) as given and the C(test_coverage) and C(age) levels.
  returned: always
  type: list
  elements: dict
  sample:
    - id: dbt_artifacts:/srv/analytics/target
      kind: dbt_artifacts
      section: data
      title: dbt artifacts /srv/analytics/target
      status: fail
      severity: high
      summary: >-
        1 test failed: test.shop.relationships_stg_orders_customer_id__id__ref_stg_customers_.c4293d696a (Got 1
        result, configured to fail if != 0); models with a test 50.0% (fail < 90.0%)
      observed:
        artifacts:
          run_results.json: {source: /srv/analytics/target/run_results.json, size: {value: 11121, unit: bytes}}
          manifest.json: {source: /srv/analytics/target/manifest.json, size: {value: 605095, unit: bytes}}
        dbt_version: 1.11.16
        dbt_target: prod
        tests: {value: 5, unit: count}
        tests_passed: {value: 4, unit: count}
        nodes: {value: 7, unit: count}
        failed_tests: [test.shop.relationships_stg_orders_customer_id__id__ref_stg_customers_.c4293d696a]
        models: {value: 4, unit: count}
        models_tested: {value: 2, unit: count}
        test_coverage: {value: 50.0, unit: percent}
        produced_at: '2030-06-01T02:10:00Z'
        age: {value: 3600.0, unit: seconds}
      expected:
        dbt_target: prod
        test_coverage: {fail: {below: 90.0}, unit: percent}
      duration_ms: 41
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

from ansible_collections.golive.readiness.plugins.module_utils._checks import dbt_artifacts
from ansible_collections.golive.readiness.plugins.module_utils._module import run_kind_module


def main():
    run_kind_module(dbt_artifacts)


if __name__ == "__main__":
    main()
