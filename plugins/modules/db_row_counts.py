#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: db_row_counts
short_description: Check that database tables hold as many rows as expected
version_added: 0.1.0
description:
  - For each table (PostgreSQL, MySQL/MariaDB or SQLite, addressed by SQLAlchemy URL), finds how many
    rows it holds and grades the number against a floor, a ceiling, or emptiness.
  - With I(method=auto) (the default) the planner's estimate is asked first, and the table is counted
    exactly with C(COUNT(*)) only when the estimate is at most I(estimate_above) rows, so a huge table
    costs one catalogue lookup instead of a full scan. I(method=exact) always counts; I(method=estimate)
    always uses the estimate when there is one.
  - Estimates - PostgreSQL C(pg_class.reltuples) of the relation the name resolves to (refreshed by
    C(ANALYZE) and autovacuum); MySQL/MariaDB C(information_schema.TABLES.TABLE_ROWS) (approximate for
    InnoDB); DuckDB C(duckdb_tables().estimated_size) (tables only; a view is counted). SQLite keeps no
    estimate, and none is read from the other warehouse dialects. An estimate of 0 or less (PostgreSQL
    reports -1 for a table never analysed) is no estimate - the table is counted exactly and
    C(observed.method_note) says why.
  - An estimate can be off by some percent; grading an estimate against a tight bound may flip near the
    bound. Use I(method=exact) where that matters and a full count is affordable.
  - B(Only reads.) Everything runs in a read-only transaction whose statements time out with the check
    and which is rolled back. The table name is quoted by SQLAlchemy, never written into SQL text; the
    PostgreSQL estimate is looked up with the name as a bound parameter.
  - C(error) when the rows cannot be counted - connection or login refused, time limit reached (the
    summary says C(timed out)), a table that does not exist, a missing driver.
  - The URL and password are secrets (C(no_log)); results show the URL with its password masked.
  - An endpoint check; runs on the probe host, which needs SQLAlchemy and the driver of the URL.
author: golive.readiness contributors (@golive-readiness)
extends_documentation_fragment:
  - golive.readiness.check_item
requirements:
  - SQLAlchemy >= 1.4 (on the probe host)
  - psycopg (PostgreSQL) or PyMySQL (MySQL/MariaDB), as named in the URL's driver
  - duckdb-engine for a V(duckdb:///) URL; a warehouse dialect's own SQLAlchemy package for the others
options:
  checks:
    description:
      - The tables to check, one item each.
      - An item's C(id) defaults to C(db_row_counts:<url with the password masked>:<table>).
      - Its C(title) defaults to C(Rows of <table>).
      - An item's C(timeout) is the time limit of this check, connection and statements included.
      # BEGIN generated: kind defaults (scripts/generate; do not edit by hand)
      - A C(db_row_counts) item defaults to section V(data) and severity V(high).
      # END generated: kind defaults
    type: list
    elements: dict
    required: true
    suboptions:
      # BEGIN generated: database connection (scripts/generate; do not edit by hand)
      url:
        description:
          - SQLAlchemy URL of the database, such as V(postgresql+psycopg://app@db.example.com:5432/shop),
            V(mysql+pymysql://app@db.example.com:3306/shop) or V(sqlite:////srv/shop/shop.db).
          - A warehouse takes the generic path - V(duckdb:////srv/warehouse/analytics.duckdb) (opened read-only;
            tested), or V(snowflake://), V(redshift://) and V(bigquery://) URLs (not tested; see the README's
            warehouse paragraph). It runs only statements built from names and looks tables up in
            C(information_schema); SQL written in options is refused there.
          - May contain the password; it is masked in every result. Prefer I(password).
        type: str
        required: true
      password:
        description: Password of the URL's user, instead of writing it into I(url).
        type: str
      connect_timeout:
        description:
          - Time limit of the connection attempt, as a duration; never more than what is left of the
            check's I(timeout).
        type: raw
      # END generated: database connection
      table:
        description:
          - The table, as V(name) (found on the search path / in the URL's database) or V(schema.name).
          - The last dot separates the schema; names are otherwise taken literally, case included.
        type: str
        required: true
      min_rows:
        description: Fail when the table has fewer rows than this.
        type: raw
      max_rows:
        description: Fail when the table has more rows than this.
        type: raw
      warn_below:
        description: Warn when the table has fewer rows than this (at or above I(min_rows)).
        type: raw
      warn_above:
        description: Warn when the table has more rows than this (at or below I(max_rows)).
        type: raw
      expect_empty:
        description:
          - Fail unless the table has no rows (a staging or queue table that must be drained).
          - Does not go with I(min_rows), I(max_rows), I(warn_below) or I(warn_above).
        type: bool
        default: false
      method:
        description:
          - V(exact) counts with C(COUNT(*)); V(estimate) uses the planner's estimate when there is one;
            V(auto) uses the estimate only above I(estimate_above) rows.
        type: str
        choices: [auto, exact, estimate]
        default: auto
      estimate_above:
        description: With I(method=auto), the estimate is used only when it is above this many rows.
        type: raw
        default: 1000000
      # BEGIN generated: item options (scripts/generate; do not edit by hand)
      id:
        description:
          - Result id, unique within a host; waivers and reports refer to it.
          - Its default is given in the description of O(checks).
        type: str
      title:
        description: Human title; its default is given in the description of O(checks).
        type: str
      section:
        description:
          - Checklist section of this check; defaults to the module's O(section), else the kind's (see
            O(checks)).
        type: str
      severity:
        description: Severity of this check; defaults to the module's O(severity), else the kind's (see O(checks)).
        type: str
        choices: [critical, high, medium, low]
      timeout:
        description:
          - Time limit of this check, as a duration (V(10s), V(500ms), V(2m)) or seconds; defaults to the module's
            O(timeout).
          - What it bounds besides the check itself, if anything, is said in the description of O(checks).
        type: raw
      target:
        description: Inventory host this check is about, when it runs from another (probe) host.
        type: str
      hint:
        description:
          - What to do when this check does not pass (a runbook step, a command, a link), at most 1000 characters.
          - Carried in the result and shown beside the check in the HTML, Markdown and JUnit reports when it
            warns, fails or errs.
        type: str
      contact:
        description:
          - Who acts when this check does not pass (a team, a person, a channel), at most 200 characters.
          - Carried in the result and shown beside the check, with O(checks[].hint), when it warns, fails or errs.
        type: str
      # END generated: item options
seealso:
  - module: golive.readiness.db_data_quality
  - module: golive.readiness.verify
"""

EXAMPLES = r"""
- name: Reference data is loaded, the import queue is drained, events are plentiful
  golive.readiness.db_row_counts:
    checks:
      - url: postgresql+psycopg://golive@db.example.com:5432/shop
        password: "{{ vault_db_password }}"
        table: countries
        min_rows: 249
        max_rows: 249
      - url: postgresql+psycopg://golive@db.example.com:5432/shop
        password: "{{ vault_db_password }}"
        table: staging.import_queue
        expect_empty: true
      - url: postgresql+psycopg://golive@db.example.com:5432/shop
        password: "{{ vault_db_password }}"
        table: events
        warn_below: 10000000
        min_rows: 1000000
  delegate_to: localhost
"""

RETURN = r"""
golive_checks:
  description:
    - One record per table, in the order of O(checks).
    - C(observed) holds C(database) (the URL, password masked), C(table), C(rows) (a count), C(method) (the
      method used, V(exact) or V(estimate)), C(estimate) and C(exact) (counts) when known (both when the estimate
      was low enough to count exactly), and C(method_note) when the table was counted exactly because no
      estimate was usable.
    - C(expected) holds the C(rows) levels, when any are set.
  returned: always
  type: list
  elements: dict
  sample:
    - id: db_row_counts:postgresql+psycopg://golive:****@db.internal:5432/shop:countries
      kind: db_row_counts
      section: data
      title: Rows of countries
      status: pass
      severity: high
      summary: 249 rows (fail < 249, fail > 249)
      observed:
        database: postgresql+psycopg://golive:****@db.internal:5432/shop
        table: countries
        rows: {value: 249, unit: count}
        method: exact
        exact: {value: 249, unit: count}
      expected:
        rows: {fail: {below: 249, above: 249}, unit: count}
      duration_ms: 38
  contains:
    # BEGIN generated: record fields (scripts/generate; do not edit by hand)
    id:
      description: Stable identifier of the check, unique within a host; waivers refer to it.
      returned: always
      type: str
    kind:
      description: The check kind (the module's name).
      returned: always
      type: str
    section:
      description: Checklist section.
      returned: always
      type: str
    title:
      description: Human title.
      returned: always
      type: str
    status:
      description: V(pass), V(warn), V(fail), V(error) (could not be evaluated) or V(skipped).
      returned: always
      type: str
    severity:
      description: V(critical), V(high), V(medium) or V(low).
      returned: always
      type: str
    summary:
      description: One line saying what was observed against what was expected.
      returned: always
      type: str
    observed:
      description:
        - Measured values by name (what each kind measures is listed in the description of RV(golive_checks)).
        - A number with a unit is C({value, unit}) (units V(bytes), V(seconds), V(ms), V(percent), V(count), V(ratio),
          V(days)); texts, lists and flags are plain; secrets only masked.
      returned: always
      type: dict
    expected:
      description:
        - 'What each observed value was held against, under the same name: levels
          C({warn: {below|above: n}, fail: {...}, unit}), a quantity, or a plain value. Empty when nothing was graded.'
      returned: always
      type: dict
    duration_ms:
      description:
        - How long the check took, in milliseconds.
        - With O(wait), from its first round's start to its last round's end, pauses included.
      returned: always
      type: int
    rounds:
      description:
        - How many times the check ran while the call waited (O(wait)); V(1) when it passed, warned or was
          skipped at once, V(0) when the call's deadline came before it could start. Its other fields are
          its last round's.
      returned: when O(wait) is set above V(0s)
      type: int
    target:
      description: Inventory host the check is about, when it ran from another (probe) host.
      returned: when set in the item
      type: str
    hint:
      description: What to do when the check does not pass, as the item's C(hint) says.
      returned: when set in the item
      type: str
    contact:
      description: Who acts when the check does not pass, as the item's C(contact) says.
      returned: when set in the item
      type: str
    # END generated: record fields
# BEGIN generated: golive_counts (scripts/generate; do not edit by hand)
golive_counts:
  description: Number of results per status.
  returned: always
  type: dict
  sample: {pass: 3, warn: 1, fail: 0, error: 0, skipped: 0}
  contains:
    pass:
      description: Checks that passed.
      returned: always
      type: int
    warn:
      description: Checks that warned.
      returned: always
      type: int
    fail:
      description: Checks that failed.
      returned: always
      type: int
    error:
      description: Checks that could not be evaluated.
      returned: always
      type: int
    skipped:
      description: Checks that were skipped.
      returned: always
      type: int
# END generated: golive_counts
"""

from ansible_collections.golive.readiness.plugins.module_utils._checks import db_row_counts
from ansible_collections.golive.readiness.plugins.module_utils._module import run_kind_module


def main():
    run_kind_module(db_row_counts)


if __name__ == "__main__":
    main()
