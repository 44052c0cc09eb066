#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dns_record
short_description: Check DNS records as a nameserver answers them
version_added: 0.1.0
description:
  - For each name and record type, asks a nameserver (I(nameserver), else those of the system resolver
    configuration in turn) and checks the answer set against expected values, a minimum count, allowed
    networks, a maximum TTL, a maximum CNAME chain length and the time the answer took.
  - A name that does not exist (NXDOMAIN), or that has no record of the type, is a C(fail), unless
    I(expect_absent) is set. A nameserver that times out, refuses the query (REFUSED), fails (SERVFAIL)
    or cannot be reached is an C(error) with the reason, since nothing could be evaluated.
  - For A and AAAA, CNAMEs are followed, also when the nameserver's answer stops at a CNAME (each
    further name is asked of the same nameserver); every query is bounded by the time left to the check.
  - Runs where the module runs, usually the controller or a probe host; needs the C(dnspython) library
    there. Sends only queries.
  - B(Size cap.) An answer is one DNS message, at most 64 KiB by the protocol (C(DNS_MESSAGE_CAP));
    dnspython reads a UDP datagram of at most 65535 bytes and a TCP message behind a 16-bit length, so
    no answer can grow past it; nothing is read beyond one message per query.
author: golive.readiness contributors (@golive-readiness)
extends_documentation_fragment:
  - golive.readiness.check_item
requirements:
  - dnspython >= 2.0 (where the module runs)
options:
  checks:
    description:
      - The records to check, one item each.
      - An item's C(id) defaults to C(dns_record:<name> <type>).
      - Its C(title) defaults to C(DNS <name> <type>).
      # BEGIN generated: kind defaults (scripts/generate; do not edit by hand)
      - A C(dns_record) item defaults to section V(infrastructure) and severity V(high).
      # END generated: kind defaults
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The domain name to ask about (V(api.example.com)); a trailing dot is allowed.
        type: str
        required: true
      type:
        description:
          - The record type, one of V(A), V(AAAA), V(CNAME), V(MX), V(TXT), V(NS) (in any case).
          - Answers are shown and compared as addresses (A, AAAA), names without the trailing dot
            (CNAME, NS), V(<preference> <exchange>) (MX, V(10 mail.example.com)) or the record's text
            with its strings joined (TXT).
        type: str
        default: A
      values:
        description:
          - The expected answers, written like the answers are shown (see I(type)). Addresses are
            compared as addresses (V(fd00:0::1) equals V(fd00::1)), names case-insensitively.
          - An MX value without a preference (V(mail.example.com)) matches that exchange at any preference.
        type: list
        elements: str
      match:
        description:
          - How I(values) is compared with the answers.
          - V(exact) fails on any missing and any unexpected answer; V(contains) only on missing ones.
        type: str
        choices: [exact, contains]
        default: exact
      min_count:
        description: Fail when there are fewer answers than this (for example V(2) for redundant MX or NS).
        type: int
      within_cidrs:
        description:
          - For A and AAAA, every address answered must lie in one of these networks (V(10.0.0.0/8)).
          - Compared with Python's standard C(ipaddress) module.
        type: list
        elements: str
      ttl_max:
        description:
          - Fail when the TTL is longer, as a duration (V(5m)) or seconds (V(300)). Before a cut-over,
            a long TTL keeps the old answer in caches.
          - The TTL checked is the longest of the answer's and of its CNAMEs'. A caching resolver
            shows the time left in its cache; ask the authoritative nameserver for the configured TTL.
        type: str
      cname_chain_max:
        description: For A and AAAA, fail when more CNAMEs than this lead to the addresses.
        type: int
      nameserver:
        description:
          - IP address of the nameserver to ask. When not set, the nameservers of the system resolver
            configuration (C(/etc/resolv.conf)) where the module runs are asked in turn.
        type: str
      nameserver_port:
        description: Port of the nameserver.
        type: int
        default: 53
      protocol:
        description:
          - Transport of the queries. Over V(udp), an answer too large for UDP (truncated) is asked
            again over TCP.
        type: str
        choices: [udp, tcp]
        default: udp
      latency_warn_above:
        description: Warn when resolving takes longer than this duration (V(200ms)), CNAME queries included.
        type: str
      latency_fail_above:
        description: Fail when resolving takes longer than this duration.
        type: str
      expect_absent:
        description:
          - The name must not have records of I(type). Passes when it does not exist or has none, fails
            when it has some (a decommissioned host, a staging name that must not be public).
          - Cannot be combined with I(values), I(min_count), I(within_cidrs), I(ttl_max) or I(cname_chain_max).
        type: bool
        default: false
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
  - module: golive.readiness.tcp_port
"""

EXAMPLES = r"""
- name: The public names point where the go-live plan says
  golive.readiness.dns_record:
    checks:
      - name: api.example.com
        values: [203.0.113.10, 203.0.113.11]
        ttl_max: 5m
      - name: www.example.com
        within_cidrs: [203.0.113.0/24]
        cname_chain_max: 2
      - name: example.com
        type: MX
        values: [10 mx1.example.com, 20 mx2.example.com]
      - name: _dmarc.example.com
        type: TXT
        values: ["v=DMARC1; p=reject; rua=mailto:dmarc@example.com"]
      - name: staging.example.com
        expect_absent: true
        severity: medium
  delegate_to: localhost

- name: Ask the authoritative nameserver, over TCP, and time it
  golive.readiness.dns_record:
    checks:
      - name: api.example.com
        nameserver: 198.51.100.53
        protocol: tcp
        min_count: 2
        latency_warn_above: 200ms
        latency_fail_above: 1s
"""

RETURN = r"""
golive_checks:
  description:
    - One record per item, in the order of O(checks).
    - C(observed) holds C(nameserver) (V(address:port) that answered), C(cname_chain) (the names the CNAMEs
      lead through, in order), C(ttl) (seconds), C(answers) (sorted) and C(latency_ms) (ms); also C(count)
      (a count) with I(min_count) and C(cname_chain_length) (a count) when I(cname_chain_max) is set.
    - C(expected) holds C(values) and C(match) when I(values) are given, C(within_cidrs), C(absent) with
      I(expect_absent), and the levels of C(count), C(ttl) and C(cname_chain_length) that are set.
  returned: always
  type: list
  elements: dict
  sample:
    - id: dns_record:shop.example.com A
      kind: dns_record
      section: infrastructure
      title: DNS shop.example.com A
      status: pass
      severity: high
      summary: A 203.0.113.10, 203.0.113.11; via CNAME shop.example.com -> lb.example.net; TTL 5m; latency 13ms
      observed:
        nameserver: 192.0.2.53:53
        cname_chain: [shop.example.com, lb.example.net]
        ttl: {value: 300, unit: seconds}
        answers: [203.0.113.10, 203.0.113.11]
        latency_ms: {value: 12.7, unit: ms}
      expected: {values: [203.0.113.10, 203.0.113.11], match: exact}
      duration_ms: 15
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

from ansible_collections.golive.readiness.plugins.module_utils._checks import dns_record
from ansible_collections.golive.readiness.plugins.module_utils._module import run_kind_module


def main():
    run_kind_module(dns_record)


if __name__ == "__main__":
    main()
