# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check kind log_health: a log is written, writable, rotated and free of recent errors (private).

Log lines can carry secrets: only a few matching lines are returned, each masked and truncated.
"""

from __future__ import annotations

import calendar
import fnmatch
import os
import re
import shlex
import stat
import time

from ansible_collections.golive.readiness.plugins.module_utils._check import (
    CheckError,
    Evaluation,
    OptionError,
    format_duration,
    format_size,
    limit_from_options,
    mask_secret,
    mask_url,
    parse_count,
    parse_duration,
    quantity,
)
from ansible_collections.golive.readiness.plugins.module_utils._checks.path import (
    Principal,
    access_denial,
    resolve_user,
    user_name,
)
from ansible_collections.golive.readiness.plugins.module_utils._globs import glob_matches, is_glob

KIND = "log_health"
SECTION = "monitoring"
# ERROR lines in a production log at go-live block it: at medium severity a fail never could.
SEVERITY = "high"
VARIABLES = {"golive_logs": "monitoring"}
DEFAULT_PATTERNS = [r"\bERROR\b", r"\bCRITICAL\b", r"\bFATAL\b", r"Traceback \(most recent call last\)",
                    r"\w*Exception\b"]
DEFAULT_TAIL_LINES = 1000
DEFAULT_AGE = (None, "24h")
OPTIONS = dict(
    path=dict(type="path", required=True),
    writable=dict(type="bool", default=True),
    writable_by=dict(type="str"),
    age_warn_above=dict(type="str"),
    age_fail_above=dict(type="str"),
    rotation=dict(type="bool", default=True),
    logrotate_conf=dict(type="path", default="/etc/logrotate.conf"),
    logrotate_dir=dict(type="path", default="/etc/logrotate.d"),
    patterns=dict(type="list", elements="str", default=list(DEFAULT_PATTERNS)),
    ignore_patterns=dict(type="list", elements="str", default=[]),
    tail_lines=dict(type="int"),
    since=dict(type="str"),
    matches_warn_above=dict(type="int", default=0),
    matches_fail_above=dict(type="int", default=10),
)

MAX_TAIL_LINES = 100000
# A time window is read backwards until its start, but never more than this much of the file.
MAX_SCAN_BYTES = 32 * 1024 * 1024
SHOWN_LINES = 5
SHOWN_CHARS = 200
_BLOCK = 64 * 1024


def describe(item):
    return item["path"], "Log {}".format(item["path"])


# --- options ------------------------------------------------------------------------------------


def _regexes(item, option):
    compiled = []
    for pattern in item.get(option) or []:
        try:
            compiled.append(re.compile(pattern))
        except (re.error, TypeError) as exc:
            raise OptionError(f"{option}: {pattern!r} is not a valid regular expression: {exc}") from None
    return compiled


def _age_limit(item):
    return limit_from_options(item, "age", "above", parse_duration, format_duration, defaults=DEFAULT_AGE)


def _window(item):
    """('lines', n) or ('since', seconds)."""
    if item.get("since") is not None:
        if item.get("tail_lines") is not None:
            raise OptionError("since/tail_lines: give one of them, not both")
        seconds = parse_duration(item["since"], "since")
        if seconds <= 0:
            raise OptionError("since: must be greater than zero, got {!r}".format(item["since"]))
        return "since", seconds
    lines = DEFAULT_TAIL_LINES if item.get("tail_lines") is None else item["tail_lines"]
    if isinstance(lines, bool) or not isinstance(lines, int) or not 0 < lines <= MAX_TAIL_LINES:
        raise OptionError(f"tail_lines: {lines!r} must be between 1 and {MAX_TAIL_LINES}")
    return "lines", lines


def _absolute(item, option):
    value = item.get(option)
    if not value or not os.path.isabs(value):
        raise OptionError(f"{option}: {value!r} must be absolute")
    return value


def prepare(item):
    path = _absolute(item, "path")
    patterns = _regexes(item, "patterns") if item.get("patterns") is not None else _regexes(
        {"patterns": DEFAULT_PATTERNS}, "patterns")
    if not patterns:
        raise OptionError("patterns: must list at least one regular expression")
    writable_by = item.get("writable_by")
    if writable_by is not None and item.get("writable") is False:
        raise OptionError("writable_by: cannot be combined with writable=false")
    levels = dict((option, 0 if option == "matches_warn_above" else 10) for option in (
        "matches_warn_above", "matches_fail_above"))
    levels.update((k, item[k]) for k in levels if item.get(k) is not None)
    return dict(
        path=path,
        glob=is_glob(path),
        writable=item.get("writable") is not False,
        writable_by=writable_by,
        age=_age_limit(item),
        rotation=item.get("rotation") is not False,
        logrotate_conf=_absolute(item, "logrotate_conf"),
        logrotate_dir=_absolute(item, "logrotate_dir"),
        patterns=patterns,
        ignore_patterns=_regexes(item, "ignore_patterns"),
        window=_window(item),
        matches=limit_from_options(levels, "matches", "above", parse_count),
    )


# --- the file -------------------------------------------------------------------------------------


def _stat(path):
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CheckError(f"cannot stat {path}: {exc.strerror or exc}") from None


def find_log(plan):
    """(path, stat) of the log, the newest match of a glob; (None, None) when there is none."""
    if not plan["glob"]:
        st = _stat(plan["path"])
        return (plan["path"], st) if st is not None else (None, None)
    found = []
    for match in glob_matches(plan["path"]):
        st = _stat(match)
        if st is not None and not os.path.isdir(match):
            found.append((st.st_mtime, match, st))
    if not found:
        return None, None
    _mtime, newest, st = max(found)
    return newest, st


def _grade_writable(ev, plan, path, st):
    if not plan["writable"]:
        return
    if plan["writable_by"]:
        who = resolve_user(plan["writable_by"], "writable_by")
    else:
        who = resolve_user(st.st_uid, "writable_by")
        who = Principal(who.uid, who.name or user_name(st.st_uid), who.groups)
    ev.observe("writable_by", who.shown)
    directory = os.path.dirname(path)
    dir_st = _stat(directory)
    problems = [denial for denial in (
        access_denial(path, st, who, "w", True),
        access_denial(directory, dir_st, who, "w", True) if dir_st is not None else f"{directory} vanished")
        if denial]
    for problem in problems:
        ev.finding("fail", f"not writable by {who.shown}: {problem}")
    if not problems:
        ev.note(f"writable by {who.shown}")


# --- logrotate ------------------------------------------------------------------------------------

# Files logrotate skips in an included directory (its default tabooext list).
TABOO_SUFFIXES = (",v", ".cfsaved", ".disabled", ".dpkg-bak", ".dpkg-del", ".dpkg-dist", ".dpkg-new", ".dpkg-old",
                  ".rpmnew", ".rpmorig", ".rpmsave", ".swp", ".ucf-dist", ".ucf-new", ".ucf-old", "~")
_SCRIPTS = ("postrotate", "prerotate", "firstaction", "lastaction", "preremove")
_FREQUENCIES = ("hourly", "daily", "weekly", "monthly", "yearly")


class Stanza(object):
    def __init__(self, source, number, patterns):
        self.source = source
        self.number = number
        self.patterns = patterns
        self.directives = {}

    @property
    def where(self):
        return f"{self.source}:{self.number}"

    def describe(self):
        shown = [d for d in _FREQUENCIES if d in self.directives]
        for name in ("size", "maxsize", "rotate"):
            if name in self.directives:
                shown.append(f"{name} {self.directives[name]}")
        shown.extend(d for d in ("copytruncate", "create", "compress") if d in self.directives)
        return ", ".join(shown)


def _split_patterns(text, source, number):
    try:
        return shlex.split(text)
    except ValueError as exc:
        raise CheckError(f"{source}:{number}: cannot read the log names: {exc}") from None


def parse_logrotate(text, source):
    """(stanzas, include arguments) of one logrotate configuration file."""
    stanzas, includes, pending, first_line = [], [], [], None
    current, in_script = None, False
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word = line.split()[0]
        if in_script:
            in_script = word != "endscript"
        elif current is not None:
            if line.startswith("}"):
                stanzas.append(current)
                current = None
            elif word in _SCRIPTS:
                in_script = True
            else:
                current.directives[word] = line[len(word):].strip()
        elif "{" in line:
            head = line.split("{", 1)[0]
            current = Stanza(source, first_line or number, pending + _split_patterns(head, source, number))
            pending, first_line = [], None
        elif word == "include":
            includes.append(line[len(word):].strip().strip('"'))
        elif line[0] in "/\"'~":
            first_line = first_line or number
            pending.extend(_split_patterns(line, source, number))
    return stanzas, includes


class LogrotateConfig(object):
    """Every stanza logrotate would read from its main configuration and the includes it follows."""

    def __init__(self):
        self.stanzas = []
        self.read = []          # files read, in order
        self.skipped = []       # (path, why) of files logrotate would not read
        self._seen = set()

    def read_file(self, path):
        if path in self._seen:
            return
        self._seen.add(path)
        try:
            with open(path, "rb") as handle:
                text = handle.read().decode("utf-8", errors="replace")
        except OSError as exc:
            raise CheckError(f"cannot read {path}: {exc.strerror or exc}") from None
        self.read.append(path)
        stanzas, includes = parse_logrotate(text, path)
        self.stanzas.extend(stanzas)
        for include in includes:
            self.include(include)

    def include(self, path):
        if os.path.isdir(path):
            self.read_dir(path)
        elif os.path.exists(path):
            self.read_file(path)

    def read_dir(self, directory):
        try:
            names = sorted(os.listdir(directory))
        except OSError as exc:
            raise CheckError(f"cannot list {directory}: {exc.strerror or exc}") from None
        for name in names:
            path = os.path.join(directory, name)
            if not os.path.isfile(path):
                continue
            if name.endswith(TABOO_SUFFIXES) or name.startswith("."):
                self.skipped.append(path)
                continue
            self.read_file(path)


def _component_match(pattern, path):
    """Shell glob semantics: wildcards do not cross '/'."""
    parts, names = pattern.split("/"), path.split("/")
    return len(parts) == len(names) and all(fnmatch.fnmatchcase(n, p) for p, n in zip(parts, names))


def stanzas_for(stanzas, path):
    candidates = {path, os.path.realpath(path)}
    return [s for s in stanzas if any(_component_match(p, c) for p in s.patterns for c in candidates)]


def _skipped_stanzas(config, path):
    """Stanzas for the log in files logrotate skips (a '.dpkg-old' or '.disabled' copy)."""
    found = []
    for skipped in config.skipped:
        try:
            with open(skipped, "rb") as handle:
                stanzas, _includes = parse_logrotate(handle.read().decode("utf-8", errors="replace"), skipped)
        except (OSError, CheckError):
            continue
        found.extend(stanzas_for(stanzas, path))
    return found


def _grade_rotation(ev, plan, path):
    if not plan["rotation"]:
        return
    config = LogrotateConfig()
    conf, directory = plan["logrotate_conf"], plan["logrotate_dir"]
    if os.path.exists(conf):
        config.read_file(conf)
    included = os.path.realpath(directory) in {os.path.realpath(os.path.dirname(f)) for f in config.read[1:]}
    outside = LogrotateConfig()
    if not included and os.path.isdir(directory):
        outside.read_dir(directory)
    ev.expect("rotation", f"a logrotate stanza in {conf} or {directory}")
    matching = stanzas_for(config.stanzas, path)
    if matching:
        _report_stanzas(ev, matching)
        return
    stray = stanzas_for(outside.stanzas, path)
    if stray:
        _report_stanzas(ev, stray)
        missing = (f"{conf} does not include {directory}" if os.path.exists(conf)
                   else f"there is no {conf} to include it")
        ev.finding("warn", f"rotation is configured in {stray[0].where}, but {missing}")
        return
    skipped = _skipped_stanzas(config, path) + _skipped_stanzas(outside, path)
    ev.observe("rotation", None)
    hint = f" ({skipped[0].source} is skipped by logrotate for its name)" if skipped else ""
    ev.finding("fail", f"no logrotate stanza rotates {path}{hint}")


def _report_stanzas(ev, stanzas):
    first = stanzas[0]
    ev.observe("rotation", dict(config=first.where, patterns=first.patterns, directives=sorted(first.directives)))
    ev.note("rotated by {}{}".format(first.where, f" ({first.describe()})" if first.describe() else ""))
    if len(stanzas) > 1:
        where = ", ".join(s.where for s in stanzas)
        ev.finding("warn", f"{len(stanzas)} logrotate stanzas name it ({where}): "
                           "logrotate rejects a duplicate log entry")


# --- timestamps -----------------------------------------------------------------------------------

_MONTHS = dict((name, index) for index, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1))
_ISO = re.compile(r"(?:^|[\s\[<>])(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,]\d+)?"
                  r"\s*(Z|[+-]\d{2}:?\d{2})?")
_SYSLOG = re.compile(r"^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})\b")
_CLF = re.compile(r"\[(\d{2})/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)/(\d{4}):(\d{2}):(\d{2}):(\d{2}) "
                  r"([+-]\d{4})\]")
_STAMP_ZONE = 64  # a line's own timestamp is near its start; later dates are the message's


def _offset_seconds(text):
    if text in (None, "Z"):
        return 0
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)


def _epoch(fields, offset_text):
    """Epoch of (year, month, day, hour, minute, second): at the given offset, or local time when there is none."""
    try:
        if offset_text is None:
            return time.mktime((*fields, 0, 0, -1))
        return calendar.timegm((*fields, 0, 0, 0)) - _offset_seconds(offset_text)
    except (OverflowError, ValueError):
        return None


def line_time(line, now):
    """When a log line was written, from its leading timestamp (ISO-8601, syslog, common log format), or None."""
    head = line[:_STAMP_ZONE]
    match = _ISO.search(head)
    if match:
        fields = [int(v) for v in match.groups()[:6]]
        if not (1 <= fields[1] <= 12 and 1 <= fields[2] <= 31):
            return None
        return _epoch(fields, match.group(7))
    match = _SYSLOG.match(head)
    if match:
        # syslog has no year: this year, unless that is in the future (a December line read in January)
        year = time.localtime(now).tm_year
        fields = [year, _MONTHS[match.group(1)]] + [int(v) for v in match.groups()[1:]]
        stamp = _epoch(fields, None)
        if stamp is not None and stamp > now + 86400:
            stamp = _epoch([year - 1, *fields[1:]], None)
        return stamp
    match = _CLF.search(head)
    if match:
        fields = [int(match.group(3)), _MONTHS[match.group(2)], int(match.group(1))] + [
            int(v) for v in match.groups()[3:6]]
        return _epoch(fields, match.group(7))
    return None


# --- reading the end of the file ------------------------------------------------------------------


_BLANK = b" \t\r\x00"
# A longer run of bytes without a newline ends the scan.
MAX_LINE_BYTES = 1024 * 1024


def _text(raw):
    """A line as text; NUL bytes (holes left by truncation) dropped."""
    return raw.replace(b"\x00", b"").decode("utf-8", errors="replace")


class BackwardReader(object):
    """The lines of a file from the last to the first, read in blocks from its end."""

    def __init__(self, handle, size, max_bytes):
        self.handle = handle
        self.position = size
        self.max_bytes = max_bytes
        self.bytes_read = 0
        self.reached_start = size == 0
        self.capped = False

    def lines(self):
        rest = b""
        while self.position > 0:
            if self.bytes_read >= self.max_bytes:
                self.capped = True
                if rest[-MAX_LINE_BYTES:].strip(_BLANK):
                    yield _text(rest[-MAX_LINE_BYTES:])
                return
            length = min(_BLOCK, self.position)
            self.position -= length
            self.handle.seek(self.position)
            chunk = self.handle.read(length) + rest
            self.bytes_read += length
            parts = chunk.split(b"\n")
            rest = parts[0]
            for part in reversed(parts[1:]):
                if part.strip(_BLANK):
                    yield _text(part)
            if len(rest) > MAX_LINE_BYTES:
                # Not a log line: the hole a writer leaves after copytruncate, or binary data. Stop there.
                self.capped = True
                if rest[-MAX_LINE_BYTES:].strip(_BLANK):
                    yield _text(rest[-MAX_LINE_BYTES:])
                return
        self.reached_start = True
        if rest.strip(_BLANK):
            yield _text(rest)


def last_lines(reader, count):
    selected = []
    for line in reader.lines():
        selected.append(line)
        if len(selected) == count:
            break
    return selected


def lines_since(reader, cutoff, now):
    """Lines written at or after ``cutoff``; an untimed line (a traceback's) belongs to the timed line above it."""
    selected, pending, stamped = [], [], 0
    for line in reader.lines():
        written = line_time(line, now)
        if written is None:
            pending.append(line)
            continue
        stamped += 1
        if written < cutoff:
            return selected, stamped
        selected.extend(pending)
        selected.append(line)
        pending = []
    return selected, stamped


# --- secrets in lines -----------------------------------------------------------------------------

_ASSIGNED = re.compile(r"(?i)((?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key"
                       r"|credentials?|authorization)[\"']?\s*[:=]\s*[\"']?(?:bearer\s+|basic\s+)?)"
                       r"([^\s\"',;&]+)")
_BEARER = re.compile(r"(?i)\b(bearer|basic)(\s+)([A-Za-z0-9._~+/=-]{6,})")
_KEYLIKE = re.compile(r"\b(?:sk|pk|rk|whsec)_[A-Za-z0-9_]{8,}|[A-Za-z0-9_+=-]{32,}")


def _mask_token(match):
    token = match.group(0)
    has_digit = any(c.isdigit() for c in token)
    has_letter = any(c.isalpha() for c in token)
    return mask_secret(token) if has_digit and has_letter else token


def mask_line(text):
    """A log line with URL passwords, assigned secrets, bearer tokens and key-like strings masked."""
    text = mask_url(text)
    text = _ASSIGNED.sub(lambda m: m.group(1) + mask_secret(m.group(2)), text)
    text = _BEARER.sub(lambda m: m.group(1) + m.group(2) + mask_secret(m.group(3)), text)
    return _KEYLIKE.sub(_mask_token, text)


def shown_line(text):
    masked = mask_line(text.rstrip("\r"))
    return masked if len(masked) <= SHOWN_CHARS else masked[:SHOWN_CHARS] + "…"


# --- scanning -------------------------------------------------------------------------------------


def _read_window(plan, path, size, now):
    """(lines oldest first, description of the window, reader)."""
    kind, amount = plan["window"]
    try:
        with open(path, "rb") as handle:
            if kind == "lines":
                reader = BackwardReader(handle, size, MAX_SCAN_BYTES)
                lines = last_lines(reader, amount)
                return list(reversed(lines)), f"last {amount} lines", reader
            reader = BackwardReader(handle, size, MAX_SCAN_BYTES)
            lines, stamped = lines_since(reader, now - amount, now)
    except OSError as exc:
        raise CheckError(f"cannot read {path}: {exc.strerror or exc}") from None
    if size and not stamped:
        raise CheckError(f"no line of the last {format_size(reader.bytes_read)} of {path} starts with a timestamp "
                         "this check can read (ISO-8601, syslog or common log format); use tail_lines instead of since")
    return list(reversed(lines)), f"last {format_duration(amount)}", reader


def count_matches(plan, lines):
    """(matching lines, count by pattern)."""
    matching, by_pattern = [], {}
    for line in lines:
        if any(regex.search(line) for regex in plan["ignore_patterns"]):
            continue
        for regex in plan["patterns"]:
            if regex.search(line):
                matching.append(line)
                by_pattern[regex.pattern] = by_pattern.get(regex.pattern, 0) + 1
                break
    return matching, by_pattern


def _grade_lines(ev, plan, path, size, now):
    lines, window, reader = _read_window(plan, path, size, now)
    matching, by_pattern = count_matches(plan, lines)
    ev.observe("window", window)
    ev.observe("lines_scanned", len(lines), "count")
    ev.observe("bytes_read", reader.bytes_read, "bytes")
    ev.observe("matches_by_pattern", {pattern: quantity(found, "count") for pattern, found in by_pattern.items()})
    ev.observe("matching_lines", [shown_line(line) for line in matching[-SHOWN_LINES:]])
    if reader.capped:
        ev.note(f"only the last {format_size(reader.bytes_read)} were read")
    limit = plan["matches"]
    ev.observe("matches", len(matching), "count")
    ev.expect_levels("matches", limit)
    status = limit.grade(len(matching))
    message = f"{len(matching)} matching line{'' if len(matching) == 1 else 's'} in the {window} ({limit.describe()})"
    if status == "pass":
        ev.note(message)
    else:
        ev.finding(status, message)


def _grade_age(ev, plan, st, now):
    age = max(0.0, now - st.st_mtime)
    ev.observe("size", st.st_size, "bytes")
    ev.measure("age_seconds", round(age, 1), plan["age"], label="last written", formatter=_ago)


def _ago(seconds):
    return f"{format_duration(seconds)} ago" if seconds >= 1 else "just now"


def _file_type(mode):
    for test, name in ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a file"


def run(plan, ctx):
    ev = Evaluation()
    ev.expect("path", plan["path"])
    path, st = find_log(plan)
    if path is None:
        ev.observe("exists", False)
        ev.finding("fail", "no log file matches {}".format(plan["path"]) if plan["glob"] else "does not exist")
        return ev.outcome()
    if os.path.isdir(path):
        raise CheckError(f"{path} is a directory, not a log file")
    if not stat.S_ISREG(st.st_mode):
        # A device or pipe has no size to read back from (it would pass as an empty log), and opening a
        # pipe waits for a writer.
        raise CheckError(f"{path} is not a regular file ({_file_type(st.st_mode)}): its lines cannot be read")
    now = time.time()
    ev.observe("exists", True)
    ev.observe("file", path)
    _grade_age(ev, plan, st, now)
    _grade_writable(ev, plan, path, st)
    _grade_rotation(ev, plan, path)
    _grade_lines(ev, plan, path, st.st_size, now)
    return ev.outcome()
