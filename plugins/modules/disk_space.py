#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: disk_space
short_description: Check free space and free inodes of filesystems
version_added: 0.1.0
description:
  - For each path, measures the free space (bytes and percent of the filesystem) and the free
    inodes (percent) of the filesystem holding it, and grades them against warn and fail levels.
  - Free space is what an unprivileged process can use (blocks reserved for root do not count).
  - Runs on the managed host with the Python standard library only.
author: golive.readiness contributors (@golive-readiness)
extends_documentation_fragment:
  - golive.readiness.check_item
options:
  checks:
    description:
      - The filesystems to check, one item each.
      - An item's C(id) defaults to C(disk_space:<path>).
      - Its C(title) defaults to C(Disk space on <path>).
      # BEGIN generated: kind defaults (scripts/generate; do not edit by hand)
      - A C(disk_space) item defaults to section V(infrastructure) and severity V(high).
      # END generated: kind defaults
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: An absolute path on the filesystem to check (a mount point or any path under it).
        type: path
        required: true
      free_warn_below:
        description:
          - Warn when free space is below this size (V(20GB)) or percentage (V(15%)).
          - Sizes use binary multiples (1GB = 1024^3 bytes).
          - When neither this nor O(checks[].free_fail_below) is set, the levels are V(15%) (warn) and
            V(5%) (fail). Setting one of them sets only that level.
        type: str
      free_fail_below:
        description: Fail when free space is below this size or percentage (V(5%) when neither level is set).
        type: str
      inodes_free_warn_below:
        description: Warn when the free inodes are below this percentage.
        type: str
      inodes_free_fail_below:
        description: Fail when the free inodes are below this percentage (V(5%) when neither inode level is set).
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
"""

EXAMPLES = r"""
- name: Root and data volumes have room
  golive.readiness.disk_space:
    checks:
      - path: /
        free_warn_below: 20GB
        free_fail_below: 10GB
        inodes_free_fail_below: 5%
      - path: /var/lib/postgresql
        free_warn_below: 25%
        free_fail_below: 10%
        severity: critical
"""

RETURN = r"""
golive_checks:
  description:
    - One record per path, in the order of O(checks).
    - C(observed) holds C(total_bytes) and C(free_bytes) (bytes), C(free_percent) and C(inodes_free_percent)
      (percent; absent on a filesystem without inode counts).
    - C(expected) holds the levels of C(free_bytes) or C(free_percent) (as they were given), and of
      C(inodes_free_percent).
  returned: always
  type: list
  elements: dict
  sample:
    - id: disk_space:/
      kind: disk_space
      section: infrastructure
      title: Disk space on /
      status: warn
      severity: high
      summary: free 14.2 GiB (warn < 20.0 GiB, fail < 10.0 GiB)
      observed:
        total_bytes: {value: 53687091200, unit: bytes}
        free_bytes: {value: 15246948352, unit: bytes}
        free_percent: {value: 28.4, unit: percent}
        inodes_free_percent: {value: 91.3, unit: percent}
      expected:
        free_bytes: {warn: {below: 21474836480}, fail: {below: 10737418240}, unit: bytes}
        inodes_free_percent: {fail: {below: 5.0}, unit: percent}
      duration_ms: 1
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

from ansible_collections.golive.readiness.plugins.module_utils._checks import disk_space
from ansible_collections.golive.readiness.plugins.module_utils._module import run_kind_module


def main():
    run_kind_module(disk_space)


if __name__ == "__main__":
    main()
