"""Real backups for the backup tests: a throwaway PostgreSQL source database, its pg_dump dumps, archives of them,
broken copies, and file ages set with os.utime.

The source database is named golive_bk_<random> on the local PostgreSQL (trust on 127.0.0.1, user postgres)
and dropped at the end. Its tables include one whose name is shaped like SQL injection, so quoting is proved
by a real table. fingerprint() is what the tests compare before and after a drill to prove the source untouched.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import shutil
import subprocess
import tarfile
import time
import uuid

import sqlalchemy as sa

PG_HOST, PG_PORT, PG_SUPERUSER = "127.0.0.1", 5432, "postgres"
PG_ADMIN = f"postgresql+psycopg://{PG_SUPERUSER}@{PG_HOST}:{PG_PORT}/postgres"
ODD_TABLE = 'odd"; DROP TABLE users; --'
ROWS = {"users": 25, "orders": 120, ODD_TABLE: 3}
HOUR = 3600
DAY = 86400


def unique_name(prefix="golive_bk"):
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def _engine(url, autocommit=False):
    kwargs = dict(isolation_level="AUTOCOMMIT") if autocommit else {}
    return sa.create_engine(url, poolclass=sa.pool.NullPool, **kwargs)


def admin_scalar(statement, **params):
    engine = _engine(PG_ADMIN)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text(statement), params).scalar()
    finally:
        engine.dispose()


def database_exists(name):
    return admin_scalar("SELECT count(*) FROM pg_database WHERE datname = :name", name=name) == 1


def role_exists(name):
    return admin_scalar("SELECT count(*) FROM pg_roles WHERE rolname = :name", name=name) == 1


def drop_role(name):
    engine = _engine(PG_ADMIN, autocommit=True)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text(f'DROP ROLE IF EXISTS "{name}"'))
    finally:
        engine.dispose()


def create_database(name):
    engine = _engine(PG_ADMIN, autocommit=True)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()


def drop_database(name):
    engine = _engine(PG_ADMIN, autocommit=True)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


class SourceDatabase(object):
    """The database the dumps are made of, with a login role that has a password (for the masking tests)."""

    def __init__(self, name):
        self.name = name
        self.url = f"postgresql+psycopg://{PG_SUPERUSER}@{PG_HOST}:{PG_PORT}/{name}"
        self.role = name
        self.password = f"Bk-pw-{uuid.uuid4().hex[:12]}"

    @property
    def reader_url(self):
        """The source as the reader role, password in the URL."""
        return f"postgresql+psycopg://{self.role}:{self.password}@{PG_HOST}:{PG_PORT}/{self.name}"

    def execute(self, *statements):
        engine = _engine(self.url)
        try:
            with engine.begin() as connection:
                for statement in statements:
                    connection.execute(sa.text(statement) if isinstance(statement, str) else statement)
        finally:
            engine.dispose()

    def fingerprint(self):
        """Row counts and an md5 over every row of every table, and the tables' names: equal before and after
        a drill when the drill did not touch the source."""
        engine = _engine(self.url)
        try:
            with engine.connect() as connection:
                tables = sorted(sa.inspect(connection).get_table_names())
                prints = {}
                for table in tables:
                    quoted = connection.dialect.identifier_preparer.quote_identifier(table)
                    prints[table] = tuple(connection.execute(sa.text(
                        "SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
                        f"FROM {quoted} t")).one())
                return prints
        finally:
            engine.dispose()


def _fill(database):
    metadata = sa.MetaData()
    users = sa.Table("users", metadata, sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("email", sa.String(200), nullable=False))
    orders = sa.Table("orders", metadata, sa.Column("id", sa.Integer, primary_key=True),
                      sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
                      sa.Column("total", sa.Numeric(10, 2)))
    odd = sa.Table(ODD_TABLE, metadata, sa.Column("id", sa.Integer, primary_key=True))
    engine = _engine(database.url)
    try:
        with engine.begin() as connection:
            metadata.create_all(connection)
            connection.execute(users.insert(), [dict(id=n, email=f"u{n}@example.com")
                                                for n in range(1, ROWS["users"] + 1)])
            connection.execute(orders.insert(), [dict(id=n, user_id=1 + n % ROWS["users"], total=n * 1.5)
                                                 for n in range(1, ROWS["orders"] + 1)])
            connection.execute(odd.insert(), [dict(id=n) for n in range(1, ROWS[ODD_TABLE] + 1)])
    finally:
        engine.dispose()


@contextlib.contextmanager
def source_database():
    """A filled source database (and its reader role), dropped afterwards."""
    database = SourceDatabase(unique_name())
    create_database(database.name)
    engine = _engine(PG_ADMIN, autocommit=True)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text(f'CREATE ROLE "{database.role}" LOGIN PASSWORD \'{database.password}\''))
        _fill(database)
        database.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{database.role}"')
        yield database
    finally:
        drop_database(database.name)
        with engine.connect() as connection:
            connection.execute(sa.text(f'DROP ROLE IF EXISTS "{database.role}"'))
        engine.dispose()


def pg_dump(database, target, fmt):
    """Dump the database with the real pg_dump: fmt 'c' (custom), 'p' (plain SQL) or 't' (tar)."""
    subprocess.run(["pg_dump", "-h", PG_HOST, "-p", str(PG_PORT), "-U", PG_SUPERUSER, "-F", fmt, "-f", str(target),
                    database.name], check=True, capture_output=True, timeout=120)
    return str(target)


# --- files --------------------------------------------------------------------------------------

def set_age(path, seconds):
    then = time.time() - seconds
    os.utime(str(path), (then, then))
    return str(path)


def gzip_copy(source, target):
    with open(str(source), "rb") as src, gzip.open(str(target), "wb") as dst:
        shutil.copyfileobj(src, dst)
    return str(target)


def tar_of(target, members, compression=""):
    """A tar archive (mode 'w' + compression suffix, e.g. ':gz') of the given files."""
    with tarfile.open(str(target), "w" + compression) as archive:
        for member in members:
            archive.add(str(member), arcname=os.path.basename(str(member)))
    return str(target)


def cut(source, target, keep=0.5, minus=None):
    """A copy of source truncated to a fraction of its size (or its size minus some bytes)."""
    with open(str(source), "rb") as handle:
        data = handle.read()
    size = len(data) - minus if minus is not None else int(len(data) * keep)
    with open(str(target), "wb") as handle:
        handle.write(data[:size])
    return str(target)


def corrupt(source, target, offset, garbage=b"\xde\xad\xbe\xef" * 4):
    """A copy of source with bytes overwritten at offset."""
    with open(str(source), "rb") as handle:
        data = bytearray(handle.read())
    data[offset:offset + len(garbage)] = garbage
    with open(str(target), "wb") as handle:
        handle.write(bytes(data))
    return str(target)


def without_trailer(source, target):
    """A plain SQL dump with pg_dump's completion trailer (and what follows it) removed."""
    with open(str(source), "rb") as handle:
        text = handle.read()
    marker = text.rindex(b"-- PostgreSQL database dump complete")
    with open(str(target), "wb") as handle:
        handle.write(text[:marker])
    return str(target)


def with_statement(source, target, statement, at_end=False):
    """A plain SQL dump with an extra statement near its start (after the header comments) or before its trailer."""
    with open(str(source), "rb") as handle:
        text = handle.read()
    if at_end:
        marker = text.rindex(b"--\n-- PostgreSQL database dump complete")
    else:
        marker = text.index(b"SET statement_timeout")
    with open(str(target), "wb") as handle:
        handle.write(text[:marker] + statement.encode() + b"\n" + text[marker:])
    return str(target)


def random_file(target, size):
    with open(str(target), "wb") as handle:
        handle.write(os.urandom(size))
    return str(target)
