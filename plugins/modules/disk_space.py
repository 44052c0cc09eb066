#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: disk_space
short_description: Check free space and free inodes of filesystems
version_added: 0.1.0
description:
  - For each path, measures the free space (bytes and percent of the filesystem) and the free
    inodes (percent) of the filesystem holding it, and grades them against warn and fail levels.
  - Free space is what an unprivileged process can use (blocks reserved for root do not count).
  - Runs on the managed host with the Python standard library only.
author: golive.readiness contributors (@golive-readiness)
extends_documentation_fragment:
  - golive.readiness.check_item
options:
  checks:
    description: The filesystems to check, one item each.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: An absolute path on the filesystem to check (a mount point or any path under it).
        type: path
        required: true
      free_warn_below:
        description:
          - Warn when free space is below this size (V(20GB)) or percentage (V(15%)).
          - Sizes use binary multiples (1GB = 1024^3 bytes).
          - When neither this nor O(checks[].free_fail_below) is set, the levels are V(15%) (warn) and
            V(5%) (fail). Setting one of them sets only that level.
        type: str
      free_fail_below:
        description: Fail when free space is below this size or percentage (V(5%) when neither level is set).
        type: str
      inodes_free_warn_below:
        description: Warn when the free inodes are below this percentage.
        type: str
      inodes_free_fail_below:
        description: Fail when the free inodes are below this percentage (V(5%) when neither inode level is set).
        type: str
      id:
        description: Result id; defaults to C(disk_space:<path>).
        type: str
      title:
        description: Human title; defaults to C(Disk space on <path>).
        type: str
      section:
        description: Checklist section; defaults to the module's I(section), else C(infrastructure).
        type: str
      severity:
        description: Severity of this check; defaults to the module's I(severity), else C(high).
        type: str
        choices: [critical, high, medium, low]
      timeout:
        description: Time limit of this check; defaults to the module's I(timeout).
        type: raw
      target:
        description: Inventory host this check is about, when it runs from another host.
        type: str
"""

EXAMPLES = r"""
- name: Root and data volumes have room
  golive.readiness.disk_space:
    checks:
      - path: /
        free_warn_below: 20GB
        free_fail_below: 10GB
        inodes_free_fail_below: 5%
      - path: /var/lib/postgresql
        free_warn_below: 25%
        free_fail_below: 10%
        severity: critical
"""

RETURN = r"""
golive_checks:
  description:
    - One record per path (see the common return values below).
    - C(observed) holds C(total_bytes), C(free_bytes), C(free_percent) and C(inodes_free_percent).
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.golive.readiness.plugins.module_utils._checks import disk_space
from ansible_collections.golive.readiness.plugins.module_utils._module import run_kind_module


def main():
    run_kind_module(disk_space)


if __name__ == "__main__":
    main()
