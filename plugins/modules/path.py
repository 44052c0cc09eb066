#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: path
short_description: Check files and directories exist with safe modes, the right owners and fresh contents
version_added: 0.1.0
description:
  - For each path, checks that it exists (or is absent) with the expected type, that its mode is no
    looser than a maximum, that it has the expected owner and group, and whether a given user may
    read or write it.
  - With I(newest_age_warn_above), I(newest_age_fail_above), I(count_warn_below),
    I(count_fail_below) or I(count_max) the path may be a glob pattern, for example the backups of
    a directory, and the check grades how many paths match and how old the newest match is. With
    V(state=absent) a pattern must match nothing.
  - Effective access is decided from the mode bits, the owner and group and the user's groups
    (primary and supplementary), including search permission on every directory above the path;
    nothing is written or opened to find out. Root may read and write anything except on a
    read-only filesystem.
  - Runs on the managed host with the Python standard library only.
author: golive.readiness contributors (@golive-readiness)
extends_documentation_fragment:
  - golive.readiness.check_item
options:
  checks:
    description:
      - The paths to check, one item each.
      - An item's C(id) defaults to C(path:<path>).
      - Its C(title) defaults to C(Path <path>).
      # BEGIN generated: kind defaults (scripts/generate; do not edit by hand)
      - A C(path) item defaults to section V(infrastructure) and severity V(high).
      # END generated: kind defaults
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description:
          - An absolute path.
          - May be a glob pattern (V(/var/backups/db-*.sql.gz)) when a I(newest_age_*) or I(count_*)
            option is set, or with V(state=absent). Like the shell, C(*) does not match names
            starting with a dot.
        type: path
        required: true
      state:
        description:
          - V(exists) requires the path to exist as anything, V(file) as a regular file, V(directory)
            as a directory; V(absent) requires it not to exist (a dangling symlink counts as existing).
          - For a glob, V(file) and V(directory) apply to every match, V(exists) requires at least one
            match and V(absent) none.
          - When not set, the path must exist; with I(count_warn_below), I(count_fail_below) or
            I(count_max) the counts alone decide.
        type: str
        choices: [exists, file, directory, absent]
      mode_max:
        description:
          - The loosest acceptable mode, as a quoted octal string (V('0640'), V('2775')). Fails when
            the actual mode has any bit this one lacks, for example V(0666) is looser than V(0644),
            including setuid, setgid and sticky bits.
          - Not checked for a symlink itself (with I(follow=false)).
        type: raw
      owner:
        description: The expected owner, as a user name or numeric uid.
        type: str
      group:
        description: The expected group, as a group name or numeric gid.
        type: str
      writable_by:
        description:
          - A user (name or uid) that must be able to write the path. For a directory, that means
            write and search permission (creating files in it).
          - A user that does not exist on the host makes the check C(error).
        type: str
      readable_by:
        description:
          - A user (name or uid) that must be able to read the path. For a directory, that means
            read and search permission (listing it and reaching what it holds).
        type: str
      newest_age_warn_above:
        description: Warn when the newest match (by modification time) is older than this duration (V(26h)).
        type: str
      newest_age_fail_above:
        description:
          - Fail when the newest match is older than this duration.
          - When nothing matches, the check fails.
        type: str
      count_warn_below:
        description: Warn when fewer paths than this match.
        type: int
      count_fail_below:
        description: Fail when fewer paths than this match.
        type: int
      count_max:
        description: Fail when more paths than this match.
        type: int
      follow:
        description:
          - Follow symlinks, checking what they point to. With V(false) a symlink is checked as itself
            (its type is C(link)).
        type: bool
        default: true
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
  - POSIX ACLs and capabilities are not taken into account by I(writable_by) and I(readable_by);
    when the path has an ACL the summary says so.
  - A directory the check itself cannot read is reported as C(error), not as missing.
"""

EXAMPLES = r"""
- name: Secrets are private, uploads writable by the app, backups fresh
  golive.readiness.path:
    checks:
      - path: /etc/myapp/secrets.env
        state: file
        mode_max: "0600"
        owner: myapp
        group: myapp
      - path: /srv/myapp/uploads
        state: directory
        writable_by: myapp
        mode_max: "0775"
      - path: /var/backups/postgres/db-*.sql.gz
        newest_age_warn_above: 26h
        newest_age_fail_above: 50h
        count_fail_below: 3
      - path: /srv/myapp/.env.example
        state: absent
        severity: low
"""

RETURN = r"""
golive_checks:
  description:
    - One record per path, in the order of O(checks).
    - C(observed) holds C(exists) (and C(dangling_symlink_to) for a broken symlink), and for an existing path
      its C(type), C(mode) (V(0644)), C(owner), C(group), C(size) (bytes) and C(mtime_age_seconds) (seconds).
    - For a glob it holds C(matches) (a count), C(newest) and C(newest_age_seconds) (seconds), and the
      attributes above are those of the newest match.
    - C(expected) holds the levels of C(matches) and C(newest_age_seconds) of a glob, when set; the other
      options are named in the summary when they are not met.
  returned: always
  type: list
  elements: dict
  sample:
    - id: path:/srv/shop/releases/current
      kind: path
      section: infrastructure
      title: Path /srv/shop/releases/current
      status: pass
      severity: high
      summary: is a directory
      observed:
        exists: true
        type: directory
        mode: '0755'
        owner: shop
        group: shop
        size: {value: 4096, unit: bytes}
        mtime_age_seconds: {value: 86012.0, unit: seconds}
      expected: {}
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

from ansible_collections.golive.readiness.plugins.module_utils._checks import path
from ansible_collections.golive.readiness.plugins.module_utils._module import run_kind_module


def main():
    run_kind_module(path)


if __name__ == "__main__":
    main()
