"""The one validation of every scope host's checklist: each distinct item once, each problem once with its hosts."""

from __future__ import annotations

import re
from pathlib import Path
from unittest import mock

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from ansible_collections.golive.readiness.plugins.filter.checks import checks_of
from ansible_collections.golive.readiness.plugins.module_utils._check import Outcome
from ansible_collections.golive.readiness.plugins.module_utils._module import COMMON_ITEM_OPTIONS, CheckBatch
from ansible_collections.golive.readiness.plugins.module_utils._registry import KINDS
from ansible_collections.golive.readiness.plugins.plugin_utils._checklists import (
    HOST_RUN_VARIABLES,
    PROBE_RUN_VARIABLES,
    ChecklistValidation,
    _compiling_once,
    _SharedTemplating,
    misspelling_of,
    user_variables,
)

TYPO = [{"url": "http://127.0.0.1:9/", "statuz": 200}]
COLLECTION = Path(__file__).resolve().parents[4]


def test_a_problem_shared_by_hosts_is_reported_once_naming_them():
    validation = ChecklistValidation()
    for host in ("web01", "web02"):
        validation.check_items(host, checks_of(TYPO, "http_endpoint", None, "golive_http_endpoints"), "checks")
    [problem] = validation.problems()
    assert problem.startswith("golive_http_endpoints[0] (http_endpoint): unsupported option statuz (supported: ")
    assert problem.endswith(", validate_certs) (in the variables of web01, web02)")


def test_each_distinct_item_is_validated_once():
    validation = ChecklistValidation()
    items = checks_of([{"path": "/"}, {"path": "/var"}], "disk_space", None, "golive_disk_space")
    with mock.patch.object(CheckBatch, "add_mixed", autospec=True, side_effect=CheckBatch.add_mixed) as add:
        for host in ("web01", "web02", "db01"):
            validation.check_items(host, items, "checks")
    assert add.call_count == 2
    assert validation.problems() == []


def test_problems_of_one_host_name_only_that_host():
    validation = ChecklistValidation()
    validation.check_items("web01", checks_of([{"path": "/"}], "disk_space", None, "golive_disk_space"), "checks")
    validation.check_items("web02", checks_of([{"path": "rel"}], "disk_space", None, "golive_disk_space"), "checks")
    assert validation.problems() == [
        "golive_disk_space[0] (disk_space): path: 'rel' must be absolute (in the variables of web02)"]


def test_two_items_of_one_checklist_with_the_same_id_are_a_problem():
    validation = ChecklistValidation()
    items = (checks_of([{"path": "/"}], "disk_space", None, "golive_disk_space")
             + checks_of([{"path": "/", "kind": "disk_space"}], None, None, "golive_extra_checks"))
    validation.check_items("web01", items, "checks")
    assert validation.problems() == [
        "golive_extra_checks[0] (disk_space): id 'disk_space:/' is already used by golive_disk_space[0] (disk_space); "
        "give one of them an explicit id (in the variables of web01)"]


def test_hint_and_contact_are_strings_within_their_caps():
    validation = ChecklistValidation()
    items = checks_of([{"path": "/", "hint": "free space: journalctl --vacuum-size=1G", "contact": "ops"},
                       {"path": "/var", "hint": ["restart"], "contact": 42},
                       {"path": "/srv", "hint": "x" * 1001, "contact": "y" * 201}],
                      "disk_space", None, "golive_disk_space")
    validation.check_items("web01", items, "checks")
    assert validation.problems() == [
        "golive_disk_space[1] (disk_space): hint: must be a string, got list; contact: must be a string, got int "
        "(in the variables of web01)",
        "golive_disk_space[2] (disk_space): hint: 1001 characters, at most 1000; contact: 201 characters, at most 200 "
        "(in the variables of web01)"]


def test_hint_and_contact_reach_the_record_as_given():
    batch = CheckBatch({})
    batch.add_mixed("checks[0]", {"kind": "disk_space", "path": "/", "hint": "see runbook", "contact": "ops"},
                    {"disk_space": KINDS["disk_space"]})
    [check] = batch.prepared
    assert batch.errors == []
    record = check.record(Outcome("pass", "ok", {}, {}), 3)
    assert (record["hint"], record["contact"]) == ("see runbook", "ops")


def test_a_path_items_owner_is_the_file_owner_it_expects_and_its_contact_who_acts():
    batch = CheckBatch({})
    batch.add_mixed("checks[0]", {"kind": "path", "path": "/", "owner": "root", "contact": "ops"}, KINDS)
    [check] = batch.prepared
    assert batch.errors == [] and check.item["owner"] == "root"
    record = check.record(Outcome("pass", "ok", {}, {}), 3)
    assert record["contact"] == "ops" and "owner" not in record


def test_no_kind_redefines_an_option_every_item_takes():
    assert [f"{kind}: {option}" for kind, module in KINDS.items() for option in module.OPTIONS
            if option in COMMON_ITEM_OPTIONS] == []


def test_items_that_are_no_dictionary_or_name_no_kind_are_named():
    validation = ChecklistValidation()
    validation.check_items("web01", checks_of(["/", {"url": "x", "kind": "htp"}], None, None, "golive_extra_checks"),
                           "checks")
    problems = validation.problems()
    assert problems[0] == "checks[0]: must be a dictionary of check options, got str (in the variables of web01)"
    assert problems[1].startswith("golive_extra_checks[1]: kind 'htp' is not one of alertmanager, ")


def test_run_options_are_named_by_their_playbook_variable():
    validation = ChecklistValidation()
    validation.check_run_options("web01", {"timeout": "25h", "deadline": "45s", "max_workers": "0"},
                                 HOST_RUN_VARIABLES)
    validation.check_run_options("localhost", {"deadline": "nope", "network_workers": 64}, PROBE_RUN_VARIABLES)
    assert validation.problems() == [
        "golive_check_timeout: timeout: '25h' is outside 1ms to 24h (in the variables of web01)",
        "golive_max_workers: max_workers: 0 is outside 1 to 256 (in the variables of web01)",
        "golive_probe_deadline: deadline: 'nope' is not a number with an optional unit (allowed: 1ms to 24h) "
        "(in the variables of localhost)"]


def test_the_summary_counts_the_problems_and_names_where_they_are():
    validation = ChecklistValidation()
    assert validation.problems() == []
    validation.check_items("web01", checks_of([{"path": "rel"}, {"path": "/", "free_warn_below": "1XB"}],
                                              "disk_space", None, "golive_disk_space"), "checks")
    assert validation.summary() == ("invalid check settings in golive_disk_space[0] (disk_space), golive_disk_space[1] "
                                    "(disk_space): 2 problems, each printed above as a warning")
    for index in range(6):
        validation.check_run_options(f"web{index}", {"max_workers": 1000 + index}, HOST_RUN_VARIABLES)
    assert validation.summary().startswith("invalid check settings in golive_disk_space[0] (disk_space), ")
    assert validation.summary().endswith(", golive_max_workers: 8 problems, each printed above as a warning")


def test_kept_checklists_hand_each_host_its_items_and_the_probe_every_endpoint_check_with_its_target():
    validation = ChecklistValidation()
    for host, port in (("web01", 1), ("web02", 2)):
        endpoint = checks_of([{"host": "h", "port": port}], "tcp_port", None, "golive_ports")
        probe = checks_of([{"host": "p", "port": port, "kind": "tcp_port", "target": "lb"}], None, None,
                          "golive_probe_checks")
        validation.keep(host, checks_of([{"path": "/"}], "disk_space", None, "golive_disk_space"), endpoint, probe)
    assert [item["path"] for item in validation.host_items["web02"]] == ["/"]
    assert [(item["host"], item["port"], item["target"]) for item in validation.probe_items()] == [
        ("h", 1, "web01"), ("h", 2, "web02"), ("p", 1, "lb"), ("p", 2, "lb")]


def test_hosts_share_each_compiled_template_but_not_their_values():
    environment_class = type(Templar(loader=DataLoader())._engine.environment)
    with mock.patch.object(environment_class, "from_string", autospec=True,
                           side_effect=environment_class.from_string) as compile_template:
        templar = _compiling_once(Templar(loader=DataLoader()))
        values = []
        for number in (1, 2):
            templar.available_variables = {"number": number, "next": trust_as_template("{{ number + 1 }}")}
            values.append(templar.resolve_variable_expression("next"))
    assert values == [2, 3]
    texts = [call.args[1] for call in compile_template.call_args_list if isinstance(call.args[1], str)]
    assert texts == ["{{ number + 1 }}"]


SECTION_TEMPLATE = ("{{ [golive_paths | golive.readiness.checks_of('path', 'infrastructure', 'golive_paths')]"
                    " | flatten(levels=1) }}")


def test_hosts_with_equal_checklist_inputs_share_one_templating():
    shared = _SharedTemplating()
    web01 = {"golive_section": SECTION_TEMPLATE, "golive_paths": [{"path": "/srv"}], "inventory_hostname": "web01"}
    web02 = dict(web01, inventory_hostname="web02")
    assert shared.key(web01, "golive_section") is not None
    assert shared.key(web01, "golive_section") == shared.key(web02, "golive_section")
    other = dict(web01, golive_paths=[{"path": "/var"}])
    assert shared.key(other, "golive_section") != shared.key(web01, "golive_section")
    # Undefined and null are different inputs (default() tells them apart).
    assert shared.key({"golive_x": "{{ golive_y | default([]) }}"}, "golive_x") != shared.key(
        {"golive_x": "{{ golive_y | default([]) }}", "golive_y": None}, "golive_x")


def test_a_template_reading_anything_host_specific_is_templated_per_host():
    shared = _SharedTemplating()
    for paths in ([{"path": "/srv/{{ inventory_hostname }}"}], "{{ my_paths }}", "{{ lookup('env', 'HOME') }}",
                  "{{ hostvars['web01'].golive_paths }}", "{{ unclosed"):
        variables = {"golive_section": SECTION_TEMPLATE, "golive_paths": paths}
        assert shared.key(variables, "golive_section") is None, paths


def test_a_misspelt_variable_is_noticed_naming_the_variable_meant_and_its_hosts():
    validation = ChecklistValidation()
    for host in ("web01", "web02"):
        validation.note_misspelt_variables(host, ["golive_disk_spaces", "golive_disk_space", "golive_waivers_web"])
    validation.note_misspelt_variables("db01", ["golive_sign_off"])
    assert validation.notices() == [
        "golive_disk_spaces is not a variable golive reads, so golive ignores it; did you mean golive_disk_space? "
        "(in the variables of web01, web02)",
        "golive_sign_off is not a variable golive reads, so golive ignores it; did you mean golive_signoff? "
        "(in the variables of db01)"]
    # A notice warns; it does not stop the run.
    assert validation.problems() == []


def test_every_variable_golive_reads_and_a_users_own_golive_names_are_not_misspellings():
    assert {"golive_disk_space", "golive_http_security", "golive_signoff", "golive_wait"} <= user_variables()
    for name in [*sorted(user_variables()), "golive_waivers_worker01", "golive_db_password", "golive_release"]:
        assert misspelling_of(name) is None, name


def test_no_variable_the_collections_own_plays_and_roles_set_is_taken_for_a_misspelling():
    # The Prometheus format's metric names are not variables (golive_attestation is one).
    texts = [path.read_text(encoding="utf-8") for folder in ("playbooks", "roles", "plugins")
             for path in (COLLECTION / folder).rglob("*") if path.suffix in (".yml", ".py", ".j2")
             and path.name != "_report_prometheus.py"]
    names = {name for text in texts for name in re.findall(r"\bgolive_[a-z0-9_]*[a-z0-9]", text)}
    assert len(names) > 100
    assert {name: misspelling_of(name) for name in names if misspelling_of(name)} == {}


def test_a_problem_quoting_a_secret_the_item_holds_shows_it_masked():
    validation = ChecklistValidation()
    items = (checks_of([{"host": "redis://:Redis-pass-42@cache:6379"}], "redis", None, "golive_redis")
             + checks_of([{"url": "postgresql+psycopg://app@db/shop", "password": "Db-pass-42",
                           "min_version": "Db-pass-42"}], "db_server", None, "golive_databases"))
    validation.check_items("web01", items, "checks")
    problems = validation.problems()
    assert len(problems) == 2, problems
    assert not any("pass-42" in problem for problem in problems), problems
    assert problems[0].startswith("golive_redis[0] (redis): host: 'redis://:********@cache:6379' is not a host name")
