# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check kind backup_catalog: a PostgreSQL backup tool's own catalog says the backups are recent and complete (private).

It reads what ``pgbackrest info --output=json`` or ``wal-g backup-list --json --detail`` printed, from a file on
the host or a URL fetched from the probe (``_evidence.py``), and grades the newest backup of each type (full,
differential, incremental) by age, the number kept, the tool's own status and, for pgBackRest, whether the WAL
archive reaches the end of the newest backup (a point-in-time recovery needs it).
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import NamedTuple

from ansible_collections.golive.readiness.plugins.module_utils._check import (
    CheckError,
    Evaluation,
    OptionError,
    format_duration,
    limit_from_options,
    parse_count,
    parse_duration,
)
from ansible_collections.golive.readiness.plugins.module_utils._evidence import (
    EVIDENCE_OPTIONS,
    Evidence,
    describe_source,
    grade_age,
    parse_json,
    parse_timestamp,
    prepare_source,
    read_evidence,
)
from ansible_collections.golive.readiness.plugins.module_utils._evidence import (
    PROBE_OPTION as EVIDENCE_PROBE_OPTION,
)

KIND = "backup_catalog"
SECTION = "backup"
SEVERITY = "high"
VARIABLES = {"golive_backup_catalogs": "backup"}
# Items with url run from the probe hosts, items with path on the host that lists them.
PROBE_OPTION = EVIDENCE_PROBE_OPTION
FORMATS = ("auto", "pgbackrest_info", "walg_backup_list")
TYPES = ("full", "diff", "incr")
TYPE_NAMES = {"full": "full", "diff": "differential", "incr": "incremental"}
# A catalog lists each backup in about 1 KiB: years of nightly backups of many stanzas stay far below this.
BACKUP_CATALOG_CAP = 32 * 1024 * 1024
# The same nightly policy as backup_freshness: a day plus two hours of slack, for the newest backup of any type.
DEFAULT_NEWEST_AGE = (None, "26h")
OPTIONS = dict(EVIDENCE_OPTIONS)
OPTIONS.update(
    format=dict(type="str", default="auto", choices=list(FORMATS)),
    stanza=dict(type="str"),
    newest_age_warn_above=dict(type="str"),
    newest_age_fail_above=dict(type="str"),
    full_age_warn_above=dict(type="str"),
    full_age_fail_above=dict(type="str"),
    diff_age_warn_above=dict(type="str"),
    diff_age_fail_above=dict(type="str"),
    incr_age_warn_above=dict(type="str"),
    incr_age_fail_above=dict(type="str"),
    count_warn_below=dict(type="int"),
    count_fail_below=dict(type="int"),
    require_wal_archive=dict(type="bool", default=True),
)

PGBACKREST = "the output of pgbackrest info --output=json"
WALG = "the output of wal-g backup-list --json"
# pgBackRest's stanza status codes (its info command's documentation).
_STATUS_CODES = {0: "ok", 1: "missing stanza path", 2: "no valid backups", 3: "missing stanza data",
                 4: "different across repos", 5: "database mismatch across repos", 6: "requested backup not found",
                 99: "other"}
_SHOWN_LABELS = 5


class Backup(NamedTuple):
    """One backup as its tool lists it: label, type (full, diff, incr), when it finished, and the WAL
    segment it needs up to (pgBackRest's archive stop; None for WAL-G)."""

    label: str
    type: str
    finished: float
    wal_stop: str | None
    error: bool


class Catalog(NamedTuple):
    name: str  # the stanza, or 'wal-g'
    backups: list  # of Backup, oldest first
    wal_max: str | None  # the newest WAL segment archived, when the tool says
    wal_min: str | None
    problems: list  # the tool's own status problems, as messages


def describe(item):
    source = describe_source(item)
    stanza = item.get("stanza")
    if stanza:
        return f"{source}:{stanza}", f"Backup catalog {source} (stanza {stanza})"
    return source, f"Backup catalog {source}"


# --- options ------------------------------------------------------------------------------------

def _age_limit(item, metric, defaults=None):
    limit = limit_from_options(item, metric, "above", parse_duration, format_duration, defaults=defaults)
    for level in (limit.warn, limit.fail):
        if level is not None and level <= 0:
            raise OptionError(f"{metric}_warn_above/{metric}_fail_above: must be greater than zero")
    return limit


def prepare(item):
    stanza = item.get("stanza")
    if stanza is not None and not stanza.strip():
        raise OptionError("stanza: must name a pgBackRest stanza, or be left out when the catalog has one")
    return dict(
        source=prepare_source(item),
        format=item.get("format") or "auto",
        stanza=stanza,
        newest_age=_age_limit(item, "newest_age", DEFAULT_NEWEST_AGE),
        type_age={kind: _age_limit(item, f"{kind}_age") for kind in TYPES},
        count=limit_from_options(item, "count", "below", parse_count),
        require_wal_archive=item.get("require_wal_archive") is not False,
    )


# --- pgBackRest ---------------------------------------------------------------------------------

def _field(mapping, path: str, where: str, types):
    value = mapping
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, bool) or not isinstance(value, types):
        raise CheckError(f"{where}: {path} is missing or not what pgBackRest writes")
    return value


def _select_stanza(document: list, stanza: str | None, evidence: Evidence) -> dict:
    names = [entry.get("name") for entry in document if isinstance(entry, dict)]
    listed = ", ".join(map(str, names)) or "none"
    if stanza is None:
        if len(document) == 1 and isinstance(document[0], dict):
            return document[0]
        raise CheckError(f"{evidence.name} lists {len(names)} stanzas ({listed}): set stanza")
    for entry in document:
        if isinstance(entry, dict) and entry.get("name") == stanza:
            return entry
    raise CheckError(f"{evidence.name} has no stanza {stanza} (stanzas: {listed})")


def _pgbackrest_problems(entry: dict, name: str) -> list:
    problems = []
    status = entry.get("status") if isinstance(entry.get("status"), dict) else {}
    code = status.get("code")
    if code not in (0, None):
        meaning = _STATUS_CODES.get(code, "unknown code")
        problems.append(f"stanza {name}: status {code} ({status.get('message') or meaning})")
    for repo in entry.get("repo") or []:
        repo_status = repo.get("status") if isinstance(repo, dict) and isinstance(repo.get("status"), dict) else {}
        if repo_status.get("code") not in (0, None):
            problems.append("repo{}: status {} ({})".format(repo.get("key"), repo_status.get("code"),
                                                            repo_status.get("message") or "no message"))
    return problems


def _pgbackrest_backup(raw, where: str) -> Backup:
    label = _field(raw, "label", where, str)
    where = f"{where} {label}"
    kind = _field(raw, "type", where, str)
    if kind not in TYPES:
        raise CheckError(f"{where}: type {kind!r} is not full, diff or incr")
    finished = parse_timestamp(_field(raw, "timestamp.stop", where, (int, float)), f"{where} timestamp.stop")
    archive = raw.get("archive") if isinstance(raw.get("archive"), dict) else {}
    return Backup(label, kind, finished, archive.get("stop"), raw.get("error") is True)


def pgbackrest_catalog(evidence: Evidence, stanza: str | None) -> Catalog:
    document = parse_json(evidence, PGBACKREST)
    if not isinstance(document, list):
        raise CheckError(f"{evidence.name} is not {PGBACKREST}: not a list of stanzas")
    entry = _select_stanza(document, stanza, evidence)
    name = str(entry.get("name"))
    where = f"{evidence.name} stanza {name}"
    backups = [_pgbackrest_backup(raw, f"{where} backup") for raw in entry.get("backup") or []]
    archives = [a for a in entry.get("archive") or [] if isinstance(a, dict) and a.get("max")]
    # The archive of the database the newest backup is of (a stanza upgraded keeps its older archives).
    current = max(archives, key=lambda a: str(a.get("id"))) if archives else {}
    return Catalog(name, sorted(backups, key=lambda b: b.finished), current.get("max"), current.get("min"),
                   _pgbackrest_problems(entry, name))


# --- WAL-G --------------------------------------------------------------------------------------

def _walg_time(raw: dict, where: str) -> float:
    """When the backup finished: finish_time of --detail, else the sentinel's modification time."""
    for field in ("finish_time", "modification_time", "time"):
        value = raw.get(field)
        if value and not str(value).startswith("0001-01-01"):
            return parse_timestamp(value, f"{where} {field}")
    raise CheckError(f"{where} has no finish_time, modification_time or time")


def walg_catalog(evidence: Evidence) -> Catalog:
    document = parse_json(evidence, WALG)
    if document is None:
        document = []  # wal-g prints null for a storage without backups
    if not isinstance(document, list):
        raise CheckError(f"{evidence.name} is not {WALG}: not a list of backups")
    backups = []
    for raw in document:
        name = raw.get("backup_name") if isinstance(raw, dict) else None
        if not isinstance(name, str):
            raise CheckError(f"{evidence.name} is not {WALG}: an entry has no backup_name")
        # A delta backup is named base_<WAL>_D_<WAL of its base>.
        kind = "incr" if "_D_" in name else "full"
        backups.append(Backup(name, kind, _walg_time(raw, f"{evidence.name} backup {name}"), None, False))
    return Catalog("wal-g", sorted(backups, key=lambda b: b.finished), None, None, [])


# --- the check ----------------------------------------------------------------------------------

def detect_format(evidence: Evidence, chosen: str, document_start: bytes) -> str:
    if chosen != "auto":
        return chosen
    if b'"backup_name"' in evidence.data or document_start in (b"null", b"[]"):
        return "walg_backup_list"
    if b'"archive"' in evidence.data or b'"stanza' in evidence.data or b'"status"' in evidence.data:
        return "pgbackrest_info"
    raise CheckError(f"{evidence.name} is neither {PGBACKREST} nor {WALG}")


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _grade_types(plan, catalog: Catalog, ev: Evaluation, now: float) -> None:
    for kind, newest_name, age_name in (("full", "full_newest", "full_age"), ("diff", "diff_newest", "diff_age"),
                                        ("incr", "incr_newest", "incr_age")):
        of_kind = [b for b in catalog.backups if b.type == kind]
        limit = plan["type_age"][kind]
        if not of_kind:
            if limit.is_set:
                ev.finding("fail", f"no {TYPE_NAMES[kind]} backup")
            continue
        newest = of_kind[-1]
        ev.observe(newest_name, newest.label)
        ev.measure(age_name, round(max(0.0, now - newest.finished), 1), limit,
                   label=f"newest {TYPE_NAMES[kind]} backup age", formatter=format_duration)


def _grade_errors(catalog: Catalog, ev: Evaluation) -> None:
    for problem in catalog.problems:
        ev.finding("fail", problem)
    flawed = [b.label for b in catalog.backups if b.error]
    if flawed:
        ev.observe("backups_with_errors", flawed)
        shown = ", ".join(flawed[-_SHOWN_LABELS:])
        ev.finding("fail", f"{len(flawed)} backup(s) found page checksum errors while copying ({shown})")


def _grade_wal(plan, catalog: Catalog, fmt: str, ev: Evaluation) -> None:
    if fmt != "pgbackrest_info" or not plan["require_wal_archive"]:
        return
    ev.observe("wal_min", catalog.wal_min)
    ev.observe("wal_max", catalog.wal_max)
    ev.expect("wal_max", "at or past the newest backup's last WAL segment")
    newest = catalog.backups[-1]
    if catalog.wal_max is None:
        ev.finding("fail", "no WAL is archived: the backups cannot be recovered to a point in time")
    elif newest.wal_stop and catalog.wal_max.upper() < newest.wal_stop.upper():
        # WAL segment names order by timeline, then position: a name is later when it sorts later.
        ev.finding("fail", f"the WAL archive stops at {catalog.wal_max}, before {newest.wal_stop}, the end of the "
                           f"newest backup {newest.label}: archiving is stalled")
    else:
        ev.note(f"WAL archived up to {catalog.wal_max}")


def grade(plan, catalog: Catalog, fmt: str, ev: Evaluation) -> None:
    now = time.time()
    ev.observe("catalog", catalog.name)
    ev.measure("count", len(catalog.backups), plan["count"], label="backups kept")
    _grade_errors(catalog, ev)
    if not catalog.backups:
        ev.finding("fail", f"{catalog.name} lists no backup")
        return
    newest = catalog.backups[-1]
    ev.observe("newest", newest.label)
    ev.observe("newest_type", newest.type)
    ev.observe("newest_finished", _iso(newest.finished))
    ev.measure("newest_age", round(max(0.0, now - newest.finished), 1), plan["newest_age"],
               label="newest backup age", formatter=format_duration)
    _grade_types(plan, catalog, ev, now)
    _grade_wal(plan, catalog, fmt, ev)


def run(plan, ctx):
    ev = Evaluation()
    evidence = read_evidence(plan["source"], ctx, BACKUP_CATALOG_CAP, "BACKUP_CATALOG_CAP", ev)
    if evidence is None:
        return ev.outcome()
    fmt = detect_format(evidence, plan["format"], evidence.data.strip()[:4])
    ev.observe("format", fmt)
    if fmt == "pgbackrest_info":
        catalog = pgbackrest_catalog(evidence, plan["stanza"])
    else:
        if plan["stanza"]:
            raise CheckError("stanza: applies to pgBackRest's info only, and this is " + WALG)
        catalog = walg_catalog(evidence)
    grade_age(plan["source"], evidence, ev)
    grade(plan, catalog, fmt, ev)
    return ev.outcome()
