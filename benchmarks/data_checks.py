"""What the data checks cost: a row count by estimate versus exact on a big table, and data tests batched or not.

1. Creates a throwaway database in the local PostgreSQL (127.0.0.1:5432, user postgres) with a table of
   --rows rows (default 5,000,000) made by generate_series, ANALYZEs it, and times db_row_counts with
   method=exact (COUNT(*)) and method=estimate (pg_class.reltuples) side by side, in-process through the
   kind (validate, prepare and run under the real runner, as a module does), --rounds times each,
   alternating; prints the medians and their ratio.
2. Seeds the same database with the small tables of the unit tests and times 20 db_data_quality tests as
   ONE golive.readiness.db_data_quality task with 20 items versus 20 tasks of one item each, with
   ansible-playbook on localhost, alternating; prints the medians and their ratio. Every run must succeed
   and its report (written by the callback into a temporary GOLIVE_REPORT_DIR) must hold 20 results,
   none of them an error.

The database is dropped at the end. Run from the repository root with the virtualenv active:
    python benchmarks/data_checks.py [--rows 5000000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import sqlalchemy as sa
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
sys.path.insert(0, os.path.join(REPO, ".collections"))  # scripts/setup links the checkout there

from playbook_runs import ansible_tool, clean_environment

from ansible_collections.golive.readiness.plugins.module_utils._checks import db_row_counts
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._dq_databases import (
    postgres_database,
    seed,
)
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._kind_runner import run_item

RUN_TIMEOUT = 900
BIG_TABLE = "events_big"


# --- 1. exact versus estimate ---------------------------------------------------------------------

def create_big_table(database, rows):
    started = time.monotonic()
    database.execute(
        f"CREATE TABLE {BIG_TABLE} (id bigint PRIMARY KEY, account integer, payload text)",
        sa.text(f"INSERT INTO {BIG_TABLE} SELECT n, n % 9973, md5(n::text) "
                "FROM generate_series(1, :rows) AS n").bindparams(rows=rows))
    database.execute(f"ANALYZE {BIG_TABLE}", f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{database.user}"')
    size = database.scalar(f"SELECT pg_size_pretty(pg_total_relation_size('{BIG_TABLE}'))")
    print(f"created {BIG_TABLE} with {rows} rows ({size} with its index) "
          f"and analysed it in {time.monotonic() - started:.1f}s")


def time_count(database, method):
    item = dict(url=database.reader_url, table=BIG_TABLE, method=method)
    started = time.monotonic()
    record = run_item(db_row_counts, item, 120)
    elapsed = time.monotonic() - started
    if record["status"] != "pass" or record["observed"]["method"] != method:
        raise SystemExit(f"db_row_counts {method} did not pass as expected: {record}")
    return elapsed, record["observed"]["rows"]["value"]


def bench_counts(database, rows, rounds):
    times = dict(exact=[], estimate=[])
    seen = {}
    for number in range(rounds):
        for method in (("exact", "estimate") if number % 2 == 0 else ("estimate", "exact")):
            elapsed, counted = time_count(database, method)
            times[method].append(elapsed)
            seen[method] = counted
            print(f"  {method:<8} {elapsed:8.3f}s  {counted} rows", flush=True)
    exact, estimate = statistics.median(times["exact"]), statistics.median(times["estimate"])
    print()
    print(f"db_row_counts on {rows} rows, in-process through the kind, {rounds} rounds")
    print(f'  exact    (COUNT(*))            median {exact:8.3f}s  rows {seen["exact"]}')
    off_by = 100.0 * abs(seen["estimate"] - rows) / rows
    print(f'  estimate (pg_class.reltuples)  median {estimate:8.3f}s  rows {seen["estimate"]} (off by {off_by:.3f}%)')
    print(f"  exact / estimate = {exact / estimate:.0f}x")
    return exact, estimate


# --- 2. one task of 20 items versus 20 tasks --------------------------------------------------------

def quality_items(url):
    """20 data tests over the seeded users and orders tables (some find offending rows; none may error)."""
    tests = [
        dict(table="users", test="unique", columns=["id"]),
        dict(table="users", test="unique", columns=["email"]),
        dict(table="users", test="unique", columns=["email", "status"]),
        dict(table="users", test="not_null", column="id"),
        dict(table="users", test="not_null", column="email"),
        dict(table="users", test="not_null", column="status"),
        dict(table="users", test="accepted_values", column="status", values=["active", "inactive", "banned"]),
        dict(table="users", test="accepted_values", column="status", values=["active", "inactive"]),
        dict(table="users", test="accepted_range", column="age", min=0, max=250),
        dict(table="users", test="accepted_range", column="age", min=18, max=120),
        dict(table="users", test="regex", column="code", pattern="^[Aa][Bb]-[0-9]+$"),
        dict(table="users", test="regex", column="email", pattern="@example[.]test$"),
        dict(table="users", test="freshness", column="created_at", max_age="1h"),
        dict(table="orders", test="freshness", column="placed_at", max_age="30d"),
        dict(table="orders", test="relationships", column="user_id", to_table="users", to_column="id"),
        dict(table="orders", test="unique", columns=["id"]),
        dict(table="orders", test="duplicates", columns=["user_id", "number"]),
        dict(table="orders", test="not_null", column="number"),
        dict(table="orders", test="regex", column="number", pattern="^N-[0-9]+$"),
        dict(table="orders", test="accepted_range", column="id", min=1),
    ]
    return [dict(item, url=url, id=f"dq-{number:02d}") for number, item in enumerate(tests, 1)]


def play(name, tasks):
    # The controller's own interpreter runs the module: it has SQLAlchemy and psycopg.
    return [dict(name=name, hosts="localhost", connection="local", gather_facts=False,
                 vars=dict(ansible_python_interpreter=sys.executable), tasks=tasks)]


def task(name, items):
    return {"name": name, "golive.readiness.db_data_quality": dict(checks=items, fail_on=[])}


def write_yaml(path, data):
    with open(path, "w") as handle:
        yaml.safe_dump(data, handle, sort_keys=False)
    return path


def run_playbook(workdir, playbook, label, expected):
    report_dir = os.path.join(workdir, f"report-{label}-{time.monotonic_ns()}")
    env = clean_environment()
    env.update(GOLIVE_REPORT_DIR=report_dir, ANSIBLE_LOCALHOST_WARNING="False",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="False")
    argv = [ansible_tool("ansible-playbook"), "-i", "localhost,", playbook]
    started = time.monotonic()
    done = subprocess.run(argv, cwd=REPO, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT, check=False)
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"{label} failed (exit {done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    with open(os.path.join(report_dir, "report.json")) as handle:
        statuses = [check["status"] for check in json.load(handle)["checks"]]
    if len(statuses) != expected or "error" in statuses:
        raise SystemExit(f"{label}: expected {expected} results without errors, the report has {statuses}")
    print(f"  {label:<8} {elapsed:6.2f}s", flush=True)
    return elapsed


def bench_quality(database, workdir, rounds):
    items = quality_items(database.reader_url)
    playbooks = dict(
        batch=write_yaml(os.path.join(workdir, "batch.yml"), play("Data tests in one task", [
            task(f"All {len(items)} data tests", items)])),
        per_task=write_yaml(os.path.join(workdir, "per_task.yml"), play("Data tests, one task each", [
            task(f"Data test {index}", [item]) for index, item in enumerate(items)])))
    times = dict(batch=[], per_task=[])
    for number in range(rounds):
        for label in (("batch", "per_task") if number % 2 == 0 else ("per_task", "batch")):
            times[label].append(run_playbook(workdir, playbooks[label], label, len(items)))
    batch, per_task = statistics.median(times["batch"]), statistics.median(times["per_task"])
    print()
    print(f"{len(items)} db_data_quality tests, ansible-playbook on localhost, {rounds} rounds")
    print(f"  one task, {len(items)} items (median)        {batch:6.2f}s")
    print(f"  {len(items)} tasks, one item each (median)   {per_task:6.2f}s")
    print(f"  per-task / batch = {per_task / batch:.1f}x")
    return batch, per_task


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--rows", type=int, default=5000000, help="rows of the big table (default 5,000,000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each timing (default 3)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    workdir = tempfile.mkdtemp(prefix="golive-data-bench-")
    try:
        with postgres_database() as database:
            print("throwaway database {}".format(database.url.rsplit("/", 1)[1]))
            seed(database)
            create_big_table(database, args.rows)
            print("\n1. db_row_counts exact vs estimate")
            bench_counts(database, args.rows, args.rounds)
            print("\n2. 20 data tests: one task vs 20 tasks")
            bench_quality(database, workdir, args.rounds)
        print("\nthe throwaway database was dropped")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
