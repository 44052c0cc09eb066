"""backup_catalog end to end: `ansible localhost -m golive.readiness.backup_catalog` over WAL-G backup lists of its
documented shape (the kind's own tests grade a real pgBackRest's catalog)."""

from __future__ import annotations

import json
import time

from ansible_collections.golive.readiness.plugins.module_utils._checks import backup_catalog

from ._adhoc import ansible_run, assert_documents_options


def test_module_documentation_renders_every_option():
    doc = assert_documents_options("backup_catalog", backup_catalog)
    checks = doc["options"]["checks"]["suboptions"]
    assert checks["format"]["choices"] == list(backup_catalog.FORMATS)
    assert "BACKUP_CATALOG_CAP" in " ".join(doc["description"])


def _walg_list(*ages):
    names = ["base_000000010000000000000004", "base_000000010000000000000008_D_000000010000000000000004"]
    return json.dumps([dict(backup_name=name, wal_file_name=name[5:29],
                            time=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - age)))
                       for name, age in zip(names, ages)])


def test_module_grades_walg_lists(tmp_path):
    fresh, stale = tmp_path / "fresh.json", tmp_path / "stale.json"
    fresh.write_text(_walg_list(86400, 600))
    stale.write_text(_walg_list(9 * 86400, 3 * 86400))
    done, result = ansible_run("backup_catalog", {"checks": [
        {"path": str(fresh), "full_age_fail_above": "8d", "max_age": "1h"},
        {"path": str(stale), "full_age_fail_above": "8d"},
    ]})
    assert done.returncode == 2
    records = result["golive_checks"]
    assert [r["status"] for r in records] == ["pass", "fail"], [r["summary"] for r in records]
    assert records[0]["observed"]["newest_type"] == "incr"
    assert records[1]["summary"].startswith("newest backup age 3d")
