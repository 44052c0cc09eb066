#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: smtp_server
short_description: Check that an SMTP server greets, offers STARTTLS with a valid certificate, and accepts AUTH
version_added: 0.1.0
description:
  - For each server, opens an SMTP session and checks the banner, EHLO, TLS (STARTTLS by default, or
    implicit TLS as on port 465), the server certificate, and, when I(username) is given, that
    authentication succeeds.
  - B(Never sends mail.) The whole session is connect, banner, EHLO, STARTTLS, EHLO again, optional
    AUTH, QUIT. No C(MAIL), C(RCPT) or C(DATA) command is sent.
  - C(fail) when the expectation itself is not met - STARTTLS not offered or refused, the certificate
    not verified (the reason is named - unknown issuer, hostname mismatch, expired), a TLS handshake
    that fails, AUTH not offered or rejected, a banner that is not C(220) or does not match
    I(banner_regex), EHLO rejected, latency above its fail level.
  - C(error) when the server cannot be evaluated - connection refused, unknown host, no banner (or no
    answer to a command) before the check's time limit, which says C(timed out), a connection closed
    in the middle of the session.
  - The password is handed to the server only inside the TLS session (unless I(allow_plaintext_auth))
    and never appears in results, not even masked.
  - An endpoint check; runs on the probe host with the Python standard library only.
  - B(Size caps.) A reply line longer than 8 KiB (C(SMTP_LINE_CAP)), or more than 256 KiB read from the
    server over the whole conversation (C(SMTP_READ_CAP), e.g. endless continuation lines), ends the
    check as C(error) naming the cap.
author: golive.readiness contributors (@golive-readiness)
extends_documentation_fragment:
  - golive.readiness.check_item
options:
  checks:
    description:
      - The SMTP servers to check, one item each.
      - An item's C(id) defaults to C(smtp_server:<host>:<port>).
      - Its C(title) defaults to C(SMTP <host>:<port>).
      - An item's C(timeout) is the time limit of this check, the whole SMTP session included.
      # BEGIN generated: kind defaults (scripts/generate; do not edit by hand)
      - A C(smtp_server) item defaults to section V(services) and severity V(high).
      # END generated: kind defaults
    type: list
    elements: dict
    required: true
    suboptions:
      host:
        description: Host name or address of the SMTP server.
        type: str
        required: true
      port:
        description:
          - TCP port. Defaults to V(25), or V(465) with I(tls=implicit). Submission is usually V(587).
        type: int
      tls:
        description:
          - V(starttls) - STARTTLS must be offered and the TLS handshake must succeed.
          - V(implicit) - TLS from the first byte (SMTPS, port 465).
          - V(none) - no TLS; whether STARTTLS is offered is only recorded.
        type: str
        choices: [none, starttls, implicit]
        default: starttls
      validate_certs:
        description:
          - Verify the server certificate (chain to a trusted CA, validity dates, name).
          - With V(false) the handshake must still succeed, but the certificate's subject and expiry are
            not recorded (the standard library decodes only verified certificates).
        type: bool
        default: true
      ca_file:
        description: PEM file of the CA certificates to trust instead of the system's. Only with TLS.
        type: path
      server_name:
        description:
          - Name sent as SNI and that the certificate must be valid for; defaults to I(host). Useful when
            I(host) is an address. Only with TLS.
        type: str
      banner_regex:
        description: Regular expression the banner (greeting text after C(220)) must match (searched).
        type: str
      ehlo_name:
        description: Name the probe gives in EHLO; defaults to the probe host's fully qualified name.
        type: str
      username:
        description: User to authenticate as; AUTH must succeed. Requires I(password).
        type: str
      password:
        description:
          - Password of I(username) (C(no_log)).
          - Sent only over TLS; with I(tls=none), or when STARTTLS was not possible, it is not sent
            and the check fails, unless I(allow_plaintext_auth=true).
        type: str
      allow_plaintext_auth:
        description: Allow sending the credentials over an unencrypted connection.
        type: bool
        default: false
      latency_warn_above:
        description:
          - Warn when the banner arrives later than this duration (V(500ms), V(2s)) after the connection
            was started (TCP connect, with I(tls=implicit) the TLS handshake too, and the greeting).
        type: str
      latency_fail_above:
        description: Fail when the banner arrives later than this duration.
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
"""

EXAMPLES = r"""
- name: The outgoing relay offers STARTTLS with a valid certificate and accepts the app's account
  golive.readiness.smtp_server:
    checks:
      - host: smtp.example.com
        port: 587
        username: shop@example.com
        password: "{{ vault_smtp_password }}"
        banner_regex: "ESMTP"
        latency_warn_above: 1s
        latency_fail_above: 5s

- name: SMTPS on 465, by address, with a private CA
  golive.readiness.smtp_server:
    checks:
      - host: 10.0.3.25
        tls: implicit
        server_name: mail.internal.example.com
        ca_file: /etc/ssl/internal-ca.pem
  delegate_to: localhost
"""

RETURN = r"""
golive_checks:
  description:
    - One record per server, in the order of O(checks).
    - C(observed) holds C(banner) (the greeting after its code), C(latency_ms) (ms, until the banner),
      C(esmtp_extensions) (after STARTTLS when it was used), C(starttls_offered), C(starttls_ok), C(tls_protocol),
      C(tls_cipher), C(certificate_subject), C(certificate_not_after), C(auth_mechanisms), and with I(username)
      C(auth_user) and C(auth_ok).
    - C(expected) holds C(tls), the C(latency_ms) levels when set, and C(banner), C(starttls) and C(auth) as
      asked for.
  returned: always
  type: list
  elements: dict
  sample:
    - id: smtp_server:smtp.example.com:587
      kind: smtp_server
      section: services
      title: SMTP smtp.example.com:587
      status: pass
      severity: high
      summary: banner smtp.example.com ESMTP; banner after 38ms; STARTTLS ok (TLSv1.3); AUTH ok for noreply@example.com
      observed:
        banner: smtp.example.com ESMTP
        latency_ms: {value: 38.5, unit: ms}
        esmtp_extensions: [AUTH, PIPELINING, 8BITMIME]
        starttls_offered: true
        starttls_ok: true
        tls_protocol: TLSv1.3
        tls_cipher: TLS_AES_256_GCM_SHA384
        certificate_subject: commonName=smtp.example.com
        certificate_not_after: Sep 14 23:59:59 2030 GMT
        auth_mechanisms: [PLAIN, LOGIN]
        auth_user: noreply@example.com
        auth_ok: true
      expected: {tls: starttls, starttls: offered and succeeds, auth: succeeds for noreply@example.com}
      duration_ms: 164
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

from ansible_collections.golive.readiness.plugins.module_utils._checks import smtp_server
from ansible_collections.golive.readiness.plugins.module_utils._module import run_kind_module


def main():
    run_kind_module(smtp_server)


if __name__ == "__main__":
    main()
