# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The check result contract, thresholds, sizes and durations, and secret masking (private)."""

from __future__ import annotations

import base64
import math
import re
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


def worst(statuses):
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

# The sane range of every number an option takes, stated once. An option whose name means the same
# in every kind (a port, a time limit) has its own range; any other number is held to the range of
# what it is: the parser that reads it (size, duration, percent, count, code) or its spec type.
RANGES_BY_OPTION = {
    "timeout": _TIME_LIMIT,
    "deadline": _TIME_LIMIT,
    "connect_timeout": _TIME_LIMIT,
    "max_workers": NumberRange(1, 256, "1 to 256"),
    "network_workers": NumberRange(0, 1024, "0 to 1024"),
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


def named_range(option: str):
    """The range of an option whose name means the same in every kind ('timeout', 'port'), or None."""
    return RANGES_BY_OPTION.get(_INDEX.sub("", str(option)).rsplit(".", 1)[-1])


def number_range(option: str, unit: str) -> NumberRange:
    """The range of option ``option`` ('timeout', 'json_query[0].min') holding a number of ``unit``."""
    return named_range(option) or RANGES_BY_UNIT[unit]


def shown_option_value(value, limit: int = 40) -> str:
    """repr() of an option's value for a message, cut short (a 400-digit number says nothing more)."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "\u2026"


def checked_number(value, option: str, unit: str, shown=None):
    """``value`` when it is finite and inside the option's range, else an OptionError naming the option,
    the value as given (``shown``) and the range. NaN compares false with everything, so it is asked first."""
    given = shown_option_value(value if shown is None else shown)
    allowed = number_range(option, unit)
    if isinstance(value, float) and not math.isfinite(value):
        raise OptionError(f"{option}: {given} is not a finite number (allowed: {allowed.shown})")
    if not allowed.admits(value):
        raise OptionError(f"{option}: {given} is outside {allowed.shown}")
    return value


def _split_number(text, option, unit):
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


def parse_size(text, option="size"):
    """Bytes from '20GB', '512M', '1.5TiB' or a plain number (binary multiples: 1K = 1024)."""
    if _is_number(text):
        number = checked_number(_as_float(text, option, "size"), option, "size", text)
        return int(number)
    number, unit = _split_number(text, option, "size")
    if unit not in _SIZE_UNITS:
        raise OptionError("%s: unknown size unit %r in %r (use B, KB, MB, GB, TB)" % (option, unit, text))
    if number < 0:
        raise OptionError("%s: %r must not be negative" % (option, text))
    return int(checked_number(number * _SIZE_UNITS[unit], option, "size", text))


def parse_duration(text, option="duration"):
    """Seconds from '30d', '500ms', '2h', '90' (plain numbers are seconds)."""
    if _is_number(text):
        return checked_number(_as_float(text, option, "duration"), option, "duration", text)
    number, unit = _split_number(text, option, "duration")
    if unit not in _DURATION_UNITS:
        raise OptionError("%s: unknown duration unit %r in %r (use ms, s, m, h, d, w)" % (option, unit, text))
    if number < 0:
        raise OptionError("%s: %r must not be negative" % (option, text))
    return checked_number(number * _DURATION_UNITS[unit], option, "duration", text)


def parse_percent(text, option="percent"):
    """A percentage from '15%', '15' or 15."""
    if _is_number(text):
        number = _as_float(text, option, "percent")
    else:
        number, unit = _split_number(text, option, "percent")
        if unit not in ("", "%"):
            raise OptionError("%s: %r is not a percentage" % (option, text))
    return checked_number(number, option, "percent", text)


def parse_count(text, option="count"):
    """A non-negative number (int or float) from an int, float or numeric string."""
    if isinstance(text, bool):
        raise OptionError("%s: %r is not a number" % (option, text)) from None
    try:
        number = float(text)
    except OverflowError:
        number = math.inf
    except (TypeError, ValueError):
        raise OptionError("%s: %r is not a number" % (option, text)) from None
    if number < 0:
        raise OptionError("%s: %r must not be negative" % (option, text))
    checked_number(number, option, "count", text)
    return int(number) if number.is_integer() else number


def parse_codes(value, option, noun, short_noun, low=None, high=None):
    """Integer codes from 2, [200, 301] or '200,301'; errors say what a code is ('an exit code')."""
    if isinstance(value, str) and "," in value:
        value = value.split(",")
    codes = []
    for code in value if isinstance(value, list) else [value]:
        if isinstance(code, bool):
            raise OptionError("%s: %r is not %s" % (option, code, noun))
        try:
            number = int(str(code).strip())
        except ValueError:
            raise OptionError("%s: %r is not %s" % (option, code, noun)) from None
        if low is not None and not low <= number <= high:
            raise OptionError("%s: %r is not %s (%d-%d)" % (option, code, noun, low, high))
        codes.append(number if low is not None else checked_number(number, option, "code", code))
    if not codes:
        raise OptionError("%s: must list at least one %s" % (option, short_noun))
    return codes


def parse_size_or_percent(text, option="size"):
    """('percent', 15.0) for '15%', else ('bytes', n) for a size."""
    if isinstance(text, str) and text.strip().endswith("%"):
        return "percent", parse_percent(text, option)
    return "bytes", parse_size(text, option)


def format_size(num_bytes):
    """'18.6 GiB' style, for summaries."""
    value = float(num_bytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return ("%d %s" % (value, unit)) if unit == "B" else ("%.1f %s" % (value, unit))
        value /= 1024
    return "%.1f PiB" % value


def format_duration(seconds):
    """'12d 3h', '4m 10s', '850ms' style, for summaries."""
    seconds = float(seconds)
    if abs(seconds) < 1:
        return "%dms" % round(seconds * 1000)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if abs(seconds) >= size:
            whole = int(seconds // size)
            parts.append("%d%s" % (whole, unit))
            seconds -= whole * size
        if len(parts) == 2:
            break
    return " ".join(parts)


def format_number(value):
    if isinstance(value, float) and not value.is_integer():
        return "%.2f" % value
    return "%d" % value


def format_percent(value):
    return "%.1f%%" % value


class Limit(object):
    """Warn and fail levels for one measured metric.

    ``direction`` is ``'below'`` when low values are bad (free space) and ``'above'`` when high
    values are bad (load, usage). Levels are already parsed numbers; ``formatter`` renders them.
    """

    def __init__(self, warn=None, fail=None, direction="below", formatter=format_number):
        if direction not in ("below", "above"):
            raise ValueError("direction must be 'below' or 'above'")
        self.warn = warn
        self.fail = fail
        self.direction = direction
        self.formatter = formatter

    @property
    def is_set(self):
        return self.warn is not None or self.fail is not None

    def _breaches(self, observed, level):
        if level is None:
            return False
        return observed < level if self.direction == "below" else observed > level

    def grade(self, observed):
        if self._breaches(observed, self.fail):
            return "fail"
        if self._breaches(observed, self.warn):
            return "warn"
        return "pass"

    def describe(self):
        """'warn < 20.0 GiB, fail < 10.0 GiB'."""
        sign = "<" if self.direction == "below" else ">"
        parts = []
        if self.warn is not None:
            parts.append("warn %s %s" % (sign, self.formatter(self.warn)))
        if self.fail is not None:
            parts.append("fail %s %s" % (sign, self.formatter(self.fail)))
        return ", ".join(parts)


def check_order(limit, option):
    """Reject warn/fail levels that can never both fire (e.g. warn below 10GB, fail below 20GB)."""
    if limit.warn is None or limit.fail is None:
        return
    inverted = limit.warn < limit.fail if limit.direction == "below" else limit.warn > limit.fail
    if inverted:
        raise OptionError(
            "%s: the warn level (%s) must be %s the fail level (%s)"
            % (option, limit.formatter(limit.warn), "above" if limit.direction == "below" else "below",
               limit.formatter(limit.fail)))


def _level_options(metric, direction):
    """The option names of a metric's two levels: ('free_warn_below', 'free_fail_below')."""
    return tuple("%s_%s_%s" % (metric, level, direction) for level in ("warn", "fail"))


def with_default_levels(item, metric, direction, defaults):
    """The item, with the kind's default (warn, fail) levels of a metric when it sets neither level.

    A pair is defaulted only as a whole: an item that sets one level gets no default for the other,
    so 'days_fail_below: 60' never clashes with a default warn level below it.
    """
    options = _level_options(metric, direction)
    if defaults is None or any(item.get(option) is not None for option in options):
        return item
    return dict(item, **dict((option, value) for option, value in zip(options, defaults) if value is not None))


def limit_from_options(item, metric, direction, parse, formatter=format_number, defaults=None):
    """The Limit set by the item's ``<metric>_warn_<direction>`` and ``<metric>_fail_<direction>`` options,
    or by ``defaults`` (warn, fail) when it sets neither."""
    item = with_default_levels(item, metric, direction, defaults)
    levels = {}
    for level, option in zip(("warn", "fail"), _level_options(metric, direction)):
        if item.get(option) is not None:
            levels[level] = parse(item[option], option)
    limit = Limit(direction=direction, formatter=formatter, **levels)
    check_order(limit, "/".join(_level_options(metric, direction)))
    return limit


def size_or_percent_limits(item, metric, direction="below", defaults=None):
    """Two Limits (bytes, percent) for a metric whose levels may each be a size or a percentage;
    ``defaults`` (warn, fail) apply when the item sets neither level."""
    item = with_default_levels(item, metric, direction, defaults)
    levels = {"bytes": {}, "percent": {}}
    for level, option in zip(("warn", "fail"), _level_options(metric, direction)):
        if item.get(option) is not None:
            unit, value = parse_size_or_percent(item[option], option)
            levels[unit][level] = value
    by_bytes = Limit(direction=direction, formatter=format_size, **levels["bytes"])
    by_percent = Limit(direction=direction, formatter=format_percent, **levels["percent"])
    for limit in (by_bytes, by_percent):
        check_order(limit, "/".join(_level_options(metric, direction)))
    return by_bytes, by_percent


class Evaluation(object):
    """Collects the findings of one check and turns them into status, summary, observed, expected."""

    def __init__(self):
        self.observed = {}
        self.expected = {}
        self._findings = []  # (status, message)
        self._notes = []

    def observe(self, name, value):
        self.observed[name] = value

    def expect(self, name, value):
        self.expected[name] = value

    def finding(self, status, message):
        self._findings.append((status, message))

    def note(self, message):
        """A passing fact worth showing in the summary when nothing is wrong."""
        self._notes.append(message)

    def measure(self, name, observed, limit, label=None, formatter=None):
        """Record a metric and grade it against a Limit; returns the status."""
        self.observe(name, observed)
        label = label or name.replace("_", " ")
        shown = (formatter or limit.formatter)(observed)
        if not limit.is_set:
            self.note("%s %s" % (label, shown))
            return "pass"
        self.expect(name, limit.describe())
        status = limit.grade(observed)
        message = "%s %s (%s)" % (label, shown, limit.describe())
        if status == "pass":
            self.note(message)
        else:
            self.finding(status, message)
        return status

    def require(self, ok, message, status="fail", passing=None):
        """Add a finding of ``status`` unless ``ok``; ``passing`` is noted when it holds."""
        if ok:
            if passing:
                self.note(passing)
        else:
            self.finding(status, message)
        return ok

    @property
    def status(self):
        return worst(status for status, dummy in self._findings)

    def summary(self):
        if self._findings:
            ordered = sorted(self._findings, key=lambda f: -STATUS_RANK[f[0]])
            return "; ".join(message for dummy, message in ordered)
        return "; ".join(self._notes) or "ok"

    def outcome(self):
        return Outcome(self.status, self.summary(), self.observed, self.expected)


class Outcome(object):
    """What a check's run() returns."""

    def __init__(self, status, summary, observed=None, expected=None):
        if status not in STATUSES:
            raise ValueError("unknown status %r" % (status,))
        self.status = status
        self.summary = summary
        self.observed = observed or {}
        self.expected = expected or {}


def make_record(item, check_id, kind, title, outcome, duration_ms):
    """The result record of the contract (see DESIGN.md, 'The result contract')."""
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
    if item.get("target"):
        record["target"] = item["target"]
    return record


_KEY_PREFIX = re.compile(r"^([A-Za-z]{2,8}_(?:(?:live|test)_)?)")


def mask_secret(value):
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
    return "%s\u2026%s" % (prefix, text[-4:])


_URL_PASSWORD = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<password>[^@/\s]+)@")


def mask_url(url):
    """A URL or DSN with its password masked: 'postgresql://app:****@db:5432/app'."""
    if url is None:
        return None
    return _URL_PASSWORD.sub(lambda m: "%s%s:****@" % (m.group("scheme"), m.group("user")), str(url))


def url_passwords(text):
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
