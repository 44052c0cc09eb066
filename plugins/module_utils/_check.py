# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The check result contract, thresholds, sizes and durations, and secret masking (private)."""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

STATUSES = ("pass", "warn", "fail", "error", "skipped")
SEVERITIES = ("critical", "high", "medium", "low")
# Worse statuses rank higher; a check's status is the worst of its findings.
STATUS_RANK = {"skipped": 0, "pass": 1, "warn": 2, "fail": 3, "error": 4}

_SIZE_UNITS = {
    "": 1, "b": 1,
    "k": 1024, "kb": 1024, "kib": 1024,
    "m": 1024 ** 2, "mb": 1024 ** 2, "mib": 1024 ** 2,
    "g": 1024 ** 3, "gb": 1024 ** 3, "gib": 1024 ** 3,
    "t": 1024 ** 4, "tb": 1024 ** 4, "tib": 1024 ** 4,
    "p": 1024 ** 5, "pb": 1024 ** 5, "pib": 1024 ** 5,
}
_DURATION_UNITS = {
    "ms": 0.001, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600,
    "d": 86400, "w": 604800, "": 1,
}
_NUMBER_UNIT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*([a-zA-Z%]*)\s*$")


class CheckError(Exception):
    """A check could not be evaluated; the result becomes status ``error`` with this message."""


class OptionError(ValueError):
    """An option value is malformed; raised at validation time with the option named."""


def worst(statuses: Iterable[str]) -> str:
    """The worst of several statuses (``pass`` for none)."""
    statuses = list(statuses)
    if not statuses:
        return "pass"
    return max(statuses, key=STATUS_RANK.__getitem__)


class NumberRange(object):
    """The values a number option may take (``low`` to ``high``, both included) and how to say so."""

    def __init__(self, low: float, high: float, shown: str) -> None:
        self.low = low
        self.high = high
        self.shown = shown

    def admits(self, value: float) -> bool:
        return self.low <= value <= self.high


_DAY = 86400
_TIME_LIMIT = NumberRange(0.001, _DAY, "1ms to 24h")
_PORT = NumberRange(1, 65535, "1-65535")
_COUNT = NumberRange(0, 10 ** 12, "0 to 1000000000000")
# A pause between rounds of a wait: short enough to notice a service soon, not so short that it spins.
_PAUSE = NumberRange(0.1, 3600, "100ms to 1h")

# The sane range of every number an option takes, stated once. An option whose name means the same
# in every kind (a port, a time limit) has its own range; any other number is held to the range of
# what it is: the parser that reads it (size, duration, percent, count, code) or its spec type.
RANGES_BY_OPTION = {
    "timeout": _TIME_LIMIT,
    "deadline": _TIME_LIMIT,
    "connect_timeout": _TIME_LIMIT,
    "max_workers": NumberRange(1, 256, "1 to 256"),
    "network_workers": NumberRange(0, 1024, "0 to 1024"),
    "wait": NumberRange(0, _DAY, "0s to 24h"),
    "wait_interval": _PAUSE,
    "wait_max_interval": _PAUSE,
    "port": _PORT,
    "nameserver_port": _PORT,
    "expect_status": NumberRange(100, 599, "100 to 599"),
    "pid": NumberRange(1, 2 ** 22, "1 to 4194304"),
    "notify_timeout": NumberRange(0.001, 300, "1ms to 5m"),
    "notify_retries": NumberRange(0, 10, "0 to 10"),
}
RANGES_BY_UNIT = {
    "size": NumberRange(0, 2 ** 60, "0 B to 1 EiB"),
    "duration": NumberRange(0, 3650 * _DAY, "0s to 3650d"),
    "percent": NumberRange(0, 100, "0-100%"),
    "count": _COUNT,
    "code": NumberRange(-255, 255, "-255 to 255"),
    "bound": NumberRange(-(2 ** 63), 2 ** 63 - 1, "the range of a 64-bit integer"),
    "int": _COUNT,
    "float": NumberRange(-1e15, 1e15, "-1e15 to 1e15"),
}
_INDEX = re.compile(r"\[\d+\]")


def named_range(option: str) -> NumberRange | None:
    """The range of an option whose name means the same in every kind ('timeout', 'port'), or None."""
    return RANGES_BY_OPTION.get(_INDEX.sub("", str(option)).rsplit(".", 1)[-1])


def number_range(option: str, unit: str) -> NumberRange:
    """The range of option ``option`` ('timeout', 'json_query[0].min') holding a number of ``unit``."""
    return named_range(option) or RANGES_BY_UNIT[unit]


def shown_option_value(value, limit: int = 40) -> str:
    """repr() of an option's value for a message, cut short (a 400-digit number says nothing more)."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "\u2026"


def checked_number(value: float, option: str, unit: str, shown=None) -> float:
    """``value`` when it is finite and inside the option's range, else an OptionError naming the option,
    the value as given (``shown``) and the range. NaN compares false with everything, so it is asked first."""
    given = shown_option_value(value if shown is None else shown)
    allowed = number_range(option, unit)
    if isinstance(value, float) and not math.isfinite(value):
        raise OptionError(f"{option}: {given} is not a finite number (allowed: {allowed.shown})")
    if not allowed.admits(value):
        raise OptionError(f"{option}: {given} is outside {allowed.shown}")
    return value


def _split_number(text, option: str, unit: str) -> tuple[float, str]:
    match = _NUMBER_UNIT.match(str(text))
    if not match:
        raise OptionError(f"{option}: {shown_option_value(text)} is not a number with an optional unit "
                          f"(allowed: {number_range(option, unit).shown})")
    return float(match.group(1)), match.group(2).lower()


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _as_float(value, option: str, unit: str) -> float:
    """A float of a YAML number; an integer too large for a float is outside every range."""
    try:
        return float(value)
    except OverflowError:
        raise OptionError(f"{option}: {shown_option_value(value)} is outside "
                          f"{number_range(option, unit).shown}") from None


def parse_size(text, option: str = "size") -> int:
    """Bytes from '20GB', '512M', '1.5TiB' or a plain number (binary multiples: 1K = 1024)."""
    if _is_number(text):
        number = checked_number(_as_float(text, option, "size"), option, "size", text)
        return int(number)
    number, unit = _split_number(text, option, "size")
    if unit not in _SIZE_UNITS:
        raise OptionError(f"{option}: unknown size unit {unit!r} in {text!r} "
                          f"(use B, KB, MB, GB, TB or PB, binary: 1KB = 1024 bytes; K, KiB, M, MiB ... too)")
    if number < 0:
        raise OptionError(f"{option}: {text!r} must not be negative")
    return int(checked_number(number * _SIZE_UNITS[unit], option, "size", text))


def parse_duration(text, option: str = "duration") -> float:
    """Seconds from '30d', '500ms', '2h', '90' (plain numbers are seconds)."""
    if _is_number(text):
        return checked_number(_as_float(text, option, "duration"), option, "duration", text)
    number, unit = _split_number(text, option, "duration")
    if unit not in _DURATION_UNITS:
        raise OptionError(f"{option}: unknown duration unit {unit!r} in {text!r} (use ms, s, m, h, d, w)")
    if number < 0:
        raise OptionError(f"{option}: {text!r} must not be negative")
    return checked_number(number * _DURATION_UNITS[unit], option, "duration", text)


def parse_percent(text, option: str = "percent") -> float:
    """A percentage from '15%', '15' or 15."""
    if _is_number(text):
        number = _as_float(text, option, "percent")
    else:
        number, unit = _split_number(text, option, "percent")
        if unit not in ("", "%"):
            raise OptionError(f"{option}: {text!r} is not a percentage")
    return checked_number(number, option, "percent", text)


def parse_count(text, option: str = "count") -> int | float:
    """A non-negative number (int or float) from an int, float or numeric string."""
    if isinstance(text, bool):
        raise OptionError(f"{option}: {text!r} is not a number") from None
    try:
        number = float(text)
    except OverflowError:
        number = math.inf
    except (TypeError, ValueError):
        raise OptionError(f"{option}: {text!r} is not a number") from None
    if number < 0:
        raise OptionError(f"{option}: {text!r} must not be negative")
    checked_number(number, option, "count", text)
    return int(number) if number.is_integer() else number


def parse_codes(value, option: str, noun: str, short_noun: str, low: int | None = None,
                high: int | None = None) -> list[int]:
    """Integer codes from 2, [200, 301] or '200,301'; errors say what a code is ('an exit code')."""
    if isinstance(value, str) and "," in value:
        value = value.split(",")
    codes = []
    for code in value if isinstance(value, list) else [value]:
        if isinstance(code, bool):
            raise OptionError(f"{option}: {code!r} is not {noun}")
        try:
            number = int(str(code).strip())
        except ValueError:
            raise OptionError(f"{option}: {code!r} is not {noun}") from None
        if low is not None and not low <= number <= high:
            raise OptionError(f"{option}: {code!r} is not {noun} ({low}-{high})")
        codes.append(number if low is not None else checked_number(number, option, "code", code))
    if not codes:
        raise OptionError(f"{option}: must list at least one {short_noun}")
    return codes


def parse_size_or_percent(text, option: str = "size") -> tuple[str, float]:
    """('percent', 15.0) for '15%', else ('bytes', n) for a size."""
    if isinstance(text, str) and text.strip().endswith("%"):
        return "percent", parse_percent(text, option)
    return "bytes", parse_size(text, option)


def format_size(num_bytes: float) -> str:
    """'18.6 GiB' style, for summaries."""
    value = float(num_bytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} PiB"


def format_duration(seconds: float) -> str:
    """'12d 3h', '4m 10s', '850ms' style, for summaries."""
    seconds = float(seconds)
    if abs(seconds) < 1:
        return f"{round(seconds * 1000)}ms"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if abs(seconds) >= size:
            whole = int(seconds // size)
            parts.append(f"{whole}{unit}")
            seconds -= whole * size
        if len(parts) == 2:
            break
    return " ".join(parts)


def format_ms(milliseconds: float) -> str:
    """A duration given in milliseconds, shown like format_duration: '850ms', '2s'."""
    return format_duration(milliseconds / 1000.0)


def format_number(value: float) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.2f}"
    return f"{int(value)}"


def format_percent(value: float) -> str:
    return f"{value:.1f}%"


def format_days(value: float) -> str:
    return f"{format_number(value)} {'day' if value == 1 else 'days'}"


# The units a record's numbers carry (observed {"value", "unit"}, expected levels with "unit") and how
# each is shown to people. Every format and every summary shows a number through format_value().
UNIT_FORMATTERS = {
    "bytes": format_size,
    "seconds": format_duration,
    "ms": format_ms,
    "percent": format_percent,
    "count": format_number,
    "ratio": format_number,
    "days": format_days,
}
UNITS = tuple(UNIT_FORMATTERS)
_UNIT_OF_FORMATTER = {format_size: "bytes", format_duration: "seconds", format_ms: "ms",
                      format_percent: "percent", format_number: "count", format_days: "days"}
LEVELS = ("warn", "fail")
DIRECTIONS = ("below", "above")
_SIGNS = {"below": "<", "above": ">"}


def format_value(value, unit: str) -> str:
    """A number of a unit as people read it: format_value(82621554688, 'bytes') == '77.0 GiB'."""
    if not _is_number(value):
        return str(value)
    return UNIT_FORMATTERS[unit](value)


def quantity(value, unit: str) -> dict:
    """The record's form of a number with its unit: {"value": 82621554688, "unit": "bytes"}."""
    if unit not in UNIT_FORMATTERS:
        raise ValueError(f"unknown unit {unit!r} (known: {', '.join(UNITS)})")
    return {"value": value, "unit": unit}


def is_quantity(value) -> bool:
    """Whether a record value is a quantity ({"value": n, "unit": u})."""
    return isinstance(value, dict) and set(value) == {"value", "unit"} and value["unit"] in UNIT_FORMATTERS


def is_levels(value) -> bool:
    """Whether a record value is a set of levels ({"warn": {"below": n}, "fail": {...}, "unit": u})."""
    return (isinstance(value, dict) and value.get("unit") in UNIT_FORMATTERS and len(value) > 1
            and all(key in LEVELS and isinstance(value[key], dict) for key in value if key != "unit"))


def levels_text(levels: dict, formatter=None) -> str:
    """'warn < 20.0 GiB, fail < 10.0 GiB' of a levels dict; below before above, warn before fail."""
    show = formatter or UNIT_FORMATTERS[levels["unit"]]
    parts = []
    for direction in DIRECTIONS:
        for level in LEVELS:
            bound = (levels.get(level) or {}).get(direction)
            if bound is not None:
                parts.append(f"{level} {_SIGNS[direction]} {show(bound)}")
    return ", ".join(parts)


class Limit(object):
    """Warn and fail levels for one measured metric.

    ``direction`` is ``'below'`` when low values are bad (free space) and ``'above'`` when high
    values are bad (load, usage). Levels are already parsed numbers of ``unit`` (one of UNITS);
    a shared formatter (format_size, ...) names its unit, a kind's own ``formatter`` only changes
    how the levels read in its summaries.
    """

    def __init__(self, warn: float | None = None, fail: float | None = None, direction: str = "below",
                 formatter=None, unit: str | None = None) -> None:
        if direction not in DIRECTIONS:
            raise ValueError("direction must be 'below' or 'above'")
        if unit is not None and unit not in UNIT_FORMATTERS:
            raise ValueError(f"unknown unit {unit!r} (known: {', '.join(UNITS)})")
        self.warn = warn
        self.fail = fail
        self.direction = direction
        self.unit = unit or _UNIT_OF_FORMATTER.get(formatter or format_number)
        self.formatter = formatter or UNIT_FORMATTERS[self.unit or "count"]

    @property
    def is_set(self) -> bool:
        return self.warn is not None or self.fail is not None

    def _breaches(self, observed: float, level: float | None) -> bool:
        if level is None:
            return False
        return observed < level if self.direction == "below" else observed > level

    def grade(self, observed: float) -> str:
        if self._breaches(observed, self.fail):
            return "fail"
        if self._breaches(observed, self.warn):
            return "warn"
        return "pass"

    def bounds(self) -> dict:
        """{"warn": {"below": 20}, "fail": {"below": 10}}: the levels that are set, by direction."""
        return {level: {self.direction: getattr(self, level)} for level in LEVELS if getattr(self, level) is not None}

    def describe(self, unit: str | None = None) -> str:
        """'warn < 20.0 GiB, fail < 10.0 GiB'."""
        unit = unit or self.unit
        if unit is None:
            return levels_text(dict(self.bounds(), unit="count"), self.formatter)
        return levels_text(dict(self.bounds(), unit=unit), None if unit != self.unit else self.formatter)


def levels_of(limits, unit: str | None = None) -> dict:
    """The record's form of one metric's levels, merged over its Limits (a lower and an upper bound):
    {"warn": {"below": 21474836480}, "fail": {"below": 10737418240}, "unit": "bytes"}."""
    limits = list(limits)
    unit = unit or next((limit.unit for limit in limits if limit.unit), None)
    if unit not in UNIT_FORMATTERS:
        raise ValueError(f"levels need a unit (one of {', '.join(UNITS)}), got {unit!r}")
    levels: dict = {}
    for limit in limits:
        for level, bound in limit.bounds().items():
            levels.setdefault(level, {}).update(bound)
    levels["unit"] = unit
    return levels


def check_order(limit: Limit, option: str) -> None:
    """Reject warn/fail levels that can never both fire (e.g. warn below 10GB, fail below 20GB)."""
    if limit.warn is None or limit.fail is None:
        return
    inverted = limit.warn < limit.fail if limit.direction == "below" else limit.warn > limit.fail
    if inverted:
        side = "above" if limit.direction == "below" else "below"
        raise OptionError(f"{option}: the warn level ({limit.formatter(limit.warn)}) must be {side} "
                          f"the fail level ({limit.formatter(limit.fail)})")


def _level_options(metric: str, direction: str) -> tuple[str, str]:
    """The option names of a metric's two levels: ('free_warn_below', 'free_fail_below'), or for the one
    unnamed metric ('') of a kind that grades a single value: ('warn_below', 'fail_below')."""
    prefix = f"{metric}_" if metric else ""
    return tuple(f"{prefix}{level}_{direction}" for level in LEVELS)


def with_default_levels(item: dict, metric: str, direction: str, defaults) -> dict:
    """The item, with the kind's default (warn, fail) levels of a metric when it sets neither level.

    A pair is defaulted only as a whole: an item that sets one level gets no default for the other,
    so 'days_fail_below: 60' never clashes with a default warn level below it.
    """
    options = _level_options(metric, direction)
    if defaults is None or any(item.get(option) is not None for option in options):
        return item
    return dict(item, **{option: value for option, value in zip(options, defaults) if value is not None})


def limit_from_options(item: dict, metric: str, direction: str, parse, formatter=format_number,
                       defaults=None) -> Limit:
    """The Limit set by the item's ``<metric>_warn_<direction>`` and ``<metric>_fail_<direction>`` options,
    or by ``defaults`` (warn, fail) when it sets neither."""
    item = with_default_levels(item, metric, direction, defaults)
    levels = {}
    for level, option in zip(LEVELS, _level_options(metric, direction)):
        if item.get(option) is not None:
            levels[level] = parse(item[option], option)
    limit = Limit(direction=direction, formatter=formatter, **levels)
    check_order(limit, "/".join(_level_options(metric, direction)))
    return limit


def size_or_percent_limits(item: dict, metric: str, direction: str = "below", defaults=None) -> tuple[Limit, Limit]:
    """Two Limits (bytes, percent) for a metric whose levels may each be a size or a percentage;
    ``defaults`` (warn, fail) apply when the item sets neither level."""
    item = with_default_levels(item, metric, direction, defaults)
    levels: dict = {"bytes": {}, "percent": {}}
    for level, option in zip(LEVELS, _level_options(metric, direction)):
        if item.get(option) is not None:
            unit, value = parse_size_or_percent(item[option], option)
            levels[unit][level] = value
    by_bytes = Limit(direction=direction, unit="bytes", **levels["bytes"])
    by_percent = Limit(direction=direction, unit="percent", **levels["percent"])
    for limit in (by_bytes, by_percent):
        check_order(limit, "/".join(_level_options(metric, direction)))
    return by_bytes, by_percent


class Evaluation(object):
    """Collects the findings of one check and turns them into status, summary, observed, expected.

    A number with a unit is recorded as a quantity (observed {"value", "unit"}) and the levels it is
    held against as levels (expected {"warn": {"below": n}, "fail": {...}, "unit"}); anything else
    (a text, a list, a flag) as it is.
    """

    def __init__(self) -> None:
        self.observed: dict = {}
        self.expected: dict = {}
        self._findings: list[tuple[str, str]] = []
        self._notes: list[str] = []

    def observe(self, name: str, value, unit: str | None = None) -> None:
        """observed[name]: ``value``, or the quantity {"value", "unit"} when a unit is given."""
        self.observed[name] = quantity(value, unit) if unit and value is not None else value

    def expect(self, name: str, value, unit: str | None = None) -> None:
        """expected[name]: ``value``, or the quantity {"value", "unit"} when a unit is given."""
        self.expected[name] = quantity(value, unit) if unit and value is not None else value

    def expect_levels(self, name: str, *limits: Limit, unit: str | None = None) -> None:
        """expected[name]: the levels of the metric's Limits (those that set a level)."""
        self.expected[name] = levels_of(limits, unit)

    def expect_at_least(self, name: str, minimum: float, unit: str) -> None:
        """A fail level below ``minimum``, added to any levels expected[name] already has."""
        self._add_fail_level(name, "below", minimum, unit)

    def expect_at_most(self, name: str, maximum: float, unit: str) -> None:
        """A fail level above ``maximum``, added to any levels expected[name] already has."""
        self._add_fail_level(name, "above", maximum, unit)

    def _add_fail_level(self, name: str, direction: str, bound: float, unit: str) -> None:
        levels = self.expected.get(name)
        if not is_levels(levels) or levels["unit"] != unit:
            levels = {"unit": unit}
        fail = dict(levels.get("fail") or {}, **{direction: bound})
        self.expected[name] = dict({key: value for key, value in levels.items() if key != "unit"}, fail=fail, unit=unit)

    def finding(self, status: str, message: str) -> None:
        self._findings.append((status, message))

    def note(self, message: str) -> None:
        """A passing fact worth showing in the summary when nothing is wrong."""
        self._notes.append(message)

    def measure(self, name: str, observed: float, limit: Limit, label: str | None = None, formatter=None,
                unit: str | None = None) -> str:
        """Record a metric as a quantity and grade it against a Limit (its levels recorded too); returns the status.

        ``unit`` defaults to the Limit's; ``formatter`` (default: the Limit's) shows the value in the summary.
        """
        unit = unit or limit.unit
        if unit is None:
            raise ValueError(f"measure({name!r}): a Limit with a kind's own formatter needs a unit")
        self.observe(name, observed, unit)
        label = label or name.replace("_", " ")
        shown = (formatter or limit.formatter)(observed)
        if not limit.is_set:
            self.note(f"{label} {shown}")
            return "pass"
        self.expect_levels(name, limit, unit=unit)
        described = limit.describe(unit)
        status = limit.grade(observed)
        message = f"{label} {shown} ({described})"
        if status == "pass":
            self.note(message)
        else:
            self.finding(status, message)
        return status

    def require(self, ok, message: str, status: str = "fail", passing: str | None = None):
        """Add a finding of ``status`` unless ``ok``; ``passing`` is noted when it holds."""
        if ok:
            if passing:
                self.note(passing)
        else:
            self.finding(status, message)
        return ok

    @property
    def status(self) -> str:
        return worst(status for status, dummy in self._findings)

    def summary(self) -> str:
        if self._findings:
            ordered = sorted(self._findings, key=lambda f: -STATUS_RANK[f[0]])
            return "; ".join(message for dummy, message in ordered)
        return "; ".join(self._notes) or "ok"

    def outcome(self) -> Outcome:
        return Outcome(self.status, self.summary(), self.observed, self.expected)


class Outcome(object):
    """What a check's run() returns."""

    def __init__(self, status: str, summary: str, observed: dict | None = None, expected: dict | None = None) -> None:
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        self.status = status
        self.summary = summary
        self.observed = observed or {}
        self.expected = expected or {}


def make_record(item: dict, check_id: str, kind: str, title: str, outcome: Outcome, duration_ms: float,
                rounds: int | None = None) -> dict:
    """The result record of the contract (README, 'The result contract'): observed and expected hold
    quantities and levels with their units (see Evaluation). ``rounds``: how many times it ran, when the call waited."""
    record = {
        "id": check_id,
        "kind": kind,
        "section": item.get("section"),
        "title": title,
        "status": outcome.status,
        "severity": item.get("severity"),
        "summary": outcome.summary,
        "observed": outcome.observed,
        "expected": outcome.expected,
        "duration_ms": int(duration_ms),
    }
    if rounds is not None:
        record["rounds"] = rounds
    for name in ("target", "hint", "contact"):
        if item.get(name):
            record[name] = item[name]
    return record


_KEY_PREFIX = re.compile(r"^([A-Za-z]{2,8}_(?:(?:live|test)_)?)")


def mask_secret(value) -> str | None:
    """Show enough of a secret to recognise it and nothing more: 'sk_live_…a1b2', '…9f3c', '****'."""
    if value is None:
        return None
    text = str(value)
    if not text:
        return ""
    if len(text) < 12:
        return "****"
    match = _KEY_PREFIX.match(text)
    prefix = match.group(1) if match and len(text) - len(match.group(1)) >= 12 else ""
    return f"{prefix}\u2026{text[-4:]}"


_URL_PASSWORD = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<password>[^@/\s]+)@")


def mask_url(url) -> str | None:
    """A URL or DSN with its password masked: 'postgresql://app:****@db:5432/app'."""
    if url is None:
        return None
    return _URL_PASSWORD.sub(lambda m: f"{m.group('scheme')}{m.group('user')}:****@", str(url))


def url_passwords(text) -> list[str]:
    """The passwords embedded in any URLs or DSNs in ``text`` ('s3cr3t' of 'postgresql://app:s3cr3t@db/app')."""
    return [match.group("password") for match in _URL_PASSWORD.finditer(str(text))]


def url_credentials(text: str) -> list[tuple[str, str]]:
    """(user, password) of every URL or DSN in ``text`` that embeds a password, as written (URL-encoded)."""
    return [(match.group("user"), match.group("password")) for match in _URL_PASSWORD.finditer(str(text))]


# Header names whose values are credentials, wherever they are given (exact names, then name parts).
_CREDENTIAL_HEADERS = ("authorization", "proxy-authorization", "cookie", "x-api-key")
_CREDENTIAL_HEADER_PARTS = ("token", "secret", "key")
# Derived forms shorter than this would mask ordinary text; the plain secret itself is always masked.
_MIN_DERIVED_CHARS = 4


def is_credential_header(name: str) -> bool:
    """Whether a request header of this name carries a credential (Authorization, Cookie, X-Api-Key, *token*...)."""
    lowered = str(name).lower()
    return lowered in _CREDENTIAL_HEADERS or any(part in lowered for part in _CREDENTIAL_HEADER_PARTS)


def _base64_forms(raw: bytes) -> set[str]:
    """Standard and URL-safe base64 of ``raw``, without padding (so the padded forms contain them)."""
    return {base64.b64encode(raw).decode("ascii").rstrip("="),
            base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")}


def secret_forms(value: str) -> set[str]:
    """A secret and the forms it takes on the wire: base64, URL-encoded, and without an auth scheme word.

    'Bearer abc…' is also secret as 'abc…'. Forms shorter than four characters are left out.
    """
    text = str(value)
    forms = {text}
    credential = text.strip().split(" ", 1)
    if len(credential) == 2 and credential[0].isalpha():
        forms.add(credential[1].strip())
    for form in list(forms):
        forms.update(_base64_forms(form.encode("utf-8")))
        forms.update((quote(form, safe=""), quote_plus(form, safe="")))
    return {form for form in forms if form == text or len(form) >= _MIN_DERIVED_CHARS}


def basic_auth_forms(username: str, password: str) -> set[str]:
    """The secret forms of HTTP basic authentication with ``username`` and ``password``."""
    pair = f"{username}:{password or ''}"
    forms = {f"Basic {encoded}" for encoded in _base64_forms(pair.encode("utf-8"))}
    for form in list(forms):
        forms.update(secret_forms(form))
    return forms
