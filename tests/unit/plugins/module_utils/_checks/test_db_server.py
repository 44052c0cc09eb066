"""db_server against the real PostgreSQL and MariaDB of this machine, SQLite files, and a PostgreSQL primary with a
streaming replica started by the test (_pg_cluster)."""

from __future__ import annotations

import json
import time

import pytest
import sqlalchemy as sa
from ansible.module_utils.basic import missing_required_lib

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._checks import db_server

from . import _pg_cluster
from ._kind_runner import run_item as run_kind_item
from ._kind_runner import validated_item
from ._ports import unused_port
from ._sql_databases import ROLE_PASSWORD, mariadb_database, postgres_database, sqlite_database
from ._tcp_servers import tcp_server

needs_cluster = pytest.mark.skipif(not _pg_cluster.available(), reason="needs root, runuser and PostgreSQL binaries")


def run_item(item, timeout=10.0):
    return run_kind_item(db_server, item, timeout)


def prepare(item):
    return db_server.prepare(validated_item(db_server, item))


@pytest.fixture(scope="module")
def pg():
    with postgres_database(with_role=True) as database:
        yield database


@pytest.fixture(scope="module")
def maria():
    with mariadb_database(with_role=True) as database:
        yield database


@pytest.fixture(scope="module")
def cluster():
    if not _pg_cluster.available():
        pytest.skip("needs root, runuser and PostgreSQL binaries")
    with _pg_cluster.pg_cluster() as started:
        started.write_and_wait_replayed()
        yield started


# --- PostgreSQL (the machine's server) ------------------------------------------------------------

def test_postgresql_passes_with_everything_observed(pg):
    record = run_item(dict(url=pg.url, min_version="13", latency_warn_above="20s", latency_fail_above="30s",
                           connections_warn_above="90%", connections_fail_above="95%", role="primary"))
    assert record["id"] == f"db_server:{pg.url}"
    assert record["title"] == f"Database {pg.url}"
    assert (record["section"], record["severity"]) == ("services", "critical")
    assert record["status"] == "pass", record["summary"]
    observed = record["observed"]
    assert observed["product"] == "PostgreSQL"
    assert observed["version"].startswith("15.")
    assert 0 < observed["latency_ms"]["value"] < 30000  # a measured figure; how large depends on the machine's load
    assert observed["role"] == "primary"
    assert observed["ssl"]["encrypted"] is False
    used, maximum = observed["connections"]["used"]["value"], observed["connections"]["max"]["value"]
    assert 1 <= used <= maximum
    assert observed["connections"]["percent"] == {"value": round(100.0 * used / maximum, 1), "unit": "percent"}
    assert record["expected"]["min_version"] == "13"
    assert record["expected"]["role"] == "primary"
    assert "(>= 13)" in record["summary"]


def test_postgresql_version_below_the_minimum_fails(pg):
    record = run_item(dict(url=pg.url, min_version="99.1"))
    assert record["status"] == "fail"
    assert record["summary"].startswith("PostgreSQL 15.") and record["summary"].endswith("is older than 99.1")


def test_latency_over_the_levels_warns_then_fails(pg):
    assert run_item(dict(url=pg.url, latency_warn_above="0ms"))["status"] == "warn"
    record = run_item(dict(url=pg.url, latency_warn_above="0ms", latency_fail_above="0ms"))
    assert record["status"] == "fail"
    assert record["summary"].startswith("latency ") and "fail > 0ms" in record["summary"]
    assert record["expected"]["latency_ms"] == {"warn": {"above": 0}, "fail": {"above": 0}, "unit": "ms"}


def test_connections_over_the_levels_warn_then_fail(pg):
    # At least this check's own connection is in use, so any level of 0% is exceeded.
    assert run_item(dict(url=pg.url, connections_warn_above=0))["status"] == "warn"
    record = run_item(dict(url=pg.url, connections_warn_above="0%", connections_fail_above="0%"))
    assert record["status"] == "fail"
    assert record["summary"].startswith("connections ") and "(warn > 0.0%, fail > 0.0%)" in record["summary"]


def test_require_ssl_fails_on_a_plain_connection(pg):
    record = run_item(dict(url=pg.url, require_ssl=True))
    assert record["status"] == "fail"
    assert record["summary"] == "the connection is not encrypted (require_ssl)"
    assert record["expected"]["ssl"] is True


def test_role_replica_expected_of_a_primary_fails(pg):
    record = run_item(dict(url=pg.url, role="replica", replica_lag_warn_above="10s"))
    assert record["status"] == "fail"
    assert record["summary"] == "primary, expected replica"
    assert record["observed"]["replica_lag_seconds"] is None


def test_a_role_password_never_appears(pg):
    url = pg.url_as(pg.role, ROLE_PASSWORD)
    record = run_item(dict(url=url, min_version="13"))
    assert record["status"] == "pass", record["summary"]
    masked = pg.url_as(pg.role, "****")
    assert record["id"] == f"db_server:{masked}"
    assert ROLE_PASSWORD not in json.dumps(record)
    # The password given as its own option is masked the same way.
    record = run_item(dict(url=f"postgresql+psycopg://{pg.role}@127.0.0.1:5432/{pg.name}",
                           password=ROLE_PASSWORD))
    assert record["status"] == "pass"
    assert ROLE_PASSWORD not in json.dumps(record)


# --- MariaDB -------------------------------------------------------------------------------------

def test_mariadb_version_role_and_connections(maria):
    record = run_item(dict(url=maria.url, min_version="10.6", role="primary", connections_warn_above="90%"))
    assert record["status"] == "pass", record["summary"]
    observed = record["observed"]
    assert observed["product"] == "MariaDB"
    assert observed["role"] == "primary"
    assert observed["connections"]["used"]["value"] >= 1
    assert observed["connections"]["max"]["unit"] == "count"
    assert observed["connections"]["max"]["value"] > 1


def test_mariadb_minimum_version_numbers_compare_numerically(maria):
    # 10.11 is newer than 10.6 and 10.9, though older as text.
    assert run_item(dict(url=maria.url, min_version="10.9"))["status"] == "pass"
    record = run_item(dict(url=maria.url, min_version="11.4"))
    assert record["status"] == "fail"
    assert "is older than 11.4" in record["summary"]


def test_mariadb_replica_expected_fails_and_ssl_is_not_on(maria):
    record = run_item(dict(url=maria.url, role="replica", require_ssl=True, connections_fail_above="0%"))
    assert record["status"] == "fail"
    summary = record["summary"]
    assert "primary, expected replica" in summary
    assert "the connection is not encrypted (require_ssl)" in summary
    assert "connections " in summary
    assert record["observed"]["ssl"] == {"encrypted": False, "version": None, "cipher": None}


def test_mariadb_wrong_password_is_an_error_without_the_password(maria):
    wrong = ROLE_PASSWORD + "-wrong"
    record = run_item(dict(url=maria.url_as(maria.role, wrong)))
    assert record["status"] == "error"
    assert f"Access denied for user '{maria.role}'" in record["summary"]
    assert wrong not in json.dumps(record)
    assert ROLE_PASSWORD not in json.dumps(record)
    record = run_item(dict(url=maria.url_as(maria.role, ROLE_PASSWORD), min_version="10.6"))
    assert record["status"] == "pass", record["summary"]
    assert ROLE_PASSWORD not in json.dumps(record)


# --- SQLite --------------------------------------------------------------------------------------

def test_sqlite_version_and_not_applicable_parts(tmp_path):
    url = sqlite_database(tmp_path)
    record = run_item(dict(url=url, min_version="3.7", latency_warn_above="20s"))
    assert record["status"] == "pass", record["summary"]
    observed = record["observed"]
    assert observed["product"] == "SQLite"
    assert observed["connections"] == "not applicable"
    assert observed["role"] == "not applicable"
    assert run_item(dict(url=url, min_version="99"))["status"] == "fail"


def test_a_missing_sqlite_file_is_an_error_and_is_not_created(tmp_path):
    missing = tmp_path / "absent.db"
    record = run_item(dict(url=f"sqlite:///{missing}"))
    assert record["status"] == "error"
    assert "unable to open database file" in record["summary"]
    assert not missing.exists()


@pytest.mark.parametrize("option, value", [
    ("connections_warn_above", "80%"), ("connections_fail_above", 90), ("require_ssl", True),
    ("role", "primary"), ("replica_lag_warn_above", "5s"), ("replica_lag_fail_above", "1m"),
])
def test_server_options_are_refused_for_sqlite(tmp_path, option, value):
    with pytest.raises(OptionError, match=f"^{option}: does not apply to SQLite"):
        prepare({"url": f"sqlite:///{tmp_path}/x.db", option: value})


# --- unreachable ---------------------------------------------------------------------------------

def test_a_server_that_is_down_is_an_error_at_once():
    port = unused_port()
    started = time.monotonic()
    record = run_item(dict(url=f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"), timeout=60.0)
    assert time.monotonic() - started < 30  # refused at once, not given up on after the 60 s timeout
    assert record["status"] == "error"
    assert "Connection refused" in record["summary"]
    record = run_item(dict(url=f"mysql+pymysql://root@127.0.0.1:{port}/"))
    assert record["status"] == "error"
    assert "Can't connect to MySQL server on '127.0.0.1'" in record["summary"]


@pytest.mark.parametrize("scheme", ["postgresql+psycopg", "mysql+pymysql"])
def test_a_server_that_says_nothing_times_out(scheme):
    with tcp_server(lambda server, conn: time.sleep(120)) as silent:
        started = time.monotonic()
        record = run_item(dict(url=f"{scheme}://app@127.0.0.1:{silent.port}/app"), timeout=1.5)
        elapsed = time.monotonic() - started
    assert record["status"] == "error"
    assert "timed out" in record["summary"]
    assert elapsed < 60  # the server says nothing for 120 s: only the 1.5 s timeout ends it


def test_missing_driver_is_reported_with_the_standard_message(monkeypatch, pg):
    monkeypatch.setitem(__import__("sys").modules, "psycopg", None)  # what an import finds when it is not installed
    record = run_item(dict(url=pg.url))
    assert record["status"] == "error"
    assert record["summary"].startswith(missing_required_lib("psycopg"))


def test_missing_sqlalchemy_is_reported_with_the_standard_message(monkeypatch, tmp_path):
    monkeypatch.setitem(__import__("sys").modules, "sqlalchemy", None)
    record = run_item(dict(url=f"sqlite:///{tmp_path}/x.db"))
    assert record["status"] == "error"
    assert record["summary"] == missing_required_lib("SQLAlchemy")


# --- bad input -----------------------------------------------------------------------------------

@pytest.mark.parametrize("options, message", [
    (dict(url="postgres://db/x"), "^url: the 'postgres' dialect is not supported"),
    (dict(url="not a url"), "^url: "),
    (dict(min_version="latest"), "^min_version: 'latest' does not start with a version number"),
    (dict(latency_warn_above="fast"), "^latency_warn_above: "),
    (dict(latency_warn_above="2s", latency_fail_above="1s"), "^latency_warn_above/latency_fail_above: the warn"),
    (dict(connections_warn_above="150%"), "^connections_warn_above: '150%' is outside 0-100%"),
    (dict(connections_fail_above="many"), "^connections_fail_above: "),
    (dict(replica_lag_warn_above="a while"), "^replica_lag_warn_above: "),
    (dict(replica_lag_warn_above="1m", replica_lag_fail_above="10s"), "^replica_lag_warn_above/"),
    (dict(connect_timeout="soon"), "^connect_timeout: "),
])
def test_bad_options_name_the_option(options, message):
    item = dict(url="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    item.update(options)
    with pytest.raises(OptionError, match=message):
        prepare(item)


def test_version_comparison_is_numeric():
    assert db_server.version_tuple("15.20 (Debian 15.20-0+deb12u1)") == (15, 20)
    assert db_server.version_tuple("10.11.19-MariaDB-0+deb12u1") == (10, 11, 19)
    assert db_server.newer_or_equal((10, 11, 19), (10, 6))
    assert db_server.newer_or_equal((10, 6), (10, 6, 0))
    assert not db_server.newer_or_equal((10, 5, 99), (10, 6))


# --- the PostgreSQL primary and its streaming replica ---------------------------------------------

@needs_cluster
def test_cluster_primary_and_replica_have_the_roles_expected(cluster):
    primary = run_item(dict(url=cluster.primary.url(), role="primary", replica_lag_fail_above="10s"))
    assert primary["status"] == "pass", primary["summary"]
    assert primary["observed"]["role"] == "primary"
    assert "replica lag: not a replica" in primary["summary"]
    replica = run_item(dict(url=cluster.replica.url(), role="replica", replica_lag_warn_above="5s",
                            replica_lag_fail_above="30s"))
    assert replica["status"] == "pass", replica["summary"]
    observed = replica["observed"]
    assert observed["role"] == "replica"
    assert observed["replication"]["wal_receiver"] == "streaming"
    assert observed["replication"]["receive_lsn"] == observed["replication"]["replay_lsn"]
    assert observed["replica_lag_seconds"]["value"] == 0.0


@needs_cluster
def test_cluster_roles_not_as_expected_fail(cluster):
    assert run_item(dict(url=cluster.primary.url(), role="replica"))["summary"] == "primary, expected replica"
    record = run_item(dict(url=cluster.replica.url(), role="primary"))
    assert (record["status"], record["summary"]) == ("fail", "replica, expected primary")


@needs_cluster
def test_cluster_connections_are_counted_against_max_connections(cluster):
    engine = sa.create_engine(cluster.primary.url(), poolclass=sa.pool.NullPool)
    held = [engine.connect() for dummy in range(4)]
    try:
        record = run_item(dict(url=cluster.primary.url(), connections_warn_above="10%",
                               connections_fail_above="90%"))
    finally:
        for connection in held:
            connection.close()
        engine.dispose()
    connections = record["observed"]["connections"]
    assert connections["max"] == {"value": 20, "unit": "count"}
    assert connections["used"]["value"] >= 5  # the four held and the check's own
    assert record["status"] == "warn"
    assert record["summary"].startswith(f'connections {connections["used"]["value"]} of 20')


@needs_cluster
def test_cluster_ssl_is_required_and_used(cluster):
    record = run_item(dict(url=cluster.primary.url(query="?sslmode=require"), require_ssl=True))
    assert record["status"] == "pass", record["summary"]
    ssl = record["observed"]["ssl"]
    assert ssl["encrypted"] is True and ssl["version"].startswith("TLS")
    plain = run_item(dict(url=cluster.primary.url(query="?sslmode=disable"), require_ssl=True))
    assert plain["status"] == "fail"


@needs_cluster
def test_cluster_wrong_password_is_an_error_without_the_password(cluster):
    wrong = _pg_cluster.PASSWORD + "-wrong"
    record = run_item(dict(url=cluster.primary.url(_pg_cluster.PASSWORD_ROLE, wrong)))
    assert record["status"] == "error"
    assert "password authentication failed" in record["summary"]
    assert wrong not in json.dumps(record)
    assert ":****@" in record["summary"]
    record = run_item(dict(url=cluster.primary.url(_pg_cluster.PASSWORD_ROLE), password=_pg_cluster.PASSWORD,
                           min_version="15"))
    assert record["status"] == "pass", record["summary"]
    assert _pg_cluster.PASSWORD not in json.dumps(record)


@needs_cluster
def test_a_replica_cut_off_from_its_primary_lags_then_the_primary_is_an_error():
    with _pg_cluster.pg_cluster() as cut_off:
        cut_off.write_and_wait_replayed()
        cut_off.primary.stop("immediate")
        time.sleep(1.5)
        item = dict(url=cut_off.replica.url(), role="replica")
        warned = run_item(dict(item, replica_lag_warn_above="1s"))
        failed = run_item(dict(item, replica_lag_warn_above="500ms", replica_lag_fail_above="1s"))
        down = run_item(dict(url=cut_off.primary.url(), role="primary"))
    assert warned["status"] == "warn", warned["summary"]
    assert warned["observed"]["replication"]["wal_receiver"] != "streaming"
    assert warned["observed"]["replica_lag_seconds"]["value"] >= 1.5
    assert failed["status"] == "fail"
    assert failed["summary"].startswith("replica lag ") and "fail > 1s" in failed["summary"]
    assert down["status"] == "error"
    assert "Connection refused" in down["summary"]
