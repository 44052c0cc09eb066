"""Writes what makes the roles run when embedded in a play, from the check kinds and the gate's specification.

Generated: each section role's tasks (``tasks/main.yml``, and ``tasks/variables.yml``, which loads its
variables without a task, for the golive playbook), the ``checklist`` role (every section, the probe and the
verdict) and every role's README. With ``--check`` nothing is written and every stale file is named.
"""

from __future__ import annotations

import os
import re
import sys
import textwrap

import yaml
from _common import REPO, check_requested, write_or_check
from kinds import (
    COLLECTION_PREFIX_MARK,
    GENERATED,
    block_yaml,
    flow,
    is_single_dict,
    option_spec,
    probe_variables,
    section_variables,
    short_description,
)

from ansible_collections.golive.readiness.plugins.plugin_utils._policy import SECTIONS

AUTHOR = "golive.readiness contributors (@golive-readiness)"

# verify's own options, as the golive playbook sets them (playbooks/vars/run_options.yml).
RUN_OPTIONS = """\
    golive_host_run_options:
      timeout: "{{ golive_check_timeout | default('10s') }}"
      deadline: "{{ golive_deadline | default('45s') }}"
      max_workers: "{{ golive_max_workers | default(8) }}"
    golive_probe_run_options:
      timeout: "{{ golive_check_timeout | default('10s') }}"
      deadline: "{{ golive_probe_deadline | default('auto') }}"
      max_workers: "{{ golive_max_workers | default(16) }}"
      network_workers: "{{ golive_network_workers | default(64) }}"
"""

RUN_VARIABLES = [
    ("golive_probe_group", "the inventory hosts (a pattern) that run the endpoint checks", "`localhost`"),
    ("golive_check_timeout", "each check's time limit", "`10s`"),
    ("golive_deadline", "a host's whole verify call", "`45s`"),
    ("golive_probe_deadline", "a probe host's whole call (`auto` follows the work)", "`auto`"),
    ("golive_max_workers", "checks run at once on a host (a probe host: 16)", "`8`"),
    ("golive_network_workers", "network-bound checks run at once on a probe host", "`64`"),
]

SCOPE_HOSTS = "{{ hostvars['localhost'].golive_scope_hosts | default([]) | union(ansible_play_hosts_all) }}"
SCOPE_TASK = f"""\
- name: Record the hosts in scope for the go-live verdict
  ansible.builtin.set_fact:
    golive_scope_hosts: "{SCOPE_HOSTS}"{COLLECTION_PREFIX_MARK}
  delegate_to: localhost
  delegate_facts: true
  run_once: true
"""

RUN_BLOCK = """\
- name: {title}
  vars:
    golive_embedded_host_parts: {host_parts}
    golive_embedded_endpoint_parts: {endpoint_parts}
    golive_embedded_probe_hosts: "{{{{ query('inventory_hostnames', golive_probe_group | default('localhost')) }}}}"
{run_options}  block:
    # Once, on the controller: every item of every host of the play validated against its kind, each problem
    # printed once naming the variable, item and option, before any check runs.
    - name: Validate the checks of every host of the play, once
      golive.readiness.gate:
        stage: policy
        checklists:
          host: golive_embedded_host_parts
          endpoint: golive_embedded_endpoint_parts
          probe: "{probe}"
          host_run_options: golive_host_run_options
          probe_run_options: golive_probe_run_options
        scope_hosts: "{{{{ ansible_play_batch }}}}"
        probe_group: "{{{{ golive_probe_group | default('localhost') }}}}"
        probe_group_hosts: "{{{{ golive_embedded_probe_hosts }}}}"
      delegate_to: localhost
      run_once: true
      register: golive_{role}_checklists  # noqa: var-naming[no-role-prefix]

    - name: Run this host's {what} in one call
      golive.readiness.verify:
        checks: "{{{{ golive_{role}_checklists.golive_checklists[inventory_hostname] }}}}"
        fail_on: []
        timeout: "{{{{ golive_host_run_options.timeout }}}}"
        deadline: "{{{{ golive_host_run_options.deadline }}}}"
        max_workers: "{{{{ golive_host_run_options.max_workers }}}}"
      register: golive_{role}_verify  # noqa: var-naming[no-role-prefix]
{probe_task}"""

PROBE_TASK = """
    # Once for the play, from each probe host: every host's endpoint checks in one call (each item names
    # the host it is about). The gate reads this result from the scope hosts and counts each record once.
    - name: Run every host's {what_endpoint} from each probe host in one call
      golive.readiness.verify:
        checks: "{{{{ golive_{role}_checklists.golive_probe_items }}}}"
        fail_on: []
        timeout: "{{{{ golive_probe_run_options.timeout }}}}"
        deadline: "{{{{ golive_probe_run_options.deadline }}}}"
        max_workers: "{{{{ golive_probe_run_options.max_workers }}}}"
        network_workers: "{{{{ golive_probe_run_options.network_workers }}}}"
      delegate_to: "{{{{ item }}}}"
      run_once: true
      loop: "{{{{ golive_embedded_probe_hosts }}}}"
      when: golive_{role}_checklists.golive_probe_items | length > 0
      register: golive_{role}_probe_verify  # noqa: var-naming[no-role-prefix]
"""


def run_block(role: str, title: str, host_parts: str, endpoint_parts: str, probe: str, with_probe: bool) -> str:
    what = "checks" if role == "checklist" else f"{role} checks"
    probe_task = PROBE_TASK.format(role=role, what_endpoint=f"{what.replace('checks', 'endpoint checks')}")
    return RUN_BLOCK.format(title=title, host_parts=host_parts, endpoint_parts=endpoint_parts, probe=probe,
                            run_options=RUN_OPTIONS, role=role, what=what,
                            probe_task=probe_task if with_probe else "")


def comment(text: str) -> str:
    return "".join(f"# {line}\n" for line in textwrap.wrap(text, 104))


def section_tasks_text(section: str) -> str:
    header = f"---\n# {GENERATED}\n" + comment(
        f"The {section} section embedded in a play (roles:, include_role, import_role): every host's {section} "
        "checks validated once on the controller, each host's host checks in one verify call, and every host's "
        "endpoint checks in one call from each probe host (golive_probe_group, default the controller). "
        "golive.readiness.gate after it decides the verdict. The golive playbook reads the same checklists "
        "without importing the role and runs its own calls, once per host for every section.")
    block = run_block(section, f"Run the {section} checks of every host of the play",
                      f'"{{{{ [golive_{section}_host_checks] }}}}"', f'"{{{{ [golive_{section}_endpoint_checks] }}}}"',
                      "", bool(probe_variables(section)))
    return f"{header}{SCOPE_TASK}\n{block}"


def variables_tasks_text(role: str) -> str:
    return (f"---\n# {GENERATED}\n"
            f"# No task: `import_role: {{name: golive.readiness.{role}, tasks_from: variables}}` loads the role's\n"
            "# defaults and variables (its checklists, templated lazily) and runs nothing; the checklist role\n"
            "# assembles every section so.\n"
            "[]\n")


# --- the checklist role -------------------------------------------------------------------------

def parts(kind: str) -> str:
    joined = ",\n         ".join(f"golive_{section}_{kind}_checks" for section in SECTIONS)
    extra = (",\n         golive_extra_checks | default([])"
             " | golive.readiness.checks_of(none, none, 'golive_extra_checks')")
    return f">-\n      {{{{ [{joined}{extra if kind == 'host' else ''}] }}}}"


def checklist_tasks_text() -> str:
    header = (f"---\n# {GENERATED}\n"
              "# The whole go-live checklist embedded in a play: every section's checks of every host of the play,\n"
              "# each host's in one verify call, the endpoint checks from each probe host in one call, then the\n"
              "# verdict. The sections' variables are loaded without their tasks; this role's own argument\n"
              "# specification (every section's and the gate's variables) was validated when it started.\n")
    imports = "".join(f"- name: Load the {section} section's checklists\n"
                      f"  ansible.builtin.import_role:\n"
                      f"    name: golive.readiness.{section}\n"
                      f"    tasks_from: variables\n"
                      f"    rolespec_validate: false\n\n" for section in SECTIONS)
    block = run_block("checklist", "Run the whole checklist of every host of the play", parts("host"),
                      parts("endpoint"), "golive_probe_checks", True)
    gate = ("\n- name: Decide GO, GO WITH WARNINGS or NO-GO\n"
            "  ansible.builtin.import_role:\n"
            "    name: golive.readiness.gate\n"
            "    rolespec_validate: false\n")
    return f"{header}{imports}{SCOPE_TASK}\n{block}{gate}"


def gate_options() -> dict:
    with open(os.path.join(REPO, "roles", "gate", "meta", "argument_specs.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)["argument_specs"]["main"]["options"]


def checklist_argument_specs_text() -> str:
    options = {variable.name: option_spec(variable) for section in SECTIONS for variable in section_variables(section)}
    options["golive_extra_checks"] = dict(
        description=["Checks of any kind run on the host, each naming its C(kind)."],
        type="list", elements="dict", default=[])
    options["golive_probe_checks"] = dict(
        description=["Checks of any kind run from the probe hosts, with C(target) set to this host."],
        type="list", elements="dict", default=[])
    options.update(gate_options())
    main = {
        "short_description": "Run the whole go-live checklist and decide the verdict",
        "description": [
            "Runs every section's checks on the hosts of the play (each host's host checks in one "
            "M(golive.readiness.verify) call, the endpoint checks from the probe hosts, C(golive_probe_group), "
            "default the controller), then decides GO, GO WITH WARNINGS or NO-GO with M(golive.readiness.gate) "
            "and fails the play on NO-GO.",
            "Every item is validated against its kind's options on the controller before any check runs.",
        ],
        "author": AUTHOR,
        "options": options,
    }
    return f"---\n# {GENERATED}\n{block_yaml({'argument_specs': {'main': main}})}"


def checklist_meta_text() -> str:
    return ("---\ngalaxy_info:\n"
            f"  author: {AUTHOR}\n"
            "  description: golive.readiness whole checklist (every section, the probe and the verdict)\n"
            "  license: GPL-3.0-or-later\n"
            '  min_ansible_version: "2.19"\n'
            "  platforms:\n    - name: GenericLinux\n      versions: [all]\n"
            "dependencies: []\n")


# --- the READMEs --------------------------------------------------------------------------------

def example(role: str) -> str:
    """A play that runs the role, and decides the verdict: three lines that work as written."""
    roles = f"golive.readiness.{role}"
    if role not in ("checklist", "gate"):
        roles += ", golive.readiness.gate"
    return f"```yaml\n- hosts: all\n  gather_facts: false\n  roles: [{roles}]\n```\n"


def variables_table(sections: tuple[str, ...]) -> str:
    rows = ["| variable | kind | checked | default |", "|---|---|---|---|"]
    for section in sections:
        for variable in section_variables(section):
            where = "from the probe hosts" if variable.endpoint else "on the host"
            where += f" (from the probe hosts with `{variable.probe_option}`)" if variable.probe_option else ""
            name = f"`{variable.name}` (a dict, `null` skips)" if is_single_dict(variable) else f"`{variable.name}`"
            rows.append(f"| {name} | [{variable.kind}](../../plugins/modules/{variable.kind}.py) | {where} | "
                        f"`{flow(variable.default)}` |")
    return "\n".join(rows) + "\n"


def run_variables_table() -> str:
    rows = ["| variable | sets | default |", "|---|---|---|"]
    rows += [f"| `{name}` | {what} | {default} |" for name, what, default in RUN_VARIABLES]
    return "\n".join(rows) + "\n"


def what_it_checks(sections: tuple[str, ...]) -> str:
    return "".join(f"- {short_description(variable.kind)} (`{variable.name}`)\n"
                   for section in sections for variable in section_variables(section))


COMMON_ITEMS = ("Every item takes the options of its kind's module (`ansible-doc golive.readiness.<kind>`), plus `id`, "
                "`title`, `severity` (critical, high, medium, low), `section` and `timeout`.\n")


def section_readme_text(section: str) -> str:
    endpoint = ""
    if probe_variables(section):
        endpoint = (f"- `golive_{section}_probe_verify` (the endpoint checks' result, registered on every host of "
                    "the play)\n")
    return (f"<!-- {GENERATED} -->\n"
            f"# golive.readiness.{section}\n\n"
            f"The {section} section of the go-live checklist. Included in a play (`roles:`, `include_role` or\n"
            "`import_role`), it runs these checks on the play's hosts:\n\n"
            f"{what_it_checks((section,))}\n"
            "Every host's items are validated once on the controller, before any check runs; then each host runs\n"
            "its host checks in one `golive.readiness.verify` call, and the endpoint checks of every host run in\n"
            "one call from each probe host (`golive_probe_group`, default the controller). The role decides no\n"
            "verdict: `golive.readiness.gate` after it does, and the `golive.readiness.report` callback reports\n"
            "every check. A play whose hosts have nothing to check is NO-GO, never GO.\n\n"
            "## Example\n\n"
            f"{example(section)}\n"
            "## Variables\n\n"
            f"{COMMON_ITEMS}\n"
            f"{variables_table((section,))}\n"
            "Run settings (shared by every role):\n\n"
            f"{run_variables_table()}\n"
            "## What it leaves for the gate and the report\n\n"
            f"- `golive_{section}_verify` (each host's result)\n"
            f"{endpoint}"
            "- `golive_scope_hosts`, a fact of `localhost`: every host of the plays that ran a golive role\n")


def checklist_readme_text() -> str:
    return (f"<!-- {GENERATED} -->\n"
            "# golive.readiness.checklist\n\n"
            "The whole go-live checklist as one role: every section's checks of the play's hosts, the endpoint\n"
            "checks from the probe hosts (`golive_probe_group`, default the controller), then the verdict, GO, GO\n"
            "WITH WARNINGS or NO-GO, which fails the play on NO-GO. A provisioning playbook can end with it.\n\n"
            "Every host's items are validated once on the controller before any check runs; each host runs its\n"
            "whole checklist in one `golive.readiness.verify` call, and each probe host every host's endpoint\n"
            "checks in one call. Enable the `golive.readiness.report` callback for the report files.\n\n"
            "## Example\n\n"
            f"{example('checklist')}\n"
            "## Variables\n\n"
            f"The variables of every section role, beside `golive_extra_checks` and `golive_probe_checks` (checks\n"
            f"of any kind, each naming its `kind`, run on the host and from the probe hosts). {COMMON_ITEMS}\n"
            f"{variables_table(SECTIONS)}\n"
            "The gate's variables (`golive_waivers`, `golive_blocking_severities`, `golive_fail_on_nogo`,\n"
            "`golive_signoff`, `golive_attestations_required`, `golive_attestations`): see\n"
            "[golive.readiness.gate](../gate/README.md).\n\n"
            "Run settings:\n\n"
            f"{run_variables_table()}")


def markdown(text: str) -> str:
    """Ansible's documentation markup (C(x), V(x), M(x) ...) as Markdown code."""
    return re.sub(r"\b[CVMIO]\(([^)]*)\)", r"`\1`", text)


def gate_readme_text() -> str:
    rows = ["| variable | type | default | what it sets |", "|---|---|---|---|"]
    for name, spec in gate_options().items():
        description = spec["description"]
        text = " ".join(description) if isinstance(description, list) else description
        default = flow(spec.get("default")).split("\n")[0]  # a scalar's document end marker left out
        rows.append(f"| `{name}` | {spec['type']} | `{default}` | "
                    f"{markdown(text)} |")
    return (f"<!-- {GENERATED} -->\n"
            "# golive.readiness.gate\n\n"
            "Decides GO, GO WITH WARNINGS or NO-GO for the whole run, once, on the controller: it reads the check\n"
            "results every host in scope registered (the golive playbook's, or those of the section roles\n"
            "embedded in your plays), applies the waivers and fails the play on NO-GO, so `ansible-playbook`\n"
            "exits non-zero and a pipeline can stop the deploy. A host in scope without results, or a run that\n"
            "checked nothing, is NO-GO. It can follow the section roles in the same play or in a later one.\n\n"
            "## Example\n\n"
            f"{example('infrastructure')}\n"
            "## Variables\n\n"
            f"{chr(10).join(rows)}\n\n"
            "The fields of a waiver, an approver, a required attestation and an attestation:\n"
            "`ansible-doc golive.readiness.gate`.\n")


def generated_files() -> dict[str, str]:
    files = {}
    for section in SECTIONS:
        files[f"roles/{section}/tasks/main.yml"] = section_tasks_text(section)
        files[f"roles/{section}/tasks/variables.yml"] = variables_tasks_text(section)
        files[f"roles/{section}/README.md"] = section_readme_text(section)
    files["roles/checklist/tasks/main.yml"] = checklist_tasks_text()
    files["roles/checklist/meta/argument_specs.yml"] = checklist_argument_specs_text()
    files["roles/checklist/meta/main.yml"] = checklist_meta_text()
    files["roles/checklist/README.md"] = checklist_readme_text()
    files["roles/gate/README.md"] = gate_readme_text()
    return files


def main(argv: list[str]) -> int:
    check = check_requested(argv)
    results = []
    for path, text in generated_files().items():
        if not check:
            os.makedirs(os.path.dirname(os.path.join(REPO, path)), exist_ok=True)
        results.append(write_or_check(path, text, check))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
