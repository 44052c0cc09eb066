"""The filters the roles and the playbook assemble checklists with."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.golive.readiness.plugins.filter.checks import (
    checklist,
    checks_of,
    probe_checks_of,
    selected_sections,
)
from ansible_collections.golive.readiness.plugins.module_utils._module import INVALID_KIND, CheckBatch


def test_checks_of_sets_kind_and_section_without_overriding_the_item():
    items = checks_of([{"path": "/"}, {"path": "/var", "section": "data"}], "disk_space", "infrastructure",
                      "golive_disk_space")
    assert [(i["kind"], i["section"], i["path"]) for i in items] == [
        ("disk_space", "infrastructure", "/"), ("disk_space", "data", "/var")]
    assert checks_of(None, "disk_space") == [] and checks_of({"path": "/"}, "disk_space")[0]["path"] == "/"


@pytest.mark.parametrize("value, message", [
    ([{"path": "/", "free_warn_below": "20XB"}],
     "golive_disk_space[0] (disk_space): free_warn_below: unknown size unit"),
    ([{"path": "/", "free_warn_blow": "20GB"}], "golive_disk_space[0] (disk_space): "),
    (["/"], "golive_disk_space[0]: must be a dictionary of check options, got str"),
    ("/", "golive_disk_space: must be a list of check settings, got str"),
])
def test_invalid_settings_become_one_marker_naming_variable_item_and_option(value, message):
    [marker] = checks_of(value, "disk_space", "infrastructure", "golive_disk_space")
    assert marker["kind"] == INVALID_KIND
    assert any(error.startswith(message) for error in marker["errors"]), marker["errors"]


def test_checklist_joins_lists_and_raises_with_every_message():
    good = checks_of([{"path": "/"}], "disk_space")
    assert checklist([good, [], None]) == good
    bad = checks_of([{"path": "relative"}], "disk_space", None, "golive_disk_space")
    with pytest.raises(AnsibleFilterError) as exc:
        checklist([good, bad])
    assert ("invalid check settings: golive_disk_space[0] (disk_space): path: 'relative' must be absolute"
            in str(exc.value))


def test_verify_fails_on_a_marker_with_its_messages():
    batch = CheckBatch({})
    batch.add_mixed("checks[0]", {"kind": INVALID_KIND, "errors": ["golive_paths[2] (path): state: nope"]}, {})
    assert batch.errors == ["golive_paths[2] (path): state: nope"] and batch.prepared == []


def test_probe_checks_of_tags_each_item_with_its_host():
    hostvars = {"web01": {"golive_endpoint_checks": [{"kind": "tcp_port", "host": "h", "port": 1}]},
                "web02": {"golive_endpoint_checks": [{"kind": "tcp_port", "host": "h", "port": 2, "target": "lb"}]},
                "db01": {}}
    items = probe_checks_of(["web01", "web02", "db01"], hostvars, "golive_endpoint_checks")
    assert [(i["target"], i["port"]) for i in items] == [("web01", 1), ("lb", 2)]
    [marker] = probe_checks_of(["web01"], {"web01": {"golive_probe_checks": "oops"}})
    assert marker["kind"] == INVALID_KIND


@pytest.mark.parametrize("run_tags, skip_tags, expected", [
    (["all"], [], ["infrastructure", "application", "security", "services", "data", "monitoring", "backup"]),
    (["data", "security"], [], ["security", "data"]),
    (["all"], ["services", "data"], ["infrastructure", "application", "security", "monitoring", "backup"]),
    (["infrastructure"], ["infrastructure"], []),
])
def test_selected_sections_follow_tags(run_tags, skip_tags, expected):
    assert selected_sections(run_tags, skip_tags) == expected


def test_checklist_reports_problems_of_lists_that_run_elsewhere():
    endpoint = checks_of([{"host": "h", "port": 0}], "tcp_port", None, "golive_ports")
    with pytest.raises(AnsibleFilterError, match=r"golive_ports\[0\] \(tcp_port\)"):
        checklist([checks_of([{"path": "/"}], "disk_space")], also_validate=[endpoint])
