#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: merge_reports
short_description: Merge the reports of a sliced run into one verdict and one report set
version_added: 0.1.0
description:
  - Past one controller the inventory is sliced (AWX job slicing, several CI jobs), and each slice's
    C(ansible-playbook golive.yml) writes its own C(report.json). This action reads them, decides ONE
    verdict over all their records with the same code as M(golive.readiness.gate) and the report
    callback, and publishes ONE report set (every format of the C(golive.readiness.report) callback,
    with history and notification) where that callback writes, with its settings (C(report_dir),
    C(formats), C(history), C(notify_url)...; ini section C(golive_report) or C(GOLIVE_*)).
  - The playbook C(golive.readiness.merge_reports) runs it (C(-e golive_slices=... -e golive_slice_count=N)).
  - "A missing slice is NO-GO, named: a listed report file that does not exist; with numbered slices
    (each run with C(-e golive_slice=k/N)) every number without a report (V(slice 2 of 3 is missing));
    otherwise how many of O(slice_count) have no report; and every host of O(expected_hosts) that no
    slice reports."
  - "Refused, with an error naming the file: a file that is not a golive report, a report of another
    schema version, slices of different checklists (their C(checklist.fingerprint) differs: sections
    selected, blocking severities, fleet-wide waivers or sign-off approvers; the message says which),
    a host reported by two slices, two reports of the same slice number or AWX job, slices of different
    AWX workflow jobs, more reports than slices, numbered and unnumbered slices together."
  - Each slice's waivers apply to the hosts that carried them; expiry is judged on the day of the
    newest slice. Problems of a slice's own scope, and an interrupted slice, are NO-GO reasons naming
    the slice.
  - The same slice reports give byte-identical files (C(generated_at) is the newest slice's), except
    C(archive) and C(history), which depend on the report directory's history, and C(notification).
  - This is an action plugin. It runs on the controller and never connects to a host.
author: golive.readiness contributors (@golive-readiness)
options:
  slices:
    description:
      - The slice reports. A path or a list of paths, each a C(report.json), a slice's report
        directory (holding C(report.json)), or a directory of slice report directories
        (C(<dir>/*/report.json)).
    type: raw
    required: true
  slice_count:
    description:
      - How many slices the run has, from V(1) to V(10000). Required unless the slices were run
        with C(-e golive_slice=k/N), which says it; when both are given they must agree.
      - AWX does not tell a job its slice number or count, so for AWX job slicing give the job
        template's slice count here.
    type: raw
  expected_hosts:
    description:
      - Hosts the run is about. Each one that no slice report lists is a NO-GO reason. The playbook
        passes the inventory's hosts matching C(golive_hosts) (default V(all)).
    type: list
    elements: str
    default: []
  report_dir:
    description: Where to publish the merged report; default the report callback's O(report_dir).
    type: path
  fail_on_nogo:
    description: Fail the task when the merged verdict is NO-GO, so C(ansible-playbook) exits non-zero.
    type: raw
    default: true
notes:
  - "A slice records its identity in its report: C(slice.number) and C(slice.count) from
    C(-e golive_slice=k/N), and AWX's C(awx_job_id) and C(awx_workflow_job_id) (or C(tower_*)) extra
    variables."
seealso:
  - module: golive.readiness.gate
"""

EXAMPLES = r"""
- name: One verdict from three slice reports
  golive.readiness.merge_reports:
    slices:
      - slices/1/report.json
      - slices/2/report.json
      - slices/3/report.json
    slice_count: 3
    expected_hosts: "{{ query('inventory_hostnames', 'all') }}"
"""

RETURN = r"""
msg:
  description: The merged verdict as one line of counts, and how many slices were merged.
  returned: always
  type: str
  sample: "NO-GO: 1 blocking item on 1 host (3 of 3 slices merged)"
golive_merged:
  description: The merge's outcome; the report callback prints the merged summary from it.
  returned: always
  type: dict
  contains:
    verdict:
      description: V(GO), V(GO WITH WARNINGS) or V(NO-GO); null when the merge was refused.
      returned: always
      type: str
      sample: NO-GO
    slices:
      description: How many slice reports were merged.
      returned: when merged
      type: int
      sample: 3
    slice_count:
      description: How many slices the run has.
      returned: when merged
      type: int
      sample: 3
    reasons:
      description: The reasons for NO-GO, one line each.
      returned: when merged
      type: list
      elements: str
      sample: ["slice 2 of 3 is missing: no report for it, its hosts are unchecked"]
    paths:
      description: The report files published.
      returned: when merged
      type: list
      elements: str
      sample: [golive-report/junit.xml, golive-report/report.html, golive-report/report.json]
    report_json:
      description: The merged report.json in its archive directory.
      returned: when merged
      type: str
      sample: golive-report/history/20261124T101500Z/report.json
"""
