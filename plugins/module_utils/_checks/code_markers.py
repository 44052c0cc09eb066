# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check kind code_markers: TODO, FIXME and other markers left in an application's source trees (private).

Only reads: files are opened read-only, nothing is written. Lines shown are masked like log lines and cut.
"""

from __future__ import annotations

import bisect
import os
import re

from ansible_collections.golive.readiness.plugins.module_utils._check import (
    CheckError,
    Evaluation,
    OptionError,
    format_size,
    limit_from_options,
    parse_count,
    quantity,
)
from ansible_collections.golive.readiness.plugins.module_utils._checks.log_health import mask_line
from ansible_collections.golive.readiness.plugins.module_utils._tree import source_files

KIND = "code_markers"
SECTION = "application"
SEVERITY = "medium"
VARIABLES = {"golive_code_markers": "application"}
DEFAULT_MARKERS = ["TODO", "FIXME", "XXX", "HACK"]
# Any marker left fails; at medium severity that shows in the report without blocking the go-live.
DEFAULT_COUNT = (None, 0)
OPTIONS = dict(
    paths=dict(type="list", elements="str", required=True),
    markers=dict(type="list", elements="str", default=list(DEFAULT_MARKERS)),
    ignore_case=dict(type="bool", default=False),
    include=dict(type="list", elements="str", default=[]),
    exclude=dict(type="list", elements="str", default=[]),
    count_warn_above=dict(type="raw"),
    count_fail_above=dict(type="raw"),
    max_locations=dict(type="int", default=10),
    name=dict(type="str"),
)

# Caps on what one check reads: files listed, bytes of one file, bytes of all files.
MAX_FILES = 20000
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_READ_BYTES = 256 * 1024 * 1024
SHOWN_CHARS = 200
MAX_SHOWN_LOCATIONS = 100
_SHOWN_PATHS = 5
_BINARY_SNIFF = 8192
# Stop with this many seconds left, to report what was found in time.
_RESERVE_SECONDS = 0.3


def describe(item):
    key = item.get("name") or ",".join(item["paths"])
    return key, f"Code markers in {key}"


# --- options ------------------------------------------------------------------------------------

def _paths(item):
    paths = list(item["paths"])
    if not paths:
        raise OptionError("paths: name at least one file, directory or glob")
    for path in paths:
        if not path or not os.path.isabs(path):
            raise OptionError(f"paths: {path!r} must be an absolute path or glob")
    return [os.path.normpath(path) for path in paths]


def _globs(item, option):
    globs = list(item[option])
    for pattern in globs:
        if not pattern or not pattern.strip() or pattern.startswith("/"):
            raise OptionError(f"{option}: {pattern!r} must be a non-empty glob relative to each path")
    return globs


def _marker_regex(markers, ignore_case):
    if not markers:
        raise OptionError("markers: name at least one marker")
    for marker in markers:
        if not marker or not marker.strip() or marker != marker.strip():
            raise OptionError(f"markers: {marker!r} must be a word without surrounding spaces")
    alternatives = "|".join(re.escape(marker) for marker in sorted(set(markers), key=len, reverse=True))
    # A marker is a whole word: TODO in 'TODO:' and '# TODO(ann)', not in 'TODOS' or 'mastodon'.
    return re.compile(rf"(?<![A-Za-z0-9_])(?:{alternatives})(?![A-Za-z0-9_])", re.IGNORECASE if ignore_case else 0)


def prepare(item):
    if item["max_locations"] < 0 or item["max_locations"] > MAX_SHOWN_LOCATIONS:
        raise OptionError(f"max_locations: must be 0 to {MAX_SHOWN_LOCATIONS}, got {item['max_locations']}")
    markers = list(item["markers"])
    return dict(
        paths=_paths(item),
        markers=markers,
        ignore_case=bool(item["ignore_case"]),
        regex=_marker_regex(markers, item["ignore_case"]),
        include=_globs(item, "include"),
        exclude=_globs(item, "exclude"),
        count=limit_from_options(item, "count", "above", parse_count, defaults=DEFAULT_COUNT),
        max_locations=item["max_locations"],
    )


# --- the search ---------------------------------------------------------------------------------

class Search(object):
    """Counts per marker, the first locations, and what could not be searched."""

    def __init__(self, plan, ctx):
        self.plan = plan
        self.ctx = ctx
        self.counts = dict.fromkeys(plan["markers"], 0)
        self.locations = []
        self.searched = 0
        self.bytes_read = 0
        self.binary = 0
        self.too_large = []
        self.unreadable = []
        self.stopped = None
        self._canonical = dict((marker.lower() if plan["ignore_case"] else marker, marker)
                               for marker in plan["markers"])

    def out_of_time(self):
        return self.ctx.remaining() < _RESERVE_SECONDS

    def read(self, path):
        """The file's bytes, or None when it is not searched (too large, unreadable, binary)."""
        try:
            with open(path, "rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            self.unreadable.append(f"{path} ({exc.strerror or exc})")
            return None
        self.bytes_read += len(data)
        if len(data) > MAX_FILE_BYTES:
            self.too_large.append(path)
            return None
        if b"\0" in data[:_BINARY_SNIFF]:
            self.binary += 1
            return None
        return data

    def search(self, path, text):
        starts = None
        for match in self.plan["regex"].finditer(text):
            word = match.group(0)
            marker = self._canonical[word.lower() if self.plan["ignore_case"] else word]
            self.counts[marker] += 1
            if len(self.locations) < self.plan["max_locations"]:
                if starts is None:
                    starts = [0] + [newline.end() for newline in re.finditer("\n", text)]
                number = bisect.bisect_right(starts, match.start())
                end = text.find("\n", match.start())
                line = text[starts[number - 1]:end if end >= 0 else len(text)]
                self.locations.append(dict(file=path, line=number, marker=marker, text=shown_line(line)))

    def run(self, files):
        for index, (path, size) in enumerate(files):
            if self.out_of_time():
                self.stopped = f"the search ({index} of {len(files)} files searched)"
                return
            if self.bytes_read + min(size, MAX_FILE_BYTES) > MAX_READ_BYTES:
                raise CheckError(f"the files to search hold more than the size cap MAX_READ_BYTES "
                                 f"({format_size(MAX_READ_BYTES)}); name fewer paths or exclude some")
            data = self.read(path)
            if data is not None:
                self.searched += 1
                self.search(path, data.decode("utf-8", errors="replace"))


def shown_line(line):
    """A line as a result may show it: stripped, masked like a log line, at most SHOWN_CHARS characters."""
    text = mask_line(line.strip())
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS - 1] + "\u2026"


# --- evaluation ---------------------------------------------------------------------------------

def _listed(plan, ctx):
    found = source_files(plan["paths"], plan["include"], plan["exclude"], MAX_FILES,
                         lambda: ctx.remaining() < _RESERVE_SECONDS)
    if found.over_count:
        raise CheckError(f"more than the cap MAX_FILES ({MAX_FILES}) files to search; "
                         "name fewer paths or exclude some")
    return found


def _report_incomplete(ev, found, search):
    unreadable = found.unreadable + search.unreadable
    if unreadable:
        ev.finding("error", "{} path(s) could not be read, so the search is incomplete: {}".format(
            len(unreadable), ", ".join(unreadable[:_SHOWN_PATHS])))
    for pattern in found.unmatched:
        ev.finding("error", f"nothing matches {pattern}")
    stopped = found.stopped or search.stopped
    if stopped:
        ev.finding("error", f"time limit reached during {stopped}; the search is incomplete (raise timeout)")
    if search.too_large:
        ev.note("{} file(s) over MAX_FILE_BYTES ({}) not searched: {}".format(
            len(search.too_large), format_size(MAX_FILE_BYTES), ", ".join(search.too_large[:_SHOWN_PATHS])))
    if search.binary:
        ev.note(f"{search.binary} binary file(s) not searched")


def _where(locations):
    return ", ".join("{}:{}".format(location["file"], location["line"]) for location in locations[:3])


def run(plan, ctx):
    found = _listed(plan, ctx)
    search = Search(plan, ctx)
    search.run(found.files)
    total = sum(search.counts.values())
    ev = Evaluation()
    ev.observe("paths", plan["paths"])
    ev.observe("files_searched", search.searched, "count")
    ev.observe("bytes_read", search.bytes_read, "bytes")
    ev.observe("by_marker", dict((marker, quantity(count, "count")) for marker, count in search.counts.items()))
    ev.observe("locations", search.locations)
    ev.observe("skipped", dict(binary=quantity(search.binary, "count"), too_large=search.too_large[:_SHOWN_PATHS],
                               unreadable=(found.unreadable + search.unreadable)[:_SHOWN_PATHS]))
    ev.expect("markers", plan["markers"])
    status = ev.measure("count", total, plan["count"], label="markers")
    if status != "pass":
        found_markers = ", ".join(f"{marker} {count}" for marker, count in search.counts.items() if count)
        ev.finding(status, f"{found_markers}, first at {_where(search.locations)}" if search.locations
                   else found_markers)
    _report_incomplete(ev, found, search)
    ev.note(f"{search.searched} file(s) searched")
    return ev.outcome()
