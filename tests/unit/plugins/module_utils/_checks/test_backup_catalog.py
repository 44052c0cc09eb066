"""backup_catalog: the catalog a real pgBackRest printed after backing up a throwaway PostgreSQL cluster (full,
differential, incremental; a second stanza without backups), variations of that document for what a test cannot
make pgBackRest do (a stalled archive, a backup with page errors), and WAL-G's documented backup-list shape."""

from __future__ import annotations

import copy
import json
import os
import re
import time
import types

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._checks import backup_catalog as kind

from ._kind_runner import prepared, run_item
from ._pgbackrest import pgbackrest_available, pgbackrest_info_json

needs_pgbackrest = pytest.mark.skipif(not pgbackrest_available(),
                                      reason="needs root, the postgres user, PostgreSQL's binaries and pgbackrest")


@pytest.fixture(scope="module")
def info_text():
    if not pgbackrest_available():
        pytest.skip("needs root, the postgres user, PostgreSQL's binaries and pgbackrest")
    return pgbackrest_info_json()


@pytest.fixture
def info(info_text, tmp_path):
    """(path of the real catalog, its document) in a file of the test's own."""
    path = tmp_path / "pgbackrest-info.json"
    path.write_text(info_text)
    return str(path), json.loads(info_text)


def check(timeout=20.0, **item):
    return run_item(kind, item, timeout)


def rewritten(tmp_path, document, change):
    """A copy of the catalog with ``change`` applied to its demo stanza, written to a file."""
    document = copy.deepcopy(document)
    change(next(entry for entry in document if entry["name"] == "demo"))
    path = tmp_path / "changed-info.json"
    path.write_text(json.dumps(document))
    return str(path)


def later(monkeypatch, seconds):
    """The check's clock moved ``seconds`` ahead, as if it ran that much after the backups."""
    monkeypatch.setattr(kind, "time", types.SimpleNamespace(time=lambda: time.time() + seconds))


# --- the real pgBackRest catalog ----------------------------------------------------------------

@needs_pgbackrest
def test_a_stanza_with_fresh_backups_of_each_type_and_its_wal_passes(info):
    path, document = info
    record = check(path=path, stanza="demo", full_age_fail_above="8d", diff_age_fail_above="2d",
                   incr_age_fail_above="26h", count_fail_below=3)
    assert record["status"] == "pass", record["summary"]
    assert record["id"] == f"backup_catalog:{path}:demo"
    assert record["title"] == f"Backup catalog {path} (stanza demo)"
    assert record["section"] == "backup" and record["severity"] == "high"
    observed = record["observed"]
    labels = [backup["label"] for backup in next(e for e in document if e["name"] == "demo")["backup"]]
    assert observed["format"] == "pgbackrest_info" and observed["catalog"] == "demo"
    assert observed["count"] == {"value": 3, "unit": "count"}
    assert observed["newest"] == labels[-1] and observed["newest_type"] == "incr"
    assert observed["full_newest"] == labels[0] and labels[0].endswith("F")
    assert observed["diff_newest"].endswith("D") and observed["incr_newest"].endswith("I")
    assert observed["wal_max"] >= next(e for e in document if e["name"] == "demo")["backup"][-1]["archive"]["stop"]
    assert record["expected"]["newest_age"] == {"fail": {"above": 26 * 3600}, "unit": "seconds"}
    assert f"WAL archived up to {observed['wal_max']}" in record["summary"]


@needs_pgbackrest
def test_several_stanzas_need_one_named(info):
    record = check(path=info[0])
    assert record["status"] == "error"
    assert record["summary"] == f"{info[0]} lists 2 stanzas (demo, empty): set stanza"
    assert check(path=info[0], stanza="nope")["summary"] == f"{info[0]} has no stanza nope (stanzas: demo, empty)"


@needs_pgbackrest
def test_a_stanza_without_backups_fails_with_pgbackrest_s_own_status(info):
    record = check(path=info[0], stanza="empty")
    assert record["status"] == "fail"
    assert "stanza empty: status 2 (no valid backups)" in record["summary"]
    assert "empty lists no backup" in record["summary"]


@needs_pgbackrest
def test_backups_grow_old_against_each_type_s_level(info, monkeypatch):
    later(monkeypatch, 3 * 86400)
    record = check(path=info[0], stanza="demo", full_age_warn_above="2d", full_age_fail_above="8d",
                   incr_age_fail_above="26h")
    assert record["status"] == "fail"
    summary = record["summary"]
    # The backups took seconds: their ages are 3d and a few seconds.
    assert re.search(r"^newest backup age 3d[ 0-9ms]* \(fail > 1d 2h\)", summary), summary
    assert re.search(r"; newest incremental backup age 3d[ 0-9ms]* \(fail > 1d 2h\)", summary), summary
    assert re.search(r"; newest full backup age 3d[ 0-9ms]* \(warn > 2d, fail > 8d\)", summary), summary
    assert record["expected"]["full_age"] == {"warn": {"above": 2 * 86400}, "fail": {"above": 8 * 86400},
                                              "unit": "seconds"}


# --- what pgBackRest reports when things go wrong (the real catalog, changed) -------------------

@needs_pgbackrest
def test_an_archive_that_stops_before_the_newest_backup_is_stalled(info, tmp_path):
    def stall(stanza):
        stanza["archive"][0]["max"] = stanza["backup"][0]["archive"]["stop"]

    path = rewritten(tmp_path, info[1], stall)
    record = check(path=path, stanza="demo")
    assert record["status"] == "fail"
    assert "before" in record["summary"] and record["summary"].endswith("archiving is stalled")
    assert check(path=path, stanza="demo", require_wal_archive=False)["status"] == "pass"


@needs_pgbackrest
def test_no_archive_at_all_fails(info, tmp_path):
    path = rewritten(tmp_path, info[1], lambda stanza: stanza.update(archive=[]))
    record = check(path=path, stanza="demo")
    assert record["status"] == "fail"
    assert record["summary"] == "no WAL is archived: the backups cannot be recovered to a point in time"


@needs_pgbackrest
def test_page_errors_and_a_repository_in_trouble_fail(info, tmp_path):
    def damage(stanza):
        stanza["backup"][-1]["error"] = True
        stanza["repo"][0]["status"] = {"code": 1, "message": "missing stanza path"}

    record = check(path=rewritten(tmp_path, info[1], damage), stanza="demo")
    assert record["status"] == "fail"
    assert "repo1: status 1 (missing stanza path)" in record["summary"]
    assert "1 backup(s) found page checksum errors while copying" in record["summary"]
    assert record["observed"]["backups_with_errors"] == [info[1][0]["backup"][-1]["label"]]


@needs_pgbackrest
def test_a_level_on_a_type_never_taken_fails(info, tmp_path):
    def only_full(stanza):
        stanza["backup"] = [b for b in stanza["backup"] if b["type"] == "full"]

    record = check(path=rewritten(tmp_path, info[1], only_full), stanza="demo", diff_age_fail_above="2d")
    assert record["status"] == "fail" and record["summary"] == "no differential backup"


# --- WAL-G --------------------------------------------------------------------------------------

def walg_entry(name, finished_ago, detail=True):
    """One entry of `wal-g backup-list --json --detail` (of --json alone without ``detail``)."""
    finished = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(time.time() - finished_ago))
    wal = name.split("_")[1]
    entry = dict(backup_name=name, time=finished, wal_file_name=wal)
    if detail:
        entry.update(start_time=finished, finish_time=finished, date_fmt="%Y-%m-%dT%H:%M:%S.%fZ", hostname="db01",
                     data_dir="/var/lib/postgresql/16/main", pg_version=160004, start_lsn=67108904,
                     finish_lsn=67109160, is_permanent=False, system_identifier=7301234567890123456,
                     uncompressed_size=24117248, compressed_size=3145728)
    return entry


def write(tmp_path, document, name="walg.json", age=0):
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    if age:
        then = time.time() - age
        os.utime(path, (then, then))
    return str(path)


def test_walg_full_and_delta_backups_are_graded_by_type(tmp_path):
    path = write(tmp_path, [
        walg_entry("base_000000010000000000000004", 6 * 86400),
        walg_entry("base_000000010000000000000008_D_000000010000000000000004", 3600, detail=False),
    ])
    record = check(path=path, full_age_warn_above="5d", full_age_fail_above="8d", incr_age_fail_above="26h")
    assert record["status"] == "warn", record["summary"]
    observed = record["observed"]
    assert observed["format"] == "walg_backup_list" and observed["catalog"] == "wal-g"
    assert observed["newest"] == "base_000000010000000000000008_D_000000010000000000000004"
    assert observed["newest_type"] == "incr" and observed["full_newest"] == "base_000000010000000000000004"
    assert "wal_max" not in observed  # WAL-G's list says nothing of the archive
    assert record["summary"].startswith("newest full backup age 6d (warn > 5d, fail > 8d)")


def test_walg_without_backups_fails_and_takes_no_stanza(tmp_path):
    record = check(path=write(tmp_path, "null\n"))
    assert record["status"] == "fail" and record["summary"] == "wal-g lists no backup"
    record = check(path=write(tmp_path, [walg_entry("base_000000010000000000000004", 60)]), stanza="main")
    assert record["status"] == "error" and record["summary"].startswith("stanza: applies to pgBackRest's info only")


# --- the document -------------------------------------------------------------------------------

def test_a_missing_catalog_fails_and_one_of_another_format_is_an_error(tmp_path):
    missing = str(tmp_path / "nowhere.json")
    assert check(path=missing)["summary"] == f"{missing} does not exist"
    record = check(path=write(tmp_path, {"hello": "world"}, "other.json"))
    assert record["status"] == "error" and "is neither the output of pgbackrest info" in record["summary"]
    record = check(path=write(tmp_path, "[{", "broken.json"), format="walg_backup_list")
    assert record["status"] == "error"
    assert "is not the output of wal-g backup-list --json: not JSON" in record["summary"]


def test_an_old_catalog_file_fails_on_its_own_age(tmp_path):
    path = write(tmp_path, [walg_entry("base_000000010000000000000004", 60)], age=3 * 3600)
    record = check(path=path, max_age="1h")
    assert record["status"] == "fail" and "age 3h" in record["summary"]


def test_a_catalog_over_its_cap_is_an_error_naming_it(tmp_path, monkeypatch):
    monkeypatch.setattr(kind, "BACKUP_CATALOG_CAP", 100)
    path = write(tmp_path, [walg_entry("base_000000010000000000000004", 60)])
    record = check(path=path)
    assert record["status"] == "error" and "BACKUP_CATALOG_CAP" in record["summary"]


@pytest.mark.parametrize("item, message", [
    (dict(stanza=" "), "stanza: must name a pgBackRest stanza"),
    (dict(full_age_fail_above="0s"), "full_age_warn_above/full_age_fail_above: must be greater than zero"),
    (dict(incr_age_warn_above="2d", incr_age_fail_above="1d"), "incr_age_warn_above/incr_age_fail_above: the warn"),
    (dict(path="relative.json"), "path: 'relative.json' must be an absolute path"),
])
def test_bad_options_are_refused_naming_the_option(item, message):
    with pytest.raises(OptionError) as raised:
        prepared(kind, dict(dict(path="/var/lib/pgbackrest/info.json"), **item))
    assert str(raised.value).startswith(message)
