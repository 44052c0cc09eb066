"""os_updates in one real golive run over the SSH hosts: each host's item, run by that host's verify call over a
tiny Debian system refreshed by the real apt-get update, lands under that host and decides the verdict."""

from __future__ import annotations

import pytest
from playbook_runs import HEALTHY_VARS, checks_by_host

from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._apt_roots import (
    remove_apt_root,
    security_system,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def system():
    apt_root = security_system()
    yield apt_root
    remove_apt_root(apt_root)


def test_os_updates_land_under_the_host_that_lists_them(golive, system):
    host_vars = {
        "web01": {"golive_os_updates": [{"root": system.root, "timeout": "60s"}]},
        "web02": {"golive_os_updates": [{"root": system.root, "timeout": "60s", "security_fail_above": 1,
                                         "pending_warn_above": 5, "contact": "ops (#patching)"}]},
    }
    run = golive.run("--tags", "security", group_vars=HEALTHY_VARS, host_vars=host_vars, label="os-updates")
    assert run.verdict == "NO-GO", run.tail()
    hosts = checks_by_host(run.report)
    web01, web02 = hosts["web01"]["os_updates:host"], hosts["web02"]["os_updates:host"]
    assert "os_updates:host" not in hosts.get("db01", {})
    assert (web01["status"], web01["section"], web01["severity"]) == ("fail", "security", "high")
    assert [p["name"] for p in web01["observed"]["security_packages"]] == ["golive-sec"]
    assert web01["observed"]["pending_count"]["value"] == 2
    assert web02["status"] == "pass" and web02["expected"]["security_count"] == {"fail": {"above": 1}, "unit": "count"}
    assert "target" not in web01 and "target" not in web02
    assert "os_updates:host" in run.stdout and "web01" in run.stdout[run.stdout.index("GOLIVE VERDICT"):]
