"""Throwaway databases for the data-quality and row-count tests: local PostgreSQL and MariaDB, SQLite and DuckDB files.

Each database gets a unique name, is created by the superuser of the server on 127.0.0.1 (PostgreSQL
``postgres``, MariaDB ``root``, as this machine allows without a password) and dropped at the end, with
any role or user made for it. seed() fills it with the same tables on every backend: good rows and bad
rows for every data test, and a table and column whose names are shaped like SQL injection.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import uuid

import sqlalchemy as sa

PG_ADMIN = os.environ.get("GOLIVE_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
MARIADB_ADMIN = os.environ.get("GOLIVE_TEST_MARIADB_ADMIN", "mysql+pymysql://root@127.0.0.1:3306/")

INJECTION_TABLE = 'users"; DROP TABLE users; --'
INJECTION_COLUMN = 'email"; DROP TABLE users; --'
# A real table and column with such names: quoting must make them work, not break them.
ODD_TABLE = 'odd"; DROP TABLE users; --'
ODD_COLUMN = 'va`l"; DROP TABLE users; --'
# A TCP client on 127.0.0.1 may be seen as either, depending on the server's name resolution.
MARIADB_USER_HOSTS = ("127.0.0.1", "localhost")
NOW = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)


def unique_name(prefix="golive_dq"):
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def _admin(url):
    return sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


class ThrowawayDatabase(object):
    """One database for a test run: its URL for a user and password, and its backend."""

    def __init__(self, backend, url, admin_url=None):
        self.backend = backend
        self.url = url
        self.admin_url = admin_url or url
        self.user = None
        self.password = None

    def url_for(self, user, password):
        parsed = sa.engine.make_url(self.url).set(username=user, password=password)
        return parsed.render_as_string(hide_password=False)

    @property
    def reader_url(self):
        """The URL the checks use: as the user with a password (PostgreSQL, MariaDB), else the file's."""
        return self.url_for(self.user, self.password) if self.user else self.url

    def execute(self, *statements):
        engine = sa.create_engine(self.admin_url, poolclass=sa.pool.NullPool)
        try:
            with engine.begin() as connection:
                for statement in statements:
                    connection.execute(sa.text(statement) if isinstance(statement, str) else statement)
        finally:
            engine.dispose()

    def scalar(self, statement):
        engine = sa.create_engine(self.admin_url, poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as connection:
                return connection.execute(sa.text(statement) if isinstance(statement, str) else statement).scalar()
        finally:
            engine.dispose()

    def has_table(self, name):
        engine = sa.create_engine(self.admin_url, poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as connection:
                return sa.inspect(connection).has_table(name)
        finally:
            engine.dispose()


@contextlib.contextmanager
def postgres_database(password_role=True):
    """A new database on the local PostgreSQL; with a login role that has a password, owning nothing."""
    name = unique_name()
    admin = _admin(PG_ADMIN)
    base = sa.engine.make_url(PG_ADMIN)
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    database = ThrowawayDatabase("postgresql", base.set(database=name).render_as_string(hide_password=False))
    try:
        if password_role:
            database.user, database.password = name, f"Pg-pw-{uuid.uuid4().hex[:12]}"
            with admin.connect() as connection:
                connection.execute(sa.text(f'CREATE ROLE "{name}" LOGIN PASSWORD \'{database.password}\''))
        yield database
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            if password_role:
                connection.execute(sa.text(f'DROP ROLE IF EXISTS "{name}"'))
        admin.dispose()


@contextlib.contextmanager
def mariadb_database(password_user=True):
    """A new database on the local MariaDB; with a user that has a password and may only read it."""
    name = unique_name()
    admin = _admin(MARIADB_ADMIN)
    base = sa.engine.make_url(MARIADB_ADMIN)
    with admin.connect() as connection:
        connection.execute(sa.text(f"CREATE DATABASE `{name}`"))
    database = ThrowawayDatabase("mysql", base.set(database=name).render_as_string(hide_password=False))
    try:
        if password_user:
            database.user, database.password = name[:32], f"My-pw-{uuid.uuid4().hex[:12]}"
            with admin.connect() as connection:
                for host in MARIADB_USER_HOSTS:
                    connection.execute(sa.text(f"CREATE USER '{database.user}'@'{host}' "
                                               f"IDENTIFIED BY '{database.password}'"))
                    connection.execute(sa.text(f"GRANT SELECT ON `{name}`.* TO '{database.user}'@'{host}'"))
        yield database
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
            for host in MARIADB_USER_HOSTS if password_user else ():
                connection.execute(sa.text(f"DROP USER IF EXISTS '{database.user}'@'{host}'"))
        admin.dispose()


@contextlib.contextmanager
def sqlite_database(directory):
    path = os.path.join(str(directory), f"{unique_name()}.sqlite")
    database = ThrowawayDatabase("sqlite", f"sqlite:///{path}")
    try:
        yield database
    finally:
        if os.path.exists(path):
            os.unlink(path)


@contextlib.contextmanager
def duckdb_database(directory):
    """A DuckDB file, the embedded warehouse the generic path of the data kinds is tested on."""
    path = os.path.join(str(directory), f"{unique_name()}.duckdb")
    database = ThrowawayDatabase("duckdb", f"duckdb:///{path}")
    try:
        yield database
    finally:
        for leftover in (path, path + ".wal"):
            if os.path.exists(leftover):
                os.unlink(leftover)


@contextlib.contextmanager
def throwaway_database(backend, directory):
    if backend == "postgresql":
        manager = postgres_database()
    elif backend == "mysql":
        manager = mariadb_database()
    elif backend == "duckdb":
        manager = duckdb_database(directory)
    else:
        manager = sqlite_database(directory)
    with manager as database:
        yield database


def ago(**kwargs):
    """A naive UTC timestamp this long before the start of the test run."""
    return NOW - datetime.timedelta(**kwargs)


def schema():
    metadata = sa.MetaData()
    users = sa.Table(
        "users", metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("email", sa.String(100)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("age", sa.Integer),
        sa.Column("code", sa.String(20)),
        sa.Column("created_at", sa.DateTime),
    )
    orders = sa.Table(
        "orders", metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("user_id", sa.Integer),
        sa.Column("number", sa.String(20)),
        sa.Column("placed_at", sa.DateTime),
    )
    sa.Table("empty_table", metadata, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False))
    odd = sa.Table(ODD_TABLE, metadata, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                   sa.Column(ODD_COLUMN, sa.String(20)))
    return metadata, users, orders, odd


USERS = [
    dict(id=1, email="ann@example.test", status="active", age=30, code="AB-001", created_at=ago(minutes=5)),
    dict(id=2, email="bob@example.test", status="active", age=41, code="AB-002", created_at=ago(hours=2)),
    dict(id=3, email="ann@example.test", status="inactive", age=25, code="AB-003", created_at=ago(days=1)),
    dict(id=4, email=None, status="active", age=17, code="ab-4", created_at=ago(days=2)),
    dict(id=5, email=None, status="banned", age=200, code="AB-005", created_at=ago(days=3)),
    dict(id=6, email="cy@example.test", status="active", age=33, code="AB-006", created_at=ago(days=4)),
]
ORDERS = [
    dict(id=1, user_id=1, number="N-1", placed_at=ago(days=10)),
    dict(id=2, user_id=2, number="N-2", placed_at=ago(days=9)),
    dict(id=3, user_id=99, number="N-3", placed_at=ago(days=8)),
    dict(id=4, user_id=None, number="N-4", placed_at=ago(days=8)),
    dict(id=5, user_id=1, number="N-1", placed_at=ago(days=7)),
    dict(id=6, user_id=98, number="N-6", placed_at=ago(days=7)),
    dict(id=7, user_id=98, number="N-6", placed_at=ago(days=7)),
]
ODD_ROWS = [dict(id=1, value="x"), dict(id=2, value=None)]


def seed(database):
    """The shared test tables and rows; PostgreSQL and MariaDB statistics refreshed for the estimates."""
    metadata, users, orders, odd = schema()
    engine = sa.create_engine(database.admin_url, poolclass=sa.pool.NullPool)
    try:
        metadata.create_all(engine)
        with engine.begin() as connection:
            connection.execute(users.insert(), USERS)
            connection.execute(orders.insert(), ORDERS)
            connection.execute(odd.insert(), [{"id": row["id"], ODD_COLUMN: row["value"]} for row in ODD_ROWS])
    finally:
        engine.dispose()
    if database.backend == "postgresql":
        database.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO \"{database.user}\"",
                         "ANALYZE users", "ANALYZE orders")
    elif database.backend == "mysql":
        database.execute("ANALYZE TABLE users", "ANALYZE TABLE orders")
    return database
