"""The demo shop's tests: the database bin/seed-database builds has the schema and data the shop relies on."""

import datetime
import importlib.machinery
import importlib.util
import os
import sqlite3

import pytest

BIN = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bin")


def load_script(name):
    """A script of bin/ (no .py suffix) imported as a module."""
    loader = importlib.machinery.SourceFileLoader(name.replace("-", "_"), os.path.join(BIN, name))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


@pytest.fixture
def database(tmp_path):
    path = str(tmp_path / "shop.db")
    load_script("seed-database").seed(path)
    connection = sqlite3.connect(path)
    yield connection
    connection.close()


def test_schema_is_at_the_released_migration(database):
    assert database.execute("SELECT version_num FROM alembic_version").fetchall() == [("4c1d2e9a7b3f",)]


def test_customer_emails_are_unique(database):
    emails = [row[0] for row in database.execute("SELECT email FROM customers")]
    assert emails and len(emails) == len(set(emails))


def test_every_order_belongs_to_a_customer(database):
    orphans = database.execute("SELECT count(*) FROM orders WHERE customer_id NOT IN (SELECT id FROM customers)")
    assert orphans.fetchone() == (0,)


def test_orders_are_in_currencies_the_shop_sells_in(database):
    currencies = set(row[0] for row in database.execute("SELECT DISTINCT currency FROM orders"))
    assert currencies <= {"EUR", "USD", "GBP"}


def test_orders_are_from_the_last_day(database):
    newest = database.execute("SELECT max(created_at) FROM orders").fetchone()[0]
    created = datetime.datetime.strptime(newest, "%Y-%m-%d %H:%M:%S")
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    assert now - created < datetime.timedelta(days=1)


def test_seeding_again_replaces_the_database(tmp_path):
    path = str(tmp_path / "shop.db")
    seed = load_script("seed-database").seed
    seed(path)
    seed(path)
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("SELECT count(*) FROM customers").fetchone() == (4,)
    finally:
        connection.close()
