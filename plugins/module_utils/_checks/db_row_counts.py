# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check kind db_row_counts: a table holds as many rows as expected, counted or estimated (private).

``method: auto`` asks the planner's statistics first and counts exactly only when the estimate is at
most ``estimate_above`` rows, so huge tables cost one catalogue lookup. PostgreSQL estimates come
from pg_class.reltuples, MySQL/MariaDB from information_schema.TABLES.TABLE_ROWS, DuckDB from
duckdb_tables().estimated_size; SQLite keeps none, and none is read from the other generic dialects.
An estimate of 0 or less (PostgreSQL's -1 on a never-analysed table, an empty statistics row) is no
estimate: the table is counted exactly and the result says so.
"""

from __future__ import annotations

from ansible_collections.golive.readiness.plugins.module_utils._check import (
    Evaluation,
    Limit,
    OptionError,
    check_order,
    format_number,
    parse_count,
    worst,
)
from ansible_collections.golive.readiness.plugins.module_utils._db import DB_OPTIONS, Database, table_of
from ansible_collections.golive.readiness.plugins.module_utils._db_data import (
    DataSession,
    check_table_name,
    item_key,
    require_table,
    split_name,
)
from ansible_collections.golive.readiness.plugins.module_utils._db_generic import duckdb_estimate, is_generic

KIND = "db_row_counts"
SECTION = "data"
SEVERITY = "high"
VARIABLES = {"golive_row_counts": "data"}
ENDPOINT = True
METHODS = ("auto", "exact", "estimate")
OPTIONS = dict(DB_OPTIONS)
OPTIONS.update(
    table=dict(type="str", required=True),
    min_rows=dict(type="raw"),
    max_rows=dict(type="raw"),
    warn_below=dict(type="raw"),
    warn_above=dict(type="raw"),
    expect_empty=dict(type="bool", default=False),
    method=dict(type="str", choices=list(METHODS), default="auto"),
    estimate_above=dict(type="raw", default=1000000),
)


def describe(item):
    table = item.get("table")
    return item_key(item, table), f"Rows of {table}"


# --- options ------------------------------------------------------------------------------------

def _whole_count(item, option):
    if item.get(option) is None:
        return None
    value = parse_count(item[option], option)
    if value != int(value):
        raise OptionError(f"{option}: {item[option]!r} is not a whole number of rows")
    return int(value)


def _limits(item):
    """(below, above): Limits whose fail levels are min_rows and max_rows, warn levels warn_below/warn_above."""
    levels = dict((option, _whole_count(item, option))
                  for option in ("min_rows", "max_rows", "warn_below", "warn_above"))
    if item.get("expect_empty"):
        for option, value in sorted(levels.items()):
            if value is not None:
                raise OptionError(f"{option}: does not go with expect_empty (an empty table has exactly 0 rows)")
        return Limit(direction="below"), Limit(fail=0, direction="above")
    below = Limit(warn=levels["warn_below"], fail=levels["min_rows"], direction="below")
    above = Limit(warn=levels["warn_above"], fail=levels["max_rows"], direction="above")
    check_order(below, "warn_below/min_rows")
    check_order(above, "warn_above/max_rows")
    highest_floor = max(level for level in (below.warn, below.fail, 0) if level is not None)
    lowest_ceiling = min(level for level in (above.warn, above.fail, float("inf")) if level is not None)
    if highest_floor > lowest_ceiling:
        raise OptionError(f"min_rows/max_rows: the lower levels ({below.describe()}) "
                          f"are above the upper levels ({above.describe()})")
    return below, above


def prepare(item):
    database = Database(item)
    check_table_name(item.get("table"))
    below, above = _limits(item)
    estimate_above = _whole_count(item, "estimate_above")
    return dict(database=database, table=item["table"], below=below, above=above,
                expect_empty=bool(item.get("expect_empty")), method=item["method"],
                estimate_above=1000000 if estimate_above is None else estimate_above)


# --- counting -----------------------------------------------------------------------------------

def exact_count(connection, sqlalchemy, name):
    table = table_of(sqlalchemy, name)
    return int(connection.execute(sqlalchemy.select(sqlalchemy.func.count()).select_from(table)).scalar())


def _postgresql_estimate(connection, sqlalchemy, name):
    """pg_class.reltuples of the relation the name resolves to (search_path included), looked up by
    quote_ident() of bound parameters: the same quoting as the table construct gets."""
    func = sqlalchemy.func
    schema, table = split_name(name)
    quoted = func.quote_ident(sqlalchemy.bindparam("table", table, type_=sqlalchemy.String))
    if schema is not None:
        quoted = func.quote_ident(sqlalchemy.bindparam("schema", schema, type_=sqlalchemy.String)) + "." + quoted
    pg_class = sqlalchemy.table("pg_class", sqlalchemy.column("oid"), sqlalchemy.column("reltuples"),
                                schema="pg_catalog")
    statement = sqlalchemy.select(pg_class.c.reltuples).where(pg_class.c.oid == func.to_regclass(quoted))
    return connection.execute(statement).scalar()


def _mysql_estimate(connection, sqlalchemy, name):
    schema, table = split_name(name)
    tables = sqlalchemy.table("TABLES", sqlalchemy.column("TABLE_SCHEMA"), sqlalchemy.column("TABLE_NAME"),
                              sqlalchemy.column("TABLE_ROWS"), schema="information_schema")
    in_schema = sqlalchemy.func.database() if schema is None else sqlalchemy.bindparam("schema", schema)
    statement = sqlalchemy.select(tables.c.TABLE_ROWS).where(
        tables.c["TABLE_SCHEMA"] == in_schema, tables.c["TABLE_NAME"] == sqlalchemy.bindparam("table", table))
    return connection.execute(statement).scalar()


def planner_estimate(connection, sqlalchemy, backend, name):
    """(estimate or None, why there is none)."""
    if backend == "sqlite":
        return None, "SQLite keeps no row estimate"
    if backend == "duckdb":
        value = duckdb_estimate(connection, sqlalchemy, *split_name(name))
        missing = "no usable estimate (duckdb_tables().estimated_size %s)"
    elif is_generic(backend):
        return None, f"no row estimate is read from the {backend} dialect"
    elif backend == "postgresql":
        value = _postgresql_estimate(connection, sqlalchemy, name)
        missing = "no planner estimate (reltuples %s: the table was never analysed)"
    else:
        value = _mysql_estimate(connection, sqlalchemy, name)
        missing = "no usable estimate (TABLE_ROWS %s)"
    if value is None or float(value) <= 0:
        return None, missing % ("unknown" if value is None else format_number(float(value)))
    return round(float(value)), None


class Count(object):
    def __init__(self):
        self.rows = None
        self.method = None
        self.estimate = None
        self.exact = None
        self.note = None


def count_rows(connection, sqlalchemy, plan):
    count = Count()
    if plan["method"] != "exact":
        count.estimate, count.note = planner_estimate(connection, sqlalchemy, plan["database"].backend,
                                                      plan["table"])
        use_estimate = count.estimate is not None and (
            plan["method"] == "estimate" or count.estimate > plan["estimate_above"])
        if use_estimate:
            count.rows, count.method = count.estimate, "estimate"
            return count
        if count.note is None:
            count.note = f"estimate {count.estimate} is at most estimate_above ({plan['estimate_above']})"
        count.note = f"{count.note}: counted exactly"
    count.exact = exact_count(connection, sqlalchemy, plan["table"])
    count.rows, count.method = count.exact, "exact"
    return count


# --- grading ------------------------------------------------------------------------------------

def _observe(ev, plan, count):
    ev.observe("database", plan["database"].shown)
    ev.observe("table", plan["table"])
    ev.observe("rows", count.rows, "count")
    ev.observe("method", count.method)
    if count.estimate is not None:
        ev.observe("estimate", count.estimate, "count")
    if count.exact is not None:
        ev.observe("exact", count.exact, "count")
    if count.note:
        ev.observe("method_note", count.note)


def _grade(ev, plan, count):
    shown = f"{count.rows} rows"
    if count.method == "estimate":
        shown = f"about {count.rows} rows (planner estimate)"
    if plan["expect_empty"]:
        ev.expect_at_most("rows", 0, "count")
        ev.require(count.rows == 0, f"{shown}, expected none (expect_empty)", passing="empty")
        return
    limits = [limit for limit in (plan["below"], plan["above"]) if limit.is_set]
    if limits:
        ev.expect_levels("rows", *limits, unit="count")
    statuses = [limit.grade(count.rows) for limit in limits]
    message = "{} ({})".format(shown, ", ".join(limit.describe() for limit in limits)) if limits else shown
    failing = [status for status in statuses if status != "pass"]
    if failing:
        ev.finding(worst(failing), message)
    else:
        ev.note(message)


def run(plan, ctx):
    def work(connection, sqlalchemy):
        require_table(connection, sqlalchemy, plan["database"], plan["table"])
        return count_rows(connection, sqlalchemy, plan)

    count = DataSession(plan["database"]).run(ctx, work)
    ev = Evaluation()
    _observe(ev, plan, count)
    _grade(ev, plan, count)
    if count.note:
        ev.note(count.note)
    return ev.outcome()
