#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: db_schema
short_description: Check that a database has its tables and indexes and that its migrations are applied
version_added: 0.1.0
description:
  - For each database (PostgreSQL, MySQL/MariaDB or SQLite, addressed by SQLAlchemy URL), checks that
    required tables and indexes exist and that the schema migrations are at the expected version, with
    nothing pending.
  - B(Only reads.) Everything runs in a read-only transaction whose statements time out with the
    check and which is rolled back. Tables and indexes are looked up with SQLAlchemy's inspector and
    migration tables read with SQLAlchemy statements; names from options are passed as values or
    quoted by the library, never written into SQL text.
  - The migration history is read from the table the tool keeps - alembic C(alembic_version)
    (its current heads), Django C(django_migrations) (the latest applied migration of each app, as
    C(app:name)), Flyway C(flyway_schema_history) (the version of the latest successful migration by
    C(installed_rank); failed migrations are a C(fail)), Rails C(schema_migrations) (the highest
    version) - or from I(migration_query).
  - A version other than expected is a C(fail); a C(warn) when the expected version is applied and newer
    ones are too (Django, Flyway, Rails), which is what a database migrated ahead of the release looks
    like. No migration table at all, when a version or migrations are expected, is a C(fail).
  - C(error) when the database cannot be evaluated - connection refused, login refused, time limit
    reached (the summary says C(timed out)), a missing driver, a I(migration_query) that fails.
  - The URL and password are secrets (C(no_log)); results show the URL with its password masked.
  - An endpoint check; runs on the probe host, which needs SQLAlchemy and the driver of the URL.
  - B(Size cap.) The rows of a migration history table are streamed (a server-side cursor on PostgreSQL
    and MySQL/MariaDB) and at most 100000 are read (C(DB_ROW_CAP)), of at most 64 Mi characters in all
    (C(DB_READ_CAP)); a longer history ends the check as C(error) naming the cap. I(migration_query)
    must return one row; at most two are read. No value crosses the wire whole - the server cuts each
    one at 65536 characters (C(DB_VALUE_CAP)), and a version longer than that is an C(error) naming its
    column and C(DB_VALUE_CAP). SQLite refuses any value over 16 MiB (C(SQLITE_VALUE_CAP)) before it
    is built.
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
      - The databases to check, one item each. Each needs at least one of I(tables), I(indexes),
        I(migration_version), I(expected_migrations), I(migration_query), or a I(migration_tool) other
        than V(auto) (which only reports the version found).
      - An item's C(id) defaults to C(db_schema:<url with the password masked>[:<schema>]).
      - Its C(title) defaults to C(Schema of <url with the password masked>[:<schema>]).
      - An item's C(timeout) is the time limit of this check, connection and statements included.
      # BEGIN generated: kind defaults (scripts/generate; do not edit by hand)
      - A C(db_schema) item defaults to section V(data) and severity V(high).
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
      schema:
        description:
          - Schema (PostgreSQL) or database (MySQL) of the tables, indexes and migration table whose
            names are not qualified. Defaults to the connection's default schema.
        type: str
      tables:
        description: Tables that must exist, as V(name) or V(schema.name).
        type: list
        elements: str
      indexes:
        description:
          - Indexes that must exist. An index matches by I(name), or when its leading columns are exactly
            I(columns) in that order (an index on C(user_id, created_at) serves V([user_id])). A primary
            key counts as an index.
        type: list
        elements: dict
        suboptions:
          table:
            description: The indexed table, as V(name) or V(schema.name).
            type: str
            required: true
          name:
            description: Name of the index. Exactly one of I(name) and I(columns) is required.
            type: str
          columns:
            description: The index's leading columns, in order.
            type: list
            elements: str
      migration_tool:
        description:
          - Where the migration history is read from. V(auto) takes the first of C(alembic_version),
            C(django_migrations), C(flyway_schema_history), C(schema_migrations) that exists (all found
            are reported), or V(custom) when I(migration_query) is given.
        type: str
        choices: [auto, alembic, django, flyway, rails, custom]
        default: auto
      migration_version:
        description:
          - The version the database must be at - an alembic revision (or the list of all heads), a Flyway
            version, a Rails migration timestamp, the value of I(migration_query). For Django give
            V(app:name) of the latest migration of each app to check, as a string or a list.
        type: raw
      migration_query:
        description:
          - For V(custom) - a C(SELECT) returning exactly one row, whose first column is the current
            version.
          - It runs as exactly one statement (a second one is refused by the driver's protocol) inside the
            read-only transaction, which it cannot make writable; on PostgreSQL as a server-side cursor,
            which takes only a query; on SQLite an authorizer denies every write, C(ATTACH) and C(PRAGMA)
            change. Anything else is an C(error) naming the reason. At most two rows are read.
          - Needs a driver that refuses a second statement - V(postgresql+psycopg://), V(mysql+pymysql://)
            or V(sqlite:///); other drivers are refused.
        type: str
      expected_migrations:
        description:
          - Migrations that must all be applied (Django V(app:name), Flyway versions, Rails versions);
            the missing ones are reported as pending. Not for alembic, which records only its heads, or
            V(custom).
        type: list
        elements: str
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
  - module: golive.readiness.db_server
  - module: golive.readiness.verify
"""

EXAMPLES = r"""
- name: The shop's tables and indexes exist and its Django migrations are applied
  golive.readiness.db_schema:
    checks:
      - url: postgresql+psycopg://golive@db1.example.com:5432/shop
        password: "{{ vault_db_password }}"
        tables: [shop_order, shop_customer, billing.invoice]
        indexes:
          - table: shop_order
            columns: [customer_id, created_at]
          - table: shop_customer
            name: shop_customer_email_key
        migration_version: [shop:0042_refunds, billing:0007_vat]
        expected_migrations: [shop:0041_order_status, shop:0042_refunds]
  delegate_to: localhost

- name: Flyway is at the release's version
  golive.readiness.db_schema:
    checks:
      - url: mysql+pymysql://golive@10.0.3.30:3306/shop
        password: "{{ vault_mariadb_password }}"
        migration_tool: flyway
        migration_version: "2.14"

- name: A version kept by the application itself
  golive.readiness.db_schema:
    checks:
      - url: sqlite:////srv/shop/shop.db
        migration_query: SELECT value FROM settings WHERE key = 'schema_version'
        migration_version: "17"
"""

RETURN = r"""
golive_checks:
  description:
    - One record per database, in the order of O(checks).
    - C(observed) holds C(database) (the URL, password masked), C(tables_found), C(tables_missing),
      C(indexes_found), C(indexes_missing), C(migration_tool) (the tool read), C(migration_tools_found)
      (with V(auto)), C(migration_version) (the current version(s)), C(pending) (expected migrations
      not applied) and C(failed_migrations) (Flyway) - each when it was checked.
    - C(expected) holds C(tables), C(indexes), C(migration_version) and C(expected_migrations) as given.
  returned: always
  type: list
  elements: dict
  sample:
    - id: db_schema:postgresql+psycopg://golive:****@db.internal:5432/shop
      kind: db_schema
      section: data
      title: Schema of postgresql+psycopg://golive:****@db.internal:5432/shop
      status: fail
      severity: high
      summary: '1 pending migration: shop:0042_add_refunds'
      observed:
        database: postgresql+psycopg://golive:****@db.internal:5432/shop
        tables_found: [orders, users]
        tables_missing: []
        migration_tool: django
        migration_version: ['auth:0012_alter_user_first_name_max_length', 'shop:0041_order_currency']
        pending: ['shop:0042_add_refunds']
      expected:
        tables: [orders, users]
        expected_migrations: ['shop:0041_order_currency', 'shop:0042_add_refunds']
      duration_ms: 61
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

from ansible_collections.golive.readiness.plugins.module_utils._checks import db_schema
from ansible_collections.golive.readiness.plugins.module_utils._module import run_kind_module


def main():
    run_kind_module(db_schema)


if __name__ == "__main__":
    main()
