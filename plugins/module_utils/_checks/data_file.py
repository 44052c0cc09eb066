# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check kind data_file: freshness, size, shape and values of a CSV, JSON or JSON Lines file (private).

Files are streamed line by line under the check's time limit. Values read from the file never reach
the results, except the header and the specific values an assertion compares (shortened).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
import os
import re
import stat
import time

from ansible_collections.golive.readiness.plugins.module_utils._check import (
    CheckError,
    Evaluation,
    Limit,
    OptionError,
    check_order,
    format_duration,
    format_number,
    format_size,
    limit_from_options,
    parse_count,
    parse_duration,
    parse_size,
    quantity,
)
from ansible_collections.golive.readiness.plugins.module_utils._globs import MISSING, glob_matches, is_glob
from ansible_collections.golive.readiness.plugins.module_utils._json_assert import (
    QUERY_OPTIONS,
    evaluate,
    expected_of,
    load_jmespath,
    prepare_assertions,
    shown,
)

KIND = "data_file"
SECTION = "data"
SEVERITY = "high"
VARIABLES = {"golive_data_files": "data"}
FORMATS = ("auto", "csv", "json", "jsonl")
# "key" is a row's identifier (currency=USD), not a secret: no_log=False says so to the sanity tests.
KEY_VALUE_OPTIONS = dict(
    key_column=dict(type="str", required=True, no_log=False),
    key=dict(type="str", required=True, no_log=False),
    column=dict(type="str", required=True),
    equals=dict(type="raw"),
    matches=dict(type="str"),
    min=dict(type="float"),
    max=dict(type="float"),
)
OPTIONS = dict(
    path=dict(type="path", required=True),
    format=dict(type="str", default="auto", choices=list(FORMATS)),
    max_age=dict(type="str"),
    age_warn_above=dict(type="str"),
    age_fail_above=dict(type="str"),
    min_size=dict(type="str"),
    delimiter=dict(type="str", default=","),
    encoding=dict(type="str", default="utf-8"),
    has_header=dict(type="bool", default=True),
    columns=dict(type="list", elements="str"),
    required_columns=dict(type="list", elements="str"),
    rows_warn_below=dict(type="int"),
    rows_fail_below=dict(type="int"),
    max_rows=dict(type="int"),
    numeric_bounds=dict(type="dict"),
    key_value=dict(type="list", elements="dict", options=KEY_VALUE_OPTIONS, no_log=False),
    json_query=dict(type="list", elements="dict", options=QUERY_OPTIONS),
)

EXTENSIONS = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_CSV_ONLY = ("has_header", "columns", "required_columns", "numeric_bounds", "key_value")
_ROW_OPTIONS = ("rows_warn_below", "rows_fail_below", "max_rows")
SHOWN_LINES = 5  # line numbers listed per kind of problem; the rest are counted
SHOWN_COLUMNS = 100  # header names shown in observed
_TIME_CHECK_EVERY = 2048  # lines
_READ_CHUNK = 1024 * 1024


def describe(item):
    return item["path"], "Data file {}".format(item["path"])


# --- options ------------------------------------------------------------------------------------


def file_format(path, chosen):
    """The format named by ``chosen``, or told by the path's extension when it is ``auto``."""
    chosen = chosen or "auto"
    if chosen not in FORMATS:
        raise OptionError("format: {!r} is not one of {}".format(chosen, ", ".join(FORMATS)))
    if chosen != "auto":
        return chosen
    extension = os.path.splitext(path)[1].lower()
    if extension not in EXTENSIONS:
        known = ", ".join(sorted(EXTENSIONS))
        raise OptionError(f"format: cannot tell the format of {path} from its extension (known: {known}); set format")
    return EXTENSIONS[extension]


def _age_limit(item):
    limit = limit_from_options(item, "age", "above", parse_duration, format_duration)
    if item.get("max_age") is None:
        return limit
    if limit.fail is not None:
        raise OptionError("max_age: give max_age or age_fail_above, not both")
    limit = Limit(warn=limit.warn, fail=parse_duration(item["max_age"], "max_age"), direction="above",
                  formatter=format_duration)
    check_order(limit, "age_warn_above/max_age")
    return limit


def _row_limits(item):
    limit = limit_from_options(item, "rows", "below", parse_count)
    max_rows = None
    if item.get("max_rows") is not None:
        max_rows = parse_count(item["max_rows"], "max_rows")
        for level, floor in (("warn", limit.warn), ("fail", limit.fail)):
            if floor is not None and max_rows < floor:
                raise OptionError(f"max_rows: {format_number(max_rows)} is below rows_{level}_below "
                                  f"({format_number(floor)}), so the check could never pass")
    return limit, max_rows


def _encoding(item):
    name = item.get("encoding") or "utf-8"
    try:
        info = codecs.lookup(name)
    except LookupError:
        raise OptionError(f"encoding: {name!r} is not an encoding Python knows") from None
    try:
        "a".encode(info.name)
    except (UnicodeError, LookupError, TypeError):
        raise OptionError(f"encoding: {name!r} is not a text encoding") from None
    return info.name


def _delimiter(item):
    delimiter = "," if item.get("delimiter") is None else item["delimiter"]
    if len(delimiter) != 1 or delimiter in "\r\n\"":
        raise OptionError(f"delimiter: {delimiter!r} must be one character other than a quote or a line break")
    return delimiter


def _column_ref(value, has_header, option):
    """A column named in an option: a name, or a 1-based number when the file has no header."""
    text = "" if value is None else str(value)
    if not text.strip():
        raise OptionError(f"{option}: must name a column")
    if not has_header and not (text.isdigit() and int(text) >= 1):
        raise OptionError(f"{option}: {text!r} must be a column number (1 = first) when has_header is false")
    return text


def _bound(value, where):
    if isinstance(value, bool):
        raise OptionError(f"{where}: {value!r} is not a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise OptionError(f"{where}: {value!r} is not a number") from None
    if not math.isfinite(number):
        raise OptionError(f"{where}: {value!r} is not a finite number")
    return number


def _numeric_bounds(item, has_header):
    bounds = item.get("numeric_bounds") or {}
    if not isinstance(bounds, dict):
        raise OptionError("numeric_bounds: must map column names to {min, max}")
    prepared = []
    for column, spec in bounds.items():
        where = f"numeric_bounds[{column}]"
        ref = _column_ref(column, has_header, "numeric_bounds")
        spec = {} if spec is None else spec
        if not isinstance(spec, dict):
            raise OptionError(f"{where}: must be a dictionary with min and/or max, got {spec!r}")
        unknown = sorted(set(spec) - {"min", "max"})
        if unknown:
            raise OptionError("{}: unknown key(s) {} (use min, max)".format(where, ", ".join(map(str, unknown))))
        low = _bound(spec["min"], where + ".min") if spec.get("min") is not None else None
        high = _bound(spec["max"], where + ".max") if spec.get("max") is not None else None
        if low is not None and high is not None and low > high:
            raise OptionError(f"{where}: min ({format_number(low)}) is above max ({format_number(high)})")
        prepared.append(dict(column=ref, min=low, max=high))
    return prepared


def _key_value(item, has_header):
    prepared = []
    for index, spec in enumerate(item.get("key_value") or []):
        where = f"key_value[{index}]"
        if not isinstance(spec, dict):
            raise OptionError(f"{where}: must be a dictionary")
        for option in ("key_column", "key", "column"):
            if spec.get(option) is None:
                raise OptionError(f"{where}: {option} is required")
        entry = dict(key_column=_column_ref(spec["key_column"], has_header, where + ".key_column"),
                     key=str(spec["key"]),
                     column=_column_ref(spec["column"], has_header, where + ".column"),
                     equals=spec.get("equals"), matches=None, min=None, max=None)
        if entry["equals"] is not None and isinstance(entry["equals"], (dict, list)):
            raise OptionError(f"{where}.equals: must be a single value")
        if spec.get("matches") is not None:
            try:
                entry["matches"] = re.compile(spec["matches"])
            except re.error as exc:
                raise OptionError(f"{where}.matches: {spec['matches']!r} is not a valid regular expression: "
                                  f"{exc}") from None
        for bound in ("min", "max"):
            if spec.get(bound) is not None:
                entry[bound] = _bound(spec[bound], f"{where}.{bound}")
        if all(entry[a] is None for a in ("equals", "matches", "min", "max")):
            raise OptionError(f"{where}: give at least one of equals, matches, min, max")
        if entry["min"] is not None and entry["max"] is not None and entry["min"] > entry["max"]:
            raise OptionError(f"{where}: min ({format_number(entry['min'])}) is above max "
                              f"({format_number(entry['max'])})")
        prepared.append(entry)
    return prepared


def _columns(item, has_header):
    columns, required = item.get("columns"), item.get("required_columns")
    if columns is not None and required is not None:
        raise OptionError("columns/required_columns: give one of them (columns already requires every column)")
    for option, names in (("columns", columns), ("required_columns", required)):
        if names is None:
            continue
        if not has_header:
            raise OptionError(f"{option}: needs has_header (a file without a header has no column names)")
        if not names or not all(name is not None and str(name).strip() for name in names):
            raise OptionError(f"{option}: must list column names")
    return (list(columns) if columns is not None else None), (list(required) if required is not None else None)


def _refuse_options_of_other_formats(item, fmt):
    if fmt != "csv":
        given = [o for o in _CSV_ONLY if item.get(o) is not None and item.get(o) != OPTIONS[o].get("default")]
        if item.get("delimiter") not in (None, ","):
            given.insert(0, "delimiter")
        if given:
            raise OptionError("{}: only for CSV files, and this is a {} file".format(", ".join(given), fmt))
    if fmt == "csv" and item.get("json_query"):
        raise OptionError("json_query: only for json and jsonl files, and this is a csv file")
    rows = [o for o in _ROW_OPTIONS if item.get(o) is not None]
    if fmt == "json" and rows:
        raise OptionError("{}: rows are counted in csv and jsonl files; for a JSON document use json_query "
                          "with length(...)".format("/".join(rows)))


def prepare(item):
    path = item.get("path")
    if not path or not os.path.isabs(path):
        raise OptionError(f"path: {path!r} must be absolute")
    fmt = file_format(path, item.get("format"))
    _refuse_options_of_other_formats(item, fmt)
    has_header = item.get("has_header") is not False
    min_size = parse_size(item["min_size"], "min_size") if item.get("min_size") is not None else None
    columns, required_columns = _columns(item, has_header)
    rows, max_rows = _row_limits(item)
    return dict(
        path=path,
        glob=is_glob(path),
        format=fmt,
        encoding=_encoding(item),
        age=_age_limit(item),
        min_size=min_size,
        delimiter=_delimiter(item),
        has_header=has_header,
        columns=columns,
        required_columns=required_columns,
        rows=rows,
        max_rows=max_rows,
        numeric_bounds=_numeric_bounds(item, has_header),
        key_value=_key_value(item, has_header),
        queries=prepare_assertions(item.get("json_query")),
    )


# --- finding the file ---------------------------------------------------------------------------


def _stat(path):
    try:
        return os.stat(path)
    except OSError as exc:
        if exc.errno in MISSING:
            return None
        raise CheckError(f"cannot stat {path}: {exc.strerror or exc}") from None


def locate(plan, ev):
    """(path, stat) of the file to check, or None (after a fail finding) when there is none."""
    if not plan["glob"]:
        st = _stat(plan["path"])
        if st is None:
            ev.finding("fail", "{} does not exist".format(plan["path"]))
        return None if st is None else (plan["path"], st)
    files = []
    for match in glob_matches(plan["path"]):
        st = _stat(match)
        if st is not None and stat.S_ISREG(st.st_mode):
            files.append((match, st))
    ev.observe("matches", len(files), "count")
    if not files:
        ev.finding("fail", "no file matches {}".format(plan["path"]))
        return None
    ev.note(f"newest of {len(files)} match{'' if len(files) == 1 else 'es'}")
    return max(files, key=lambda entry: (entry[1].st_mtime, entry[0]))


def _require_regular(path, st):
    if stat.S_ISDIR(st.st_mode):
        raise CheckError(f"{path} is a directory, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise CheckError(f"{path} is not a regular file")


def open_file(path):
    try:
        return open(path, "rb")
    except OSError as exc:
        raise CheckError(f"cannot open {path}: {exc.strerror or exc}") from None


# --- reading under a deadline -------------------------------------------------------------------


class Budget(object):
    """The time a check may spend reading; past it the check is an error, never a partial pass."""

    def __init__(self, ctx, size):
        self.ends = time.monotonic() + ctx.child_timeout()
        self.limit = ctx.timeout
        self.size = size

    def check(self, handle, what):
        if time.monotonic() >= self.ends:
            try:
                done = handle.tell()
            except (OSError, ValueError):
                done = 0
            raise CheckError(f"timed out after reading {format_size(done)} of {format_size(self.size)} ({what}) "
                             f"within the time limit of {format_duration(self.limit)}; the file was not fully checked")


def _ascii_compatible(encoding):
    return "a,\n".encode(encoding) in (b"a,\n", codecs.BOM_UTF8 + b"a,\n")


def _decode_error(encoding, line, exc, approximate=False):
    where = f"near line {line}" if approximate else f"line {line}, byte {exc.start + 1}"
    return CheckError(f"cannot decode {where} as {encoding} (is encoding right?)")


class Lines(object):
    """The decoded lines of a binary file, read one at a time so that a decoding error names its line.

    ``number`` is the count of lines read so far. Encodings that are not ASCII-compatible (UTF-16, UTF-32)
    are decoded by chunks instead, and their decoding errors name the line only approximately.
    """

    def __init__(self, handle, encoding, budget):
        self.handle = handle
        self.encoding = encoding
        self.budget = budget
        self.number = 0

    def _lines(self):
        if not _ascii_compatible(self.encoding):
            text = io.TextIOWrapper(self.handle, encoding=self.encoding, newline="")
            try:
                yield from text
            except UnicodeDecodeError as exc:
                raise _decode_error(self.encoding, self.number + 1, exc, approximate=True) from None
            return
        decoder = codecs.getincrementaldecoder(self.encoding)()
        for raw in self.handle:
            try:
                yield decoder.decode(raw)
            except UnicodeDecodeError as exc:
                raise _decode_error(self.encoding, self.number + 1, exc) from None
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise _decode_error(self.encoding, self.number, exc) from None

    def __iter__(self):
        for line in self._lines():
            self.number += 1
            if self.number == 1 and line.startswith("\ufeff"):
                line = line[1:]  # a byte order mark (Excel writes one) is not part of the first column name
            if self.number % _TIME_CHECK_EVERY == 0:
                self.budget.check(self.handle, f"{self.number:,} lines")
            yield line


class Offenders(object):
    """How many rows broke one rule, and the first few of their line numbers."""

    def __init__(self):
        self.count = 0
        self.lines = []

    def add(self, line):
        self.count += 1
        if len(self.lines) < SHOWN_LINES:
            self.lines.append(line)

    def where(self):
        more = ", \u2026" if self.count > len(self.lines) else ""
        return "line{} {}{}".format("" if len(self.lines) == 1 else "s", ", ".join(map(str, self.lines)), more)

    def as_dict(self):
        return dict(rows=quantity(self.count, "count"), lines=list(self.lines))


# --- CSV ----------------------------------------------------------------------------------------


def as_number(text):
    """The finite number a cell holds, or None."""
    try:
        number = float(text.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


class ColumnBounds(object):
    def __init__(self, spec):
        self.spec = spec
        self.index = None
        self.non_numeric = Offenders()
        self.out_of_bounds = Offenders()

    def take(self, row, line):
        if self.index >= len(row) or not row[self.index].strip():
            return
        number = as_number(row[self.index])
        if number is None:
            self.non_numeric.add(line)
        elif ((self.spec["min"] is not None and number < self.spec["min"])
              or (self.spec["max"] is not None and number > self.spec["max"])):
            self.out_of_bounds.add(line)

    def describe_bounds(self):
        """'min 0, max 1000', or 'numeric' when only numbers are required."""
        parts = [f"{b} {format_number(self.spec[b])}" for b in ("min", "max") if self.spec[b] is not None]
        return ", ".join(parts) or "numeric"


class KeyValue(object):
    def __init__(self, spec):
        self.spec = spec
        self.key_index = None
        self.index = None
        self.rows = 0
        self.failures = []  # the first rows that fail: line, actual, reasons
        self.failed_rows = 0

    def take(self, row, line):
        if self.key_index >= len(row) or row[self.key_index] != self.spec["key"]:
            return
        self.rows += 1
        actual = row[self.index] if self.index < len(row) else None
        reasons = judge_value(self.spec, actual)
        if reasons:
            self.failed_rows += 1
            if len(self.failures) < SHOWN_LINES:
                self.failures.append(dict(line=line, actual=actual, reasons=reasons))

    def label(self):
        return "{} of {}={}".format(self.spec["column"], self.spec["key_column"], self.spec["key"])

    def describe(self):
        spec, parts = self.spec, []
        if spec["equals"] is not None:
            parts.append("equals {}".format(_expected_text(spec["equals"])))
        if spec["matches"] is not None:
            parts.append("matches /{}/".format(spec["matches"].pattern))
        for bound in ("min", "max"):
            if spec[bound] is not None:
                parts.append(f"{bound} {format_number(spec[bound])}")
        return ", ".join(parts)


def _expected_text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _equal(actual, expected):
    wanted = _expected_text(expected)
    left, right = as_number(actual), as_number(wanted)
    if left is not None and right is not None:
        return left == right
    if isinstance(expected, bool):
        return actual.strip().lower() == wanted
    return actual == wanted


def judge_value(spec, actual):
    """Why one cell fails a key_value assertion (empty when it holds)."""
    if actual is None:
        return ["the row has no such column"]
    reasons = []
    if spec["equals"] is not None and not _equal(actual, spec["equals"]):
        reasons.append("is {}, expected {}".format(shown(actual), shown(_expected_text(spec["equals"]))))
    if spec["matches"] is not None and not spec["matches"].search(actual):
        reasons.append("{} does not match /{}/".format(shown(actual), spec["matches"].pattern))
    number = as_number(actual)
    for bound in ("min", "max"):
        level = spec[bound]
        if level is None:
            continue
        if number is None:
            reasons.append(f"is {shown(actual)}, not a number ({bound} {format_number(level)})")
        elif (number < level) if bound == "min" else (number > level):
            side = "below" if bound == "min" else "above"
            reasons.append(f"is {shown(actual)}, {side} {bound} {format_number(level)}")
    return reasons


def _column_index(header, ref, has_header):
    if not has_header:
        return int(ref) - 1
    return header.index(ref) if ref in header else None


def _check_header(plan, header, ev):
    ev.observe("header", [shown(name) for name in header[:SHOWN_COLUMNS]])
    ev.observe("columns", len(header), "count")
    if plan["columns"] is not None:
        ev.expect("columns", plan["columns"])
        missing = [c for c in plan["columns"] if c not in header]
        extra = [shown(c) for c in header if c not in plan["columns"]]
        if missing or extra:
            parts = []
            if missing:
                parts.append("missing {}".format(", ".join(missing)))
            if extra:
                parts.append("unexpected {}".format(", ".join(extra[:SHOWN_COLUMNS])))
            ev.finding("fail", "header differs from columns: {}".format("; ".join(parts)))
        elif header != plan["columns"]:
            ev.finding("fail", "header has the expected columns in another order")
    if plan["required_columns"] is not None:
        ev.expect("required_columns", plan["required_columns"])
        missing = [c for c in plan["required_columns"] if c not in header]
        ev.require(not missing, "missing column{} {}".format("" if len(missing) == 1 else "s", ", ".join(missing)))


def _bind_columns(plan, header, width, ev):
    """Resolve the columns the value rules name; rules on columns the file lacks fail and are dropped."""
    reported = set()

    def resolve(ref):
        index = _column_index(header, ref, plan["has_header"])
        if index is None or (not plan["has_header"] and index >= width):
            if ref not in reported:
                reported.add(ref)
                ev.finding("fail", f"column {ref} does not exist")
            return None
        return index

    bounds, pairs = [], []
    for spec in plan["numeric_bounds"]:
        rule = ColumnBounds(spec)
        rule.index = resolve(spec["column"])
        if rule.index is not None:
            bounds.append(rule)
    for spec in plan["key_value"]:
        rule = KeyValue(spec)
        rule.key_index, rule.index = resolve(spec["key_column"]), resolve(spec["column"])
        if rule.key_index is not None and rule.index is not None:
            pairs.append(rule)
    return bounds, pairs


class CsvScan(object):
    """One pass over a CSV file: row count, ragged rows and the value rules."""

    def __init__(self, plan):
        self.plan = plan
        self.header = None
        self.rows = 0
        self.ragged = Offenders()
        self.bounds = []
        self.pairs = []
        self.error = None

    def run(self, handle, budget, ev):
        lines = Lines(handle, self.plan["encoding"], budget)
        reader = csv.reader(lines, delimiter=self.plan["delimiter"], strict=True)
        width = None
        try:
            next_start = 1
            for row in reader:
                # A quoted field may span lines: a row starts on the line after the previous row ended.
                started, next_start = next_start, lines.number + 1
                if not row:
                    continue  # a blank line
                if width is None:
                    width = len(row)
                    if self.plan["has_header"]:
                        self.header = row
                        _check_header(self.plan, row, ev)
                        self.bounds, self.pairs = _bind_columns(self.plan, row, width, ev)
                        continue
                    self.bounds, self.pairs = _bind_columns(self.plan, [], width, ev)
                self._take(row, started, width)
        except csv.Error as exc:
            self.error = f"not valid CSV at line {lines.number}: {exc}"

    def _take(self, row, line, width):
        self.rows += 1
        if len(row) != width:
            self.ragged.add(line)
        for rule in self.bounds:
            rule.take(row, line)
        for rule in self.pairs:
            rule.take(row, line)


def _grade_rows(plan, rows, ev):
    ev.measure("rows", rows, plan["rows"], label="rows")
    if plan["max_rows"] is not None:
        ev.expect_at_most("rows", plan["max_rows"], "count")
        ev.require(rows <= plan["max_rows"], f"{rows} rows, more than max_rows {format_number(plan['max_rows'])}")


def _report_bounds(scan, ev):
    observed = {}
    for rule in scan.bounds:
        column = rule.spec["column"]
        observed[column] = dict(non_numeric=rule.non_numeric.as_dict(), out_of_bounds=rule.out_of_bounds.as_dict())
        if rule.non_numeric.count:
            count = rule.non_numeric.count
            ev.finding("fail", f"{column}: {count} row{'' if count == 1 else 's'} not numeric "
                               f"({rule.non_numeric.where()})")
        if rule.out_of_bounds.count:
            count = rule.out_of_bounds.count
            ev.finding("fail", f"{column}: {count} row{'' if count == 1 else 's'} out of bounds "
                               f"({rule.describe_bounds()}; {rule.out_of_bounds.where()})")
    if scan.bounds:
        ev.observe("numeric_bounds", observed)
        ev.expect("numeric_bounds", dict((r.spec["column"], r.describe_bounds()) for r in scan.bounds))


def _report_key_values(scan, ev):
    results = []
    for rule in scan.pairs:
        result = dict(key_column=rule.spec["key_column"], key=rule.spec["key"], column=rule.spec["column"],
                      assertion=rule.describe(), rows=rule.rows, passed=rule.rows > 0 and not rule.failed_rows)
        if rule.failures:
            result["actual"] = [None if f["actual"] is None else shown(f["actual"]) for f in rule.failures]
            result["lines"] = [f["line"] for f in rule.failures]
        results.append(result)
        if not rule.rows:
            ev.finding("fail", "no row has {}={}".format(rule.spec["key_column"], rule.spec["key"]))
        for failure in rule.failures:
            reasons = "; ".join(failure["reasons"])
            ev.finding("fail", f"{rule.label()} {reasons} (line {failure['line']})")
        if rule.failed_rows > len(rule.failures):
            ev.finding("fail", f"{rule.label()}: and {rule.failed_rows - len(rule.failures)} more row(s)")
    if scan.pairs:
        ev.observe("key_value", results)
        ev.expect("key_value", [dict(key_column=r.spec["key_column"], key=r.spec["key"], column=r.spec["column"],
                                     assertion=r.describe()) for r in scan.pairs])


def check_csv(plan, handle, budget, ev):
    scan = CsvScan(plan)
    scan.run(handle, budget, ev)
    if scan.error:
        ev.finding("fail", scan.error)
        return
    if plan["has_header"] and scan.header is None:
        ev.finding("fail", "the file has no header (it is empty)")
        return
    _grade_rows(plan, scan.rows, ev)
    if scan.ragged.count:
        ev.observe("ragged_rows", scan.ragged.as_dict())
        count = scan.ragged.count
        first = "header" if plan["has_header"] else "first row"
        ev.finding("fail", f"{count} row{'' if count == 1 else 's'} with another number of fields than the {first} "
                           f"({scan.ragged.where()})")
    _report_bounds(scan, ev)
    _report_key_values(scan, ev)


# --- JSON and JSON Lines ------------------------------------------------------------------------


def read_text(plan, handle, budget):
    """The whole file decoded (JSON is parsed in one piece), read in chunks under the deadline."""
    chunks = []
    while True:
        chunk = handle.read(_READ_CHUNK)
        if not chunk:
            break
        chunks.append(chunk)
        budget.check(handle, "reading")
    data = b"".join(chunks)
    try:
        text = data.decode(plan["encoding"])
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - data.rfind(b"\n", 0, exc.start)
        raise CheckError(f"cannot decode line {line}, byte {column} as {plan['encoding']} "
                         "(is encoding right?)") from None
    return text[1:] if text.startswith("\ufeff") else text


def json_type(document):
    for kind, name in ((dict, "object"), (list, "array"), (str, "string"), (bool, "boolean"),
                       ((int, float), "number")):
        if isinstance(document, kind):
            return name
    return "null"


def check_json(plan, handle, budget, ev):
    """The parsed document, or None after a fail finding when it is not JSON."""
    text = read_text(plan, handle, budget)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        ev.finding("fail", f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")
        return None
    ev.observe("type", json_type(document))
    ev.note(f"valid JSON {json_type(document)}")
    return document


def check_jsonl(plan, handle, budget, ev):
    """The list of documents, or None after a fail finding when a line is not JSON."""
    documents = []
    keep = bool(plan["queries"])
    lines = Lines(handle, plan["encoding"], budget)
    rows = 0
    for line in lines:
        if not line.strip():
            continue
        try:
            document = json.loads(line.rstrip("\r\n"))
        except json.JSONDecodeError as exc:
            ev.finding("fail", f"not valid JSON at line {lines.number}, column {exc.colno}: {exc.msg}")
            return None
        rows += 1
        if keep:
            documents.append(document)
    _grade_rows(plan, rows, ev)
    return documents


# --- the check ----------------------------------------------------------------------------------


def _grade_file(plan, path, st, ev):
    ev.observe("path", path)
    ev.observe("size", st.st_size, "bytes")
    ev.measure("age", round(time.time() - st.st_mtime, 1), plan["age"], label="age", formatter=format_duration)
    if plan["min_size"] is not None:
        ev.expect_at_least("size", plan["min_size"], "bytes")
        ev.require(st.st_size >= plan["min_size"], "size {} (min {})".format(
            format_size(st.st_size), format_size(plan["min_size"])), passing=f"size {format_size(st.st_size)}")


def run(plan, ctx):
    if plan["queries"] and load_jmespath() is None:
        # Imported here: the rest of this kind needs nothing outside the standard library.
        from ansible.module_utils.basic import missing_required_lib
        raise CheckError(missing_required_lib("jmespath"))
    ev = Evaluation()
    ev.observe("format", plan["format"])
    found = locate(plan, ev)
    if found is None:
        return ev.outcome()
    path, st = found
    _require_regular(path, st)
    _grade_file(plan, path, st, ev)
    budget = Budget(ctx, st.st_size)
    with open_file(path) as handle:
        if plan["format"] == "csv":
            check_csv(plan, handle, budget, ev)
            return ev.outcome()
        document = (check_json if plan["format"] == "json" else check_jsonl)(plan, handle, budget, ev)
    if document is not None and plan["queries"]:
        ev.expect("json_query", expected_of(plan["queries"]))
        ev.observe("assertions", evaluate(plan["queries"], document, ev))
    return ev.outcome()
