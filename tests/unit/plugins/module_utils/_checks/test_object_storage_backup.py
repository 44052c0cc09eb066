"""object_storage_backup against a real S3-compatible server (moto_server on 127.0.0.1) that verifies every
request's SigV4 signature and enforces its users' IAM policies; buckets with and without default encryption,
versioning and object lock, filled with boto3 as a backup job would."""

from __future__ import annotations

import json
import time
import types

import pytest

from ansible_collections.golive.readiness.plugins.module_utils import _s3
from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._checks import object_storage_backup as kind

from ._kind_runner import prepared, run_item
from ._s3_servers import REGION, make_bucket, moto_server_path, put, s3_client, s3_store

pytestmark = pytest.mark.skipif(moto_server_path() is None, reason="moto[server] is not installed")
DUMPS = ("db/2026-12-01.dump.gz", "db/2026-12-02.dump.gz", "db/2026-12-03.dump.gz")


@pytest.fixture(scope="module")
def store():
    with s3_store() as running:
        client = s3_client(running)
        make_bucket(client, "nightly", encryption="AES256")
        client.put_object(Bucket="nightly", Key="db/", Body=b"")  # a console's folder marker
        for size, key in zip((1000, 2000, 3000), DUMPS):
            put(client, "nightly", key, size)
        put(client, "nightly", "db/manifest.json", 50)
        make_bucket(client, "plain")
        put(client, "plain", "db/only.dump", 100)
        put(client, "plain", "enc/only.dump", 100, encryption="AES256")
        make_bucket(client, "locked", versioning=True, encryption="AES256", object_lock_days=3)
        put(client, "locked", "db/only.dump", 100)
        make_bucket(client, "versioned", versioning=True, encryption="AES256")
        put(client, "versioned", "db/only.dump", 100)
        make_bucket(client, "empty", encryption="AES256")
        yield running


def check(store, url, credentials=None, timeout=20.0, **item):
    options = dict(url=url, endpoint_url=store.url, region=REGION, **(credentials or store.admin).options())
    record = run_item(kind, dict(options, **item), timeout)
    shown = json.dumps(record)
    for secret in (store.admin.secret_access_key, store.reader.secret_access_key, store.role.secret_access_key,
                   store.role.session_token):
        assert secret not in shown
    return record


def rejected(**item):
    with pytest.raises(OptionError) as raised:
        prepared(kind, dict(dict(url="s3://nightly/db/"), **item))
    return str(raised.value)


def later(monkeypatch, seconds):
    """The check's clock moved ``seconds`` ahead, as if it ran that much after the backups were written."""
    moved = types.SimpleNamespace(time=lambda: time.time() + seconds)
    monkeypatch.setattr(kind, "time", moved)


# --- what a nightly bucket holds ----------------------------------------------------------------

def test_nightly_dumps_pass_with_age_size_count_and_encryption(store):
    record = check(store, "s3://nightly/db/", name_pattern="*.dump.gz")
    assert record["status"] == "pass", record["summary"]
    assert record["id"] == "object_storage_backup:s3://nightly/db/"
    assert record["title"] == "Off-host backups in s3://nightly/db/"
    assert record["section"] == "backup" and record["severity"] == "high"
    observed = record["observed"]
    assert observed["count"] == {"value": 3, "unit": "count"}
    assert observed["newest"] == DUMPS[-1] and observed["size"] == {"value": 3000, "unit": "bytes"}
    assert observed["encryption"] == "AES256" and observed["newest_age"]["unit"] == "seconds"
    assert record["expected"]["newest_age"] == {"fail": {"above": 26 * 3600}, "unit": "seconds"}
    assert "encrypted (AES256)" in record["summary"]


def test_without_a_pattern_every_object_but_the_folder_marker_counts(store):
    record = check(store, "s3://nightly/db/")
    assert record["observed"]["count"]["value"] == 4
    assert record["observed"]["newest"] == "db/manifest.json"


def test_a_backup_two_days_old_fails_and_one_of_a_day_warns_on_its_level(store, monkeypatch):
    later(monkeypatch, 2 * 86400)
    record = check(store, "s3://nightly/db/", name_pattern="*.dump.gz")
    assert record["status"] == "fail"
    assert record["summary"].startswith("newest backup age 2d") and "(fail > 1d 2h)" in record["summary"]
    later(monkeypatch, 86400 + 60)
    record = check(store, "s3://nightly/db/", name_pattern="*.dump.gz", newest_age_warn_above="1d",
                   newest_age_fail_above="2d")
    assert record["status"] == "warn" and "(warn > 1d, fail > 2d)" in record["summary"]


def test_size_and_count_levels_grade_the_newest_and_the_number_kept(store):
    record = check(store, "s3://nightly/db/", name_pattern="*.dump.gz", size_fail_below="10KB",
                   count_warn_below=7)
    assert record["status"] == "fail"
    assert "newest size 2.9 KiB (fail < 10.0 KiB)" in record["summary"]
    assert "backups kept 3 (warn < 7)" in record["summary"]


def test_an_empty_prefix_and_a_missing_bucket_fail(store):
    record = check(store, "s3://empty/db/")
    assert record["status"] == "fail" and record["summary"] == "no backup object under s3://empty/db/"
    assert record["observed"]["count"] == {"value": 0, "unit": "count"}
    record = check(store, "s3://nightly/db/", name_pattern="*.tar")
    assert record["status"] == "fail" and "matching *.tar" in record["summary"]
    record = check(store, "s3://no-such-bucket/db/")
    assert record["status"] == "fail" and record["summary"] == "bucket no-such-bucket does not exist"


# --- protection ---------------------------------------------------------------------------------

def test_an_unencrypted_backup_fails_unless_encryption_is_not_required(store):
    record = check(store, "s3://plain/db/")
    assert record["status"] == "fail"
    assert record["summary"] == "the newest backup is not encrypted at rest (no server-side encryption)"
    assert record["observed"]["encryption"] == "none"
    assert check(store, "s3://plain/db/", require_encryption=False)["status"] == "pass"
    encrypted = check(store, "s3://plain/enc/")
    assert encrypted["status"] == "pass" and encrypted["observed"]["encryption"] == "AES256"


def test_versioning_and_object_lock_when_required(store):
    record = check(store, "s3://locked/db/", require_versioning=True, require_object_lock=True)
    assert record["status"] == "pass", record["summary"]
    observed = record["observed"]
    assert observed["versioning"] == "Enabled"
    assert observed["object_lock"] == dict(enabled=True, default_mode="GOVERNANCE", default_retention="3 days")
    assert observed["newest_retention"]["mode"] == "GOVERNANCE" and observed["newest_retention"]["retain_until"]
    assert "newest backup locked (GOVERNANCE) until" in record["summary"]
    record = check(store, "s3://plain/db/", require_encryption=False, require_versioning=True,
                   require_object_lock=True)
    assert record["status"] == "fail"
    assert record["summary"] == ("versioning is never enabled on bucket plain; object lock is not enabled on bucket "
                                 "plain")
    record = check(store, "s3://versioned/db/", require_versioning=True, require_object_lock=True)
    assert record["status"] == "fail" and record["summary"] == "object lock is not enabled on bucket versioned"


# --- credentials --------------------------------------------------------------------------------

def test_a_read_only_key_is_enough_unless_bucket_settings_are_required(store):
    record = check(store, "s3://locked/db/", store.reader)
    assert record["status"] == "pass", record["summary"]
    record = check(store, "s3://locked/db/", store.reader, require_versioning=True)
    assert record["status"] == "error"
    assert record["summary"].startswith("GetBucketVersioning of locked answered HTTP 403 AccessDenied")


def test_temporary_credentials_are_signed_with_their_session_token(store):
    assert check(store, "s3://nightly/db/", store.role)["status"] == "pass"
    without = store.role._replace(session_token=None)
    record = check(store, "s3://nightly/db/", without)
    assert record["status"] == "error" and "InvalidAccessKeyId" in record["summary"]


def test_a_wrong_secret_key_is_an_error_that_does_not_show_it(store):
    wrong = store.admin._replace(secret_access_key="Wrong-secret-key-0d9c7b5a")
    record = check(store, "s3://nightly/db/", wrong)
    assert record["status"] == "error"
    assert record["summary"].startswith("listing s3://nightly/db/ answered HTTP 403 SignatureDoesNotMatch")
    assert "Wrong-secret-key-0d9c7b5a" not in json.dumps(record)


# --- bounds -------------------------------------------------------------------------------------

def test_listing_follows_pages_and_stops_at_its_cap(store, monkeypatch):
    monkeypatch.setattr(kind, "PAGE_KEYS", 2)
    record = check(store, "s3://nightly/db/")
    assert record["observed"]["count"]["value"] == 4  # five keys over three pages, the folder marker left out
    monkeypatch.setattr(kind, "MAX_LISTED_KEYS", 3)
    record = check(store, "s3://nightly/db/")
    assert record["status"] == "error"
    assert record["summary"] == ("the listing of s3://nightly/db/ exceeded the size cap MAX_LISTED_KEYS (3 keys); "
                                 "reading stopped there")


def test_a_server_that_does_not_answer_is_an_error_within_the_time_limit():
    import socket

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        started = time.monotonic()
        record = run_item(kind, dict(url="s3://nightly/db/", endpoint_url=f"http://127.0.0.1:{port}"), 1.0)
    assert record["status"] == "error" and "timed out" in record["summary"]
    assert time.monotonic() - started < 10


# --- signing and options ------------------------------------------------------------------------

def test_signature_matches_the_aws_documentation_example():
    """The 'GET Bucket (List Objects)' example of the Signature Version 4 documentation for S3."""
    endpoint = dict(region="us-east-1", access_key="AKIAIOSFODNN7EXAMPLE",
                    secret_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    headers = {"host": "examplebucket.s3.amazonaws.com", "x-amz-content-sha256": _s3.EMPTY_PAYLOAD_SHA256,
               "x-amz-date": "20130524T000000Z"}
    query = _s3.canonical_query({"max-keys": "2", "prefix": "J"})
    assert _s3.authorization(endpoint, "GET", "/", query, headers, "20130524T000000Z").endswith(
        "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")


def test_addressing_defaults_to_virtual_hosts_on_aws_and_paths_elsewhere():
    plan = prepared(kind, dict(url="s3://nightly/db/", region="eu-west-1"))
    assert plan["endpoint"]["host"] == "s3.eu-west-1.amazonaws.com" and plan["endpoint"]["style"] == "virtual"
    assert prepared(kind, dict(url="s3://my.dotted.bucket/db/"))["endpoint"]["style"] == "path"
    assert prepared(kind, dict(url="s3://b12/x", endpoint_url="https://minio:9000"))["endpoint"]["style"] == "path"
    plan = prepared(kind, dict(url="s3://b12/x", endpoint_url="https://minio:9000", addressing_style="virtual"))
    assert plan["endpoint"]["style"] == "virtual"


@pytest.mark.parametrize("item, message", [
    (dict(url="https://nightly/db"), "url: 'https://nightly/db' must be s3://BUCKET or s3://BUCKET/PREFIX"),
    (dict(url="s3://Bad_Bucket/db"), "url: 'Bad_Bucket' is not an S3 bucket name"),
    (dict(url="s3://AKIA0000:Url-secret-9a7c@nightly/db"), "url: 's3://AKIA0000:****@nightly/db' must be"),
    (dict(access_key_id="AKIA0000"), "access_key_id/secret_access_key: give both"),
    (dict(session_token="token-only"), "session_token: only applies with access_key_id"),
    (dict(region="EU central"), "region: 'EU central' is not a region name"),
    (dict(endpoint_url="http://minio:9000/bucket"), "endpoint_url: 'http://minio:9000/bucket' must be the service's"),
    (dict(name_pattern=" "), "name_pattern: must not be empty"),
    (dict(newest_age_fail_above="0s"), "newest_age_warn_above/newest_age_fail_above: must be greater than zero"),
])
def test_bad_options_are_refused_naming_the_option(item, message):
    assert rejected(**item).startswith(message)
