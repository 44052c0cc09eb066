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
    rules as M(golive.readiness.gate), prints a summary, and writes C(report.json) and
    C(junit.xml) into O(report_dir).
  - When the run has a M(golive.readiness.gate) task, its waivers and blocking severities are
    used, so the report and the gate agree.
  - A run without any task of this collection (called by its C(golive.readiness.) name) and
    without check results (an unrelated playbook) prints and writes nothing.
  - Records are already masked by the checks; task arguments are never written.
author: golive.readiness contributors (@golive-readiness)
requirements:
  - Enable it in C(callbacks_enabled) (the repository's C(ansible.cfg) does).
options:
  report_dir:
    description:
      - Directory the report files are written to, created when missing. A relative path is
        relative to the current directory.
      - Files are replaced atomically, so a reader never sees half a report.
    type: str
    default: golive-report
    ini:
      - section: golive_report
        key: report_dir
    env:
      - name: GOLIVE_REPORT_DIR
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
import getpass
import json
import os
import socket
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Mapping

import yaml
from ansible import constants as C
from ansible import context
from ansible.plugins.callback import CallbackBase
from ansible.release import __version__ as ANSIBLE_VERSION

from ansible_collections.golive.readiness.plugins.module_utils._check import STATUSES, OptionError
from ansible_collections.golive.readiness.plugins.module_utils._registry import KINDS
from ansible_collections.golive.readiness.plugins.module_utils._verdict import (
    GO,
    NO_GO,
    PROBLEM_STATUSES,
    blocking_lines,
    decide,
    describe_check,
    describe_waiver,
    host_sort_key,
    records_of_result,
    short_message,
    tag_record,
)

# Loaded here, in the parent process, for speed: every per-host worker forked after this inherits the
# kinds the roles' checks_of filter validates with, instead of importing them once per host and task.
KINDS.load_all()

SCHEMA_VERSION = 1
# Lines per list in the terminal summary; report.json always has everything.
SHOWN_LINES = 20
COLLECTION_PREFIX = "golive.readiness."
ITEM_FIELDS = ("host", "id", "title", "section", "status", "severity", "summary")
COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _iso(timestamp):
    moment = datetime.datetime.fromtimestamp(timestamp, tz=datetime.timezone.utc)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _failure_message(data):
    message = data.get("msg") or data.get("message") or data.get("stderr") or data.get("reason")
    if not message and data.get("censored"):
        message = data["censored"]
    return short_message(message or "failed")


def collection_version(root=COLLECTION_ROOT):
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


def _umask():
    current = os.umask(0)
    os.umask(current)
    return current


def write_atomic(path, text):
    """Write a file so readers see the old or the new content, never a part (temp file + os.replace)."""
    directory = os.path.dirname(path) or "."
    handle, temp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temp, 0o666 & ~_umask())
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def repeated_problems(checks):
    """[(id, status, [hosts])] for problems that several hosts share, in first-seen order."""
    groups = {}
    for check in checks:
        if check["status"] in PROBLEM_STATUSES:
            hosts = groups.setdefault((check.get("id"), check["status"]), [])
            if check["host"] not in hosts:
                hosts.append(check["host"])
    return [(check_id, status, hosts) for (check_id, status), hosts in groups.items() if len(hosts) > 1]


def _item(check):
    """A blocking or warning entry: the record's identity and verdict, not its measurements."""
    item = dict((key, check.get(key)) for key in ITEM_FIELDS)
    for key in ("probe", "waiver"):
        if check.get(key):
            item[key] = check[key]
    return item


def _shown_path(path):
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def _waived_text(waiver):
    return "waived: %s (%s, until %s)" % (waiver["reason"], waiver["owner"], waiver["expires"])


def _count_text(counts):
    return ", ".join("%d %s" % (counts[status], status) for status in STATUSES if counts.get(status)) or "none"


class JUnitReport(object):
    """junit.xml: a testsuite per section, a testcase per host and check, plus hosts and failed tasks."""

    def __init__(self, decision):
        self.decision = decision
        self.root = ET.Element("testsuites", name="golive readiness")

    def build(self):
        sections = {}
        for check in self.decision["checks"]:
            sections.setdefault(str(check.get("section") or "unknown"), []).append(check)
        for section, checks in sections.items():
            suite = self._suite(section)
            for check in checks:
                self._check_case(suite, section, check)
        troubled = [host for host in self.decision["hosts"] if host["status"] != "ok"]
        if troubled:
            suite = self._suite("hosts")
            for host in troubled:
                case = self._case(suite, "hosts.%s" % host["name"], "%s has check results" % host["name"], 0)
                ET.SubElement(case, "error", message="%s: %s" % (host["status"], host.get("reason") or ""),
                              type=host["status"])
        if self.decision["failed_tasks"]:
            suite = self._suite("tasks")
            for task in self.decision["failed_tasks"]:
                case = self._case(suite, "tasks.%s" % task.get("host"), str(task.get("task")), 0)
                ET.SubElement(case, "error", message=str(task.get("message")), type="failed_task")
        self._totals(self.root, self.root.findall("testsuite"))
        return self.root

    def _suite(self, name):
        return ET.SubElement(self.root, "testsuite", name=name)

    @staticmethod
    def _case(suite, classname, name, duration_ms):
        return ET.SubElement(suite, "testcase", classname=classname, name=name,
                             time="%.3f" % (float(duration_ms or 0) / 1000.0))

    def _check_case(self, suite, section, check):
        status = check["status"]
        case = self._case(suite, "%s.%s" % (section, check["host"]),
                          "%s - %s" % (check.get("id"), check.get("title")), check.get("duration_ms"))
        waiver = check.get("waiver")
        summary = str(check.get("summary") or "")
        if waiver and status in ("fail", "error"):
            ET.SubElement(case, "skipped", message=_waived_text(waiver))
        elif status == "fail":
            ET.SubElement(case, "failure", message=summary, type=str(check.get("severity"))).text = self._detail(check)
        elif status == "error":
            ET.SubElement(case, "error", message=summary, type=str(check.get("severity"))).text = self._detail(check)
        elif status == "skipped":
            ET.SubElement(case, "skipped", message=summary)
        elif status == "warn":
            note = " (%s)" % _waived_text(waiver) if waiver else ""
            ET.SubElement(case, "system-out").text = "warn: %s%s" % (summary, note)

    @staticmethod
    def _detail(check):
        return "severity: %s\nobserved: %s\nexpected: %s" % (
            check.get("severity"), json.dumps(check.get("observed") or {}, sort_keys=True, default=str),
            json.dumps(check.get("expected") or {}, sort_keys=True, default=str))

    def _totals(self, element, suites):
        totals = dict(tests=0, failures=0, errors=0, skipped=0, time=0.0)
        for suite in suites:
            cases = suite.findall("testcase")
            counts = dict(
                tests=len(cases),
                failures=sum(1 for c in cases if c.find("failure") is not None),
                errors=sum(1 for c in cases if c.find("error") is not None),
                skipped=sum(1 for c in cases if c.find("skipped") is not None),
                time=sum(float(c.get("time")) for c in cases),
            )
            self._set_counts(suite, counts)
            for key in totals:
                totals[key] += counts[key]
        self._set_counts(element, totals)

    @staticmethod
    def _set_counts(element, counts):
        for key in ("tests", "failures", "errors", "skipped"):
            element.set(key, str(counts[key]))
        element.set("time", "%.3f" % counts["time"])

    def text(self):
        tree = self.build()
        ET.indent(tree)
        return ET.tostring(tree, encoding="unicode", xml_declaration=True) + "\n"


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "golive.readiness.report"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, display=None):
        super(CallbackModule, self).__init__(display=display)
        self._started = time.time()
        self._playbooks = []
        self._records = []
        self._gate = None
        self._failed_tasks = []
        self._unreachable = {}
        self._golive_ran = False

    # --- collecting -------------------------------------------------------------------------

    def v2_playbook_on_start(self, playbook):
        name = getattr(playbook, "_file_name", None)
        if name:
            self._playbooks.append(_shown_path(name))

    def v2_runner_on_ok(self, result):
        self._collect(result, failed=False)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._collect(result, failed=not ignore_errors)

    def v2_runner_on_unreachable(self, result):
        self._note_golive_task(result)
        host = result.host.get_name()
        self._unreachable[host] = dict(host=host, task=result.task_name, message=_failure_message(result.result))

    def _note_golive_task(self, result):
        # A run whose golive tasks all met unreachable hosts still deserves its (NO-GO) report.
        if str(getattr(result.task, "action", "") or "").startswith(COLLECTION_PREFIX):
            self._golive_ran = True

    def _collect(self, result, failed):
        self._note_golive_task(result)
        data = result.result
        if isinstance(data.get("golive_gate"), Mapping):
            self._gate = data["golive_gate"]
            return
        records = records_of_result(data)
        host = result.host.get_name()
        if records is not None:
            delegated = (data.get("_ansible_delegated_vars") or {}).get("ansible_delegated_host")
            self._records.extend(tag_record(record, host, delegated) for record in records)
        elif failed:
            self._failed_tasks.append(dict(host=host, task=result.task_name, message=_failure_message(data)))

    # --- deciding ---------------------------------------------------------------------------

    def _decide(self):
        gate = self._gate or {}
        waivers = gate.get("waivers") or []
        # An empty list from the gate means nothing blocks; only a missing gate falls back to the option.
        severities = gate["blocking_severities"] if "blocking_severities" in gate \
            else self.get_option("blocking_severities")
        missing = dict((h["name"], h.get("reason")) for h in gate.get("hosts") or () if h.get("status") == "no_results")
        unreachable = dict((h, u["message"]) for h, u in self._unreachable.items())
        for host in gate.get("hosts") or ():
            if host.get("status") == "unreachable":
                unreachable.setdefault(host["name"], host.get("reason"))
        # Results arrive in completion order; the report lists hosts in a stable, natural order.
        records = sorted(self._records, key=lambda record: host_sort_key(record["host"]))
        try:
            return decide(records, waivers, severities, missing, self._failed_tasks, unreachable=unreachable)
        except OptionError as exc:
            self._display.warning("golive report: %s; using no waivers and the default blocking severities" % exc)
            return decide(records, (), None, missing, self._failed_tasks, unreachable=unreachable)

    def v2_playbook_on_stats(self, stats):
        if not (self._records or self._gate is not None or self._golive_ran):
            return
        finished = time.time()
        decision = self._decide()
        report_dir = os.path.abspath(os.path.expanduser(self.get_option("report_dir")))
        paths = self._write(report_dir, decision, finished)
        self._print(decision, paths)

    # --- report files -----------------------------------------------------------------------

    def _run_info(self, finished):
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

    def report(self, decision, finished):
        """The report.json document (see docs/report.schema.json)."""
        unreachable = [dict(u) for u in self._unreachable.values()]
        listed = set(u["host"] for u in unreachable)
        unreachable += [dict(host=h["name"], task=None, message=h.get("reason") or "unreachable")
                        for h in decision["hosts"] if h["status"] == "unreachable" and h["name"] not in listed]
        return {
            "schema_version": SCHEMA_VERSION,
            "verdict": decision["verdict"],
            "generated_at": _iso(finished),
            "run": self._run_info(finished),
            "blocking_severities": decision["blocking_severities"],
            "counts": decision["counts"],
            "hosts": decision["hosts"],
            "checks": decision["checks"],
            "blocking": [_item(check) for check in decision["blocking"]],
            "warnings": [_item(check) for check in decision["warnings"]],
            "waivers": {
                "applied": decision["applied_waivers"],
                "expired": decision["expired_waivers"],
                "unused": decision["unused_waivers"],
            },
            "failed_tasks": decision["failed_tasks"],
            "unreachable": unreachable,
        }

    def _write(self, report_dir, decision, finished):
        paths = [os.path.join(report_dir, "report.json"), os.path.join(report_dir, "junit.xml")]
        try:
            os.makedirs(report_dir, exist_ok=True)
            write_atomic(paths[0], json.dumps(self.report(decision, finished), indent=2, default=str) + "\n")
            write_atomic(paths[1], JUnitReport(decision).text())
        except OSError as exc:
            self._display.warning("golive report: cannot write the report into %s: %s" % (report_dir, exc))
            return []
        return paths

    # --- terminal summary -------------------------------------------------------------------

    def _say(self, text="", color=None):
        # Keep the stdout of machine-readable stdout callbacks parseable.
        to_stderr = str(C.DEFAULT_STDOUT_CALLBACK).rsplit(".", 1)[-1] in ("json", "jsonl")
        self._display.display(text, color=color, stderr=to_stderr)

    def _say_lines(self, title, lines, color=None):
        if not lines:
            return
        self._say(title)
        for line in lines[:SHOWN_LINES]:
            self._say("  " + line, color=color)
        if len(lines) > SHOWN_LINES:
            self._say("  ... and %d more (see report.json)" % (len(lines) - SHOWN_LINES))

    def _print(self, decision, paths):
        verdict = decision["verdict"]
        color = C.COLOR_ERROR if verdict == NO_GO else C.COLOR_OK if verdict == GO else C.COLOR_WARN
        counts = decision["counts"]
        title = "GOLIVE VERDICT: %s" % verdict
        self._say("\n%s %s" % (title, "*" * max(3, self._display.columns - len(title) - 1)), color=color)
        self._say("%d checks on %d hosts: %s" % (counts["total"], len(decision["hosts"]),
                                                 _count_text(counts["by_status"])), color=color)
        self._say_lines("Blocking:", blocking_lines(decision), color=C.COLOR_ERROR)
        warnings = [describe_check(c) + (" (%s)" % _waived_text(c["waiver"]) if "waiver" in c else "")
                    for c in decision["warnings"]]
        self._say_lines("Warnings:", warnings, color=C.COLOR_WARN)
        repeated = ["%s %s on %d hosts: %s" % (check_id, status, len(hosts), ", ".join(hosts))
                    for check_id, status, hosts in repeated_problems(decision["checks"])]
        self._say_lines("Same problem on several hosts:", repeated)
        self._say_lines("Counts:", ["%s: %s" % (section, _count_text(by_status))
                                    for section, by_status in sorted(counts["by_section"].items())])
        self._print_waivers(decision)
        if self.get_option("show_passed"):
            self._say_lines("Passed:", [describe_check(c) for c in decision["checks"] if c["status"] == "pass"],
                            color=C.COLOR_OK)
        if paths:
            self._say("Report: %s" % ", ".join(_shown_path(p) for p in paths))

    def _print_waivers(self, decision):
        applied, expired, unused = (decision["applied_waivers"], decision["expired_waivers"],
                                    decision["unused_waivers"])
        if not (applied or expired or unused):
            return
        self._say("Waivers: %d applied, %d expired, %d unused" % (len(applied), len(expired), len(unused)))
        for entry in applied[:SHOWN_LINES]:
            self._say("  applied to %s %s: %s" % (entry["host"], entry["id"], describe_waiver(entry["waiver"])))
        for waiver in expired:
            self._say("  EXPIRED, not applied: %s" % describe_waiver(waiver), color=C.COLOR_WARN)
        for waiver in unused:
            self._say("  unused (matches no problem): %s" % describe_waiver(waiver))
