"""The golive playbook's data and services sections against the real PostgreSQL, MariaDB and Redis.

Throwaway databases (seeded by the data-quality test helpers), a dbt project built by real dbt into a DuckDB
warehouse (its artifacts read on the host and, published by http.server, from the probe) and a harness-started
Redis primary and replica; one ansible-playbook run must put every data check under its host with the right
status, never show a database password, and decide the verdict from them.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys

import pytest
import yaml
from playbook_runs import read_report

from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._dbt_projects import build_project
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._dq_databases import (
    mariadb_database,
    postgres_database,
    seed,
)
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._ports import unused_port
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._real_http_servers import (
    ServerProcess,
)
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._redis_servers import (
    primary_and_replica,
)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def inventory(pg, maria, primary, replica, rates_csv, dbt, dbt_url):
    db01 = dict(
        golive_databases=[dict(url=pg.reader_url, min_version="13", role="primary"),
                          dict(url=maria.reader_url, min_version="10.3")],
        golive_db_schemas=[dict(url=pg.reader_url, tables=["users", "orders"])],
        golive_row_counts=[dict(url=pg.reader_url, table="users", min_rows=5),
                           dict(url=maria.reader_url, table="empty_table", expect_empty=True),
                           dict(url=f"duckdb:///{dbt.warehouse}", table="stg_orders", min_rows=1)],
        golive_dbt=[dict(target_dir=dbt.clean, dbt_target="prod", max_age="1d", id="dbt:clean"),
                    dict(target_dir=dbt.target, require_freshness=True, severity="medium", id="dbt:full"),
                    dict(url=f"{dbt_url}/clean", dbt_target="prod", id="dbt:published")],
        golive_data_quality=[
            dict(url=pg.reader_url, table="users", test="unique", columns=["email"], id="dq:users-email-unique"),
            dict(url=maria.reader_url, table="orders", test="relationships", column="user_id", to_table="users",
                 to_column="id", severity="medium", id="dq:orders-user-fk"),
        ],
        golive_data_files=[dict(path=rates_csv, required_columns=["currency", "rate"],
                                key_value=[dict(key_column="currency", key="USD", column="rate", equals=1.0)])],
    )
    cache01 = dict(golive_redis=[dict(host="127.0.0.1", port=primary.port, role="master", min_replicas=1),
                                 dict(host="127.0.0.1", port=replica.port, role="replica",
                                      replica_link_required=True)])
    common = dict(ansible_connection="local", ansible_python_interpreter=sys.executable,
                  golive_disk_space=[], golive_system_resources=None)
    return {"all": {"vars": common, "hosts": {"db01": db01, "cache01": cache01}}}


@contextlib.contextmanager
def published(directory):
    """Python's http.server over the dbt project: its target directories as a CI server publishes them."""
    port = unused_port()
    server = ServerProcess("http.server", [sys.executable, "-m", "http.server", "--bind", "127.0.0.1",
                                           "--directory", directory, str(port)], directory, [port])
    try:
        server.wait_ready()
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@contextlib.contextmanager
def data_services():
    with contextlib.ExitStack() as stack:
        pg = stack.enter_context(postgres_database())
        maria = stack.enter_context(mariadb_database())
        for database in (pg, maria):
            seed(database)
        primary, replica = stack.enter_context(primary_and_replica())
        yield pg, maria, primary, replica


@pytest.mark.integration
def test_data_and_service_checks_land_in_the_report(tmp_path):
    rates = tmp_path / "exchange_rates.csv"
    rates.write_text("currency,rate\nUSD,2.0\nEUR,0.92\n")
    (tmp_path / "dbt").mkdir()
    dbt = build_project(str(tmp_path / "dbt"))
    with data_services() as (pg, maria, primary, replica), published(dbt.directory) as dbt_url:
        inventory_path = tmp_path / "inventory.yml"
        inventory_path.write_text(yaml.safe_dump(inventory(pg, maria, primary, replica, str(rates), dbt, dbt_url)))
        env = dict(os.environ, GOLIVE_REPORT_DIR=str(tmp_path / "report"), ANSIBLE_NOCOLOR="1")
        proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "golive.yml",
                               "-i", str(inventory_path), "-v"], cwd=REPO, env=env, capture_output=True,
                              text=True, timeout=240, check=False)
        passwords = [pg.password, maria.password]
        pg_shown = pg.reader_url.replace(pg.password, "****")
        maria_shown = maria.reader_url.replace(maria.password, "****")
        redis_ports = primary.port, replica.port
    output = proc.stdout + proc.stderr
    report_text = (tmp_path / "report" / "report.json").read_text()
    junit_text = (tmp_path / "report" / "junit.xml").read_text()
    report = read_report(str(tmp_path / "report" / "report.json"))
    statuses = dict(((c["host"], c["id"]), c["status"]) for c in report["checks"])
    expected = {
        ("db01", f"db_server:{pg_shown}"): "pass",
        ("db01", f"db_server:{maria_shown}"): "pass",
        ("db01", f"db_schema:{pg_shown}"): "pass",
        ("db01", "dq:users-email-unique"): "fail",      # ann@example.test twice
        ("db01", "dq:orders-user-fk"): "fail",          # orders of users 98 and 99 (medium: a warning)
        ("db01", f"data_file:{rates}"): "fail",       # USD at 2.0
        ("db01", "dbt:clean"): "pass",
        ("db01", "dbt:full"): "fail",                 # a failing test, a broken model (medium: a warning)
        ("db01", "dbt:published"): "pass",            # fetched by the probe (the controller)
        ("cache01", f"redis:127.0.0.1:{redis_ports[0]}"): "pass",
        ("cache01", f"redis:127.0.0.1:{redis_ports[1]}"): "pass",
    }
    for key, status in expected.items():
        assert statuses.get(key) == status, (key, statuses.get(key), sorted(statuses))
    row_counts = [c for c in report["checks"] if c["kind"] == "db_row_counts"]
    assert [c["status"] for c in row_counts] == ["pass", "pass", "pass"], row_counts
    full = next(c for c in report["checks"] if c["id"] == "dbt:full")
    assert full["section"] == "data" and full["kind"] == "dbt_artifacts"
    assert "1 test failed: test.shop.relationships_stg_orders_customer_id" in full["summary"]
    assert full["observed"]["sources_fail"] == ["source.shop.raw.raw_customers"]
    published_check = next(c for c in report["checks"] if c["id"] == "dbt:published")
    assert published_check["observed"]["artifacts"]["run_results.json"]["source"] == \
        f"{dbt_url}/clean/run_results.json"
    assert {c["section"] for c in report["checks"] if c["kind"].startswith("db_") and c["kind"] != "db_server"} \
        == {"data"}
    assert report["verdict"] == "NO-GO" and proc.returncode != 0
    assert sorted(b["id"] for b in report["blocking"]) == sorted(
        ["dq:users-email-unique", f"data_file:{rates}"])
    for secret in passwords:
        for text in (output, report_text, junit_text):
            assert secret not in text
