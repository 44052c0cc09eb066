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
# Why a run is NO-GO though no check failed: it checked nothing.
NOTHING_CHECKED = "nothing was checked: the run executed no check"
INTERRUPTED_REASON = "run interrupted"
# The kinds of reasons for NO-GO, in the order every format lists them: what concerns the whole run first.
REASON_KINDS = ("interrupted", "scope", "check", "unreachable", "no_results", "task_failed")
# How a check failing on several hosts reads: "disk_space:/ fails on 12 hosts: web01-web12".
STATUS_VERBS = dict(fail="fails", error="cannot be evaluated", warn="warns")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# Longest failure or unreachable message kept from a task result for a one-line reason.
MESSAGE_LIMIT = 300
# Longest failure message kept whole (a task's error is printed once, whole; this only bounds a runaway one).
WHOLE_MESSAGE_LIMIT = 10000
# ansible-core 2.19 starts every task error with this; in a report line it says nothing.
_TASK_FAILED_PREFIX = "Task failed: "


def _today(today: object) -> datetime.date:
    if today is None:
        return datetime.date.today()
    if isinstance(today, datetime.datetime):
        return today.date()
    if isinstance(today, datetime.date):
        return today
    return _parse_date(today, "today")


def _parse_date(value: object, where: str) -> datetime.date:
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
    raise OptionError(f"{where}: {_plain(value)!r} is not a date (YYYY-MM-DD)")


def _plain(value: object) -> object:
    """Strip str subclasses (tagged template results) so reprs and JSON stay plain."""
    return str(value) if isinstance(value, str) else value


def _type_name(value: object) -> str:
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


def normalise_severities(value: object, option: str = "blocking_severities") -> list[str]:
    """The blocking severities as a list in severity order; accepts a list or a comma-separated string."""
    if value is None:
        return list(DEFAULT_BLOCKING_SEVERITIES)
    if isinstance(value, str):
        value = [part for part in value.split(",") if part.strip()]
    if not isinstance(value, (list, tuple, set, frozenset)):
        raise OptionError(f"{option}: must be a list of severities ({', '.join(SEVERITIES)}), got {_plain(value)!r}")
    chosen = set()
    for entry in value:
        name = entry.strip().lower() if isinstance(entry, str) else entry
        if name not in SEVERITIES:
            raise OptionError(f"{option}: {_plain(entry)!r} is not a severity ({', '.join(SEVERITIES)})")
        chosen.add(name)
    return [severity for severity in SEVERITIES if severity in chosen]


def _required_text(waiver: Mapping, key: str, where: str, hint: str) -> str:
    if key not in waiver or waiver[key] is None or waiver[key] == "":
        raise OptionError(f"{where}.{key}: required ({hint})")
    value = waiver[key]
    if not isinstance(value, str) or not value.strip():
        raise OptionError(f"{where}.{key}: must be a non-empty string, got {_plain(value)!r}")
    return str(value).strip()


def _host_patterns(waiver: Mapping, where: str) -> list[str]:
    hosts = waiver.get("hosts")
    if hosts is None:
        return ["*"]
    if isinstance(hosts, str):
        hosts = [hosts]
    if not isinstance(hosts, (list, tuple)) or not hosts:
        raise OptionError(f"{where}.hosts: must be a host name glob or a non-empty list of them, got {_plain(hosts)!r}")
    for pattern in hosts:
        if not isinstance(pattern, str) or not pattern.strip():
            raise OptionError(f"{where}.hosts: {_plain(pattern)!r} is not a host name glob")
    return [str(pattern).strip() for pattern in hosts]


def _ticket(waiver: Mapping, where: str) -> str | None:
    ticket = waiver.get("ticket")
    if ticket is None or ticket == "":
        return None
    if isinstance(ticket, bool) or not isinstance(ticket, (str, int)):
        raise OptionError(f"{where}.ticket: must be a string, got {_plain(ticket)!r}")
    return str(ticket)


def _require_known_keys(value: object, where: str, expected: str, keys: tuple, computed_keys: tuple = ()) -> None:
    """A dictionary whose keys are all ``keys`` (or ``computed_keys``, added by an earlier normalising)."""
    if not isinstance(value, Mapping):
        raise OptionError(f"{where}: must be a dictionary with {expected}, got {_plain(value)!r}")
    unknown = sorted(str(key) for key in value if key not in tuple(keys) + tuple(computed_keys))
    if unknown:
        named = ", ".join(repr(k) for k in unknown)
        plural = "" if len(unknown) == 1 else "s"
        raise OptionError(f"{where}: unknown key{plural} {named} (allowed: {', '.join(keys)})")


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


def normalise_waiver(waiver: object, where: str, today: datetime.date) -> dict:
    """One validated waiver: id and hosts globs, reason, owner, expires (ISO date), ticket, expired flag.

    ``applies_to`` is None (every host); scoped_waivers() narrows it to the hosts whose variables carry it.
    """
    _require_known_keys(waiver, where, "id, reason, owner and expires", WAIVER_KEYS)
    check_id = _required_text(waiver, "id", where, "a check id or glob such as 'disk_space:*'")
    catch_all = _catch_all(waiver, check_id, where)
    hosts = _host_patterns(waiver, where)
    reason = _required_text(waiver, "reason", where, "why the risk is accepted")
    owner = _required_text(waiver, "owner", where, "who accepted the risk")
    if waiver.get("expires") is None or waiver.get("expires") == "":
        raise OptionError(f"{where}.expires: required (YYYY-MM-DD)")
    expires = _parse_date(waiver["expires"], f"{where}.expires")
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
        applies_to=None,
    )


def normalise_waivers(waivers: object, today: object = None, option: str = "waivers") -> list[dict]:
    """Validate waivers; OptionError names the waiver and field, e.g. "waivers[2].expires: ..."."""
    today = _today(today)
    if waivers is None or waivers == "":
        return []
    if not isinstance(waivers, (list, tuple)):
        raise OptionError(f"{option}: must be a list of waivers, got {_type_name(waivers)}")
    return [normalise_waiver(waiver, f"{option}[{index}]", today) for index, waiver in enumerate(waivers)]


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


def waiver_matches(waiver: Mapping, record: Mapping) -> bool:
    """Whether a normalised waiver covers a record (globs on check id and host name, case-sensitive)."""
    if not fnmatch.fnmatchcase(str(record.get("id", "")), waiver["id"]):
        return False
    host = str(record.get("host", ""))
    if waiver.get("applies_to") is not None and host not in waiver["applies_to"]:
        return False
    return any(fnmatch.fnmatchcase(host, pattern) for pattern in waiver["hosts"])


def describe_waiver(waiver: Mapping) -> str:
    """'disk_space:* on web* (ops, until 2024-05-01, OPS-12): reason'."""
    extra = f", {waiver['ticket']}" if waiver.get("ticket") else ""
    hosts = ",".join(waiver["hosts"])
    return f"{waiver['id']} on {hosts} ({waiver['owner']}, until {waiver['expires']}{extra}): {waiver['reason']}"


def tag_record(record: Mapping, ran_on: str, delegated_to: str | None = None) -> dict:
    """A copy of a check record with ``host`` (the host it is about) and ``probe`` (where it ran, if elsewhere)."""
    tagged = dict(record)
    runner = delegated_to or ran_on
    host = record.get("target") or ran_on
    tagged["host"] = host
    if runner != host:
        tagged["probe"] = runner
    return tagged


def records_of_result(result: object) -> list | None:
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


def host_sort_key(name: object) -> list[tuple]:
    """Natural order of host names: web2 before web10."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", str(name))]


def _effective_status(check: dict) -> str:
    status = check.get("status")
    if status in STATUSES:
        return status
    # Unknown is not OK: anything that is not a contract status counts as an error.
    check["summary"] = f"unknown status {_plain(status)!r}: {check.get('summary', '')}"
    check["status"] = "error"
    return "error"


def _blocks(check: Mapping, severities: list[str]) -> bool:
    severity = check.get("severity")
    return severity in severities or severity not in SEVERITIES


def _severity_rank(check: Mapping) -> int:
    severity = check.get("severity")
    return SEVERITIES.index(severity) if severity in SEVERITIES else -1


def _waiver_summary(waiver: Mapping) -> dict:
    summary = dict((key, waiver[key]) for key in WAIVER_KEYS)
    summary["applies_to"] = waiver.get("applies_to")
    return summary


def _host_reasons(hosts: object, default: str) -> dict[str, str]:
    """{host: reason} from a list of names or a mapping of name to reason."""
    if isinstance(hosts, Mapping):
        return dict((str(h), str(r) if r else default) for h, r in hosts.items())
    return dict((str(h), default) for h in hosts or ())


def _empty_counts() -> dict[str, int]:
    return dict((status, 0) for status in STATUSES)


def _counts(checks: list[dict], blocking: list[dict], waived: int) -> dict:
    by_status = _empty_counts()
    by_section = {}
    for check in checks:
        by_status[check["status"]] += 1
        section = str(check.get("section") or "unknown")
        by_section.setdefault(section, _empty_counts())[check["status"]] += 1
    return dict(total=len(checks), by_status=by_status, by_section=by_section,
                blocking=len(blocking), waived=waived)


def _hosts(checks: list[dict], without_results: dict, unreachable: dict, in_scope: list[str] = ()) -> list[dict]:
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


class _WaiverBook:
    """Applies waivers to records and remembers which waiver matched what."""

    def __init__(self, waivers: list[dict]) -> None:
        self.waivers = waivers
        self.matched: list[list[dict]] = [[] for dummy in waivers]
        self.applied = []

    def apply(self, check: Mapping) -> dict | None:
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

    def critical(self) -> list[dict]:
        """Each waiver that waived a critical check, with the records it waived (the riskiest waivers first)."""
        found = {}
        for entry in self.applied:
            if entry.get("severity") == "critical":
                key = _waiver_identity(entry["waiver"])
                found.setdefault(key, dict(waiver=entry["waiver"], checks=[]))["checks"].append(
                    dict(host=entry["host"], id=entry["id"], status=entry["status"]))
        return sorted(found.values(), key=lambda e: not e["waiver"].get("catch_all"))

    def expired(self) -> list[dict]:
        return [dict(waiver, matched=matched) for waiver, matched in zip(self.waivers, self.matched)
                if waiver["expired"] and matched]

    def unused(self) -> list[dict]:
        return [waiver for waiver, matched in zip(self.waivers, self.matched) if not matched]


def decide(records: list[Mapping], waivers: list[dict] = (), blocking_severities=DEFAULT_BLOCKING_SEVERITIES,
           hosts_without_results=(), failed_tasks=(), today=None, unreachable=(), scope_hosts=(),
           scope_problems=(), interrupted: str | None = None) -> dict:
    """The verdict over tagged check records (each with ``host``): the one place a run is judged.

    ``waivers`` are normalised (normalise_waivers, scoped_waivers): their expiry was judged when the policy
    was read. ``hosts_without_results`` and ``unreachable`` are host names or mappings of host name to
    reason; ``failed_tasks`` are dicts with host, task, message and optional details (the task's warnings).
    ``scope_hosts`` are the hosts the run is
    about: one without records is listed as having an empty checklist. ``scope_problems`` are reasons the run
    checked less than it was asked to (a probe group matching no host); each makes it NO-GO, and so does a
    run without any check, and an ``interrupted`` one (the name of the signal that stopped it).

    The result holds the verdict, its ``reasons`` (one list, in the order every format shows them) and the
    waiver outcome; the report renders these fields and recomputes none of them.
    """
    today = _today(today)
    severities = normalise_severities(blocking_severities)
    waivers = [dict(waiver) for waiver in waivers or ()]
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
    stopped = dict(reason=INTERRUPTED_REASON, signal=interrupted) if interrupted else None
    hosts = _hosts(checks, without, gone, [str(host) for host in scope_hosts or ()])
    reasons = no_go_reasons(blocking, problems, hosts, failed_tasks, stopped)
    if reasons:
        verdict = NO_GO
    elif warnings or expired:
        verdict = GO_WITH_WARNINGS
    else:
        verdict = GO
    return dict(
        verdict=verdict,
        reasons=reasons,
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
        hosts=hosts,
        counts=_counts(checks, blocking, len(book.applied)),
        today=today.isoformat(),
        interrupted=stopped,
    )


def describe_check(check: Mapping) -> str:
    """'web03 disk_space:/ fail: free 2.1 GiB (fail < 10.0 GiB)', as one printable line."""
    return one_line(f"{check['host']} {check.get('id')} {check['status']}: {check.get('summary', '')}")


def host_ranges(names) -> list[str]:
    """Host names with runs of numbered siblings folded: ['web01'...'web12', 'db1'] -> ['web01-web12', 'db1'].

    Only names sharing the prefix, the suffix and the number's width join a run, so the text reads back
    to exactly the given hosts.
    """
    ranges, run = [], []
    for name in sorted({str(n) for n in names}, key=host_sort_key):
        parts = _numbered(name)
        if run and parts and run[-1][1] and _continues(run[-1][1], parts):
            run.append((name, parts))
            continue
        ranges += _closed_run(run)
        run = [(name, parts)]
    return ranges + _closed_run(run)


def _numbered(name: str) -> tuple[str, str, str] | None:
    match = re.match(r"^(.*?)(\d+)(\D*)$", name)
    return match.groups() if match else None


def _continues(last: tuple[str, str, str], parts: tuple[str, str, str]) -> bool:
    prefix, number, suffix = parts
    last_prefix, last_number, last_suffix = last
    return (prefix, suffix, len(number)) == (last_prefix, last_suffix, len(last_number)) \
        and int(number) == int(last_number) + 1


def _closed_run(run: list) -> list[str]:
    if len(run) > 2:
        return [f"{run[0][0]}-{run[-1][0]}"]
    return [entry[0] for entry in run]


def hosts_text(hosts) -> str:
    """'db1, web01-web12'."""
    return ", ".join(host_ranges(hosts))


def _grouped_hosts(pairs) -> list:
    """[(key, [hosts])] from (host, key) pairs, keys in first-seen order, each host once per key."""
    groups = {}
    for host, key in pairs:
        hosts = groups.setdefault(key, [])
        if host not in hosts:
            hosts.append(host)
    return list(groups.items())


def interrupted_text(interrupted: Mapping) -> str:
    """'run interrupted (SIGINT): the report is incomplete; checks still running were stopped'."""
    reason = interrupted.get("reason") or INTERRUPTED_REASON
    signal_name = interrupted.get("signal")
    stopped = f"{reason} ({signal_name})" if signal_name else reason
    return f"{stopped}: the report is incomplete; checks still running were stopped"


def _reason(kind: str, hosts: list, text: str, detail: str | None = None, **check) -> dict:
    """A reason for NO-GO: ``text`` says it whole, hosts included; ``detail`` says it without naming the hosts."""
    return dict(kind=kind, hosts=[str(host) for host in hosts], text=one_line(text),
                detail=one_line(text if detail is None else detail), **check)


def _check_reasons(blocking: list[Mapping]) -> list[dict]:
    """One reason per blocking check id and status, the hosts it blocks on named together (first host's summary)."""
    first: dict[tuple, Mapping] = {}
    grouped = _grouped_hosts((check["host"], (check.get("id"), check["status"])) for check in blocking)
    for check in blocking:
        first.setdefault((check.get("id"), check["status"]), check)
    reasons = []
    for key, hosts in grouped:
        check = first[key]
        summary = str(check.get("summary") or "")
        if len(hosts) == 1:
            text = describe_check(check)
        else:
            verb = STATUS_VERBS.get(check["status"], check["status"])
            text = f"{check.get('id')} {verb} on {len(hosts)} hosts: {hosts_text(hosts)} ({check['host']}: {summary})"
        reasons.append(_reason("check", hosts, text, summary, id=check.get("id"), title=check.get("title"),
                               status=check["status"], severity=check.get("severity")))
    return reasons


def _host_problem_reasons(hosts: list[Mapping], failed_tasks: list[Mapping]) -> list[dict]:
    """Unreachable hosts (grouped by why), hosts without results no failed task explains, failed tasks."""
    listed = {host["name"]: host for host in hosts}
    unreachable = ((name, host.get("reason") or "unreachable") for name, host in listed.items()
                   if host.get("status") == "unreachable")
    reasons = [_reason("unreachable", names, f"{hosts_text(names)} unreachable: {why}", why)
               for why, names in _grouped_hosts(unreachable)]
    explained = {task.get("host") for task in failed_tasks}
    for name, host in listed.items():
        if host.get("status") == "no_results" and name not in explained:
            why = host.get("reason") or "no check results"
            reasons.append(_reason("no_results", [name], f"{name}: {why}", why))
    failures = ((task.get("host"), (task.get("task"), task.get("message"), tuple(task.get("details") or ())))
                for task in failed_tasks)
    reasons += [_reason("task_failed", names, f"{hosts_text(names)} task {task!r} failed: {message}",
                        f"{task}: {'; '.join(details) if details else message}")
                for (task, message, details), names in _grouped_hosts(failures)]
    return reasons


def no_go_reasons(blocking: list[Mapping], scope_problems: list[str], hosts: list[Mapping],
                  failed_tasks: list[Mapping], interrupted: Mapping | None = None) -> list[dict]:
    """Every reason for NO-GO, each once, in the order every format lists them (REASON_KINDS).

    Each is a dict with ``kind``, ``hosts`` (empty when it concerns the whole run), ``text`` (one printable
    line naming the hosts) and ``detail`` (the same without the hosts; a check's summary); a blocking check's
    reason also has its id, title, status and severity.
    ``hosts`` are the decision's host entries (name, status, reason).
    """
    reasons = [_reason("interrupted", [], interrupted_text(interrupted))] if interrupted else []
    reasons += [_reason("scope", [], str(problem)) for problem in scope_problems or ()]
    return reasons + _check_reasons(blocking) + _host_problem_reasons(hosts, failed_tasks)


def blocking_count(reasons: list[Mapping]) -> int:
    """How many items block: each blocking check on each host, and each other reason once."""
    return sum(len(reason["hosts"]) if reason["kind"] == "check" else 1 for reason in reasons)


def reason_lines(reasons: list[Mapping]) -> list[str]:
    """The reasons as printable lines."""
    return [reason["text"] for reason in reasons]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _blocking_hosts(decision: Mapping) -> set:
    return {host for reason in decision["reasons"] for host in reason["hosts"]}


def describe_verdict(decision: Mapping) -> str:
    """The verdict as one short line, counts only: 'NO-GO: 3 blocking items on 2 hosts'.

    The items themselves are text from checked systems and can be long; the report callback prints each
    of them once, and the gate's result carries them.
    """
    verdict = decision["verdict"]
    if verdict == NO_GO:
        items = blocking_count(decision["reasons"])
        return f"{verdict}: {_plural(items, 'blocking item')} on {_plural(len(_blocking_hosts(decision)), 'host')}"
    if verdict == GO_WITH_WARNINGS:
        warnings = decision["warnings"]
        text = f"{verdict}: {_plural(len(warnings), 'warning')}"
        if warnings:
            text += f" on {_plural(len({check['host'] for check in warnings}), 'host')}"
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
    raise OptionError(f"{where}.decision: {_plain(value)!r} is not a decision ({', '.join(VERDICTS)}, "
                      "or empty while pending)")


def _optional_text(entry, key, where):
    value = entry.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise OptionError(f"{where}.{key}: must be a string, got {_plain(value)!r}")
    return str(value)


def normalise_approver(entry: object, where: str) -> dict:
    """One validated approver: role, name, decision (None while pending), date (ISO) and comment."""
    _require_known_keys(entry, where, "role and name (and decision, date, comment)", SIGNOFF_KEYS,
                        _COMPUTED_SIGNOFF_KEYS)
    role = _required_text(entry, "role", where, "what the approver answers for, e.g. 'release manager'")
    name = _required_text(entry, "name", where, "who signs")
    decision = _decision(entry.get("decision"), where)
    date = entry.get("date")
    date = None if date is None or date == "" else _parse_date(date, f"{where}.date").isoformat()
    return dict(role=role, name=name, decision=decision, date=date, comment=_optional_text(entry, "comment", where))


def normalise_signoff(approvers: object, option: str = "signoff") -> list[dict]:
    """Validate the sign-off list; OptionError names the entry and field, e.g. "golive_signoff[1].decision: ..."."""
    if approvers is None or approvers == "":
        return []
    if not isinstance(approvers, (list, tuple)):
        raise OptionError(f"{option}: must be a list of approvers (role, name, decision, date, comment), "
                          f"got {_type_name(approvers)}")
    return [normalise_approver(entry, f"{option}[{index}]") for index, entry in enumerate(approvers)]


def _who(approver):
    return f"{approver['role']} ({approver['name']})"


def _judged(approver, verdict):
    judged = dict((key, approver.get(key)) for key in SIGNOFF_KEYS)
    decision = judged["decision"]
    judged["accepted"] = decision is None or decision in _ALLOWED_DECISIONS.get(verdict, VERDICTS)
    judged["note"] = None
    if not judged["accepted"]:
        judged["note"] = f"a {verdict} run cannot be signed off as {decision}"
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
        signed = ", ".join(f"{_who(a)} signed {a['decision']}" for a in refused)
        return f"a {verdict} cannot be signed off as GO: {signed}"
    stopped = [a for a in approvers if a["decision"] == NO_GO]
    if stopped:
        return f"{', '.join(_who(a) for a in stopped)} signed NO-GO"
    waiting = f"waiting for {', '.join(_who(a) for a in approvers if a['decision'] is None)}"
    if verdict == NO_GO:
        # Nobody refused and nobody said NO-GO: nobody decided yet.
        return f"no decision yet; {waiting}"
    text = f"{len(going)} of {total} approvers signed {verdict}"
    return text if status == SIGNOFF_SIGNED else f"{text}; {waiting}"


def evaluate_signoff(approvers: list[dict], verdict: str) -> dict:
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
