# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module-level options shared by every check module (private).

Ansible merges a fragment only at the top level of DOCUMENTATION and never merges its RETURN: what the
check modules share below that level (item options, record fields) is written once in
scripts/generators/module_docs.yml and copied into each module by scripts/generate.
"""

from __future__ import annotations


class ModuleDocFragment(object):

    # Module-level options of every check module and of verify.
    DOCUMENTATION = r"""
options:
  severity:
    description:
      - Default severity of every check that does not set its own.
      - When neither is set, each kind has its own default (see its I(checks) documentation).
    type: str
    choices: [critical, high, medium, low]
  section:
    description:
      - Checklist section recorded in every result that does not set its own.
      - Defaults to the kind's natural section (for example C(infrastructure) for M(golive.readiness.disk_space)).
    type: str
  timeout:
    description:
      - Default time limit of each check, as a duration (V(10s), V(500ms), V(2m)) or seconds.
      - A check still running at its limit is reported as C(error) with C(timed out after ...);
        it never stalls the call.
      - From V(1ms) to V(24h), like every check's own C(timeout); NaN, infinities and values
        outside the range are refused with an error naming the option.
    type: raw
    default: 10s
  deadline:
    description:
      - Time limit of the whole call. Checks still running or not yet started when it passes are
        reported as C(error).
      - From V(1ms) to V(24h); NaN, infinities and values outside the range are refused.
      - V(auto) derives it from the work, so that it never cuts a check short by itself - for each pool
        (O(max_workers), O(network_workers)) the number of waves times the longest check timeout, the
        slower pool's figure plus 10% (at least 10s) for a loaded machine. The golive playbook's probe
        play uses V(auto).
    type: raw
    default: 45s
  max_workers:
    description:
      - How many checks run at the same time (network-bound checks aside, see O(network_workers)), from
        V(1) to V(256).
    type: int
    default: 8
  network_workers:
    description:
      - How many network-bound checks run at the same time, in a pool of their own next to
        O(max_workers). Network-bound are the kinds that spend their time waiting on one short-lived
        connection to a remote server - C(alertmanager), C(dns_record), C(http_endpoint),
        C(prometheus_query), C(prometheus_targets), C(redis), C(smtp_server), C(stripe_account), C(tcp_port),
        C(tls_certificate). A thread waiting on a socket costs little, so a probe checking a whole
        fleet's endpoints keeps its call short. Database kinds stay in the O(max_workers) pool, as
        database servers cap their connections.
      - V(0) runs every check in the O(max_workers) pool; at most V(1024).
    type: int
    default: 64
  wait:
    description:
      - How long to wait for checks that do not pass yet, as a duration (V(10m), V(90s)); V(0s) runs each
        check once. Meant for the run right after a deploy, while services are still coming up.
      - A check whose round ends in C(fail) or C(error) (a refused connection, a 502, a missing
        process) is run again, only that check, after a pause of O(wait_interval) that doubles each
        round up to O(wait_max_interval); its last round is due at the wait's end at the latest. It
        stops as soon as it passes. C(warn) and C(skipped) are settled and run once, and so is a
        M(golive.readiness.backup_restore) drill (minutes of work each round).
      - The result of each check is its last round's, with the number of rounds in C(rounds) and the
        time from its first round's start to its last round's end in C(duration_ms).
      - The call may take the wait longer than O(deadline), which limits the checks' work as without
        a wait (a check timing out against it is C(error), as always), so its limit is O(deadline)
        plus O(wait). No round starts after the wait's end (give or take a couple of seconds on a loaded
        machine), and each round ends by its check's
        O(timeout), so the call ends at the latest the longest check timeout after the wait.
      - From V(0s) to V(24h).
    type: raw
    default: 0s
  wait_interval:
    description:
      - With O(wait), the pause after a check's first round that did not pass; each further pause is
        twice the one before, up to O(wait_max_interval). From V(100ms) to V(1h).
    type: raw
    default: 2s
  wait_max_interval:
    description:
      - With O(wait), the longest pause between two rounds of a check. From V(100ms) to V(1h), and not
        shorter than O(wait_interval); the same value for both gives a fixed pause.
    type: raw
    default: 30s
  fail_on:
    description:
      - Statuses that fail the task, like M(ansible.builtin.assert).
      - The golive playbook sets this to V([]) so every check runs and the report is complete.
    type: list
    elements: str
    choices: [pass, warn, fail, error, skipped]
    default: [fail, error]
notes:
  - Checks only read; the one exception is the opt-in M(golive.readiness.backup_restore) drill, which
    writes only to a scratch database it creates and drops. Every module supports check mode and
    reports C(changed=false).
  - A check that cannot be evaluated (timeout, refused connection, missing library, unreadable
    file) is reported as C(error), never as C(pass).
  - Every numeric option of every check must be a finite number inside its range (time limits V(1ms)
    to V(24h), ports V(1) to V(65535), sizes up to V(1EiB), durations up to V(3650d), percentages
    V(0) to V(100), counts up to V(1000000000000)); a text option holding a NUL byte is refused. The
    error names the item, the option, the value and the range.
attributes:
  check_mode:
    support: full
    description: Checks only read, so they run the same in check mode.
  diff_mode:
    support: none
    description: Nothing is changed, so there is no diff.
"""
