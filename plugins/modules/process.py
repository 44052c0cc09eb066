#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: process
short_description: Check that the processes a service needs run, as the right user, and that others do not
version_added: 0.1.0
description:
  - For each item, counts the running processes with a given name and/or command line, optionally
    only those of one user, and checks the count is within limits, or that none runs
    (V(state=absent), for example a debug server that must not be left running).
  - Reads C(/proc) directly. Zombies are not counted. The check's own process and the Ansible
    processes that started it are never counted, so a I(cmdline_regex) cannot match the module's
    own command line.
  - Sample command lines are reported with anything that looks like a secret masked (passwords and
    tokens in options, environment assignments, URLs and C(Bearer) headers).
  - Runs on the managed host (Linux) with the Python standard library only.
author: golive.readiness contributors (@golive-readiness)
extends_documentation_fragment:
  - golive.readiness.check_item
options:
  checks:
    description:
      - The processes to check, one item each. Each item needs I(name) or I(cmdline_regex), or both
        (then a process must match both).
      - An item's C(id) defaults to C(process:<name>), or C(process:<cmdline_regex>) without a name.
      - Its C(title) defaults to C(Process <name>).
      # BEGIN generated: kind defaults (scripts/generate; do not edit by hand)
      - A C(process) item defaults to section V(application) and severity V(high).
      # END generated: kind defaults
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - The exact process name, as in C(/proc/<pid>/comm) (what C(ps -e) shows, at most 15
            characters) or the base name of the first command-line argument.
        type: str
      cmdline_regex:
        description: A Python regular expression searched for in the full command line (arguments joined by spaces).
        type: str
      min_count:
        description: Fail when fewer matching processes run. Defaults to 1 with V(state=present).
        type: int
      max_count:
        description: Fail when more matching processes run.
        type: int
      user:
        description:
          - Count only processes running as this user (name or uid, the effective user).
          - When matching processes of other users exist, they are reported.
          - A user name that does not exist on the host makes the check C(error).
        type: str
      state:
        description:
          - V(present) checks the count against I(min_count) and I(max_count); V(absent) fails when any
            matching process runs (I(min_count) and I(max_count) are then not allowed).
        type: str
        choices: [present, absent]
        default: present
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
  - Processes hidden from the checking user (C(hidepid) mount option of C(/proc)) cannot be seen.
"""

EXAMPLES = r"""
- name: Application processes run, no debug server
  golive.readiness.process:
    checks:
      - name: gunicorn
        user: app
        min_count: 3
      - cmdline_regex: 'celery .*worker'
        min_count: 2
        max_count: 8
      - name: nginx
        severity: critical
      - cmdline_regex: 'manage\.py runserver|flask run|--inspect'
        state: absent
"""

RETURN = r"""
golive_checks:
  description:
    - One record per item, in the order of O(checks).
    - C(observed) holds, with I(user), C(other_users) when matching processes of other users run, then
      C(count) (a count), C(pids) (at most 20), C(users) and C(samples) (up to 5 command lines of at most
      200 characters, secrets masked).
    - C(expected) holds C(user) when given and the C(count) levels (fail below I(min_count), above
      I(max_count)).
  returned: always
  type: list
  elements: dict
  sample:
    - id: process:celery
      kind: process
      section: application
      title: Process celery
      status: pass
      severity: high
      summary: 2 running as app (expected 2 to 8)
      observed:
        count: {value: 2, unit: count}
        pids: [1423, 1467]
        users: [app]
        samples: [/srv/shop/venv/bin/python -m celery -A shop worker --concurrency 4]
      expected:
        user: app
        count: {fail: {below: 2, above: 8}, unit: count}
      duration_ms: 6
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

from ansible_collections.golive.readiness.plugins.module_utils._checks import process
from ansible_collections.golive.readiness.plugins.module_utils._module import run_kind_module


def main():
    run_kind_module(process)


if __name__ == "__main__":
    main()
