"""A tiny dbt project built by real dbt (dbt-core with dbt-duckdb) into a DuckDB warehouse, for the dbt tests.

dbt lives in a virtualenv of its own (.venv-dbt, made by scripts/setup from requirements-dbt.txt; dbt's pins
conflict with the suite's). It is slow to start, so a project is built by three invocations only:

- ``dbt build`` of the whole project: seeds, models (one of them broken, so the next one is skipped), tests
  (one failing, one failing at severity warn, the others passing) -> ``target/`` (run_results.json, manifest.json);
- ``dbt source freshness`` -> ``freshness/sources.json``, copied into ``target/`` (dbt writes a manifest.json
  of its own next to it, which must not replace the build's);
- ``dbt build`` of the passing part only -> ``clean/`` (every result a success).

The models read the seeds by ref() (a model reading a source is not ordered after the seed that fills it);
the sources name the same tables, for their freshness. Source freshness gets one table of each status:
orders loaded an hour ago (pass), payments three days ago (warn after two days) and customers in 2020
(error after ten days).
"""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
from typing import NamedTuple

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), *[os.pardir] * 5))
DBT = os.environ.get("GOLIVE_TEST_DBT") or os.path.join(REPO, ".venv-dbt", "bin", "dbt")
DBT_TIMEOUT = 600  # a dbt invocation that has not finished by then is broken, not slow
TARGET = "prod"

PROJECT = """\
name: shop
version: "1.0.0"
config-version: 2
profile: shop
flags:
  send_anonymous_usage_stats: false
  use_colors: false
"""

PROFILES = """\
shop:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: {warehouse}
      threads: 1
    prod:
      type: duckdb
      path: {warehouse}
      threads: 1
"""

SOURCES = """\
version: 2
sources:
  - name: raw
    schema: main
    loaded_at_field: loaded_at
    freshness:
      warn_after: {count: 2, period: day}
      error_after: {count: 10, period: day}
    tables:
      - name: raw_customers
      - name: raw_orders
      - name: raw_payments
"""

MODELS_SCHEMA = """\
version: 2
models:
  - name: stg_customers
    columns:
      - name: id
        data_tests: [unique, not_null]
  - name: stg_orders
    columns:
      - name: id
        data_tests: [unique]
      - name: customer_id
        data_tests:
          - relationships:
              arguments: {to: ref('stg_customers'), field: id}
      - name: status
        data_tests:
          - accepted_values:
              arguments: {values: [placed, shipped]}
              config: {severity: warn}
"""

MODELS = {
    "stg_customers.sql": "select id, name from {{ ref('raw_customers') }}\n",
    "stg_orders.sql": "select id, customer_id, status, amount from {{ ref('raw_orders') }}\n",
    "order_amounts.sql": "{{ config(materialized='ephemeral') }}\nselect id, amount from {{ ref('stg_orders') }}\n",
    "customer_revenue.sql": ("select o.customer_id, sum(a.amount) as revenue from {{ ref('stg_orders') }} o "
                             "join {{ ref('order_amounts') }} a on a.id = o.id group by 1\n"),
    "broken_report.sql": "select no_such_column from {{ ref('stg_customers') }}\n",
    "report_summary.sql": "select count(*) as reports from {{ ref('broken_report') }}\n",  # skipped after it
}


class DbtProject(NamedTuple):
    """Where a built project is: the project, its full build's target/, the passing build's, the warehouse."""

    directory: str
    target: str
    clean: str
    warehouse: str


def _at(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _write(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def write_project(directory: str) -> str:
    """The project's files under ``directory``; the warehouse's path."""
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)
    warehouse = os.path.join(directory, "warehouse.duckdb")
    _write(os.path.join(directory, "dbt_project.yml"), PROJECT)
    _write(os.path.join(directory, "profiles.yml"), PROFILES.format(warehouse=warehouse))
    _write(os.path.join(directory, "models", "sources.yml"), SOURCES)
    _write(os.path.join(directory, "models", "schema.yml"), MODELS_SCHEMA)
    for name, sql in MODELS.items():
        _write(os.path.join(directory, "models", name), sql)
    old = datetime.datetime(2020, 1, 1)
    _write(os.path.join(directory, "seeds", "raw_customers.csv"),
           f"id,name,loaded_at\n1,Ann,{_at(old)}\n2,Bob,{_at(old)}\n")
    recent = _at(now - datetime.timedelta(hours=1))
    # Order 3 belongs to no customer (relationships fails); order 2's status is unknown (accepted_values warns).
    _write(os.path.join(directory, "seeds", "raw_orders.csv"),
           f"id,customer_id,status,amount,loaded_at\n1,1,placed,10.5,{recent}\n2,2,lost,5.0,{recent}\n"
           f"3,99,shipped,7.25,{recent}\n")
    _write(os.path.join(directory, "seeds", "raw_payments.csv"),
           f"id,order_id,loaded_at\n1,1,{_at(now - datetime.timedelta(days=3))}\n")
    return warehouse


def _environment() -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DBT_")}
    env.update(DBT_SEND_ANONYMOUS_USAGE_STATS="false", DBT_VERSION_CHECK="false", DO_NOT_TRACK="1",
               DBT_USE_COLORS="false", PYTHONDONTWRITEBYTECODE="1")
    env.pop("VIRTUAL_ENV", None)
    return env


def dbt(directory: str, *arguments: str) -> subprocess.CompletedProcess:
    """One real dbt invocation in the project (its own exit code is the caller's business)."""
    if not os.path.isfile(DBT):
        pytest.fail(f"{DBT} is missing: scripts/setup creates .venv-dbt from requirements-dbt.txt")
    command = [DBT, *arguments, "--project-dir", directory, "--profiles-dir", directory]
    return subprocess.run(command, cwd=directory, env=_environment(), stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=DBT_TIMEOUT, check=False)


def _require_artifacts(done: subprocess.CompletedProcess, *paths: str) -> None:
    missing = [path for path in paths if not os.path.isfile(path)]
    assert not missing, f"dbt wrote no {missing}: rc={done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"


def build_project(directory: str) -> DbtProject:
    """The project written and built (see the module docstring); dbt's failures are what the tests grade."""
    warehouse = write_project(directory)
    target, clean, freshness = (os.path.join(directory, name) for name in ("target", "clean", "freshness"))
    done = dbt(directory, "build", "--target", TARGET)
    _require_artifacts(done, os.path.join(target, "run_results.json"), os.path.join(target, "manifest.json"))
    done = dbt(directory, "source", "freshness", "--target", TARGET, "--target-path", freshness)
    _require_artifacts(done, os.path.join(freshness, "sources.json"))
    shutil.copy2(os.path.join(freshness, "sources.json"), os.path.join(target, "sources.json"))
    done = dbt(directory, "build", "--target", TARGET, "--target-path", clean,
               "--select", "stg_customers", "customer_revenue", "--indirect-selection", "cautious")
    _require_artifacts(done, os.path.join(clean, "run_results.json"))
    return DbtProject(directory, target, clean, warehouse)
