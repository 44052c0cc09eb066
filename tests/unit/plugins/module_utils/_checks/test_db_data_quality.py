"""db_data_quality against throwaway databases in the real PostgreSQL and MariaDB of this machine and SQLite files,
seeded with good and bad rows for every test (_dq_databases)."""

from __future__ import annotations

import datetime
import sys
import time

import pytest
from ansible.module_utils.basic import missing_required_lib

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError, format_duration
from ansible_collections.golive.readiness.plugins.module_utils._checks import db_data_quality

from ._child_check import run_in_child
from ._dq_databases import (
    INJECTION_COLUMN,
    INJECTION_TABLE,
    NOW,
    ODD_COLUMN,
    ODD_TABLE,
    mariadb_database,
    seed,
    throwaway_database,
)
from ._kind_runner import run_item as run_kind_item
from ._kind_runner import validated_item
from ._ports import unused_port
from ._tcp_servers import tcp_server

BACKENDS = ("postgresql", "mysql", "sqlite", "duckdb")
# Far from UTC: naive timestamps read in the session's zone instead of UTC would be 14 hours off.
PG_SESSION_ZONE = "Pacific/Kiritimati"


def run_item(item, timeout=10.0):
    return run_kind_item(db_data_quality, item, timeout)


def prepare(item):
    return db_data_quality.prepare(validated_item(db_data_quality, item))


@pytest.fixture(scope="module", params=BACKENDS)
def db(request, tmp_path_factory):
    with throwaway_database(request.param, tmp_path_factory.mktemp("sqlite")) as database:
        seed(database)
        if database.backend == "postgresql":
            name = database.url.rsplit("/", 1)[1]
            database.execute(f"ALTER DATABASE \"{name}\" SET timezone TO '{PG_SESSION_ZONE}'")
        yield database


def check(db, **options):
    record = run_item(dict(url=db.reader_url, password=db.password, **options))
    assert db.password is None or db.password not in repr(record)
    return record


# --- every test passes on good data and fails on bad data -----------------------------------------

def test_unique_counts_the_rows_sharing_a_value_and_shows_the_values(db):
    record = check(db, table="users", test="unique", columns=["email"])
    assert record["status"] == "fail"
    assert record["title"] == "unique(users.email)"
    assert record["id"] == "db_data_quality:{}:users:unique(users.email)".format(record["observed"]["database"])
    assert (record["section"], record["severity"]) == ("data", "high")
    observed = record["observed"]
    assert (observed["offending_rows"]["value"], observed["offending_groups"]) == (2, 1)
    assert observed["samples"] == [{"email": "ann@example.test", "rows": 2}]
    assert record["summary"] == ("2 rows share their email with another row in 1 group (fail > 0), "
                                 "e.g. (email=ann@example.test, rows=2)")
    assert record["expected"] == {"offending_rows": {"fail": {"above": 0}, "unit": "count"}}
    assert check(db, table="users", test="unique", column="id")["status"] == "pass"
    # NULL emails (users 4 and 5) are not duplicates of each other, as in a UNIQUE constraint
    assert check(db, table="users", test="unique", columns=["email", "status"])["status"] == "pass"


def test_not_null_samples_the_primary_key_of_the_offending_rows(db):
    record = check(db, table="users", test="not_null", column="email")
    assert record["status"] == "fail"
    assert record["observed"]["offending_rows"]["value"] == 2
    assert record["observed"]["key_columns"] == ["id"]
    assert record["observed"]["samples"] == [4, 5]
    assert record["summary"] == "2 rows with email NULL (fail > 0), e.g. 4, 5"
    assert check(db, table="users", test="not_null", column="status")["status"] == "pass"


def test_relationships_finds_the_orphans_and_ignores_nulls(db):
    record = check(db, table="orders", test="relationships", column="user_id", to_table="users", to_column="id")
    assert record["title"] == "relationships(orders.user_id -> users.id)"
    assert record["status"] == "fail"
    # user 99 once, user 98 twice; the NULL user_id is no orphan
    assert record["observed"]["offending_rows"] == {"value": 3, "unit": "count"}
    assert record["observed"]["samples"] == [98, 99]
    assert record["summary"].startswith("3 rows of orders whose user_id has no users.id (fail > 0)")
    good = check(db, table="users", test="relationships", column="id", to_table="users", to_column="id")
    assert good["status"] == "pass", good["summary"]


def test_accepted_values(db):
    record = check(db, table="users", test="accepted_values", column="status", values=["active", "inactive"])
    assert record["status"] == "fail"
    assert record["observed"]["samples"] == ["banned"]
    assert record["summary"].startswith("1 row with status not in ['active', 'inactive'] (fail > 0)")
    good = check(db, table="users", test="accepted_values", column="status", values=["active", "inactive", "banned"])
    assert good["status"] == "pass"
    numbers = check(db, table="users", test="accepted_values", column="id", values=[1, 2, 3, 4, 5, 6])
    assert numbers["status"] == "pass", numbers["summary"]


def test_accepted_range_inclusive_and_exclusive(db):
    record = check(db, table="users", test="accepted_range", column="age", min=18, max=120)
    assert record["status"] == "fail"
    assert record["observed"]["samples"] == [17, 200]
    assert record["summary"].startswith("2 rows with age outside [18, 120] (fail > 0)")
    assert check(db, table="users", test="accepted_range", column="age", min=17, max=200)["status"] == "pass"
    exclusive = check(db, table="users", test="accepted_range", column="age", min=17, max=200, inclusive=False)
    assert exclusive["observed"]["offending_rows"]["value"] == 2
    assert check(db, table="users", test="accepted_range", column="age", max=200)["status"] == "pass"


def test_regex_in_the_database_dialect(db):
    record = check(db, table="users", test="regex", column="code", pattern="^AB-[0-9]{3}$")
    assert record["status"] == "fail"
    assert record["observed"]["samples"] == ["ab-4"]
    assert record["summary"].startswith("1 row with code not matching /^AB-[0-9]{3}$/ (fail > 0)")
    assert check(db, table="users", test="regex", column="code", pattern="^[Aa][Bb]-[0-9]+$")["status"] == "pass"
    numbers = check(db, table="users", test="regex", column="age", pattern="^[0-9]{2}$")  # cast to text
    assert numbers["observed"]["samples"] == [200]


def test_duplicates_counts_groups_including_nulls(db):
    record = check(db, table="orders", test="duplicates", columns=["user_id", "number"])
    assert record["status"] == "fail"
    observed = record["observed"]
    assert (observed["offending_rows"]["value"], observed["offending_groups"]) == (4, 2)
    assert observed["samples"] == [{"user_id": 1, "number": "N-1", "rows": 2},
                                   {"user_id": 98, "number": "N-6", "rows": 2}]
    assert check(db, table="orders", test="duplicates", columns=["id"])["status"] == "pass"
    # users 4 and 5 both have a NULL email, but different statuses
    assert check(db, table="users", test="duplicates", columns=["email", "status"])["status"] == "pass"
    both_null = check(db, table="users", test="duplicates", column="email")
    assert sorted(both_null["observed"]["samples"], key=repr) == [  # where NULLs sort differs by backend
        {"email": "ann@example.test", "rows": 2}, {"email": None, "rows": 2}]


def test_freshness_by_the_database_clock(db):
    record = check(db, table="users", test="freshness", column="created_at", max_age="1h")
    assert record["status"] == "pass", record["summary"]
    assert record["title"] == "freshness(users.created_at)"
    age = record["observed"]["age_seconds"]["value"]
    elapsed = (datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - NOW).total_seconds()
    assert 300 - 5 <= age <= 300 + elapsed + 5  # the newest user was created 5 minutes before the run
    # The age grows with the time the suite has run (minutes on a loaded machine): the summary shows the observed one.
    assert record["summary"] == f"newest created_at is {format_duration(age)} old (max_age 1h)"
    stale = check(db, table="orders", test="freshness", column="placed_at", max_age="1d")
    assert stale["status"] == "fail"
    assert stale["summary"].startswith("newest placed_at is 7d")
    assert stale["expected"] == {"age_seconds": {"fail": {"above": 86400}, "unit": "seconds"}}


def test_freshness_of_an_empty_table_fails(db):
    record = check(db, table="empty_table", test="freshness", column="id", max_age="1h")
    assert record["status"] == "fail"
    assert record["summary"] == "no id values: the table is empty or the column is all NULL"


def test_freshness_reads_naive_values_in_the_session_zone_when_asked(db):
    if db.backend != "postgresql":
        pytest.skip(f"the PostgreSQL test database runs its sessions in {PG_SESSION_ZONE}")
    record = check(db, table="users", test="freshness", column="created_at", max_age="1h", naive_timezone="database")
    assert record["status"] == "fail"  # UTC values read as Kiritimati time (UTC+14) look 14 hours old
    elapsed = (datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - NOW).total_seconds()
    # The newest user was created 5 minutes before the run; the suite may have run for long since.
    assert 14 * 3600 + 300 - 5 <= record["observed"]["age_seconds"]["value"] <= 14 * 3600 + 300 + elapsed + 5


def test_freshness_of_timestamptz_values_is_exact_whatever_the_session_zone(db):
    if db.backend != "postgresql":
        pytest.skip("timestamptz is PostgreSQL's")
    db.execute("CREATE TABLE events (at timestamptz)",
               "INSERT INTO events VALUES (now() - interval '10 minutes'), (now() - interval '2 days')",
               f'GRANT SELECT ON events TO "{db.user}"')
    for zone in ("utc", "database"):
        record = check(db, table="events", test="freshness", column="at", max_age="15m", naive_timezone=zone)
        assert record["status"] == "pass", record["summary"]
        assert 600 <= record["observed"]["age_seconds"]["value"] < 700


def test_freshness_of_sqlite_text_and_unix_seconds(tmp_path):
    with throwaway_database("sqlite", tmp_path) as database:
        minutes_ago = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=3)
        database.execute(
            "CREATE TABLE stamps (iso_z TEXT, iso_offset TEXT, unix INTEGER)",
            "INSERT INTO stamps VALUES ('{}', '{}', {})".format(
                minutes_ago.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                minutes_ago.astimezone(datetime.timezone(datetime.timedelta(hours=2))).isoformat(),
                int(minutes_ago.timestamp())))
        for column in ("iso_z", "iso_offset", "unix"):
            record = run_item(dict(url=database.url, table="stamps", test="freshness", column=column, max_age="5m"))
            assert record["status"] == "pass", (column, record["summary"])
            assert 170 < record["observed"]["age_seconds"]["value"] < 240, column
        database.execute("CREATE TABLE junk (v TEXT)", "INSERT INTO junk VALUES ('yesterday')")
        record = run_item(dict(url=database.url, table="junk", test="freshness", column="v", max_age="5m"))
        assert record["status"] == "error"
        assert record["summary"] == "the newest value 'yesterday' is not a timestamp, a date or Unix seconds"


# --- levels, samples, keys -----------------------------------------------------------------------

def test_warn_and_fail_levels_of_offending_rows(db):
    options = dict(table="orders", test="relationships", column="user_id", to_table="users", to_column="id")
    assert check(db, warn_above=0, fail_above=5, **options)["status"] == "warn"
    assert check(db, warn_above=2, fail_above=2, **options)["status"] == "fail"
    assert check(db, warn_above=3, **options)["status"] == "pass"
    record = check(db, warn_above=1, **options)
    assert (record["status"], record["expected"]) == (
        "warn", {"offending_rows": {"warn": {"above": 1}, "unit": "count"}})


def test_sample_size_and_key_column(db):
    record = check(db, table="users", test="accepted_range", column="age", min=18, max=120, sample_size=1)
    assert (record["observed"]["offending_rows"]["value"], record["observed"]["samples"]) == (2, [17])
    record = check(db, table="users", test="accepted_range", column="age", min=18, max=120, sample_size=0)
    assert record["observed"]["samples"] == []
    record = check(db, table="users", test="accepted_range", column="age", min=18, max=120,
                   key_column=["id", "code"])
    assert record["observed"]["samples"] == [{"id": 4, "code": "ab-4"}, {"id": 5, "code": "AB-005"}]
    assert "e.g. (id=4, code=ab-4), (id=5, code=AB-005)" in record["summary"]


def test_not_null_without_a_primary_key_shows_no_samples_and_says_why(db):
    record = check(db, table="orders", test="not_null", column="user_id", key_column=["number"])
    assert record["observed"]["samples"] == ["N-4"]
    if db.backend == "postgresql":
        db.execute("CREATE TABLE loose (v text)", "INSERT INTO loose VALUES (NULL)",
                   f'GRANT SELECT ON loose TO "{db.user}"')
        record = check(db, table="loose", test="not_null", column="v")
        assert record["observed"]["samples"] == []
        assert record["summary"].endswith("; no primary key to show samples by (set key_column)")


# --- names shaped like SQL injection -------------------------------------------------------------

def test_injection_shaped_names_are_quoted_not_executed(db):
    record = check(db, table=INJECTION_TABLE, test="not_null", column="id")
    assert record["status"] == "error"
    assert record["summary"].startswith(f"table {INJECTION_TABLE!r} not found in ")
    record = check(db, table="users", test="not_null", column=INJECTION_COLUMN)
    assert record["status"] == "error"
    # named as given, or (DuckDB) as the quoted identifier it was sent as
    assert INJECTION_COLUMN in record["summary"] or INJECTION_COLUMN.replace('"', '""') in record["summary"]
    record = check(db, table="orders", test="relationships", column="user_id", to_table=INJECTION_TABLE,
                   to_column="id")
    assert record["summary"].startswith(f"table {INJECTION_TABLE!r} not found in ")
    for test, options in (("not_null", {}), ("unique", {}), ("regex", dict(pattern="^x$")),
                          ("accepted_values", dict(values=["x"]))):
        record = check(db, table=ODD_TABLE, test=test, column=ODD_COLUMN, **options)
        assert record["status"] in ("pass", "fail"), record["summary"]
    assert check(db, table=ODD_TABLE, test="not_null", column=ODD_COLUMN)["observed"]["samples"] == [2]
    assert db.has_table("users") and db.has_table("orders")


# --- could not evaluate ----------------------------------------------------------------------------

def test_a_pattern_the_database_rejects_is_an_error(db):
    if db.backend == "sqlite":
        with pytest.raises(OptionError, match=r"^pattern: '\(' is not a valid regular expression"):
            prepare(dict(url=db.url, table="users", test="regex", column="code", pattern="("))
        return
    record = check(db, table="users", test="regex", column="code", pattern="(")
    assert record["status"] == "error"


def test_a_wrong_password_is_an_error_without_either_password():
    with mariadb_database() as database:
        seed(database)
        wrong = "Wr0ng-pw-91be2c"
        record = run_item(dict(url=database.url_for(database.user, None), password=wrong, table="users",
                               test="not_null", column="email"))
        assert record["status"] == "error"
        assert "Access denied" in record["summary"]
        assert wrong not in repr(record) and database.password not in repr(record)


def test_a_server_that_is_down_is_an_error_at_once():
    started = time.monotonic()
    record = run_item(dict(url=f"mysql+pymysql://root@127.0.0.1:{unused_port()}/x", table="users",
                           test="unique", column="id"), timeout=60.0)
    assert time.monotonic() - started < 30  # refused at once, not given up on after the 60 s timeout
    assert record["status"] == "error"
    assert "Can't connect to MySQL server on '127.0.0.1'" in record["summary"]


def test_a_server_that_says_nothing_times_out():
    with tcp_server(lambda server, conn: time.sleep(120)) as silent:
        started = time.monotonic()
        record = run_item(dict(url=f"postgresql+psycopg://app@127.0.0.1:{silent.port}/app", table="t",
                               test="not_null", column="c"), timeout=1.5)
        elapsed = time.monotonic() - started
    assert record["status"] == "error"
    assert "timed out" in record["summary"]
    assert elapsed < 60  # the server says nothing for 120 s: only the 1.5 s timeout ends it


def test_a_statement_that_outlives_the_check_is_cancelled_by_the_server(db):
    if db.backend == "sqlite":
        pytest.skip("SQLite has no statement timeout; the runner gives up on the check instead")
    view = "slow_view"
    sleep = dict(postgresql="SELECT pg_sleep(60)", mysql="SELECT SLEEP(60)",
                 # DuckDB cannot sleep: a sum that takes far longer than a minute (HAVING keeps it computed)
                 duckdb="SELECT sum(hash(a.range + b.range)) AS total FROM range(1000000) a, range(1000000) b "
                        "HAVING total IS NOT NULL")[db.backend]
    db.execute(f"CREATE VIEW {view} AS SELECT id, (SELECT 1 FROM ({sleep}) s) AS v FROM users")
    if db.backend == "postgresql":
        db.execute(f'GRANT SELECT ON {view} TO "{db.user}"')
    started = time.monotonic()
    record = check(db, table=view, test="not_null", column="v", timeout="1.5s")
    assert time.monotonic() - started < 30  # the view sleeps 60 s: only the cancelled statement ends it early
    assert record["status"] == "error"
    assert "timed out" in record["summary"]


@pytest.mark.parametrize("module, package, url", [
    ("psycopg", "psycopg", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
    ("pymysql", "PyMySQL", "mysql+pymysql://root@127.0.0.1:3306/mysql"),
])
def test_a_missing_driver_is_reported_with_the_standard_message(module, package, url):
    # In a fresh interpreter, as on a host without the driver: this process has long imported it.
    record, _peak = run_in_child("db_data_quality", dict(url=url, table="users", test="not_null", column="id"),
                                 timeout=10.0, blocked_modules=[module])
    assert record["status"] == "error"
    assert record["summary"].startswith(missing_required_lib(package))


def test_missing_sqlalchemy_is_reported_with_the_standard_message(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "sqlalchemy", None)
    record = run_item(dict(url=f"sqlite:///{tmp_path}/x.db", table="users", test="not_null", column="id"))
    assert (record["status"], record["summary"]) == ("error", missing_required_lib("SQLAlchemy"))


# --- bad input -----------------------------------------------------------------------------------

@pytest.mark.parametrize("options, message", [
    (dict(url="postgres://db/x"), "^url: the 'postgres' dialect is not supported"),
    (dict(table=""), "^table: must not be empty"),
    (dict(test="unique", column=None), "^columns: the unique test needs one or more columns"),
    (dict(test="unique", columns=["a"]), "^column/columns: give one of them, not both"),
    (dict(test="duplicates", column=None, columns=["a", "a"]), "^columns: \\['a', 'a'\\] names a column twice"),
    (dict(test="not_null", column=None), "^column: the not_null test needs a column"),
    (dict(column=None, columns=["a", "b"]), "^columns: the not_null test takes one column"),
    (dict(test="relationships", to_table="users"), "^to_column: the relationships test needs it"),
    (dict(test="relationships", to_table="x.", to_column="id"), "^to_table: 'x.' is not a table name"),
    (dict(test="accepted_values"), "^values: the accepted_values test needs at least one value"),
    (dict(test="accepted_values", values=[["a"]]), "^values: \\['a'\\] is not a single value"),
    (dict(test="accepted_range"), "^min/max: the accepted_range test needs at least one of them"),
    (dict(test="freshness"), "^max_age: the freshness test needs it"),
    (dict(test="freshness", max_age="soonish"), "^max_age: "),
    (dict(test="freshness", max_age="1h", fail_above=3), "^fail_above: does not apply to the freshness test"),
    (dict(test="freshness", max_age="1h", key_column=["id"]), "^key_column: does not apply to the freshness"),
    (dict(test="regex"), "^pattern: the regex test needs a pattern"),
    (dict(pattern="^a$"), "^pattern: does not apply to the not_null test"),
    (dict(values=["a"]), "^values: does not apply to the not_null test"),
    (dict(test="unique", column=None, columns=["a"], key_column=["id"]), "^key_column: does not apply"),
    (dict(warn_above=5, fail_above=1), "^warn_above/fail_above: the warn level"),
    (dict(fail_above="some"), "^fail_above: 'some' is not a number"),
    (dict(fail_above=1.5), "^fail_above: 1.5 is not a whole number of rows"),
    (dict(sample_size=1000), "^sample_size: must be between 0 and 100"),
    (dict(key_column=[""]), "^key_column: column names must not be empty"),
])
def test_bad_options_name_the_option(options, message):
    item = dict(url="postgresql+psycopg://postgres@127.0.0.1:5432/postgres", table="users", test="not_null",
                column="a")
    item.update(options)
    item = dict((key, value) for key, value in item.items() if value is not None)
    with pytest.raises(OptionError, match=message):
        prepare(item)


def test_timestamp_text_is_read_as_sqlite_writes_it():
    parse = db_data_quality.parse_timestamp_text
    utc = datetime.timezone.utc
    assert parse("2024-05-01 12:30:00") == datetime.datetime(2024, 5, 1, 12, 30)
    assert parse("2024-05-01T12:30:00.5Z") == datetime.datetime(2024, 5, 1, 12, 30, 0, 500000, tzinfo=utc)
    assert parse("2024-05-01 14:30:00+02:00").astimezone(utc) == datetime.datetime(2024, 5, 1, 12, 30, tzinfo=utc)
    assert parse("2024-05-01") == datetime.datetime(2024, 5, 1)
    assert parse("yesterday") is None
