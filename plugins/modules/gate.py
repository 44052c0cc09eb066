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
  - Reads the check results each in-scope host registered (I(result_var)), the endpoint check
    results of the probe hosts (I(probe_result_var)) and of the embedded roles' endpoint check task
    (I(run_once_result_vars)) from C(hostvars), applies the waivers and
    decides the verdict of the whole fleet.
  - NO-GO when any unwaived C(fail) or C(error) has a blocking severity, or any in-scope host has
    no results (unreachable, or its check task failed or never ran), or the run checked nothing (no
    host in scope, no check at all, or endpoint checks with no probe host to run them). GO WITH WARNINGS when there
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
    description:
      - Names of the variables each scope host registered its check task results in; the records of every
        one a host registered count. A host that registered none of them, or one without records (its check
        task failed or was skipped), makes the verdict NO-GO.
      - The defaults are the golive playbook's and the embedded roles' (C(golive_<role>_verify)).
    type: list
    elements: str
    default: [golive_host_verify, golive_infrastructure_verify, golive_application_verify, golive_security_verify,
              golive_services_verify, golive_data_verify, golive_monitoring_verify, golive_backup_verify,
              golive_checklist_verify]
  probe_result_var:
    description: Name of the variable each probe host registered its check task result in.
    type: str
    default: golive_probe_verify
  run_once_result_vars:
    description:
      - Names of the variables an embedded role's endpoint check task registered (C(golive_<role>_probe_verify)).
        That task runs once for the play, delegated to each probe host in turn (its loop items), and Ansible
        registers its result on every host of the play; the gate reads it from the scope hosts and counts
        each record once.
    type: list
    elements: str
    default: [golive_infrastructure_probe_verify, golive_application_probe_verify, golive_security_probe_verify,
              golive_services_probe_verify, golive_data_probe_verify, golive_monitoring_probe_verify,
              golive_backup_probe_verify, golive_checklist_probe_verify]
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
      catch_all:
        description:
          - Set to V(true) to say that the waiver means to match every check. A waiver whose O(waivers[].id)
            is only V(*) is refused without it, so that no waiver turns a NO-GO into a GO by accident.
          - Every waiver that waived a critical check is listed first, in RV(golive_gate.critical_waivers)
            and in every report format.
        type: bool
        default: false
  blocking_severities:
    description: Severities whose unwaived C(fail) or C(error) makes the verdict NO-GO.
    type: list
    elements: str
    choices: [critical, high, medium, low]
    default: [critical, high]
  fail_on_nogo:
    description:
      - Fail the task when the verdict is NO-GO.
      - A value that is not a boolean (V(maybe)) is an error naming the option, never read as V(false).
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
  attestations_required:
    description:
      - The checklist's human items (code reviewed, runbook written, rollback rehearsed, team briefed). Each
        becomes a check record of kind C(attestation), id C(attestation:<id>), about the controller
        (C(localhost), where the verdict is decided) and in section C(attestations) unless it says
        otherwise. It counts, blocks by its severity, is waived by a waiver of that id and is reported like
        any check, with the sections selected by C(--tags) or not (it belongs to the run, not to a section).
      - "It passes when the newest attestation of its id in O(attestations) that counts is in date and by
        someone allowed; it fails when every attestation of it is expired, stale (older than
        O(attestations_required[].max_age)), by someone not in O(attestations_required[].allowed_by) or dated in
        the future; nothing attested is O(attestations_required[].missing_status). Dates are compared with the
        run's time in UTC."
      - Validated in every stage, so that a wrong item stops the run before any host is contacted; messages
        name the list, the item and the field (C(golive_attestations_required[1].max_age)).
    type: list
    elements: dict
    default: []
    suboptions:
      id:
        description: What is attested, unique in the list, for example V(rollback-rehearsed); at most 200 characters.
        type: str
        required: true
      title:
        description: Human title, for example V(Rollback rehearsed on staging). Default the id.
        type: str
      severity:
        description: The record's severity; a failure of a blocking severity makes the verdict NO-GO.
        type: str
        choices: [critical, high, medium, low]
        default: high
      allowed_by:
        description:
          - Who may attest it, names or emails (compared without regard to case). Anybody when not set.
        type: list
        elements: str
      max_age:
        description:
          - An attestation older than this is stale and does not count, for example V(30d) for
            "rehearsed within 30 days". A duration (V(12h), V(30d), V(2w)).
        type: str
      section:
        description: The report section the record is counted in.
        type: str
        default: attestations
      hint:
        description: What to do while it does not pass (at most 1000 characters), shown beside it.
        type: str
      contact:
        description: Who does it (at most 200 characters), shown beside it.
        type: str
      missing_status:
        description:
          - The status when nothing is attested for the item. V(warn) gives GO WITH WARNINGS instead of a
            failure; an expired, stale, disallowed or future attestation still fails.
        type: str
        choices: [fail, warn]
        default: fail
  attestations:
    description:
      - What people attested for the items of O(attestations_required). Several attestations of one id may
        be given; the newest that counts is used.
      - An attestation of an id no item requires is a warning record (severity V(low)) naming the nearest
        required id (probably a typo).
      - Validated like O(attestations_required) (C(golive_attestations[0].at)). The evidence is shown in
        every report format, a URL's password masked.
    type: list
    elements: dict
    default: []
    suboptions:
      id:
        description: The required item's id.
        type: str
        required: true
      by:
        description: Who attests, a name or email (compared with O(attestations_required[].allowed_by)).
        type: str
        required: true
      at:
        description:
          - When, a date (V(2026-11-20), the start of that day in UTC) or a date-time
            (V(2026-11-20T14:30:00Z), V(2026-11-20T15:30:00+01:00); without an offset, UTC). A YAML date works too.
        type: str
        required: true
      evidence:
        description: A link or ticket that shows it was done (V(https://wiki.example.com/runbooks/shop), V(OPS-512)).
        type: str
        required: true
      expires:
        description: Last day the attestation holds (V(YYYY-MM-DD)); after it the item fails as expired.
        type: str
      note:
        description: Free text kept with the attestation.
        type: str
  signoff_var:
    description:
      - Name given to O(signoff) in error messages, for example V(golive_signoff) when the list comes
        from that variable (the C(golive.readiness.gate) role passes it), so that a message names
        C(golive_signoff[1].decision).
    type: str
    default: signoff
  stage:
    description:
      - V(verdict) decides the verdict. V(policy) only validates, before any host is contacted, the
        policy (with O(read_host_policy), of every host in O(scope_hosts)), O(run_tags) and O(skip_tags),
        that O(controller_in_limit), and that the probe group (O(probe_group_hosts)) is not empty while
        the scope hosts have endpoint checks. It fails naming every problem, and returns nothing else.
      - V(stats) decides the verdict as V(verdict) does and publishes it as the run's custom stats
        (RV(ansible_stats), what M(ansible.builtin.set_stats) sets with C(per_host=false) and
        C(aggregate=false)), so that ansible-runner's C(artifact_data) and the job artifacts of AWX or
        Automation Controller carry it. It never fails on NO-GO, because Ansible records stats only from a
        task that does not fail; run it before the V(verdict) stage, as the C(golive.readiness.gate) role does.
    type: str
    choices: [policy, stats, verdict]
    default: verdict
  read_host_policy:
    description:
      - Also read the policy from each host of O(scope_hosts), O(probe_hosts) and O(probe_group_hosts),
        from the inventory variables C(golive_waivers) (and any C(golive_waivers_<name>), which adds to
        it), C(golive_blocking_severities), C(golive_fail_on_nogo), C(golive_signoff),
        C(golive_attestations_required) and C(golive_attestations); messages then name those variables.
      - A host's own waivers cover only that host's records; a waiver identical to one of O(waivers)
        (seen through group C(all)) is one fleet-wide waiver.
      - Blocking severities, O(fail_on_nogo), O(signoff), O(attestations_required) and O(attestations) are
        fleet-wide; a host whose own value differs from the option's is an error naming the hosts.
    type: bool
    default: false
  run_tags:
    description:
      - The run's C(ansible_run_tags). Any tag that is neither a checklist section nor one of Ansible's
        special tags (V(all), V(always), V(never), V(tagged), V(untagged)) is an error naming it.
      - Not checked when omitted.
    type: list
    elements: str
  skip_tags:
    description: The run's C(ansible_skip_tags), checked like O(run_tags).
    type: list
    elements: str
  host_pattern:
    description: The host pattern that selected O(scope_hosts), named when it selects no host (the run is then NO-GO).
    type: str
  limit:
    description: The run's C(--limit) (C(ansible_limit)), named in messages about an empty scope.
    type: str
  controller_in_limit:
    description:
      - Whether C(--limit) keeps C(localhost), where the golive playbook decides the verdict. With
        O(stage=policy), V(false) is an error (the verdict would never be decided).
    type: bool
    default: true
  probe_group:
    description:
      - The host pattern of the probe hosts. When given and O(probe_hosts) is empty while the scope hosts
        have endpoint checks (O(endpoint_checks_vars)), the verdict is NO-GO with that reason.
    type: str
  probe_group_hosts:
    description:
      - With O(stage=policy), the hosts O(probe_group) will select (within C(--limit)); none while the
        scope hosts have endpoint checks is an error.
    type: list
    elements: str
  endpoint_checks_vars:
    description: Variables of the scope hosts holding the endpoint checks the probe hosts run.
    type: list
    elements: str
    default: [golive_endpoint_checks, golive_probe_checks]
  checklists:
    description:
      - With O(stage=policy), the variables of the running play that hold each scope host's checklists. Each
        is templated in every scope host's context (the section roles' variables included) and validated
        before any host is contacted; each distinct item is validated once, and each problem is printed
        once, as a warning of this task naming the variable, the item, its kind, the option and the hosts
        whose variables hold it. The task's message counts them.
    type: dict
    suboptions:
      host:
        description: A list of lists of the host's own check items.
        type: str
        required: true
      endpoint:
        description: A list of lists of the host's endpoint check items (run by the probe hosts).
        type: str
        required: true
      probe:
        description:
          - The host's own list of endpoint checks of any kind.
          - Empty for none (an embedded section role runs only its own section's checks).
        type: str
        default: golive_probe_checks
      host_run_options:
        description: A dictionary of the options of the host's M(golive.readiness.verify) call.
        type: str
      probe_run_options:
        description: >-
          A dictionary of the options of the probe's M(golive.readiness.verify) call, templated in the
          context of each of O(probe_group_hosts).
        type: str
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
    attestations_required:
      - id: rollback-rehearsed
        title: Rollback rehearsed on staging
        allowed_by: [ann@example.com, bo@example.com]
        max_age: 30d
      - id: team-briefed
        severity: medium
        missing_status: warn
    attestations:
      - id: rollback-rehearsed
        by: ann@example.com
        at: "2030-05-28T16:00:00Z"
        evidence: https://wiki.example.com/shop/rollback-drill-2030-05
"""

RETURN = r"""
ansible_stats:
  description:
    - With O(stage=stats), the verdict as the run's custom stats (C(per_host=false), C(aggregate=false)).
      Ansible keeps them under C(_run) in its stats; ansible-runner's C(playbook_on_stats) event carries them
      as C(artifact_data) (and C(Runner.stats)), AWX and Automation Controller save them as the job's
      artifacts and pass them to the next nodes of a workflow as extra variables.
  returned: with O(stage=stats), unless an option or the policy is invalid
  type: dict
  contains:
    per_host:
      description: Always V(false), the stats are the run's.
      returned: always
      type: bool
      sample: false
    aggregate:
      description: Always V(false), a verdict replaces an earlier one instead of adding to it.
      returned: always
      type: bool
      sample: false
    data:
      description: The stats themselves.
      returned: always
      type: dict
      contains:
        golive_verdict:
          description: V(GO), V(GO WITH WARNINGS) or V(NO-GO).
          returned: always
          type: str
          sample: NO-GO
        golive_counts:
          description:
            - The checks by status (C(pass), C(warn), C(fail), C(error), C(skipped)), with C(total), C(blocking)
              (unwaived failures of a blocking severity), C(waived) and C(hosts).
          returned: always
          type: dict
          sample: {pass: 40, warn: 1, fail: 1, error: 0, skipped: 0, total: 42, blocking: 1, waived: 0, hosts: 3}
        golive_blocking:
          description: Each blocking check C(id) with its C(status), C(severity) and the C(hosts) it blocks on.
          returned: always
          type: list
          elements: dict
          sample: [{id: "disk_space:/", status: fail, severity: high, hosts: [web03]}]
        golive_reasons:
          description:
            - Every reason for NO-GO as one line (blocking checks, unreachable hosts, hosts without results,
              scope problems), in the order the report shows them. Empty unless the verdict is NO-GO.
          returned: always
          type: list
          elements: str
          sample: ["web03 disk_space:/ fail: free 2.1 GiB (fail < 10.0 GiB)"]
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
      empty, C(waivers), C(signoff), C(attestations), C(scope_problems) and the C(hosts) that are not C(ok) are
      returned (Ansible prints a failed result whole; the readiness report lists every item).
    - Text from checked systems and the inventory carries Unicode bidirectional marks and C1
      control characters as escapes (V(\\u202e)), so printing the result cannot reorder or
      recolour what the operator reads.
  returned: always, unless an option is invalid
  type: dict
  contains:
    verdict:
      description: V(GO), V(GO WITH WARNINGS) or V(NO-GO).
      returned: always
      type: str
      sample: NO-GO
    blocking:
      description: The unwaived failures of blocking severity, most severe first.
      returned: when the task does not fail on NO-GO
      type: list
      elements: dict
      sample:
        - {host: web03, id: "disk_space:/", title: "Disk space on /", status: fail, severity: high,
           summary: "free 2.1 GiB (fail < 10.0 GiB)"}
    warnings:
      description: Warnings, failures of non-blocking severity and waived problems (C(waived=true)).
      returned: when the task does not fail on NO-GO
      type: list
      elements: dict
      sample:
        - {host: web01, id: "disk_space:/var/log", title: "Disk space on /var/log", status: warn, severity: high,
           summary: "free 18.0 GiB (warn < 20.0 GiB, fail < 10.0 GiB)", waived: true}
    counts:
      description: C(total), C(by_status), C(by_section) (section to status counts), C(blocking), C(waived).
      returned: when the task does not fail on NO-GO
      type: dict
      sample:
        total: 42
        by_status: {pass: 38, warn: 2, fail: 1, error: 1, skipped: 0}
        by_section: {infrastructure: {pass: 20, warn: 2, fail: 1, error: 0, skipped: 0},
                     application: {pass: 18, warn: 0, fail: 0, error: 1, skipped: 0}}
        blocking: 2
        waived: 1
    hosts:
      description:
        - Per host C(name), C(status), C(checks), C(worst), C(reason). C(status) is V(ok), V(no_results),
          V(unreachable), or V(no_checks) for a host in scope whose checklist was empty.
      returned: always (only the hosts that are not C(ok) when the task fails on NO-GO)
      type: list
      elements: dict
      sample:
        - {name: web01, status: ok, checks: 21, worst: warn}
        - {name: web03, status: unreachable, checks: 0, worst: null,
           reason: "ssh: connect to host web03 port 22: timed out"}
    waivers:
      description: The normalised waivers (C(hosts) as a list, C(expires) as V(YYYY-MM-DD), C(expired)).
      returned: when there are any, or the task does not fail on NO-GO
      type: list
      elements: dict
      sample:
        - {id: "disk_space:/var/log", hosts: ["web*"], reason: Log volume is grown on Monday, owner: ops@example.com,
             expires: "2030-06-30", ticket: OPS-1234, catch_all: false,
           expired: false, applies_to: null}
    applied_waivers:
      description: Each waived record (C(host), C(id), C(status)) with the C(waiver) that covered it.
      returned: when the task does not fail on NO-GO
      type: list
      elements: dict
      sample:
        - host: web01
          id: "disk_space:/var/log"
          status: warn
          severity: high
          waiver: {id: "disk_space:/var/log", hosts: ["web*"], reason: Log volume is grown on Monday,
                   owner: ops@example.com, expires: "2030-06-30", ticket: OPS-1234, catch_all: false, applies_to: null}
    expired_waivers:
      description: Expired waivers that matched a problem (not applied), with what they C(matched).
      returned: when the task does not fail on NO-GO
      type: list
      elements: dict
      sample:
        - {id: "tls_certificate:*", hosts: ["*"], reason: Certificate renewal is scheduled, owner: sec@example.com,
           expires: "2030-05-31", ticket: null, catch_all: false, applies_to: null, expired: true,
           matched: [{host: web02, id: "tls_certificate:shop.example.com:443"}]}
    unused_waivers:
      description: Waivers that matched no problem; the issue may be fixed and the waiver can go.
      returned: when the task does not fail on NO-GO
      type: list
      elements: dict
      sample:
        - {id: "redis:*", hosts: ["cache*"], reason: Replica is rebuilt after the move, owner: ops@example.com,
           expires: "2030-06-30", ticket: OPS-1301, catch_all: false, applies_to: null, expired: false}
    blocking_severities:
      description: The severities that blocked.
      returned: always
      type: list
      elements: str
      sample: [critical, high]
    hosts_without_results:
      description: In-scope (or probe) hosts without check results, other than unreachable ones.
      returned: when the task does not fail on NO-GO
      type: list
      elements: str
      sample: [db02]
    scope_problems:
      description: Why the run checked less than it was asked to; each makes the verdict NO-GO.
      returned: always, unless empty when the task fails on NO-GO
      type: list
      elements: str
      sample: ["probe group 'bastoin' (golive_probe_group) matches no host: 3 endpoint checks did not run"]
    reasons:
      description:
        - Every reason for NO-GO, each once, in the order the readiness report shows them (an interruption,
          scope problems, blocking checks with the hosts they block on named together, unreachable hosts,
          hosts without results, failed tasks). Each has C(kind), C(hosts), C(text) (one line) and C(detail)
          (without the hosts); a blocking check's also C(id), C(title), C(status) and C(severity).
      type: list
      elements: dict
      sample:
        - {kind: check, hosts: [web03], text: "web03 disk_space:/ fail: free 2.1 GiB (fail < 10.0 GiB)",
           detail: "free 2.1 GiB (fail < 10.0 GiB)", id: "disk_space:/", title: "Disk space on /",
           status: fail, severity: high}
    critical_waivers:
      description: Each waiver that waived a critical check (C(waiver)), with the records it covered (C(checks)).
      returned: when the task does not fail on NO-GO
      type: list
      elements: dict
      sample:
        - waiver: {id: "tls_certificate:*", hosts: ["web*"], reason: New certificate is issued on Monday,
                   owner: sec@example.com, expires: "2030-06-30", ticket: SEC-77, catch_all: false, applies_to: null}
          checks: [{host: web01, id: "tls_certificate:shop.example.com:443", status: warn}]
    attestations:
      description:
        - The attestation records of O(attestations_required) and of attested ids no item requires, graded at
          the run's time; they are among the decision's checks too, and the report callback reports them.
        - Each is a check record (C(id) V(attestation:<id>), C(kind) V(attestation), C(host) V(localhost))
          whose C(observed) holds C(by), C(at), C(evidence), C(expires), C(note) and C(age_seconds), and whose
          C(expected) holds C(required), C(allowed_by) and the C(age_seconds) level of C(max_age).
      returned: always, unless none is required nor attested and the task fails on NO-GO
      type: list
      elements: dict
      sample:
        - {id: "attestation:rollback-rehearsed", kind: attestation, section: attestations, host: localhost,
           title: Rollback rehearsed on staging, status: pass, severity: high, duration_ms: 0,
           summary: "attested by ann@example.com on 2030-05-28T16:00:00Z (evidence: https://wiki.example.com/shop/rollback-drill-2030-05)",
           observed: {by: ann@example.com, at: "2030-05-28T16:00:00Z", evidence: "https://wiki.example.com/shop/rollback-drill-2030-05",
                      age_seconds: {value: 295200, unit: seconds}},
           expected: {required: true, allowed_by: [ann@example.com, bo@example.com],
                      age_seconds: {fail: {above: 2592000}, unit: seconds}}}
    signoff:
      description:
        - The sign-off judged against the verdict. C(status) is V(signed) (every approver accepted the
          run), V(pending) (a decision is missing), V(rejected) (a NO-GO decision, or a GO decision on a
          NO-GO run) or V(not_required) (no approvers); C(summary) says it in one line.
        - C(approvers) lists C(role), C(name), C(decision), C(date), C(comment), C(accepted) and C(note)
          (why a decision is not accepted).
      returned: always, unless nobody signs and the task fails on NO-GO
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
    result_var=dict(type="list", elements="str", default=[
        "golive_host_verify", "golive_infrastructure_verify", "golive_application_verify", "golive_security_verify",
        "golive_services_verify", "golive_data_verify", "golive_monitoring_verify", "golive_backup_verify",
        "golive_checklist_verify"]),
    probe_result_var=dict(type="str", default="golive_probe_verify"),
    run_once_result_vars=dict(type="list", elements="str", default=[
        "golive_infrastructure_probe_verify", "golive_application_probe_verify", "golive_security_probe_verify",
        "golive_services_probe_verify", "golive_data_probe_verify", "golive_monitoring_probe_verify",
        "golive_backup_probe_verify", "golive_checklist_probe_verify"]),
    waivers=dict(type="list", elements="dict", default=[]),
    blocking_severities=dict(type="list", elements="str", default=["critical", "high"],
                             choices=["critical", "high", "medium", "low"]),
    fail_on_nogo=dict(type="bool", default=True),
    stage=dict(type="str", default="verdict", choices=["policy", "stats", "verdict"]),
    read_host_policy=dict(type="bool", default=False),
    run_tags=dict(type="list", elements="str"),
    skip_tags=dict(type="list", elements="str"),
    host_pattern=dict(type="str"),
    limit=dict(type="str"),
    controller_in_limit=dict(type="bool", default=True),
    probe_group=dict(type="str"),
    probe_group_hosts=dict(type="list", elements="str"),
    endpoint_checks_vars=dict(type="list", elements="str", default=["golive_endpoint_checks", "golive_probe_checks"]),
    checklists=dict(type="dict", options=dict(
        host=dict(type="str", required=True),
        endpoint=dict(type="str", required=True),
        probe=dict(type="str", default="golive_probe_checks"),
        host_run_options=dict(type="str"),
        probe_run_options=dict(type="str"),
    )),
    signoff=dict(type="list", elements="dict", default=[], options=dict(
        role=dict(type="str", required=True),
        name=dict(type="str", required=True),
        decision=dict(type="str"),
        date=dict(type="str"),
        comment=dict(type="str"),
    )),
    signoff_var=dict(type="str", default="signoff"),
    attestations_required=dict(type="list", elements="dict", default=[], options=dict(
        id=dict(type="str", required=True),
        title=dict(type="str"),
        severity=dict(type="str", default="high", choices=["critical", "high", "medium", "low"]),
        allowed_by=dict(type="list", elements="str"),
        max_age=dict(type="str"),
        section=dict(type="str", default="attestations"),
        hint=dict(type="str"),
        contact=dict(type="str"),
        missing_status=dict(type="str", default="fail", choices=["fail", "warn"]),
    )),
    attestations=dict(type="list", elements="dict", default=[], options=dict(
        id=dict(type="str", required=True),
        by=dict(type="str", required=True),
        at=dict(type="str", required=True),
        evidence=dict(type="str", required=True),
        expires=dict(type="str"),
        note=dict(type="str"),
    )),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.fail_json(msg="golive.readiness.gate runs on the controller as an action plugin; it cannot be "
                         "executed as a module on a host (call it as a task, not through a module runner)")


if __name__ == "__main__":
    main()
