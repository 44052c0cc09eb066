"""backup_restore drills against the real PostgreSQL of this machine: a throwaway source database, its pg_dump
dumps (custom, tar, plain, gzipped), broken and hostile copies. Every test proves the scratch database gone
afterwards and the source untouched (row counts and an md5 of every row)."""

from __future__ import annotations

import gc
import json
import os
import shutil
import warnings

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._checks import backup_restore

from ._backups import (
    HOUR,
    ODD_TABLE,
    PG_ADMIN,
    ROWS,
    create_database,
    cut,
    database_exists,
    drop_database,
    drop_role,
    gzip_copy,
    pg_dump,
    role_exists,
    set_age,
    source_database,
    unique_name,
    with_statement,
    without_trailer,
)
from ._kind_runner import run_item as run_kind_item
from ._kind_runner import validated_item
from ._ports import unused_port

TABLES = ["users", "orders", ODD_TABLE]


def run_item(item, timeout=60.0):
    record = run_kind_item(backup_restore, item, timeout)
    scratch = record["observed"].get("scratch_database")
    if scratch:
        left = database_exists(scratch)
        drop_database(scratch)  # never left on the shared server, even by a failing test
        assert not left, f"the scratch database {scratch} was left behind"
    return record


def prepare(item):
    return backup_restore.prepare(validated_item(backup_restore, item))


class Source(object):
    """The source database and its dumps."""

    def __init__(self, database, where):
        self.database = database
        self.custom = pg_dump(database, where / "shop.dump", "c")
        self.tar = pg_dump(database, where / "shop.tar", "t")
        self.plain = pg_dump(database, where / "shop.sql", "p")
        self.plain_gz = gzip_copy(self.plain, where / "shop.sql.gz")
        self.custom_gz = gzip_copy(self.custom, where / "shop.dump.gz")
        for path in (self.custom, self.tar, self.plain, self.plain_gz, self.custom_gz):
            set_age(path, HOUR)

    def item(self, path, **options):
        item = dict(path=path, source_url=self.database.reader_url, admin_url=PG_ADMIN, tables=TABLES)
        item.update(options)
        return item


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    with source_database() as database:
        yield Source(database, tmp_path_factory.mktemp("dumps"))


@pytest.fixture
def untouched(source):
    """Asserts after the test that the source database is exactly as before."""
    before = source.database.fingerprint()
    yield source
    assert source.database.fingerprint() == before


def tables_of(record):
    return [(t["table"], t["source"], t["restored"], t.get("difference")) for t in record["observed"]["tables"]]


# --- drills that pass -----------------------------------------------------------------------------

def test_describe_gives_a_stable_id_and_title(source):
    record = run_item(source.item("/nowhere/db-*.dump"))
    assert record["id"] == "backup_restore:/nowhere/db-*.dump"
    assert record["title"] == "Restore drill of /nowhere/db-*.dump"
    assert (record["section"], record["severity"]) == ("backup", "high")


@pytest.mark.parametrize("which, dump_format", [
    ("custom", "archive"), ("tar", "archive"), ("plain", "plain"), ("plain_gz", "plain+gzip"),
    ("custom_gz", "archive+gzip")])
def test_a_sound_dump_restores_and_matches_the_source(untouched, which, dump_format):
    path = getattr(untouched, which)
    record = run_item(untouched.item(path, duration_fail_above="10m"))
    assert record["status"] == "pass", record["summary"]
    observed = record["observed"]
    assert observed["dump"] == path
    assert observed["dump_format"] == dump_format
    assert observed["dump_size"] == {"value": os.path.getsize(path), "unit": "bytes"}
    assert observed["dump_age_seconds"]["unit"] == "seconds" and observed["dump_age_seconds"]["value"] >= 0
    assert observed["dropped"] is True
    assert observed["scratch_database"].startswith("golive_restore_")
    assert observed["restore_exit_code"] == 0
    assert observed["restore_seconds"]["value"] > 0
    assert tables_of(record) == [(t, ROWS[t], ROWS[t], 0) for t in TABLES]
    assert record["expected"] == {"restore_seconds": {"fail": {"above": 600}, "unit": "seconds"}, "tolerance": "exact"}
    assert record["summary"].startswith("restored {} (".format(path.rsplit("/", 1)[1]))
    assert "3 tables match the source (exact): users 25/25, orders 120/120" in record["summary"]
    assert record["summary"].endswith("scratch database {} dropped".format(observed["scratch_database"]))


def test_the_newest_dump_of_a_glob_is_restored_in_parallel_jobs(untouched, tmp_path):
    set_age(cut(untouched.custom, tmp_path / "db-1.dump"), 2 * 86400)  # an older broken one is not used
    newest = set_age(shutil.copy(untouched.custom, str(tmp_path / "db-2.dump")), HOUR)
    record = run_item(untouched.item(str(tmp_path / "db-*.dump"), jobs=2, scratch_database=unique_name("drill")))
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["dump"] == newest
    assert record["observed"]["scratch_database"].startswith("drill_")


def test_a_drill_without_tables_proves_the_restore_alone(untouched):
    record = run_item(untouched.item(untouched.custom, tables=[]))
    assert record["status"] == "pass", record["summary"]
    assert "tables" not in record["observed"]


# --- duration: the recovery-time evidence ----------------------------------------------------------

def test_a_restore_slower_than_the_warn_level_warns_and_than_the_fail_level_fails(untouched):
    record = run_item(untouched.item(untouched.custom, duration_warn_above="1ms"))
    assert record["status"] == "warn"
    assert record["summary"].startswith("restore took ")
    assert "(warn > 1ms)" in record["summary"]
    record = run_item(untouched.item(untouched.custom, duration_warn_above="1ms", duration_fail_above="2ms"))
    assert record["status"] == "fail"
    assert record["observed"]["dropped"] is True


# --- row counts within a tolerance ----------------------------------------------------------------

@pytest.fixture
def grown(tmp_path):
    """A source that gained 2 users and a table after its dump was made."""
    with source_database() as database:
        dump = set_age(pg_dump(database, tmp_path / "shop.dump", "c"), HOUR)
        database.execute("INSERT INTO users (id, email) VALUES (1001, 'a@example.com'), (1002, 'b@example.com')",
                         "CREATE TABLE late (id integer)", f'GRANT SELECT ON late TO "{database.role}"')
        yield database, dump


@pytest.mark.parametrize("tolerance, status", [
    (None, "fail"), (1, "fail"), ("2", "pass"), ("5%", "fail"), ("10%", "pass")])
def test_counts_that_differ_from_the_source_pass_only_within_the_tolerance(grown, tolerance, status):
    database, dump = grown
    item = dict(path=dump, source_url=database.reader_url, admin_url=PG_ADMIN, tables=["users", "orders"])
    if tolerance is not None:
        item["tolerance"] = tolerance
    record = run_item(item)
    assert record["status"] == status, record["summary"]
    assert tables_of(record) == [("users", 27, 25, -2), ("orders", 120, 120, 0)]
    if status == "fail":
        assert record["summary"].startswith("users: 25 rows restored, 27 in the source (difference -2, tolerance ")


def test_a_table_the_dump_lacks_fails(grown):
    database, dump = grown
    record = run_item(dict(path=dump, source_url=database.reader_url, admin_url=PG_ADMIN, tables=["late"]))
    assert record["status"] == "fail"
    assert record["summary"].startswith("table late is missing from the restored database")
    assert tables_of(record) == [("late", 0, None, None)]


# --- drills that fail: the scratch database is dropped all the same ----------------------------------

def test_a_custom_dump_cut_in_half_fails_to_restore(untouched, tmp_path):
    path = set_age(cut(untouched.custom, tmp_path / "half.dump"), HOUR)
    record = run_item(untouched.item(path))
    assert record["status"] == "fail"
    assert record["summary"].startswith(
        "restore of half.dump failed (pg_restore exit 1): could not read from input file: end of file")
    assert record["observed"]["dropped"] is True
    assert [t["restored"] for t in record["observed"]["tables"]] == [None, None, None]


def test_a_plain_dump_with_an_error_stops_and_fails(untouched, tmp_path):
    path = set_age(with_statement(untouched.plain, tmp_path / "bad.sql", "SELECT 1/0;", at_end=True), HOUR)
    record = run_item(untouched.item(path))
    assert record["status"] == "fail"
    assert record["summary"].startswith("restore of bad.sql failed (psql exit 3): ")
    assert "division by zero" in record["summary"]


def test_a_plain_dump_without_its_trailer_fails_even_though_psql_succeeds(untouched, tmp_path):
    path = set_age(without_trailer(untouched.plain, tmp_path / "cut.sql"), HOUR)
    record = run_item(untouched.item(path))
    assert record["status"] == "fail"
    assert record["observed"]["restore_exit_code"] == 0
    assert record["summary"].startswith("restore of cut.sql failed: the SQL dump does not end with a dump tool's "
                                        "completion trailer")


def test_a_dump_that_switches_databases_is_refused(untouched, tmp_path):
    hostile = with_statement(untouched.plain, tmp_path / "hostile.sql",
                             f"\\connect {untouched.database.name}\nDELETE FROM users;")
    record = run_item(untouched.item(set_age(hostile, HOUR)))
    assert record["status"] == "fail"
    assert record["summary"].startswith("restore of hostile.sql failed: the dump switches databases "
                                        f"(\\connect {untouched.database.name}; ")


@pytest.mark.parametrize("command", ["\\! touch {marker}", "SELECT 1; \\! touch {marker}",
                                     "SELECT 'x' \\g {marker}", "\\o {marker}"],
                         ids=["shell", "shell-after-statement", "query-to-file", "output-to-file"])
def test_a_dump_with_host_commands_is_refused_and_runs_none_of_them(untouched, tmp_path, command):
    marker = tmp_path / "ran"
    hostile = with_statement(untouched.plain, tmp_path / "hostile.sql", command.format(marker=marker), at_end=True)
    record = run_item(untouched.item(set_age(hostile, HOUR)))
    assert record["status"] == "fail"
    assert "could run programs or touch files on this host" in record["summary"]
    assert not marker.exists(), f"the refused dump ran {command!r}"


def test_copy_data_and_regular_expressions_are_not_taken_for_commands(untouched, tmp_path):
    # A regular expression in a constraint holds backslashes, as COPY data may: the dump still restores.
    check = with_statement(untouched.plain, tmp_path / "regex.sql",
                           "CREATE TABLE public.contacts (email text CHECK (email ~ '^\\w+@\\S+$'));\n"
                           "CREATE TABLE public.notes (body text);\n"
                           "COPY public.notes (body) FROM stdin;\n\\\\! not a command\n\\.",
                           at_end=True)
    record = run_item(untouched.item(set_age(check, HOUR)))
    assert record["status"] == "pass", record["summary"]


def test_what_a_refused_dump_ran_before_switching_databases_is_rolled_back(untouched, tmp_path):
    role = unique_name("golive_probe")
    hostile = with_statement(untouched.plain, tmp_path / "cluster.sql",
                             f"CREATE ROLE {role};\n\\connect {untouched.database.name}\nDELETE FROM users;")
    try:
        record = run_item(untouched.item(set_age(hostile, HOUR)))
        assert record["status"] == "fail"
        assert "the dump switches databases" in record["summary"]
        assert not role_exists(role), f"the refused dump created role {role} on the server"
    finally:
        drop_role(role)


def test_a_cluster_dump_without_database_switches_is_refused_before_it_runs(untouched, tmp_path):
    role = unique_name("golive_probe")
    globals_dump = tmp_path / "globals.sql"
    globals_dump.write_text("--\n-- PostgreSQL database cluster dump\n--\n\nSET default_transaction_read_only = off;\n"
                            f"CREATE ROLE {role};\nALTER ROLE {role} WITH LOGIN;\n\n"
                            "--\n-- PostgreSQL database cluster dump complete\n--\n\n")
    try:
        record = run_item(untouched.item(set_age(str(globals_dump), HOUR)))
        assert record["status"] == "fail"
        assert record["summary"].startswith("globals.sql is a pg_dumpall cluster dump")
        assert not role_exists(role), f"the cluster dump created role {role} on the server"
    finally:
        drop_role(role)


def test_a_file_that_is_not_an_archive_fails_with_format_custom(untouched):
    record = run_item(untouched.item(untouched.plain, format="custom"))
    assert record["status"] == "fail"
    assert record["summary"] == "shop.sql is not a pg_dump archive (custom or tar format)"
    record = run_item(untouched.item(untouched.custom, format="plain"))
    assert record["summary"] == "shop.dump is a pg_dump archive, not a plain SQL dump (format: plain)"


def test_no_dump_fails(untouched, tmp_path):
    record = run_item(untouched.item(str(tmp_path / "*.dump")))
    assert record["status"] == "fail"
    assert record["summary"] == f"no dump matches {tmp_path}/*.dump"


# --- errors: nothing is created, or what was created is dropped ------------------------------------

def test_a_restore_that_outlives_the_timeout_is_an_error_and_the_scratch_database_is_dropped(untouched, tmp_path):
    slow = set_age(with_statement(untouched.plain, tmp_path / "slow.sql", "SELECT pg_sleep(120);"), HOUR)
    scratch = unique_name("golive_restore")
    # 30 s: the restore gets what is left after the fixed reserve the drop keeps, however loaded the machine.
    record = run_item(untouched.item(slow, scratch_database=scratch), timeout=30.0)
    assert record["status"] == "error", record["summary"]
    assert record["summary"].startswith("the restore did not finish within the time left (")
    assert record["observed"]["dropped"] is True
    assert not database_exists(scratch)


def test_an_existing_scratch_database_is_refused_and_left_alone(untouched):
    existing = unique_name("golive_restore")
    create_database(existing)
    try:
        record = run_item(untouched.item(untouched.custom, scratch_database=existing))
        assert record["status"] == "error"
        assert record["summary"] == (f"scratch database {existing!r} already exists on {PG_ADMIN}; "
                                     "refusing to use it (the drill only drops databases it created)")
        assert database_exists(existing)
    finally:
        drop_database(existing)


@pytest.mark.parametrize("tool, path_of", [("pg_restore", lambda s: s.custom), ("psql", lambda s: s.plain)])
def test_a_missing_restore_tool_is_an_error_before_anything_is_created(untouched, tmp_path, tool, path_of):
    scratch = unique_name("golive_restore")
    record = run_item(untouched.item(path_of(untouched), bin_dir=str(tmp_path), scratch_database=scratch))
    assert record["status"] == "error"
    assert record["summary"] == f"{tool} not found in {tmp_path} (bin_dir)"
    assert not database_exists(scratch)


def test_a_table_missing_from_the_source_is_an_error_before_anything_is_created(untouched):
    scratch = unique_name("golive_restore")
    record = run_item(untouched.item(untouched.custom, tables=["users", "nope"], scratch_database=scratch))
    assert record["status"] == "error"
    assert record["summary"].startswith("table 'nope' not found in postgresql+psycopg://")
    assert not database_exists(scratch)


def test_an_unreachable_admin_server_is_an_error(untouched):
    admin = f"postgresql+psycopg://postgres@127.0.0.1:{unused_port()}/postgres"
    record = run_item(untouched.item(untouched.custom, admin_url=admin, connect_timeout="2s"))
    assert record["status"] == "error"
    assert record["summary"].startswith(admin + ": ")


def test_passwords_never_appear_in_the_record(untouched):
    database = untouched.database
    record = run_item(untouched.item(untouched.custom, admin_password="Adm-pw-not-needed-by-trust-77"))
    assert record["status"] == "pass", record["summary"]
    written = json.dumps(record)
    assert database.password not in written
    assert "Adm-pw-not-needed-by-trust-77" not in written
    assert record["observed"]["source"] == database.reader_url.replace(database.password, "****")


# --- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize("options, message", [
    ({"path": "dumps/*.dump"}, "path: 'dumps/*.dump' must be absolute"),
    ({"source_url": "mysql+pymysql://root@127.0.0.1/shop"},
     "source_url: the restore drill works with PostgreSQL only, not mysql"),
    ({"source_url": "not a url"}, "source_url: 'not a url' is not a SQLAlchemy database URL"),
    ({"admin_url": "postgresql+psycopg://postgres@127.0.0.1:5432/"}, "admin_url: 'postgresql+psycopg://postgres@"),
    ({"admin_url": PG_ADMIN + "?frobnicate=1"}, "admin_url: the query parameter 'frobnicate' cannot be passed on"),
    ({"scratch_database": "shop"}, "scratch_database: 'shop' is the database of source_url; refusing"),
    ({"scratch_database": "postgres"}, "scratch_database: 'postgres' is the database of admin_url; refusing"),
    ({"scratch_database": "drill-1"}, "scratch_database: 'drill-1' is not a plain name"),
    ({"scratch_database": "x" * 64}, "scratch_database: "),
    ({"tables": ["users", " "]}, "tables: must not be empty"),
    ({"tolerance": "a few"}, "tolerance: 'a few' is not a number"),
    ({"tolerance": "150%"}, "tolerance: '150%' is outside 0-100%"),
    ({"jobs": 0}, "jobs: must be at least 1, got 0"),
    ({"duration_warn_above": "1h", "duration_fail_above": "10m"},
     "duration_warn_above/duration_fail_above: the warn level (1h) must be below the fail level (10m)"),
    ({"bin_dir": "usr/bin"}, "bin_dir: 'usr/bin' must be absolute"),
])
def test_bad_options_name_the_option(options, message):
    item = dict(path="/var/backups/*.dump", source_url="postgresql+psycopg://app:S3cret-pw@db:5432/shop",
                admin_url=PG_ADMIN)
    item.update(options)
    with pytest.raises(OptionError) as raised:
        prepare(item)
    assert str(raised.value).startswith(message)
    assert "S3cret-pw" not in str(raised.value)


class _Left(object):
    def __init__(self, seconds):
        self.seconds = seconds

    def remaining(self):
        return self.seconds


@pytest.mark.parametrize("left, limits", [(15.0, (5, 10000)), (6.0, (2, 4000)), (0.05, (1, 1000))])
def test_each_drop_attempt_is_bounded_by_the_time_it_has(left, limits):
    assert backup_restore.drop_limits(left) == limits


@pytest.mark.parametrize("left, seconds", [(40.0, 40.0), (3.0, 10.0), (0.0, 10.0)])
def test_a_drop_gets_a_floor_of_time_even_when_the_check_has_none_left(left, seconds):
    assert backup_restore.drop_seconds(_Left(left)) == seconds


@pytest.mark.parametrize("timeout, reserve", [(60.0, 15.0), (8.0, 4.0)])
def test_the_reserve_for_the_drop_is_fixed_not_a_share_of_a_long_timeout(timeout, reserve):
    reserved = backup_restore.Reserved(_Left(timeout))
    assert reserved.reserve == reserve
    assert reserved.remaining() == timeout - reserve


def test_the_drop_ends_sessions_still_in_the_scratch_database(untouched):
    scratch = unique_name("golive_restore")
    create_database(scratch)
    sqlalchemy = backup_restore.load_sqlalchemy()
    engine = sqlalchemy.create_engine(PG_ADMIN.rsplit("/", 1)[0] + "/" + scratch, poolclass=sqlalchemy.pool.NullPool)
    lingering = None
    try:
        lingering = engine.connect()
        lingering.execute(sqlalchemy.text("SELECT 1"))
        plan = prepare(untouched.item(untouched.custom, scratch_database=scratch))
        dropped = backup_restore.Admin(plan, sqlalchemy).drop(scratch, 30.0)
        gone = not database_exists(scratch)
    finally:
        try:
            if lingering is not None:
                lingering.close()
        except sqlalchemy.exc.DBAPIError:
            pass  # the drop ended this session, as it must
        engine.dispose()
        drop_database(scratch)
    assert dropped is True
    assert gone, f"the scratch database {scratch} survived a session left in it"


def test_looking_into_a_compressed_dump_closes_the_file_under_it(untouched, tmp_path):
    dump = gzip_copy(untouched.custom, tmp_path / "shop.dump.gz")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        assert backup_restore._inner_head(dump, "gzip").startswith(b"PGDMP")  # pylint: disable=protected-access
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
