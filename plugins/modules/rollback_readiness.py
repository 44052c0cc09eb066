#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: rollback_readiness
short_description: Check a release can be rolled back - script, dry run, previous release and release tag
version_added: 0.1.0
description:
  - For each item, checks the parts of a rollback that are set, each reported on its own under
    C(observed) and graded together (the worst part decides the status).
  - I(script) - the rollback script exists, is a regular file and is executable by the user the
    check runs as.
  - I(dry_run) - a command (typically the rollback script with a dry-run flag) exits with one of
    I(dry_run_rc). It runs last, with the time the other parts left.
  - I(previous_release) - a previous release is present - a directory that is not empty, or a file
    that is not empty, such as a file naming the previous container image.
  - I(releases_dir) - the releases directory holds at least I(min_releases) releases; with
    I(current), at least one besides the release C(current) points to.
  - I(checkout) - the deployed git checkout has a tag matching I(tag_pattern) on C(HEAD).
  - Runs on the managed host with the Python standard library, and the C(git) executable for
    I(checkout). Only reading git commands run (C(rev-parse), C(tag --points-at), C(tag --list),
    C(describe)), with optional locks off and the repository declared safe for that one command,
    so a checkout owned by another user is read without changing any git configuration.
author: golive.readiness contributors (@golive-readiness)
extends_documentation_fragment:
  - golive.readiness.check_item
options:
  checks:
    description:
      - The rollbacks to check, one item each. Each item needs at least one of I(script),
      - An item's C(id) defaults to C(rollback_readiness:<name>), else the first of I(script), I(dry_run),
        I(previous_release), I(releases_dir) and I(checkout) that is set.
      - Its C(title) defaults to C(Rollback readiness of <name>).
      - An item's C(timeout) is the time limit of this check, and of its dry run.
      # BEGIN generated: kind defaults (scripts/generate; do not edit by hand)
      - A C(rollback_readiness) item defaults to section V(application) and severity V(high).
      # END generated: kind defaults
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Short name of the application, used in the id and title.
        type: str
      script:
        description:
          - Absolute path of the rollback script. Fails when it does not exist, is not a regular
            file (symlinks are followed), has no execute bit, or is not executable by the user the
            check runs as.
        type: path
      dry_run:
        description:
          - A command to run, as a list of arguments (V([/srv/shop/bin/rollback, --dry-run])) or a
            string split like a shell would (quotes respected), run without a shell.
          - B(It must only read.) This module cannot tell whether a command changes anything; a dry
            run of the rollback is the intended use.
          - The command runs in a session of its own, standard output and error together, and the
            last 500 characters of its output are returned, with passwords in URLs, assigned secrets,
            bearer tokens and key-like strings masked. A command that cannot be started fails.
          - A dry run that outlives the check's I(timeout) is killed with its whole process group and
            B(fails) the check (a rollback that hangs is not ready); raise I(timeout) when it needs longer.
        type: raw
      dry_run_rc:
        description: The exit codes that mean the dry run succeeded (V(0), V([0, 3]) or V('0,3')).
        type: raw
        default: 0
      dry_run_chdir:
        description: Absolute path of the directory to run the dry run in. Only with I(dry_run).
        type: path
      previous_release:
        description:
          - Absolute path, or glob, of the previous release - a release directory or a file such
            as one holding the previous image tag (V(/srv/shop/PREVIOUS_IMAGE)).
          - Fails when nothing matches, or when the newest match (by modification time) is an empty
            directory or an empty file. The first line of a file is returned (with any URL password
            masked).
        type: path
      releases_dir:
        description:
          - Absolute path of the directory holding one subdirectory per release (hidden entries are
            not counted), as Capistrano-style deployments keep them.
        type: path
      min_releases:
        description:
          - The fewest releases I(releases_dir) may hold; fewer fail. Defaults to V(2) - the current
            one and one to roll back to. Only with I(releases_dir).
        type: int
      current:
        description:
          - Absolute path of the link to the live release (V(/srv/shop/current)). When set, it must
            point to one of the releases of I(releases_dir), and at least one other release must
            exist. Only with I(releases_dir).
        type: path
      checkout:
        description:
          - Absolute path of the deployed git checkout. Fails when it does not exist, is not a git
            checkout or has no commits; the C(git) executable missing on the host is an C(error).
        type: path
      tag_pattern:
        description:
          - Glob the release tags match (V(v*)); C(HEAD) must carry one. Defaults to V(*), any tag. It
            must not start with C(-).
          - When C(HEAD) carries none but matching tags exist, the check reports I(untagged_head)
            and says how many commits C(HEAD) is past the nearest one; when no tag matches at all, it fails.
          - Only with I(checkout).
        type: str
      untagged_head:
        description:
          - The status when matching tags exist but none is on C(HEAD) - the deployed code is not a
            release, though there are releases to roll back to.
        type: str
        choices: [warn, fail]
        default: warn
      git_executable:
        description: The git executable, a name looked up on C(PATH) (then C(/usr/local/bin:/usr/bin:/bin)) or a path.
        type: str
        default: git
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
  - module: golive.readiness.path
  - module: golive.readiness.command_output
"""

EXAMPLES = r"""
- name: The shop can be rolled back
  golive.readiness.rollback_readiness:
    checks:
      - name: shop
        script: /srv/shop/bin/rollback
        dry_run: [/srv/shop/bin/rollback, --dry-run]
        timeout: 30s
        releases_dir: /srv/shop/releases
        current: /srv/shop/current
        checkout: /srv/shop/current
        tag_pattern: "v*"

- name: The previous container image is recorded, and the deployed checkout is a tagged release
  golive.readiness.rollback_readiness:
    checks:
      - name: api
        previous_release: /srv/api/PREVIOUS_IMAGE
        checkout: /srv/api/src
        tag_pattern: "release-*"
        untagged_head: fail
"""

RETURN = r"""
golive_checks:
  description:
    - One record per item, in the order of O(checks).
    - C(observed) holds one entry per part that is set.
    - C(script) - C(path), C(exists), and for an existing path C(type), C(mode), C(owner) and C(executable).
    - C(dry_run) - C(argv), C(rc) (null when it was killed), C(seconds), C(output_tail) (the last 500
      characters of output) and C(output_bytes).
    - C(previous_release) - C(pattern), C(matches), and for the newest match C(path), C(type) and
      C(entries), or C(size) and C(content) (its first line).
    - C(releases) - C(path), C(count), C(newest) (the last five names, oldest first), and with I(current)
      C(current) (where it points) and C(previous) (the releases before it); beside it C(releases_kept) (a
      count).
    - C(tag) - C(path), C(pattern), C(repository) (its top directory), C(head) (the commit), C(head_tags),
      and when C(HEAD) is untagged C(matching_tags), C(nearest_tag) and C(commits_since_tag).
    - C(expected) holds the C(releases_kept) level, C(tag) (the pattern and what an untagged C(HEAD) gives) and
      C(dry_run_rc) (the accepted exit codes), each for a part that is set.
  returned: always
  type: list
  elements: dict
  sample:
    - id: rollback_readiness:shop
      kind: rollback_readiness
      section: application
      title: Rollback readiness of shop
      status: pass
      severity: high
      summary: >-
        rollback script /srv/shop/bin/rollback is executable; previous release 2030.05.28; 5 releases in
        /srv/shop/releases; dry run exited 0 in 1s
      observed:
        script:
          path: /srv/shop/bin/rollback
          exists: true
          type: file
          mode: '0755'
          owner: shop
          executable: true
        releases:
          path: /srv/shop/releases
          count: 5
          newest: [2030.05.12, 2030.05.15, 2030.05.20, 2030.05.28, 2030.06.01]
          current: /srv/shop/releases/2030.06.01
          previous: [2030.05.12, 2030.05.15, 2030.05.20, 2030.05.28]
        releases_kept: {value: 5, unit: count}
        dry_run:
          argv: [/srv/shop/bin/rollback, --dry-run]
          rc: 0
          seconds: 1.2
          output_tail: would switch current to 2030.05.28
          output_bytes: 35
      expected:
        releases_kept: {fail: {below: 2}, unit: count}
        dry_run_rc: [0]
      duration_ms: 1231
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

from ansible_collections.golive.readiness.plugins.module_utils._checks import rollback_readiness
from ansible_collections.golive.readiness.plugins.module_utils._module import run_kind_module


def main():
    run_kind_module(rollback_readiness)


if __name__ == "__main__":
    main()
