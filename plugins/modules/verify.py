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
  - Right after a deploy, O(wait) runs again only the checks that do not pass yet, with a growing pause,
    until they pass or the wait is over; each record then says in C(rounds) how many times its check ran.
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
      - The checks to run. Each is a dictionary with C(kind), the name of a check module listed below, and the
        options of that kind (that module's O(checks) suboptions).
    type: list
    elements: dict
    required: true
seealso:
  # BEGIN generated: seealso (scripts/generate; do not edit by hand)
  - module: golive.readiness.alertmanager
  - module: golive.readiness.backup_catalog
  - module: golive.readiness.backup_freshness
  - module: golive.readiness.backup_restore
  - module: golive.readiness.code_markers
  - module: golive.readiness.command_output
  - module: golive.readiness.coverage
  - module: golive.readiness.data_file
  - module: golive.readiness.db_data_quality
  - module: golive.readiness.db_row_counts
  - module: golive.readiness.db_schema
  - module: golive.readiness.db_server
  - module: golive.readiness.dbt_artifacts
  - module: golive.readiness.disk_space
  - module: golive.readiness.dns_record
  - module: golive.readiness.env_vars
  - module: golive.readiness.http_endpoint
  - module: golive.readiness.load_test
  - module: golive.readiness.log_health
  - module: golive.readiness.object_storage_backup
  - module: golive.readiness.os_updates
  - module: golive.readiness.path
  - module: golive.readiness.process
  - module: golive.readiness.prometheus_query
  - module: golive.readiness.prometheus_targets
  - module: golive.readiness.python_runtime
  - module: golive.readiness.redis
  - module: golive.readiness.rollback_readiness
  - module: golive.readiness.scheduled_jobs
  - module: golive.readiness.secrets_hygiene
  - module: golive.readiness.smtp_server
  - module: golive.readiness.stripe_account
  - module: golive.readiness.system_resources
  - module: golive.readiness.tcp_port
  - module: golive.readiness.test_results
  - module: golive.readiness.time_sync
  - module: golive.readiness.tls_certificate
  - module: golive.readiness.vulnerability_scan
  # END generated: seealso
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

- name: Right after the deploy, wait up to 10 minutes for the services to come up
  golive.readiness.verify:
    wait: 10m
    checks:
      - kind: http_endpoint
        url: https://shop.example.com/health
      - kind: process
        name: gunicorn
        min_count: 4
  register: after_deploy
"""

RETURN = r"""
golive_checks:
  description:
    - One record per check, in the order of O(checks).
    - C(observed) holds what the item's kind measures (see RV(golive_checks) of that kind's module).
  returned: always
  type: list
  elements: dict
  sample:
    - id: disk_space:/var/lib/postgresql
      kind: disk_space
      section: infrastructure
      title: Disk space on /var/lib/postgresql
      status: pass
      severity: critical
      summary: free 76.4 GiB; free 38.2% (warn < 25.0%, fail < 10.0%); inodes free 99.1% (fail < 5.0%)
      observed:
        total_bytes: {value: 214748364800, unit: bytes}
        free_bytes: {value: 82033079910, unit: bytes}
        free_percent: {value: 38.2, unit: percent}
        inodes_free_percent: {value: 99.1, unit: percent}
      expected:
        free_percent: {warn: {below: 25.0}, fail: {below: 10.0}, unit: percent}
        inodes_free_percent: {fail: {below: 5.0}, unit: percent}
      duration_ms: 1
    - id: process:nginx
      kind: process
      section: application
      title: Process nginx
      status: fail
      severity: high
      summary: 0 running as www-data (expected at least 1)
      observed: {count: {value: 0, unit: count}, pids: [], users: [], samples: []}
      expected: {user: www-data, count: {fail: {below: 1}, unit: count}}
      duration_ms: 4
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

from ansible_collections.golive.readiness.plugins.module_utils._module import run_verify_module
from ansible_collections.golive.readiness.plugins.module_utils._registry import KINDS


def main():
    run_verify_module(KINDS)


if __name__ == "__main__":
    main()
