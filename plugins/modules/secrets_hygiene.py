#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: secrets_hygiene
short_description: Check an application directory or git checkout for leaked keys, exposed env files and loose modes
version_added: 0.1.0
description:
  - For each application directory or git checkout, checks five rules.
  - Env files (C(.env), C(.env.production), C(app.env)) are not tracked by git (C(fail)) and are ignored
    by git (else I(env_not_ignored), C(warn) by default - the secret is not in the repository yet,
    but one C(git add) away).
  - No tracked file holds a high-confidence secret - a private key block, a Stripe live secret or
    restricted key, an AWS access key id, a GitHub token, a Slack token or a Google API key, plus
    any I(patterns) (C(fail)).
  - Secret files (env files, key files, and C(.pem) or C(.crt) files holding a private key) grant
    no more access to group and others than I(secret_mode_max) (C(fail)).
  - No file or directory is world-writable (C(fail)).
  - Every requirement of the requirements files is pinned with C(==) or C(===) (C(warn) - unpinned
    requirements make a deployment unreproducible, they do not expose a secret).
  - B(Findings never show a secret.) They name the file, the line and the rule, with at most a masked
    hint (C(sk_live_…a1b2)); a requirement given as a URL is shown by its project name only.
  - In a git checkout only tracked files are searched for secrets (what the repository holds); modes
    are checked on everything on disk, ignored files included. A directory that is not a git checkout
    is searched whole and the result says that the tracked and ignored rules did not apply.
  - Bounded - binary files and files over I(max_file_size) are not searched (the result counts and
    names them), and the scan stops before the check's I(timeout). A scan that did not finish, or
    could not read a file, is an C(error), not a pass.
  - Runs on the managed host with the Python standard library, and the C(git) executable when the
    path is in a git checkout (missing, it makes the check C(error)). Only reading git commands run
    (C(ls-files), C(check-ignore)), with optional locks off and the repository declared safe for that
    one command, so a checkout owned by another user is read without changing any git configuration.
author: golive.readiness contributors (@golive-readiness)
extends_documentation_fragment:
  - golive.readiness.check_item
options:
  checks:
    description:
      - The directories to check, one item each.
      - An item's C(id) defaults to C(secrets_hygiene:<path>).
      - Its C(title) defaults to C(Secrets hygiene of <path>).
      - An item's C(timeout) is the time limit of this check, and of its scan.
      # BEGIN generated: kind defaults (scripts/generate; do not edit by hand)
      - A C(secrets_hygiene) item defaults to section V(security) and severity V(critical).
      # END generated: kind defaults
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description:
          - Absolute path of the application directory or git checkout (or a directory inside one).
          - A path that does not exist or is not a directory makes the check C(error) - nothing could
            be checked; use M(golive.readiness.path) to require that it exists.
        type: path
        required: true
      env_files:
        description:
          - Globs of env file names. A glob with a C(/) is matched against the path relative to
            I(path), one without against the file name, in any directory.
        type: list
        elements: str
        default: [.env, .env.*, "*.env"]
      env_templates:
        description: Globs of env file templates, which hold no secrets and may be tracked and readable.
        type: list
        elements: str
        default: ["*.example", "*.sample", "*.template", "*.dist"]
      env_not_ignored:
        description: The status of an untracked env file that git does not ignore.
        type: str
        choices: [warn, fail]
        default: warn
      secret_files:
        description:
          - Globs of secret file names, besides env files, whose modes are checked. A file ending in
            C(.pem) or C(.crt) is only taken as secret when it holds a private key block (certificates
            and chains are public).
        type: list
        elements: str
        default: ["*.key", "*.pem", "*.p12", "*.pfx", "*.jks", "*.keystore", id_rsa, id_dsa, id_ecdsa, id_ed25519]
      secret_mode_max:
        description:
          - The loosest mode of a secret file, as a quoted octal string. Only its group and other bits
            count; V('0640') allows the group to read.
        type: raw
        default: "0600"
      builtin_patterns:
        description: Search for the built-in high-confidence secret patterns. V(false) leaves only I(patterns).
        type: bool
        default: true
      patterns:
        description:
          - More secrets to search for, as rule names mapped to Python regular expressions, for example
            the rule C(internal_token) with the expression V(itk_[0-9a-f]{32}).
          - "A line containing C(pragma: allowlist secret) is not searched, by any rule."
        type: dict
      exclude:
        description:
          - Globs of paths not to check at all (V(vendor), V(tests/fixtures/*)), matched like
            I(env_files); a matching directory is skipped with everything under it. C(.git) is never
            walked.
        type: list
        elements: str
        default: []
      requirements:
        description:
          - Globs of pip requirements files, matched like I(env_files); files git ignores are skipped.
          - Comments, options (C(-r), C(-c), C(-e), C(--index-url)) and local paths are ignored; a direct
            URL reference is pinned when it names a commit or a hash. V([]) turns the rule off.
        type: list
        elements: str
        default: [requirements*.txt]
      max_file_size:
        description: Files larger than this (V(1MB), V(512KB)) are not read.
        type: raw
        default: 1MB
      max_findings:
        description: The most findings listed in the summary and in C(observed.findings); the rest are counted.
        type: int
        default: 10
      git_executable:
        description: The git executable, a name looked up on C(PATH) (then C(/usr/local/bin:/usr/bin:/bin)) or a path.
        type: str
        default: git
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
  - module: golive.readiness.path
  - module: golive.readiness.env_vars
"""

EXAMPLES = r"""
- name: No secrets in the deployed checkout, env files private
  golive.readiness.secrets_hygiene:
    checks:
      - path: /srv/shop/current
        exclude: [node_modules, tests/fixtures]
        timeout: 30s

- name: A plain application directory, with the company's own token format and group-readable secrets
  golive.readiness.secrets_hygiene:
    checks:
      - path: /opt/billing
        secret_mode_max: "0640"
        env_not_ignored: fail
        patterns:
          billing_token: 'btk_[0-9a-f]{40}'
        requirements: [requirements*.txt, requirements/*.txt]
"""

RETURN = r"""
golive_checks:
  description:
    - One record per directory, in the order of O(checks).
    - C(observed) holds C(path), C(git_checkout) (the top of the checkout, or null), C(files) (regular
      files on disk), C(tracked_files) (null outside a checkout), C(files_searched) (counts), C(env_files) and
      C(requirements_files) (relative paths), C(findings) (up to I(max_findings), each with C(status),
      C(rule), C(file), C(line) when it is about one, and C(detail) - a masked hint for a secret),
      C(findings_total) and C(findings_by_rule) (counts), and C(skipped) (C(binary), a count; C(too_large) and
      C(unreadable), the paths, with C(too_large_count) and C(unreadable_count), counts).
    - The rules are C(env_file_tracked), C(env_file_not_ignored), C(private_key), C(stripe_live_key),
      C(aws_access_key_id), C(github_token), C(slack_token), C(google_api_key), the names of I(patterns),
      C(secret_file_mode), C(world_writable) and C(unpinned_requirement).
    - C(expected) holds C(rules) (the secret rules searched), C(secret_mode_max), C(max_file_size) (a quantity in
      bytes), and in a checkout C(env_files) (what an env file must be).
  returned: always
  type: list
  elements: dict
  sample:
    - id: secrets_hygiene:/srv/shop/app
      kind: secrets_hygiene
      section: security
      title: Secrets hygiene of /srv/shop/app
      status: fail
      severity: critical
      summary: 'settings/production.py:12 stripe_live_key: sk_live_…a1b2'
      observed:
        path: /srv/shop/app
        git_checkout: /srv/shop/app
        files: {value: 812, unit: count}
        tracked_files: {value: 790, unit: count}
        files_searched: {value: 790, unit: count}
        env_files: [.env]
        requirements_files: [requirements.txt]
        findings:
          - {status: fail, rule: stripe_live_key, file: settings/production.py, line: 12, detail: sk_live_…a1b2}
        findings_total: {value: 1, unit: count}
        findings_by_rule: {stripe_live_key: {value: 1, unit: count}}
        skipped:
          binary: {value: 14, unit: count}
          too_large: []
          too_large_count: {value: 0, unit: count}
          unreadable: []
          unreadable_count: {value: 0, unit: count}
      expected:
        rules: [private_key, stripe_live_key, aws_access_key_id, github_token, slack_token, google_api_key]
        secret_mode_max: '0600'
        max_file_size: {value: 1048576, unit: bytes}
        env_files: not tracked, ignored by git (else warn)
      duration_ms: 233
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

from ansible_collections.golive.readiness.plugins.module_utils._checks import secrets_hygiene
from ansible_collections.golive.readiness.plugins.module_utils._module import run_kind_module


def main():
    run_kind_module(secrets_hygiene)


if __name__ == "__main__":
    main()
