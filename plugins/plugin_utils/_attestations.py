# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The checklist's human items as signed attestations: who attested what, when, with which evidence (private).

``golive_attestations_required`` lists the items people must attest (code reviewed, rollback rehearsed);
``golive_attestations`` what they attested. Each required item becomes a check record of kind ``attestation``
about the controller, where the verdict is decided, so that it counts, blocks, is waived and is reported like
any other check. Validated on the controller with the rest of the policy.
"""

from __future__ import annotations

import datetime
import difflib
import re
from collections.abc import Mapping

from ansible_collections.golive.readiness.plugins.module_utils._check import (
    SEVERITIES,
    OptionError,
    format_duration,
    mask_url,
    parse_duration,
    quantity,
)
from ansible_collections.golive.readiness.plugins.module_utils._terminal import one_line

KIND = "attestation"
# The host an attestation is about: the controller, where the verdict is decided (a fleet-level fact).
CONTROLLER = "localhost"
DEFAULT_SECTION = "attestations"
DEFAULT_SEVERITY = "high"
REQUIRED_KEYS = ("id", "title", "severity", "allowed_by", "max_age", "section", "hint", "contact", "missing_status")
ATTESTATION_KEYS = ("id", "by", "at", "evidence", "expires", "note")
MISSING_STATUSES = ("fail", "warn")
# Like every check item's hint and contact; the other texts are names, ids, links and notes.
TEXT_CAPS = dict(hint=1000, contact=200, title=200, note=1000, evidence=2000, by=200, id=200)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


def _plain(value: object) -> object:
    return str(value) if isinstance(value, str) else value


def _text(entry: Mapping, key: str, where: str, required: str | None = None) -> str | None:
    """A text field, stripped; None when absent (OptionError when ``required`` says what it is for)."""
    value = entry.get(key)
    if value is None or value == "":
        if required:
            raise OptionError(f"{where}.{key}: required ({required})")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise OptionError(f"{where}.{key}: must be a string, got {_plain(value)!r}")
    text = str(value).strip()
    if "\0" in text:
        raise OptionError(f"{where}.{key}: contains a NUL byte")
    if not text and required:
        raise OptionError(f"{where}.{key}: required ({required})")
    cap = TEXT_CAPS.get(key)
    if cap is not None and len(text) > cap:
        raise OptionError(f"{where}.{key}: longer than {cap} characters ({len(text)})")
    return text or None


def _known_keys(entry: object, where: str, keys: tuple, expected: str) -> Mapping:
    if not isinstance(entry, Mapping):
        raise OptionError(f"{where}: must be a dictionary with {expected}, got {_plain(entry)!r}")
    unknown = sorted(str(key) for key in entry if key not in keys)
    if unknown:
        plural = "" if len(unknown) == 1 else "s"
        raise OptionError(f"{where}: unknown key{plural} {', '.join(repr(k) for k in unknown)} "
                          f"(allowed: {', '.join(keys)})")
    return entry


def _list_of(value: object, option: str, what: str) -> list:
    if value is None or value == "":
        return []
    if not isinstance(value, (list, tuple)):
        raise OptionError(f"{option}: must be a list of {what}, got {type(value).__name__}")
    return list(value)


def parse_date(value: object, where: str) -> datetime.date:
    """A date from a YAML date or 'YYYY-MM-DD'."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise OptionError(f"{where}: {_plain(value)!r} is not a date (YYYY-MM-DD)")


def parse_moment(value: object, where: str) -> datetime.datetime:
    """A UTC moment from a date ('2026-11-20': that day's start) or a date-time ('2026-11-20T14:30:00Z';
    without an offset, UTC)."""
    if isinstance(value, datetime.datetime):
        moment = value
    elif isinstance(value, datetime.date):
        moment = datetime.datetime(value.year, value.month, value.day)
    elif isinstance(value, str) and (_ISO_DATE.match(value.strip()) or _ISO_MOMENT.match(value.strip())):
        try:
            moment = datetime.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise OptionError(f"{where}: {_plain(value)!r} is not a date or date-time "
                              "(YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)") from None
    else:
        raise OptionError(f"{where}: {_plain(value)!r} is not a date or date-time "
                          "(YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)")
    if moment.tzinfo is None:
        return moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc)


def _moment_text(moment: datetime.datetime) -> str:
    """'2026-11-20' for the start of a day, else '2026-11-20T14:30:00Z'."""
    if (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0):
        return moment.date().isoformat()
    return moment.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _choice(entry: Mapping, key: str, where: str, choices: tuple, default: str) -> str:
    value = entry.get(key)
    if value is None or value == "":
        return default
    name = value.strip().lower() if isinstance(value, str) else value
    if name not in choices:
        raise OptionError(f"{where}.{key}: {_plain(value)!r} is not one of {', '.join(choices)}")
    return name


def _allowed_by(entry: Mapping, where: str) -> list[str]:
    value = entry.get("allowed_by")
    if value is None or value == "":
        return []
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, (list, tuple)) or not names:
        raise OptionError(f"{where}.allowed_by: must be a name or email, or a non-empty list of them, "
                          f"got {_plain(value)!r}")
    return [_text(dict(allowed_by=name), "allowed_by", where, "a name or email") for name in names]


def _max_age(entry: Mapping, where: str) -> float | None:
    value = entry.get("max_age")
    if value is None or value == "":
        return None
    seconds = parse_duration(value, f"{where}.max_age")
    if seconds <= 0:
        raise OptionError(f"{where}.max_age: must be longer than 0s, got {_plain(value)!r}")
    return seconds


def normalise_required_item(entry: object, where: str) -> dict:
    """One validated required item, every field present (None when not set)."""
    entry = _known_keys(entry, where, REQUIRED_KEYS, "id and title (and severity, allowed_by, max_age, ...)")
    item_id = _text(entry, "id", where, "what is attested, e.g. 'rollback-rehearsed'")
    return dict(
        id=item_id,
        title=_text(entry, "title", where) or item_id,
        severity=_choice(entry, "severity", where, SEVERITIES, DEFAULT_SEVERITY),
        allowed_by=_allowed_by(entry, where),
        max_age=_max_age(entry, where),
        section=_text(entry, "section", where) or DEFAULT_SECTION,
        hint=_text(entry, "hint", where),
        contact=_text(entry, "contact", where),
        missing_status=_choice(entry, "missing_status", where, MISSING_STATUSES, "fail"),
    )


def normalise_required(value: object, option: str = "attestations_required") -> list[dict]:
    """Validate the required items; OptionError names the item and field ('golive_attestations_required[1].id')."""
    items, seen = [], {}
    for index, entry in enumerate(_list_of(value, option, "required items (id, title, ...)")):
        where = f"{option}[{index}]"
        item = normalise_required_item(entry, where)
        if item["id"] in seen:
            raise OptionError(f"{where}.id: {item['id']!r} is already required by {option}[{seen[item['id']]}]")
        seen[item["id"]] = index
        items.append(item)
    return items


def normalise_attestation(entry: object, where: str) -> dict:
    """One validated attestation: id, by, at (a UTC moment, as text), evidence (a URL's password masked),
    expires (a date), note."""
    entry = _known_keys(entry, where, ATTESTATION_KEYS, "id, by, at and evidence (and expires, note)")
    expires = entry.get("expires")
    return dict(
        id=_text(entry, "id", where, "the required item's id"),
        by=_text(entry, "by", where, "who attests: a name or email"),
        at=_moment_text(parse_moment(_present(entry, "at", where), f"{where}.at")),
        evidence=mask_url(_text(entry, "evidence", where, "a link or ticket that shows it was done")),
        expires=None if expires in (None, "") else parse_date(expires, f"{where}.expires").isoformat(),
        note=_text(entry, "note", where),
    )


def _present(entry: Mapping, key: str, where: str) -> object:
    if entry.get(key) in (None, ""):
        raise OptionError(f"{where}.{key}: required (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)")
    return entry[key]


def normalise_attestations(value: object, option: str = "attestations") -> list[dict]:
    """Validate the attestations; OptionError names the entry and field ('golive_attestations[0].at')."""
    return [normalise_attestation(entry, f"{option}[{index}]")
            for index, entry in enumerate(_list_of(value, option, "attestations (id, by, at, evidence)"))]


# --- grading -------------------------------------------------------------------------------------


def _problem(required: Mapping, attested: Mapping, now: datetime.datetime) -> str | None:
    """Why an attestation does not count for its item, or None when it does."""
    at = parse_moment(attested["at"], "at")
    if at > now:
        return f"attested in the future ({attested['at']})"
    allowed = required["allowed_by"]
    if allowed and attested["by"].casefold() not in {name.casefold() for name in allowed}:
        return f"{attested['by']} is not allowed to attest it (allowed: {', '.join(allowed)})"
    if attested["expires"] and datetime.date.fromisoformat(attested["expires"]) < now.date():
        return f"expired on {attested['expires']}"
    if required["max_age"] is not None and (now - at).total_seconds() > required["max_age"]:
        return f"stale: attested {format_duration((now - at).total_seconds())} ago (max age " \
               f"{format_duration(required['max_age'])})"
    return None


def _observed(attested: Mapping, now: datetime.datetime) -> dict:
    age = max(0.0, (now - parse_moment(attested["at"], "at")).total_seconds())
    observed = dict(by=attested["by"], at=attested["at"], evidence=attested["evidence"],
                    age_seconds=quantity(round(age), "seconds"))
    for key in ("expires", "note"):
        if attested.get(key):
            observed[key] = attested[key]
    return observed


def _expected(required: Mapping) -> dict:
    expected = dict(required=True)
    if required["allowed_by"]:
        expected["allowed_by"] = list(required["allowed_by"])
    if required["max_age"] is not None:
        expected["age_seconds"] = dict(fail={"above": required["max_age"]}, unit="seconds")
    return expected


def _record(required: Mapping, status: str, summary: str, observed: dict, expected: dict) -> dict:
    record = dict(id=f"{KIND}:{required['id']}", kind=KIND, section=required["section"], title=required["title"],
                  status=status, severity=required["severity"], summary=one_line(summary), observed=observed,
                  expected=expected, duration_ms=0, host=CONTROLLER)
    for key in ("hint", "contact"):
        if required.get(key):
            record[key] = required[key]
    return record


def _newest_first(attestations: list[Mapping]) -> list[Mapping]:
    return sorted(attestations, key=lambda a: parse_moment(a["at"], "at"), reverse=True)


def grade_item(required: Mapping, attestations: list[Mapping], now: datetime.datetime) -> dict:
    """The record of one required item: the newest attestation that counts passes it; without one, the
    newest attestation's problem fails it, and nothing attested is its missing_status."""
    candidates = _newest_first([a for a in attestations if a["id"] == required["id"]])
    expected = _expected(required)
    if not candidates:
        return _record(required, required["missing_status"], f"not attested: nobody attested {required['title']!r}",
                       {}, expected)
    for attested in candidates:
        if _problem(required, attested, now) is None:
            return _record(required, "pass", f"attested by {attested['by']} on {attested['at']} "
                                             f"(evidence: {attested['evidence']})", _observed(attested, now), expected)
    newest = candidates[0]
    others = f" ({len(candidates) - 1} older attestation{'s' if len(candidates) > 2 else ''} "\
             f"did not count either)" if len(candidates) > 1 else ""
    return _record(required, "fail", f"{_problem(required, newest, now)} (attested by {newest['by']} on "
                                     f"{newest['at']}){others}", _observed(newest, now), expected)


def _unrequired_record(item_id: str, attested: list[Mapping], required_ids: list[str], now) -> dict:
    """An attestation of an id no item requires: probably a typo, so a warning (low severity) naming the
    nearest required id."""
    newest = _newest_first(attested)[0]
    near = difflib.get_close_matches(item_id, required_ids, n=1)
    guess = f" (did you mean {near[0]!r}?)" if near else \
        f" (required: {', '.join(required_ids)})" if required_ids else " (no item is required)"
    required = dict(id=item_id, section=DEFAULT_SECTION, title=f"{item_id} (not a required item)", severity="low")
    return _record(required, "warn", f"attested by {newest['by']} on {newest['at']}, but no required item has "
                                     f"this id{guess}", _observed(newest, now), dict(required=False))


def grade(required: list[Mapping], attestations: list[Mapping], now: datetime.datetime) -> list[dict]:
    """The attestation records of a run: one per required item, in their order, then one warning per id attested
    but not required. ``now`` is the run's time (timezone-aware; UTC)."""
    records = [grade_item(item, attestations, now) for item in required]
    required_ids = [item["id"] for item in required]
    unrequired: dict[str, list[Mapping]] = {}
    for attested in attestations:
        if attested["id"] not in required_ids:
            unrequired.setdefault(attested["id"], []).append(attested)
    return records + [_unrequired_record(item_id, found, required_ids, now) for item_id, found in unrequired.items()]


def is_attestation(record: Mapping) -> bool:
    return record.get("kind") == KIND


# --- the report's "attestations" ------------------------------------------------------------------

ITEM_FIELDS = ("id", "title", "status", "severity", "summary", "blocking")


def attestations_of(checks: list[Mapping]) -> dict:
    """The report document's "attestations": each attestation record as a line beside the sign-off (who, when,
    evidence), required items first, and their count by status."""
    items = []
    for check in checks:
        if not is_attestation(check):
            continue
        observed = check.get("observed") or {}
        item = dict((key, check.get(key)) for key in ITEM_FIELDS)
        item.update(required=(check.get("expected") or {}).get("required", True),
                    by=observed.get("by"), at=observed.get("at"), evidence=observed.get("evidence"),
                    expires=observed.get("expires"), waiver=check.get("waiver"))
        items.append(item)
    items.sort(key=lambda item: not item["required"])
    by_status: dict[str, int] = {}
    for item in items:
        if item["required"]:
            by_status[item["status"]] = by_status.get(item["status"], 0) + 1
    return dict(required=sum(1 for item in items if item["required"]), by_status=by_status, items=items)


def attestation_line(item: Mapping) -> str:
    """'rollback-rehearsed: pass - attested by Ann on 2026-11-20 (evidence: OPS-1)', one printable line."""
    waived = f" (waived: {item['waiver'].get('reason')})" if item.get("waiver") else ""
    return one_line(f"{item['id'].split(':', 1)[-1]}: {item['status']} - {item.get('summary') or ''}{waived}")


def attestations_summary(section: Mapping) -> str:
    """'2 of 3 required items attested (1 fail)'."""
    counts = section.get("by_status") or {}
    total = section.get("required") or 0
    text = f"{counts.get('pass', 0)} of {total} required item{'' if total == 1 else 's'} attested"
    others = [f"{counts[status]} {status}" for status in ("fail", "warn", "error") if counts.get(status)]
    unrequired = sum(1 for item in section.get("items") or () if not item.get("required"))
    if unrequired:
        others.append(f"{unrequired} not required")
    return f"{text} ({', '.join(others)})" if others else text
