#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: code_markers
short_description: Check that no TODO, FIXME or other marker is left in an application's source trees
version_added: 0.2.0
description:
  - Searches the text files of the named source trees for markers (V(TODO), V(FIXME), V(XXX), V(HACK) by
    default) and grades how many there are; by default any marker left fails. At the kind's default
    severity V(medium) that shows in the report without blocking the go-live; raise O(checks[].severity)
    to V(high) to make it block.
  - Lists the count per marker and the first O(checks[].max_locations) locations, each as C(file), C(line)
    and the line itself, stripped, masked like a log line (URL passwords, assigned secrets, bearer tokens and
    key-like strings) and cut to at most 200 characters.
  - Only reads; the host's files are opened read-only and nothing is written.
  - Runs on the managed host with the Python standard library only.
author: golive.readiness contributors (@golive-readiness)
extends_documentation_fragment:
  - golive.readiness.check_item
options:
  checks:
    description:
      - The trees to search, one item each.
      - An item's C(id) defaults to C(code_markers:<name>), else C(code_markers:<paths joined by commas>).
      - Its C(title) defaults to C(Code markers in <name or paths>).
      - O(checks[].timeout) bounds the walk and the search; when it runs out the check is V(error) (the
        search is incomplete), never V(pass).
      # BEGIN generated: kind defaults (scripts/generate; do not edit by hand)
      - A C(code_markers) item defaults to section V(application) and severity V(medium).
      # END generated: kind defaults
    type: list
    elements: dict
    required: true
    suboptions:
      paths:
        description:
          - Absolute paths of directories (walked), files or globs of either (V(/srv/shop/current/shop),
            V(/srv/shop/current/*.py)).
          - A directory is walked without following symlinks and without entering C(.git), C(.hg), C(.svn),
            C(__pycache__), C(node_modules), tool caches (C(.tox), C(.nox), C(.mypy_cache), C(.pytest_cache),
            C(.ruff_cache)) or a virtualenv (a directory holding C(pyvenv.cfg)). Binary files (a NUL byte in
            their first 8 KiB) are skipped and counted.
          - A path that cannot be read, or a glob that matches nothing, makes the check V(error).
          - 'Caps (constants of the kind): at most C(MAX_FILES) (20,000) files, C(MAX_READ_BYTES) (256 MiB) read
            in all (over either, the check is V(error)); a file over C(MAX_FILE_BYTES) (2 MiB) is not searched
            and is named in the summary and C(observed.skipped).'
        type: list
        elements: str
        required: true
      markers:
        description:
          - The markers to count. Each matches as a whole word (V(TODO) in C(# TODO:) and C(TODO(ann)), not in
            C(TODOS) or C(mastodon)), case-sensitively unless O(checks[].ignore_case).
        type: list
        elements: str
        default: [TODO, FIXME, XXX, HACK]
      ignore_case:
        description: Match the markers whatever their case (V(todo) counts as V(TODO)).
        type: bool
        default: false
      include:
        description:
          - Globs of the files to search in a walked directory (V(*.py), V(templates/*.html)); all text files
            when empty. A glob with a C(/) is matched against the path relative to the directory, one without
            against the file name. Files named directly in O(checks[].paths) are always searched.
        type: list
        elements: str
        default: []
      exclude:
        description:
          - Globs of files or directories not to search, relative to each walked directory, matched like
            O(checks[].include) (V(migrations), V(docs/*), V(CHANGELOG.md)).
        type: list
        elements: str
        default: []
      count_warn_above:
        description: Warn when more markers than this are found (a count).
        type: raw
      count_fail_above:
        description:
          - Fail when more markers than this are found (a count).
          - When neither level is set, V(0) - any marker fails. Setting one level sets only that one.
        type: raw
      max_locations:
        description: How many locations to list (the first found, in path order), V(0) to V(100).
        type: int
        default: 10
      name:
        description: A short name for the id and title instead of the paths (V(shop)).
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
  - module: golive.readiness.secrets_hygiene
  - module: golive.readiness.verify
"""

EXAMPLES = r"""
- name: No TODO or FIXME is left in the release
  golive.readiness.code_markers:
    checks:
      - name: shop
        paths: [/srv/shop/current/shop]
        include: ["*.py", "*.html"]
        exclude: [migrations]
        severity: high

- name: A few HACKs are known; more than five is a warning, more than twenty fails
  golive.readiness.code_markers:
    checks:
      - paths: [/srv/shop/current]
        markers: [HACK]
        count_warn_above: 5
        count_fail_above: 20
"""

RETURN = r"""
golive_checks:
  description:
    - One record per item, in the order of O(checks).
    - C(observed) holds C(paths), C(count) (all markers found), C(by_marker) (a count per marker),
      C(files_searched) (a count), C(bytes_read), C(locations) (each C(file), C(line), C(marker) and C(text),
      the line masked and cut to 200 characters) and C(skipped) (C(binary), a count; C(too_large) and
      C(unreadable), the first five paths).
    - C(expected) holds C(markers) and the C(count) levels.
  returned: always
  type: list
  elements: dict
  sample:
    - id: code_markers:shop
      kind: code_markers
      section: application
      title: Code markers in shop
      status: fail
      severity: medium
      summary: 'markers 2 (fail > 0); TODO 1, FIXME 1, first at /srv/shop/shop/cart.py:88, /srv/shop/shop/pay.py:12'
      observed:
        paths: [/srv/shop/shop]
        files_searched: {value: 212, unit: count}
        bytes_read: {value: 1841203, unit: bytes}
        by_marker: {TODO: {value: 1, unit: count}, FIXME: {value: 1, unit: count}, XXX: {value: 0, unit: count},
                    HACK: {value: 0, unit: count}}
        locations:
          - {file: /srv/shop/shop/cart.py, line: 88, marker: TODO, text: '# TODO: round per line, not per order'}
          - {file: /srv/shop/shop/pay.py, line: 12, marker: FIXME, text: 'timeout = 60  # FIXME too long'}
        skipped: {binary: {value: 3, unit: count}, too_large: [], unreadable: []}
        count: {value: 2, unit: count}
      expected:
        markers: [TODO, FIXME, XXX, HACK]
        count: {fail: {above: 0}, unit: count}
      duration_ms: 95
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

from ansible_collections.golive.readiness.plugins.module_utils._checks import code_markers
from ansible_collections.golive.readiness.plugins.module_utils._module import run_kind_module


def main():
    run_kind_module(code_markers)


if __name__ == "__main__":
    main()
