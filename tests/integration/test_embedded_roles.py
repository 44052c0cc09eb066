"""The roles embedded in ordinary plays over the loopback SSH hosts: the README's examples as written (a section
role under ``roles:``, with ``include_role``, with ``import_role`` and the gate in a later play, the whole-checklist
role, a single module), a failing check, a play with nothing to check and bad input."""

from __future__ import annotations

import os
import re

import pytest
import yaml
from playbook_runs import HEALTHY_VARS, REPO, SSH_HOSTS, checks_by_host, hosts_of_task

pytestmark = pytest.mark.integration

README_SECTION = "## Embedding the roles in your own playbooks"
GATE_TASK = "golive.readiness.gate : Decide the go-live verdict"
# What the examples check: the default disk and resources checks, each host's own SSH port from the
# controller (an endpoint check), and a file every host has.
EMBEDDED_VARS = dict(HEALTHY_VARS, golive_ports=[{"host": "127.0.0.1", "port": "{{ ansible_port }}"}],
                     golive_app_paths=[{"path": "/etc/hostname", "state": "file"}])
MISSING_FILE = "/nonexistent/golive-embedded"


def readme_examples():
    """The YAML examples of the README's embedding section, in their order."""
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as handle:
        text = handle.read()
    section = text.split(README_SECTION, 1)[1].split("\n## ", 1)[0]
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", section, re.DOTALL)]


EXAMPLES = readme_examples()
ROLES, INCLUDE_ROLE, IMPORT_ROLE, CHECKLIST, MODULE = EXAMPLES
# The sections each playbook example runs, and the verify task each section runs once per host.
EXAMPLE_SECTIONS = [(ROLES, ["infrastructure", "security"]), (INCLUDE_ROLE, ["application"]),
                    (IMPORT_ROLE, ["infrastructure"]), (CHECKLIST, None)]


def write_playbook(golive, plays, label):
    path = os.path.join(golive.new_dir(f"{label}-playbook"), "site.yml")
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(plays, handle, sort_keys=False)
    return path


def verify_task(role, section=None):
    """The name the default callback prints for a role's one verify call per host."""
    checks = f"{section} checks" if section else "checks"
    return f"golive.readiness.{role} : Run this host's {checks} in one call"


def gate_statuses(run):
    return [status for status, dummy in hosts_of_task(run.stdout, GATE_TASK)]


def run_plays(golive, plays, label, **inventory):
    inventory.setdefault("group_vars", EMBEDDED_VARS)
    return golive.run(playbook=write_playbook(golive, plays, label), label=label, **inventory)


def test_the_readme_has_the_three_ways_the_whole_checklist_and_a_module():
    assert len(EXAMPLES) == 5
    assert ROLES[0]["roles"][-1] == "golive.readiness.gate"
    assert "ansible.builtin.include_role" in INCLUDE_ROLE[0]["tasks"][0]
    assert "ansible.builtin.import_role" in IMPORT_ROLE[0]["tasks"][0]
    assert CHECKLIST[0]["roles"] == ["golive.readiness.checklist"]
    assert "golive.readiness.disk_space" in MODULE[0]


@pytest.mark.parametrize("example, sections", EXAMPLE_SECTIONS,
                         ids=["roles", "include_role", "import_role", "checklist"])
def test_a_readme_example_runs_its_checks_and_the_gate_decides(golive, example, sections):
    run = run_plays(golive, example, "example")
    assert run.returncode == 0, run.tail()
    assert run.verdict == "GO", run.tail()
    assert gate_statuses(run) == ["ok"], run.tail()  # once, however many hosts the play has
    report = run.report
    assert report["verdict"] == "GO"
    by_host = checks_by_host(report)
    assert sorted(by_host) == sorted(SSH_HOSTS), run.tail()
    for host in SSH_HOSTS:
        assert all(check["status"] == "pass" for check in by_host[host].values()), by_host[host]
    ran = {check["section"] for check in report["checks"]}
    if sections is None:  # the whole checklist: one call per host for every section
        assert {"infrastructure", "application", "security"} <= ran
        assert sorted(host for dummy, host in hosts_of_task(run.stdout, verify_task("checklist"))) == \
            sorted(SSH_HOSTS)
    else:
        assert ran == set(sections)
        for section in sections:
            calls = hosts_of_task(run.stdout, verify_task(section, section))
            assert sorted(host for dummy, host in calls) == sorted(SSH_HOSTS), run.tail()
    if "security" in ran:
        # Endpoint checks ran from the controller, each about its own host.
        ports = [check for check in report["checks"] if check["id"].startswith("tcp_port:")]
        assert sorted(check["host"] for check in ports) == sorted(SSH_HOSTS)
        assert {check.get("probe") for check in ports} == {"localhost"}


def role_readme_example(role):
    with open(os.path.join(REPO, "roles", role, "README.md"), encoding="utf-8") as handle:
        return yaml.safe_load(handle.read().split("```yaml\n", 1)[1].split("```", 1)[0])


@pytest.mark.parametrize("role", ["infrastructure", "checklist"])
def test_a_role_readme_example_works_as_written(golive, role):
    run = run_plays(golive, role_readme_example(role), f"{role}-readme")
    assert run.returncode == 0, run.tail()
    assert run.verdict == "GO", run.tail()
    assert gate_statuses(run) == ["ok"], run.tail()
    assert sorted(checks_by_host(run.report)) == sorted(SSH_HOSTS)


def test_the_readme_module_example_runs_one_kind(golive):
    play = [{"name": "One kind", "hosts": "all", "gather_facts": False, "tasks": [MODULE[0]]}]
    run = run_plays(golive, play, "module")
    assert run.returncode == 0, run.tail()
    by_host = checks_by_host(run.report)
    assert sorted(by_host) == sorted(SSH_HOSTS)
    assert all(checks["disk_space:/"]["status"] == "pass" for checks in by_host.values())


def test_a_failing_check_of_an_embedded_role_is_nogo(golive):
    # A host check and an endpoint check fail on web02; the gate counts each once, though the endpoint
    # checks' result is registered on every host of the play.
    closed = {"host": "127.0.0.1", "port": 9}
    run = run_plays(golive, ROLES, "failing",
                    host_vars={"web02": {"golive_paths": [{"path": MISSING_FILE, "state": "file"}],
                                         "golive_ports": [closed]}})
    assert run.returncode != 0, run.tail()
    assert run.verdict == "NO-GO", run.tail()
    assert gate_statuses(run) == ["fatal"], run.tail()
    assert '"msg": "NO-GO: 2 blocking items on 1 host"' in run.stdout, run.tail()
    report = run.report
    assert report["verdict"] == "NO-GO"
    blocking = sorted((reason.get("id"), reason["hosts"]) for reason in report["reasons"] if reason["kind"] == "check")
    assert blocking == [(f"path:{MISSING_FILE}", ["web02"]), ("tcp_port:127.0.0.1:9", ["web02"])], report["reasons"]
    assert checks_by_host(report)["web01"]["disk_space:/"]["status"] == "pass"


def test_an_embedded_role_with_nothing_to_check_is_never_go(golive):
    plays = [{"name": "Nothing configured", "hosts": "all", "gather_facts": False,
              "roles": ["golive.readiness.services", "golive.readiness.gate"]}]
    run = run_plays(golive, plays, "nothing", group_vars={})
    assert run.returncode != 0, run.tail()
    assert run.verdict == "NO-GO", run.tail()
    assert any("nothing was checked" in reason["text"] for reason in run.report["reasons"]), run.report["reasons"]


def test_an_embedded_role_refuses_a_wrong_option_naming_variable_item_and_option(golive):
    wrong = dict(HEALTHY_VARS, golive_disk_space=[{"path": "/", "free_fail_below": "10XB"}])
    run = run_plays(golive, IMPORT_ROLE, "wrong-option", group_vars=wrong)
    assert run.returncode != 0, run.tail()
    assert re.search(r"golive_disk_space\[0\] \(disk_space\): free_fail_below: [^\n]*10XB", run.output), run.tail()
    validation = "golive.readiness.infrastructure : Validate the checks of every host of the play, once"
    assert [status for status, dummy in hosts_of_task(run.stdout, validation)] == ["fatal"], run.tail()
    assert hosts_of_task(run.stdout, verify_task("infrastructure", "infrastructure")) == [], run.tail()
    assert "Traceback" not in run.output


def test_the_checklist_role_enforces_its_argument_specification(golive):
    run = run_plays(golive, CHECKLIST, "wrong-type", group_vars=dict(HEALTHY_VARS, golive_paths="/etc/hosts"))
    assert run.returncode != 0, run.tail()
    assert re.search(r"golive_paths\b[^\n]*\blist\b", run.output), run.tail()
    assert hosts_of_task(run.stdout, verify_task("checklist")) == [], run.tail()
    assert "Traceback" not in run.output
