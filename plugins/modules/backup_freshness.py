#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: backup_freshness
short_description: Check that backups are recent, big enough, kept long enough and readable to the end
version_added: 0.1.0
description:
  - For each glob of backup files, grades the newest matching regular file by its age and size, all
    matches by their number and by the age of the oldest (the history kept), and then verifies the
    newest by reading all of it.
  - "Verification (I(verify=auto) chooses by magic bytes, then by name): gzip, bzip2 and xz data is
    decompressed to its end-of-stream marker with every checksum checked; tar archives (plain or
    compressed, including C(pg_dump -Ft) dumps) are read header by header, every member's data
    included, up to the end-of-archive marker; PostgreSQL custom-format dumps (C(PGDMP) header) are
    listed with C(pg_restore --list) and then read through every data block by C(pg_restore) writing
    its script to C(/dev/null); plain SQL dumps (also compressed) must end with the completion trailer
    C(pg_dump), C(pg_dumpall), C(mysqldump) or C(mariadb-dump) writes last."
  - A truncated or corrupt archive, a dump cut short, or a plain dump without its trailer makes the
    check C(fail) with the reason. When that file was modified in the last two minutes, the summary
    says the backup job may still be writing it.
  - No matching file makes the check C(fail). A newest file whose format C(auto) cannot tell is not
    verified and makes the check C(warn); set I(verify) to a format, or to V(none) to skip on purpose.
  - Verification streams the file and stops at the check's I(timeout); a file that cannot be read
    through in time makes the check C(error) (raise I(timeout) for large backups). C(pg_restore) runs
    under the same limit and is killed with its process group when it is reached.
  - C(error) also when a file or directory cannot be read, or when C(pg_restore) is needed and not
    installed.
  - A host check; runs on the host that holds the backups, with the Python standard library only (and
    C(pg_restore) for custom-format dumps). Only reads.
author: golive.readiness contributors (@golive-readiness)
extends_documentation_fragment:
  - golive.readiness.check_item
requirements:
  - pg_restore (PostgreSQL client) on the host, to verify custom-format dumps
options:
  checks:
    description:
      - The backup sets to check, one item each.
      - An item's C(id) defaults to C(backup_freshness:<path>).
      - Its C(title) defaults to C(Backups <path>).
      - An item's C(timeout) is the time limit of this check, verification included. Large backups need more than
        the default to be read through.
      # BEGIN generated: kind defaults (scripts/generate; do not edit by hand)
      - A C(backup_freshness) item defaults to section V(backup) and severity V(high).
      # END generated: kind defaults
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description:
          - An absolute path or glob pattern of the backup files, such as V(/var/backups/db/shop-*.dump).
          - Only regular files count (symlinks to them included); matching directories are left out.
        type: path
        required: true
      newest_age_warn_above:
        description: Warn when the newest backup (by modification time) is older than this duration (V(26h)).
        type: str
      newest_age_fail_above:
        description:
          - Fail when the newest backup is older than this duration.
          - When neither O(checks[].newest_age_warn_above) nor this is set, the newest backup fails above V(26h)
            (a nightly backup with two hours of slack, so one missed night fails). Set it for backups taken
            less often (V(8d) for weekly ones).
        type: str
      size_warn_below:
        description: Warn when the newest backup is smaller than this size (V(50MB); 1K = 1024 bytes).
        type: str
      size_fail_below:
        description: Fail when the newest backup is smaller than this size.
        type: str
      count_warn_below:
        description: Warn when fewer backup files than this match.
        type: int
      count_fail_below:
        description: Fail when fewer backup files than this match.
        type: int
      history_warn_below:
        description:
          - Warn when the oldest matching backup is younger than this duration, that is when less
            history than this is kept (V(30d)).
        type: str
      history_fail_below:
        description: Fail when the oldest matching backup is younger than this duration.
        type: str
      verify:
        description:
          - How the newest backup is verified. V(auto) decides by its magic bytes and then its name;
            V(gzip) checks gzip data only; V(tar) reads a tar archive (compressed or not); V(pg_custom)
            reads a PostgreSQL custom-format dump with C(pg_restore); V(sql) looks for a plain SQL
            dump's completion trailer (decompressing it if needed); V(none) does not verify.
        type: str
        choices: [auto, gzip, tar, pg_custom, sql, none]
        default: auto
      bin_dir:
        description:
          - Directory of C(pg_restore), such as V(/usr/lib/postgresql/16/bin), to use a version able to
            read the dumps. Defaults to the one found on E(PATH).
        type: path
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
  - Only the newest backup is verified; the others are counted and dated.
  - A tar archive has no checksum over its members' data, so damage inside a member's data is found
    only when the archive is compressed (the compression's checksum) or by restoring it
    (M(golive.readiness.backup_restore)).
seealso:
  - module: golive.readiness.backup_restore
  - module: golive.readiness.path
  - module: golive.readiness.verify
"""

EXAMPLES = r"""
- name: Nightly database dumps are fresh, big enough, kept a month and readable
  golive.readiness.backup_freshness:
    timeout: 5m
    deadline: 6m
    checks:
      - path: /var/backups/postgres/shop-*.dump
        newest_age_warn_above: 26h
        newest_age_fail_above: 50h
        size_fail_below: 50MB
        history_fail_below: 30d
        count_fail_below: 30
      - path: /var/backups/files/uploads-*.tar.gz
        newest_age_fail_above: 8d
        verify: tar
        severity: medium
"""

RETURN = r"""
golive_checks:
  description:
    - One record per backup set, in the order of O(checks).
    - C(observed) holds C(newest), C(newest_age_seconds) (seconds), C(newest_size) (bytes), C(count) (matching
      files), C(oldest) and C(oldest_age_seconds) (seconds), and C(verification) - C(method) (such as
      V(pg_custom), V(sql+gzip), V(tar+xz)), C(sound) (true, false, or null when not verified), C(detail), the
      C(seconds) it took, and what was seen - C(uncompressed_bytes), C(members) and C(member_bytes) of a tar
      archive, C(toc_entries) of a custom-format dump.
    - C(expected) holds the levels of C(newest_age_seconds), and of C(newest_size), C(count) and
      C(oldest_age_seconds) when they are set.
  returned: always
  type: list
  elements: dict
  sample:
    - id: backup_freshness:/var/backups/shop
      kind: backup_freshness
      section: backup
      title: Backups /var/backups/shop
      status: warn
      severity: high
      summary: newest backup age 1d 2h (warn > 1d, fail > 2d)
      observed:
        newest: /var/backups/shop/shop-2030-06-01.dump
        newest_age_seconds: {value: 93600.0, unit: seconds}
        newest_size: {value: 1288490188, unit: bytes}
        count: {value: 7, unit: count}
        oldest: /var/backups/shop/shop-2030-05-26.dump
        oldest_age_seconds: {value: 612000.0, unit: seconds}
        verification:
          method: pg_custom
          sound: true
          detail: PostgreSQL custom-format dump reads completely (214 TOC entries)
          toc_entries: 214
          seconds: 0.4
      expected:
        newest_age_seconds: {warn: {above: 86400.0}, fail: {above: 172800.0}, unit: seconds}
      duration_ms: 412
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

from ansible_collections.golive.readiness.plugins.module_utils._checks import backup_freshness
from ansible_collections.golive.readiness.plugins.module_utils._module import run_kind_module


def main():
    run_kind_module(backup_freshness)


if __name__ == "__main__":
    main()
