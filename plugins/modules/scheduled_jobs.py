#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: scheduled_jobs
short_description: Check required cron jobs exist with the expected schedule, time zone and next run
version_added: 0.1.0
description:
  - For each required job, finds the cron entries whose command matches a regular expression in the
    user's crontab, C(/etc/crontab) and the files of C(/etc/cron.d), and checks the entry's schedule
    and time zone, and that its next run falls within a window.
  - The next run is computed with cron's own semantics (Vixie cron, as Debian's cron and cronie read
    crontabs), with names of months and days, V(7) for Sunday, lists, ranges and steps, the C(@daily) style
    aliases, and when both the day-of-month and the day-of-week fields are restricted (neither starts
    with C(*)), a day matching either runs the job. Across a daylight saving change, a time that
    happens twice runs once, and a time that is skipped runs when the clock jumps, except for jobs
    whose minute or hour field starts with C(*), which follow the new clock.
  - Commented-out entries do not count, nor do entries in C(/etc/cron.d) files cron skips (names with
    characters other than letters, digits, C(_) and C(-), such as C(backup.cron); files not owned by
    root or writable by group or others); when only such an entry exists, the failure names it. A line
    cron rejects is a finding, in the file of the matched entry or when it mentions the command.
    Several entries running the command are a warning (the job may run more than once).
  - The user's crontab is read from the spool directory; when that is not readable by the user running
    the check, through C(crontab -l), which may read it. Nothing is changed.
  - Runs on the managed host with the Python standard library only. Named time zones need Python 3.9
    or later (C(zoneinfo)) on the host; on Python 3.8 a named zone other than UTC is an C(error), and
    the host's own zone is the local time of the check's process.
author: golive.readiness contributors (@golive-readiness)
extends_documentation_fragment:
  - golive.readiness.check_item
options:
  checks:
    description:
      - The required jobs, one item each.
      - An item's C(id) defaults to C(scheduled_jobs:<command>) or C(scheduled_jobs:<command>@<user>).
      - Its C(title) defaults to C(Cron job /<command>/).
      # BEGIN generated: kind defaults (scripts/generate; do not edit by hand)
      - A C(scheduled_jobs) item defaults to section V(application) and severity V(high).
      # END generated: kind defaults
    type: list
    elements: dict
    required: true
    suboptions:
      command:
        description:
          - A regular expression searched for in each entry's command (as written in the crontab,
            C(%) included), for example V(/opt/app/bin/backup --full).
        type: str
        required: true
      user:
        description:
          - The user the job runs as. Its crontab is searched, and in C(/etc/crontab) and C(/etc/cron.d)
            only entries with this user field count.
          - When not set, the crontab of the user running the check is searched and system entries of
            any user count.
        type: str
      schedule:
        description:
          - The expected schedule, five fields (V(0 3 * * *)) or an alias (V(@daily), V(@reboot)).
          - Compared by meaning, not text, for example V(0 3 * * *) equals V(0 3 * * 0-7) and
            V(@daily) equals V(0 0 * * *).
        type: str
      timezone:
        description:
          - The time zone the job must be scheduled in, as an IANA name (V(Europe/Berlin), V(UTC)).
          - The entry's zone is its C(CRON_TZ) setting when this host's cron honours it (see I(cron_tz)),
            else the host's zone (C(/etc/timezone), else the C(/etc/localtime) link).
          - Names that are links to the same zone data are equal (V(UTC) and V(Etc/UTC)).
        type: str
      fires_within:
        description:
          - The next run must come within this duration from now (V(25h), V(15m)); fails otherwise.
          - Not allowed with an C(@reboot) I(schedule).
        type: str
      sources:
        description:
          - Where to look. V(user) is the user's crontab in I(spool_dir), V(crontab) is I(crontab_file),
            V(cron_d) is every file of I(cron_d_dir).
        type: list
        elements: str
        choices: [user, crontab, cron_d]
        default: [user, crontab, cron_d]
      spool_dir:
        description: The directory of the users' crontabs (Debian; cronie uses V(/var/spool/cron)).
        type: path
        default: /var/spool/cron/crontabs
      crontab_file:
        description: The system crontab.
        type: path
        default: /etc/crontab
      cron_d_dir:
        description: The directory of system crontab fragments.
        type: path
        default: /etc/cron.d
      cron_tz:
        description:
          - Whether this host's cron schedules entries by a C(CRON_TZ) line above them. cronie does;
            Debian's cron does not (it runs every job in the host's zone).
          - V(auto) decides by the installed daemon, C(crond) (cronie) or C(cron) (Debian). An entry with
            C(CRON_TZ) on a cron that ignores it is a warning.
        type: str
        choices: [auto, honored, ignored]
        default: auto
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
  - Jobs run by C(run-parts) from C(/etc/cron.daily) and similar directories, systemd timers and
    anacron are not examined.
  - The cron daemon itself is not checked; use M(golive.readiness.process) for that.
"""

EXAMPLES = r"""
- name: The nightly backup and the queue worker are scheduled
  golive.readiness.scheduled_jobs:
    checks:
      - command: /opt/shop/bin/backup\b
        user: postgres
        schedule: "30 2 * * *"
        timezone: Europe/Berlin
        fires_within: 25h
      - command: bin/queue-worker --once
        user: www-data
        schedule: "*/5 * * * *"
        sources: [cron_d]
      - command: certbot renew
        schedule: "@daily"
        severity: medium
"""

RETURN = r"""
golive_checks:
  description:
    - One record per job, in the order of O(checks).
    - C(observed) holds C(searched) (the crontabs read) and, when an entry runs the command, C(entry)
      (V(/etc/cron.d/shop:4)), C(entries) (every matching entry), C(schedule), C(user), C(timezone),
      C(command) (URL passwords, assigned secrets and bearer tokens masked), C(next_run) (ISO 8601 with
      the zone's offset, or null for C(@reboot)) and C(next_run_in_seconds) (seconds).
    - C(expected) holds C(command) (the pattern searched), and C(user), C(schedule), C(timezone) and the
      C(next_run_in_seconds) level (with I(fires_within)) as asked for.
  returned: always
  type: list
  elements: dict
  sample:
    - id: scheduled_jobs:/srv/shop/bin/nightly-export
      kind: scheduled_jobs
      section: application
      title: Cron job /nightly-export/
      status: pass
      severity: high
      summary: /etc/cron.d/shop:4 runs /nightly-export/; next run 2030-06-02T02:30:00+02:00 (in 13h 27m)
      observed:
        searched: [/etc/crontab, /etc/cron.d/shop, /var/spool/cron/crontabs/shop]
        entry: /etc/cron.d/shop:4
        entries: ['/etc/cron.d/shop:4']
        schedule: 30 2 * * *
        timezone: Europe/Berlin
        user: shop
        command: /srv/shop/bin/nightly-export --to s3://exports
        next_run: '2030-06-02T02:30:00+02:00'
        next_run_in_seconds: {value: 48420, unit: seconds}
      expected: {command: nightly-export, user: shop}
      duration_ms: 5
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

from ansible_collections.golive.readiness.plugins.module_utils._checks import scheduled_jobs
from ansible_collections.golive.readiness.plugins.module_utils._module import run_kind_module


def main():
    run_kind_module(scheduled_jobs)


if __name__ == "__main__":
    main()
