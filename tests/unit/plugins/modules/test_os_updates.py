"""os_updates end to end: real `ansible localhost -m golive.readiness.os_updates` and verify runs over a tiny Debian
system refreshed by the real apt-get update."""

from __future__ import annotations

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._checks import os_updates
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._apt_roots import (
    remove_apt_root,
    security_system,
)

from ._adhoc import ansible_run, assert_documents_options


@pytest.fixture(scope="module")
def system():
    apt_root = security_system()
    yield apt_root
    remove_apt_root(apt_root)


def test_module_documentation_renders_every_option():
    doc = assert_documents_options("os_updates", os_updates)
    assert doc["version_added"] == "0.2.0"
    assert doc["options"]["checks"]["suboptions"]["reboot_required"]["choices"] == ["fail", "warn", "pass"]


def test_module_reports_the_security_update_and_fails_the_task(system):
    done, result = ansible_run("os_updates", {"checks": [{"root": system.root, "timeout": "60s"}]})
    assert done.returncode == 2, done.stdout
    [record] = result["golive_checks"]
    assert (record["id"], record["kind"], record["title"]) == ("os_updates:host", "os_updates", "Pending OS updates")
    assert (record["section"], record["severity"], record["status"]) == ("security", "high", "fail")
    assert record["observed"]["security_packages"] == [{"name": "golive-sec", "installed": "1.0", "candidate": "1.1",
                                                        "origin": "Debian-Security:12/bookworm-security"}]
    assert result["msg"].startswith("1 check: 1 fail; os_updates:host fail: security updates 1 [golive-sec 1.0 -> 1.1]")
    assert result["changed"] is False


def test_bad_options_fail_the_task_naming_the_item_and_option():
    done, result = ansible_run("os_updates", {"checks": [
        {"security_origin_regex": "("}, {"id": "second", "list_age_warn_above": "3x"}]})
    assert done.returncode == 2
    first, second = result["errors"]
    assert first.startswith("checks[0]: security_origin_regex: '(' is not a valid regular expression")
    assert second == "checks[1]: list_age_warn_above: unknown duration unit 'x' in '3x' (use ms, s, m, h, d, w)"
    assert "golive_checks" not in result
    done, result = ansible_run("os_updates", {"checks": [{"reboot_required": "sometimes"}]})
    assert done.returncode == 2
    assert result["msg"] == "value of reboot_required must be one of: fail, warn, pass, got: sometimes found in checks"


def test_verify_runs_os_updates_beside_other_kinds(system, tmp_path):
    done, result = ansible_run("verify", {"fail_on": [], "checks": [
        {"kind": "os_updates", "root": system.root, "security_fail_above": 1, "timeout": "60s"},
        {"kind": "disk_space", "path": str(tmp_path), "free_fail_below": "1KB"},
    ]})
    assert done.returncode == 0, done.stdout
    assert [(r["id"], r["status"]) for r in result["golive_checks"]] == [
        ("os_updates:host", "pass"), (f"disk_space:{tmp_path}", "pass")]
