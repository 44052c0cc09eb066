"""backup_freshness over real files: pg_dump dumps of a throwaway PostgreSQL database, real gzip/bzip2/xz and
tar archives, broken copies of them, and ages set with os.utime."""

from __future__ import annotations

import bz2
import gzip
import os
import re
import shutil
import stat
import tarfile
import time

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._checks import backup_freshness

from ._backups import (
    DAY,
    HOUR,
    corrupt,
    cut,
    gzip_copy,
    pg_dump,
    random_file,
    set_age,
    source_database,
    tar_of,
    without_trailer,
)
from ._kind_runner import run_item as run_kind_item
from ._kind_runner import validated_item


def run_item(item, timeout=20.0):
    return run_kind_item(backup_freshness, item, timeout)


def prepare(item):
    return backup_freshness.prepare(validated_item(backup_freshness, item))


class Dumps(object):
    """Real dumps of one source database: custom, plain SQL and tar format."""

    def __init__(self, where, database):
        self.custom = pg_dump(database, where / "shop.dump", "c")
        self.plain = pg_dump(database, where / "shop.sql", "p")
        self.tar = pg_dump(database, where / "shop.tar", "t")


@pytest.fixture(scope="module")
def dumps(tmp_path_factory):
    with source_database() as database:
        yield Dumps(tmp_path_factory.mktemp("dumps"), database)


def daily(where, source, days, suffix, first_age=HOUR):
    """Copies of source named db-<n><suffix>, one a day: the newest first_age old, the oldest days-1 days more."""
    for n in range(days):
        target = shutil.copy(source, str(where / f"db-{n:02d}{suffix}"))
        set_age(target, first_age + (days - 1 - n) * DAY)
    return str(where / (f"db-*{suffix}"))


def verification(record):
    return record["observed"]["verification"]


# --- describe and the passing case ----------------------------------------------------------------

def test_describe_gives_a_stable_id_and_title(tmp_path):
    record = run_item({"path": str(tmp_path / "db-*.dump"), "verify": "none"})
    assert record["id"] == f"backup_freshness:{tmp_path}/db-*.dump"
    assert record["title"] == f"Backups {tmp_path}/db-*.dump"
    assert (record["section"], record["severity"]) == ("backup", "high")


def test_a_month_of_fresh_sound_custom_dumps_passes(tmp_path, dumps):
    pattern = daily(tmp_path, dumps.custom, 31, ".dump")
    record = run_item({"path": pattern, "newest_age_warn_above": "26h", "newest_age_fail_above": "50h",
                       "size_fail_below": "1KB", "count_fail_below": 30, "history_fail_below": "30d"})
    assert record["status"] == "pass", record["summary"]
    observed = record["observed"]
    assert observed["newest"] == str(tmp_path / "db-30.dump")
    assert observed["oldest"] == str(tmp_path / "db-00.dump")
    assert observed["count"]["value"] == 31
    assert HOUR - 5 < observed["newest_age_seconds"]["value"] < HOUR + 60
    assert observed["oldest_age_seconds"]["value"] >= 30 * DAY
    assert observed["newest_size"]["value"] == os.path.getsize(dumps.custom)
    assert verification(record)["method"] == "pg_custom"
    assert verification(record)["sound"] is True
    assert verification(record)["toc_entries"] > 3
    assert record["summary"].startswith("newest backup age 1h")
    assert "(warn > 1d 2h, fail > 2d 2h)" in record["summary"]
    assert "PostgreSQL custom-format dump reads completely" in record["summary"]
    assert record["expected"]["newest_age_seconds"] == {"warn": {"above": 93600}, "fail": {"above": 180000},
                                                        "unit": "seconds"}
    assert record["expected"]["oldest_age_seconds"] == {"fail": {"below": 30 * 86400}, "unit": "seconds"}


# --- age, size, count and history ----------------------------------------------------------------

def test_a_newest_backup_older_than_the_warn_level_warns(tmp_path, dumps):
    pattern = daily(tmp_path, dumps.custom, 2, ".dump", first_age=30 * HOUR)
    record = run_item({"path": pattern, "newest_age_warn_above": "26h", "newest_age_fail_above": "50h"})
    assert record["status"] == "warn"
    assert record["summary"].startswith("newest backup age 1d 6h (warn > 1d 2h, fail > 2d 2h)")


def test_a_stale_newest_backup_fails(tmp_path, dumps):
    pattern = daily(tmp_path, dumps.custom, 2, ".dump", first_age=3 * DAY)
    record = run_item({"path": pattern, "newest_age_fail_above": "24h"})
    assert record["status"] == "fail"
    assert re.match(r"newest backup age 3d( \d+s)? \(fail > 1d\)", record["summary"])  # seconds pass meanwhile


def test_a_small_newest_backup_fails_or_warns_by_size(tmp_path, dumps):
    pattern = daily(tmp_path, dumps.custom, 1, ".dump")
    size = os.path.getsize(dumps.custom)
    record = run_item({"path": pattern, "size_fail_below": "50MB"})
    assert record["status"] == "fail"
    assert record["summary"].startswith(f"newest backup size {size / 1024.0:.1f} KiB (fail < 50.0 MiB)")
    record = run_item({"path": pattern, "size_warn_below": "50MB", "size_fail_below": size})
    assert record["status"] == "warn"


def test_too_little_history_fails_and_too_few_files_warn(tmp_path, dumps):
    pattern = daily(tmp_path, dumps.custom, 5, ".dump")
    record = run_item({"path": pattern, "history_fail_below": "30d", "count_warn_below": 7})
    assert record["status"] == "fail"
    assert record["summary"].startswith("oldest backup age 4d 1h (fail < 30d); backups kept 5 (warn < 7)")
    record = run_item({"path": pattern, "history_warn_below": "7d", "history_fail_below": "3d"})
    assert record["status"] == "warn"


def test_no_matching_file_fails(tmp_path):
    (tmp_path / "db-dir.dump").mkdir()  # a directory is not a backup
    record = run_item({"path": str(tmp_path / "db-*.dump"), "newest_age_fail_above": "1d"})
    assert record["status"] == "fail"
    assert record["summary"] == f"no backup file matches {tmp_path}/db-*.dump"
    assert record["observed"] == {"count": {"value": 0, "unit": "count"}}


def test_directories_that_match_are_left_out(tmp_path, dumps):
    pattern = daily(tmp_path, dumps.custom, 2, ".dump")
    newer = tmp_path / "db-99.dump"
    newer.mkdir()
    record = run_item({"path": pattern})
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["count"]["value"] == 2
    assert record["observed"]["newest"] == str(tmp_path / "db-01.dump")


# --- sound archives of every format ---------------------------------------------------------------

def _sound_files(tmp_path, dumps):
    tar_gz = tar_of(tmp_path / "site.tar.gz", [dumps.custom, dumps.plain], ":gz")
    return {
        "custom": (dumps.custom, "pg_custom"),
        "plain": (dumps.plain, "sql"),
        "pg_dump_tar": (dumps.tar, "tar"),
        "sql_gz": (gzip_copy(dumps.plain, tmp_path / "shop.sql.gz"), "sql+gzip"),
        "tar_gz": (tar_gz, "tar+gzip"),
        "tgz": (shutil.copy(tar_gz, str(tmp_path / "site.tgz")), "tar+gzip"),
        "tar_bz2": (tar_of(tmp_path / "site.tar.bz2", [dumps.plain], ":bz2"), "tar+bzip2"),
        "tar_xz": (tar_of(tmp_path / "site.tar.xz", [dumps.plain], ":xz"), "tar+xz"),
        "gz_of_other_data": (gzip_copy(random_file(tmp_path / "blob", 300000), tmp_path / "blob.gz"), "gzip"),
    }


@pytest.mark.parametrize("name", ["custom", "plain", "pg_dump_tar", "sql_gz", "tar_gz", "tgz", "tar_bz2", "tar_xz",
                                  "gz_of_other_data"])
def test_sound_archives_pass_verification(tmp_path, dumps, name):
    path, method = _sound_files(tmp_path, dumps)[name]
    set_age(path, HOUR)
    record = run_item({"path": path})
    assert record["status"] == "pass", record["summary"]
    assert verification(record)["method"] == method
    assert verification(record)["sound"] is True


def test_tar_verification_counts_members_and_bytes(tmp_path, dumps):
    path = set_age(tar_of(tmp_path / "site.tar", [dumps.custom, dumps.plain]), HOUR)
    observed = verification(run_item({"path": path}))
    assert observed["members"] == 2
    assert observed["member_bytes"] == os.path.getsize(dumps.custom) + os.path.getsize(dumps.plain)


def test_a_mysqldump_with_its_trailer_passes(tmp_path):
    dump = tmp_path / "shop.sql"
    dump.write_text("-- MySQL dump 10.13  Distrib 8.0.36\n--\nCREATE TABLE t (id int);\n"
                    "INSERT INTO t VALUES (1);\n\n-- Dump completed on 2024-05-01 02:00:01\n")
    record = run_item({"path": set_age(dump, HOUR)})
    assert record["status"] == "pass", record["summary"]
    assert "SQL dump complete" in record["summary"]


def test_an_unrecognised_format_warns_and_verify_none_skips(tmp_path):
    path = set_age(random_file(tmp_path / "backup.bin", 4096), HOUR)
    record = run_item({"path": path})
    assert record["status"] == "warn"
    assert record["summary"].startswith("cannot tell the format of backup.bin, so it was not verified")
    record = run_item({"path": path, "verify": "none"})
    assert record["status"] == "pass"
    assert verification(record) == {"method": "none", "sound": None, "detail": "not verified (verify: none)"}


# --- broken archives fail with the reason -------------------------------------------------------

def _broken(tmp_path, dumps, name):
    tar = tar_of(tmp_path / "site.tar", [dumps.custom, dumps.plain])
    tar_gz = tar_of(tmp_path / "site.tar.gz", [dumps.custom, dumps.plain], ":gz")
    sql_gz = gzip_copy(dumps.plain, tmp_path / "whole.sql.gz")
    with tarfile.open(tar) as archive:
        first_member = archive.getmembers()[1].offset  # where the second member's headers start
    after_first = os.path.getsize(tar) - first_member
    makers = {
        "custom_cut_in_half": lambda: cut(dumps.custom, tmp_path / "half.dump"),
        "custom_short_by_16_bytes": lambda: cut(dumps.custom, tmp_path / "short.dump", minus=16),
        "plain_without_trailer": lambda: without_trailer(dumps.plain, tmp_path / "cut.sql"),
        "plain_cut_in_half": lambda: cut(dumps.plain, tmp_path / "half.sql"),
        "gzip_truncated": lambda: cut(sql_gz, tmp_path / "cut.sql.gz", minus=30),
        "gzip_corrupted": lambda: corrupt(sql_gz, tmp_path / "bad.sql.gz", os.path.getsize(sql_gz) // 2),
        "gzip_of_sql_without_trailer": lambda: gzip_copy(without_trailer(dumps.plain, tmp_path / "x.sql"),
                                                         tmp_path / "x.sql.gz"),
        "tar_header_corrupted": lambda: corrupt(tar, tmp_path / "bad.tar", first_member + 148),
        "tar_cut_at_member_boundary": lambda: cut(tar, tmp_path / "short.tar", minus=after_first),
        "tar_cut_in_a_member": lambda: cut(tar, tmp_path / "mid.tar", keep=0.4),
        "tar_gz_truncated": lambda: cut(tar_gz, tmp_path / "cut.tar.gz", minus=100),
        "named_gz_but_plain": lambda: shutil.copy(dumps.plain, str(tmp_path / "shop.sql.gz")),
    }
    return makers[name]()


BROKEN = {
    "custom_cut_in_half": "half.dump: pg_restore cannot read the dump: could not read from input file: end of file",
    "custom_short_by_16_bytes": "short.dump: pg_restore cannot read the dump: ",
    "plain_without_trailer": "cut.sql: SQL dump does not end with a dump tool's completion trailer "
                             "('-- PostgreSQL database dump complete'): the dump is incomplete",
    "plain_cut_in_half": "half.sql: SQL dump does not end with a dump tool's completion trailer",
    "gzip_truncated": "cut.sql.gz: gzip data is truncated: it ends before its end-of-stream marker",
    "gzip_corrupted": "bad.sql.gz: gzip data is corrupt: ",
    "gzip_of_sql_without_trailer": "x.sql.gz: SQL dump does not end with a dump tool's completion trailer",
    "tar_header_corrupted": "bad.tar: tar archive is corrupt: bad header after 1 member(s) (invalid header)",
    "tar_cut_at_member_boundary": "short.tar: tar archive is truncated: it ends after 1 member(s) without the "
                                  "end-of-archive marker",
    "tar_cut_in_a_member": "mid.tar: tar archive is truncated or corrupt: unexpected end of data",
    "tar_gz_truncated": "cut.tar.gz: gzip data is truncated: it ends before its end-of-stream marker",
    "named_gz_but_plain": "shop.sql.gz: named like gzip data but does not start like it",
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_archives_fail_with_the_reason(tmp_path, dumps, name):
    path = set_age(_broken(tmp_path, dumps, name), HOUR)
    record = run_item({"path": path})
    assert record["status"] == "fail", record["summary"]
    assert record["summary"].startswith(BROKEN[name]), record["summary"]
    assert verification(record)["sound"] is False


def test_a_broken_file_written_just_now_may_still_be_in_progress(tmp_path, dumps):
    path = cut(dumps.custom, tmp_path / "half.dump")
    record = run_item({"path": path})
    assert record["status"] == "fail"
    assert "ago: the backup job may still be writing it)" in record["summary"]


def test_only_the_newest_file_is_verified(tmp_path, dumps):
    set_age(cut(dumps.custom, tmp_path / "db-1.dump"), 2 * DAY)
    set_age(shutil.copy(dumps.custom, str(tmp_path / "db-2.dump")), HOUR)
    record = run_item({"path": str(tmp_path / "db-*.dump")})
    assert record["status"] == "pass", record["summary"]


@pytest.mark.parametrize("mode, maker, reason", [
    ("gzip", lambda t, d: d.plain, "not gzip data (no gzip header)"),
    ("pg_custom", lambda t, d: d.plain, "not a PostgreSQL custom-format dump (no PGDMP header)"),
    ("tar", lambda t, d: d.plain, "tar archive is truncated or corrupt: "),
    ("sql", lambda t, d: d.custom, "SQL dump does not end with a dump tool's completion trailer"),
])
def test_an_explicit_verify_mode_judges_the_file_as_that_format(tmp_path, dumps, mode, maker, reason):
    path = set_age(shutil.copy(maker(tmp_path, dumps), str(tmp_path / "backup")), HOUR)
    record = run_item({"path": path, "verify": mode})
    assert record["status"] == "fail"
    assert record["summary"].startswith(f"backup: {reason}"), record["summary"]


def test_an_explicit_gzip_mode_reads_bzip2_data_as_not_gzip(tmp_path, dumps):
    path = tmp_path / "shop.sql.bz2"
    with open(dumps.plain, "rb") as src, bz2.open(str(path), "wb") as dst:
        shutil.copyfileobj(src, dst)
    set_age(path, HOUR)
    assert run_item({"path": str(path)})["status"] == "pass"
    assert run_item({"path": str(path), "verify": "gzip"})["summary"].startswith(
        "shop.sql.bz2: not gzip data")


# --- errors: what cannot be evaluated is not a pass ---------------------------------------------

def test_a_missing_pg_restore_is_an_error(tmp_path, dumps):
    empty = tmp_path / "bin"
    empty.mkdir()
    record = run_item({"path": set_age(dumps.custom, HOUR), "bin_dir": str(empty)})
    assert record["status"] == "error"
    assert record["summary"] == f"pg_restore not found in {empty} (bin_dir)"


def _slow_pg_restore(where):
    """A pg_restore stand-in that starts a grandchild and hangs, recording both pids."""
    where.mkdir()
    script = where / "pg_restore"
    script.write_text("#!/bin/sh\nsleep 300 &\necho $$ $! > %s\nwait\n" % (where / "pids"))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return where


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as handle:
        return handle.read().split(") ", 1)[1][0] != "Z"


def _all_gone(pids, wait=10.0):
    """Whether every process has died (SIGKILL takes effect asynchronously; waits a little for it)."""
    ends = time.monotonic() + wait
    while [pid for pid in pids if _alive(pid)] and time.monotonic() < ends:
        time.sleep(0.05)
    return not [pid for pid in pids if _alive(pid)]


def test_verification_that_outlives_the_timeout_is_an_error_and_its_processes_are_killed(tmp_path, dumps):
    bin_dir = _slow_pg_restore(tmp_path / "bin")
    record = run_item({"path": set_age(dumps.custom, HOUR), "bin_dir": str(bin_dir)}, timeout=2.0)
    assert record["status"] == "error"
    assert record["summary"].startswith(f"verifying {dumps.custom} did not finish within the time limit (")
    assert record["observed"]["verification"]["detail"] == "did not finish"
    assert record["observed"]["newest"] == dumps.custom  # what is known is still reported
    pids = [int(pid) for pid in (bin_dir / "pids").read_text().split()]
    assert _all_gone(pids)


def test_an_unreadable_backup_is_an_error_not_a_failure(tmp_path, dumps):
    path = tmp_path / "gone.sql.gz"
    os.symlink(str(tmp_path / "loop"), str(tmp_path / "loop"))  # ELOOP when opened
    os.symlink(str(tmp_path / "loop"), str(path))
    record = run_item({"path": str(path)})
    assert record["status"] == "error"
    assert record["summary"].startswith(f"cannot stat {path}: ")


# --- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize("options, message", [
    ({"path": "backups/*.dump"}, "path: 'backups/*.dump' must be absolute"),
    ({"newest_age_fail_above": "soon"}, "newest_age_fail_above: 'soon' is not a number"),
    ({"newest_age_warn_above": "2d", "newest_age_fail_above": "1d"},
     "newest_age_warn_above/newest_age_fail_above: the warn level (2d) must be below the fail level (1d)"),
    ({"newest_age_fail_above": "0"}, "newest_age_warn_above/newest_age_fail_above: must be greater than zero"),
    ({"size_fail_below": "12 parsecs"}, "size_fail_below: "),
    ({"size_warn_below": "1MB", "size_fail_below": "1GB"}, "size_warn_below/size_fail_below: the warn level"),
    ({"history_fail_below": "a month"}, "history_fail_below: "),
    ({"count_warn_below": 2, "count_fail_below": 5}, "count_warn_below/count_fail_below: the warn level"),
    ({"bin_dir": "usr/bin"}, "bin_dir: 'usr/bin' must be absolute"),
])
def test_bad_options_name_the_option(options, message):
    item = dict({"path": "/var/backups/*.dump"}, **options)
    with pytest.raises(OptionError) as raised:
        prepare(item)
    assert str(raised.value).startswith(message)


def test_gzip_module_reads_what_the_check_calls_sound(tmp_path, dumps):
    path = set_age(gzip_copy(dumps.plain, tmp_path / "shop.sql.gz"), HOUR)
    observed = verification(run_item({"path": path}))
    with gzip.open(path, "rb") as handle:
        assert observed["uncompressed_bytes"] == len(handle.read())


def test_without_an_age_limit_a_missed_nightly_backup_fails(tmp_path):
    backup = random_file(tmp_path / "db-1.bin", 1024)
    set_age(backup, 27 * HOUR)
    record = run_item({"path": str(tmp_path / "db-*.bin"), "verify": "none"})
    assert record["status"] == "fail"
    assert "fail > 1d 2h" in record["summary"]
    set_age(backup, 25 * HOUR)
    assert run_item({"path": str(tmp_path / "db-*.bin"), "verify": "none"})["status"] == "pass"
    weekly = run_item({"path": str(tmp_path / "db-*.bin"), "verify": "none", "newest_age_fail_above": "8d"})
    set_age(backup, 3 * DAY)
    assert weekly["status"] == "pass"
