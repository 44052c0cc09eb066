# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cron expressions and crontab files: parsing, comparing, and the next run in a time zone (private).

Semantics are those of Vixie cron (Debian's cron and cronie): names of months and days, 7 = Sunday,
steps on ranges and ``*``, and when both day fields are restricted a day matches either of them.
A day field "is restricted" unless its text starts with ``*`` (so ``*/2`` counts as unrestricted,
exactly as cron decides it).
"""

from __future__ import annotations

import datetime
import os
import re

MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")

# name, lowest, highest, names (index 0 is the value ``lowest``)
_FIELDS = (
    ("minute", 0, 59, None),
    ("hour", 0, 23, None),
    ("day of month", 1, 31, None),
    ("month", 1, 12, MONTH_NAMES),
    ("day of week", 0, 7, DAY_NAMES),
)

ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
REBOOT = "@reboot"

# Far enough to find the rarest schedule that fires at all (29 February on a given weekday: 28 years).
_HORIZON_DAYS = 366 * 29
_EPOCH = datetime.datetime(1970, 1, 1)


class CronError(ValueError):
    """A cron expression or crontab line cron would reject."""


def _value(text, field):
    name, low, high, names = field
    if names and text.lower() in names:
        return names.index(text.lower()) + (low if name == "month" else 0)
    if not text.isdigit():
        raise CronError("{}: {!r} is not a number{}".format(name, text, " or a name" if names else ""))
    number = int(text)
    if not low <= number <= high:
        raise CronError(f"{name}: {number} is outside {low}-{high}")
    return number


def _part(text, field):
    """The values of one comma-separated part: '*', 'N', 'A-B', each optionally '/step' (not 'N/step')."""
    name, low, high = field[:3]
    base, has_step, step_text = text.partition("/")
    if base == "*":
        first, last = low, 6 if name == "day of week" else high
    elif "-" in base:
        first_text, _dummy, last_text = base.partition("-")
        first, last = _value(first_text, field), _value(last_text, field)
        if first > last:
            raise CronError(f"{name}: range {text!r} runs backwards")
    elif has_step:
        raise CronError(f"{name}: a step needs a range or *, not {text!r}")
    else:
        first = last = _value(base, field)
    step = 1
    if has_step:
        if not step_text.isdigit() or int(step_text) == 0:
            raise CronError(f"{name}: step {step_text!r} is not a positive number")
        step = int(step_text)
    values = set(range(first, last + 1, step))
    if name == "day of week" and 7 in values:
        values.discard(7)
        values.add(0)
    return values


def parse_field(text, index):
    """The set of values of field ``index`` (0 = minute ... 4 = day of week)."""
    field = _FIELDS[index]
    values = set()
    for part in text.split(","):
        if not part:
            raise CronError(f"{field[0]}: empty item in {text!r}")
        values |= _part(part, field)
    return frozenset(values)


class Schedule(object):
    """A parsed five-field expression, an @alias, or @reboot."""

    def __init__(self, text):
        self.text = " ".join(str(text).split())
        self.reboot = self.text.lower() == REBOOT
        if self.reboot:
            return
        expression = ALIASES.get(self.text.lower(), self.text) if self.text.startswith("@") else self.text
        if expression.startswith("@"):
            raise CronError("unknown schedule alias {!r} (known: {})".format(
                self.text, ", ".join(sorted(set(ALIASES) | {REBOOT}))))
        fields = expression.split()
        if len(fields) != 5:
            raise CronError(f"{self.text!r} has {len(fields)} fields; a schedule has 5 "
                            "(minute hour day-of-month month day-of-week)")
        self.minutes, self.hours, self.days, self.months, self.weekdays = (
            parse_field(text, index) for index, text in enumerate(fields))
        self.minute_star, self.hour_star, self.day_star, _dummy, self.weekday_star = (
            text.startswith("*") for text in fields)

    def _day_key(self):
        all_days = len(self.days) == 31
        all_weekdays = len(self.weekdays) == 7
        if self.day_star or self.weekday_star:  # both must match
            if all_days and all_weekdays:
                return ("every day",)
            if all_days:
                return ("weekdays", self.weekdays)
            if all_weekdays:
                return ("days", self.days)
            return ("days and weekdays", self.days, self.weekdays)
        if all_days or all_weekdays:  # either may match
            return ("every day",)
        return ("days or weekdays", self.days, self.weekdays)

    def key(self):
        """What decides when it fires: equal keys, equal schedules ('0 3 * * *' == '0 3 * * 0-7' == '0 3 * * *')."""
        if self.reboot:
            return (REBOOT,)
        return (self.minutes, self.hours, self.months, self._day_key())

    def __eq__(self, other):
        return isinstance(other, Schedule) and self.key() == other.key()

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash(self.key())

    def __repr__(self):
        return f"Schedule({self.text!r})"

    @property
    def wildcard(self):
        """Cron's 'wildcard job' (minute or hour starts with *): across DST it follows the new clock."""
        return not self.reboot and (self.minute_star or self.hour_star)

    def runs_on(self, date):
        if date.month not in self.months:
            return False
        day = date.day in self.days
        weekday = (date.isoweekday() % 7) in self.weekdays
        if self.day_star or self.weekday_star:
            return day and weekday
        return day or weekday

    def _times(self):
        return [(hour, minute) for hour in sorted(self.hours) for minute in sorted(self.minutes)]

    def _instants_of(self, naive, zone):
        """When cron runs the job for local wall time ``naive`` (Vixie cron's DST rules).

        A time that happens twice (clocks go back) runs once, at its first occurrence, unless the job is a
        wildcard job, which runs on both. A time that never happens (clocks go forward) runs when the clock
        jumps, unless the job is a wildcard job, which simply skips it.
        """
        instants = zone.instants(naive)
        if len(instants) > 1 and not self.wildcard:
            return instants[:1]
        if not instants and not self.wildcard:
            return [zone.gap_end(naive)]
        return instants

    def next_run(self, after, zone):
        """The first run strictly after the aware datetime ``after`` in ``zone``; None for @reboot or never."""
        if self.reboot:
            return None
        after_epoch = _epoch_of(after)
        local_after = zone.local(after_epoch)
        # No DST change moves a clock by more than a few hours: earlier wall times cannot come after ``after``.
        earliest = local_after - datetime.timedelta(hours=4)
        date = local_after.date() - datetime.timedelta(days=1)
        times = self._times()
        found = None
        for _dummy in range(_HORIZON_DAYS):
            if self.runs_on(date):
                for hour, minute in times:
                    naive = datetime.datetime(date.year, date.month, date.day, hour, minute)
                    if naive < earliest:
                        continue
                    for instant in self._instants_of(naive, zone):
                        if instant > after_epoch and (found is None or instant < found[0]):
                            found = (instant, date)
            # Local times and instants are ordered except around a DST change: look one day past the first hit.
            if found is not None and date > found[1]:
                break
            date += datetime.timedelta(days=1)
        return None if found is None else zone.aware(found[0])


def _epoch_of(aware):
    return (aware - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)).total_seconds()


def _naive_seconds(naive):
    return (naive - _EPOCH).total_seconds()


class Zone(object):
    """Local time of a time zone: a tzinfo (zoneinfo, UTC) or, with ``tzinfo=None``, this process's local time."""

    def __init__(self, name, tzinfo=None):
        self.name = name
        self.tzinfo = tzinfo

    def local(self, epoch):
        """The naive local wall time at ``epoch``."""
        if self.tzinfo is None:
            return datetime.datetime.fromtimestamp(epoch)
        return datetime.datetime.fromtimestamp(epoch, self.tzinfo).replace(tzinfo=None)

    def aware(self, epoch):
        if self.tzinfo is None:
            return datetime.datetime.fromtimestamp(epoch).astimezone()
        return datetime.datetime.fromtimestamp(epoch, self.tzinfo)

    def _offset(self, epoch):
        return _naive_seconds(self.local(epoch)) - epoch

    def instants(self, naive):
        """Every epoch whose local time is ``naive`` (whole minutes): none in a gap, two in a fold."""
        wall = _naive_seconds(naive)
        offsets = {self._offset(wall + shift) for shift in (-86400, 0, 86400)}
        return sorted({wall - offset for offset in offsets if self.local(wall - offset) == naive})

    def gap_end(self, naive):
        """The instant the clock jumps to, for a wall time the jump skips: the first minute after it that exists."""
        probe = naive
        for _dummy in range(24 * 60):
            probe += datetime.timedelta(minutes=1)
            instants = self.instants(probe)
            if instants:
                return instants[0]
        raise CronError(f"no local time after {naive} exists in {self.name}")


# --- crontab files --------------------------------------------------------------------------------

_ENV = re.compile(r"^\s*([^\s=]+)\s*=\s*(.*?)\s*$")
_FIVE = re.compile(r"^\s*(\S+\s+\S+\s+\S+\s+\S+\s+\S+)\s+(.*)$")
_ALIAS = re.compile(r"^\s*(@\S+)\s+(.*)$")
_USER = re.compile(r"^(\S+)\s+(\S.*)$")


class Line(object):
    """One line of a crontab: kind is 'entry', 'commented' (an entry behind #), 'env' or 'invalid'."""

    def __init__(self, number, kind, text, schedule=None, user=None, command=None, env=None, error=None):
        self.number = number
        self.kind = kind
        self.text = text
        self.schedule = schedule
        self.user = user
        self.command = command
        self.env = dict(env or {})  # the variables set above this line (CRON_TZ, TZ, ...)
        self.error = error


def _unquote(value):
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def parse_entry(text, with_user):
    """(Schedule, user or None, command) of an entry line; CronError when cron would reject it."""
    match = _ALIAS.match(text) if text.lstrip().startswith("@") else _FIVE.match(text)
    if not match:
        raise CronError(f"{text.strip()!r} is neither an entry nor a variable setting")
    schedule, rest = Schedule(match.group(1)), match.group(2).strip()
    user = None
    if with_user:
        split = _USER.match(rest)
        if not split:
            raise CronError(f"no command after the user field {rest!r}")
        user, rest = split.group(1), split.group(2).strip()
    if not rest:
        raise CronError("no command after the schedule")
    return schedule, user, rest


def _commented_entry(number, stripped, with_user, env):
    """A line like '# 0 3 * * * backup' as a disabled entry, or None when it is just a comment."""
    body = stripped.lstrip("#").strip()
    try:
        schedule, user, command = parse_entry(body, with_user)
    except CronError:
        return None
    return Line(number, "commented", body, schedule, user, command, env)


def parse_crontab(text, with_user):
    """The meaningful lines of a crontab; ``with_user`` for /etc/crontab and /etc/cron.d (a user field)."""
    lines, env = [], {}
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            commented = _commented_entry(number, stripped, with_user, env)
            if commented is not None:
                lines.append(commented)
            continue
        setting = _ENV.match(raw)
        if setting:
            env[setting.group(1)] = _unquote(setting.group(2))
            lines.append(Line(number, "env", stripped, env=env))
            continue
        try:
            schedule, user, command = parse_entry(raw, with_user)
        except CronError as exc:
            lines.append(Line(number, "invalid", stripped, env=env, error=str(exc)))
            continue
        lines.append(Line(number, "entry", stripped, schedule, user, command, env))
    return lines


# --- time zones -------------------------------------------------------------------------------------

UTC_NAMES = frozenset(("UTC", "Etc/UTC", "UCT", "Etc/UCT", "Universal", "Etc/Universal", "Zulu", "Etc/Zulu",
                       "GMT", "Etc/GMT", "GMT0", "Etc/GMT0", "GMT+0", "Etc/GMT+0", "GMT-0", "Etc/GMT-0",
                       "Greenwich", "Etc/Greenwich"))
_ZONEINFO_DIRS = ("/usr/share/zoneinfo", "/usr/lib/zoneinfo", "/usr/share/lib/zoneinfo", "/etc/zoneinfo")


def _zoneinfo_module():
    """zoneinfo (Python 3.9+) or its backport, imported only when a named zone is needed; None without."""
    try:
        import zoneinfo  # pylint: disable=import-outside-toplevel
        return zoneinfo
    except ImportError:
        pass
    try:
        from backports import zoneinfo  # pylint: disable=import-outside-toplevel
        return zoneinfo
    except ImportError:
        return None


def load_zone(name):
    """The Zone of an IANA name; CronError when it is unknown, or when this Python cannot read named zones."""
    if name in UTC_NAMES:
        return Zone(name, datetime.timezone.utc)
    module = _zoneinfo_module()
    if module is None:
        raise CronError(f"time zone {name!r} cannot be evaluated: it needs Python 3.9 or later (zoneinfo) on this host")
    try:
        return Zone(name, module.ZoneInfo(name))
    except (module.ZoneInfoNotFoundError, ValueError, OSError):
        raise CronError(f"unknown time zone {name!r}") from None


def _read_first_line(path):
    try:
        with open(path) as handle:
            return handle.readline().strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def host_zone_name(timezone_file="/etc/timezone", localtime="/etc/localtime"):
    """The host's zone name as cron sees it (/etc/timezone, else the /etc/localtime link), or None."""
    name = _read_first_line(timezone_file)
    if name:
        return name
    try:
        target = os.readlink(localtime)
    except OSError:
        return None
    marker = "zoneinfo/"
    return target.split(marker, 1)[1] if marker in target else None


def host_zone():
    """The host's Zone; this process's local time when its name is unknown or zoneinfo is missing (Python 3.8)."""
    name = host_zone_name()
    if name:
        try:
            return load_zone(name)
        except CronError:
            pass
    return Zone(name or "localtime", None)


def _zone_file(name):
    for base in _ZONEINFO_DIRS:
        path = os.path.join(base, name)
        if os.path.isfile(path):
            try:
                with open(path, "rb") as handle:
                    return handle.read()
            except OSError:
                return None
    return None


def same_zone(first, second):
    """Whether two zone names mean the same rules: equal, both UTC, or links to one tzdata file."""
    if first == second or (first in UTC_NAMES and second in UTC_NAMES):
        return True
    if ".." in first or ".." in second:
        return False
    data = _zone_file(first)
    return data is not None and data == _zone_file(second)
