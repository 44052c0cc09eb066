"""Throwaway databases for the SQL check tests: one per run in the local PostgreSQL and MariaDB, SQLite files.

Each database gets the same small shop schema (users, orders with indexes) and, on request, the history
table of one migration tool. Databases and roles are named golive_t_<random> and dropped at the end;
nothing that already exists on the servers is touched.
"""

from __future__ import annotations

import contextlib
import os
import uuid

import pytest
import sqlalchemy as sa

POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
MARIADB_ADMIN = "mysql+pymysql://root@127.0.0.1:3306/"
ROLE_PASSWORD = "Rl-5ecret-throwaway-7d2e"

ALEMBIC_HEAD = "ae1027a6acf"
DJANGO_APPLIED = [("contenttypes", "0001_initial"), ("auth", "0001_initial"), ("shop", "0001_initial"),
                  ("shop", "0002_orders"), ("auth", "0002_alter_permission")]
FLYWAY_APPLIED = [(1, "1", True), (2, "1.1", True), (3, None, True), (4, "2", True)]  # 3: a repeatable migration
RAILS_APPLIED = ["20240101000000", "20240301120000", "20240615093000"]
LAYOUTS = ("alembic", "django", "flyway", "rails")


def unique_name():
    return f"golive_t_{uuid.uuid4().hex[:12]}"


def shop_metadata(schema=None):
    metadata = sa.MetaData(schema=schema)
    sa.Table("users", metadata, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("email", sa.String(200), nullable=False), sa.Index("ix_users_email", "email", unique=True))
    sa.Table("orders", metadata, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("user_id", sa.Integer, nullable=False), sa.Column("created_at", sa.DateTime),
             sa.Column("status", sa.String(20)), sa.Index("ix_orders_user_created", "user_id", "created_at"))
    return metadata


def _migration_tables(metadata, layout):
    if layout == "alembic":
        return sa.Table("alembic_version", metadata, sa.Column("version_num", sa.String(32), primary_key=True)), [
            dict(version_num=ALEMBIC_HEAD)]
    if layout == "django":
        return sa.Table("django_migrations", metadata, sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("app", sa.String(255)), sa.Column("name", sa.String(255)),
                        sa.Column("applied", sa.DateTime)), [
            dict(id=n, app=app, name=name) for n, (app, name) in enumerate(DJANGO_APPLIED, 1)]
    if layout == "flyway":
        return sa.Table("flyway_schema_history", metadata, sa.Column("installed_rank", sa.Integer, primary_key=True),
                        sa.Column("version", sa.String(50)), sa.Column("description", sa.String(200)),
                        sa.Column("success", sa.Boolean)), [
            dict(installed_rank=rank, version=version, description="step", success=ok)
            for rank, version, ok in FLYWAY_APPLIED]
    return sa.Table("schema_migrations", metadata, sa.Column("version", sa.String(20), primary_key=True)), [
        dict(version=v) for v in RAILS_APPLIED]


def build_schema(url, layouts=(), schema=None, generated_keys=True):
    """Create the shop tables and the history table of each migration layout in the database at url;
    without ``generated_keys`` (DuckDB has no SERIAL), integer keys are plain columns the rows fill in."""
    metadata = shop_metadata(schema)
    rows = []
    for layout in layouts:
        rows.append(_migration_tables(metadata, layout))
    for table in metadata.tables.values() if not generated_keys else ():
        for column in table.primary_key.columns:
            column.autoincrement = False
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as connection:
            metadata.create_all(connection)
            for table, values in rows:
                connection.execute(table.insert(), values)
    finally:
        engine.dispose()


def execute(url, *statements, autocommit=False):
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    if autocommit:
        engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    try:
        with engine.begin() as connection:
            results = [connection.execute(sa.text(s)) for s in statements]
            return [r.fetchall() if r.returns_rows else None for r in results]
    finally:
        engine.dispose()


class Throwaway(object):
    """A database created for the test: its name, admin URL and (optionally) a role with a password."""

    def __init__(self, name, url, role=None):
        self.name = name
        self.url = url
        self.role = role

    def url_as(self, user, password):
        scheme, rest = self.url.split("://", 1)
        return "{}://{}:{}@{}".format(scheme, user, password, rest.split("@", 1)[1])


@contextlib.contextmanager
def postgres_database(layouts=(), with_role=False):
    """A database golive_t_<random> in the local PostgreSQL (and a LOGIN role with a password), dropped after."""
    name = unique_name()
    execute(POSTGRES_ADMIN, f"CREATE DATABASE {name}", autocommit=True)
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    try:
        execute(url, "CREATE SCHEMA shop")
        build_schema(url, layouts)
        execute(url, "CREATE TABLE shop.invoices (id integer PRIMARY KEY, total numeric)")
        if with_role:
            execute(POSTGRES_ADMIN, f"CREATE ROLE {name} LOGIN PASSWORD '{ROLE_PASSWORD}'", autocommit=True)
            execute(url, f"GRANT USAGE ON SCHEMA shop TO {name}",
                    f"GRANT SELECT ON ALL TABLES IN SCHEMA public, shop TO {name}")
        yield Throwaway(name, url, name if with_role else None)
    finally:
        execute(POSTGRES_ADMIN, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
                f"DROP ROLE IF EXISTS {name}", autocommit=True)  # its grants went with the database


@contextlib.contextmanager
def mariadb_database(layouts=(), with_role=False):
    """A database golive_t_<random> in the local MariaDB (and a user with a password on it), dropped after."""
    name = unique_name()
    execute(MARIADB_ADMIN, f"CREATE DATABASE {name}", autocommit=True)
    url = f"mysql+pymysql://root@127.0.0.1:3306/{name}"
    hosts = ("localhost", "127.0.0.1")
    try:
        build_schema(url, layouts)
        if with_role:
            for host in hosts:
                execute(MARIADB_ADMIN, f"CREATE USER '{name}'@'{host}' IDENTIFIED BY '{ROLE_PASSWORD}'",
                        f"GRANT SELECT ON {name}.* TO '{name}'@'{host}'", autocommit=True)
        yield Throwaway(name, url, name if with_role else None)
    finally:
        statements = [f"DROP DATABASE IF EXISTS {name}"]
        if with_role:
            statements += [f"DROP USER IF EXISTS '{name}'@'{host}'" for host in hosts]
        execute(MARIADB_ADMIN, *statements, autocommit=True)


def sqlite_database(directory, layouts=()):
    """An SQLite file with the shop schema in directory; its URL."""
    path = os.path.join(str(directory), f"{unique_name()}.db")
    url = f"sqlite:///{path}"
    build_schema(url, layouts)
    return url


def duckdb_database(directory, layouts=()):
    """A DuckDB file with the shop schema in directory; its URL."""
    url = f"duckdb:///{os.path.join(str(directory), unique_name())}.duckdb"
    build_schema(url, layouts, generated_keys=False)
    return url


def table_exists(url, name):
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return sa.inspect(connection).has_table(name)
    finally:
        engine.dispose()


# Module-scoped fixtures of a database holding a Rails migration table, as ``pg`` and ``maria``: a test module
# that imports them gets its own database of each for its tests.
@pytest.fixture(scope="module", name="pg")
def rails_postgres():
    with postgres_database(("rails",)) as made:
        yield made


@pytest.fixture(scope="module", name="maria")
def rails_mariadb():
    with mariadb_database(("rails",)) as made:
        yield made
