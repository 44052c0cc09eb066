# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check kind object_storage_backup: off-host backups in an S3 bucket are recent, big enough and protected (private).

The objects under ``s3://bucket/prefix`` are listed (ListObjectsV2, page by page, at most MAX_LISTED_KEYS keys);
the newest is graded by age and size, all of them by count. The newest object's server-side encryption and
object lock come from a HEAD request; the bucket's versioning and object lock configuration are asked for only
when the item requires them, so a read-only key needs no more than s3:ListBucket and s3:GetObject otherwise.
Every request is a signed GET or HEAD (``_s3.py``): nothing is written.
"""

from __future__ import annotations

import fnmatch
import time
from datetime import datetime, timezone
from typing import NamedTuple

from ansible_collections.golive.readiness.plugins.module_utils._caps import CapExceeded
from ansible_collections.golive.readiness.plugins.module_utils._check import (
    CheckError,
    Evaluation,
    OptionError,
    format_duration,
    format_size,
    limit_from_options,
    parse_count,
    parse_duration,
    parse_size,
)
from ansible_collections.golive.readiness.plugins.module_utils._s3 import Bucket, parse_location, prepare_endpoint

KIND = "object_storage_backup"
SECTION = "backup"
SEVERITY = "high"
VARIABLES = {"golive_object_storage_backups": "backup"}
ENDPOINT = True
# The same nightly policy as backup_freshness: a day plus two hours of slack.
DEFAULT_NEWEST_AGE = (None, "26h")
# Keys listed at most (1000 per page): past this the bucket's prefix is too broad to grade, and the check says so.
MAX_LISTED_KEYS = 100000
# One answer (a page of 1000 keys is about 300 KiB; keys may be up to 1 KiB each).
MAX_S3_ANSWER_BYTES = 4 * 1024 * 1024
PAGE_KEYS = 1000
OPTIONS = dict(
    url=dict(type="str", required=True),
    endpoint_url=dict(type="str"),
    region=dict(type="str", default="us-east-1"),
    addressing_style=dict(type="str", choices=["auto", "path", "virtual"], default="auto"),
    access_key_id=dict(type="str", no_log=False),
    secret_access_key=dict(type="str", no_log=True),
    session_token=dict(type="str", no_log=True),
    validate_certs=dict(type="bool", default=True),
    ca_file=dict(type="path"),
    name_pattern=dict(type="str"),
    newest_age_warn_above=dict(type="str"),
    newest_age_fail_above=dict(type="str"),
    size_warn_below=dict(type="str"),
    size_fail_below=dict(type="str"),
    count_warn_below=dict(type="int"),
    count_fail_below=dict(type="int"),
    require_encryption=dict(type="bool", default=True),
    require_versioning=dict(type="bool", default=False),
    require_object_lock=dict(type="bool", default=False),
)


class StoredObject(NamedTuple):
    key: str
    modified: float
    size: int


def describe(item):
    url = item.get("url") or ""
    return url, f"Off-host backups in {url}"


# --- options ------------------------------------------------------------------------------------

def _positive(limit, option):
    for level in (limit.warn, limit.fail):
        if level is not None and level <= 0:
            raise OptionError(f"{option}: must be greater than zero")
    return limit


def prepare(item):
    location = parse_location(item.get("url"))
    pattern = item.get("name_pattern")
    if pattern is not None and not pattern.strip():
        raise OptionError("name_pattern: must not be empty (leave it out to grade every object under the prefix)")
    return dict(
        location=location,
        endpoint=prepare_endpoint(item, location.bucket),
        name_pattern=pattern,
        newest_age=_positive(limit_from_options(item, "newest_age", "above", parse_duration, format_duration,
                                                defaults=DEFAULT_NEWEST_AGE),
                             "newest_age_warn_above/newest_age_fail_above"),
        size=limit_from_options(item, "size", "below", parse_size, format_size),
        count=limit_from_options(item, "count", "below", parse_count),
        require_encryption=item.get("require_encryption") is not False,
        require_versioning=bool(item.get("require_versioning")),
        require_object_lock=bool(item.get("require_object_lock")),
    )


# --- listing ------------------------------------------------------------------------------------

def _timestamp(text: str | None, what: str) -> float:
    try:
        return datetime.fromisoformat((text or "").replace("Z", "+00:00")).astimezone(timezone.utc).timestamp()
    except ValueError:
        raise CheckError(f"{what}: {str(text)[:40]!r} is not a time") from None


def _objects_of(page) -> list[StoredObject]:
    found = []
    for entry in page.findall("Contents"):
        key = entry.findtext("Key") or ""
        try:
            size = int(entry.findtext("Size") or "")
        except ValueError:
            raise CheckError(f"the listing gives {key!r} a Size that is not a number") from None
        modified = _timestamp(entry.findtext("LastModified"), f"the LastModified of {key!r}")
        found.append(StoredObject(key, modified, size))
    return found


def list_objects(bucket: Bucket, prefix: str) -> list[StoredObject] | None:
    """Every object under the prefix (None when the bucket does not exist), MAX_LISTED_KEYS at most."""
    objects: list[StoredObject] = []
    query = {"list-type": "2", "max-keys": str(PAGE_KEYS), "prefix": prefix}
    while True:
        answer = bucket.request("GET", query=query)
        if answer.status == 404 and bucket.error_code(answer) == "NoSuchBucket":
            return None
        if answer.status != 200:
            raise bucket.failure(answer, f"listing s3://{bucket.bucket}/{prefix}")
        page = bucket.xml(answer, f"the listing of s3://{bucket.bucket}/{prefix}")
        objects.extend(_objects_of(page))
        if len(objects) > MAX_LISTED_KEYS:
            raise CapExceeded(f"the listing of s3://{bucket.bucket}/{prefix}", MAX_LISTED_KEYS, "MAX_LISTED_KEYS",
                              shown=f"{MAX_LISTED_KEYS} keys")
        token = page.findtext("NextContinuationToken")
        if page.findtext("IsTruncated") != "true" or not token:
            return objects
        query = dict(query, **{"continuation-token": token})


def backups_among(objects: list[StoredObject], prefix: str, pattern: str | None) -> list[StoredObject]:
    """The objects that are backups: not folder markers, and named as ``pattern`` says (after the prefix)."""
    found = [obj for obj in objects if not obj.key.endswith("/")]
    if pattern:
        found = [obj for obj in found if fnmatch.fnmatchcase(obj.key[len(prefix):], pattern)
                 or fnmatch.fnmatchcase(obj.key.rsplit("/", 1)[-1], pattern)]
    return sorted(found, key=lambda obj: (obj.modified, obj.key))


# --- protection ---------------------------------------------------------------------------------

def _grade_encryption(plan, headers: dict, ev: Evaluation) -> None:
    encryption = headers.get("x-amz-server-side-encryption")
    customer = headers.get("x-amz-server-side-encryption-customer-algorithm")
    shown = encryption or (f"SSE-C ({customer})" if customer else "none")
    ev.observe("encryption", shown)
    if plan["require_encryption"]:
        ev.expect("encryption", "required")
        ev.require(shown != "none", "the newest backup is not encrypted at rest (no server-side encryption)",
                   passing=f"encrypted ({shown})")


def _head_newest(bucket: Bucket, newest: StoredObject, ev: Evaluation) -> dict:
    answer = bucket.request("HEAD", newest.key)
    if answer.status == 400 and not answer.body:
        # HEAD of an object encrypted with a customer key (SSE-C) is refused without that key.
        raise CheckError(f"HEAD s3://{bucket.bucket}/{newest.key} answered HTTP 400: an object encrypted with a "
                         "customer key (SSE-C) cannot be inspected without it; set require_encryption: false")
    if answer.status != 200:
        raise bucket.failure(answer, f"HEAD s3://{bucket.bucket}/{newest.key}")
    if answer.headers.get("x-amz-storage-class"):
        ev.observe("storage_class", answer.headers["x-amz-storage-class"])
    return answer.headers


def _grade_versioning(bucket: Bucket, ev: Evaluation) -> None:
    answer = bucket.request("GET", query={"versioning": ""})
    if answer.status != 200:
        raise bucket.failure(answer, f"GetBucketVersioning of {bucket.bucket}")
    status = bucket.xml(answer, f"the versioning of {bucket.bucket}").findtext("Status") or "never enabled"
    ev.observe("versioning", status)
    ev.expect("versioning", "Enabled")
    ev.require(status == "Enabled", f"versioning is {status.lower()} on bucket {bucket.bucket}",
               passing="versioning enabled")


def _lock_configuration(bucket: Bucket) -> dict:
    answer = bucket.request("GET", query={"object-lock": ""})
    if answer.status == 404 and bucket.error_code(answer) == "ObjectLockConfigurationNotFoundError":
        return dict(enabled=False, mode=None, retention=None)
    if answer.status != 200:
        raise bucket.failure(answer, f"GetObjectLockConfiguration of {bucket.bucket}")
    root = bucket.xml(answer, f"the object lock configuration of {bucket.bucket}")
    rule = root.find("Rule/DefaultRetention")
    retention = None
    if rule is not None:
        days, years = rule.findtext("Days"), rule.findtext("Years")
        retention = f"{days} days" if days else (f"{years} years" if years else None)
    return dict(enabled=root.findtext("ObjectLockEnabled") == "Enabled",
                mode=rule.findtext("Mode") if rule is not None else None, retention=retention)


def _grade_object_lock(bucket: Bucket, headers: dict, ev: Evaluation) -> None:
    config = _lock_configuration(bucket)
    ev.observe("object_lock", dict(enabled=config["enabled"], default_mode=config["mode"],
                                   default_retention=config["retention"]))
    ev.expect("object_lock", "enabled, the newest backup retained")
    if not ev.require(config["enabled"], f"object lock is not enabled on bucket {bucket.bucket}"):
        return
    mode, until = headers.get("x-amz-object-lock-mode"), headers.get("x-amz-object-lock-retain-until-date")
    hold = headers.get("x-amz-object-lock-legal-hold") == "ON"
    ev.observe("newest_retention", dict(mode=mode, retain_until=until, legal_hold=hold))
    if until and _timestamp(until, "the newest backup's retain-until date") > time.time():
        ev.note(f"newest backup locked ({mode}) until {until}")
    elif hold:
        ev.note("newest backup under legal hold")
    else:
        ev.finding("fail", "object lock is enabled, but the newest backup has no retention in force "
                           "(no default retention rule?)")


# --- the check ----------------------------------------------------------------------------------

def _grade_newest(plan, newest: StoredObject, ev: Evaluation) -> None:
    ev.observe("newest", newest.key)
    ev.observe("newest_modified", datetime.fromtimestamp(newest.modified, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
    ev.measure("newest_age", round(max(0.0, time.time() - newest.modified), 1), plan["newest_age"],
               label="newest backup age", formatter=format_duration)
    ev.measure("size", newest.size, plan["size"], label="newest size", formatter=format_size)


def run(plan, ctx):
    ev = Evaluation()
    location = plan["location"]
    bucket = Bucket(plan["endpoint"], location.bucket, ctx.child_timeout(), MAX_S3_ANSWER_BYTES, "MAX_S3_ANSWER_BYTES")
    objects = list_objects(bucket, location.prefix)
    if objects is None:
        ev.finding("fail", f"bucket {location.bucket} does not exist")
        return ev.outcome()
    found = backups_among(objects, location.prefix, plan["name_pattern"])
    where = f"s3://{location.bucket}/{location.prefix}" + (f" matching {plan['name_pattern']}"
                                                           if plan["name_pattern"] else "")
    ev.measure("count", len(found), plan["count"], label="backups kept")
    if not found:
        ev.finding("fail", f"no backup object under {where}")
        return ev.outcome()
    newest = found[-1]
    _grade_newest(plan, newest, ev)
    headers = _head_newest(bucket, newest, ev)
    _grade_encryption(plan, headers, ev)
    if plan["require_versioning"]:
        _grade_versioning(bucket, ev)
    if plan["require_object_lock"]:
        _grade_object_lock(bucket, headers, ev)
    return ev.outcome()
