#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: verify
short_description: Run many readiness checks of any kinds in one call
version_added: 0.1.0
description:
  - Runs a mixed list of checks, each naming its C(kind), concurrently and under their own
    timeouts, and returns one result record per check.
  - This is how the golive playbook runs each host's whole checklist in a single task. The
    per-task cost (fork, connection, Python start-up) is paid once per host, not once per check.
  - Every item takes the options of its kind's module (for example
    M(golive.readiness.disk_space)'s I(checks) suboptions) plus C(kind). Items are validated
    against their kind before anything runs; every problem is reported at once, naming the item
    and the option.
  - Numbers are numbers. NaN, infinities and values outside an option's range (for example
    V(1ms) to V(24h) for O(timeout), O(deadline) and each item's C(timeout), V(1) to V(256) for
    O(max_workers), V(1) to V(65535) for a port) are refused, as is a NUL byte in any text, with
    an error naming the item, the option, the value and the range.
author: golive.readiness contributors (@golive-readiness)
extends_documentation_fragment:
  - golive.readiness.check_item
options:
  checks:
    description:
      - The checks to run. Each is a dictionary with C(kind) (one of C(command_output),
        C(data_file), C(db_data_quality), C(db_row_counts), C(db_schema), C(db_server),
        C(disk_space), C(dns_record), C(env_vars), C(http_endpoint), C(path), C(process),
        C(python_runtime), C(redis), C(smtp_server), C(system_resources), C(tcp_port), C(time_sync),
        C(tls_certificate)) and the options of that kind.
    type: list
    elements: dict
    required: true
seealso:
  - module: golive.readiness.command_output
  - module: golive.readiness.data_file
  - module: golive.readiness.db_data_quality
  - module: golive.readiness.db_row_counts
  - module: golive.readiness.db_schema
  - module: golive.readiness.db_server
  - module: golive.readiness.disk_space
  - module: golive.readiness.dns_record
  - module: golive.readiness.env_vars
  - module: golive.readiness.http_endpoint
  - module: golive.readiness.path
  - module: golive.readiness.process
  - module: golive.readiness.python_runtime
  - module: golive.readiness.redis
  - module: golive.readiness.smtp_server
  - module: golive.readiness.system_resources
  - module: golive.readiness.tcp_port
  - module: golive.readiness.time_sync
  - module: golive.readiness.tls_certificate
"""

EXAMPLES = r"""
- name: Whole host checklist in one call
  golive.readiness.verify:
    fail_on: []
    checks:
      - kind: disk_space
        path: /
        free_warn_below: 20GB
        free_fail_below: 10GB
      - kind: system_resources
        cpus_fail_below: 2
        memory_available_warn_below: 15%
      - kind: process
        name: celery
        min_count: 2
        user: app
  register: host_checks
"""

RETURN = r"""
golive_checks:
  description: One record per check, in the order of I(checks) (see the common return values below).
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.golive.readiness.plugins.module_utils._module import run_verify_module
from ansible_collections.golive.readiness.plugins.module_utils._registry import KINDS


def main():
    run_verify_module(KINDS)


if __name__ == "__main__":
    main()
