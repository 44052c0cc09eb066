#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: gate
short_description: Turn every host's check results into a GO, GO WITH WARNINGS or NO-GO verdict
version_added: 0.1.0
description:
  - Reads the check results each in-scope host registered (I(result_var)) and the endpoint check
    results of the probe hosts (I(probe_result_var)) from C(hostvars), applies the waivers and
    decides the verdict of the whole fleet.
  - NO-GO when any unwaived C(fail) or C(error) has a blocking severity, or any in-scope host has
    no results (unreachable, or its check task failed or never ran). GO WITH WARNINGS when there
    are only warnings, failures of non-blocking severities, or waived failures. GO when every
    check passed (C(skipped) is fine).
  - On NO-GO the task fails (see I(fail_on_nogo)), so C(ansible-playbook) exits non-zero and a
    pipeline can stop the deploy.
  - This is an action plugin. It runs on the controller and never connects to a host.
  - Tasks that failed outside the checks are not visible to this action; the
    C(golive.readiness.report) callback counts them (NO-GO in the report), and
    C(ansible-playbook) exits non-zero for them anyway.
author: golive.readiness contributors (@golive-readiness)
options:
  scope_hosts:
    description:
      - The inventory hosts the verdict is about, usually C(ansible_play_hosts_all) of the play
        that ran the host checks. A host in this list without results makes the verdict NO-GO.
    type: list
    elements: str
    required: true
  probe_hosts:
    description:
      - Hosts that ran endpoint checks on behalf of others. Their records are attributed to the
        record's C(target) host (the probe is kept as C(probe)).
      - A probe host whose check task was skipped (nothing to check) does not count as missing.
    type: list
    elements: str
    default: []
  result_var:
    description: Name of the variable each scope host registered its check task result in.
    type: str
    default: golive_host_verify
  probe_result_var:
    description: Name of the variable each probe host registered its check task result in.
    type: str
    default: golive_probe_verify
  waivers:
    description:
      - Accepted risks. A waived C(warn), C(fail) or C(error) does not block; it is still shown
        and makes the verdict at best GO WITH WARNINGS.
      - A waiver holds through the end of its expiry day. An expired waiver no longer applies and
        is reported in RV(golive_gate.expired_waivers).
      - A waiver that matches no problem is reported in RV(golive_gate.unused_waivers).
    type: list
    elements: dict
    default: []
    suboptions:
      id:
        description: Check id, or a glob of them (V(disk_space:*)).
        type: str
        required: true
      hosts:
        description: Host name glob, or a list of them.
        type: raw
        default: "*"
      reason:
        description: Why the risk is accepted.
        type: str
        required: true
      owner:
        description: Who accepted it.
        type: str
        required: true
      expires:
        description: Last day the waiver applies, V(YYYY-MM-DD) (a YAML date works too).
        type: str
        required: true
      ticket:
        description: Reference of the ticket tracking the fix.
        type: str
  blocking_severities:
    description: Severities whose unwaived C(fail) or C(error) makes the verdict NO-GO.
    type: list
    elements: str
    choices: [critical, high, medium, low]
    default: [critical, high]
  fail_on_nogo:
    description: Fail the task when the verdict is NO-GO.
    type: bool
    default: true
  signoff:
    description:
      - The approvers of the go-live and their decisions, judged against the verdict and returned in
        RV(golive_gate.signoff) so that the report shows them.
      - A V(GO) or V(GO WITH WARNINGS) decision on a NO-GO run is not accepted (a NO-GO cannot be
        signed off as GO); the sign-off status is then V(rejected) and the task warns. The verdict
        itself comes from the checks only; the sign-off never changes it.
    type: list
    elements: dict
    default: []
    suboptions:
      role:
        description: What the approver answers for, for example V(release manager).
        type: str
        required: true
      name:
        description: Who signs.
        type: str
        required: true
      decision:
        description:
          - V(GO), V(GO WITH WARNINGS) or V(NO-GO) (case and V(-)/V(_) do not matter). Empty while the
            decision is pending.
        type: str
      date:
        description: Day of the decision, V(YYYY-MM-DD) (a YAML date works too).
        type: str
      comment:
        description: Free text shown with the decision.
        type: str
  signoff_var:
    description:
      - Name given to O(signoff) in error messages, for example V(golive_signoff) when the list comes
        from that variable (the C(golive.readiness.gate) role passes it), so that a message names
        C(golive_signoff[1].decision).
    type: str
    default: signoff
notes:
  - The C(golive.readiness.report) callback takes the waivers and blocking severities from this
    task's result, so the report and the gate agree.
attributes:
  check_mode:
    support: full
    description: Only reads registered results.
  diff_mode:
    support: none
    description: Nothing is changed.
  action:
    support: full
    description: Runs on the controller as an action plugin.
seealso:
  - module: golive.readiness.verify
"""

EXAMPLES = r"""
- name: Go or no go
  golive.readiness.gate:
    scope_hosts: "{{ golive_scope_hosts }}"
    probe_hosts: "{{ golive_probe_hosts | default([]) }}"
    blocking_severities: [critical, high]
    waivers:
      - id: "disk_space:/var/log"
        hosts: "web*"
        reason: Log volume is grown on Monday
        owner: ops@example.com
        expires: 2030-06-30
        ticket: OPS-1234
    signoff:
      - role: release manager
        name: Ann Example
        decision: GO
        date: 2030-06-01
      - role: database owner
        name: Bo Example
        decision:  # pending
"""

RETURN = r"""
msg:
  description:
    - The verdict as one short line of counts, with the sign-off's state when approvers are
      configured. Line breaks and control characters from checked systems are shown as escapes.
  returned: always
  type: str
  sample: "NO-GO: 3 blocking items on 2 hosts"
golive_gate:
  description:
    - The decision and everything it rests on.
    - When the gate fails the task on NO-GO, only C(verdict), C(blocking_severities) and, when not
      empty, C(waivers), C(signoff) and the C(hosts) that are not C(ok) are returned (Ansible prints a
      failed result whole; the readiness report lists every item).
    - Text from checked systems and the inventory carries Unicode bidirectional marks and C1
      control characters as escapes (V(\\u202e)), so printing the result cannot reorder or
      recolour what the operator reads.
  returned: always, unless an option is invalid
  type: dict
  contains:
    verdict:
      description: V(GO), V(GO WITH WARNINGS) or V(NO-GO).
      type: str
      sample: NO-GO
    blocking:
      description: The unwaived failures of blocking severity, most severe first.
      type: list
      elements: dict
      sample:
        - {host: web03, id: "disk_space:/", title: "Disk space on /", status: fail, severity: high,
           summary: "free 2.1 GiB (fail < 10.0 GiB)"}
    warnings:
      description: Warnings, failures of non-blocking severity and waived problems (C(waived=true)).
      type: list
      elements: dict
    counts:
      description: C(total), C(by_status), C(by_section) (section to status counts), C(blocking), C(waived).
      type: dict
    hosts:
      description: Per host C(name), C(status) (C(ok), C(no_results), C(unreachable)), C(checks), C(worst), C(reason).
      type: list
      elements: dict
    waivers:
      description: The normalised waivers (C(hosts) as a list, C(expires) as V(YYYY-MM-DD), C(expired)).
      type: list
      elements: dict
    applied_waivers:
      description: Each waived record (C(host), C(id), C(status)) with the C(waiver) that covered it.
      type: list
      elements: dict
    expired_waivers:
      description: Expired waivers that matched a problem (not applied), with what they C(matched).
      type: list
      elements: dict
    unused_waivers:
      description: Waivers that matched no problem; the issue may be fixed and the waiver can go.
      type: list
      elements: dict
    blocking_severities:
      description: The severities that blocked.
      type: list
      elements: str
      sample: [critical, high]
    hosts_without_results:
      description: In-scope (or probe) hosts without check results, other than unreachable ones.
      type: list
      elements: str
    signoff:
      description:
        - The sign-off judged against the verdict. C(status) is V(signed) (every approver accepted the
          run), V(pending) (a decision is missing), V(rejected) (a NO-GO decision, or a GO decision on a
          NO-GO run) or V(not_required) (no approvers); C(summary) says it in one line.
        - C(approvers) lists C(role), C(name), C(decision), C(date), C(comment), C(accepted) and C(note)
          (why a decision is not accepted).
      type: dict
      sample:
        status: rejected
        summary: "a NO-GO cannot be signed off as GO: release manager (Ann Example) signed GO"
        approvers:
          - {role: release manager, name: Ann Example, decision: GO, date: "2030-06-01", comment: null,
             accepted: false, note: "a NO-GO run cannot be signed off as GO"}
"""

from ansible.module_utils.basic import AnsibleModule

# What the documentation above declares; the action plugin validates the same options itself.
ARGUMENT_SPEC = dict(
    scope_hosts=dict(type="list", elements="str", required=True),
    probe_hosts=dict(type="list", elements="str", default=[]),
    result_var=dict(type="str", default="golive_host_verify"),
    probe_result_var=dict(type="str", default="golive_probe_verify"),
    waivers=dict(type="list", elements="dict", default=[]),
    blocking_severities=dict(type="list", elements="str", default=["critical", "high"],
                             choices=["critical", "high", "medium", "low"]),
    fail_on_nogo=dict(type="bool", default=True),
    signoff=dict(type="list", elements="dict", default=[], options=dict(
        role=dict(type="str", required=True),
        name=dict(type="str", required=True),
        decision=dict(type="str"),
        date=dict(type="str"),
        comment=dict(type="str"),
    )),
    signoff_var=dict(type="str", default="signoff"),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.fail_json(msg="golive.readiness.gate runs on the controller as an action plugin; it cannot be "
                         "executed as a module on a host (call it as a task, not through a module runner)")


if __name__ == "__main__":
    main()
