#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: db_server
short_description: Check that a SQL database server answers, at a version, with room, encrypted and in its role
version_added: 0.1.0
description:
  - For each database (PostgreSQL, MySQL/MariaDB or SQLite, addressed by SQLAlchemy URL), connects,
    runs C(SELECT 1) and checks the time that took, the server version, the share of its connections
    in use, whether the session is encrypted, whether the server is a primary or a replica and how far
    a replica is behind.
  - B(Only reads.) Every session is read-only (C(SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY),
    C(SET SESSION TRANSACTION READ ONLY), C(PRAGMA query_only)), its statements time out with the
    check, and nothing is committed. SQLite files are opened read-only and never created.
  - C(error) when the server cannot be evaluated - connection refused, unknown host, login refused,
    no answer before the check's time limit (the summary says C(timed out)), a missing driver. C(fail)
    or C(warn) when the server answers but misses an expectation.
  - Connections in use are the client backends in C(pg_stat_activity) against C(max_connections) on
    PostgreSQL, and C(Threads_connected) against C(max_connections) on MySQL/MariaDB.
  - The role is C(replica) when PostgreSQL is in recovery (C(pg_is_in_recovery())), or when
    MySQL/MariaDB returns a row for C(SHOW REPLICA STATUS) (C(SHOW SLAVE STATUS) on older servers);
    otherwise C(primary). Reading the replica status needs the C(REPLICATION CLIENT) (MariaDB
    C(REPLICA MONITOR)) privilege; without it the role is only required when I(role) or a replica lag
    level is set.
  - The replica lag of a PostgreSQL replica is 0 while its WAL receiver is streaming and everything
    received is replayed (C(pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn())); the time since the
    last replayed transaction alone would grow on the replica of an idle primary. Otherwise it is the
    time since the last replayed transaction (C(clock_timestamp() - pg_last_xact_replay_timestamp())),
    so a replica cut off from its primary shows a growing lag. The WAL receiver's state is only visible
    to superusers and members of C(pg_read_all_stats) (C(pg_monitor)); grant one of them to the check's
    user, or a streaming replica of an idle primary is judged by the time since its last transaction.
    MySQL/MariaDB report
    C(Seconds_Behind_Master); when that is NULL (replication stopped) the lag is unknown, a C(fail)
    when a lag level is set. On a primary the lag levels do not apply and pass.
  - For SQLite and the warehouse dialects of the generic path (DuckDB, Snowflake, Redshift, BigQuery) only
    the connection, latency and version apply; the connection, TLS, role and lag options are refused at
    validation. DuckDB's version is its C(version()); another warehouse's the one its dialect reports.
  - The URL and password are secrets (C(no_log)); results show the URL with its password masked
    (C(postgresql+psycopg://app:****@db:5432/shop)) and never the password.
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
      - The database servers to check, one item each.
      - TLS options go in the query string of O(checks[].url) (V(?sslmode=verify-full) for psycopg).
      - An item's C(id) defaults to C(db_server:<url with the password masked>).
      - Its C(title) defaults to C(Database <url with the password masked>).
      - An item's C(timeout) is the time limit of this check, connection and statements included.
      # BEGIN generated: kind defaults (scripts/generate; do not edit by hand)
      - A C(db_server) item defaults to section V(services) and severity V(critical).
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
      latency_warn_above:
        description: Warn when connecting and running C(SELECT 1) takes longer than this duration (V(50ms)).
        type: str
      latency_fail_above:
        description: Fail when connecting and running C(SELECT 1) takes longer than this duration.
        type: str
      min_version:
        description:
          - Lowest acceptable server version, compared number by number with the version the server
            reports (V(13) for PostgreSQL, V(10.6) for MariaDB, so 10.11 passes V(10.6)).
        type: str
      connections_warn_above:
        description: Warn when more than this percentage of the server's maximum connections is in use (V(80%)).
        type: raw
      connections_fail_above:
        description:
          - Fail when more than this percentage of the server's maximum connections is in use.
          - When neither this nor O(checks[].connections_warn_above) is set, the levels are V(80%) (warn)
            and V(95%) (fail), except for SQLite. Setting one of them sets only that level.
        type: raw
      require_ssl:
        description: Fail unless this session's connection is encrypted (C(pg_stat_ssl); MySQL C(Ssl_cipher)).
        type: bool
        default: false
      role:
        description: The role the server must have.
        type: str
        choices: [primary, replica]
      replica_lag_warn_above:
        description: On a replica, warn when it is further behind its primary than this duration (V(30s)).
        type: str
      replica_lag_fail_above:
        description: On a replica, fail when it is further behind its primary than this duration, or when
          the lag cannot be known.
        type: str
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
  - module: golive.readiness.db_schema
  - module: golive.readiness.verify
"""

EXAMPLES = r"""
- name: The primary answers fast, is recent, has room and encrypts; the replica keeps up
  golive.readiness.db_server:
    checks:
      - url: postgresql+psycopg://golive@db1.example.com:5432/shop?sslmode=verify-full
        password: "{{ vault_db_password }}"
        min_version: "13"
        latency_warn_above: 50ms
        latency_fail_above: 500ms
        connections_warn_above: 70%
        connections_fail_above: 90%
        require_ssl: true
        role: primary
      - url: postgresql+psycopg://golive@db2.example.com:5432/shop?sslmode=verify-full
        password: "{{ vault_db_password }}"
        role: replica
        replica_lag_warn_above: 10s
        replica_lag_fail_above: 1m
  delegate_to: localhost

- name: MariaDB at 10.6 or newer
  golive.readiness.db_server:
    checks:
      - url: mysql+pymysql://golive@10.0.3.30:3306/shop
        password: "{{ vault_mariadb_password }}"
        min_version: "10.6"
"""

RETURN = r"""
golive_checks:
  description:
    - One record per database, in the order of O(checks).
    - C(observed) holds C(database) (the URL, password masked), C(latency_ms) (ms), C(product)
      (PostgreSQL, MariaDB, MySQL, SQLite), C(version), C(connections) (C(used) and C(max) counts, C(percent)) and
      C(connections_percent) (percent), C(ssl) (C(encrypted), C(version), C(cipher)), C(role), C(replication)
      (PostgreSQL replica - C(receive_lsn), C(replay_lsn), C(wal_receiver); MySQL/MariaDB replica - the IO
      and SQL thread states) and C(replica_lag_seconds) (seconds; null on a primary or when unknown). For
      SQLite, connections, ssl, role and lag are V(not applicable).
    - C(expected) holds the levels of C(connections_percent), and of C(latency_ms) and C(replica_lag_seconds)
      when set, and C(min_version), C(ssl) and C(role) when asked for.
  returned: always
  type: list
  elements: dict
  sample:
    - id: db_server:postgresql+psycopg://golive:****@db.internal:5432/shop
      kind: db_server
      section: services
      title: Database postgresql+psycopg://golive:****@db.internal:5432/shop
      status: warn
      severity: critical
      summary: connections 84 of 100 (84.0%) (warn > 80.0%, fail > 95.0%)
      observed:
        database: postgresql+psycopg://golive:****@db.internal:5432/shop
        latency_ms: {value: 4.2, unit: ms}
        product: PostgreSQL
        version: '16.3'
        connections:
          used: {value: 84, unit: count}
          max: {value: 100, unit: count}
          percent: {value: 84.0, unit: percent}
        connections_percent: {value: 84.0, unit: percent}
        ssl: {encrypted: true, version: TLSv1.3, cipher: TLS_AES_256_GCM_SHA384}
        role: primary
        replication: {}
        replica_lag_seconds: null
      expected:
        connections_percent: {warn: {above: 80.0}, fail: {above: 95.0}, unit: percent}
      duration_ms: 57
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

from ansible_collections.golive.readiness.plugins.module_utils._checks import db_server
from ansible_collections.golive.readiness.plugins.module_utils._module import run_kind_module


def main():
    run_kind_module(db_server)


if __name__ == "__main__":
    main()
