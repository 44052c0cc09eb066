#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: tls_certificate
short_description: Check the TLS certificate of a server, or of a PEM file before it is deployed
version_added: 0.1.0
description:
  - For each item, either connects to a TLS server (I(host), directly or after SMTP C(STARTTLS))
    or reads a PEM certificate bundle (I(path), leaf first), and checks the certificate chain --
    days until expiry of the leaf and of every certificate presented, whether the chain verifies
    against I(ca_file) or the system trust store, whether the leaf is valid for the hostname
    (always matched against its subjectAltNames, never the CN), key sizes, SHA-1/MD5 signatures,
    and, with I(min_protocol), whether the server still accepts older protocol versions.
  - A server is read with a handshake that verifies nothing (so even a broken certificate can be
    described), then verified by a second handshake of a client with default settings. When that
    client fails because the server sends only its own certificate, the result says
    C(incomplete chain (the server does not send the intermediate)) rather than a bare OpenSSL code.
    A file's chain is verified with C(cryptography.x509.verification) (cryptography 42 or later).
  - Older protocol versions are probed by a client restricted to each of them, with
    C(DEFAULT:@SECLEVEL=0) so that OpenSSL offers them at all. When the local OpenSSL cannot offer
    a version, it is listed in C(old_protocols_not_probed), never reported as refused.
  - A server that cannot be reached, does not complete the handshake, or accepts the connection and
    never answers is reported as C(error) (C(timed out ...) within the check's I(timeout)).
  - Read-only. With I(starttls=smtp) the check sends only C(EHLO) and C(STARTTLS); it never sends mail.
  - Runs on the probe host (by default the controller), which needs the C(cryptography) Python library.
  - B(Size caps.) A certificate chain over 100 KiB (C(TLS_CHAIN_CAP), OpenSSL's limit on the Certificate
    message, enforced during the handshake), more than 64 KiB of SMTP replies before STARTTLS
    (C(STARTTLS_READ_CAP)), or a I(path) file over 1 MiB (C(PEM_FILE_CAP)) ends the check as C(error)
    naming the cap.
author: golive.readiness contributors (@golive-readiness)
extends_documentation_fragment:
  - golive.readiness.check_item
requirements:
  - cryptography (on the host that runs the check; 42 or later to verify the chain of a file)
options:
  checks:
    description:
      - The certificates to check, one item each.
      - An item's C(id) defaults to C(tls_certificate:<host>:<port>) or C(tls_certificate:<path>).
      - Its C(title) defaults to C(TLS certificate of <host>:<port>) or C(TLS certificate in <path>).
      - An item's C(timeout) is the time limit of this check (all its handshakes together).
      # BEGIN generated: kind defaults (scripts/generate; do not edit by hand)
      - A C(tls_certificate) item defaults to section V(infrastructure) and severity V(critical).
      # END generated: kind defaults
    type: list
    elements: dict
    required: true
    suboptions:
      host:
        description:
          - Name or address of the TLS server. Exactly one of I(host) and I(path) is required.
        type: str
      port:
        description: TCP port of the server.
        type: int
        default: 443
      server_name:
        description:
          - Name sent in SNI and checked against the certificate's subjectAltNames; defaults to I(host).
        type: str
      starttls:
        description:
          - C(smtp) to upgrade an SMTP connection (submission port 587, or 25) with C(STARTTLS) before
            the handshake; C(none) for TLS from the first byte.
        type: str
        default: none
        choices: [none, smtp]
      path:
        description:
          - A PEM file holding the certificate, optionally followed by its intermediates (leaf first),
            to check a certificate before it is deployed. Read on the host that runs the check.
        type: path
      hostname:
        description: With I(path), the name the certificate must be valid for (matched against its subjectAltNames).
        type: str
      ca_file:
        description:
          - PEM bundle of the CA certificates to trust; defaults to the system trust store.
        type: path
      days_warn_below:
        description:
          - Warn when the leaf or any certificate of the chain expires in fewer days than this.
          - When neither this nor O(checks[].days_fail_below) is set, the levels are V(30) (warn) and
            V(14) (fail). Setting one of them sets only that level.
        type: raw
      days_fail_below:
        description:
          - Fail when the leaf or any certificate of the chain expires in fewer days than this.
          - V(14) when neither level is set (see O(checks[].days_warn_below)); V(0) fails only what has
            expired.
          - An expired or not yet valid certificate always fails.
        type: raw
      check_hostname:
        description:
          - Fail when the leaf is not valid for I(server_name) (or I(host)), or for I(hostname) with I(path).
        type: bool
        default: true
      require_chain_valid:
        description:
          - Fail when the chain does not verify against I(ca_file) or the system trust store. When
            false, the verification result is still shown.
        type: bool
        default: true
      min_key_bits:
        description:
          - Smallest acceptable RSA or DSA key, in bits, of the leaf and its intermediates. EC keys
            on curves below 256 bits always fail.
        type: int
        default: 2048
      forbid_weak_signatures:
        description: Fail when the leaf or an intermediate is signed with SHA-1 or MD5.
        type: bool
        default: true
      min_protocol:
        description:
          - Oldest protocol version the server may accept (C(TLSv1), C(TLSv1.1), C(TLSv1.2), C(TLSv1.3)).
            Fails when the server completes a handshake with an older one. Only with I(host).
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
"""

EXAMPLES = r"""
- name: The public endpoints present valid certificates for a while yet
  golive.readiness.tls_certificate:
    checks:
      - host: api.example.com
        days_warn_below: 30
        days_fail_below: 14
        min_protocol: TLSv1.2
      - host: 10.0.3.12
        server_name: internal.example.com
        ca_file: /etc/pki/internal-ca.pem
      - host: smtp.example.com
        port: 587
        starttls: smtp
        days_fail_below: 14

- name: The certificate about to be deployed is the right one
  golive.readiness.tls_certificate:
    checks:
      - path: /srv/deploy/tls/fullchain.pem
        hostname: www.example.com
        days_fail_below: 60
"""

RETURN = r"""
golive_checks:
  description:
    - One record per item, in the order of O(checks).
    - C(observed) holds C(protocol), C(cipher), C(chain_length) (a count of the certificates the server
      presented; null when this Python cannot tell), C(subject), C(issuer), C(sans), C(not_before), C(not_after),
      C(days_left) (days), C(key_type), C(key_bits), C(key_curve) (elliptic curve keys), C(signature_algorithm),
      C(self_signed), C(chain) (subject, issuer, expiry, C(days_left) (days) and signature of each certificate),
      C(verified), C(verify_error) and, with I(min_protocol), C(old_protocols_accepted) and
      C(old_protocols_not_probed).
    - C(expected) holds the C(days_left) levels, C(require_chain_valid), C(min_key_bits),
      C(forbid_weak_signatures), C(hostname) and C(min_protocol) when given.
  returned: always
  type: list
  elements: dict
  sample:
    - id: tls_certificate:shop.example.com:443
      kind: tls_certificate
      section: infrastructure
      title: TLS certificate of shop.example.com:443
      status: warn
      severity: critical
      summary: leaf expires in 19 days (warn < 30 days, fail < 14 days)
      observed:
        protocol: TLSv1.3
        cipher: TLS_AES_256_GCM_SHA384
        chain_length: {value: 2, unit: count}
        subject: CN=shop.example.com
        issuer: CN=R11,O=Let's Encrypt,C=US
        sans: [shop.example.com, www.shop.example.com]
        not_before: '2030-03-22T00:00:00Z'
        not_after: '2030-06-20T23:59:59Z'
        days_left: {value: 19, unit: days}
        key_type: EC
        key_bits: 256
        key_curve: secp256r1
        signature_algorithm: ecdsa-with-SHA384
        self_signed: false
        chain:
          - {subject: CN=shop.example.com, issuer: 'CN=R11,O=Let''s Encrypt,C=US', not_after: '2030-06-20T23:59:59Z',
             days_left: {value: 19, unit: days}, signature_algorithm: ecdsa-with-SHA384}
          - {subject: 'CN=R11,O=Let''s Encrypt,C=US', issuer: 'CN=ISRG Root X1,O=Internet Security Research Group,C=US',
             not_after: '2027-03-12T23:59:59Z', days_left: {value: 1025, unit: days},
             signature_algorithm: sha256WithRSAEncryption}
        verified: true
        verify_error: null
      expected:
        days_left: {warn: {below: 30}, fail: {below: 14}, unit: days}
        require_chain_valid: true
        min_key_bits: 2048
        forbid_weak_signatures: true
        hostname: shop.example.com
      duration_ms: 46
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

from ansible_collections.golive.readiness.plugins.module_utils._checks import tls_certificate
from ansible_collections.golive.readiness.plugins.module_utils._module import run_kind_module


def main():
    run_kind_module(tls_certificate)


if __name__ == "__main__":
    main()
