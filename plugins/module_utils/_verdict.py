# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The go-live verdict: waivers, blocking rules, counts; shared by the gate action and the report callback (private)."""

from __future__ import annotations

import datetime
import fnmatch
import re
from collections.abc import Mapping

from ansible_collections.golive.readiness.plugins.module_utils._check import (
    SEVERITIES,
    STATUS_RANK,
    STATUSES,
    OptionError,
    worst,
)
from ansible_collections.golive.readiness.plugins.module_utils._terminal import one_line, shortened

GO = "GO"
GO_WITH_WARNINGS = "GO WITH WARNINGS"
NO_GO = "NO-GO"
VERDICTS = (GO, GO_WITH_WARNINGS, NO_GO)

DEFAULT_BLOCKING_SEVERITIES = ("critical", "high")
# Statuses a waiver can cover; of these only fail and error can block.
PROBLEM_STATUSES = ("warn", "fail", "error")
FAILING_STATUSES = ("fail", "error")

WAIVER_KEYS = ("id", "hosts", "reason", "owner", "expires", "ticket", "catch_all")
# Added by normalise_waivers() and scoped_waivers(); accepted back so that normalised waivers can be
# normalised again.
_COMPUTED_WAIVER_KEYS = ("expired", "applies_to")
# Why a run is NO-GO though no check failed: it checked nothing.
NOTHING_CHECKED = "nothing was checked: the run executed no check"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# Longest failure or unreachable message kept from a task result for a one-line reason.
MESSAGE_LIMIT = 300
# Longest failure message kept whole (a task's error is printed once, whole; this only bounds a runaway one).
WHOLE_MESSAGE_LIMIT = 10000
# ansible-core 2.19 starts every task error with this; in a report line it says nothing.
_TASK_FAILED_PREFIX = "Task failed: "


def _today(today):
    if today is None:
        return datetime.date.today()
    if isinstance(today, datetime.datetime):
        return today.date()
    if isinstance(today, datetime.date):
        return today
    return _parse_date(today, "today")


def _parse_date(value, where):
    """A datetime.date from a date, a datetime or a 'YYYY-MM-DD' string."""
    if isinstance(value, datetime.datetime):
        return datetime.date(value.year, value.month, value.day)
    if isinstance(value, datetime.date):
        return datetime.date(value.year, value.month, value.day)
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            return datetime.datetime.strptime(value.strip(), "%Y-%m-%d").date()
        except ValueError:
            pass
    raise OptionError("%s: %r is not a date (YYYY-MM-DD)" % (where, _plain(value)))


def _plain(value):
    """Strip str subclasses (tagged template results) so reprs and JSON stay plain."""
    return str(value) if isinstance(value, str) else value


def _type_name(value):
    """The plain type name of a value (template results are tagged subclasses of dict, str, list)."""
    for plain in (bool, int, float, str, Mapping, list, tuple):
        if isinstance(value, plain):
            return "dict" if plain is Mapping else plain.__name__
    return type(value).__name__


def short_message(text: object, limit: int = MESSAGE_LIMIT) -> str:
    """A task's message as one printable line of at most about ``limit`` characters, cut between words."""
    text = " ".join(str(text or "").split())
    if text.startswith(_TASK_FAILED_PREFIX):
        text = text[len(_TASK_FAILED_PREFIX):]
    return shortened(one_line(text), limit)


def normalise_severities(value, option="blocking_severities"):
    """The blocking severities as a list in severity order; accepts a list or a comma-separated string."""
    if value is None:
        return list(DEFAULT_BLOCKING_SEVERITIES)
    if isinstance(value, str):
        value = [part for part in value.split(",") if part.strip()]
    if not isinstance(value, (list, tuple, set, frozenset)):
        raise OptionError("%s: must be a list of severities (%s), got %r"
                          % (option, ", ".join(SEVERITIES), _plain(value)))
    chosen = set()
    for entry in value:
        name = entry.strip().lower() if isinstance(entry, str) else entry
        if name not in SEVERITIES:
            raise OptionError("%s: %r is not a severity (%s)" % (option, _plain(entry), ", ".join(SEVERITIES)))
        chosen.add(name)
    return [severity for severity in SEVERITIES if severity in chosen]


def _required_text(waiver, key, where, hint):
    if key not in waiver or waiver[key] is None or waiver[key] == "":
        raise OptionError("%s.%s: required (%s)" % (where, key, hint))
    value = waiver[key]
    if not isinstance(value, str) or not value.strip():
        raise OptionError("%s.%s: must be a non-empty string, got %r" % (where, key, _plain(value)))
    return str(value).strip()


def _host_patterns(waiver, where):
    hosts = waiver.get("hosts")
    if hosts is None:
        return ["*"]
    if isinstance(hosts, str):
        hosts = [hosts]
    if not isinstance(hosts, (list, tuple)) or not hosts:
        raise OptionError("%s.hosts: must be a host name glob or a non-empty list of them, got %r"
                          % (where, _plain(hosts)))
    for pattern in hosts:
        if not isinstance(pattern, str) or not pattern.strip():
            raise OptionError("%s.hosts: %r is not a host name glob" % (where, _plain(pattern)))
    return [str(pattern).strip() for pattern in hosts]


def _ticket(waiver, where):
    ticket = waiver.get("ticket")
    if ticket is None or ticket == "":
        return None
    if isinstance(ticket, bool) or not isinstance(ticket, (str, int)):
        raise OptionError("%s.ticket: must be a string, got %r" % (where, _plain(ticket)))
    return str(ticket)


def _require_known_keys(value, where, expected, keys, computed_keys=()):
    """A dictionary whose keys are all ``keys`` (or ``computed_keys``, added by an earlier normalising)."""
    if not isinstance(value, Mapping):
        raise OptionError("%s: must be a dictionary with %s, got %r" % (where, expected, _plain(value)))
    unknown = sorted(str(key) for key in value if key not in tuple(keys) + tuple(computed_keys))
    if unknown:
        raise OptionError("%s: unknown key%s %s (allowed: %s)" % (
            where, "" if len(unknown) == 1 else "s", ", ".join(repr(k) for k in unknown), ", ".join(keys)))


def _matches_every_id(pattern: str) -> bool:
    """Whether a check id glob matches any id at all (made of nothing but '*')."""
    return set(pattern) == {"*"}


def _catch_all(waiver: Mapping, check_id: str, where: str) -> bool:
    """The catch_all flag; a waiver whose id matches every check must set it, so that it is never an accident."""
    value = waiver.get("catch_all", False)
    if value is None:
        value = False
    if not isinstance(value, bool):
        raise OptionError(f"{where}.catch_all: must be true or false, got {_plain(value)!r}")
    if _matches_every_id(check_id) and not value:
        raise OptionError(f"{where}.id: {check_id!r} waives every check; name the checks it accepts, "
                          f"or set catch_all: true on this waiver to mean it")
    return value


def _applies_to(waiver: Mapping, where: str) -> list[str] | None:
    """The hosts whose own variables carried a waiver (None: the fleet's, applying to every host)."""
    scope = waiver.get("applies_to")
    if scope is None:
        return None
    if not isinstance(scope, (list, tuple)) or not all(isinstance(host, str) for host in scope):
        raise OptionError(f"{where}.applies_to: must be a list of host names, got {_plain(scope)!r}")
    return [str(host) for host in scope]


def normalise_waiver(waiver, where, today):
    """One validated waiver: id and hosts globs, reason, owner, expires (ISO date), ticket, expired flag."""
    _require_known_keys(waiver, where, "id, reason, owner and expires", WAIVER_KEYS, _COMPUTED_WAIVER_KEYS)
    check_id = _required_text(waiver, "id", where, "a check id or glob such as 'disk_space:*'")
    catch_all = _catch_all(waiver, check_id, where)
    hosts = _host_patterns(waiver, where)
    reason = _required_text(waiver, "reason", where, "why the risk is accepted")
    owner = _required_text(waiver, "owner", where, "who accepted the risk")
    if waiver.get("expires") is None or waiver.get("expires") == "":
        raise OptionError("%s.expires: required (YYYY-MM-DD)" % where)
    expires = _parse_date(waiver["expires"], "%s.expires" % where)
    return dict(
        id=check_id,
        hosts=hosts,
        reason=reason,
        owner=owner,
        expires=expires.isoformat(),
        ticket=_ticket(waiver, where),
        catch_all=catch_all,
        # A waiver holds through the whole of its expiry day.
        expired=expires < today,
        applies_to=_applies_to(waiver, where),
    )


def normalise_waivers(waivers, today=None, option="waivers"):
    """Validate waivers; OptionError names the waiver and field, e.g. "waivers[2].expires: ..."."""
    today = _today(today)
    if waivers is None or waivers == "":
        return []
    if not isinstance(waivers, (list, tuple)):
        raise OptionError("%s: must be a list of waivers, got %s" % (option, _type_name(waivers)))
    return [normalise_waiver(waiver, "%s[%d]" % (option, index), today) for index, waiver in enumerate(waivers)]


def _waiver_identity(waiver: Mapping) -> tuple:
    return tuple(str(waiver.get(key)) for key in WAIVER_KEYS)


def scoped_waivers(fleet: list[dict], by_host: list[tuple[list[str], list[dict]]]) -> list[dict]:
    """One list of normalised waivers from the fleet's and from hosts' own variables.

    ``fleet`` waivers apply to every host; each (hosts, waivers) pair of ``by_host`` applies to those
    hosts only. A waiver seen several times (through group ``all`` on every host, or in two groups) is
    one waiver, its hosts merged; a fleet waiver stays fleet-wide.
    """
    merged: dict[tuple, dict] = {}
    for waiver in fleet:
        merged.setdefault(_waiver_identity(waiver), dict(waiver, applies_to=None))
    for hosts, waivers in by_host:
        for waiver in waivers:
            entry = merged.setdefault(_waiver_identity(waiver), dict(waiver, applies_to=[]))
            if entry["applies_to"] is not None:
                entry["applies_to"] += [host for host in hosts if host not in entry["applies_to"]]
    return list(merged.values())


def waiver_matches(waiver, record):
    """Whether a normalised waiver covers a record (globs on check id and host name, case-sensitive)."""
    if not fnmatch.fnmatchcase(str(record.get("id", "")), waiver["id"]):
        return False
    host = str(record.get("host", ""))
    if waiver.get("applies_to") is not None and host not in waiver["applies_to"]:
        return False
    return any(fnmatch.fnmatchcase(host, pattern) for pattern in waiver["hosts"])


def describe_waiver(waiver):
    """'disk_space:* on web* (ops, until 2024-05-01, OPS-12): reason'."""
    extra = ", %s" % waiver["ticket"] if waiver.get("ticket") else ""
    return "%s on %s (%s, until %s%s): %s" % (
        waiver["id"], ",".join(waiver["hosts"]), waiver["owner"], waiver["expires"], extra, waiver["reason"])


def tag_record(record, ran_on, delegated_to=None):
    """A copy of a check record with ``host`` (the host it is about) and ``probe`` (where it ran, if elsewhere)."""
    tagged = dict(record)
    runner = delegated_to or ran_on
    host = record.get("target") or ran_on
    tagged["host"] = host
    if runner != host:
        tagged["probe"] = runner
    return tagged


def records_of_result(result):
    """The check records of one task result, or None when it carries none (also inside loop ``results``)."""
    if not isinstance(result, Mapping):
        return None
    found = None
    if isinstance(result.get("golive_checks"), list):
        found = list(result["golive_checks"])
    for item in result.get("results") or ():
        if isinstance(item, Mapping) and isinstance(item.get("golive_checks"), list):
            found = (found or []) + list(item["golive_checks"])
    return found


def host_sort_key(name):
    """Natural order of host names: web2 before web10."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", str(name))]


def _effective_status(check):
    status = check.get("status")
    if status in STATUSES:
        return status
    # Unknown is not OK: anything that is not a contract status counts as an error.
    check["summary"] = "unknown status %r: %s" % (_plain(status), check.get("summary", ""))
    check["status"] = "error"
    return "error"


def _blocks(check, severities):
    severity = check.get("severity")
    return severity in severities or severity not in SEVERITIES


def _severity_rank(check):
    severity = check.get("severity")
    return SEVERITIES.index(severity) if severity in SEVERITIES else -1


def _waiver_summary(waiver):
    summary = dict((key, waiver[key]) for key in WAIVER_KEYS)
    summary["applies_to"] = waiver.get("applies_to")
    return summary


def _host_reasons(hosts, default):
    """{host: reason} from a list of names or a mapping of name to reason."""
    if isinstance(hosts, Mapping):
        return dict((str(h), str(r) if r else default) for h, r in hosts.items())
    return dict((str(h), default) for h in hosts or ())


def _empty_counts():
    return dict((status, 0) for status in STATUSES)


def _counts(checks, blocking, waived):
    by_status = _empty_counts()
    by_section = {}
    for check in checks:
        by_status[check["status"]] += 1
        section = str(check.get("section") or "unknown")
        by_section.setdefault(section, _empty_counts())[check["status"]] += 1
    return dict(total=len(checks), by_status=by_status, by_section=by_section,
                blocking=len(blocking), waived=waived)


def _hosts(checks, without_results, unreachable, in_scope=()):
    hosts = {}
    for check in checks:
        entry = hosts.setdefault(check["host"], dict(name=check["host"], status="ok", checks=0, statuses=[]))
        entry["checks"] += 1
        entry["statuses"].append(check["status"])
    for name in in_scope:
        # In scope, answered, and nothing was checked on it: listed, so that an empty checklist shows.
        hosts.setdefault(name, dict(name=name, status="no_checks", checks=0, statuses=[],
                                    reason="its checklist is empty: no check is about this host"))
    for name, reason in without_results.items():
        entry = hosts.setdefault(name, dict(name=name, checks=0, statuses=[]))
        entry.update(status="no_results", reason=reason)
    for name, reason in unreachable.items():
        entry = hosts.setdefault(name, dict(name=name, checks=0, statuses=[]))
        entry.update(status="unreachable", reason=reason)
    listed = []
    for entry in sorted(hosts.values(), key=lambda e: host_sort_key(e["name"])):
        statuses = entry.pop("statuses")
        entry["worst"] = worst(statuses) if statuses else None
        listed.append(entry)
    return listed


class _WaiverBook(object):
    """Applies waivers to records and remembers which waiver matched what."""

    def __init__(self, waivers):
        self.waivers = waivers
        self.matched = [[] for dummy in waivers]
        self.applied = []

    def apply(self, check):
        """The waiver that covers a problem record, or None; expired waivers match but never apply."""
        chosen = None
        for index, waiver in enumerate(self.waivers):
            if not waiver_matches(waiver, check):
                continue
            self.matched[index].append(dict(host=check["host"], id=check.get("id")))
            if chosen is None and not waiver["expired"]:
                chosen = waiver
        if chosen is not None:
            self.applied.append(dict(host=check["host"], id=check.get("id"), status=check["status"],
                                     severity=check.get("severity"), waiver=_waiver_summary(chosen)))
        return chosen

    def critical(self):
        """Each waiver that waived a critical check, with the records it waived (the riskiest waivers first)."""
        found = {}
        for entry in self.applied:
            if entry.get("severity") == "critical":
                key = _waiver_identity(entry["waiver"])
                found.setdefault(key, dict(waiver=entry["waiver"], checks=[]))["checks"].append(
                    dict(host=entry["host"], id=entry["id"], status=entry["status"]))
        return sorted(found.values(), key=lambda e: not e["waiver"].get("catch_all"))

    def expired(self):
        return [dict(waiver, matched=matched) for waiver, matched in zip(self.waivers, self.matched)
                if waiver["expired"] and matched]

    def unused(self):
        return [waiver for waiver, matched in zip(self.waivers, self.matched) if not matched]


def decide(records, waivers=(), blocking_severities=DEFAULT_BLOCKING_SEVERITIES, hosts_without_results=(),
           failed_tasks=(), today=None, unreachable=(), scope_hosts=(), scope_problems=()):
    """The verdict over tagged check records (each with ``host``); see DESIGN.md, "The verdict".

    ``hosts_without_results`` and ``unreachable`` are host names or mappings of host name to reason;
    ``failed_tasks`` are dicts with host, task and message. ``scope_hosts`` are the hosts the run is
    about: one without records is listed as having an empty checklist. ``scope_problems`` are reasons
    the run checked less than it was asked to (a probe group matching no host); each makes it NO-GO,
    and so does a run without any check.
    """
    today = _today(today)
    severities = normalise_severities(blocking_severities)
    waivers = normalise_waivers(waivers, today)
    book = _WaiverBook(waivers)
    checks, blocking, warnings = [], [], []
    for record in records:
        check = dict(record)
        check["host"] = str(check.get("host") or "unknown")
        status = _effective_status(check)
        check["blocking"] = False
        if status in PROBLEM_STATUSES:
            waiver = book.apply(check)
            if waiver is not None:
                check["waiver"] = _waiver_summary(waiver)
                warnings.append(check)
            elif status in FAILING_STATUSES and _blocks(check, severities):
                check["blocking"] = True
                blocking.append(check)
            else:
                warnings.append(check)
        checks.append(check)
    blocking.sort(key=_severity_rank)
    warnings.sort(key=lambda c: (-STATUS_RANK[c["status"]], "waiver" in c, _severity_rank(c)))
    without = _host_reasons(hosts_without_results, "no check results (unreachable, or its check task failed)")
    gone = _host_reasons(unreachable, "unreachable")
    failed_tasks = [dict(task) for task in failed_tasks or ()]
    expired = book.expired()
    problems = [str(problem) for problem in scope_problems or ()]
    if not checks and NOTHING_CHECKED not in problems:
        problems.append(NOTHING_CHECKED)
    if blocking or without or gone or failed_tasks or problems:
        verdict = NO_GO
    elif warnings or expired:
        verdict = GO_WITH_WARNINGS
    else:
        verdict = GO
    return dict(
        verdict=verdict,
        blocking=blocking,
        warnings=warnings,
        checks=checks,
        waivers=waivers,
        applied_waivers=sorted(book.applied, key=lambda entry: entry.get("severity") != "critical"),
        critical_waivers=book.critical(),
        expired_waivers=expired,
        unused_waivers=book.unused(),
        blocking_severities=severities,
        hosts_without_results=sorted(h for h in without if h not in gone),
        unreachable=sorted(gone),
        failed_tasks=failed_tasks,
        scope_problems=problems,
        hosts=_hosts(checks, without, gone, [str(host) for host in scope_hosts or ()]),
        counts=_counts(checks, blocking, len(book.applied)),
        today=today.isoformat(),
    )


def describe_check(check: Mapping) -> str:
    """'web03 disk_space:/ fail: free 2.1 GiB (fail < 10.0 GiB)', as one printable line."""
    return one_line(f"{check['host']} {check.get('id')} {check['status']}: {check.get('summary', '')}")


def _grouped_hosts(pairs) -> list:
    """[(key, [hosts])] from (host, key) pairs, keys in first-seen order, each host once per key."""
    groups = {}
    for host, key in pairs:
        hosts = groups.setdefault(key, [])
        if host not in hosts:
            hosts.append(host)
    return list(groups.items())


def unexplained_hosts(decision: Mapping) -> list:
    """Hosts without results whose failed task, listed on its own, does not already say why."""
    failed = set(task.get("host") for task in decision["failed_tasks"])
    return [host for host in decision["hosts_without_results"] if host not in failed]


def blocking_lines(decision: Mapping, check_lines=None, hosts_text=", ".join) -> list:
    """One printable line per reason for NO-GO: scope problems, blocking checks, unreachable hosts, hosts
    without results, failed tasks; each reason once, the hosts sharing it named together.

    ``check_lines`` turns the blocking checks into lines (default: one per check), ``hosts_text`` a list of
    host names into text (the callback shows ranges, web01-web12).
    """
    lines = [one_line(problem) for problem in decision.get("scope_problems") or ()]
    lines += check_lines(decision["blocking"]) if check_lines else [describe_check(c) for c in decision["blocking"]]
    reasons = dict((host["name"], host.get("reason")) for host in decision["hosts"])
    unreachable = ((host, reasons.get(host) or "unreachable") for host in decision["unreachable"])
    for reason, hosts in _grouped_hosts(unreachable):
        lines.append(one_line(f"{hosts_text(hosts)} unreachable: {reason}"))
    for host in unexplained_hosts(decision):
        lines.append(one_line(f"{host}: {reasons.get(host) or 'no check results'}"))
    failures = ((task.get("host"), (task.get("task"), task.get("message"))) for task in decision["failed_tasks"])
    for (task, message), hosts in _grouped_hosts(failures):
        lines.append(one_line(f"{hosts_text(hosts)} task {task!r} failed: {message}"))
    return lines


def _plural(count, word):
    return "%d %s%s" % (count, word, "" if count == 1 else "s")


def _blocking_hosts(decision: Mapping) -> set:
    hosts = set(check["host"] for check in decision["blocking"])
    hosts.update(decision["unreachable"], decision["hosts_without_results"])
    hosts.update(task.get("host") for task in decision["failed_tasks"])
    return hosts


def describe_verdict(decision: Mapping) -> str:
    """The verdict as one short line, counts only: 'NO-GO: 3 blocking items on 2 hosts'.

    The items themselves are text from checked systems and can be long; the report callback prints each
    of them once, and the gate's result carries them.
    """
    verdict = decision["verdict"]
    if verdict == NO_GO:
        items = len(blocking_lines(decision))
        return f"{verdict}: {_plural(items, 'blocking item')} on {_plural(len(_blocking_hosts(decision)), 'host')}"
    if verdict == GO_WITH_WARNINGS:
        warnings = decision["warnings"]
        text = f"{verdict}: {_plural(len(warnings), 'warning')}"
        if warnings:
            text += f" on {_plural(len(set(check['host'] for check in warnings)), 'host')}"
        waived = sum(1 for check in warnings if "waiver" in check)
        if waived:
            text += f" ({waived} waived)"
        if decision["expired_waivers"]:
            text += f", {_plural(len(decision['expired_waivers']), 'expired waiver')}"
        return text
    counts = decision["counts"]
    return f"{verdict}: {_plural(counts['total'], 'check')} on {_plural(len(decision['hosts']), 'host')} passed"


# --- sign-off ------------------------------------------------------------------------------------

SIGNOFF_KEYS = ("role", "name", "decision", "date", "comment")
# Added by evaluate_signoff(); accepted back so that an evaluated list can be evaluated again.
_COMPUTED_SIGNOFF_KEYS = ("accepted", "note")
SIGNOFF_SIGNED = "signed"
SIGNOFF_PENDING = "pending"
SIGNOFF_REJECTED = "rejected"
SIGNOFF_NOT_REQUIRED = "not_required"
# Decisions an approver may take on each verdict: nobody can sign a NO-GO run off as a GO.
_ALLOWED_DECISIONS = {
    GO: (GO, GO_WITH_WARNINGS, NO_GO),
    GO_WITH_WARNINGS: (GO, GO_WITH_WARNINGS, NO_GO),
    NO_GO: (NO_GO,),
}
_DECISION_SPELLINGS = {"GO": GO, "GO WITH WARNINGS": GO_WITH_WARNINGS, "NO GO": NO_GO, "NOGO": NO_GO}


def _decision(value, where):
    if value is None or value == "":
        return None
    if isinstance(value, str):
        spelled = " ".join(value.upper().replace("_", " ").replace("-", " ").split())
        if spelled in _DECISION_SPELLINGS:
            return _DECISION_SPELLINGS[spelled]
    raise OptionError("%s.decision: %r is not a decision (%s, or empty while pending)"
                      % (where, _plain(value), ", ".join(VERDICTS)))


def _optional_text(entry, key, where):
    value = entry.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise OptionError("%s.%s: must be a string, got %r" % (where, key, _plain(value)))
    return str(value)


def normalise_approver(entry, where):
    """One validated approver: role, name, decision (None while pending), date (ISO) and comment."""
    _require_known_keys(entry, where, "role and name (and decision, date, comment)", SIGNOFF_KEYS,
                        _COMPUTED_SIGNOFF_KEYS)
    role = _required_text(entry, "role", where, "what the approver answers for, e.g. 'release manager'")
    name = _required_text(entry, "name", where, "who signs")
    decision = _decision(entry.get("decision"), where)
    date = entry.get("date")
    date = None if date is None or date == "" else _parse_date(date, "%s.date" % where).isoformat()
    return dict(role=role, name=name, decision=decision, date=date, comment=_optional_text(entry, "comment", where))


def normalise_signoff(approvers, option="signoff"):
    """Validate the sign-off list; OptionError names the entry and field, e.g. "golive_signoff[1].decision: ..."."""
    if approvers is None or approvers == "":
        return []
    if not isinstance(approvers, (list, tuple)):
        raise OptionError("%s: must be a list of approvers (role, name, decision, date, comment), got %s"
                          % (option, _type_name(approvers)))
    return [normalise_approver(entry, "%s[%d]" % (option, index)) for index, entry in enumerate(approvers)]


def _who(approver):
    return "%s (%s)" % (approver["role"], approver["name"])


def _judged(approver, verdict):
    judged = dict((key, approver.get(key)) for key in SIGNOFF_KEYS)
    decision = judged["decision"]
    judged["accepted"] = decision is None or decision in _ALLOWED_DECISIONS.get(verdict, VERDICTS)
    judged["note"] = None
    if not judged["accepted"]:
        judged["note"] = "a %s run cannot be signed off as %s" % (verdict, decision)
    elif decision == GO and verdict == GO_WITH_WARNINGS:
        judged["note"] = "signed GO on a run with warnings: counted as GO WITH WARNINGS"
    return judged


def _signoff_summary(status, approvers, verdict):
    total = len(approvers)
    going = [a for a in approvers if a["accepted"] and a["decision"] in (GO, GO_WITH_WARNINGS)]
    if status == SIGNOFF_NOT_REQUIRED:
        return "no approvers configured"
    refused = [a for a in approvers if not a["accepted"]]
    if refused:
        return "a %s cannot be signed off as GO: %s" % (verdict, ", ".join(
            "%s signed %s" % (_who(a), a["decision"]) for a in refused))
    stopped = [a for a in approvers if a["decision"] == NO_GO]
    if stopped:
        return "%s signed NO-GO" % ", ".join(_who(a) for a in stopped)
    waiting = "waiting for %s" % ", ".join(_who(a) for a in approvers if a["decision"] is None)
    if verdict == NO_GO:
        # Nobody refused and nobody said NO-GO: nobody decided yet.
        return "no decision yet; %s" % waiting
    text = "%d of %d approvers signed %s" % (len(going), total, verdict)
    return text if status == SIGNOFF_SIGNED else "%s; %s" % (text, waiting)


def evaluate_signoff(approvers, verdict):
    """The report's "signoff" section: each approver's decision judged against the verdict, and the status.

    ``approvers`` are normalised (normalise_signoff). A GO or GO WITH WARNINGS decision on a NO-GO run is
    not accepted and makes the status "rejected", as does any NO-GO decision; "pending" while someone has
    not decided; "signed" when everyone accepted the run; "not_required" without approvers.
    """
    judged = [_judged(approver, verdict) for approver in approvers or ()]
    if not judged:
        status = SIGNOFF_NOT_REQUIRED
    elif any(not a["accepted"] or a["decision"] == NO_GO for a in judged):
        status = SIGNOFF_REJECTED
    elif any(a["decision"] is None for a in judged):
        status = SIGNOFF_PENDING
    else:
        status = SIGNOFF_SIGNED
    return dict(status=status, summary=_signoff_summary(status, judged, verdict), approvers=judged)


_TRUE_WORDS = ("true", "yes", "on", "1")
_FALSE_WORDS = ("false", "no", "off", "0")


def normalise_flag(value, option: str) -> bool:
    """A yes/no setting (YAML booleans, or their usual spellings); anything else is an error naming the option."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE_WORDS + _FALSE_WORDS:
        return value.strip().lower() in _TRUE_WORDS
    raise OptionError(f"{option}: {_plain(value)!r} is not a boolean (true or false)")
