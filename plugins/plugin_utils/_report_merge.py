# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sliced runs: what a report says of its slice and checklist; N slice reports merged into one (private)."""

from __future__ import annotations

import datetime
import glob
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._verdict import (
    SIGNOFF_KEYS,
    WAIVER_KEYS,
    decide,
    host_sort_key,
    hosts_text,
    interrupted_text,
    scoped_waivers,
)
from ansible_collections.golive.readiness.plugins.plugin_utils._attestations import CONTROLLER, is_attestation
from ansible_collections.golive.readiness.plugins.plugin_utils._report_history import (
    MAX_REPORT_BYTES,
    read_regular_file,
)

# The extra variable a sliced run declares itself with: "2/3" (slice 2 of 3).
SLICE_VARIABLE = "golive_slice"
# What AWX (and Tower before it) passes to every job as extra variables; AWX passes no slice number or count.
CONTROLLER_VARIABLES = (("job_id", ("awx_job_id", "tower_job_id")),
                        ("workflow_job_id", ("awx_workflow_job_id", "tower_workflow_job_id")))
# The parts of the checklist every slice of one run must share; the fingerprint is computed from them.
FINGERPRINT_PARTS = ("sections", "blocking_severities", "fleet_waivers", "signoff", "attestations")
PART_NAMES = dict(sections="sections selected (--tags/--skip-tags)", blocking_severities="blocking severities",
                  fleet_waivers="fleet-wide waivers (golive_waivers every host carries)",
                  signoff="sign-off approvers (golive_signoff)",
                  attestations="required attestations (golive_attestations_required)")
# What identifies a required attestation in the fingerprint: its item, not what was attested by when.
ATTESTATION_PARTS = ("id", "title", "severity", "section", "expected")
# Fields decide() adds to each record; a slice's records are decided again without them.
DECIDED_FIELDS = ("blocking", "waiver")
MAX_SLICES = 10000
# All slice reports together: each is decoded whole and kept until the merge is written (a decoded report
# takes several times its size in memory).
MAX_MERGED_BYTES = 512 * 1024 * 1024


class MergeError(ValueError):
    """Slice reports that cannot be merged into one verdict; the message names the file(s) and why."""


# --- what a slice's own report says -------------------------------------------------------------------


def _whole_number(value: object, where: str) -> int:
    if isinstance(value, bool):
        raise OptionError(f"{where}: {value!r} is not a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise OptionError(f"{where}: {value!r} is not a whole number")


def parse_slice_count(value: object, where: str = "golive_slice_count") -> int:
    """How many slices a run was cut into: a whole number from 1 to MAX_SLICES."""
    count = _whole_number(value, where)
    if not 1 <= count <= MAX_SLICES:
        raise OptionError(f"{where}: {count} is out of range (allowed: 1 to {MAX_SLICES})")
    return count


def parse_slice(value: object, where: str = SLICE_VARIABLE) -> dict:
    """{"number": k, "count": N} from 'k/N' (or a dict with number and count); OptionError names the variable."""
    if isinstance(value, Mapping):
        number, count = value.get("number"), value.get("count")
    elif isinstance(value, str) and value.count("/") == 1:
        number, count = value.split("/")
    else:
        raise OptionError(f"{where}: {value!r} is not a slice: write it as 'k/N', e.g. '2/3' for slice 2 of 3")
    count = parse_slice_count(count, f"{where} (count)")
    number = _whole_number(number, f"{where} (number)")
    if not 1 <= number <= count:
        raise OptionError(f"{where}: slice {number} of {count} does not exist (slices are numbered 1 to {count})")
    return dict(number=number, count=count)


def _controller_ids(extra_vars: Mapping) -> dict:
    ids = {}
    for key, names in CONTROLLER_VARIABLES:
        value = next((extra_vars[name] for name in names if extra_vars.get(name) not in (None, "")), None)
        ids[key] = None if value is None else str(value)
    return ids


def slice_of(extra_vars: Mapping) -> dict | None:
    """The report's "slice": golive_slice's number and count, and AWX's job and workflow job ids; None when the
    run says nothing of either. Raises OptionError for a golive_slice that is not 'k/N'."""
    ids = _controller_ids(extra_vars)
    declared = extra_vars.get(SLICE_VARIABLE)
    if declared in (None, "") and not any(ids.values()):
        return None
    numbered = parse_slice(declared) if declared not in (None, "") else dict(number=None, count=None)
    return dict(numbered, **ids)


def _canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def checklist_of(sections: Iterable[str], blocking_severities: Iterable[str], waivers: Iterable[Mapping],
                 approvers: Iterable[Mapping], checks: Iterable[Mapping] = ()) -> dict:
    """The report's "checklist": what every slice of one run shares, and its fingerprint.

    Each host's own checks differ from host to host, so they cannot identify a run. What defines GO for the
    whole release does: the sections selected, the blocking severities, the waivers every host carries
    (fleet-wide: in group all or -e), the sign-off approvers and the required attestations (read from the
    attestation records among ``checks``). ``waivers`` keeps every waiver (the host-scoped ones too, which
    differ between slices and are merged, not compared).
    """
    waivers = [dict(waiver) for waiver in waivers]
    shared = dict(
        sections=sorted(str(section) for section in sections),
        blocking_severities=[str(severity) for severity in blocking_severities],
        fleet_waivers=sorted((dict((key, w.get(key)) for key in WAIVER_KEYS) for w in waivers
                              if w.get("applies_to") is None), key=_canonical),
        signoff=[dict((key, a.get(key)) for key in SIGNOFF_KEYS) for a in approvers],
        attestations=[dict((key, c.get(key)) for key in ATTESTATION_PARTS) for c in checks
                      if is_attestation(c) and (c.get("expected") or {}).get("required", True)],
    )
    fingerprint = hashlib.sha256(_canonical(shared).encode("utf-8")).hexdigest()
    return dict(shared, fingerprint=f"sha256:{fingerprint}", waivers=waivers)


# --- reading the slices ---------------------------------------------------------------------------------


def slice_paths(sources: object) -> list[str]:
    """The report files named by ``sources``: a path or list of paths, each a report.json (or a report
    directory holding one) or a directory of slice report directories (each ``<dir>/*/report.json``)."""
    if isinstance(sources, str):
        sources = [sources]
    if not isinstance(sources, (list, tuple)) or not sources:
        raise OptionError(f"slices: must be a directory or a non-empty list of slice reports, got {sources!r}")
    paths = []
    for source in sources:
        if not isinstance(source, str) or not source.strip():
            raise OptionError(f"slices: {source!r} is not a path")
        paths += _paths_of(source.strip())
    return paths


def _paths_of(source: str) -> list[str]:
    if not os.path.isdir(source):
        return [source]
    own = os.path.join(source, "report.json")
    if os.path.exists(own):
        return [own]
    found = sorted(glob.glob(os.path.join(glob.escape(source), "*", "report.json")))
    if not found:
        raise OptionError(f"slices: {source} is a directory without slice reports (no report.json in it "
                          "nor in any directory under it)")
    return found


@dataclass
class SliceReport:
    """One slice's report.json, read and checked."""

    path: str
    document: dict = field(default_factory=dict)

    @property
    def slice(self) -> dict:
        return self.document.get("slice") or dict(number=None, count=None, job_id=None, workflow_job_id=None)

    @property
    def label(self) -> str:
        number, count = self.slice.get("number"), self.slice.get("count")
        return f"slice {number} of {count} ({self.path})" if number else f"slice report {self.path}"

    @property
    def host_names(self) -> list[str]:
        """The hosts this slice checked; not the controller when only its attestations are about it (every slice
        has them: they are the run's, not a slice's)."""
        controller_only = _attestations_only(self.document)
        return [str(host["name"]) for host in self.document.get("hosts") or ()
                if isinstance(host, Mapping) and not (controller_only and host.get("name") == CONTROLLER)]


def _attestations_only(document: Mapping) -> bool:
    """Whether every record about the controller is an attestation (and there is one)."""
    about = [check for check in document.get("checks") or () if check.get("host") == CONTROLLER]
    return bool(about) and all(is_attestation(check) for check in about)


def read_slice(path: str, schema_version: int) -> SliceReport:
    """A slice report read whole (a regular file, at most MAX_REPORT_BYTES; a top-level link is followed)
    and checked: a golive report of ``schema_version`` that carries its checklist."""
    try:
        content = read_regular_file(os.path.realpath(path), MAX_REPORT_BYTES)
    except OSError as exc:
        raise MergeError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    try:
        document = json.loads(content.decode("utf-8"))
    except ValueError as exc:
        raise MergeError(f"{path}: is not JSON ({exc})") from None
    if not (isinstance(document, dict) and isinstance(document.get("verdict"), str)
            and isinstance(document.get("checks"), list) and isinstance(document.get("hosts"), list)):
        raise MergeError(f"{path}: is not a golive report (no verdict, checks and hosts)")
    version = document.get("schema_version", 1)
    if version != schema_version:
        raise MergeError(f"{path}: schema version {version!r}, but this release merges version {schema_version} "
                         "reports only: run every slice with the same release of golive.readiness")
    if not isinstance(document.get("checklist"), Mapping) or not document["checklist"].get("fingerprint"):
        raise MergeError(f"{path}: has no checklist fingerprint (written by an older release): slices can only "
                         "be merged when each report says which checklist it ran")
    return SliceReport(path, document)


def _differing_parts(first: Mapping, other: Mapping) -> list[str]:
    return [PART_NAMES[part] for part in FINGERPRINT_PARTS
            if _canonical(first.get(part)) != _canonical(other.get(part))]


def require_one_checklist(reports: list[SliceReport]) -> None:
    """Refuse slices of different checklists, naming both files and what differs."""
    first = reports[0]
    for other in reports[1:]:
        if other.document["checklist"]["fingerprint"] != first.document["checklist"]["fingerprint"]:
            parts = _differing_parts(first.document["checklist"], other.document["checklist"]) or ["fingerprint"]
            raise MergeError(f"{other.path}: ran another checklist than {first.path} ({', '.join(parts)} differ): "
                             "slices of one run must share sections, blocking severities, fleet-wide waivers "
                             "and sign-off")


def require_distinct_hosts(reports: list[SliceReport]) -> None:
    """Refuse a host reported by two slices: a merged verdict counts each host once."""
    seen: dict[str, str] = {}
    for report in reports:
        for host in report.host_names:
            if host in seen:
                raise MergeError(f"{report.path}: host {host} is also in {seen[host]}: slices must not overlap "
                                 "(each host in exactly one slice)")
            seen[host] = report.path


def _same_or_error(reports: list[SliceReport], key: str, what: str) -> None:
    values = {}
    for report in reports:
        value = report.slice.get(key)
        if value is not None:
            values.setdefault(value, report.path)
    if len(values) > 1:
        named = ", ".join(f"{path} ({value})" for value, path in values.items())
        raise MergeError(f"slices of different runs: their {what} differ: {named}")


def _numbered(reports: list[SliceReport]) -> bool:
    numbered = [report for report in reports if report.slice.get("number")]
    if numbered and len(numbered) != len(reports):
        unnumbered = next(report for report in reports if not report.slice.get("number"))
        raise MergeError(f"{unnumbered.path}: says no slice number ({SLICE_VARIABLE}) while {numbered[0].path} "
                         f"does: either every slice of a run is run with -e {SLICE_VARIABLE}=k/N or none is")
    return bool(numbered)


def slice_count_of(reports: list[SliceReport], declared: int | None) -> int:
    """How many slices the run has: as declared to the merge, or as the slices say (k/N); they must agree."""
    counts = {}
    for report in reports:
        if report.slice.get("count"):
            counts.setdefault(report.slice["count"], report.path)
    if len(counts) > 1:
        named = ", ".join(f"{path} says {count}" for count, path in counts.items())
        raise MergeError(f"the slices disagree on how many slices there are: {named}")
    said = next(iter(counts), None)
    if declared is not None and said is not None and declared != said:
        raise MergeError(f"slice_count is {declared}, but {counts[said]} is one of {said} slices")
    count = declared if declared is not None else said
    if count is None:
        raise MergeError("slice_count: required: say how many slices the run has (golive_slice_count; the slice "
                         f"reports do not say, they were not run with -e {SLICE_VARIABLE}=k/N)")
    return count


def missing_slices(reports: list[SliceReport], count: int, absent: list[str]) -> list[str]:
    """One NO-GO reason per slice without a report: by number when the slices are numbered."""
    problems = [f"slice report {path} is missing: a missing slice leaves its hosts unchecked" for path in absent]
    if _numbered(reports):
        by_number: dict[int, str] = {}
        for report in reports:
            number = report.slice["number"]
            if number in by_number:
                raise MergeError(f"{report.path}: is slice {number} of {count}, and so is {by_number[number]}")
            by_number[number] = report.path
        return problems + [f"slice {number} of {count} is missing: no report for it, its hosts are unchecked"
                           for number in range(1, count + 1) if number not in by_number]
    if len(reports) + len(absent) > count:
        raise MergeError(f"{len(reports) + len(absent)} slice reports for {count} slices: say how many slices there "
                         "are (golive_slice_count), or leave out reports of another run")
    left = count - len(reports) - len(absent)
    if left > 0:
        return [*problems, f"{left} of {count} slices missing: {len(reports)} slice reports given, "
                           "the missing slices' hosts are unchecked"]
    return problems


def _decided_again(check: Mapping) -> dict:
    return dict((key, value) for key, value in check.items() if key not in DECIDED_FIELDS)


def _merged_waivers(reports: list[SliceReport]) -> list[dict]:
    """Fleet-wide waivers once, host-scoped ones with the hosts of every slice that carries them."""
    fleet, by_host = [], []
    for report in reports:
        for waiver in report.document["checklist"].get("waivers") or ():
            if waiver.get("applies_to") is None:
                fleet.append(dict(waiver))
            else:
                by_host.append((list(waiver["applies_to"]), [dict(waiver, applies_to=None)]))
    return scoped_waivers(fleet, by_host)


def _judged_on(waivers: list[dict], day: datetime.date) -> list[dict]:
    # A waiver holds through its expiry day; the merge judges every waiver on the day of its newest slice.
    return [dict(waiver, expired=datetime.date.fromisoformat(str(waiver["expires"])) < day) for waiver in waivers]


def _slice_problems(report: SliceReport) -> list[str]:
    document = report.document
    problems = [f"{report.label}: {problem}" for problem in document.get("scope_problems") or ()]
    if document.get("interrupted"):
        problems.append(f"{report.label}: {interrupted_text(document['interrupted'])}")
    elif document.get("incomplete"):
        problems.append(f"{report.label}: the slice's report is incomplete")
    return problems


def _unchecked_hosts(reports: list[SliceReport], expected_hosts: Iterable[str]) -> list[str]:
    covered = {host for report in reports for host in report.host_names}
    unchecked = sorted({str(h) for h in expected_hosts} - covered, key=host_sort_key)
    if not unchecked:
        return []
    return [f"{hosts_text(unchecked)}: in the inventory but in no slice report ({len(unchecked)} "
            f"host{'' if len(unchecked) == 1 else 's'} unchecked)"]


@dataclass
class Merge:
    """N slice reports read and checked, ready to be decided as one run."""

    reports: list[SliceReport]
    count: int
    problems: list[str]

    @property
    def newest(self) -> SliceReport:
        return max(self.reports, key=lambda report: str(report.document.get("generated_at")))

    def decide(self) -> dict:
        """The merged decision: the slices' records, hosts and failed tasks decided once, with their policy."""
        documents = [report.document for report in self.reports]
        hosts = [host for document in documents for host in document["hosts"]]
        day = datetime.date.fromisoformat(str(self.newest.document["generated_at"])[:10])
        first = documents[0]["checklist"]
        return decide(
            sorted(self._records(), key=lambda c: host_sort_key(c["host"])),
            _judged_on(_merged_waivers(self.reports), day), first["blocking_severities"],
            hosts_without_results=dict((h["name"], h.get("reason")) for h in hosts if h.get("status") == "no_results"),
            failed_tasks=[task for document in documents for task in document.get("failed_tasks") or ()],
            today=day,
            unreachable=dict((h["name"], h.get("reason")) for h in hosts if h.get("status") == "unreachable"),
            scope_hosts=[h["name"] for h in hosts if h.get("status") == "no_checks"],
            scope_problems=self.problems + [p for report in self.reports for p in _slice_problems(report)],
        )

    def _records(self) -> list[dict]:
        """Every slice's check records, and the run's attestations once: the newest slice's, graded last (every
        slice grades the same required items, the fingerprint says so)."""
        records = [_decided_again(c) for report in self.reports for c in report.document["checks"]
                   if not is_attestation(c)]
        return records + [_decided_again(c) for c in self.newest.document["checks"] if is_attestation(c)]

    def slices(self) -> dict:
        """The merged report's "slices": how many, each report's identity and verdict, which are missing."""
        return dict(count=self.count, reports=[dict(
            path=report.path, number=report.slice.get("number"), job_id=report.slice.get("job_id"),
            workflow_job_id=report.slice.get("workflow_job_id"), verdict=report.document["verdict"],
            generated_at=report.document.get("generated_at"), hosts=report.host_names,
        ) for report in self.reports], missing=list(self.problems))


def _slice_order(report: SliceReport) -> tuple:
    return (report.slice.get("number") or 0, str(report.document.get("generated_at")), report.path)


def read_slices(sources: object, schema_version: int, slice_count: int | None = None,
                expected_hosts: Iterable[str] = ()) -> Merge:
    """Read and check the slice reports ``sources`` names; MergeError (naming the file) when they cannot be
    merged: not a report, another schema version, another checklist, slices of another run, overlapping hosts.

    A report file that does not exist is a missing slice (a NO-GO reason), as is each slice of ``slice_count``
    without a report, and each host of ``expected_hosts`` that no slice reports.
    """
    paths = slice_paths(sources)
    present = [path for path in paths if os.path.lexists(path)]
    absent = [path for path in paths if not os.path.lexists(path)]
    _require_total_size_within_cap(present)
    reports = sorted((read_slice(path, schema_version) for path in present), key=_slice_order)
    if reports:
        require_one_checklist(reports)
        _same_or_error(reports, "workflow_job_id", "AWX workflow job ids (awx_workflow_job_id)")
        _require_distinct_jobs(reports)
        require_distinct_hosts(reports)
    count = slice_count_of(reports, slice_count)
    problems = missing_slices(reports, count, absent) if reports else \
        [f"no slice report was found: all {count} slices are missing"] + \
        [f"slice report {path} is missing" for path in absent]
    return Merge(reports, count, problems + _unchecked_hosts(reports, expected_hosts))


def _require_total_size_within_cap(paths: list[str]) -> None:
    total = 0
    for path in paths:
        try:
            total += os.stat(path).st_size
        except OSError:
            continue  # read_slice names what cannot be read
    if total > MAX_MERGED_BYTES:
        raise MergeError(f"the {len(paths)} slice reports hold {total} bytes together, over the size cap "
                         f"MAX_MERGED_BYTES ({MAX_MERGED_BYTES // (1024 * 1024)} MiB)")


def _require_distinct_jobs(reports: list[SliceReport]) -> None:
    seen: dict[str, str] = {}
    for report in reports:
        job = report.slice.get("job_id")
        if job is None:
            continue
        if job in seen:
            raise MergeError(f"{report.path}: is the report of AWX job {job}, and so is {seen[job]}: "
                             "a slice was given twice")
        seen[job] = report.path


def merged_run(reports: list[SliceReport]) -> dict:
    """The merged report's "run": from the first start to the last end; other fields joined when they differ."""
    runs = [report.document.get("run") or {} for report in reports]
    started = min(str(run.get("started")) for run in runs)
    finished = max(str(run.get("finished")) for run in runs)
    return dict(
        started=started, finished=finished,
        duration_s=round(max(0.0, (_moment(finished) - _moment(started)).total_seconds()), 3),
        user=_joined(run.get("user") for run in runs) or "unknown",
        controller=_joined(run.get("controller") for run in runs) or "unknown",
        ansible_version=_joined(run.get("ansible_version") for run in runs) or "unknown",
        collection_version=_joined(run.get("collection_version") for run in runs) or "unknown",
        playbook=_joined(run.get("playbook") for run in runs),
        inventory=list(dict.fromkeys(source for run in runs for source in run.get("inventory") or ())),
        limit=_joined(run.get("limit") for run in runs),
        check_mode=any(bool(run.get("check_mode")) for run in runs),
    )


def _moment(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _joined(values: Iterable[object]) -> str | None:
    distinct = list(dict.fromkeys(str(value) for value in values if value not in (None, "")))
    return ", ".join(distinct) or None
