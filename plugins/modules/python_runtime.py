#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: python_runtime
short_description: Check a Python interpreter's version, virtualenv and pins, and that the code compiles and imports
version_added: 0.1.0
description:
  - Inspects a Python interpreter on the managed host, by default the one running the module, and
    checks its version against a minimum, that it is a virtualenv, and that every requirement pinned
    with C(==) in a requirements file is installed at exactly that version.
  - With O(checks[].compile) and O(checks[].imports) it also checks, B(with that interpreter) (the
    application's Python version decides what is valid syntax, not the module's), that the application's
    sources compile and that named modules import.
  - Another interpreter is asked through a short subprocess (C(python -c ...)) that prints its version,
    prefixes and, when a requirements file is given, its installed distributions. The subprocess is
    bounded by the check's I(timeout). The interpreter may be as old as Python 2.7.
  - Runs on the managed host with the Python standard library only.
author: golive.readiness contributors (@golive-readiness)
extends_documentation_fragment:
  - golive.readiness.check_item
options:
  checks:
    description:
      - The interpreters to check, one item each.
      - An item's C(id) defaults to C(python_runtime:<python>), or C(python_runtime:self).
      - Its C(title) defaults to C(Python runtime <python>), or C(Python runtime self).
      # BEGIN generated: kind defaults (scripts/generate; do not edit by hand)
      - A C(python_runtime) item defaults to section V(application) and severity V(high).
      # END generated: kind defaults
    type: list
    elements: dict
    required: true
    suboptions:
      python:
        description:
          - Absolute path of the interpreter to inspect, for example C(/srv/shop/venv/bin/python).
          - Defaults to the interpreter running the module (its C(ansible_python_interpreter)).
        type: path
      min_version:
        description:
          - Lowest acceptable version, as V(3.10) or V(3.11.4); compared on the parts given.
          - Quote it in YAML; an unquoted V(3.10) is the number 3.1, and numbers other than whole
            ones are refused.
        type: raw
      require_virtualenv:
        description:
          - Fail unless the interpreter runs in a virtualenv; its C(sys.prefix) differs from
            C(sys.base_prefix) (or an old-style C(sys.real_prefix) is set), or its prefix holds a
            C(pyvenv.cfg).
        type: bool
        default: false
      requirements:
        description:
          - Absolute path of a pip requirements file on the managed host.
          - Every requirement must be installed, and one pinned with C(==) (or C(===)) must be installed
            at exactly that version (PEP 440 equality for the usual forms, so C(==2.31) accepts
            C(2.31.0)). Names are compared normalised (PEP 503), extras are tolerated.
          - Other version specifiers (C(>=), C(~=)) are not evaluated; such requirements only need
            to be installed and count as unpinned.
          - C(-r other.txt) / C(--requirement) includes are followed relative to the including file.
            Comments, continuation lines, C(--hash) options and option lines (C(-c), C(-e), C(-i),
            C(--index-url) ...) are ignored. Direct references (C(name @ url)) only need to be installed.
          - Environment markers made of comparisons of C(python_version), C(python_full_version),
            C(sys_platform), C(platform_system), C(platform_machine), C(os_name) or
            C(implementation_name) joined by C(and)/C(or) are evaluated against the inspected
            interpreter; a requirement with any other marker is skipped and listed in C(observed.notes).
        type: path
      require_pinned:
        description:
          - Report requirements not pinned with C(==) (with I(unpinned_status)).
          - Defaults to V(true) when I(requirements) is given.
        type: bool
      unpinned_status:
        description:
          - Status of unpinned requirements when I(require_pinned) is on.
          - V(fail) by default - production requirements are pinned to exact versions, or the next
            install may bring a release nobody tested. V(warn) to accept ranges knowingly.
        type: str
        choices: [warn, fail]
        default: fail
      compile:
        description:
          - Absolute paths of Python files, directories (walked for C(*.py) files) or globs of either, whose
            sources must compile with the inspected interpreter.
          - Each file is read and C(compile())d in memory by a child process of the interpreter
            (C(python -B -c ...), the file list on its standard input), which imports none of them and
            writes nothing; the child runs with C(PYTHONDONTWRITEBYTECODE=1) and C(PYTHONPYCACHEPREFIX)
            in a scratch directory removed afterwards. Syntax errors fail the check, each listed as
            C(file:line) and message (the first 10; all are counted).
          - A directory is walked without following symlinks and without entering C(.git), C(.hg),
            C(.svn), C(__pycache__), C(node_modules), tool caches (C(.tox), C(.nox), C(.mypy_cache),
            C(.pytest_cache), C(.ruff_cache)) or a virtualenv (a directory holding C(pyvenv.cfg)).
            A file named directly is compiled whatever its name.
          - Caps (constants of the kind) - at most C(COMPILE_MAX_FILES) (10,000) files, C(COMPILE_FILE_CAP)
            (4 MiB) per file and C(COMPILE_READ_CAP) (256 MiB) in all; over a cap, or when a path cannot be
            read or a glob matches nothing, the check is V(error) naming it. The child is bounded by the
            check's O(checks[].timeout).
        type: list
        elements: str
        version_added: 0.2.0
      compile_exclude:
        description:
          - Globs of files or directories not to compile, relative to each walked directory; a glob with a
            C(/) is matched against the relative path, one without against the name (V(migrations),
            V(vendor/*)).
        type: list
        elements: str
        default: []
        version_added: 0.2.0
      imports:
        description:
          - Module names (V(shop.wsgi), V(shop.settings)) that must import with the inspected interpreter.
          - Each is imported in a child process of its own (C(python -B -c ...)), with
            C(PYTHONDONTWRITEBYTECODE=1) and C(PYTHONPYCACHEPREFIX) in a scratch directory removed
            afterwards, so no C(__pycache__) is written; the child exits as soon as the import is done
            (no C(atexit) handler runs). Each is bounded by what is left of the check's O(checks[].timeout);
            an import that does not finish is V(error); one that raises fails the check with its
            exception's last line (a URL's password masked, at most 200 characters).
          - B(Importing runs the module's top-level code.) Name modules whose import only defines things
            (most settings, WSGI and ASGI entry modules); a module that connects, migrates or writes at
            import does so here too. The module's environment is passed on; the env file is not loaded.
        type: list
        elements: str
        version_added: 0.2.0
      chdir:
        description:
          - Working directory of the import children, with O(checks[].imports); C(python -c) puts it first
            on C(sys.path), so it is where the application's own packages are found
            (V(/srv/shop/current)).
          - Defaults to V(/), where nothing of the application shadows the interpreter's own modules.
        type: path
        version_added: 0.2.0
      pythonpath:
        description:
          - Absolute directories put on C(PYTHONPATH) of the import children, with O(checks[].imports).
        type: list
        elements: str
        default: []
        version_added: 0.2.0
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
"""

EXAMPLES = r"""
- name: The application's virtualenv has what the release pinned
  golive.readiness.python_runtime:
    checks:
      - python: /srv/shop/venv/bin/python
        min_version: "3.10"
        require_virtualenv: true
        requirements: /srv/shop/current/requirements.txt
        unpinned_status: fail

- name: The release's code compiles with the application's Python and its entry points import
  golive.readiness.python_runtime:
    checks:
      - python: /srv/shop/venv/bin/python
        compile: [/srv/shop/current/shop, /srv/shop/current/manage.py]
        compile_exclude: [migrations]
        imports: [shop.wsgi]
        chdir: /srv/shop/current
        timeout: 30s

- name: The interpreter Ansible uses on the host is recent enough
  golive.readiness.python_runtime:
    checks:
      - min_version: "3.8"
        severity: low
"""

RETURN = r"""
golive_checks:
  description:
    - One record per interpreter, in the order of O(checks).
    - C(observed) holds C(executable), C(version) (such as C(3.11.7)) and C(virtualenv) (bool), and
      with I(requirements) C(requirements_checked) (how many applied, a count), C(missing) (names),
      C(mismatched) (C(name), C(wanted), C(installed)), C(unpinned) (names) and C(notes) (lines
      skipped); with I(compile) C(compile) (C(files) and C(error_count), counts, C(bytes) read, and
      C(errors), each C(file), C(line) and C(message)); with I(imports) C(imports) (each C(module), C(ok)
      and C(error)).
    - C(expected) holds C(min_version), C(virtualenv), C(requirements) (the file), C(pinned), C(compile) and
      C(imports) as asked for.
  returned: always
  type: list
  elements: dict
  sample:
    - id: python_runtime:/srv/shop/venv/bin/python
      kind: python_runtime
      section: application
      title: Python runtime /srv/shop/venv/bin/python
      status: fail
      severity: high
      summary: 'version mismatch: django 4.2.11 (wanted 5.0.6)'
      observed:
        executable: /srv/shop/venv/bin/python
        version: 3.11.7
        virtualenv: true
        requirements_checked: {value: 42, unit: count}
        missing: []
        mismatched: [{name: django, wanted: 5.0.6, installed: 4.2.11}]
        unpinned: []
        notes: []
      expected: {min_version: '3.11', virtualenv: true, requirements: /srv/shop/requirements.txt}
      duration_ms: 388
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

from ansible_collections.golive.readiness.plugins.module_utils._checks import python_runtime
from ansible_collections.golive.readiness.plugins.module_utils._module import run_kind_module


def main():
    run_kind_module(python_runtime)


if __name__ == "__main__":
    main()
