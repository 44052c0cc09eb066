#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: tcp_port
short_description: Check that TCP ports are open, or stay closed, from where the module runs
version_added: 0.1.0
description:
  - For each host and port, opens a TCP connection from where the module runs (the controller or a
    probe host) and checks that it succeeds (I(state=open)), optionally within a time and with a
    greeting matching a regular expression, or that it does not (I(state=closed)).
  - With I(state=open), a refused or unanswered connection is a C(fail), since the port cannot be
    reached and that is the finding. With I(state=closed), a refused connection, one that times out (the port is
    filtered) and an unreachable network all pass, and the result says which; a connection that
    succeeds fails.
  - Proving a filtered port closed takes the check's whole I(timeout); give such checks a short one.
  - A host name that does not resolve is an C(error), as nothing could be tried. A name with several
    addresses is tried at each in turn until one connects (the port is open when any of them accepts).
  - The connection is closed at once unless I(banner_regex) is set. Nothing is sent unless I(send) is.
  - Runs with the Python standard library only.
author: golive.readiness contributors (@golive-readiness)
extends_documentation_fragment:
  - golive.readiness.check_item
options:
  checks:
    description:
      - The ports to check, one item each.
      - An item's C(id) defaults to C(tcp_port:<host>:<port>).
      - Its C(title) defaults to C(TCP port <host>:<port>).
      # BEGIN generated: kind defaults (scripts/generate; do not edit by hand)
      - A C(tcp_port) item defaults to section V(security) and severity V(high).
      # END generated: kind defaults
    type: list
    elements: dict
    required: true
    suboptions:
      host:
        description: Host name or IP address to connect to (an IPv6 address may be written in brackets).
        type: str
        required: true
      port:
        description: TCP port, 1-65535.
        type: int
        required: true
      state:
        description:
          - V(open) when a connection must succeed, V(closed) when it must not (a database port seen
            from the public side, an admin port from outside the VPN).
        type: str
        choices: [open, closed]
        default: open
      connect_warn_above:
        description: With I(state=open), warn when connecting takes longer than this duration (V(200ms)).
        type: str
      connect_fail_above:
        description: With I(state=open), fail when connecting takes longer than this duration.
        type: str
      banner_regex:
        description:
          - With I(state=open), a regular expression (Python syntax, multi-line) the first bytes the
            server sends must match, for example V(^SSH-2\\.0-) or V(^220 ) for SMTP.
          - Reading stops when the expression matches, when the server closes the connection, at
            4 KiB, or half a second after the last bytes came; the whole wait is bounded by the
            check's I(timeout). A server that sends nothing at all within it is an C(error)
            (C(timed out ...)); one that closes without sending anything fails.
          - The bytes are decoded as UTF-8 (invalid bytes replaced) before matching.
        type: str
      send:
        description:
          - With I(banner_regex), text sent (encoded as UTF-8) right after connecting, for protocols
            in which the client speaks first; I(banner_regex) is then matched against the answer.
            For example V("PING\\r\\n") with V(^\\+PONG) for Redis. In YAML, write control characters
            in a double-quoted string (V("PING\\r\\n")).
          - B(Send only what reads or greets.) The module sends the text as given and cannot tell
            what it does on the server; never send commands that change anything, nor credentials.
        type: str
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
  - module: golive.readiness.dns_record
"""

EXAMPLES = r"""
- name: The public side exposes HTTPS and SSH, never the database
  golive.readiness.tcp_port:
    checks:
      - host: api.example.com
        port: 443
        connect_warn_above: 200ms
        connect_fail_above: 1s
      - host: bastion.example.com
        port: 22
        banner_regex: '^SSH-2\.0-OpenSSH_'
      - host: db.example.com
        port: 5432
        state: closed
        timeout: 3s
        severity: critical
  delegate_to: localhost

- name: Redis answers PING from the application servers
  golive.readiness.tcp_port:
    checks:
      - host: redis.internal
        port: 6379
        send: "PING\r\n"
        banner_regex: '^\+PONG'
"""

RETURN = r"""
golive_checks:
  description:
    - One record per item, in the order of O(checks).
    - C(observed) holds C(state) (V(open), V(refused), V(timed out), V(unreachable)), C(address) (the
      address last tried), C(tried) (every address tried, in order), C(connect_ms) (ms) when it connected
      and was expected to, C(reason) when it did not, and C(banner) (the first 200 characters read) with
      I(banner_regex).
    - C(expected) holds C(state) (V(open) or V(closed)), the C(connect_ms) levels when set, and C(banner_regex).
  returned: always
  type: list
  elements: dict
  sample:
    - id: tcp_port:db.internal:5432
      kind: tcp_port
      section: security
      title: TCP port db.internal:5432
      status: fail
      severity: high
      summary: 'open: 10.0.0.21 accepted the connection (expected closed)'
      observed: {state: open, address: 10.0.0.21, tried: [10.0.0.21]}
      expected: {state: closed}
      duration_ms: 3
      target: db01
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

from ansible_collections.golive.readiness.plugins.module_utils._checks import tcp_port
from ansible_collections.golive.readiness.plugins.module_utils._module import run_kind_module


def main():
    run_kind_module(tcp_port)


if __name__ == "__main__":
    main()
