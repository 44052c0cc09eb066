"""The golive playbook over SSH hosts with the off-host backup kinds: an S3-compatible store (moto_server, requests
authenticated) checked from the probe, and WAL-G's backup list read on the host and fetched by URL from the probe.
Each record must land under the host whose variables list it, with the probe recorded for what the probe ran, and
the store's secret key must appear nowhere Ansible or the report wrote."""

from __future__ import annotations

import json
import os
import sys
import time

import pytest
from playbook_runs import HEALTHY_VARS

from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._ports import unused_port
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._real_http_servers import (
    ServerProcess,
)
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._s3_servers import (
    REGION,
    make_bucket,
    moto_server_path,
    put,
    s3_client,
    s3_store,
)

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(moto_server_path() is None, reason="moto[server] is not installed")]


def walg_list(directory):
    """A WAL-G `backup-list --json` of a full backup of yesterday and a delta of an hour ago (documented shape)."""
    entries = []
    for name, age in (("base_000000010000000000000004", 86400),
                      ("base_000000010000000000000008_D_000000010000000000000004", 3600)):
        finished = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - age))
        entries.append(dict(backup_name=name, time=finished, wal_file_name=name[5:29]))
    path = os.path.join(directory, "walg-backup-list.json")
    with open(path, "w") as handle:
        json.dump(entries, handle)
    return path


def test_backup_kinds_land_under_their_hosts(golive, tmp_path):
    catalog = walg_list(str(tmp_path))
    port = unused_port()
    server = ServerProcess("http.server", [sys.executable, "-m", "http.server", "--bind", "127.0.0.1",
                                           "--directory", str(tmp_path), str(port)], str(tmp_path), [port])
    with s3_store() as store:
        client = s3_client(store)
        make_bucket(client, "nightly", encryption="AES256")
        put(client, "nightly", "db/base.dump", 4096)
        make_bucket(client, "plain")
        put(client, "plain", "db/base.dump", 4096)
        s3 = dict(endpoint_url=store.url, region=REGION, **store.reader.options())
        host_vars = {
            "web01": dict(golive_object_storage_backups=[dict(s3, url="s3://nightly/db/", size_fail_below="1KB"),
                                                         dict(s3, url="s3://plain/db/")]),
            "db01": dict(golive_backup_catalogs=[
                dict(path=catalog, full_age_fail_above="8d", incr_age_fail_above="26h"),
                dict(url=f"http://127.0.0.1:{port}/walg-backup-list.json", full_age_fail_above="12h",
                     id="catalog:published"),
            ]),
        }
        try:
            server.wait_ready()
            run = golive.run(group_vars=HEALTHY_VARS, host_vars=host_vars, label="backups")
        finally:
            server.stop()
    report = run.report
    records = dict(((c["host"], c["id"]), (c["status"], c.get("probe"))) for c in report["checks"]
                   if c["kind"] in ("object_storage_backup", "backup_catalog"))
    assert records == {
        ("web01", "object_storage_backup:s3://nightly/db/"): ("pass", "localhost"),
        ("web01", "object_storage_backup:s3://plain/db/"): ("fail", "localhost"),
        ("db01", f"backup_catalog:{catalog}"): ("pass", None),
        ("db01", "catalog:published"): ("fail", "localhost"),
    }, run.tail()
    assert report["verdict"] == "NO-GO" and run.returncode != 0
    blocking = sorted((b["host"], b["id"]) for b in report["blocking"])
    assert blocking == [("db01", "catalog:published"), ("web01", "object_storage_backup:s3://plain/db/")]
    written = run.output
    for root, _dirs, files in os.walk(run.report_dir):
        for name in files:
            with open(os.path.join(root, name), errors="replace") as handle:
                written += handle.read()
    assert store.reader.secret_access_key not in written
