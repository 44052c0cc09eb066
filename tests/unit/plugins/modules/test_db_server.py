"""db_server end to end: real `ansible localhost -m golive.readiness.db_server` runs against the machine's PostgreSQL
and MariaDB, in throwaway databases made by the test, and a PostgreSQL primary with a streaming replica started by
the test; the passwords must appear nowhere in the output or the log."""

from __future__ import annotations

import time

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._checks import db_server
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks import _pg_cluster
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._ports import unused_port
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._sql_databases import (
    ROLE_PASSWORD,
    mariadb_database,
    postgres_database,
    sqlite_database,
)

from ._adhoc import ansible_run, ansible_run_logged, assert_documents_options


def run_logged(tmp_path, args):
    return ansible_run_logged("db_server", tmp_path, args)


def test_postgresql_mariadb_and_sqlite_pass_and_passwords_stay_secret(tmp_path):
    sqlite_url = sqlite_database(tmp_path)
    with postgres_database(with_role=True) as pg, mariadb_database(with_role=True) as maria:
        done, result, written = run_logged(tmp_path, {"checks": [
            {"url": pg.url_as(pg.role, ROLE_PASSWORD), "min_version": "13", "role": "primary",
             "connections_fail_above": "95%", "latency_fail_above": "30s"},
            {"url": f"mysql+pymysql://{maria.role}@127.0.0.1:3306/{maria.name}", "password": ROLE_PASSWORD,
             "min_version": "10.6"},
            {"url": sqlite_url, "min_version": "3"},
        ]})
    assert ROLE_PASSWORD not in written
    assert done.returncode == 0, done.stdout
    postgres, mariadb, sqlite = result["golive_checks"]
    assert postgres["id"] == "db_server:{}".format(pg.url_as(pg.role, "****"))
    assert (postgres["section"], postgres["severity"], postgres["status"]) == ("services", "critical", "pass")
    assert postgres["observed"]["role"] == "primary"
    assert mariadb["status"] == "pass" and mariadb["observed"]["product"] == "MariaDB"
    assert sqlite["status"] == "pass" and sqlite["observed"]["connections"] == "not applicable"


def test_failures_and_errors_in_one_call(tmp_path):
    if not _pg_cluster.available():
        pytest.skip("needs root, runuser and PostgreSQL binaries")
    wrong = _pg_cluster.PASSWORD + "-wrong"
    with _pg_cluster.pg_cluster() as cluster:
        cluster.write_and_wait_replayed()
        started = time.monotonic()
        done, result, written = run_logged(tmp_path, {"checks": [
            {"url": cluster.primary.url(), "role": "replica"},
            {"url": cluster.replica.url(), "role": "replica", "replica_lag_fail_above": "30s"},
            {"url": cluster.primary.url(_pg_cluster.PASSWORD_ROLE, wrong)},
            {"url": f"postgresql+psycopg://postgres@127.0.0.1:{unused_port()}/postgres"},
            {"url": cluster.primary.url(), "min_version": "99", "id": "too-old"},
        ]})
        elapsed = time.monotonic() - started
    assert wrong not in written
    assert done.returncode == 2
    assert elapsed < 60  # a bound against a hang, not against a loaded machine's speed
    statuses = [(r["status"], r["summary"]) for r in result["golive_checks"]]
    assert statuses[0] == ("fail", "primary, expected replica")
    assert statuses[1][0] == "pass" and "replica lag 0ms" in statuses[1][1]
    assert statuses[2][0] == "error" and "password authentication failed" in statuses[2][1]
    assert statuses[3][0] == "error" and "Connection refused" in statuses[3][1]
    assert statuses[4][0] == "fail" and "is older than 99" in statuses[4][1]


def test_an_option_for_sqlite_that_cannot_apply_fails_the_task_naming_it(tmp_path):
    done, result = ansible_run("db_server", {"checks": [
        {"url": f"sqlite:///{tmp_path}/x.db", "connections_warn_above": "80%"}]})
    assert done.returncode == 2
    assert result["msg"].startswith(
        "invalid check options: checks[0]: connections_warn_above: does not apply to SQLite")


def test_module_documentation_renders_every_option():
    assert_documents_options("db_server", db_server)
    assert db_server.OPTIONS["password"]["no_log"] is True
    # The URL shows (masked); a password inside it is no_log through CheckModule, proved above at -vvv.
    assert "no_log" not in db_server.OPTIONS["url"]
