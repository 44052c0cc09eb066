"""db_schema end to end: real `ansible localhost -m golive.readiness.db_schema` runs against throwaway databases in the
machine's PostgreSQL and MariaDB and an SQLite file; the password must appear nowhere in the output or the log."""

from __future__ import annotations

from ansible_collections.golive.readiness.plugins.module_utils._checks import db_schema
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._ports import unused_port
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._sql_databases import (
    RAILS_APPLIED,
    ROLE_PASSWORD,
    mariadb_database,
    postgres_database,
    sqlite_database,
    table_exists,
)

from ._adhoc import ansible_run, ansible_run_logged, assert_documents_options

INJECTION = 'users"; DROP TABLE users; --'


def run_logged(tmp_path, args):
    return ansible_run_logged("db_schema", tmp_path, args)


def test_schemas_pass_on_every_backend_and_the_password_stays_secret(tmp_path):
    sqlite_url = sqlite_database(tmp_path, ("flyway",))
    with postgres_database(("django",), with_role=True) as pg, mariadb_database(("rails",), with_role=True) as maria:
        done, result, written = run_logged(tmp_path, {"checks": [
            {"url": pg.url_as(pg.role, ROLE_PASSWORD), "tables": ["users", "shop.invoices"],
             "indexes": [{"table": "orders", "columns": ["user_id"]}],
             "migration_version": "shop:0002_orders", "expected_migrations": ["auth:0001_initial"]},
            {"url": f"mysql+pymysql://{maria.role}@127.0.0.1:3306/{maria.name}", "password": ROLE_PASSWORD,
             "tables": ["orders"], "migration_version": RAILS_APPLIED[-1]},
            {"url": sqlite_url, "indexes": [{"table": "users", "name": "ix_users_email"}], "migration_version": "2"},
        ]})
    assert ROLE_PASSWORD not in written
    assert done.returncode == 0, done.stdout
    postgres, mariadb, sqlite = result["golive_checks"]
    assert postgres["id"] == "db_schema:{}".format(pg.url_as(pg.role, "****"))
    assert (postgres["section"], postgres["severity"], postgres["status"]) == ("data", "high", "pass")
    assert postgres["observed"]["migration_tool"] == "django"
    assert (mariadb["status"], mariadb["observed"]["migration_tool"]) == ("pass", "rails")
    assert (sqlite["status"], sqlite["observed"]["migration_version"]) == ("pass", ["2"])


def test_failures_and_errors_in_one_call(tmp_path):
    sqlite_url = sqlite_database(tmp_path, ("rails",))
    done, result = ansible_run("db_schema", {"checks": [
        {"url": sqlite_url, "tables": ["users", INJECTION]},
        {"url": sqlite_url, "expected_migrations": [*RAILS_APPLIED, "20990101000000"], "id": "pending"},
        {"url": sqlite_url, "migration_version": RAILS_APPLIED[0], "id": "ahead"},
        {"url": f"postgresql+psycopg://postgres@127.0.0.1:{unused_port()}/shop", "tables": ["users"]},
    ]})
    assert done.returncode == 2
    statuses = [(r["status"], r["summary"]) for r in result["golive_checks"]]
    assert statuses[0] == ("fail", f"missing table: {INJECTION}")
    assert statuses[1] == ("fail", "1 pending migration: 20990101000000")
    assert statuses[2][0] == "warn" and statuses[2][1].endswith("(newer migrations are applied)")
    assert statuses[3][0] == "error" and "Connection refused" in statuses[3][1]
    assert table_exists(sqlite_url, "users")


def test_an_item_with_nothing_to_check_fails_the_task_naming_the_option(tmp_path):
    done, result = ansible_run("db_schema", {"checks": [{"url": f"sqlite:///{tmp_path}/x.db"}]})
    assert done.returncode == 2
    assert result["msg"].startswith("invalid check options: checks[0]: tables: nothing to check")


def test_module_documentation_renders_every_option():
    doc = assert_documents_options("db_schema", db_schema)
    indexes = doc["options"]["checks"]["suboptions"]["indexes"]
    assert set(indexes["suboptions"]) == {"table", "name", "columns"}
    assert db_schema.OPTIONS["password"]["no_log"] is True
