#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: time_sync
short_description: Check the host clock against NTP servers, and the host timezone
version_added: 0.1.0
description:
  - Measures the offset of the managed host's clock from each NTP server with one SNTP request
    (RFC 4330, UDP) and grades the median offset of the servers that answered against warn and fail levels.
  - Each server is queried in turn and gets an equal share of the time the check has left. A reply is
    used only when it is a server reply that echoes the request, with stratum 1 to 15, a transmit time,
    and a leap indicator other than "unsynchronized". A kiss-of-death (stratum 0), an unsynchronized
    server, a timeout or an unreachable port make that server "not answering"; it is listed in the result.
  - C(error) when no server answered (the offset cannot be measured); C(fail) when some answered but
    fewer than I(min_servers).
  - Checks the host's timezone against I(timezone). The timezone is read as the C library
    does, in this order - the C(TZ) environment variable of the module (set it with the task's
    C(environment) to check what a service started with that environment sees), the target of the
    C(/etc/localtime) symbolic link, then C(/etc/timezone) when C(/etc/localtime) is a copy rather than
    a link. Without any of them the C library uses UTC, and so does the check. The result names the source.
  - Two names of the same zone match (C(UTC) and C(Etc/UTC)) when their files in C(/usr/share/zoneinfo)
    are the same.
  - Runs on the managed host with the Python standard library only. It never sets the clock.
author: golive.readiness contributors (@golive-readiness)
extends_documentation_fragment:
  - golive.readiness.check_item
options:
  checks:
    description:
      - The time checks, one item each (usually one per host).
      - An item's C(id) defaults to C(time_sync:<servers joined by commas>), or C(time_sync:timezone).
      - Its C(title) defaults to C(Time sync).
      - An item's C(timeout) is the time limit of this check, shared by its NTP queries.
      # BEGIN generated: kind defaults (scripts/generate; do not edit by hand)
      - A C(time_sync) item defaults to section V(infrastructure) and severity V(high).
      # END generated: kind defaults
    type: list
    elements: dict
    required: true
    suboptions:
      ntp_servers:
        description:
          - NTP servers to query, as V(host), V(host:port), V([ipv6]:port) or a bare IPv6 address.
            The port defaults to V(123).
          - At least one of I(ntp_servers) and I(timezone) is required.
        type: list
        elements: str
      max_offset:
        description:
          - Fail when the median clock offset (either direction) is above this duration (V(500ms), V(1s)).
          - Another name for I(offset_fail_above).
        type: str
      offset_warn_above:
        description: Warn when the median clock offset is above this duration.
        type: str
      offset_fail_above:
        description:
          - Fail when the median clock offset is above this duration (V(5m)).
          - When no offset level is set (neither this, I(max_offset) nor I(offset_warn_above)), the levels
            are V(100ms) (warn) and V(1s) (fail).
        type: str
      timezone:
        description: The IANA timezone the host must use, such as V(Europe/Paris) or V(UTC).
        type: str
      min_servers:
        description: How many of I(ntp_servers) must answer.
        type: int
        default: 1
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
  - module: golive.readiness.verify
"""

EXAMPLES = r"""
- name: Clocks are within a second of the company NTP servers, and in UTC
  golive.readiness.time_sync:
    checks:
      - ntp_servers: [ntp1.internal.example.com, ntp2.internal.example.com, "10.0.0.5:123"]
        min_servers: 2
        offset_warn_above: 100ms
        max_offset: 1s
        timezone: UTC

- name: What a service started with TZ=Europe/Paris sees
  golive.readiness.time_sync:
    checks:
      - timezone: Europe/Paris
  environment:
    TZ: Europe/Paris
"""

RETURN = r"""
golive_checks:
  description:
    - One record per item, in the order of O(checks).
    - C(observed) holds C(servers), one entry per server with C(server), C(answered) and either
      C(offset_ms) (ms, positive when the host is behind the server), C(delay_ms) (ms) and C(stratum), or
      C(error); C(servers_answered) (a count); C(median_offset_ms) (ms) of the servers that answered;
      C(timezone) and C(timezone_source).
    - C(expected) holds the C(servers_answered) level (I(min_servers)), the C(median_offset_ms) levels and
      C(timezone) when given.
  returned: always
  type: list
  elements: dict
  sample:
    - id: time_sync:pool.ntp.org
      kind: time_sync
      section: infrastructure
      title: Time sync
      status: pass
      severity: high
      summary: >-
        clock offset +12ms (median of 1 server; warn > 100ms, fail > 1s); timezone Etc/UTC
        (from /etc/localtime -> /usr/share/zoneinfo/Etc/UTC)
      observed:
        servers:
          - {server: pool.ntp.org, answered: true, offset_ms: {value: 12.1, unit: ms},
             delay_ms: {value: 21.4, unit: ms}, stratum: 2}
        servers_answered: {value: 1, unit: count}
        median_offset_ms: {value: 12.1, unit: ms}
        timezone: Etc/UTC
        timezone_source: /etc/localtime -> /usr/share/zoneinfo/Etc/UTC
      expected:
        servers_answered: {fail: {below: 1}, unit: count}
        median_offset_ms: {warn: {above: 100.0}, fail: {above: 1000.0}, unit: ms}
        timezone: Etc/UTC
      duration_ms: 54
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

from ansible_collections.golive.readiness.plugins.module_utils._checks import time_sync
from ansible_collections.golive.readiness.plugins.module_utils._module import run_kind_module


def main():
    run_kind_module(time_sync)


if __name__ == "__main__":
    main()
