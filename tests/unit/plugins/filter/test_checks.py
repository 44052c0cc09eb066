"""The filters the roles and the playbook assemble checklists with."""

from __future__ import annotations

import pytest

from ansible_collections.golive.readiness.plugins.filter.checks import (
    checklist,
    checks_of,
    probe_checks_of,
    selected_sections,
)
from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._module import ORIGIN_KEY, CheckBatch
from ansible_collections.golive.readiness.plugins.module_utils._registry import KINDS


def test_checks_of_sets_kind_and_section_without_overriding_the_item():
    items = checks_of([{"path": "/"}, {"path": "/var", "section": "data"}], "disk_space", "infrastructure",
                      "golive_disk_space")
    assert [(i["kind"], i["section"], i["path"]) for i in items] == [
        ("disk_space", "infrastructure", "/"), ("disk_space", "data", "/var")]
    assert checks_of(None, "disk_space") == [] and checks_of({"path": "/"}, "disk_space")[0]["path"] == "/"


def test_checks_of_records_where_each_item_was_written():
    items = checks_of([{"path": "/"}, {"path": "/var"}], "disk_space", "infrastructure", "golive_disk_space")
    assert [item[ORIGIN_KEY] for item in items] == ["golive_disk_space[0]", "golive_disk_space[1]"]


def test_checks_of_only_tags_it_does_not_validate():
    # Validation is the gate's (once, on the controller) and verify's (on the host): a wrong option passes here.
    [item] = checks_of([{"path": "/", "free_warn_below": "20XB"}], "disk_space", None, "golive_disk_space")
    assert item["free_warn_below"] == "20XB"
    assert checks_of(["/"], "disk_space") == ["/"]


def test_checks_of_names_the_variable_that_is_not_a_list():
    with pytest.raises(OptionError, match="golive_disk_space: must be a list of check settings, got str"):
        checks_of("/", "disk_space", "infrastructure", "golive_disk_space")


def test_checklist_only_joins_lists():
    good = checks_of([{"path": "/"}], "disk_space")
    bad = checks_of([{"path": "relative"}], "disk_space")
    assert checklist([good, [], None, bad]) == good + bad


def test_verify_names_an_item_by_where_it_was_written():
    batch = CheckBatch({})
    for index, item in enumerate(checks_of([{"path": "/"}, {"path": "relative"}], "disk_space", None,
                                           "golive_disk_space")):
        batch.add_mixed(f"checks[{index}]", item, KINDS)
    assert batch.errors == ["golive_disk_space[1] (disk_space): path: 'relative' must be absolute"]
    assert [check.check_id for check in batch.prepared] == ["disk_space:/"]


def test_probe_checks_of_tags_each_item_with_its_host():
    hostvars = {"web01": {"golive_endpoint_checks": [{"kind": "tcp_port", "host": "h", "port": 1}]},
                "web02": {"golive_endpoint_checks": [{"kind": "tcp_port", "host": "h", "port": 2, "target": "lb"}]},
                "db01": {}}
    items = probe_checks_of(["web01", "web02", "db01"], hostvars, "golive_endpoint_checks")
    assert [(i["target"], i["port"], i[ORIGIN_KEY]) for i in items] == [
        ("web01", 1, "golive_endpoint_checks[0]"), ("lb", 2, "golive_endpoint_checks[0]")]
    with pytest.raises(OptionError, match="golive_probe_checks of web01: must be a list"):
        probe_checks_of(["web01"], {"web01": {"golive_probe_checks": "oops"}})


@pytest.mark.parametrize("run_tags, skip_tags, expected", [
    (["all"], [], ["infrastructure", "application", "security", "services", "data", "monitoring", "backup"]),
    (["data", "security"], [], ["security", "data"]),
    (["all"], ["services", "data"], ["infrastructure", "application", "security", "monitoring", "backup"]),
    (["infrastructure"], ["infrastructure"], []),
])
def test_selected_sections_follow_tags(run_tags, skip_tags, expected):
    assert selected_sections(run_tags, skip_tags) == expected


def test_checks_of_splits_a_kind_read_on_the_host_or_from_the_probe_by_its_probe_option():
    items = [{"path": "/srv/ci/junit.xml"}, {"url": "https://ci.example.com/junit.xml"}, {"path": "/b", "url": ""}]
    on_host = checks_of(items, "some_kind", "application", "golive_reports", "url", "host")
    from_probe = checks_of(items, "some_kind", "application", "golive_reports", "url", "probe")
    assert [i[ORIGIN_KEY] for i in on_host] == ["golive_reports[0]", "golive_reports[2]"]
    assert [i[ORIGIN_KEY] for i in from_probe] == ["golive_reports[1]"]
    with pytest.raises(OptionError, match="give probe_option and runs"):
        checks_of(items, "some_kind", "application", "golive_reports", "url")
    with pytest.raises(OptionError, match="runs='elsewhere'"):
        checks_of(items, "some_kind", "application", "golive_reports", "url", "elsewhere")
