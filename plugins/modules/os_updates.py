#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: os_updates
short_description: Check pending OS package upgrades, security updates, package list age and reboot flag
version_added: 0.2.0
description:
  - Counts the packages with a newer version available and how many of those versions come from a security
    archive, lists the security ones (name, installed and candidate version, origin), measures how long ago
    the package lists were refreshed and says whether the host waits for a reboot.
  - Debian and Ubuntu (tested) - simulates C(apt-get -s -qq dist-upgrade) over the package lists the host
    already has; nothing is downloaded or refreshed (no C(apt-get update)). Every installed package the
    simulation would upgrade is pending; it is a security update when one of the archives its new version
    comes from (as apt prints them, V(Debian-Security:12/bookworm-security), V(Ubuntu:24.04/noble-security))
    matches O(checks[].security_origin_regex). C(dist-upgrade) rather than C(upgrade), so that an update
    held back because it needs a new package still counts.
  - RHEL family (RHEL, Rocky, Alma, Fedora with dnf 4) - B(untested), since there is no dnf on the machine the
    collection is developed on; the output parsed is the documented one. Pending upgrades are
    C(dnf -q --cacheonly check-update) (exit code 100 when there are some), security updates those of its
    packages listed by C(dnf -q --cacheonly updateinfo list --security), the lists' age the newest
    C(repodata/repomd.xml) of dnf's cache, and the reboot flag the exit code of C(needs-restarting -r).
  - The lists' age is the modification time of C(/var/lib/apt/periodic/update-success-stamp), which apt's
    periodic update and Ubuntu's update-notifier write after every successful refresh, else of the directory
    C(/var/lib/apt/lists), which every refresh changes (apt gives each list file the time the server gave it,
    not the time of the refresh).
  - The reboot flag on Debian and Ubuntu is C(/run/reboot-required) (or C(/var/run/reboot-required)), with
    the packages that asked for it from C(/run/reboot-required.pkgs) (at most 64 KiB, C(REBOOT_PACKAGES_CAP)).
  - Read-only by mechanism - when the module runs as root the package manager runs as C(nobody) (Python 3.9
    or later on the host), which may write none of the package state; apt runs without its lock
    (C(Debug::NoLocking)) and without the planner log (C(Dir::Log::Planner)) that a simulation otherwise writes
    to C(/var/log/apt). The package manager's output is read up to 16 MiB a stream (C(PACKAGE_OUTPUT_CAP));
    over it the check is an error naming the cap.
  - Anything that could not be evaluated (the package manager missing or failing, no package lists) is an
    C(error) naming what, never a pass.
author: golive.readiness contributors (@golive-readiness)
extends_documentation_fragment:
  - golive.readiness.check_item
options:
  checks:
    description:
      - The checks to run, one item each. Usually a single item per host; give further items an explicit I(id).
      - An item's C(id) defaults to C(os_updates:host).
      - Its C(title) defaults to C(Pending OS updates).
      - The simulation reads every package list of the host, which takes a few seconds (more on a host with
        hundreds of pending upgrades or without apt's binary cache); give the item a I(timeout) of V(30s).
      # BEGIN generated: kind defaults (scripts/generate; do not edit by hand)
      - A C(os_updates) item defaults to section V(security) and severity V(high).
      # END generated: kind defaults
    type: list
    elements: dict
    required: true
    suboptions:
      manager:
        description:
          - The package manager to ask. V(auto) takes C(apt-get) when it is on the PATH, else C(dnf).
        type: str
        choices: [auto, apt, dnf]
        default: auto
      security_warn_above:
        description: Warn when more security updates than this are pending.
        type: str
      security_fail_above:
        description:
          - Fail when more security updates than this are pending.
          - When neither this nor O(checks[].security_warn_above) is set, any pending security update fails
            (fail above V(0)). Setting one of them sets only that level.
        type: str
      pending_warn_above:
        description: Warn when more upgrades than this (security or not) are pending. No level by default.
        type: str
      pending_fail_above:
        description: Fail when more upgrades than this are pending.
        type: str
      list_age_warn_above:
        description:
          - Warn when the package lists were last refreshed longer ago than this duration (V(7d), V(36h)).
          - Stale lists make "no security update pending" meaningless.
          - When neither this nor O(checks[].list_age_fail_above) is set, the lists warn when older than V(7d).
        type: str
      list_age_fail_above:
        description: Fail when the package lists were last refreshed longer ago than this duration.
        type: str
      reboot_required:
        description:
          - The status when the host waits for a reboot (a new kernel or C(libc) installed but not running),
            V(fail), V(warn) or V(pass) (only reported).
        type: str
        choices: [fail, warn, pass]
        default: warn
      security_origin_regex:
        description:
          - A Python regular expression; an upgrade is a security update when any archive its new version
            comes from matches it.
          - apt shows an archive as C(Label:Version/Suite) (V(Debian-Security:12/bookworm-security),
            V(Ubuntu:24.04/noble-security)); dnf's as the repository, with the advisory for a security update.
        type: str
        default: (?i)security
      root:
        description:
          - The root of the file tree to look at, for a system mounted elsewhere (an image, a container's root).
          - apt reads its package state and lists under it (C(Dir) and C(Dir::State::status)) with the
            configuration of the host the module runs on; dnf gets it as C(--installroot). The lists' age and
            the reboot flag are read under it. C(needs-restarting) looks only at the running system.
        type: path
        default: /
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
  - A security fix superseded by a newer version from a non-security archive counts as a plain upgrade, since the
    simulation shows only the version the host would install.
"""

EXAMPLES = r"""
- name: No security update is pending, the lists are fresh and no reboot waits
  golive.readiness.os_updates:
    checks:
      - timeout: 30s
        list_age_warn_above: 2d
        list_age_fail_above: 7d
        pending_warn_above: 20
        reboot_required: fail

- name: Only report the updates (no level fails)
  golive.readiness.os_updates:
    checks:
      - timeout: 30s
        security_warn_above: 1000
        reboot_required: pass
    fail_on: []
"""

RETURN = r"""
golive_checks:
  description:
    - One record per item, in the order of O(checks).
    - C(observed) holds C(manager) (V(apt) or V(dnf)), C(security_count) and C(pending_count) (counts; pending
      includes the security updates), C(security_packages) and C(other_packages) (the first 100 of each,
      C(LISTED_PACKAGES), each C({name, installed, candidate, origin}); C(installed) is null with dnf),
      C(packages_listed_max), C(lists_refreshed_at) (ISO 8601, UTC), C(lists_source) (the file or directory whose
      time it is), C(lists_age_seconds) (seconds), C(reboot_required) (a flag) and C(reboot_packages).
    - C(expected) holds the levels of C(security_count), C(pending_count) and C(lists_age_seconds) that are set,
      and C(reboot_required) V(false) unless O(checks[].reboot_required) is V(pass).
  returned: always
  type: list
  elements: dict
  sample:
    - id: os_updates:host
      kind: os_updates
      section: security
      title: Pending OS updates
      status: fail
      severity: high
      summary: >-
        security updates 1 [libssl3 3.0.15-1~deb12u1 -> 3.0.17-1~deb12u2] (fail > 0); pending upgrades 3;
        package lists refreshed 2h 5m ago (warn > 7d); no reboot required
      observed:
        manager: apt
        security_count: {value: 1, unit: count}
        pending_count: {value: 3, unit: count}
        security_packages:
          - {name: libssl3, installed: 3.0.15-1~deb12u1, candidate: 3.0.17-1~deb12u2,
             origin: "Debian-Security:12/bookworm-security"}
        other_packages:
          - {name: tzdata, installed: 2024a-0+deb12u1, candidate: 2025b-0+deb12u1, origin: "Debian:12.11/stable"}
          - {name: base-files, installed: 12.4+deb12u10, candidate: 12.4+deb12u11, origin: "Debian:12.11/stable"}
        packages_listed_max: 100
        lists_refreshed_at: "2026-11-24T08:10:02+00:00"
        lists_source: /var/lib/apt/lists
        lists_age_seconds: {value: 7500.0, unit: seconds}
        reboot_required: false
        reboot_packages: []
      expected:
        security_count: {fail: {above: 0}, unit: count}
        lists_age_seconds: {warn: {above: 604800.0}, unit: seconds}
        reboot_required: false
      duration_ms: 2410
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

from ansible_collections.golive.readiness.plugins.module_utils._checks import os_updates
from ansible_collections.golive.readiness.plugins.module_utils._module import run_kind_module


def main():
    run_kind_module(os_updates)


if __name__ == "__main__":
    main()
