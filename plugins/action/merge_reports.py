# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin golive.readiness.merge_reports: one verdict and one report set from the reports of a sliced run."""

from __future__ import annotations

import datetime
import os
from collections.abc import Mapping

from ansible import constants as C
from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible.plugins.loader import callback_loader

from ansible_collections.golive.readiness.plugins.callback.report import (
    ARCHIVE_STAMP,
    FORMAT_FILES,
    RENDERERS,
    SCHEMA_VERSION,
    decision_document,
    selected_formats,
)
from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._terminal import one_line, printable_data
from ansible_collections.golive.readiness.plugins.module_utils._verdict import (
    NO_GO,
    describe_verdict,
    evaluate_signoff,
    normalise_flag,
)
from ansible_collections.golive.readiness.plugins.plugin_utils._notify import notify
from ansible_collections.golive.readiness.plugins.plugin_utils._report_history import (
    RefusedFile,
    history_of,
    latest_archive,
    previous_document,
    publish_run,
    reserve_archive,
)
from ansible_collections.golive.readiness.plugins.plugin_utils._report_merge import (
    MergeError,
    merged_run,
    parse_slice_count,
    read_slices,
)

REPORT_CALLBACK = "golive.readiness.report"
ARGUMENT_SPEC = dict(
    # Validated here so that messages name the option and the value.
    slices=dict(type="raw", required=True),
    slice_count=dict(type="raw"),
    expected_hosts=dict(type="list", elements="str", default=[]),
    report_dir=dict(type="path"),
    fail_on_nogo=dict(type="raw", default=True),
)


def report_options() -> dict:
    """The report callback's settings (ini, environment): the merge publishes as the callback would."""
    # Loading the class registers its options with the configuration, under the name it was loaded as.
    callback = callback_loader.get(REPORT_CALLBACK, class_only=True)
    return C.config.get_plugin_options("callback", callback._load_name)


def merged_document(merge, decision: Mapping) -> dict:
    """The merged report.json document, before history, files and notification: built like a run's."""
    newest = merge.newest.document
    approvers = newest["checklist"].get("signoff") or []
    unreachable = [dict(host=h["name"], task=None, message=h.get("reason") or "unreachable")
                   for h in decision["hosts"] if h["status"] == "unreachable"]
    checklist = dict(newest["checklist"], waivers=decision["waivers"])
    # The newest slice's time: the same slices give the same report (see README, Merging sliced runs).
    document = decision_document(decision, newest["generated_at"], merged_run(merge.reports), unreachable,
                                 evaluate_signoff(approvers, decision["verdict"]))
    # Incomplete: a missing slice or host, or a slice that is itself incomplete.
    incomplete = bool(merge.problems) or any(report.document.get("incomplete") for report in merge.reports)
    document.update(incomplete=incomplete, interrupted=None, slice=None, checklist=checklist, slices=merge.slices())
    return document


def publish(document: dict, options: Mapping, report_dir: str) -> tuple[list[str], str]:
    """Add history, files and notification to the document and publish every format as one set, as the report
    callback does; (the paths written, the archive). OSError when the set cannot be written."""
    history = bool(options["history"])
    # report.json is always written: the summary is printed from it.
    formats, _unknown = selected_formats(options["formats"], history=True)
    document["history"] = history_of(None, document)
    if history:
        try:
            document["history"] = history_of(previous_document(report_dir), document, latest_archive(report_dir))
        except (RefusedFile, ValueError):
            pass
    document["files"] = dict((name, FORMAT_FILES[name]) for name in formats)
    archive = reserve_archive(report_dir, datetime.datetime.now(datetime.timezone.utc).strftime(ARCHIVE_STAMP))
    document["archive"] = archive if history else None
    shown = next(FORMAT_FILES[name] for name in ("html", "markdown", "json") if name in formats)
    document["notification"] = notify(options["notify_url"], document, os.path.join(report_dir, shown),
                                      timeout=options["notify_timeout"], retries=options["notify_retries"])
    texts = dict((FORMAT_FILES[name], RENDERERS[name](document)) for name in formats)
    keep = int(options["history_keep"] or 0) if history else 1
    publish_run(report_dir, texts, archive=archive, keep=keep if keep > 0 else None,
                known_names=FORMAT_FILES.values())
    written = sorted(formats, key=list(FORMAT_FILES).index)
    return [os.path.join(report_dir, FORMAT_FILES[name]) for name in written], archive


def _refused(result: dict, message: str) -> dict:
    result.update(failed=True, msg=one_line(message), golive_merged=dict(verdict=None))
    return result


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        if self._task.args.get("slices") in (None, "", []):
            return _refused(result, "merge_reports: slices: required: the slice reports, a directory or a list "
                                    "(-e golive_slices=... with the golive.readiness.merge_reports playbook)")
        try:
            _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
            count = None if args["slice_count"] in (None, "") else parse_slice_count(args["slice_count"], "slice_count")
            fail_on_nogo = normalise_flag(args["fail_on_nogo"], "fail_on_nogo")
            merge = read_slices(args["slices"], SCHEMA_VERSION, count, args["expected_hosts"])
        except (AnsibleActionFail, OptionError, MergeError) as exc:
            return _refused(result, f"merge_reports: {exc}")
        decision = merge.decide()
        document = merged_document(merge, decision)
        options = report_options()
        report_dir = os.path.abspath(os.path.expanduser(args["report_dir"] or options["report_dir"]))
        try:
            paths, archive = publish(document, options, report_dir)
        except (OSError, ValueError) as exc:
            return _refused(result, f"merge_reports: cannot write the merged report into {report_dir}: {exc}")
        message = f"{describe_verdict(decision)} ({len(merge.reports)} of {merge.count} slices merged)"
        # Ansible prints a failed result whole: texts from checked systems are escaped, as the gate's are.
        result.update(changed=True, msg=one_line(message), golive_merged=printable_data(dict(
            verdict=decision["verdict"], slices=len(merge.reports), slice_count=merge.count,
            reasons=[reason["text"] for reason in decision["reasons"]], paths=paths,
            report_json=os.path.join(report_dir, archive, FORMAT_FILES["json"]))))
        if decision["verdict"] == NO_GO and fail_on_nogo:
            result["failed"] = True
        return result
