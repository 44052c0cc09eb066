#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: backup_catalog
short_description: Check a PostgreSQL backup tool's catalog (pgBackRest, WAL-G) for recent backups of each type
version_added: 0.2.0
description:
  - Reads the catalog a PostgreSQL backup tool prints of its repository and grades the newest backup of any type
    and of each type (full, differential, incremental) by age, the number of backups kept, the tool's own status
    and, for pgBackRest, whether the WAL archive reaches the end of the newest backup.
  - Two catalogs are read. pgBackRest's C(pgbackrest info --output=json) (a list of stanzas; give
    O(checks[].stanza) when it lists several), whose stanza and repository status codes other than 0 fail (status
    2 is a stanza without a valid backup), and whose backups flagged C(error) (page checksum errors found while
    copying) fail. And WAL-G's C(wal-g backup-list --json), with or without C(--detail); a backup named
    C(base_..._D_...) is a delta backup, graded as incremental; WAL-G has no differential backups.
  - The WAL archive (pgBackRest only, O(checks[].require_wal_archive)) fails when nothing is archived, or when the
    newest archived segment comes before the last segment the newest backup needs, the mark of a stalled
    C(archive_command). pgBackRest's catalog carries no time for the newest segment, so a stall after the newest
    backup shows only once the next backup is due (grade the archiver's own age with C(prometheus_query) or
    C(command_output) on C(pg_stat_archiver)).
  - The catalog is a file on the host that lists the item (O(checks[].path)), written by the backup job or a cron
    entry (C(pgbackrest info --output=json > /var/lib/pgbackrest/info.json)), or a URL fetched from the probe
    hosts (O(checks[].url)). The tools are not run by the check, because they need the repository's credentials
    and configuration, which the account golive connects with should not hold. The file's age is graded with
    O(checks[].max_age). A missing file fails the check; a file of another format is an C(error) naming the
    file and the format expected. A catalog is read up to 32 MiB (C(BACKUP_CATALOG_CAP)); a larger one is an
    C(error) naming that cap.
  - Host check with O(checks[].path), using the Python standard library only; endpoint check with
    O(checks[].url), run on the probe host without proxies or redirects.
author: golive.readiness contributors (@golive-readiness)
extends_documentation_fragment:
  - golive.readiness.check_item
options:
  checks:
    description:
      - The backup catalogs to check, one item each.
      - An item's C(id) defaults to C(backup_catalog:<path or url>), or C(backup_catalog:<path or url>:<stanza>)
        with O(checks[].stanza).
      - Its C(title) defaults to C(Backup catalog <path or url>) (with C( (stanza <stanza>)) when given).
      - An item's C(timeout) is the time limit of this check, fetching a URL included.
      # BEGIN generated: kind defaults (scripts/generate; do not edit by hand)
      - A C(backup_catalog) item defaults to section V(backup) and severity V(high).
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
          - The catalog's format. V(auto) tells WAL-G's list (entries with C(backup_name), or C(null)) from
            pgBackRest's stanzas.
        type: str
        choices: [auto, pgbackrest_info, walg_backup_list]
        default: auto
      stanza:
        description:
          - The pgBackRest stanza to grade; required when the catalog lists several. A stanza not in the catalog is
            an C(error) listing the stanzas there are. Not for WAL-G.
        type: str
      newest_age_warn_above:
        description: Warn when the newest backup of any type finished longer ago than this duration.
        type: str
      newest_age_fail_above:
        description:
          - Fail when the newest backup of any type finished longer ago than this duration.
          - Default V(26h) unless O(checks[].newest_age_warn_above) is set (a nightly backup with two hours of slack).
        type: str
      full_age_warn_above:
        description: Warn when the newest full backup finished longer ago than this duration (V(8d) for weekly fulls).
        type: str
      full_age_fail_above:
        description:
          - Fail when the newest full backup finished longer ago than this duration.
          - With a level set for a type and no backup of that type, the check fails.
        type: str
      diff_age_warn_above:
        description: Warn when the newest differential backup (pgBackRest) finished longer ago than this duration.
        type: str
      diff_age_fail_above:
        description: Fail when the newest differential backup finished longer ago than this duration.
        type: str
      incr_age_warn_above:
        description:
          - Warn when the newest incremental backup (pgBackRest's C(incr), WAL-G's delta backups) finished longer ago
            than this duration.
        type: str
      incr_age_fail_above:
        description: Fail when the newest incremental backup finished longer ago than this duration.
        type: str
      count_warn_below:
        description: Warn when the catalog lists fewer backups (of all types) than this.
        type: int
      count_fail_below:
        description: Fail when the catalog lists fewer backups (of all types) than this.
        type: int
      require_wal_archive:
        description:
          - Fail when pgBackRest's catalog shows no archived WAL, or an archive that stops before the end of the
            newest backup. WAL-G's list carries no archive information, so this applies to pgBackRest only.
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
seealso:
  - module: golive.readiness.backup_freshness
  - module: golive.readiness.object_storage_backup
  - module: golive.readiness.verify
"""

EXAMPLES = r"""
- name: pgBackRest's catalog, written by the backup job after each run
  golive.readiness.backup_catalog:
    checks:
      - path: /var/lib/pgbackrest/info.json
        stanza: main
        max_age: 26h
        full_age_fail_above: 8d
        diff_age_fail_above: 2d
        count_warn_below: 7

- name: WAL-G's backup list, published by the backup host
  golive.readiness.backup_catalog:
    checks:
      - url: https://backups.internal.example.com/wal-g/backup-list.json
        bearer_token: "{{ vault_backup_host_token }}"
        format: walg_backup_list
        full_age_fail_above: 8d
        incr_age_fail_above: 26h
  delegate_to: localhost
"""

RETURN = r"""
golive_checks:
  description:
    - One record per item, in the order of O(checks).
    - C(observed) holds C(source) (the file read, or the URL without credentials), C(size), C(matches) for a glob,
      C(produced_at) and C(age) (the file's or the answer's); C(format), C(catalog) (the stanza, or C(wal-g)),
      C(count); with any backup C(newest), C(newest_type), C(newest_finished), C(newest_age), and for each type
      backed up C(<type>_newest) and C(<type>_age) (C(full), C(diff), C(incr)); C(backups_with_errors) when any;
      for pgBackRest with O(checks[].require_wal_archive) C(wal_min) and C(wal_max).
    - C(expected) holds the levels that are set, and C(wal_max) when the archive is required.
  returned: always
  type: list
  elements: dict
  sample:
    - id: backup_catalog:/var/lib/pgbackrest/info.json:main
      kind: backup_catalog
      section: backup
      title: Backup catalog /var/lib/pgbackrest/info.json (stanza main)
      status: pass
      severity: high
      summary: >-
        age 2h; backups kept 9; newest backup age 2h (fail > 1d 2h); newest full backup age 4d 2h (fail > 8d);
        newest differential backup age 2h; WAL archived up to 00000001000000A20000003C
      observed:
        source: /var/lib/pgbackrest/info.json
        size: {value: 8154, unit: bytes}
        produced_at: '2030-06-01T02:14:09Z'
        age: {value: 7203.0, unit: seconds}
        format: pgbackrest_info
        catalog: main
        count: {value: 9, unit: count}
        newest: 20300528-011502F_20300601-011503D
        newest_type: diff
        newest_finished: '2030-06-01T01:31:40Z'
        newest_age: {value: 9712.5, unit: seconds}
        full_newest: 20300528-011502F
        full_age: {value: 353412.1, unit: seconds}
        diff_newest: 20300528-011502F_20300601-011503D
        diff_age: {value: 9712.5, unit: seconds}
        wal_min: 00000001000000A000000001
        wal_max: 00000001000000A20000003C
      expected:
        age: {fail: {above: 93600}, unit: seconds}
        newest_age: {fail: {above: 93600}, unit: seconds}
        full_age: {fail: {above: 691200}, unit: seconds}
        wal_max: at or past the newest backup's last WAL segment
      duration_ms: 3
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

from ansible_collections.golive.readiness.plugins.module_utils._checks import backup_catalog
from ansible_collections.golive.readiness.plugins.module_utils._module import run_kind_module


def main():
    run_kind_module(backup_catalog)


if __name__ == "__main__":
    main()
