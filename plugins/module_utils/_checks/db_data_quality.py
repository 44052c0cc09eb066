# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check kind db_data_quality: one data test on one table, the generic tests dbt users write, without dbt (private).

Each test counts the offending rows with one statement and fetches at most ``sample_size`` offending
key values with another; whole rows are never read, and a sampled value is sent cut to _db.DB_VALUE_CAP.
Every statement is a SQLAlchemy Core construct:
table and column names from options are quoted by the library, values are bound parameters, and
there is no free SQL (no ``where`` option).
"""

from __future__ import annotations

import datetime
import re

from ansible_collections.golive.readiness.plugins.module_utils._check import (
    CheckError,
    Evaluation,
    Limit,
    OptionError,
    check_order,
    checked_number,
    format_duration,
    parse_count,
    parse_duration,
)
from ansible_collections.golive.readiness.plugins.module_utils._db import DB_OPTIONS, Database, capped_rows
from ansible_collections.golive.readiness.plugins.module_utils._db_data import (
    DataSession,
    check_table_name,
    inspected,
    item_key,
    require_table,
    shown_value,
    split_name,
    table_with_columns,
)
from ansible_collections.golive.readiness.plugins.module_utils._db_generic import is_generic

KIND = "db_data_quality"
SECTION = "data"
SEVERITY = "high"
VARIABLES = {"golive_data_quality": "data"}
ENDPOINT = True
TESTS = ("unique", "not_null", "relationships", "accepted_values", "accepted_range", "freshness", "regex",
         "duplicates")
MAX_SAMPLE_SIZE = 100
OPTIONS = dict(DB_OPTIONS)
OPTIONS.update(
    table=dict(type="str", required=True),
    test=dict(type="str", required=True, choices=list(TESTS)),
    column=dict(type="str"),
    columns=dict(type="list", elements="str"),
    to_table=dict(type="str"),
    to_column=dict(type="str"),
    values=dict(type="list", elements="raw"),
    min=dict(type="raw"),
    max=dict(type="raw"),
    inclusive=dict(type="bool", default=True),
    max_age=dict(type="str"),
    naive_timezone=dict(type="str", choices=["utc", "database"], default="utc"),
    pattern=dict(type="str"),
    warn_above=dict(type="raw"),
    fail_above=dict(type="raw"),
    sample_size=dict(type="int", default=5),
    key_column=dict(type="list", elements="str", no_log=False),
)

GROUP_TESTS = ("unique", "duplicates")
# The options each test takes besides table, column(s) and the common ones; any other is refused.
_TEST_OPTIONS = {
    "unique": (), "duplicates": (), "not_null": (),
    "relationships": ("to_table", "to_column"),
    "accepted_values": ("values",),
    "accepted_range": ("min", "max"),
    "freshness": ("max_age",),
    "regex": ("pattern",),
}
_SPECIFIC = sorted(set(option for options in _TEST_OPTIONS.values() for option in options))
_COUNT_ALIAS = "golive_rows"


def _columns_of(item):
    if item.get("test") in GROUP_TESTS:
        return list(item.get("columns") or ([item["column"]] if item.get("column") else []))
    return [item["column"]] if item.get("column") else []


def title_of(item):
    table, test, columns = item.get("table"), item.get("test"), _columns_of(item)
    if test == "relationships":
        return f"relationships({table}.{item.get('column')} -> {item.get('to_table')}.{item.get('to_column')})"
    return "{}({})".format(test, ", ".join(f"{table}.{column}" for column in columns) or table)


def describe(item):
    title = title_of(item)
    return item_key(item, item.get("table"), title), title


# --- options ------------------------------------------------------------------------------------

def _names(values, option):
    names = [str(value) for value in values]
    for name in names:
        if not name.strip():
            raise OptionError(f"{option}: column names must not be empty")
    if len(set(names)) != len(names):
        raise OptionError(f"{option}: {names} names a column twice")
    return names


def _test_columns(item, test):
    if test in GROUP_TESTS:
        if item.get("column") is not None and item.get("columns") is not None:
            raise OptionError("column/columns: give one of them, not both")
        if not _columns_of(item):
            raise OptionError(f"columns: the {test} test needs one or more columns")
        return _names(_columns_of(item), "columns")
    if item.get("columns") is not None:
        raise OptionError(f"columns: the {test} test takes one column (use column)")
    if item.get("column") is None:
        raise OptionError(f"column: the {test} test needs a column")
    return _names([item["column"]], "column")


def _refuse_foreign_options(item, test):
    for option in _SPECIFIC:
        if item.get(option) is not None and option not in _TEST_OPTIONS[test]:
            raise OptionError(f"{option}: does not apply to the {test} test")
    if test in (*GROUP_TESTS, "freshness") and item.get("key_column") is not None:
        raise OptionError("key_column: does not apply to the {} test ({})".format(
            test, "it reports no rows" if test == "freshness" else "its samples are the repeated values"))


def _scalar(value, option):
    if value is None or isinstance(value, (dict, list)):
        raise OptionError(f"{option}: {value!r} is not a single value")
    return value


def _bound(value, option):
    """An accepted_range bound a database can compare a column with: a finite number, or a date/time
    (a YAML date, or text such as '2024-05-01' or '2024-05-01T12:00:00Z'), kept as the user gave it."""
    value = _scalar(value, option)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return checked_number(value, option, "bound")
    if isinstance(value, str):
        number = _number_in(value)
        if number is not None:
            checked_number(number, option, "bound", value)
            return value
        if parse_timestamp_text(value) is not None:
            return value
    raise OptionError(f"{option}: {value!r} is neither a number nor a date/time "
                      "such as 2024-05-01 or 2024-05-01T12:00:00Z")


def _number_in(text):
    try:
        return float(text.strip())
    except ValueError:
        return None


def _refuse_crossed_bounds(bounds):
    low, high = bounds["min"], bounds["max"]
    numbers = [bound for bound in (low, high) if isinstance(bound, (int, float)) and not isinstance(bound, bool)]
    if len(numbers) == 2 and low > high:
        raise OptionError(f"min/max: min {low!r} is above max {high!r}, so every row would offend")


def _limit(item, test):
    if test == "freshness":
        for option in ("warn_above", "fail_above"):
            if item.get(option) is not None:
                raise OptionError(f"{option}: does not apply to the freshness test (use max_age)")
        return None
    levels = {}
    for level in ("warn", "fail"):
        option = f"{level}_above"
        if item.get(option) is not None:
            value = parse_count(item[option], option)
            if value != int(value):
                raise OptionError(f"{option}: {item[option]!r} is not a whole number of rows")
            levels[level] = int(value)
    if not levels:
        levels["fail"] = 0
    limit = Limit(direction="above", **levels)
    check_order(limit, "warn_above/fail_above")
    return limit


def _specifics(item, test, database):
    if test == "relationships":
        for option in ("to_table", "to_column"):
            if not item.get(option) or not str(item[option]).strip():
                raise OptionError(f"{option}: the relationships test needs it")
        check_table_name(item["to_table"], "to_table")
        return dict(to_table=item["to_table"], to_column=item["to_column"])
    if test == "accepted_values":
        if not item.get("values"):
            raise OptionError("values: the accepted_values test needs at least one value")
        return dict(values=[_scalar(value, "values") for value in item["values"]])
    if test == "accepted_range":
        if item.get("min") is None and item.get("max") is None:
            raise OptionError("min/max: the accepted_range test needs at least one of them")
        bounds = dict((option, None if item.get(option) is None else _bound(item[option], option))
                      for option in ("min", "max"))
        _refuse_crossed_bounds(bounds)
        return dict(bounds, inclusive=item.get("inclusive") is not False)
    if test == "freshness":
        if item.get("max_age") is None:
            raise OptionError("max_age: the freshness test needs it")
        return dict(max_age=parse_duration(item["max_age"], "max_age"),
                    naive_timezone=item["naive_timezone"])
    if test == "regex":
        if not item.get("pattern"):
            raise OptionError("pattern: the regex test needs a pattern")
        if database.backend == "sqlite":  # SQLite's REGEXP is Python's re, so its syntax is known here
            try:
                re.compile(item["pattern"])
            except re.error as exc:
                raise OptionError(f"pattern: {item['pattern']!r} is not a valid regular expression: {exc}") from None
        return dict(pattern=item["pattern"])
    return {}


def _sample_size(item):
    size = 5 if item.get("sample_size") is None else item["sample_size"]
    if not 0 <= size <= MAX_SAMPLE_SIZE:
        raise OptionError(f"sample_size: must be between 0 and {MAX_SAMPLE_SIZE}, got {size}")
    return size


def prepare(item):
    database = Database(item)
    check_table_name(item.get("table"))
    test = item.get("test")
    if test not in TESTS:
        raise OptionError("test: {!r} is not one of {}".format(test, ", ".join(TESTS)))
    columns = _test_columns(item, test)
    _refuse_foreign_options(item, test)
    key_columns = None if item.get("key_column") is None else _names(item["key_column"], "key_column")
    plan = dict(database=database, table=item["table"], test=test, columns=columns, key_columns=key_columns,
                limit=_limit(item, test), sample_size=_sample_size(item), title=title_of(item))
    plan.update(_specifics(item, test, database))
    return plan


# --- statements ---------------------------------------------------------------------------------

def _table(sqlalchemy, name, *column_lists, **kwargs):
    wanted = []
    for columns in column_lists:
        wanted.extend(column for column in columns or () if column not in wanted)
    return table_with_columns(sqlalchemy, name, wanted, kwargs.get("option", "table"))


def offending_condition(sqlalchemy, plan, table):
    """The WHERE clause of the offending rows of a row-wise test (NULLs only offend not_null)."""
    column = table.c[plan["columns"][0]]
    test = plan["test"]
    if test == "not_null":
        return column.is_(None)
    present = column.is_not(None)
    if test == "accepted_values":
        return sqlalchemy.and_(present, column.not_in(plan["values"]))
    if test == "accepted_range":
        outside = []
        if plan["min"] is not None:
            outside.append(column < plan["min"] if plan["inclusive"] else column <= plan["min"])
        if plan["max"] is not None:
            outside.append(column > plan["max"] if plan["inclusive"] else column >= plan["max"])
        return sqlalchemy.and_(present, sqlalchemy.or_(*outside))
    if test == "regex":
        text = sqlalchemy.cast(column, sqlalchemy.String)
        return sqlalchemy.and_(present, sqlalchemy.not_(text.regexp_match(plan["pattern"])))
    if test == "relationships":
        parent = _table(sqlalchemy, plan["to_table"], [plan["to_column"]], option="to_table").alias("golive_parent")
        has_parent = sqlalchemy.exists().where(parent.c[plan["to_column"]] == column)
        return sqlalchemy.and_(present, sqlalchemy.not_(has_parent))
    raise ValueError(f"not a row-wise test: {test}")


def repeated_groups(sqlalchemy, plan):
    """SELECT columns, count(*) of every combination that more than one row has (a subquery)."""
    table = _table(sqlalchemy, plan["table"], plan["columns"])
    columns = [table.c[name] for name in plan["columns"]]
    statement = sqlalchemy.select(*columns, sqlalchemy.func.count().label(_COUNT_ALIAS)).group_by(*columns)
    if plan["test"] == "unique":  # like a UNIQUE constraint: NULLs are never equal to each other
        statement = statement.where(*[column.is_not(None) for column in columns])
    return statement.having(sqlalchemy.func.count() > 1).subquery("golive_groups")


class Finding(object):
    """What a test found: offending rows (and groups), and a few offending keys."""

    def __init__(self, rows, samples, groups=None, key_columns=None):
        self.rows = rows
        self.samples = samples
        self.groups = groups
        self.key_columns = key_columns


def _sample_rows(rows, key_columns, extra=None):
    samples = []
    for row in rows:
        values = [shown_value(value) for value in row]
        if len(key_columns) == 1 and extra is None:
            samples.append(values[0])
            continue
        sample = dict(zip(key_columns, values))
        if extra is not None:
            sample[extra] = values[len(key_columns)]
        samples.append(sample)
    return samples


def find_groups(connection, sqlalchemy, plan):
    groups = repeated_groups(sqlalchemy, plan)
    count = sqlalchemy.func.count
    total = connection.execute(sqlalchemy.select(
        sqlalchemy.func.coalesce(sqlalchemy.func.sum(groups.c[_COUNT_ALIAS]), 0), count())).first()
    samples = []
    if plan["sample_size"] and total[1]:
        keys = [groups.c[name] for name in plan["columns"]]
        rows = capped_rows(connection, sqlalchemy.select(*keys, groups.c[_COUNT_ALIAS]).order_by(
            groups.c[_COUNT_ALIAS].desc(), *keys).limit(plan["sample_size"]), plan["sample_size"])
        samples = _sample_rows(rows, plan["columns"], extra="rows")
    return Finding(int(total[0]), samples, groups=int(total[1]), key_columns=plan["columns"])


def key_columns_of(connection, sqlalchemy, plan):
    """key_column, else the column under test, else (not_null) the primary key the inspector finds."""
    if plan["key_columns"]:
        return plan["key_columns"]
    if plan["test"] != "not_null":
        return plan["columns"]
    schema, table = split_name(plan["table"])
    primary_key = inspected(connection, sqlalchemy,
                            lambda inspector: inspector.get_pk_constraint(table, schema=schema)) or {}
    return list(primary_key.get("constrained_columns") or [])


def find_rows(connection, sqlalchemy, plan):
    keys = key_columns_of(connection, sqlalchemy, plan)
    table = _table(sqlalchemy, plan["table"], plan["columns"], keys)
    condition = offending_condition(sqlalchemy, plan, table)
    rows = int(connection.execute(
        sqlalchemy.select(sqlalchemy.func.count()).select_from(table).where(condition)).scalar())
    samples = []
    if plan["sample_size"] and rows and keys:
        key_refs = [table.c[name] for name in keys]
        fetched = capped_rows(connection, sqlalchemy.select(*key_refs).where(condition).group_by(*key_refs).order_by(
            *key_refs).limit(plan["sample_size"]), plan["sample_size"])
        samples = _sample_rows(fetched, keys)
    return Finding(rows, samples, key_columns=keys)


# --- freshness ----------------------------------------------------------------------------------

_SQLITE_STAMP = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6})\d*)?)?)?"
                           r"\s*(Z|[+-]\d{2}:?\d{2})?$")


def parse_timestamp_text(text):
    """A datetime from the ISO-8601 text SQLite stores ('2024-05-01 12:00:00', '...T...Z', '...+02:00')."""
    match = _SQLITE_STAMP.match(str(text).strip())
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    stamp = datetime.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
                              int((fraction or "0").ljust(6, "0")))
    if zone is None:
        return stamp
    if zone == "Z":
        return stamp.replace(tzinfo=datetime.timezone.utc)
    digits = zone[1:].replace(":", "")
    offset = datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return stamp.replace(tzinfo=datetime.timezone(offset if zone[0] == "+" else -offset))


class Clock(object):
    """The database's own 'now', as an aware instant and as naive UTC and naive session-local times."""

    def __init__(self, utc_naive, local_naive):
        self.utc_naive = utc_naive
        self.local_naive = local_naive

    def age_of(self, newest, naive_timezone):
        """Seconds between the newest value and now, by the database's clock."""
        if isinstance(newest, datetime.datetime):
            if newest.tzinfo is not None:
                now = self.utc_naive.replace(tzinfo=datetime.timezone.utc)
                return (now - newest).total_seconds()
            return ((self.utc_naive if naive_timezone == "utc" else self.local_naive) - newest).total_seconds()
        if isinstance(newest, datetime.date):
            midnight = datetime.datetime(newest.year, newest.month, newest.day)
            return self.age_of(midnight, naive_timezone)
        if isinstance(newest, (int, float)) and not isinstance(newest, bool):  # Unix seconds
            return self.utc_naive.replace(tzinfo=datetime.timezone.utc).timestamp() - float(newest)
        if isinstance(newest, str):
            parsed = parse_timestamp_text(newest)
            if parsed is not None:
                return self.age_of(parsed, naive_timezone)
        raise CheckError(f"the newest value {shown_value(newest)!r} is not a timestamp, a date or Unix seconds")


def _naive(value):
    if isinstance(value, str):
        value = parse_timestamp_text(value)
    if value is not None and value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return value


def newest_and_clock(connection, sqlalchemy, plan):
    """(max(column), Clock) read in one statement, so both come from the same moment of the database."""
    backend = plan["database"].backend
    func, literal = sqlalchemy.func, sqlalchemy.literal_column
    table = _table(sqlalchemy, plan["table"], plan["columns"])
    newest = func.max(table.c[plan["columns"][0]])
    if backend == "postgresql":
        clocks = [func.timezone("UTC", func.now()), literal("LOCALTIMESTAMP")]
    elif backend == "sqlite":
        clocks = [func.strftime("%Y-%m-%d %H:%M:%f", "now"), func.strftime("%Y-%m-%d %H:%M:%f", "now", "localtime")]
    elif is_generic(backend):
        # Standard SQL: the current instant (with its time zone) and the session's local wall time.
        clocks = [literal("CURRENT_TIMESTAMP"), literal("LOCALTIMESTAMP")]
    else:
        if plan["naive_timezone"] == "utc":
            # TIMESTAMP columns are then returned in UTC too; DATETIME columns are returned as stored.
            connection.execute(sqlalchemy.text("SET time_zone = '+00:00'"))
        clocks = [func.utc_timestamp(6), func.now(6)]
    [row] = capped_rows(connection, sqlalchemy.select(newest, *clocks).select_from(table), 1)
    return row[0], Clock(_naive(row[1]), _naive(row[2]))


def check_freshness(connection, sqlalchemy, plan, ev):
    newest, clock = newest_and_clock(connection, sqlalchemy, plan)
    column = plan["columns"][0]
    ev.expect_at_most("age_seconds", plan["max_age"], "seconds")
    ev.observe("database_now_utc", clock.utc_naive.isoformat() if clock.utc_naive else None)
    ev.observe("newest", shown_value(newest))
    if newest is None:
        ev.observe("age_seconds", None)
        ev.finding("fail", f"no {column} values: the table is empty or the column is all NULL")
        return
    age = clock.age_of(newest, plan["naive_timezone"])
    ev.observe("age_seconds", round(age, 3), "seconds")
    if age < 0:
        ev.note(f"newest {column} is {format_duration(-age)} in the future by the database's clock")
        return
    message = "newest {} is {} old (max_age {})".format(column, format_duration(age), format_duration(plan["max_age"]))
    ev.require(age <= plan["max_age"], message, passing=message)


# --- grading ------------------------------------------------------------------------------------

def what_offends(plan):
    """'rows with email NULL' and the like, for summaries."""
    column, test = ", ".join(plan["columns"]), plan["test"]
    if test == "not_null":
        return f"rows with {column} NULL"
    if test == "unique":
        return f"rows share their {column} with another row"
    if test == "duplicates":
        return f"rows repeat the same ({column})"
    if test == "accepted_values":
        return "rows with {} not in {}".format(column, plan["values"])
    if test == "accepted_range":
        low, high = ("[", "]") if plan["inclusive"] else ("(", ")")
        bounds = ["" if value is None else str(value) for value in (plan["min"], plan["max"])]
        return f"rows with {column} outside {low}{bounds[0]}, {bounds[1]}{high}"
    if test == "regex":
        return "rows with {} not matching /{}/".format(column, plan["pattern"])
    return "rows of {} whose {} has no {}.{}".format(plan["table"], column, plan["to_table"], plan["to_column"])


def _examples(finding):
    shown = []
    for sample in finding.samples:
        if isinstance(sample, dict):
            shown.append("({})".format(", ".join(f"{key}={value}" for key, value in sample.items())))
        else:
            shown.append(str(sample))
    return ", ".join(shown)


def grade_finding(plan, finding, ev):
    limit = plan["limit"]
    ev.observe("offending_rows", finding.rows, "count")
    if finding.groups is not None:
        ev.observe("offending_groups", finding.groups)
    ev.observe("key_columns", finding.key_columns)
    ev.observe("samples", finding.samples)
    ev.expect_levels("offending_rows", limit)
    message = f"{finding.rows} {what_offends(plan)}"
    if finding.rows == 1:
        message = message.replace(" rows ", " row ", 1).replace(" share ", " shares ", 1).replace(
            " repeat ", " repeats ", 1)
    if finding.groups:
        message += f" in {finding.groups} group{'' if finding.groups == 1 else 's'}"
    message += f" ({limit.describe()})"
    if finding.samples:
        message += f", e.g. {_examples(finding)}"
    elif finding.rows and plan["sample_size"] and not finding.key_columns:
        message += "; no primary key to show samples by (set key_column)"
    status = limit.grade(finding.rows)
    if status == "pass":
        ev.note(message)
    else:
        ev.finding(status, message)


def run(plan, ctx):
    ev = Evaluation()

    def work(connection, sqlalchemy):
        require_table(connection, sqlalchemy, plan["database"], plan["table"])
        if plan["test"] == "relationships":
            require_table(connection, sqlalchemy, plan["database"], plan["to_table"])
        if plan["test"] == "freshness":
            check_freshness(connection, sqlalchemy, plan, ev)
        elif plan["test"] in GROUP_TESTS:
            grade_finding(plan, find_groups(connection, sqlalchemy, plan), ev)
        else:
            grade_finding(plan, find_rows(connection, sqlalchemy, plan), ev)

    ev.observe("database", plan["database"].shown)
    ev.observe("table", plan["table"])
    ev.observe("test", plan["test"])
    ev.observe("columns", plan["columns"])
    DataSession(plan["database"]).run(ctx, work)
    return ev.outcome()
