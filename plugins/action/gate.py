# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin golive.readiness.gate: the fleet verdict from every host's registered check results."""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Mapping

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.golive.readiness.plugins.module_utils._terminal import one_line, printable_data
from ansible_collections.golive.readiness.plugins.module_utils._verdict import (
    DEFAULT_BLOCKING_SEVERITIES,
    NO_GO,
    SIGNOFF_REJECTED,
    decide,
    describe_verdict,
    evaluate_signoff,
    records_of_result,
    short_message,
    tag_record,
)
from ansible_collections.golive.readiness.plugins.plugin_utils._ansible_core import unsupported_ansible
from ansible_collections.golive.readiness.plugins.plugin_utils._attestations import grade
from ansible_collections.golive.readiness.plugins.plugin_utils._checklists import validate_checklists
from ansible_collections.golive.readiness.plugins.plugin_utils._policy import (
    POLICY_VARIABLES,
    SECTIONS,
    CachedHostvars,
    controller_problem,
    count_endpoint_checks,
    empty_scope_problem,
    read_policy,
    unknown_tags,
    unprobed_problem,
)

# The roles that run checks when embedded in a play (each section, and the whole checklist) register their
# host checks' result in golive_<role>_verify and their endpoint checks' (a run_once call) in
# golive_<role>_probe_verify.
EMBEDDED_ROLES = (*SECTIONS, "checklist")

ARGUMENT_SPEC = dict(
    scope_hosts=dict(type="list", elements="str", required=True),
    probe_hosts=dict(type="list", elements="str", default=[]),
    result_var=dict(type="list", elements="str",
                    default=["golive_host_verify"] + [f"golive_{role}_verify" for role in EMBEDDED_ROLES]),
    probe_result_var=dict(type="str", default="golive_probe_verify"),
    run_once_result_vars=dict(type="list", elements="str",
                              default=[f"golive_{role}_probe_verify" for role in EMBEDDED_ROLES]),
    # Validated by _verdict so that messages name the waiver and the field.
    waivers=dict(type="raw", default=[]),
    blocking_severities=dict(type="raw", default=list(DEFAULT_BLOCKING_SEVERITIES)),
    fail_on_nogo=dict(type="raw", default=True),
    # Validated by _verdict so that messages name the approver and the field.
    signoff=dict(type="raw", default=[]),
    signoff_var=dict(type="str", default="signoff"),
    # Validated by _attestations so that messages name the item and the field.
    attestations_required=dict(type="raw", default=[]),
    attestations=dict(type="raw", default=[]),
    stage=dict(type="str", default="verdict", choices=["policy", "stats", "verdict"]),
    read_host_policy=dict(type="bool", default=False),
    run_tags=dict(type="list", elements="str"),
    skip_tags=dict(type="list", elements="str"),
    host_pattern=dict(type="str"),
    limit=dict(type="str"),
    controller_in_limit=dict(type="bool", default=True),
    probe_group=dict(type="str"),
    probe_group_hosts=dict(type="list", elements="str"),
    endpoint_checks_vars=dict(type="list", elements="str",
                              default=["golive_endpoint_checks", "golive_probe_checks"]),
    # stage policy: the variables holding each scope host's checklists, validated here in that host's context.
    checklists=dict(type="dict", options=dict(
        host=dict(type="str", required=True),
        endpoint=dict(type="str", required=True),
        probe=dict(type="str", default="golive_probe_checks"),
        host_run_options=dict(type="str"),
        probe_run_options=dict(type="str"),
    )),
)

ITEM_FIELDS = ("host", "id", "title", "status", "severity", "summary")
STATS_STATUSES = ("pass", "warn", "fail", "error", "skipped")


def _item(check):
    return dict((field, check.get(field)) for field in ITEM_FIELDS)


def _why_missing(result, var):
    """Why a registered result carries no check records."""
    if not isinstance(result, Mapping):
        return f"no {var} result (unreachable, or the play never reached its check task)"
    if result.get("skipped"):
        return "its check task was skipped"
    if result.get("failed"):
        # Not its message again: Ansible printed that task's error whole, and the report lists it once.
        return "its check task failed (its own error says why)"
    return f"{var} has no golive_checks"


def _registered(hostvars, host, var):
    if host not in hostvars:
        return None
    value = hostvars.registered(host, var)
    return value if isinstance(value, Mapping) else None


def _compact(gate):
    """The result of a failing gate: only what the report callback needs, which prints the details.

    Ansible prints a failed result whole. The callback learns of hosts without results (a skipped or missing
    check task) and of the policy only from the gate; without them its report could say GO while the gate
    fails the play on NO-GO. Empty parts are left out, so a plain NO-GO prints as a short line.
    """
    compact = dict(verdict=gate["verdict"], blocking_severities=gate["blocking_severities"])
    hosts = [host for host in gate["hosts"] if host.get("status") != "ok"]
    optional = dict(hosts=hosts, waivers=gate["waivers"], scope_problems=gate.get("scope_problems"),
                    signoff=gate["signoff"] if gate["signoff"].get("approvers") else None,
                    attestations=gate.get("attestations"))
    compact.update((key, value) for key, value in optional.items() if value)
    return compact


def run_stats(decision: Mapping) -> dict:
    """The verdict as the run's custom stats: what ansible-runner's artifact_data and AWX's job artifacts carry.

    Flat golive_* keys, because AWX hands a job's artifacts to the next workflow nodes as extra variables.
    """
    counts = dict((status, decision["counts"]["by_status"].get(status, 0)) for status in STATS_STATUSES)
    counts.update(total=decision["counts"]["total"], blocking=decision["counts"]["blocking"],
                  waived=decision["counts"]["waived"], hosts=len(decision["hosts"]))
    blocking = [dict(id=reason["id"], status=reason["status"], severity=reason["severity"], hosts=reason["hosts"])
                for reason in decision["reasons"] if reason["kind"] == "check"]
    return dict(golive_verdict=decision["verdict"], golive_counts=counts, golive_blocking=blocking,
                golive_reasons=[reason["text"] for reason in decision["reasons"]])


def _fail(result, message):
    result.update(failed=True, msg=one_line(message))
    return result


def wait_ends(waits: Mapping[str, float]) -> dict[str, float]:
    """{probe host: when its wait ends (epoch seconds)}, for the hosts that wait. The probe play runs after the
    hosts' calls and waits only for what is left: a run waits golive_wait at most, not once per play."""
    started = time.time()
    return {host: started + seconds for host, seconds in waits.items() if seconds > 0}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        task_vars = task_vars or {}
        unsupported = unsupported_ansible()
        if unsupported:
            return _fail(result, unsupported)
        try:
            _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        except AnsibleActionFail as exc:
            return _fail(result, str(exc))
        today = datetime.date.today()
        hostvars = CachedHostvars(task_vars.get("hostvars") or {})
        policy, problems = self._policy(args, hostvars, today)
        problems = unknown_tags(args["run_tags"], args["skip_tags"]) + problems
        if args["stage"] == "policy":
            return self._policy_stage(result, args, hostvars, problems)
        if problems:
            return _fail(result, "go-live policy: " + "; ".join(problems))

        records, missing, unreachable = self._collect(hostvars, args)
        # Fleet-level records about the controller, graded at the run's time: they count like any check.
        attested = grade(policy.attestations_required, policy.attestations,
                         datetime.datetime.now(datetime.timezone.utc))
        records += attested
        decision = decide(records, policy.waivers, policy.blocking_severities, hosts_without_results=missing,
                          today=today, unreachable=unreachable, scope_hosts=args["scope_hosts"],
                          scope_problems=self._scope_problems(args, hostvars))
        if args["stage"] == "stats":
            return self._stats_stage(result, decision)
        approvers = policy.signoff
        signoff = evaluate_signoff(approvers, decision["verdict"])
        gate = self._gate_result(decision, signoff, attested)
        message = describe_verdict(decision)
        if approvers:
            message += f" | sign-off {signoff['status']}: {signoff['summary']}"
        # Ansible prints msg and warnings as they are and the rest as JSON or YAML: see _terminal.
        result.update(changed=False, golive_gate=printable_data(gate), msg=one_line(message))
        if signoff["status"] == SIGNOFF_REJECTED:
            # The verdict comes from the checks; a rejected sign-off does not change it, but must not pass unseen.
            result["warnings"] = [one_line(f"go-live sign-off rejected: {signoff['summary']}")]
        if decision["verdict"] == NO_GO and policy.fail_on_nogo:
            result.update(failed=True, golive_gate=printable_data(_compact(gate)))
        return result

    @staticmethod
    def _policy(args, hostvars, today):
        """The validated policy: the given values, and with read_host_policy each scope host's own."""
        fleet = dict((name, args[name]) for name in POLICY_VARIABLES)
        if args["read_host_policy"]:
            hosts = args["scope_hosts"] + args["probe_hosts"] + (args["probe_group_hosts"] or [])
            return read_policy(fleet, today, hostvars, list(dict.fromkeys(hosts)))
        names = dict((name, name) for name in POLICY_VARIABLES)
        names["signoff"] = args["signoff_var"]
        return read_policy(fleet, today, names=names)

    @staticmethod
    def _endpoint_checks(args, hostvars):
        # The golive playbook hands the probe hosts every host's endpoint checks as one list on the controller.
        handed = hostvars.get("localhost", {}).get("golive_probe_checklist")
        if isinstance(handed, (list, tuple)):
            return len(handed)
        return count_endpoint_checks(hostvars, args["scope_hosts"], args["endpoint_checks_vars"])

    def _policy_stage(self, result: dict, args: dict, hostvars: Mapping, problems: list[str]) -> dict:
        """Before any host is contacted: the policy, the scope and every scope host's checks and run options.

        The checks' problems quote whole option lists: each is printed once, as a warning of this task
        (Ansible prints a failed task's msg twice), and msg counts them.
        """
        checklists = None
        if args["checklists"]:
            checklists = validate_checklists(self._task, self._templar, args["checklists"], args["scope_hosts"],
                                             args["probe_group_hosts"] or [])
            endpoint_checks = checklists.endpoint_checks
        else:
            endpoint_checks = self._endpoint_checks(args, hostvars)
        problems += self._unrunnable(args, endpoint_checks)
        settings = checklists.problems() if checklists else []
        notices = checklists.notices() if checklists else []
        if settings or notices:
            result["warnings"] = settings + notices
        if problems or settings:
            parts = (f"go-live policy: {'; '.join(problems)}" if problems else "",
                     checklists.summary() if settings else "")
            return _fail(result, "; ".join(part for part in parts if part))
        result.update(changed=False, msg=f"go-live policy valid for {len(args['scope_hosts'])} hosts")
        if checklists:
            # Templated once here, registered for the verify calls: no host templates its checklist again.
            # The items carry secrets, so this result (valid policy, nothing else to say) is not logged.
            result.update(golive_checklists=checklists.host_items, golive_probe_items=checklists.probe_items(),
                          golive_probe_wait_until=wait_ends(checklists.probe_waits), _ansible_no_log=True)
        return result

    @staticmethod
    def _stats_stage(result: dict, decision: Mapping) -> dict:
        """The verdict published as run-wide custom stats (set_stats per_host: false), never failing on NO-GO.

        Ansible records stats only from a task that did not fail, so this stage runs before the verdict stage,
        which fails the play on NO-GO. aggregate: false, so a verdict replaces any earlier one, never adds to it.
        """
        stats = printable_data(run_stats(decision))
        result.update(changed=False, msg=one_line(f"published as the run's stats: {describe_verdict(decision)}"),
                      ansible_stats=dict(data=stats, per_host=False, aggregate=False))
        return result

    @staticmethod
    def _unrunnable(args: dict, endpoint_checks: int) -> list[str]:
        """Before any host is contacted: what would leave the verdict undecided or endpoint checks unrun."""
        problems = controller_problem(args["controller_in_limit"], args["limit"])
        if args["probe_group_hosts"] is not None:
            problems += unprobed_problem(args["probe_group_hosts"], args["probe_group"], args["limit"],
                                         endpoint_checks)
        return problems

    def _scope_problems(self, args, hostvars):
        """Why the run checked less than it was asked to: no host in scope, or no probe host for endpoint checks."""
        problems = empty_scope_problem(args["scope_hosts"], args["host_pattern"], args["limit"])
        if args["probe_group"] is not None:
            problems += unprobed_problem(args["probe_hosts"], args["probe_group"], args["limit"],
                                         self._endpoint_checks(args, hostvars))
        return problems

    def _collect(self, hostvars, args):
        """Tagged records of the scope and probe hosts, and {host: why it has no results} (unreachable apart)."""
        records, missing, unreachable = [], {}, {}
        for host in args["scope_hosts"]:
            self._collect_host(hostvars, host, args["result_var"], records, missing, unreachable)
        for probe in args["probe_hosts"]:
            registered = _registered(hostvars, probe, args["probe_result_var"])
            found = records_of_result(registered)
            if found is None:
                # A probe with nothing to check may skip its task; any other absence hides endpoint checks.
                if not (registered or {}).get("skipped"):
                    self._note_missing(probe, registered, args["probe_result_var"], missing, unreachable)
                continue
            records.extend(tag_record(record, probe) for record in found)
        records.extend(self._run_once_records(hostvars, args, missing))
        return records, missing, unreachable

    def _collect_host(self, hostvars, host, result_vars, records, missing, unreachable):
        """A scope host's records from every variable it registered; missing when it registered none of them,
        or one of them holds no records (a section whose check task failed or was skipped)."""
        registered_any = False
        for var in result_vars:
            registered = _registered(hostvars, host, var)
            if registered is None:
                continue
            registered_any = True
            found = records_of_result(registered)
            if found is None:
                self._note_missing(host, registered, var, missing, unreachable)
            else:
                records.extend(tag_record(record, host) for record in found)
        if not registered_any:
            self._note_missing(host, None, result_vars[0] if result_vars else "check", missing, unreachable)

    @staticmethod
    def _run_once_records(hostvars, args, missing):
        """Records of the embedded roles' run_once endpoint checks, each once.

        Ansible registers a run_once task's result on every host of its play, so the same records are read
        from each scope host; each loop item of such a task is one probe host's call (the item names it).
        """
        seen, records = set(), []
        for host in args["scope_hosts"]:
            for var in args["run_once_result_vars"]:
                registered = _registered(hostvars, host, var)
                if registered is None or registered.get("skipped"):
                    continue
                calls = [call for call in registered.get("results") or () if isinstance(call, Mapping)]
                if registered.get("failed") or any(call.get("failed") for call in calls):
                    # Not its message again: Ansible printed that task's error, and the report lists it once.
                    missing.setdefault(host, f"{var}: its endpoint check task failed (its own error says why)")
                for call in calls:
                    for record in records_of_result(call) or ():
                        key = (var, str(call.get("item")), json.dumps(record, sort_keys=True, default=repr))
                        if key not in seen:
                            seen.add(key)
                            records.append(tag_record(record, str(call.get("item") or host)))
        return records

    @staticmethod
    def _note_missing(host, registered, var, missing, unreachable):
        if registered is not None and registered.get("unreachable"):
            unreachable[host] = short_message(registered.get("msg") or "unreachable")
        else:
            missing[host] = _why_missing(registered, var)

    @staticmethod
    def _gate_result(decision, signoff, attestations):
        """What the gate returns; the report callback reads the policy and the attestation records from it."""
        return dict(
            verdict=decision["verdict"],
            reasons=decision["reasons"],
            blocking=[_item(check) for check in decision["blocking"]],
            warnings=[dict(_item(check), waived="waiver" in check) for check in decision["warnings"]],
            counts=decision["counts"],
            hosts=decision["hosts"],
            waivers=decision["waivers"],
            applied_waivers=decision["applied_waivers"],
            expired_waivers=decision["expired_waivers"],
            unused_waivers=decision["unused_waivers"],
            blocking_severities=decision["blocking_severities"],
            hosts_without_results=decision["hosts_without_results"],
            scope_problems=decision["scope_problems"],
            critical_waivers=decision["critical_waivers"],
            signoff=signoff,
            attestations=attestations,
        )
