#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: command_output
short_description: Run a read-only command and check its exit code and output
version_added: 0.1.0
description:
  - Runs a command on the managed host and checks its exit code, its standard output and error
    against regular expressions, and, for commands that print JSON (C(kubectl get -o json),
    C(docker ps --format json), a scheduler's C(--json) listing), JMESPath queries on that JSON.
  - B(The command must only read.) This module cannot tell whether a command changes anything; it
    runs whatever it is given, also in check mode. Choosing a read-only command (a status, a listing,
    a dry run) is the responsibility of whoever writes the check.
  - Python commands run read-only as far as bytecode goes - the command's environment always has
    C(PYTHONDONTWRITEBYTECODE=1) (no C(__pycache__) from imports, like C(python -B)) and a
    C(PYTHONPYCACHEPREFIX) in a scratch directory removed after the check, because C(py_compile) and
    C(compileall) write their C(.pyc) files even with C(-B). Give C(-B) too when the command runs
    Python through a wrapper that resets the environment. A syntax check that writes nothing at all -
    C(python3 -B -c "import ast, sys; [ast.parse(open(p).read(), p) for p in sys.argv[1:]]" app.py).
  - The command runs in a session of its own and is bounded by the check's I(timeout); when the time
    is up its whole process group is killed and the check is reported as C(error) with
    C(timed out after ...). Once the command itself has exited, background processes it left
    behind are neither waited for nor killed.
  - At most the first 64 KiB of standard output and of standard error are kept; the results show
    the first 500 characters of each. Do not run commands that print secrets, and pass secrets in
    I(env), never in I(argv) or I(cmd) (which become the check's id).
  - Runs on the managed host with the Python standard library; I(json_query) needs the C(jmespath)
    Python library there.
author: golive.readiness contributors (@golive-readiness)
extends_documentation_fragment:
  - golive.readiness.check_item
requirements:
  - jmespath (on the managed host, only for I(json_query))
options:
  checks:
    description:
      - The commands to run, one item each.
      - An item's C(id) defaults to C(command_output:<name>), or the command line.
      - Its C(title) defaults to C(Command <name>), or the command line.
      - An item's C(timeout) is the time limit of this check, and of the command.
      # BEGIN generated: kind defaults (scripts/generate; do not edit by hand)
      - A C(command_output) item defaults to section V(infrastructure) and severity V(high).
      # END generated: kind defaults
    type: list
    elements: dict
    required: true
    suboptions:
      argv:
        description:
          - The command and its arguments, run without a shell. Preferred over I(cmd).
          - Exactly one of I(argv) and I(cmd) is required.
        type: list
        elements: str
      cmd:
        description:
          - The command as one string. Without I(shell) it is split like a shell would (quotes
            respected) but run without one; with I(shell=true) it runs through C(/bin/sh -c).
        type: str
      shell:
        description:
          - Run I(cmd) through C(/bin/sh -c), for pipes and redirections. Only with I(cmd).
          - An exit code of 127 (the shell did not find the command) is reported as C(error) unless
            I(expect_rc) lists it.
        type: bool
        default: false
      chdir:
        description: Absolute path of the directory to run the command in.
        type: path
      env:
        description:
          - Variables added to the module's environment for the command. Their values are treated as
            secrets (C(no_log)). C(PYTHONDONTWRITEBYTECODE) and C(PYTHONPYCACHEPREFIX) are always set
            by the check (see the description).
        type: dict
      expect_rc:
        description: The exit code, or list of exit codes, that pass.
        type: raw
        default: 0
      stdout_regex:
        description:
          - Regular expression the standard output must match (searched; C(^) and C($) match at
            line boundaries).
        type: str
      stdout_not_regex:
        description: Regular expression the standard output must not match (searched, multi-line).
        type: str
      stderr_regex:
        description: Regular expression the standard error must match (searched, multi-line).
        type: str
      json_query:
        description:
          - Assertions on the standard output parsed as JSON (see I(json_lines)). Each item is a
            JMESPath I(query) and one or more assertions on its result; all must hold.
          - Output that is not JSON, or bigger than 64 KiB, is reported as C(error).
        type: list
        elements: dict
        suboptions:
          query:
            description: A JMESPath expression, such as V(length(items[?status == 'NotReady'])).
            type: str
            required: true
          # BEGIN generated: json_query assertions (scripts/generate; do not edit by hand)
          equals:
            description: The result must equal this value (a JSON boolean never equals a number).
            type: raw
          matches:
            description:
              - Regular expression the result must match (searched). A result that is not a string is
                matched in its JSON form.
            type: str
          min:
            description: The result must be a number not below this.
            type: float
          max:
            description: The result must be a number not above this.
            type: float
          length:
            description: The result must be a list, object or string of exactly this length.
            type: int
          truthy:
            description:
              - V(true) - the result must be truthy (not null, false, 0, empty); V(false) - it must be
                falsy.
            type: bool
          # END generated: json_query assertions
      json_lines:
        description:
          - The standard output holds one JSON document per line (C(docker ps --format json)); the
            queries run on the list of those documents. Blank lines are skipped.
        type: bool
        default: false
      name:
        description: Short name of the command, used in the id and title instead of the command line.
        type: str
      # BEGIN generated: item options (scripts/generate; do not edit by hand)
      id:
        description:
          - Result id, unique within a host; waivers and reports refer to it.
          - Its default is given in the description of O(checks).
        type: str
      title:
        description: Human title; its default is given in the description of O(checks).
        type: str
      section:
        description:
          - Checklist section of this check; defaults to the module's O(section), else the kind's (see
            O(checks)).
        type: str
      severity:
        description: Severity of this check; defaults to the module's O(severity), else the kind's (see O(checks)).
        type: str
        choices: [critical, high, medium, low]
      timeout:
        description:
          - Time limit of this check, as a duration (V(10s), V(500ms), V(2m)) or seconds; defaults to the module's
            O(timeout).
          - What it bounds besides the check itself, if anything, is said in the description of O(checks).
        type: raw
      target:
        description: Inventory host this check is about, when it runs from another (probe) host.
        type: str
      hint:
        description:
          - What to do when this check does not pass (a runbook step, a command, a link), at most 1000 characters.
          - Carried in the result and shown beside the check in the HTML, Markdown and JUnit reports when it
            warns, fails or errs.
        type: str
      contact:
        description:
          - Who acts when this check does not pass (a team, a person, a channel), at most 200 characters.
          - Carried in the result and shown beside the check, with O(checks[].hint), when it warns, fails or errs.
        type: str
      # END generated: item options
seealso:
  - module: golive.readiness.verify
  - module: ansible.builtin.command
"""

EXAMPLES = r"""
- name: Every Kubernetes node is Ready
  golive.readiness.command_output:
    checks:
      - name: kubernetes-nodes
        argv: [kubectl, get, nodes, -o, json]
        timeout: 20s
        json_query:
          - query: "length(items[?status.conditions[?type == 'Ready' && status != 'True']])"
            equals: 0
          - query: "length(items)"
            min: 3

- name: Containers are up and the migrations are applied
  golive.readiness.command_output:
    checks:
      - name: containers
        argv: [docker, ps, --format, json]
        json_lines: true
        json_query:
          - query: "[?State != 'running'].Names"
            length: 0
      - name: migrations
        argv: [/srv/shop/venv/bin/python, manage.py, showmigrations, --plan]
        chdir: /srv/shop/current
        env:
          DATABASE_URL: "{{ shop_database_url }}"
        stdout_not_regex: '^\[ \]'

- name: Nothing listens on the debug port
  golive.readiness.command_output:
    checks:
      - name: no-debug-listener
        cmd: ss -Hltn | grep -c ':5678 '
        shell: true
        expect_rc: 1
"""

RETURN = r"""
golive_checks:
  description:
    - One record per command, in the order of O(checks).
    - C(observed) holds C(rc), the first 500 characters of C(stdout) and C(stderr), C(stdout_bytes) (bytes),
      C(stdout_truncated) (more than 64 KiB), and C(assertions), the result of each assertion
      (C(assertion), C(passed) and for JSON queries C(query) and C(actual), the result shortened).
    - C(expected) holds C(rc) (the accepted exit codes), each regular expression given (C(stdout_regex),
      C(stdout_not_regex), C(stderr_regex)) and C(json_query) (per entry its C(query) and C(assertion)).
  returned: always
  type: list
  elements: dict
  sample:
    - id: command_output:kubectl nodes
      kind: command_output
      section: infrastructure
      title: Command kubectl nodes
      status: fail
      severity: high
      summary: length(items[?status == 'NotReady']) is 1, expected 0
      observed:
        rc: 0
        stdout: '{"items": [{"name": "node-1", "status": "Ready"}, {"name": "node-2", "status": "NotReady"}]}'
        stderr: ''
        stdout_bytes: {value: 88, unit: bytes}
        stdout_truncated: false
        assertions:
          - {assertion: 'rc in [0]', passed: true}
          - {query: 'length(items[?status == ''NotReady''])', assertion: equals 0, passed: false, actual: '1'}
      expected:
        rc: [0]
        json_query: [{query: 'length(items[?status == ''NotReady''])', assertion: equals 0}]
      duration_ms: 655
  contains:
    # BEGIN generated: record fields (scripts/generate; do not edit by hand)
    id:
      description: Stable identifier of the check, unique within a host; waivers refer to it.
      returned: always
      type: str
    kind:
      description: The check kind (the module's name).
      returned: always
      type: str
    section:
      description: Checklist section.
      returned: always
      type: str
    title:
      description: Human title.
      returned: always
      type: str
    status:
      description: V(pass), V(warn), V(fail), V(error) (could not be evaluated) or V(skipped).
      returned: always
      type: str
    severity:
      description: V(critical), V(high), V(medium) or V(low).
      returned: always
      type: str
    summary:
      description: One line saying what was observed against what was expected.
      returned: always
      type: str
    observed:
      description:
        - Measured values by name (what each kind measures is listed in the description of RV(golive_checks)).
        - A number with a unit is C({value, unit}) (units V(bytes), V(seconds), V(ms), V(percent), V(count), V(ratio),
          V(days)); texts, lists and flags are plain; secrets only masked.
      returned: always
      type: dict
    expected:
      description:
        - 'What each observed value was held against, under the same name: levels
          C({warn: {below|above: n}, fail: {...}, unit}), a quantity, or a plain value. Empty when nothing was graded.'
      returned: always
      type: dict
    duration_ms:
      description:
        - How long the check took, in milliseconds.
        - With O(wait), from its first round's start to its last round's end, pauses included.
      returned: always
      type: int
    rounds:
      description:
        - How many times the check ran while the call waited (O(wait)); V(1) when it passed, warned or was
          skipped at once, V(0) when the call's deadline came before it could start. Its other fields are
          its last round's.
      returned: when O(wait) is set above V(0s)
      type: int
    target:
      description: Inventory host the check is about, when it ran from another (probe) host.
      returned: when set in the item
      type: str
    hint:
      description: What to do when the check does not pass, as the item's C(hint) says.
      returned: when set in the item
      type: str
    contact:
      description: Who acts when the check does not pass, as the item's C(contact) says.
      returned: when set in the item
      type: str
    # END generated: record fields
# BEGIN generated: golive_counts (scripts/generate; do not edit by hand)
golive_counts:
  description: Number of results per status.
  returned: always
  type: dict
  sample: {pass: 3, warn: 1, fail: 0, error: 0, skipped: 0}
  contains:
    pass:
      description: Checks that passed.
      returned: always
      type: int
    warn:
      description: Checks that warned.
      returned: always
      type: int
    fail:
      description: Checks that failed.
      returned: always
      type: int
    error:
      description: Checks that could not be evaluated.
      returned: always
      type: int
    skipped:
      description: Checks that were skipped.
      returned: always
      type: int
# END generated: golive_counts
"""

from ansible_collections.golive.readiness.plugins.module_utils._checks import command_output
from ansible_collections.golive.readiness.plugins.module_utils._module import run_kind_module


def main():
    run_kind_module(command_output)


if __name__ == "__main__":
    main()
