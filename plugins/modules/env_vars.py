#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: env_vars
short_description: Check that an application's environment variables are set, real and as expected
version_added: 0.1.0
description:
  - Reads the environment of an application from a dotenv file (such as C(.env.production)), from a
    running process (C(/proc/<pid>/environ)) or from the module's own environment, and checks that the
    required variables are present and not empty, that forbidden variables (such as C(DEBUG)) are not
    set, that no value looks like a placeholder left over from a template, and that chosen variables
    have the expected values.
  - B(Values are never returned.) Results name variables only; an offending value appears only in its
    masked form (C(sk_live_…a1b2), C(****)).
  - Runs on the managed host with the Python standard library only.
author: golive.readiness contributors (@golive-readiness)
extends_documentation_fragment:
  - golive.readiness.check_item
options:
  checks:
    description:
      - The environments to check, one item each.
      - An item's C(id) defaults to C(env_vars:<source>), where the source is the env file path, C(pid:<pid>), the
        process name or C(module).
      - Its C(title) defaults to C(Environment of <source>).
      # BEGIN generated: kind defaults (scripts/generate; do not edit by hand)
      - A C(env_vars) item defaults to section V(application) and severity V(high).
      # END generated: kind defaults
    type: list
    elements: dict
    required: true
    suboptions:
      source:
        description:
          - Where the variables come from.
          - V(env_file) parses the dotenv file I(env_file).
          - V(process) reads the environment a running process was started with, from
            C(/proc/<pid>/environ). Changes the process made to its own environment later are not
            visible there. Reading another user's process needs that user or root (C(become)).
          - V(module) uses the environment the module runs with, which the task's C(environment)
            keyword sets.
        type: str
        choices: [env_file, process, module]
        default: env_file
      env_file:
        description:
          - Absolute path of the dotenv file, with I(source=env_file).
          - Lines are C(KEY=VALUE), optionally prefixed by C(export); values may be single-quoted
            (literal), double-quoted (C(\n), C(\t), C(\") and C(\\) escapes) or bare (an inline comment
            starts at a C(#) that follows whitespace). Quoted values may span lines. Comments and blank
            lines are ignored; when a name is defined twice the last definition wins. C(${VAR})
            references are not expanded.
          - A line that is none of these is reported (as C(warn)) by its line number, never its content.
        type: path
      pid:
        description: Process id whose environment to read, with I(source=process).
        type: int
      process_name:
        description:
          - With I(source=process), read the environment of the process whose command name
            (C(/proc/<pid>/comm)) or C(argv[0]) (full or base name) is this name.
          - When several processes match, the B(oldest) one is checked. That is the process a
            service manager started (the master of a gunicorn, uwsgi or celery pool); its workers
            inherit its environment. All matching pids are listed in C(observed.matching_pids).
        type: str
      required:
        description: Variables that must be present with a non-empty (not only blank) value.
        type: list
        elements: str
        default: []
      forbidden:
        description:
          - Variables that must not be set at all, even to an empty value (for example C(DEBUG)).
        type: list
        elements: str
        default: []
      placeholder_patterns:
        description:
          - Regular expressions (case-insensitive, matched anywhere in the value) marking a value as a
            placeholder. A match fails the check.
          - They apply to the I(required) and I(expected_values) variables and, with
            I(source=env_file), to every variable the file defines.
          - The default catches C(changeme), C(example)/C(example.com), C(placeholder), C(todo),
            C(xxx...), C(your_..._here), C(dummy), test API keys (C(sk_test_), C(pk_test_)),
            and empty-ish values such as C(none), C(null) or C(<value>). URLs to this machine count
            only with I(local_urls_are_placeholders).
          - Set V([]) to disable the placeholder check.
        type: list
        elements: str
      allow_placeholders_for:
        description: Variables whose values are not held against I(placeholder_patterns).
        type: list
        elements: str
        default: []
      local_urls_are_placeholders:
        description:
          - Also count URLs to this machine (C(localhost), C(127.0.0.1), C(0.0.0.0), C([::1])) as
            placeholders, in addition to I(placeholder_patterns).
          - Off by default, because a local pgbouncer, proxy or sidecar is a legitimate production
            address; turn it on where every service must be reached over the network.
        type: bool
        default: false
      expected_values:
        description:
          - Variable name to regular expression its value must match (searched, so anchor it,
            for example V(^production$)). A missing variable fails too.
        type: dict
      same_keys_as:
        description:
          - Absolute path of the env file's template (V(/srv/shop/current/.env.example)), with
            O(checks[].source=env_file). Every key the template defines must be defined in O(checks[].env_file)
            (a missing one fails; one defined empty is left to O(checks[].required)); keys only
            the env file defines are reported as O(checks[].extra_keys) says.
          - The template is parsed as the env file is, capped the same way (C(MAX_ENV_FILE_BYTES), 1 MiB);
            only its names are compared, its values are neither checked nor shown. Its malformed lines warn.
        type: path
        version_added: 0.2.0
      extra_keys:
        description:
          - Status of keys the env file defines and the template of O(checks[].same_keys_as) does not.
          - V(warn) by default - a key added in production and never in the template is not a broken
            release, but the next deploy from the template will lack it.
        type: str
        choices: [ignore, warn, fail]
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
notes:
  - Whether the env file itself is readable by others is not checked here.
seealso:
  - module: golive.readiness.verify
"""

EXAMPLES = r"""
- name: Production env file is complete and has no leftovers
  golive.readiness.env_vars:
    checks:
      - env_file: /srv/shop/.env.production
        required: [APP_ENV, DATABASE_URL, SECRET_KEY, STRIPE_SECRET_KEY]
        forbidden: [DEBUG]
        expected_values:
          APP_ENV: "^production$"
          STRIPE_SECRET_KEY: "^(sk|rk)_live_"

- name: The production env file defines every key of the release's template
  golive.readiness.env_vars:
    checks:
      - env_file: /srv/shop/.env.production
        same_keys_as: /srv/shop/current/.env.example
        extra_keys: fail

- name: The running web server got the environment too
  become: true
  golive.readiness.env_vars:
    checks:
      - source: process
        process_name: gunicorn
        required: [DATABASE_URL, SECRET_KEY]
        forbidden: [DEBUG, FLASK_DEBUG]

- name: Deployment variables handed to the task
  golive.readiness.env_vars:
    checks:
      - source: module
        required: [RELEASE_TAG]
        allow_placeholders_for: [RELEASE_TAG]
  environment:
    RELEASE_TAG: "{{ release_tag }}"
"""

RETURN = r"""
golive_checks:
  description:
    - One record per environment, in the order of O(checks).
    - C(observed) holds C(source) (V(env_file), V(process) or V(module)), C(env_file) or C(pid) (and with
      I(process_name) C(process_name) and C(matching_pids)), for env files C(malformed_lines) (line numbers),
      C(variables) (how many are defined, a count), the required names that are C(present), C(missing) or
      C(empty), C(forbidden_set) with I(forbidden), C(placeholders) and C(mismatched) with I(expected_values)
      (lists of C(name), masked C(value) and the C(pattern) or C(expected) regular expression), and with
      I(same_keys_as) C(keys_missing) and C(keys_extra) (names).
    - C(expected) holds C(required), C(forbidden), C(expected_values) and C(same_keys_as) as given.
  returned: always
  type: list
  elements: dict
  sample:
    - id: env_vars:/srv/shop/.env
      kind: env_vars
      section: application
      title: Environment of /srv/shop/.env
      status: fail
      severity: high
      summary: missing variable SENTRY_DSN; placeholder value in variable STRIPE_SECRET_KEY
      observed:
        source: env_file
        env_file: /srv/shop/.env
        malformed_lines: []
        variables: {value: 23, unit: count}
        present: [DATABASE_URL, SECRET_KEY, STRIPE_SECRET_KEY]
        missing: [SENTRY_DSN]
        empty: []
        placeholders: [{name: STRIPE_SECRET_KEY, value: '****', pattern: 'change[-_ ]?me'}]
      expected: {required: [DATABASE_URL, SECRET_KEY, SENTRY_DSN, STRIPE_SECRET_KEY]}
      duration_ms: 2
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

from ansible_collections.golive.readiness.plugins.module_utils._checks import env_vars
from ansible_collections.golive.readiness.plugins.module_utils._module import run_kind_module


def main():
    run_kind_module(env_vars)


if __name__ == "__main__":
    main()
