#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: object_storage_backup
short_description: Check off-host backups in S3-compatible object storage for age, size, count and protection
version_added: 0.2.0
description:
  - Lists the objects under O(checks[].url) (C(s3://BUCKET/PREFIX)) in an S3-compatible object store (AWS S3,
    MinIO, Ceph RGW, the S3 APIs of other clouds, through O(checks[].endpoint_url)) and grades the newest object by
    age and size and all of them by how many are kept.
  - The newest object must be encrypted at rest (its C(x-amz-server-side-encryption), from a C(HEAD) request)
    unless O(checks[].require_encryption=false). With O(checks[].require_versioning) the bucket's versioning must
    be enabled; with O(checks[].require_object_lock) the bucket's object lock must be enabled and the newest object
    retained (a retention date in the future, or a legal hold).
  - Every request is a signed C(GET) or C(HEAD) (AWS Signature Version 4, made with the Python standard library;
    no boto3 needed), namely ListObjectsV2 page by page, HeadObject of the newest object, and GetBucketVersioning
    and GetObjectLockConfiguration only when required, so a read-only key with C(s3:ListBucket) and C(s3:GetObject)
    is enough otherwise. Nothing is written.
  - The listing stops at 100000 keys (C(MAX_LISTED_KEYS)), and each answer is read up to 4 MiB
    (C(MAX_S3_ANSWER_BYTES)); past either the check is an C(error) naming the cap (narrow the prefix).
  - A bucket that does not exist, or a prefix without a backup, fails; an answer the store refuses (access denied,
    a wrong key, a wrong region) is an C(error) with the store's error code and message.
  - The secret key and the session token are never shown, nor the request's signature.
  - Endpoint check, run on the probe host; the requests go through C(http_endpoint)'s client, bounded by the
    check's time, without proxies or redirects.
author: golive.readiness contributors (@golive-readiness)
extends_documentation_fragment:
  - golive.readiness.check_item
options:
  checks:
    description:
      - The backup locations to check, one item each.
      - An item's C(id) defaults to C(object_storage_backup:<url>).
      - Its C(title) defaults to C(Off-host backups in <url>).
      - An item's C(timeout) is the time limit of this check, every request included.
      # BEGIN generated: kind defaults (scripts/generate; do not edit by hand)
      - A C(object_storage_backup) item defaults to section V(backup) and severity V(high).
      # END generated: kind defaults
    type: list
    elements: dict
    required: true
    suboptions:
      url:
        description:
          - Where the backups are, as C(s3://BUCKET) or C(s3://BUCKET/PREFIX) (V(s3://acme-backups/postgres/)).
            Every object whose key starts with the prefix is one backup, except folder markers (keys ending in
            C(/)); narrow them with O(checks[].name_pattern).
        type: str
        required: true
      endpoint_url:
        description:
          - Base URL of the S3 API (V(https://minio.example.com:9000), V(https://s3.eu-central-003.backblazeb2.com)).
          - Default C(https://s3.<region>.amazonaws.com).
        type: str
      region:
        description: The region the requests are signed for (and of the default endpoint).
        type: str
        default: us-east-1
      addressing_style:
        description:
          - V(path) sends requests to C(ENDPOINT/BUCKET/...), V(virtual) to C(BUCKET.ENDPOINT/...).
          - V(auto) is V(virtual) on AWS's default endpoint for a bucket name without dots, V(path) otherwise (the
            usual form for MinIO and Ceph).
        type: str
        choices: [auto, path, virtual]
        default: auto
      access_key_id:
        description:
          - The access key id the requests are signed with. Without it and O(checks[].secret_access_key) the
            requests are anonymous (a public bucket).
        type: str
      secret_access_key:
        description: The secret access key, with O(checks[].access_key_id). Never shown.
        type: str
      session_token:
        description: The session token of temporary credentials (an assumed role, STS). Never shown.
        type: str
      validate_certs:
        description: Verify the store's TLS certificate (https only).
        type: bool
        default: true
      ca_file:
        description: PEM file of the CA certificates to verify an https store against, instead of the system store.
        type: path
      name_pattern:
        description:
          - Only objects whose key after the prefix, or whose last path segment, matches this glob (V(*.dump.gz))
            are backups; a manifest or a checksum file beside them is then left out.
        type: str
      newest_age_warn_above:
        description: Warn when the newest backup (by C(LastModified)) is older than this duration.
        type: str
      newest_age_fail_above:
        description:
          - Fail when the newest backup is older than this duration.
          - Default V(26h) unless O(checks[].newest_age_warn_above) is set (a nightly backup with two hours of slack);
            V(8d) suits a weekly backup.
        type: str
      size_warn_below:
        description: Warn when the newest backup is smaller than this size (V(100MB)).
        type: str
      size_fail_below:
        description: Fail when the newest backup is smaller than this size.
        type: str
      count_warn_below:
        description: Warn when fewer backups than this are kept.
        type: int
      count_fail_below:
        description: Fail when fewer backups than this are kept.
        type: int
      require_encryption:
        description:
          - Fail when the newest backup has no server-side encryption (SSE-S3 C(AES256), SSE-KMS C(aws:kms),
            C(aws:kms:dsse)).
          - An object encrypted with a customer key (SSE-C) cannot be inspected without that key, so it is an
            C(error); set this to V(false) for such backups.
        type: bool
        default: true
      require_versioning:
        description: Fail unless the bucket's versioning is enabled (needs C(s3:GetBucketVersioning)).
        type: bool
        default: false
      require_object_lock:
        description:
          - Fail unless the bucket's object lock is enabled and the newest backup is retained now (a retention date
            in the future, or a legal hold); needs C(s3:GetBucketObjectLockConfiguration).
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
  - module: golive.readiness.backup_freshness
  - module: golive.readiness.backup_catalog
  - module: golive.readiness.verify
"""

EXAMPLES = r"""
- name: The nightly dumps reached the off-site bucket, encrypted and locked
  golive.readiness.object_storage_backup:
    checks:
      - url: s3://acme-backups/postgres/
        region: eu-central-1
        access_key_id: "{{ vault_backup_check_key_id }}"
        secret_access_key: "{{ vault_backup_check_secret }}"
        name_pattern: "*.dump.gz"
        size_fail_below: 100MB
        count_warn_below: 7
        require_versioning: true
        require_object_lock: true

- name: The MinIO copy of the uploads
  golive.readiness.object_storage_backup:
    checks:
      - url: s3://uploads-mirror
        endpoint_url: https://minio.internal.example.com:9000
        access_key_id: "{{ vault_minio_key_id }}"
        secret_access_key: "{{ vault_minio_secret }}"
        newest_age_fail_above: 8d
        require_encryption: false
  delegate_to: localhost
"""

RETURN = r"""
golive_checks:
  description:
    - One record per item, in the order of O(checks).
    - C(observed) holds C(count) (backups kept), and with any backup C(newest) (its key), C(newest_modified),
      C(newest_age), C(size), C(encryption) (C(AES256), C(aws:kms), C(none) ...) and C(storage_class) when the store
      says; C(versioning) (C(Enabled), C(Suspended), C(never enabled)) with O(checks[].require_versioning);
      C(object_lock) (enabled, default mode and retention) and C(newest_retention) (mode, retain until, legal hold)
      with O(checks[].require_object_lock).
    - C(expected) holds the levels of C(newest_age), C(size) and C(count) that are set, and C(encryption),
      C(versioning) and C(object_lock) when required.
  returned: always
  type: list
  elements: dict
  sample:
    - id: object_storage_backup:s3://acme-backups/postgres/
      kind: object_storage_backup
      section: backup
      title: Off-host backups in s3://acme-backups/postgres/
      status: pass
      severity: high
      summary: backups kept 14; newest backup age 5h 12m (fail > 1d 2h); newest size 2.1 GiB; encrypted (aws:kms)
      observed:
        count: {value: 14, unit: count}
        newest: postgres/2030-06-01.dump.gz
        newest_modified: '2030-06-01T02:14:09Z'
        newest_age: {value: 18720.0, unit: seconds}
        size: {value: 2254857830, unit: bytes}
        storage_class: STANDARD_IA
        encryption: aws:kms
      expected:
        newest_age: {fail: {above: 93600}, unit: seconds}
        encryption: required
      duration_ms: 212
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

from ansible_collections.golive.readiness.plugins.module_utils._checks import object_storage_backup
from ansible_collections.golive.readiness.plugins.module_utils._module import run_kind_module


def main():
    run_kind_module(object_storage_backup)


if __name__ == "__main__":
    main()
