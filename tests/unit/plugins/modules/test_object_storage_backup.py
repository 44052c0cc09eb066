"""object_storage_backup end to end: `ansible localhost -m golive.readiness.object_storage_backup` against a real
S3-compatible server (moto_server, requests authenticated), with the secret key never in anything Ansible writes."""

from __future__ import annotations

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._checks import object_storage_backup

from ._adhoc import ansible_run_logged, assert_documents_options
from ._servers import s3_servers

pytestmark = pytest.mark.skipif(s3_servers.moto_server_path() is None, reason="moto[server] is not installed")


def test_module_documentation_renders_every_option():
    doc = assert_documents_options("object_storage_backup", object_storage_backup)
    checks = doc["options"]["checks"]["suboptions"]
    assert checks["addressing_style"]["choices"] == ["auto", "path", "virtual"]
    text = " ".join(doc["description"])
    assert "MAX_LISTED_KEYS" in text and "MAX_S3_ANSWER_BYTES" in text


def test_module_grades_a_bucket_and_never_shows_the_secret_key(tmp_path):
    with s3_servers.s3_store() as store:
        client = s3_servers.s3_client(store)
        s3_servers.make_bucket(client, "nightly", encryption="AES256")
        s3_servers.put(client, "nightly", "db/1.dump", 2048)
        s3_servers.make_bucket(client, "plain")
        s3_servers.put(client, "plain", "db/1.dump", 2048)
        base = dict(endpoint_url=store.url, region=s3_servers.REGION, **store.admin.options())
        done, result, everything = ansible_run_logged("object_storage_backup", tmp_path, {"checks": [
            dict(base, url="s3://nightly/db/", size_fail_below="1KB"),
            dict(base, url="s3://plain/db/"),
            dict(base, url="s3://nightly/db/", secret_access_key="Not-the-secret-3e8a1f", id="wrong-key"),
        ]})
    assert done.returncode == 2
    records = result["golive_checks"]
    assert [r["status"] for r in records] == ["pass", "fail", "error"], [r["summary"] for r in records]
    assert records[0]["observed"]["size"] == {"value": 2048, "unit": "bytes"}
    assert "SignatureDoesNotMatch" in records[2]["summary"]
    assert store.admin.secret_access_key not in everything and "Not-the-secret-3e8a1f" not in everything
