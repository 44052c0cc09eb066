# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check kind db_schema: required tables and indexes exist and the migrations are at the expected version (private).

Tables and indexes are looked up with SQLAlchemy's inspector; names from options are passed to it as
values, never written into SQL. Migration state is read from the table the migration tool keeps
(alembic_version, django_migrations, flyway_schema_history, schema_migrations) with Core statements,
or from a custom query, all inside the read-only transaction. The custom query runs as exactly one
statement through _db's run_single_statement, which nothing in it can turn into a write.
"""

from __future__ import annotations

from ansible_collections.golive.readiness.plugins.module_utils._check import CheckError, Evaluation, OptionError
from ansible_collections.golive.readiness.plugins.module_utils._db import (
    DB_OPTIONS,
    Database,
    fetch_rows,
    inspector_of,
    load_sqlalchemy,
    shown_url,
)

KIND = "db_schema"
SECTION = "data"
SEVERITY = "high"
VARIABLES = {"golive_db_schemas": "data"}
ENDPOINT = True
TOOLS = ("auto", "alembic", "django", "flyway", "rails", "custom")
# The table each tool keeps its history in, in the order auto detection tries them.
TOOL_TABLES = (("alembic", "alembic_version"), ("django", "django_migrations"),
               ("flyway", "flyway_schema_history"), ("rails", "schema_migrations"))
OPTIONS = dict(DB_OPTIONS)
OPTIONS.update(
    schema=dict(type="str"),
    tables=dict(type="list", elements="str"),
    indexes=dict(type="list", elements="dict", options=dict(
        table=dict(type="str", required=True),
        name=dict(type="str"),
        columns=dict(type="list", elements="str"),
    )),
    migration_tool=dict(type="str", default="auto", choices=list(TOOLS)),
    migration_version=dict(type="raw"),
    migration_query=dict(type="str"),
    expected_migrations=dict(type="list", elements="str"),
)


def describe(item):
    shown = shown_url(item.get("url"))
    key = shown if not item.get("schema") else "{}:{}".format(shown, item["schema"])
    return key, f"Schema of {key}"


# --- options ------------------------------------------------------------------------------------

def _names(item, option):
    names = []
    for name in item.get(option) or []:
        if name is None or not str(name).strip():
            raise OptionError(f"{option}: names must not be empty")
        names.append(str(name).strip())
    return names


def _indexes(item):
    wanted = []
    for number, index in enumerate(item.get("indexes") or []):
        option = f"indexes[{number}]"
        if not str(index.get("table") or "").strip():
            raise OptionError(f"{option}.table: must not be empty")
        has_name, columns = bool(index.get("name")), [str(c) for c in index.get("columns") or []]
        if has_name == bool(columns):
            raise OptionError(f"{option}: give exactly one of name or columns")
        wanted.append(dict(table=str(index["table"]).strip(), name=index.get("name"), columns=columns))
    return wanted


def _versions(item):
    """migration_version as a list of strings (a list for alembic heads or one 'app:name' per Django app)."""
    value = item.get("migration_version")
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    if not values or any(v is None or isinstance(v, (dict, list, bool)) or not str(v).strip() for v in values):
        raise OptionError(f"migration_version: {value!r} is not a version or a list of versions")
    return [str(v).strip() for v in values]


def _tool(item):
    tool = item["migration_tool"]
    query = item.get("migration_query")
    if query is not None and not query.strip():
        raise OptionError("migration_query: must not be empty")
    if tool == "auto" and query:
        tool = "custom"
    if tool == "custom":
        if not query:
            raise OptionError("migration_tool: custom needs migration_query")
        if item.get("expected_migrations"):
            raise OptionError("expected_migrations: a custom migration_query returns only the current version")
    elif query:
        raise OptionError("migration_query: only applies with migration_tool custom (or auto)")
    if tool == "alembic" and item.get("expected_migrations"):
        raise OptionError("expected_migrations: alembic records only its current heads; use migration_version")
    return tool


def _check_django_names(tool, versions, expected):
    if tool != "django":
        return
    for option, values in (("migration_version", versions), ("expected_migrations", expected)):
        for value in values:
            app, colon, name = value.partition(":")
            if not (app and colon and name):
                raise OptionError(f"{option}: {value!r} is not app:name (Django migrations are per app)")


def prepare(item):
    database = Database(item)
    tool = _tool(item)
    versions = _versions(item)
    expected = _names(item, "expected_migrations")
    _check_django_names(tool, versions, expected)
    if tool == "custom":
        database.require_single_statement_driver("migration_query")
    if item.get("schema") is not None and not item["schema"].strip():
        raise OptionError("schema: must not be empty")
    tables, indexes = _names(item, "tables"), _indexes(item)
    if indexes and database.generic and database.backend != "duckdb":
        raise OptionError(f"indexes: the {database.backend} dialect has no index catalogue this check reads")
    wants_migrations = bool(versions or expected or tool != "auto")
    if not (tables or indexes or wants_migrations):
        raise OptionError("tables: nothing to check; give tables, indexes, migration_version, expected_migrations,"
                          " migration_tool or migration_query")
    return dict(
        database=database,
        schema=item.get("schema"),
        tables=tables,
        indexes=indexes,
        tool=tool,
        versions=versions,
        query=item.get("migration_query"),
        expected=expected,
        wants_migrations=wants_migrations,
    )


# --- tables and indexes -------------------------------------------------------------------------

def split_name(name, default_schema):
    """('shop', 'orders') from 'shop.orders'; the item's schema (or the connection's default) otherwise."""
    schema, dot, table = name.rpartition(".")
    return (schema if dot else default_schema), table


def table_exists(inspector, name, default_schema):
    schema, table = split_name(name, default_schema)
    return inspector.has_table(table, schema=schema)


def _check_tables(plan, inspector, ev):
    found = [t for t in plan["tables"] if table_exists(inspector, t, plan["schema"])]
    missing = [t for t in plan["tables"] if t not in found]
    ev.observe("tables_found", found)
    ev.observe("tables_missing", missing)
    ev.expect("tables", plan["tables"])
    ev.require(not missing, "missing table{}: {}".format("s" if len(missing) > 1 else "", ", ".join(missing)),
               passing=f"{len(found)} table{'' if len(found) == 1 else 's'} present")


def indexes_of(inspector, name, default_schema, sqlalchemy):
    """[(index name, [columns])] of a table, its primary key included; None when the table does not exist."""
    schema, table = split_name(name, default_schema)
    try:
        indexes = [(i.get("name"), list(i.get("column_names") or [])) for i in inspector.get_indexes(table, schema)]
        primary = inspector.get_pk_constraint(table, schema)
    except sqlalchemy.exc.NoSuchTableError:
        return None
    if primary and primary.get("constrained_columns"):
        indexes.append((primary.get("name"), list(primary["constrained_columns"])))
    return indexes


def describe_index(index):
    if index["name"]:
        return "{}.{}".format(index["table"], index["name"])
    return "{}({})".format(index["table"], ", ".join(index["columns"]))


def index_matches(wanted, name, columns):
    if wanted["name"]:
        return name == wanted["name"]
    return columns[:len(wanted["columns"])] == wanted["columns"]


def _check_indexes(plan, inspector, ev, sqlalchemy):
    found, missing, reasons = [], [], []
    for wanted in plan["indexes"]:
        shown = describe_index(wanted)
        existing = indexes_of(inspector, wanted["table"], plan["schema"], sqlalchemy)
        if existing is None:
            missing.append(shown)
            reasons.append("{} (no table {})".format(shown, wanted["table"]))
        elif any(index_matches(wanted, name, columns) for name, columns in existing):
            found.append(shown)
        else:
            missing.append(shown)
            reasons.append(shown)
    ev.observe("indexes_found", found)
    ev.observe("indexes_missing", missing)
    ev.expect("indexes", [describe_index(w) for w in plan["indexes"]])
    ev.require(not missing, "missing index{}: {}".format("es" if len(missing) > 1 else "", ", ".join(reasons)),
               passing=f"{len(found)} index{'' if len(found) == 1 else 'es'} present")


# --- migrations ---------------------------------------------------------------------------------

class Migrations(object):
    """The migration state a tool records: its current version(s) and everything applied."""

    def __init__(self, tool, current, applied, failed=None, ordered=None):
        self.tool = tool
        self.current = current  # list of versions (alembic heads; Django: app:name per app)
        self.applied = applied  # set of applied versions, or None when the tool does not record them
        self.failed = failed or []
        self.ordered = ordered  # applied versions oldest first, to tell "ahead" from "behind"


def _rows(connection, sqlalchemy, table_name, columns, schema, where=None, order_by=None):
    table = sqlalchemy.table(table_name, *[sqlalchemy.column(c) for c in columns], schema=schema)
    statement = sqlalchemy.select(*[table.c[c] for c in columns])
    if where is not None:
        statement = statement.where(where(table))
    if order_by is not None:
        statement = statement.order_by(*order_by(table))
    return [tuple(row) for row in fetch_rows(connection, statement, f"the rows of {table_name}")]


def read_alembic(connection, sqlalchemy, schema):
    heads = sorted(str(row[0]) for row in _rows(connection, sqlalchemy, "alembic_version", ["version_num"], schema))
    return Migrations("alembic", heads, None)


def read_django(connection, sqlalchemy, schema):
    rows = _rows(connection, sqlalchemy, "django_migrations", ["id", "app", "name"], schema,
                 order_by=lambda t: (t.c.id,))
    latest = dict((app, f"{app}:{name}") for dummy, app, name in rows)
    ordered = [f"{app}:{name}" for dummy, app, name in rows]
    return Migrations("django", sorted(latest.values()), set(ordered), ordered=ordered)


def read_flyway(connection, sqlalchemy, schema):
    rows = _rows(connection, sqlalchemy, "flyway_schema_history", ["installed_rank", "version", "success"], schema,
                 where=lambda t: t.c.version.isnot(None), order_by=lambda t: (t.c.installed_rank,))
    succeeded = [str(version) for dummy, version, success in rows if success]
    failed = [str(version) for dummy, version, success in rows if not success]
    return Migrations("flyway", succeeded[-1:], set(succeeded), failed, ordered=succeeded)


def _rails_order(version):
    return (0, int(version), version) if version.isdigit() else (1, 0, version)


def read_rails(connection, sqlalchemy, schema):
    versions = sorted((str(row[0]) for row in _rows(connection, sqlalchemy, "schema_migrations", ["version"], schema)),
                      key=_rails_order)
    return Migrations("rails", versions[-1:], set(versions), ordered=versions)


def read_custom(database, connection, query):
    rows = database.run_single_statement(connection, query, max_rows=2)
    if len(rows) != 1:
        raise CheckError(f"migration_query returned {'no' if not rows else 'several'} rows, expected exactly one")
    value = rows[0][0]
    return Migrations("custom", [] if value is None else [str(value)], None)


READERS = dict(alembic=read_alembic, django=read_django, flyway=read_flyway, rails=read_rails)


def detect_tool(inspector, schema):
    """The tools whose history table exists, in TOOL_TABLES order."""
    return [tool for tool, table in TOOL_TABLES if inspector.has_table(table, schema=schema)]


def read_migrations(plan, connection, inspector, sqlalchemy, ev):
    """The Migrations of the configured or detected tool; None (with a finding) when there is no history."""
    if plan["tool"] == "custom":
        return read_custom(plan["database"], connection, plan["query"])
    tools = [plan["tool"]] if plan["tool"] != "auto" else detect_tool(inspector, plan["schema"])
    if plan["tool"] == "auto":
        ev.observe("migration_tools_found", tools)
    if not tools:
        ev.finding("fail", "no migration history table found ({})".format(", ".join(t for dummy, t in TOOL_TABLES)))
        return None
    table = dict(TOOL_TABLES)[tools[0]]
    if plan["tool"] != "auto" and not inspector.has_table(table, schema=plan["schema"]):
        ev.finding("fail", f"no {table} table: {tools[0]} migrations were never run here")
        return None
    return READERS[tools[0]](connection, sqlalchemy, plan["schema"])


def _version_status(migrations, expected):
    """'pass', 'warn' (the database is ahead: the expected version is applied and newer ones too) or 'fail'."""
    if migrations.tool == "django":
        current = dict(v.split(":", 1) for v in migrations.current)
        wanted = dict(v.split(":", 1) for v in expected)
        if all(current.get(app) == name for app, name in wanted.items()):
            return "pass"
    elif sorted(migrations.current) == sorted(expected):
        return "pass"
    if migrations.ordered and all(v in migrations.applied for v in expected):
        return "warn"
    return "fail"


def _shown_current(migrations, expected):
    if migrations.tool != "django":
        return ", ".join(migrations.current) or "none"
    apps = set(v.split(":", 1)[0] for v in expected)
    return ", ".join(v for v in migrations.current if v.split(":", 1)[0] in apps) or "none"


def _check_version(plan, migrations, ev):
    expected = plan["versions"]
    ev.expect("migration_version", expected if len(expected) > 1 else expected[0])
    if migrations.tool in ("flyway", "rails", "custom") and len(expected) > 1:
        ev.finding("error", f"migration_version: {migrations.tool} records one current version, "
                            f"{len(expected)} were given")
        return
    status = _version_status(migrations, expected)
    current = _shown_current(migrations, expected)
    message = "migration version {}, expected {}".format(current, ", ".join(expected))
    if status == "pass":
        ev.note(f"migration version {current}")
    elif status == "warn":
        ev.finding("warn", message + " (newer migrations are applied)")
    else:
        ev.finding("fail", message)


def _check_pending(plan, migrations, ev):
    ev.expect("expected_migrations", plan["expected"])
    if migrations.applied is None:
        ev.finding("error", f"expected_migrations: {migrations.tool} does not record which migrations were applied")
        return
    pending = [v for v in plan["expected"] if v not in migrations.applied]
    ev.observe("pending", pending)
    ev.require(not pending, f"{len(pending)} pending migration{'' if len(pending) == 1 else 's'}: {', '.join(pending)}",
               passing=f"{len(plan['expected'])} expected migrations applied")


def _check_migrations(plan, connection, inspector, sqlalchemy, ev):
    migrations = read_migrations(plan, connection, inspector, sqlalchemy, ev)
    if migrations is None:
        ev.observe("migration_tool", None)
        return
    ev.observe("migration_tool", migrations.tool)
    ev.observe("migration_version", migrations.current)
    if migrations.failed:
        ev.observe("failed_migrations", migrations.failed)
        ev.finding("fail", f"failed migration{'s' if len(migrations.failed) > 1 else ''} recorded: "
                           f"{', '.join(migrations.failed)}")
    if plan["versions"]:
        _check_version(plan, migrations, ev)
    if plan["expected"]:
        _check_pending(plan, migrations, ev)
    if not plan["versions"] and not plan["expected"]:
        ev.note("{} migration version {}".format(migrations.tool, ", ".join(migrations.current) or "none"))


def run(plan, ctx):
    sqlalchemy = load_sqlalchemy()
    database = plan["database"]
    ev = Evaluation()
    ev.observe("database", database.shown)
    with database.read_only(ctx) as connection:
        inspector = inspector_of(connection, sqlalchemy)
        if plan["tables"]:
            _check_tables(plan, inspector, ev)
        if plan["indexes"]:
            _check_indexes(plan, inspector, ev, sqlalchemy)
        if plan["wants_migrations"]:
            _check_migrations(plan, connection, inspector, sqlalchemy, ev)
    return ev.outcome()
