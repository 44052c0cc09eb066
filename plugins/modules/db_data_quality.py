#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: db_data_quality
short_description: Run data tests on database tables - unique, not null, relationships, accepted values and more
version_added: 0.1.0
description:
  - The generic tests dbt users write, without dbt. Each item runs one I(test) on one I(table) of a
    PostgreSQL, MySQL/MariaDB or SQLite database (addressed by SQLAlchemy URL), counts the offending rows
    and shows at most I(sample_size) offending key values - never whole rows, and no key value longer than
    65536 characters (C(DB_VALUE_CAP)) - the server cuts it there.
  - V(unique) - rows whose value of I(columns) (one or several) another row has too; NULLs are not
    compared, as in a UNIQUE constraint. V(duplicates) - rows whose combination of I(columns), NULLs
    included, appears more than once; the samples are the repeated combinations with their row counts.
    V(not_null) - rows where I(column) is NULL. V(relationships) - rows whose non-NULL I(column) has no
    row in I(to_table) with that I(to_column) (orphans). V(accepted_values) - rows whose non-NULL
    I(column) is not one of I(values). V(accepted_range) - rows whose non-NULL I(column) is outside
    I(min) .. I(max). V(regex) - rows whose non-NULL I(column), as text, does not match I(pattern).
    V(freshness) - the newest value of the timestamp I(column) must be at most I(max_age) old.
  - The offending rows are graded against I(warn_above) and I(fail_above); with neither set, a single
    offending row fails.
  - V(regex) patterns are searched (not anchored; use C(^) and C($)) in the database's own dialect -
    PostgreSQL C(~) (POSIX regular expressions), MySQL/MariaDB C(REGEXP) (ICU resp. PCRE), DuckDB C(~)
    (RE2). SQLite has no C(REGEXP) of its own; SQLAlchemy registers Python's C(re.search) as the C(REGEXP)
    function of the connection, so the pattern is a Python regular expression there (validated before the check runs),
    evaluated row by row inside SQLite's scan (a pathological pattern is bounded only by the check's
    I(timeout)).
  - V(freshness) compares with the database's own clock (C(now()) of the same statement that reads
    C(max(column))), not the probe host's. Values with a time zone (PostgreSQL C(timestamptz), SQLite text
    ending in C(Z) or C(+02:00)) are exact instants. Values without one (C(timestamp), C(DATETIME), plain
    SQLite text) are read in I(naive_timezone) - V(utc) (the default; what most applications store) or
    V(database) (the session's local time zone - PostgreSQL C(TimeZone), MySQL C(time_zone)). With
    V(utc), MySQL/MariaDB sessions are set to C(+00:00) so C(TIMESTAMP) columns are returned in UTC.
    SQLite integers and reals are read as Unix seconds. The warehouse dialects compare with standard SQL's
    C(CURRENT_TIMESTAMP) and C(LOCALTIMESTAMP). A table without any value fails; a newest value
    in the future passes with a note.
  - B(Only reads.) Everything runs in a read-only transaction whose statements time out with the check
    and which is rolled back. Statements are SQLAlchemy Core constructs - table and column names are
    quoted by the library, values are bound parameters - and there is no free SQL (no C(where) option).
  - C(error) when the test cannot be evaluated - connection or login refused, time limit reached (the
    summary says C(timed out)), a table or column that does not exist, a pattern the database rejects,
    a missing driver.
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
      - The data tests, one test on one table per item.
      - An item's C(id) defaults to C(db_data_quality:<url with the password masked>:<table>:<title>).
      - Its C(title) defaults to the test and its columns, such as C(unique(users.email)) or
        C(relationships(orders.user_id -> users.id)).
      - An item's C(timeout) is the time limit of this check, connection and statements included.
      # BEGIN generated: kind defaults (scripts/generate; do not edit by hand)
      - A C(db_data_quality) item defaults to section V(data) and severity V(high).
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
          - The table under test, as V(name) or V(schema.name) (the last dot separates the schema).
        type: str
        required: true
      test:
        description: The data test to run.
        type: str
        required: true
        choices: [unique, not_null, relationships, accepted_values, accepted_range, freshness, regex, duplicates]
      column:
        description:
          - The column under test (every test but V(unique) and V(duplicates), which also accept it as
            a one-column I(columns)).
        type: str
      columns:
        description: The columns whose combination V(unique) and V(duplicates) test.
        type: list
        elements: str
      to_table:
        description: V(relationships) - the parent table (V(name) or V(schema.name)).
        type: str
      to_column:
        description: V(relationships) - the parent table's column the values of I(column) must be found in.
        type: str
      values:
        description: V(accepted_values) - the values I(column) may hold (NULL is not tested; use V(not_null)).
        type: list
        elements: raw
      min:
        description: V(accepted_range) - lowest accepted value (a number, or a date/time as text).
        type: raw
      max:
        description: V(accepted_range) - highest accepted value.
        type: raw
      inclusive:
        description: V(accepted_range) - whether I(min) and I(max) themselves are accepted.
        type: bool
        default: true
      max_age:
        description: V(freshness) - how old the newest value may be, as a duration (V(15m), V(1d)).
        type: str
      naive_timezone:
        description: V(freshness) - the time zone of values without one (see the description).
        type: str
        choices: [utc, database]
        default: utc
      pattern:
        description: V(regex) - the regular expression every non-NULL value must match (searched, not anchored).
        type: str
      warn_above:
        description: Warn when more rows than this offend.
        type: raw
      fail_above:
        description:
          - Fail when more rows than this offend.
          - Defaults to V(0) when neither I(warn_above) nor I(fail_above) is set; with only I(warn_above)
            set, offending rows never fail.
        type: raw
      sample_size:
        description: How many offending key values to show at most (0 to 100); V(0) skips the query.
        type: int
        default: 5
      key_column:
        description:
          - The column (or columns) whose values identify offending rows in the samples.
          - Defaults to the column under test, and for V(not_null) to the primary key the inspector
            finds (no samples without one). Not for V(unique), V(duplicates) and V(freshness).
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
  - module: golive.readiness.db_row_counts
  - module: golive.readiness.verify
"""

EXAMPLES = r"""
- name: The shop's data holds its promises
  golive.readiness.db_data_quality:
    checks:
      - {url: "{{ shop_db }}", password: "{{ vault_db_password }}", table: users, test: unique, columns: [email]}
      - {url: "{{ shop_db }}", password: "{{ vault_db_password }}", table: users, test: not_null, column: email}
      - url: "{{ shop_db }}"
        password: "{{ vault_db_password }}"
        table: orders
        test: relationships
        column: user_id
        to_table: users
        to_column: id
      - url: "{{ shop_db }}"
        password: "{{ vault_db_password }}"
        table: users
        test: accepted_values
        column: status
        values: [active, inactive, invited]
      - url: "{{ shop_db }}"
        password: "{{ vault_db_password }}"
        table: users
        test: accepted_range
        column: age
        min: 16
        max: 130
        warn_above: 0
        fail_above: 10
      - {url: "{{ shop_db }}", password: "{{ vault_db_password }}", table: orders, test: freshness,
         column: created_at, max_age: 1h}
      - {url: "{{ shop_db }}", password: "{{ vault_db_password }}", table: users, test: regex, column: country,
         pattern: "^[A-Z]{2}$"}
      - {url: "{{ shop_db }}", password: "{{ vault_db_password }}", table: order_lines, test: duplicates,
         columns: [order_id, line_number]}
  vars:
    shop_db: postgresql+psycopg://golive@db.example.com:5432/shop
  delegate_to: localhost
"""

RETURN = r"""
golive_checks:
  description:
    - One record per test, in the order of O(checks).
    - C(observed) holds C(database) (the URL, password masked), C(table), C(test), C(columns), and
      C(offending_rows) (a count), C(key_columns) and C(samples) (at most I(sample_size) offending key values -
      a value, or a dict of key columns; for V(unique) and V(duplicates) the repeated values by column with
      C(rows)), plus C(offending_groups) for V(unique) and V(duplicates). V(freshness) observes
      C(database_now_utc), C(newest) and C(age_seconds) (seconds) instead.
    - C(expected) holds the C(offending_rows) levels, or for V(freshness) the C(age_seconds) level.
  returned: always
  type: list
  elements: dict
  sample:
    - id: db_data_quality:postgresql+psycopg://golive:****@db.internal:5432/shop:users:unique(users.email)
      kind: db_data_quality
      section: data
      title: unique(users.email)
      status: fail
      severity: high
      summary: >-
        7 rows share their email with another row in 3 groups (fail > 0), e.g. (email=ann@example.com, rows=3),
        (email=bo@example.com, rows=2)
      observed:
        database: postgresql+psycopg://golive:****@db.internal:5432/shop
        table: users
        test: unique
        columns: [email]
        offending_rows: {value: 7, unit: count}
        offending_groups: 3
        key_columns: [email]
        samples: [{email: ann@example.com, rows: 3}, {email: bo@example.com, rows: 2}]
      expected:
        offending_rows: {fail: {above: 0}, unit: count}
      duration_ms: 143
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

from ansible_collections.golive.readiness.plugins.module_utils._checks import db_data_quality
from ansible_collections.golive.readiness.plugins.module_utils._module import run_kind_module


def main():
    run_kind_module(db_data_quality)


if __name__ == "__main__":
    main()
