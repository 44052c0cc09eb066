# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Callback golive.readiness.report: the readiness report (report.json, junit.xml) and the verdict summary."""

from __future__ import annotations

DOCUMENTATION = r"""
name: report
type: aggregate
short_description: Write the go-live readiness report and print the verdict
version_added: 0.1.0
description:
  - Collects every check record of the run (any task result carrying C(golive_checks), also
    inside loops), every unreachable host and every task that failed outside the checks.
  - At the end of the run it decides the verdict (GO, GO WITH WARNINGS or NO-GO) with the same
    rules as M(golive.readiness.gate), prints a summary and writes the report into O(report_dir)
    in the O(formats) chosen, all rendered from one document (C(report.json), see
    C(docs/report.schema.json) in the collection).
  - "Formats and their files: C(json) C(report.json), C(junit) C(junit.xml) (a testsuite per
    section, a testcase per host and check), C(html) C(report.html) (one self-contained page),
    C(markdown) C(report.md), C(prometheus) C(golive.prom) (text exposition, for a node exporter's
    textfile collector)."
  - When the run has a M(golive.readiness.gate) task, its waivers, blocking severities, sign-off and
    attestation records are used, so the report and the gate agree. The sign-off is judged against the
    report's own verdict; a GO decision on a NO-GO run is shown as not accepted. The attestations
    (C(golive_attestations_required)) are shown beside the sign-off in every format and count as checks.
  - The formats of one run are published together or not at all. They are written into this run's
    own directory C(history/<UTC time>/) under O(report_dir), and the set becomes current in one step
    when the C(latest) symlink is renamed to point at it. The top-level names (C(report.json),
    C(junit.xml), ...) are relative symlinks through C(latest) (C(latest/report.json)), so readers keep
    opening C(<report_dir>/report.json) and always get files of one run.
  - When the report cannot be written (a full disk, an unwritable directory), nothing of the run is
    left, the previous run's set stays current, the summary ends with a line starting
    C(GOLIVE REPORT NOT WRITTEN) and C(ansible-playbook) exits with code 1. Callbacks listed after
    this one in C(callbacks_enabled) then miss that playbook's stats.
  - With O(history), every format lists what changed since the previous run (regressions first,
    then fixed, new and removed checks). A previous report that is not a regular file (a FIFO, a
    device, a symbolic link) or is larger than 64 MiB is not read; a warning says so and the run
    is compared with no previous report.
  - With O(notify_url), the verdict, the top blocking items and the report's path are posted to a
    Slack-compatible webhook. A failed notification never changes the verdict or the exit code;
    it is shown in the report. The URL is treated as a secret and only ever shown masked.
  - "The terminal summary starts with the verdict, groups identical problems across hosts
    (V(disk_space:/ fails on 12 hosts: web01-web12)), counts per section, and ends with the
    report's paths. It is coloured like Ansible's own output, and not at all when C(NO_COLOR) is set
    to a non-empty value or Ansible's C(nocolor) setting (C(ANSIBLE_NOCOLOR)) is on; these win over
    C(ANSIBLE_FORCE_COLOR)."
  - "When C(ansible-playbook) is interrupted (SIGINT, e.g. Ctrl-C, or SIGTERM), the report is still written,
    archived and printed, with the verdict NO-GO and the reason C(run interrupted), marked incomplete
    (C(incomplete) and C(interrupted) in C(report.json)). The modules end what their checks started."
  - "Every line it prints (and every warning) shows line breaks, control characters and Unicode
    bidirectional marks from checked systems as escapes (C(\\n), C(\\x1b), C(\\u202e)), so no
    text from a checked system can start a line such as C(GOLIVE VERDICT: GO) or recolour the
    terminal. Each reason for NO-GO is printed once, whole; hosts sharing it are named together."
  - "The reasons for NO-GO are decided once, with the verdict and the waiver outcome, and kept in
    C(report.json) as C(reasons); the summary, every format and the notification list exactly those,
    in that order: an interruption, what the scope left unchecked, blocking checks, unreachable hosts,
    hosts without results, failed tasks."
  - A run without any task of this collection (called by its C(golive.readiness.) name) and
    without check results (an unrelated playbook) prints and writes nothing.
  - Records are already masked by the checks; task arguments are never written.
  - "For sliced runs, C(report.json) records which slice it is (C(slice): C(-e golive_slice=k/N), and AWX's
    C(awx_job_id) and C(awx_workflow_job_id)) and the C(checklist) fingerprint the slices of one run share.
    M(golive.readiness.merge_reports) merges such reports; in that run this callback writes no report of its
    own and prints the merged summary."
author: golive.readiness contributors (@golive-readiness)
requirements:
  - Enable it in C(callbacks_enabled) (the repository's C(ansible.cfg) does).
  - The Python library C(requests) for O(notify_url).
options:
  report_dir:
    description:
      - Directory the report files are written to, created when missing. A relative path is
        relative to the current directory.
      - A run's files are switched in as one set, so a reader never sees half a report nor files of
        two runs side by side (see the description above). It needs a filesystem with symbolic links.
    type: str
    default: golive-report
    ini:
      - section: golive_report
        key: report_dir
    env:
      - name: GOLIVE_REPORT_DIR
  formats:
    description:
      - The report formats to write, in any order; V(all) stands for every format.
      - C(report.json) is the source of truth of the history, so with O(history) on it is written
        even when V(json) is not listed. With O(history) off, only the listed formats are written.
      - An unknown name is ignored with a warning.
    type: list
    elements: str
    default: [json, junit, html, markdown, prometheus]
    ini:
      - section: golive_report
        key: formats
    env:
      - name: GOLIVE_REPORT_FORMATS
  history:
    description:
      - Keep each run's files under C(history/<UTC time>/) in O(report_dir) (O(history_keep) of
        them) and compare every run with the previous one.
      - When off, the report shows no changes and only the current run's set is kept in
        C(history/) (older archives are deleted); the set is still published through C(latest).
    type: bool
    default: true
    ini:
      - section: golive_report
        key: history
    env:
      - name: GOLIVE_REPORT_HISTORY
  history_keep:
    description:
      - How many archived runs to keep; older archives are deleted after each run.
      - V(0) keeps every archive.
    type: int
    default: 30
    ini:
      - section: golive_report
        key: history_keep
    env:
      - name: GOLIVE_REPORT_HISTORY_KEEP
  notify_url:
    description:
      - A Slack-compatible incoming webhook URL to post the verdict to at the end of the run.
        Empty means no notification.
      - It may hold a secret token; it is never printed or written unmasked.
    type: str
    ini:
      - section: golive_report
        key: notify_url
    env:
      - name: GOLIVE_NOTIFY_URL
  notify_timeout:
    description:
      - Seconds each notification attempt may take to connect and to get an answer, from V(0.001) to V(300).
    type: float
    default: 5
    ini:
      - section: golive_report
        key: notify_timeout
    env:
      - name: GOLIVE_NOTIFY_TIMEOUT
  notify_retries:
    description:
      - How many times a failed notification is retried (connection errors, timeouts, HTTP 429 and
        5xx), with growing pauses. Other HTTP errors are not retried.
      - From V(0) to V(10); a value outside it (or a time limit outside its range) fails the notification
        with a message naming the option.
    type: int
    default: 2
    ini:
      - section: golive_report
        key: notify_retries
    env:
      - name: GOLIVE_NOTIFY_RETRIES
  blocking_severities:
    description:
      - Severities whose unwaived C(fail) or C(error) make the verdict NO-GO, when the run has no
        M(golive.readiness.gate) task (the gate's own setting wins).
    type: list
    elements: str
    default: [critical, high]
    ini:
      - section: golive_report
        key: blocking_severities
    env:
      - name: GOLIVE_BLOCKING_SEVERITIES
  show_passed:
    description: Also list the passed checks in the terminal summary.
    type: bool
    default: false
    ini:
      - section: golive_report
        key: show_passed
    env:
      - name: GOLIVE_REPORT_SHOW_PASSED
"""

import datetime
import functools
import getpass
import json
import os
import re
import signal
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import yaml
from ansible import constants as C
from ansible import context
from ansible.plugins.callback import CallbackBase
from ansible.release import __version__ as ANSIBLE_VERSION

from ansible_collections.golive.readiness.plugins.filter.checks import selected_sections
from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._registry import KINDS
from ansible_collections.golive.readiness.plugins.module_utils._terminal import one_line
from ansible_collections.golive.readiness.plugins.module_utils._verdict import (
    DEFAULT_BLOCKING_SEVERITIES,
    GO,
    NO_GO,
    SIGNOFF_PENDING,
    SIGNOFF_SIGNED,
    STATUS_VERBS,
    WHOLE_MESSAGE_LIMIT,
    decide,
    describe_check,
    describe_waiver,
    evaluate_signoff,
    host_sort_key,
    hosts_text,
    normalise_severities,
    normalise_signoff,
    reason_lines,
    records_of_result,
    short_message,
    tag_record,
)
from ansible_collections.golive.readiness.plugins.plugin_utils._ansible_core import (
    result_data,
    result_host,
    result_task,
    unsupported_ansible,
)
from ansible_collections.golive.readiness.plugins.plugin_utils._attestations import (
    attestation_line,
    attestations_of,
    attestations_summary,
)
from ansible_collections.golive.readiness.plugins.plugin_utils._notify import notify
from ansible_collections.golive.readiness.plugins.plugin_utils._report_common import (
    count_text,
    rounds_text,
)
from ansible_collections.golive.readiness.plugins.plugin_utils._report_history import (
    MAX_REPORT_BYTES,
    RefusedFile,
    history_of,
    latest_archive,
    previous_document,
    publish_run,
    read_regular_file,
    reserve_archive,
)
from ansible_collections.golive.readiness.plugins.plugin_utils._report_html import render_html
from ansible_collections.golive.readiness.plugins.plugin_utils._report_junit import render_junit
from ansible_collections.golive.readiness.plugins.plugin_utils._report_markdown import render_markdown
from ansible_collections.golive.readiness.plugins.plugin_utils._report_merge import checklist_of, slice_of
from ansible_collections.golive.readiness.plugins.plugin_utils._report_prometheus import render_prometheus

# Loaded here, in the parent process, for speed: every per-host worker forked after this inherits the
# kinds the roles' checks_of filter validates with, instead of importing them once per host and task.
KINDS.load_all()

SCHEMA_VERSION = 2
# Lines per list in the terminal summary; report.json always has everything.
SHOWN_LINES = 20
COLLECTION_PREFIX = "golive.readiness."
# delegate_to: "{{ item }}" (any loop variable): each loop item ran on the host it names.
LOOP_DELEGATION = re.compile(r"\{\{\s*(\w+)\s*\}\}")
ITEM_FIELDS = ("host", "id", "title", "section", "status", "severity", "summary")
COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Every format, in the order they are written (report.json last: when it appears, the others are there).
FORMAT_FILES = dict(junit="junit.xml", html="report.html", markdown="report.md", prometheus="golive.prom",
                    json="report.json")
FORMATS = ("json", "junit", "html", "markdown", "prometheus")
ARCHIVE_STAMP = "%Y%m%dT%H%M%SZ"
# ansible-playbook's exit code when the report could not be published (Ansible's own "generic error").
REPORT_NOT_WRITTEN_EXIT_CODE = 1
# Signals that stop ansible-playbook; the run then still leaves its (NO-GO, incomplete) report.
INTERRUPT_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _iso(timestamp: float) -> str:
    moment = datetime.datetime.fromtimestamp(timestamp, tz=datetime.timezone.utc)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _failure_message(data: Mapping) -> str:
    message = data.get("msg") or data.get("message") or data.get("stderr") or data.get("reason")
    if not message and data.get("censored"):
        message = data["censored"]
    # Kept whole (on one line): the summary prints each failure once, so it must not be cut.
    return short_message(message or "failed", WHOLE_MESSAGE_LIMIT)


# A failed task's warnings kept in the report, at most (each problem of a checklist is one).
MAX_TASK_WARNINGS = 200


def _task_warnings(data: Mapping) -> list[str]:
    """A failed task's warnings, for the report: the policy stage prints each problem of the checklists once, as a
    warning, and keeps only their count in its message (see _checklists), so the report takes the texts from here."""
    warnings = data.get("warnings")
    if not isinstance(warnings, (list, tuple)):
        return []
    texts = [short_message(warning, WHOLE_MESSAGE_LIMIT) for warning in warnings if isinstance(warning, str)]
    return texts[:MAX_TASK_WARNINGS]


def collection_version(root: str = COLLECTION_ROOT) -> str:
    """The collection's version from MANIFEST.json (installed) or galaxy.yml (source tree), else 'unknown'."""
    try:
        with open(os.path.join(root, "MANIFEST.json"), encoding="utf-8") as handle:
            return str(json.load(handle)["collection_info"]["version"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    try:
        with open(os.path.join(root, "galaxy.yml"), encoding="utf-8") as handle:
            return str(yaml.safe_load(handle)["version"])
    except (OSError, KeyError, TypeError, yaml.YAMLError):
        return "unknown"


def selected_formats(value: object, history: bool) -> tuple[list[str], list[str]]:
    """(formats in canonical order, unknown names): 'all' means every format; json is added with history."""
    names = [value] if isinstance(value, str) else list(value or ())
    wanted, unknown = set(), []
    for name in names:
        for part in str(name).split(","):
            part = part.strip().lower()
            if part == "all":
                wanted.update(FORMATS)
            elif part in FORMATS:
                wanted.add(part)
            elif part:
                unknown.append(part)
    if history:
        wanted.add("json")
    return [name for name in FORMATS if name in wanted], unknown


def colour_wanted(environ: Mapping[str, str] | None = None, nocolor: bool | None = None) -> bool:
    """Whether the summary may be coloured: not when NO_COLOR is set to anything, nor with Ansible's nocolor.

    Ansible reads NO_COLOR as a boolean (NO_COLOR=yes); the convention (no-color.org) is any non-empty value.
    Both win over ANSIBLE_FORCE_COLOR. Otherwise Ansible's own choice (terminal or force_color) applies.
    """
    environ = os.environ if environ is None else environ
    if environ.get("NO_COLOR", ""):
        return False
    return not (C.ANSIBLE_NOCOLOR if nocolor is None else nocolor)


def grouped_problems(checks: Iterable[Mapping]) -> list[tuple[Mapping, list[str]]]:
    """[(first check, [hosts])]: checks with the same id, status and waiver state folded across hosts."""
    groups = {}
    for check in checks:
        key = (check.get("id"), check.get("status"), "waiver" in check)
        entry = groups.setdefault(key, (check, []))
        if check["host"] not in entry[1]:
            entry[1].append(check["host"])
    return list(groups.values())


def problem_lines(checks: Iterable[Mapping], note: Callable[[Mapping], str] | None = None) -> list[str]:
    """One line per problem; the same problem on several hosts is one line with the hosts as ranges."""
    lines = []
    for check, hosts in grouped_problems(checks):
        extra = note(check) if note else ""
        if len(hosts) == 1:
            lines.append(describe_check(check) + extra)
            continue
        verb = STATUS_VERBS.get(check["status"], check["status"])
        lines.append(one_line(f"{check.get('id')} {verb} on {len(hosts)} hosts: {hosts_text(hosts)} "
                              f"({check['host']}: {check.get('summary', '')}){extra}"))
    return lines


def _item(check: Mapping) -> dict:
    """A blocking or warning entry: the record's identity and verdict, not its measurements."""
    item = dict((key, check.get(key)) for key in ITEM_FIELDS)
    for key in ("probe", "waiver", "hint", "contact"):
        if check.get(key):
            item[key] = check[key]
    return item


def _shown_path(path: str) -> str:
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def _waived_text(waiver: Mapping) -> str:
    return f"waived: {waiver['reason']} ({waiver['owner']}, until {waiver['expires']})"


def _waived_note(check: Mapping) -> str:
    return f" ({_waived_text(check['waiver'])})" if "waiver" in check else ""


def decision_document(decision: Mapping, generated_at: str, run: Mapping, unreachable: list,
                      signoff: Mapping) -> dict:
    """The report document's parts that follow from a decision, in report.json's order (docs/report.schema.json);
    a run's report and a merge of slice reports add what only they know."""
    return {
        "schema_version": SCHEMA_VERSION,
        "verdict": decision["verdict"],
        "generated_at": generated_at,
        "run": run,
        "blocking_severities": decision["blocking_severities"],
        "counts": decision["counts"],
        "hosts": decision["hosts"],
        "checks": decision["checks"],
        "blocking": [_item(check) for check in decision["blocking"]],
        "warnings": [_item(check) for check in decision["warnings"]],
        "scope_problems": decision["scope_problems"],
        "reasons": decision["reasons"],
        "waivers": {
            "critical": decision["critical_waivers"],
            "applied": decision["applied_waivers"],
            "expired": decision["expired_waivers"],
            "unused": decision["unused_waivers"],
        },
        "failed_tasks": decision["failed_tasks"],
        "unreachable": unreachable,
        "signoff": signoff,
        "attestations": attestations_of(decision["checks"]),
    }


def render_json(document: Mapping) -> str:
    return json.dumps(document, indent=2, default=str) + "\n"


RENDERERS = dict(json=render_json, junit=render_junit, html=render_html, markdown=render_markdown,
                 prometheus=render_prometheus)


def _in_write_order(texts: Iterable[str]) -> list[str]:
    return sorted(texts, key=list(FORMAT_FILES).index)


def _error_text(exc: BaseException) -> str:
    """An OSError as 'what: path' without Python's '[Errno 28]' prefix; a RefusedFile as 'path is why'."""
    if isinstance(exc, RefusedFile):
        return str(exc)
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    return str(exc)


def _stamp(finished: float) -> str:
    return datetime.datetime.fromtimestamp(finished, tz=datetime.timezone.utc).strftime(ARCHIVE_STAMP)


def pass_signal_on(previous: Any, signum: int, frame: Any) -> None:
    """Do what the handler that was there before would have done with the signal."""
    if callable(previous):
        previous(signum, frame)
    elif previous == signal.SIG_DFL:
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)


def _delegated_host(data: Mapping) -> str | None:
    return (data.get("_ansible_delegated_vars") or {}).get("ansible_delegated_host")


def _item_delegate(task: Any, item: Mapping) -> str | None:
    """Where a loop item ran, when its task delegates to the loop variable (the embedded roles' endpoint checks:
    ``delegate_to: "{{ item }}"`` over the probe hosts). Ansible keeps no item's delegation in the result it
    hands callbacks."""
    loop_var = item.get("ansible_loop_var") or "item"
    template = str(getattr(task, "delegate_to", None) or "")
    delegation = LOOP_DELEGATION.fullmatch(template)
    if delegation and delegation.group(1) == loop_var:
        value = item.get(loop_var)
        return value if isinstance(value, str) else None
    return None


def _tagged_records(data: Mapping, host: str, task: Any = None) -> list[dict] | None:
    """The result's check records tagged with the host each is about and where it ran, or None when it has none.

    A loop's items may each be delegated elsewhere: each item's records are tagged with its own delegate.
    """
    if records_of_result(data) is None:
        return None
    own = data["golive_checks"] if isinstance(data.get("golive_checks"), list) else []
    tagged = [tag_record(record, host, _delegated_host(data)) for record in own]
    for item in data.get("results") or ():
        if isinstance(item, Mapping) and isinstance(item.get("golive_checks"), list):
            delegated = _item_delegate(task, item) or _delegated_host(item) or _delegated_host(data)
            tagged += [tag_record(record, host, delegated) for record in item["golive_checks"]]
    return tagged


def _change_line(change: Mapping) -> str:
    before, after = change.get("before") or "absent", change.get("after") or "absent"
    return f"{change.get('host')} {change.get('id')}: {before} -> {after} ({change.get('summary') or ''})"


def terminal_safe(text: object) -> str:
    """Text as one line with line breaks, controls and bidi marks shown as escapes: a check's summary (a log
    line, a banner) must not be able to start a line of its own, move the cursor, recolour or retitle the
    operator's terminal, or reorder what the operator reads."""
    return one_line(text)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "golive.readiness.report"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, display: Any = None) -> None:
        super(CallbackModule, self).__init__(display=display)
        self._started = time.time()
        self._playbooks = []
        self._records = []
        self._gate = None
        self._failed_tasks = []
        self._unreachable = {}
        self._golive_ran = False
        self._golive_started = False
        self._interrupted = None
        self._reporting = False
        self._held_signal = None
        self._reported = False
        self._colour = colour_wanted()
        self._publish_error = None
        # On an ansible-core the collection does not support, nothing is collected and no verdict is given.
        self._unsupported = unsupported_ansible()
        self._slice = None
        self._slice_problem = None
        self._merged = None
        self._catch_interrupts()

    # --- collecting -------------------------------------------------------------------------

    def v2_playbook_on_start(self, playbook: Any) -> None:
        name = getattr(playbook, "_file_name", None)
        if name:
            self._playbooks.append(_shown_path(name))

    def v2_playbook_on_play_start(self, play: Any) -> None:
        # A sliced run says which slice it is (-e golive_slice=2/3); AWX passes its job ids as extra vars too.
        try:
            self._slice = slice_of(play.get_variable_manager().extra_vars)
        except OptionError as exc:
            self._slice_problem = str(exc)
        except AttributeError:  # a play without a variable manager (not ansible-playbook)
            pass

    def v2_playbook_on_task_start(self, task: Any, is_conditional: bool) -> None:
        if str(getattr(task, "action", "") or "").startswith(COLLECTION_PREFIX):
            self._golive_started = True

    def v2_runner_on_ok(self, result: Any) -> None:
        if not self._unsupported:
            self._collect(result, failed=False)

    def v2_runner_on_failed(self, result: Any, ignore_errors: bool = False) -> None:
        if not self._unsupported:
            self._collect(result, failed=not ignore_errors)

    def v2_runner_on_unreachable(self, result: Any) -> None:
        if self._unsupported:
            return
        self._note_golive_task(result)
        host = result_host(result).get_name()
        self._unreachable[host] = dict(host=host, task=result.task_name, message=_failure_message(result_data(result)))

    def _note_golive_task(self, result: Any) -> None:
        # A run whose golive tasks all met unreachable hosts still deserves its (NO-GO) report.
        if str(getattr(result_task(result), "action", "") or "").startswith(COLLECTION_PREFIX):
            self._golive_ran = True

    def _collect(self, result: Any, failed: bool) -> None:
        self._note_golive_task(result)
        data = result_data(result)
        if isinstance(data.get("golive_gate"), Mapping):
            self._gate = data["golive_gate"]
            return
        if isinstance(data.get("golive_merged"), Mapping):
            self._merged = data["golive_merged"]
            return
        host = result_host(result).get_name()
        records = _tagged_records(data, host, result_task(result))
        if records is not None:
            self._records.extend(records)
        elif failed:
            failure = dict(host=host, task=result.task_name, message=_failure_message(data))
            details = _task_warnings(data)
            if details:
                failure["details"] = details
            self._failed_tasks.append(failure)

    # --- deciding ---------------------------------------------------------------------------

    def _decide(self, interrupted: str | None = None) -> dict:
        """The report's decision, decided here once: the verdict, its reasons and the waiver outcome.

        The gate hands over the run's policy, already validated (its waivers normalised, their expiry judged),
        and what it alone knows of the scope (hosts without results, hosts with an empty checklist, what the
        scope left unchecked); this callback adds what only it sees: every record, failed task and unreachable
        host of the run, and an interruption.
        """
        gate = self._gate or {}
        missing = {h["name"]: h.get("reason") for h in gate.get("hosts") or () if h.get("status") == "no_results"}
        unreachable = {h: u["message"] for h, u in self._unreachable.items()}
        for host in gate.get("hosts") or ():
            if host.get("status") == "unreachable":
                unreachable.setdefault(host["name"], host.get("reason"))
        # Results arrive in completion order; the report lists hosts in a stable, natural order.
        attested = [dict(record) for record in gate.get("attestations") or () if isinstance(record, Mapping)]
        records = sorted(self._records + attested, key=lambda record: host_sort_key(record["host"]))
        empty = [h["name"] for h in gate.get("hosts") or () if h.get("status") == "no_checks"]
        return decide(records, gate.get("waivers") or [], self._blocking_severities(gate), missing,
                      self._failed_tasks, unreachable=unreachable, scope_hosts=empty,
                      scope_problems=self._scope_problems(gate), interrupted=interrupted)

    def _scope_problems(self, gate: Mapping) -> list[str]:
        problems = list(gate.get("scope_problems") or ())
        return [*problems, self._slice_problem] if self._slice_problem else problems

    def _blocking_severities(self, gate: Mapping) -> list[str]:
        """The gate's blocking severities (an empty list means nothing blocks), else this callback's option."""
        if "blocking_severities" in gate:
            return gate["blocking_severities"]
        try:
            return normalise_severities(self.get_option("blocking_severities"))
        except OptionError as exc:
            self._warn(f"golive report: {exc}; using the default blocking severities")
            return list(DEFAULT_BLOCKING_SEVERITIES)

    def _signoff(self, verdict: str) -> dict:
        """The gate's approvers judged against the report's verdict (which also counts failed tasks)."""
        approvers = ((self._gate or {}).get("signoff") or {}).get("approvers") or []
        try:
            return evaluate_signoff(normalise_signoff(approvers), verdict)
        except OptionError as exc:
            self._warn(f"golive report: {exc}; the sign-off is left out")
            return evaluate_signoff([], verdict)

    def v2_playbook_on_stats(self, stats: Any) -> None:
        if self._unsupported and self._golive_started:
            self._refuse_unsupported()
        if self._unsupported:
            return
        if self._merged is not None:
            self._print_merged(self._merged)
            return
        if not (self._records or self._gate is not None or self._golive_ran):
            return
        self._report_holding_signals()

    def _report_holding_signals(self, interrupted: str | None = None) -> None:
        """_report_run, with SIGINT and SIGTERM passed on to ansible only once the report is published."""
        self._reporting = True
        try:
            self._report_run(interrupted)
        finally:
            self._reporting = False
            held, self._held_signal = self._held_signal, None
            if held:
                pass_signal_on(*held)

    def _report_run(self, interrupted: str | None = None) -> None:
        """Decide, publish every format and print the summary, once per run."""
        if self._reported:
            return
        self._reported = True
        finished = time.time()
        decision = self._decide(interrupted)
        report_dir = os.path.abspath(os.path.expanduser(self.get_option("report_dir")))
        document = self.report(decision, finished)
        paths = self._publish(report_dir, document, finished)
        self._print(document, paths)
        self._end_unpublished(report_dir)

    # --- interruption -----------------------------------------------------------------------

    def _catch_interrupts(self) -> None:
        """Chain a handler before ansible's own for SIGINT and SIGTERM, which would end the run without stats."""
        for signum in INTERRUPT_SIGNALS:
            try:
                previous = signal.getsignal(signum)
                signal.signal(signum, functools.partial(self._on_interrupt, previous))
            except (ValueError, OSError):  # not the main thread: signals cannot be caught from here
                return

    def _on_interrupt(self, previous: Any, signum: int, frame: Any) -> None:
        if self._reporting and self._held_signal is None:  # the report being written is this run's: it goes first
            self._held_signal = (previous, signum, frame)
            return
        if self._reporting or self._reported or self._interrupted is not None or not self._golive_run_started():
            pass_signal_on(previous, signum, frame)  # a second signal while reporting forces the way out
            return
        self._interrupted = signal.Signals(signum).name
        # The report first: ansible's handler then tells the workers (which end their connections, so the
        # modules stop what they started) and raises KeyboardInterrupt (SIGINT) or ends this process at
        # once by sending it SIGTERM again, with the default action, which any thread may receive.
        self._held_signal = (previous, signum, frame)
        self._report_holding_signals(interrupted=self._interrupted)

    def _golive_run_started(self) -> bool:
        return bool(self._records or self._gate is not None or self._golive_ran or self._golive_started)

    # --- report files -----------------------------------------------------------------------

    def _run_info(self, finished: float) -> dict:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = "unknown"
        return dict(
            started=_iso(self._started),
            finished=_iso(finished),
            duration_s=round(finished - self._started, 3),
            user=user,
            controller=socket.gethostname(),
            ansible_version=ANSIBLE_VERSION,
            collection_version=collection_version(),
            playbook=", ".join(self._playbooks) or None,
            inventory=[str(source) for source in context.CLIARGS.get("inventory") or ()],
            limit=context.CLIARGS.get("subset") or None,
            check_mode=bool(context.CLIARGS.get("check", False)),
        )

    def report(self, decision: Mapping, finished: float) -> dict:
        """The report document (report.json, see docs/report.schema.json) before history, files and notification."""
        unreachable = [dict(u) for u in self._unreachable.values()]
        listed = set(u["host"] for u in unreachable)
        unreachable += [dict(host=h["name"], task=None, message=h.get("reason") or "unreachable")
                        for h in decision["hosts"] if h["status"] == "unreachable" and h["name"] not in listed]
        document = decision_document(decision, _iso(finished), self._run_info(finished), unreachable,
                                     self._signoff(decision["verdict"]))
        document.update(incomplete=bool(decision["interrupted"]), interrupted=decision["interrupted"],
                        slice=self._slice, checklist=self._checklist(decision))
        return document

    def _checklist(self, decision: Mapping) -> dict:
        """What the slices of one sliced run share (see _report_merge.checklist_of)."""
        gate = self._gate or {}
        sections = selected_sections(context.CLIARGS.get("tags"), context.CLIARGS.get("skip_tags"))
        approvers = (gate.get("signoff") or {}).get("approvers") or []
        return checklist_of(sections, decision["blocking_severities"], gate.get("waivers") or [], approvers,
                            decision["checks"])

    def _print_merged(self, merged: Mapping) -> None:
        """The summary of a merge of slice reports (golive.readiness.merge_reports), from the report it published."""
        if not merged.get("report_json"):  # refused: the task's error says why, and nothing was published
            return
        try:
            document = json.loads(read_regular_file(merged["report_json"], MAX_REPORT_BYTES).decode("utf-8"))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            self._warn(f"golive report: cannot read the merged report back: {_error_text(exc)}")
            return
        self._print(document, list(merged.get("paths") or ()))

    def _formats(self) -> list[str]:
        history = self.get_option("history")
        formats, unknown = selected_formats(self.get_option("formats"), history)
        if unknown:
            self._warn(f"golive report: unknown report format{'' if len(unknown) == 1 else 's'} "
                       f"{', '.join(unknown)} ignored (known: {', '.join(FORMATS)})")
        return formats

    def _publish(self, report_dir: str, document: dict, finished: float) -> list[str]:
        """Add history, files and notification to the document and publish every format as one set; the paths.

        The set is written into this run's archive directory and made current in one step (see publish_run),
        so the top-level names always show one run's files. When it cannot be published, nothing of this run
        is left, the previous set stays current, the reason is kept for _end_unpublished and [] is returned.
        """
        history = self.get_option("history")
        formats = self._formats()
        document["history"] = self._history(report_dir, document) if history else history_of(None, document)
        document["files"] = dict((name, FORMAT_FILES[name]) for name in formats)
        document["archive"] = None
        try:
            archive = reserve_archive(report_dir, _stamp(finished))
        except (OSError, ValueError) as exc:
            return self._unpublished(report_dir, exc)
        if history:
            document["archive"] = archive
        document["notification"] = self._notify(report_dir, document)
        texts = self._render(document)
        # Without history only this run's set is kept: it is still published as a set, through latest.
        keep = self.get_option("history_keep") if history else 1
        try:
            publish_run(report_dir, dict((FORMAT_FILES[name], text) for name, text in texts.items()),
                        archive=archive, keep=keep if keep and keep > 0 else None, known_names=FORMAT_FILES.values())
        except (OSError, ValueError) as exc:
            self._release_archive(report_dir, archive)
            return self._unpublished(report_dir, exc)
        return [os.path.join(report_dir, FORMAT_FILES[name]) for name in _in_write_order(texts)]

    def _unpublished(self, report_dir: str, exc: BaseException) -> list[str]:
        self._publish_error = f"cannot write the report into {report_dir}: {_error_text(exc)}"
        return []

    def _end_unpublished(self, report_dir: str) -> None:
        """Say that this run's report was not written and end ansible-playbook with a non-zero exit code.

        A callback cannot set the exit code: PlaybookExecutor.run() has computed it before it sends
        v2_playbook_on_stats, and an exception a callback raises is turned into a warning. SystemExit is no
        Exception, so it passes send_callback() and the CLI's handlers, after PlaybookExecutor.run()'s
        cleanup, and becomes the exit code. Callbacks listed after this one do not get this run's stats.
        """
        if not self._publish_error:
            return
        try:
            previous = latest_archive(report_dir)
        except OSError:
            previous = None
        kept = f"the current report is still the previous run's ({previous})" if previous else \
            "no report is current"
        self._say(f"GOLIVE REPORT NOT WRITTEN: {self._publish_error}; {kept}", color=C.COLOR_ERROR)
        raise SystemExit(REPORT_NOT_WRITTEN_EXIT_CODE)

    def _refuse_unsupported(self) -> None:
        """No verdict and no report on an unsupported ansible-core: say why and exit non-zero (see _end_unpublished)."""
        self._say(f"GOLIVE VERDICT NOT GIVEN: {self._unsupported}", color=C.COLOR_ERROR)
        raise SystemExit(REPORT_NOT_WRITTEN_EXIT_CODE)

    def _history(self, report_dir: str, document: Mapping) -> dict:
        """What changed since the previous run; a previous report that cannot be compared counts as none."""
        try:
            return history_of(previous_document(report_dir), document, latest_archive(report_dir))
        except RefusedFile as exc:
            self._warn(f"golive report: the previous report {_error_text(exc)}; comparing with no previous report")
            return history_of(None, document)
        except Exception as exc:  # a damaged history must not cost this run its report
            self._warn(f"golive report: cannot compare with the previous report in {report_dir}: "
                       f"{type(exc).__name__}: {exc}")
            return history_of(None, document)

    @staticmethod
    def _release_archive(report_dir: str, archive: str | None) -> None:
        if archive:
            try:
                os.rmdir(os.path.join(report_dir, archive))
            except OSError:
                pass

    def _notify(self, report_dir: str, document: Mapping) -> dict:
        url = self.get_option("notify_url")
        files = document["files"]
        shown = next((files[name] for name in ("html", "markdown", "json", "junit", "prometheus") if name in files),
                     None)
        report_path = os.path.join(report_dir, shown) if shown else report_dir
        return notify(url, document, report_path, timeout=self.get_option("notify_timeout"),
                      retries=self.get_option("notify_retries"))

    def _render(self, document: dict) -> dict[str, str]:
        """{format: text}; a format whose renderer fails is left out (with a warning) and out of "files"."""
        while True:
            texts, broken = {}, []
            for name in document["files"]:
                try:
                    texts[name] = RENDERERS[name](document)
                except Exception as exc:  # a broken renderer must not cost the other formats
                    broken.append(name)
                    self._warn(f"golive report: cannot render the {name} report: {type(exc).__name__}: {exc}")
            if not broken:
                return texts
            for name in broken:
                del document["files"][name]

    # --- terminal summary -------------------------------------------------------------------

    def _say(self, text: object = "", color: str | None = None) -> None:
        """Print one line; whatever the text holds, it stays one line (see terminal_safe)."""
        # Keep the stdout of machine-readable stdout callbacks parseable.
        to_stderr = str(C.DEFAULT_STDOUT_CALLBACK).rsplit(".", 1)[-1] in ("json", "jsonl")
        self._display.display(terminal_safe(text), color=color if self._colour else None, stderr=to_stderr)

    def _warn(self, text: str) -> None:
        # Warnings quote paths, waivers and exceptions: printed as one line like the summary.
        self._display.warning(terminal_safe(text))

    def _say_lines(self, title: str, lines: list[str], color: str | None = None) -> None:
        if not lines:
            return
        self._say(title)
        for line in lines[:SHOWN_LINES]:
            self._say("  " + line, color=color)
        if len(lines) > SHOWN_LINES:
            self._say(f"  ... and {len(lines) - SHOWN_LINES} more (see the report)")

    def _print(self, document: Mapping, paths: list[str]) -> None:
        """The terminal summary, from the report document's fields like every other format."""
        verdict = document["verdict"]
        color = C.COLOR_ERROR if verdict == NO_GO else C.COLOR_OK if verdict == GO else C.COLOR_WARN
        counts = document["counts"]
        title = f"GOLIVE VERDICT: {verdict}"
        self._say()
        self._say(f"{title} {'*' * max(3, self._display.columns - len(title) - 1)}", color=color)
        self._say(f"{_plural(counts['total'], 'check')} on {_plural(len(document['hosts']), 'host')}: "
                  f"{count_text(counts['by_status'])}", color=color)
        self._print_signoff(document["signoff"])
        self._print_attestations(document.get("attestations") or {})
        self._say_lines("Blocking:", reason_lines(document["reasons"]), color=C.COLOR_ERROR)
        self._say_lines("Warnings:", problem_lines(document["warnings"], _waived_note), color=C.COLOR_WARN)
        self._print_history(document["history"])
        self._say_lines("Counts:", [f"{section}: {count_text(by_status)}"
                                    for section, by_status in sorted(counts["by_section"].items())])
        waited = [c for c in document["checks"] if rounds_text(c)]
        self._say_lines("Waited for (more than one round):",
                        [f"{c['host']} {c['id']}: {c['status']} after {rounds_text(c)}" for c in waited])
        self._print_waivers(document["waivers"])
        if self.get_option("show_passed"):
            self._say_lines("Passed:", [describe_check(c) for c in document["checks"] if c["status"] == "pass"],
                            color=C.COLOR_OK)
        self._print_notification(document["notification"])
        if paths:
            self._say(f"Report: {', '.join(_shown_path(p) for p in paths)}")
            if document.get("archive"):
                archive = os.path.join(os.path.dirname(paths[0]), document["archive"])
                self._say(f"Archived in {_shown_path(archive)} (latest)")

    def _print_signoff(self, signoff: Mapping) -> None:
        if not signoff.get("approvers"):
            return
        status = signoff["status"]
        color = C.COLOR_OK if status == SIGNOFF_SIGNED else C.COLOR_WARN if status == SIGNOFF_PENDING \
            else C.COLOR_ERROR
        self._say(f"Sign-off: {status}: {signoff['summary']}", color=color)
        for approver in signoff["approvers"]:
            line = f"  {approver['role']} ({approver['name']}): {approver['decision'] or 'pending'}"
            if approver.get("date"):
                line += f" on {approver['date']}"
            if approver.get("comment"):
                line += f" - {approver['comment']}"
            if not approver["accepted"]:
                line += f"  NOT ACCEPTED: {approver['note']}"
            elif approver.get("note"):
                line += f"  ({approver['note']})"
            self._say(line, color=C.COLOR_ERROR if not approver["accepted"] else None)

    def _print_attestations(self, attestations: Mapping) -> None:
        items = attestations.get("items") or ()
        if not items:
            return
        failing = any(item["status"] in ("fail", "error") and not item.get("waiver") for item in items)
        warning = any(item["status"] != "pass" for item in items)
        self._say(f"Attestations: {attestations_summary(attestations)}",
                  color=C.COLOR_ERROR if failing else C.COLOR_WARN if warning else C.COLOR_OK)
        for item in items[:SHOWN_LINES]:
            bad = item["status"] in ("fail", "error") and not item.get("waiver")
            self._say(f"  {attestation_line(item)}", color=C.COLOR_ERROR if bad else None)

    def _print_history(self, history: Mapping) -> None:
        previous = history.get("previous")
        if not previous:
            return
        regressions = len(history["regressions"])
        changes = [_plural(regressions, "regression")]
        changes += [f"{len(history[key])} {key}" for key in ("fixed", "new", "removed")]
        self._say(f"Since the previous run ({previous.get('verdict')}, {previous.get('generated_at')}): "
                  f"{', '.join(changes)}")
        for change in history["regressions"][:SHOWN_LINES]:
            self._say(f"  regressed: {_change_line(change)}", color=C.COLOR_ERROR)
        for change in history["fixed"][:SHOWN_LINES]:
            self._say(f"  fixed: {_change_line(change)}", color=C.COLOR_OK)

    def _print_notification(self, notification: Mapping) -> None:
        status = notification.get("status")
        if status == "not_configured":
            return
        self._say(f"Notification {status}: {notification.get('message')}",
                  color=C.COLOR_WARN if status != "sent" else None)

    def _print_waivers(self, waivers: Mapping) -> None:
        applied, expired, unused = waivers["applied"], waivers["expired"], waivers["unused"]
        if not (applied or expired or unused):
            return
        self._say(f"Waivers: {len(applied)} applied, {len(expired)} expired, {len(unused)} unused")
        for entry in waivers["critical"]:
            waived = ", ".join(f"{c['host']} {c['id']}" for c in entry["checks"][:SHOWN_LINES])
            self._say(f"  WAIVED A CRITICAL CHECK: {describe_waiver(entry['waiver'])} ({waived})", color=C.COLOR_WARN)
        for entry in applied[:SHOWN_LINES]:
            self._say(f"  applied to {entry['host']} {entry['id']}: {describe_waiver(entry['waiver'])}")
        for waiver in expired:
            self._say(f"  EXPIRED, not applied: {describe_waiver(waiver)}", color=C.COLOR_WARN)
        for waiver in unused:
            self._say(f"  unused (matches no problem): {describe_waiver(waiver)}")
