#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: log_health
short_description: Check application logs are written, writable, rotated and free of recent errors
version_added: 0.1.0
description:
  - For each log file, checks that it was written recently, that its writer may still write it and
    create files in its directory, that a logrotate stanza rotates it, and counts the lines matching
    error patterns among its last lines or the lines of a recent time window.
  - The end of the file is read backwards in blocks, so the size of the log does not matter; a time
    window reads at most 32 MiB.
  - Matching lines are returned, at most 5 (the newest), each truncated to 200 characters, with URL
    passwords, C(password=...) style values, bearer tokens and long key-like strings masked.
  - Runs on the managed host with the Python standard library only.
author: golive.readiness contributors (@golive-readiness)
extends_documentation_fragment:
  - golive.readiness.check_item
options:
  checks:
    description:
      - The logs to check, one item each.
      - An item's C(id) defaults to C(log_health:<path>).
      - Its C(title) defaults to C(Log <path>).
      # BEGIN generated: kind defaults (scripts/generate; do not edit by hand)
      - A C(log_health) item defaults to section V(monitoring) and severity V(high).
      # END generated: kind defaults
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description:
          - The log file, an absolute path.
          - May be a glob pattern (V(/var/log/shop/app-*.log)); the most recently modified match is
            checked. When nothing matches, or the file does not exist, the check fails.
        type: path
        required: true
      writable:
        description:
          - Check that the writer of the log may write the file and its directory (to re-create it
            after rotation). Decided from the mode bits, owner and groups as M(golive.readiness.path)
            does, never by writing; root may write anything except on a read-only filesystem.
        type: bool
        default: true
      writable_by:
        description:
          - The user that writes the log (name or uid). Defaults to the owner of the log file.
          - A user that does not exist on the host makes the check C(error).
        type: str
      age_warn_above:
        description: Warn when the log was last modified longer ago than this duration (V(1h)).
        type: str
      age_fail_above:
        description:
          - Fail when the log was last modified longer ago than this duration.
          - When neither I(age_warn_above) nor I(age_fail_above) is set, the check fails above V(24h).
        type: str
      rotation:
        description:
          - Require a logrotate stanza whose path patterns match the log (or the file it links to).
          - I(logrotate_conf) and the files it includes are read as logrotate reads them (included
            directories skip logrotate's taboo extensions such as C(.dpkg-old) and C(.disabled)).
            A stanza found only in I(logrotate_dir) when I(logrotate_conf) does not include it is a
            warning; two stanzas for one log are a warning (logrotate rejects duplicate entries).
        type: bool
        default: true
      logrotate_conf:
        description: The main logrotate configuration.
        type: path
        default: /etc/logrotate.conf
      logrotate_dir:
        description: The directory of logrotate snippets.
        type: path
        default: /etc/logrotate.d
      patterns:
        description:
          - Regular expressions (case-sensitive, searched anywhere in a line) that make a line an error line.
        type: list
        elements: str
        default: ['\bERROR\b', '\bCRITICAL\b', '\bFATAL\b', 'Traceback \(most recent call last\)', '\w*Exception\b']
      ignore_patterns:
        description: Lines matching any of these regular expressions are not counted.
        type: list
        elements: str
        default: []
      tail_lines:
        description:
          - How many of the last non-blank lines to examine (at most 100000). Defaults to 1000 when
            I(since) is not set.
        type: int
      since:
        description:
          - Examine the lines written within this duration (V(15m), V(1h)) instead of the last
            I(tail_lines), by each line's leading timestamp (ISO 8601 with or without zone, Python
            logging's V(2024-05-01 12:00:00,123), syslog's V(May  1 12:00:00), or the common log
            format's V([01/May/2024:12:00:00 +0000])). Lines without a timestamp (a traceback's) belong
            to the timestamped line above them. Timestamps without a zone are the host's local time.
          - When no line read has a timestamp the check can read, the check is an C(error).
        type: str
      matches_warn_above:
        description: Warn when more lines than this match.
        type: int
        default: 0
      matches_fail_above:
        description: Fail when more lines than this match.
        type: int
        default: 10
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
  - A log file the check cannot read is an C(error).
  - Log rotation done by the application itself (for example Python's C(RotatingFileHandler)) is not
    seen; set I(rotation=false) for such logs.
"""

EXAMPLES = r"""
- name: The shop's logs are healthy
  golive.readiness.log_health:
    checks:
      - path: /var/log/shop/app.log
        writable_by: shop
        age_warn_above: 15m
        age_fail_above: 1h
        since: 30m
        ignore_patterns: ['HealthCheckException']
      - path: /var/log/nginx/access.log
        patterns: ['" 5\d\d ']
        matches_warn_above: 5
        matches_fail_above: 50
        tail_lines: 5000
      - path: /srv/worker/logs/worker-*.log
        rotation: false
        matches_fail_above: 0
"""

RETURN = r"""
golive_checks:
  description:
    - One record per log, in the order of O(checks).
    - C(observed) holds C(exists), and for an existing log C(file) (the match of a glob), C(size) (bytes),
      C(age_seconds) (seconds), C(writable_by) (the user checked), C(rotation) (the stanza's C(config)
      V(/etc/logrotate.d/shop:1), C(patterns) and C(directives), or null), C(window) (such as V(last 15m) or
      V(last 1000 lines)), C(lines_scanned) (a count), C(bytes_read) (bytes), C(matches_by_pattern) (counts),
      C(matching_lines) (at most 5, masked and truncated) and C(matches) (a count).
    - C(expected) holds C(path), the C(age_seconds) level, C(rotation) when a logrotate stanza is required,
      and the C(matches) levels.
  returned: always
  type: list
  elements: dict
  sample:
    - id: log_health:/var/log/shop/app.log
      kind: log_health
      section: monitoring
      title: Log /var/log/shop/app.log
      status: warn
      severity: high
      summary: 3 matching lines in the last 15m (warn > 0, fail > 20)
      observed:
        exists: true
        file: /var/log/shop/app.log
        size: {value: 5242880, unit: bytes}
        age_seconds: {value: 4.0, unit: seconds}
        writable_by: shop
        rotation:
          config: /etc/logrotate.d/shop:1
          patterns: [/var/log/shop/*.log]
          directives: [compress, daily, rotate]
        window: last 15m
        lines_scanned: {value: 18230, unit: count}
        bytes_read: {value: 2411806, unit: bytes}
        matches_by_pattern: {ERROR|Traceback: {value: 3, unit: count}}
        matching_lines: ['2030-06-01 12:03:11 ERROR payment webhook failed: timeout']
        matches: {value: 3, unit: count}
      expected:
        path: /var/log/shop/app.log
        age_seconds: {fail: {above: 86400.0}, unit: seconds}
        rotation: a logrotate stanza in /etc/logrotate.conf or /etc/logrotate.d
        matches: {warn: {above: 0}, fail: {above: 20}, unit: count}
      duration_ms: 37
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

from ansible_collections.golive.readiness.plugins.module_utils._checks import log_health
from ansible_collections.golive.readiness.plugins.module_utils._module import run_kind_module


def main():
    run_kind_module(log_health)


if __name__ == "__main__":
    main()
