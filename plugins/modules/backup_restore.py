#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: backup_restore
short_description: Restore drill - restore the newest PostgreSQL dump into a scratch database and compare it
version_added: 0.1.0
description:
  - For each item, restores the newest dump matching I(path) into a new scratch database, counts the
    rows of the named I(tables) there and in the source database, compares them within a
    I(tolerance), grades how long the restore took (evidence for the recovery-time objective), and
    drops the scratch database.
  - Archives (custom format with a C(PGDMP) header, or tar format) are restored with C(pg_restore
    --no-owner --no-privileges --exit-on-error), in I(jobs) parallel jobs when the file is not
    compressed. Plain SQL dumps are restored with C(psql) in one transaction that stops at the first
    error (C(ON_ERROR_STOP=1)), and must end with pg_dump's completion trailer. A dump compressed with
    gzip, bzip2 or xz is decompressed on the way.
  - B(The only check kind that writes) - and only to the scratch database it creates. It is opt-in -
    nothing runs it unless it is listed.
  - B(Safety.) The source database is only read, in a read-only transaction (row counts). The restore
    tools are given the scratch database alone, by a connection built from I(admin_url), with no
    C(PG*) variable inherited from the environment. A I(scratch_database) equal to the database of
    I(source_url) or I(admin_url) is refused; so is one that already exists - the drill drops only a
    database it created. The scratch database is created from C(template0) with its name quoted by
    SQLAlchemy's PostgreSQL dialect, and dropped (with the C(FORCE) option on PostgreSQL 13 and later,
    ending any session left in it) in all cases - after a pass, a failed restore, an error or a restore
    stopped at the time limit. A plain dump that switches databases (C(\connect), as written by
    C(pg_dump --create) or C(pg_dumpall)) is refused, and psql is killed at that line so that nothing
    it ran before is committed; a C(pg_dumpall) cluster dump (also C(--globals-only)) is refused before
    it runs. So is a plain dump holding a psql command pg_dump does not write that could run programs or
    read and write files on the host (C(\!), C(\o), C(\w), C(\copy), C(\g), C(\i), C(\cd), C(\setenv),
    C(\lo_*), or any other line starting with a backslash outside COPY data).
  - C(fail) when no dump matches, when the restore fails, when a table is missing from the restored
    database or its row count differs from the source's by more than the tolerance, or when the
    restore took longer than I(duration_fail_above).
  - C(error) when the drill cannot be evaluated - a database that cannot be reached, a table missing in
    the source, a missing C(pg_restore) or C(psql), an existing scratch database, or a restore still
    running at the time limit (it is then killed with its process group and the scratch database
    dropped).
  - A host check; runs on the host that holds the dumps. That host needs SQLAlchemy with psycopg and the
    PostgreSQL client tools, and must reach the source and admin servers.
author: golive.readiness contributors (@golive-readiness)
extends_documentation_fragment:
  - golive.readiness.check_item
requirements:
  - SQLAlchemy >= 1.4 and psycopg (on the host that holds the dumps)
  - pg_restore and psql (PostgreSQL client), of a version able to read the dumps
attributes:
  check_mode:
    support: full
    description:
      - The drill runs in check mode too. It changes nothing that outlives it (the scratch database it
        creates is always dropped) and C(changed) is always false; a drill is asked for by listing it.
options:
  checks:
    description:
      - The restore drills, one item each.
      - An item's C(id) defaults to C(backup_restore:<path>).
      - Its C(title) defaults to C(Restore drill of <path>).
      - An item's C(timeout) is the time limit of the whole drill. A real restore needs far more than the default
        C(10s) - set it, and the module's I(deadline), to more than the recovery-time objective. A quarter of it (at
        least 2 and at most 15 seconds) is kept back for dropping the scratch database.
      # BEGIN generated: kind defaults (scripts/generate; do not edit by hand)
      - A C(backup_restore) item defaults to section V(backup) and severity V(high).
      # END generated: kind defaults
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description:
          - Absolute path or glob pattern of the dumps, such as V(/var/backups/postgres/shop-*.dump); the
            newest matching regular file (by modification time) is restored.
        type: path
        required: true
      format:
        description:
          - V(custom) requires a C(pg_restore) archive (custom or tar format), V(plain) a plain SQL dump;
            V(auto) decides by the file's magic bytes (after decompression).
        type: str
        choices: [auto, custom, plain]
        default: auto
      source_url:
        description:
          - SQLAlchemy URL of the database the dump was made of, such as
            V(postgresql+psycopg://golive@db.example.com:5432/shop). Only read, to count the rows of I(tables).
          - May contain the password; it is masked in every result. Prefer I(source_password).
        type: str
        required: true
      source_password:
        description: Password of I(source_url)'s user.
        type: str
      admin_url:
        description:
          - SQLAlchemy URL of an existing database on the server where the scratch database is created,
            as a user allowed to create databases, such as V(postgresql+psycopg://postgres@restore-db:5432/postgres).
            May be the source's server or a separate one.
          - The restore tools connect with its host, port, user and password and these query parameters
            only - V(host), V(port), V(sslmode), V(sslrootcert), V(sslcert), V(sslkey), V(sslcrl),
            V(gssencmode), V(options), V(target_session_attrs), V(connect_timeout), V(application_name).
        type: str
        required: true
      admin_password:
        description: Password of I(admin_url)'s user.
        type: str
      scratch_database:
        description:
          - Name of the scratch database, letters, digits and underscores (at most 63). Must not exist.
          - Defaults to V(golive_restore_) and 12 random hex digits, so that a drill the host could not
            finish (the module process killed) leaves a database that is easy to recognise.
        type: str
      tables:
        description:
          - Tables whose rows are counted in the source and in the restored database, as V(name) or
            V(schema.name). Names are quoted by SQLAlchemy, never written into SQL text.
          - Without tables, the drill proves that the dump restores and how long it takes.
        type: list
        elements: str
        default: []
      tolerance:
        description:
          - How far a restored count may be from the source's - a number of rows (V(100)) or a
            percentage of the source's count (V(1%)). The source keeps changing after the dump is made.
          - Defaults to exact.
        type: raw
      duration_warn_above:
        description: Warn when the restore took longer than this duration (V(30m)).
        type: str
      duration_fail_above:
        description: Fail when the restore took longer than this duration - the recovery-time objective.
        type: str
      jobs:
        description: Parallel jobs of C(pg_restore) (C(--jobs)), for an uncompressed archive file.
        type: int
        default: 1
      bin_dir:
        description:
          - Directory of C(pg_restore) and C(psql), such as V(/usr/lib/postgresql/16/bin). Defaults to
            those found on E(PATH).
        type: path
      connect_timeout:
        description:
          - Time limit of each connection attempt, as a duration; never more than what is left of the
            check's I(timeout).
        type: raw
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
  - Plain dumps are restored as written, C(ALTER ... OWNER TO) included, so the roles they name must exist
    on the scratch server; dumps made with C(pg_dump --no-owner) avoid that. Archives are restored without
    owners and privileges.
  - A line starting with C(\connect) or C(\c) inside a dollar-quoted function body of a plain dump is
    taken for a database switch, and a string holding such a command word followed by a space for a
    command; the dump is then refused (never restored unsafely).
seealso:
  - module: golive.readiness.backup_freshness
  - module: golive.readiness.db_row_counts
  - module: golive.readiness.verify
"""

EXAMPLES = r"""
- name: The newest nightly dump restores within the RTO and holds what production holds
  golive.readiness.backup_restore:
    timeout: 40m
    deadline: 45m
    checks:
      - path: /var/backups/postgres/shop-*.dump
        source_url: postgresql+psycopg://golive@db.example.com:5432/shop
        source_password: "{{ vault_golive_db_password }}"
        admin_url: postgresql+psycopg://restore@restore-db.example.com:5432/postgres
        admin_password: "{{ vault_restore_db_password }}"
        tables: [users, orders, payments]
        tolerance: 1%
        duration_warn_above: 15m
        duration_fail_above: 30m
        jobs: 4
"""

RETURN = r"""
golive_checks:
  description:
    - One record per drill, in the order of O(checks).
    - C(observed) holds C(dump), C(dump_format) (V(archive), V(plain), or either with the compression,
      such as V(plain+gzip)), C(dump_size) (bytes) and C(dump_age_seconds) (seconds), C(source) and
      C(admin) (URLs, passwords masked), C(scratch_database), C(restore_exit_code), C(restore_seconds) (seconds,
      the recovery-time evidence),
      C(dropped) (true once the scratch database is gone), and C(tables) - per table its C(table),
      C(source) and C(restored) row counts (C(restored) null when the table is missing) and their
      C(difference) (restored minus source).
    - C(expected) holds the C(restore_seconds) levels when set, and with C(tables) the row count C(tolerance)
      (V(exact), a number of rows or a percentage).
  returned: always
  type: list
  elements: dict
  sample:
    - id: backup_restore:/var/backups/shop
      kind: backup_restore
      section: backup
      title: Restore drill of /var/backups/shop
      status: pass
      severity: high
      summary: >-
        restored shop-2030-06-01.dump (1.2 GiB); restore took 3m 12s (fail > 15m); 2 tables match the source (exact):
        orders 1048576/1048576, users 52210/52210; scratch database golive_restore_3f9c2a dropped
      observed:
        dump: /var/backups/shop/shop-2030-06-01.dump
        dump_format: archive
        dump_size: {value: 1288490188, unit: bytes}
        dump_age_seconds: {value: 20510.0, unit: seconds}
        source: postgresql+psycopg://golive:****@db.internal:5432/shop
        admin: postgresql+psycopg://postgres:****@db-restore.internal:5432/postgres
        scratch_database: golive_restore_3f9c2a
        restore_exit_code: 0
        restore_seconds: {value: 192.4, unit: seconds}
        dropped: true
        tables:
          - {table: orders, source: 1048576, restored: 1048576, difference: 0}
          - {table: users, source: 52210, restored: 52210, difference: 0}
      expected:
        restore_seconds: {fail: {above: 900.0}, unit: seconds}
        tolerance: exact
      duration_ms: 201733
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

from ansible_collections.golive.readiness.plugins.module_utils._checks import backup_restore
from ansible_collections.golive.readiness.plugins.module_utils._module import run_kind_module


def main():
    run_kind_module(backup_restore)


if __name__ == "__main__":
    main()
