# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check kind backup_freshness: the newest backup is recent, big enough and sound, and history is kept (private).

The newest regular file matching a glob is graded by age and size; all matches by count and by the age
of the oldest (the history kept). The newest is then verified by reading all of it, streaming, within
the check's time: gzip/bzip2/xz data to its end-of-stream marker and checksums, tar archives header by
header to the end-of-archive marker, PostgreSQL custom-format dumps with ``pg_restore`` (the table of
contents, then every data block), plain SQL dumps by the completion trailer pg_dump or mysqldump writes
last. Nothing is written; ``pg_restore`` writes its script to /dev/null.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import re
import shutil
import subprocess
import tarfile
import time
import zlib

from ansible_collections.golive.readiness.plugins.module_utils._check import (
    CheckError,
    Evaluation,
    OptionError,
    format_duration,
    format_number,
    format_size,
    limit_from_options,
    parse_count,
    parse_duration,
    parse_size,
)
from ansible_collections.golive.readiness.plugins.module_utils._globs import MISSING, glob_matches
from ansible_collections.golive.readiness.plugins.module_utils._processes import (
    end_child,
    kill_process_group,
    start_child,
)

KIND = "backup_freshness"
SECTION = "backup"
SEVERITY = "high"
VARIABLES = {"golive_backups": "backup"}
VERIFY_MODES = ("auto", "gzip", "tar", "pg_custom", "sql", "none")
# A nightly backup is at most 24h old; two hours of slack for a slow run, then a missed night fails.
DEFAULT_NEWEST_AGE = (None, "26h")
OPTIONS = dict(
    path=dict(type="path", required=True),
    newest_age_warn_above=dict(type="str"),
    newest_age_fail_above=dict(type="str"),
    size_warn_below=dict(type="str"),
    size_fail_below=dict(type="str"),
    count_warn_below=dict(type="int"),
    count_fail_below=dict(type="int"),
    history_warn_below=dict(type="str"),
    history_fail_below=dict(type="str"),
    verify=dict(type="str", choices=list(VERIFY_MODES), default="auto"),
    bin_dir=dict(type="path"),
)

_CHUNK = 1024 * 1024
_SNIFF_BYTES = 512
# A plain dump's completion trailer is looked for in this many bytes at its end.
_TAIL_BYTES = 8192
# A newest file modified this recently may still be being written by the backup job.
_RECENT_SECONDS = 120

_COMPRESSIONS = (
    ("gzip", b"\x1f\x8b", gzip.GzipFile),
    ("bzip2", b"BZh", bz2.BZ2File),
    ("xz", b"\xfd7zXZ\x00", lzma.LZMAFile),
)
_PG_CUSTOM_MAGIC = b"PGDMP"
_TAR_MAGIC_OFFSET = 257
_SQL_HEADS = (b"-- PostgreSQL database dump", b"-- PostgreSQL database cluster dump", b"-- MySQL dump",
              b"-- MariaDB dump")
# What pg_dump, pg_dumpall and mysqldump/mariadb-dump write last, once everything else is written.
_SQL_TRAILERS = (b"-- PostgreSQL database dump complete", b"-- PostgreSQL database cluster dump complete",
                 b"-- Dump completed")
# What may follow the trailer: blank and comment lines, and psql's \unrestrict (pg_dump 17.6, 16.10, 15.14 and up).
_AFTER_TRAILER = re.compile(rb"^(?:\s*|--.*|\\unrestrict\b.*)$")
_TAR_NAMES = re.compile(r"\.(?:tar|tar\.(?:gz|bz2|xz)|tgz|tbz2?|txz)$", re.IGNORECASE)
_SQL_NAMES = re.compile(r"\.sql(?:\.(?:gz|bz2|xz))?$", re.IGNORECASE)
_COMPRESSED_NAMES = {".gz": "gzip", ".tgz": "gzip", ".bz2": "bzip2", ".tbz": "bzip2", ".tbz2": "bzip2",
                     ".xz": "xz", ".txz": "xz"}


def describe(item):
    return item["path"], "Backups {}".format(item["path"])


def _positive(limit, option):
    for level in (limit.warn, limit.fail):
        if level is not None and level <= 0:
            raise OptionError(f"{option}: must be greater than zero")
    return limit


def prepare(item):
    path = item["path"]
    if not os.path.isabs(path):
        raise OptionError(f"path: {path!r} must be absolute")
    verify = item["verify"]
    if verify not in VERIFY_MODES:
        raise OptionError("verify: {!r} is not one of {}".format(verify, ", ".join(VERIFY_MODES)))
    if item.get("bin_dir") is not None and not os.path.isabs(item["bin_dir"]):
        raise OptionError("bin_dir: {!r} must be absolute".format(item["bin_dir"]))
    return dict(
        path=path,
        newest_age=_positive(limit_from_options(item, "newest_age", "above", parse_duration, format_duration,
                                                defaults=DEFAULT_NEWEST_AGE),
                             "newest_age_warn_above/newest_age_fail_above"),
        size=limit_from_options(item, "size", "below", parse_size, format_size),
        count=limit_from_options(item, "count", "below", parse_count),
        history=limit_from_options(item, "history", "below", parse_duration, format_duration),
        verify=verify,
        bin_dir=item.get("bin_dir"),
    )


# --- finding the backups ------------------------------------------------------------------------

def backup_files(pattern):
    """[(path, stat)] of the regular files matching ``pattern``, oldest first; directories are left out."""
    found = []
    for match in glob_matches(pattern):
        try:
            st = os.stat(match)
        except OSError as exc:
            if exc.errno in MISSING:
                continue  # removed since globbing, or a dangling symlink
            raise CheckError(f"cannot stat {match}: {exc.strerror or exc}") from None
        if os.path.isfile(match):
            found.append((match, st))
    found.sort(key=lambda entry: (entry[1].st_mtime, entry[0]))
    return found


# --- reading within the time limit ----------------------------------------------------------------

class OutOfTime(Exception):
    """Verification did not finish before the check's time ran out."""


class Budget(object):
    """A point in time by which verification must be done."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.ends = time.monotonic() + seconds

    def left(self):
        return self.ends - time.monotonic()

    def check(self):
        if self.left() <= 0:
            raise OutOfTime()


class Verdict(object):
    """The result of verifying one file: sound or not, why, and what was seen on the way."""

    def __init__(self, method, sound, detail, **facts):
        self.method = method
        self.sound = sound
        self.detail = detail
        self.facts = facts

    def as_observed(self):
        observed = dict(method=self.method, sound=self.sound, detail=self.detail)
        observed.update(self.facts)
        return observed


def _read_error(path, exc):
    return CheckError(f"cannot read {path}: {exc.strerror or exc}")


def sniff(path):
    """The first bytes of a file; CheckError when it cannot be read."""
    try:
        with open(path, "rb") as handle:
            return handle.read(_SNIFF_BYTES)
    except OSError as exc:
        raise _read_error(path, exc) from None


def compression_of(head):
    for name, magic in ((entry[0], entry[1]) for entry in _COMPRESSIONS):
        if head.startswith(magic):
            return name
    return None


def _opener(compression):
    return dict((name, opener) for name, dummy, opener in _COMPRESSIONS)[compression]


def is_tar(head):
    return head[_TAR_MAGIC_OFFSET:_TAR_MAGIC_OFFSET + 5] == b"ustar"


def _is_sql(head):
    return head.lstrip().startswith(_SQL_HEADS)


def open_data(path, compression):
    """The file's contents, decompressed by ``compression`` (None: as stored)."""
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed by the caller, through close_data
    except OSError as exc:
        raise _read_error(path, exc) from None
    if compression is None:
        return raw
    return _opener(compression)(fileobj=raw, mode="rb") if compression == "gzip" else _opener(compression)(raw)


def close_data(stream):
    """Close a decompressing stream and the file under it."""
    inner = getattr(stream, "fileobj", None) or getattr(stream, "_fp", None)
    stream.close()
    if inner is not None and hasattr(inner, "close"):
        inner.close()


def _decompression_problem(compression, exc):
    """Why decompressing stopped, in words, or None when ``exc`` is an I/O error of the disk."""
    if isinstance(exc, EOFError):
        return f"{compression} data is truncated: it ends before its end-of-stream marker"
    if isinstance(exc, OSError) and exc.errno is not None:
        return None
    return f"{compression} data is corrupt: {exc}"


class _Tail(object):
    """The last bytes seen of a stream."""

    def __init__(self, size=_TAIL_BYTES):
        self.size = size
        self.data = b""

    def add(self, chunk):
        self.data = (self.data + chunk)[-self.size:]


def drain(stream, budget, tail=None):
    """Read ``stream`` to its end in chunks, minding the budget; the bytes read."""
    total = 0
    while True:
        budget.check()
        chunk = stream.read(_CHUNK)
        if not chunk:
            return total
        total += len(chunk)
        if tail is not None:
            tail.add(chunk)


def verify_compressed(path, compression, budget, tail=None):
    """Decompress the whole file (every checksum and the end marker are checked); a Verdict."""
    stream = open_data(path, compression)
    try:
        size = drain(stream, budget, tail)
    except (EOFError, OSError, zlib.error, lzma.LZMAError) as exc:
        problem = _decompression_problem(compression, exc)
        if problem is None:
            raise _read_error(path, exc) from None
        return Verdict(compression, False, problem)
    finally:
        close_data(stream)
    return Verdict(compression, True, f"{compression} data intact ({format_size(size)} uncompressed)",
                   uncompressed_bytes=size)


def sql_trailer_problem(tail):
    """None when the text ends with a dump tool's completion trailer, else what is wrong."""
    lines = tail.splitlines()
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index].strip()
        if any(line.startswith(trailer) for trailer in _SQL_TRAILERS):
            return None
        if not _AFTER_TRAILER.match(line):
            break
    return (f"does not end with a dump tool's completion trailer ({_SQL_TRAILERS[0].decode()!r}): "
            "the dump is incomplete")


def verify_sql(path, compression, budget):
    """A plain SQL dump: intact compression if any, and the completion trailer at its end."""
    tail = _Tail()
    if compression is None:
        try:
            with open(path, "rb") as handle:
                handle.seek(max(0, os.fstat(handle.fileno()).st_size - _TAIL_BYTES))
                tail.add(handle.read())
        except OSError as exc:
            raise _read_error(path, exc) from None
        unpacked = None
    else:
        unpacked = verify_compressed(path, compression, budget, tail)
        if not unpacked.sound:
            return Verdict(f"sql+{compression}", False, unpacked.detail)
    method = "sql" if compression is None else f"sql+{compression}"
    problem = sql_trailer_problem(tail.data)
    if problem:
        return Verdict(method, False, f"SQL dump {problem}")
    facts = unpacked.facts if unpacked else {}
    return Verdict(method, True, "SQL dump complete (ends with its completion trailer)", **facts)


class _AuditedTarInfo(tarfile.TarInfo):
    """Remembers on the archive how reading its last header went.

    tarfile ends iteration quietly at a bad or missing header after the first, so a tar cut at a member
    boundary or with a damaged header looks like a shorter archive; only a zero block ends it cleanly.
    """

    @classmethod
    def fromtarfile(cls, archive):  # pylint: disable=arguments-renamed
        try:
            info = super(_AuditedTarInfo, cls).fromtarfile(archive)
        except tarfile.HeaderError as exc:
            archive.golive_end = exc
            raise
        archive.golive_end = None
        return info


class _Unsound(Exception):
    """What is wrong with an archive, found while reading it."""


def _walk_tar(stream, budget):
    """(members, bytes of member data) of a tar stream read to its end; _Unsound when it is not sound."""
    archive = tarfile.open(fileobj=stream, mode="r|", tarinfo=_AuditedTarInfo)  # noqa: SIM115 - closed below
    members = 0
    data = 0
    try:
        for member in archive:
            members += 1
            if member.isfile():
                data += drain(archive.extractfile(member), budget)
            else:
                budget.check()
        end = getattr(archive, "golive_end", None)
        if not isinstance(end, tarfile.EOFHeaderError):
            where = f"after {members} member(s)"
            if isinstance(end, tarfile.EmptyHeaderError):
                raise _Unsound(f"tar archive is truncated: it ends {where} without the end-of-archive marker")
            raise _Unsound(f"tar archive is corrupt: bad header {where} ({end})")
    finally:
        archive.close()
    return members, data


def verify_tar(path, compression, budget):
    """Every header and member of a (possibly compressed) tar archive, and the compression's end marker."""
    method = "tar" if compression is None else f"tar+{compression}"
    stream = open_data(path, compression)
    try:
        members, data = _walk_tar(stream, budget)
        drain(stream, budget)  # the rest: the record padding, and the compression's checksum and end marker
    except _Unsound as exc:
        return Verdict(method, False, str(exc))
    except tarfile.ReadError as exc:
        return Verdict(method, False, f"tar archive is truncated or corrupt: {exc}")
    except (EOFError, OSError, zlib.error, lzma.LZMAError) as exc:
        problem = _decompression_problem(compression or "tar", exc) if compression else None
        if problem is None:
            if isinstance(exc, EOFError):
                return Verdict(method, False, "tar archive is truncated")
            raise _read_error(path, exc) from None
        return Verdict(method, False, problem)
    finally:
        close_data(stream)
    if members == 0:
        return Verdict(method, False, "tar archive is empty")
    return Verdict(method, True, f"tar archive intact ({members} members, {format_size(data)})",
                   members=members, member_bytes=data)


# --- pg_restore -----------------------------------------------------------------------------------

def find_binary(name, bin_dir):
    """The path of a client binary, from bin_dir or PATH; CheckError when it is not installed."""
    if bin_dir:
        candidate = os.path.join(bin_dir, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
        raise CheckError(f"{name} not found in {bin_dir} (bin_dir)")
    found = shutil.which(name)
    if not found:
        raise CheckError(f"{name} is not installed (not found on PATH; set bin_dir)")
    return found


def run_bounded(argv, budget):
    """(rc, stdout, stderr) of a command; OutOfTime when it outlives the budget (its process group is killed)."""
    try:
        proc = start_child(argv, cwd="/", stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as exc:
        raise CheckError(f"cannot execute {argv[0]}: {exc.strerror or exc}") from None
    try:
        stdout, stderr = proc.communicate(timeout=max(0.05, budget.left()))
    except subprocess.TimeoutExpired:
        kill_process_group(proc)
        raise OutOfTime() from None
    finally:
        end_child(proc)
    return proc.returncode, stdout.decode("utf-8", "replace"), stderr.decode("utf-8", "replace")


_TOOL_PREFIX = re.compile(r"^(?:pg_restore|psql)(?::[^:]*:\d+)?: (?:error|fatal|ERROR|FATAL): +")


def first_error(stderr):
    """The first error a PostgreSQL client tool printed, without its 'pg_restore: error:' prefix."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower() or "fatal" in line.lower()]
    return _TOOL_PREFIX.sub("", (errors or lines or ["no message"])[0])[:300]


def verify_pg_custom(path, head, bin_dir, budget):
    """The table of contents (pg_restore --list), then every data block (a restore script sent to /dev/null)."""
    if not head.startswith(_PG_CUSTOM_MAGIC):
        return Verdict("pg_custom", False, "not a PostgreSQL custom-format dump (no PGDMP header)")
    pg_restore = find_binary("pg_restore", bin_dir)
    rc, listing, stderr = run_bounded([pg_restore, "--list", path], budget)
    if rc == 0:
        rc, stderr = run_bounded([pg_restore, "--file=/dev/null", path], budget)[::2]
    if rc != 0:
        reason = first_error(stderr)
        if "unsupported version" in reason:
            raise CheckError(f"{pg_restore} cannot read this dump: {reason}")
        return Verdict("pg_custom", False, f"pg_restore cannot read the dump: {reason}")
    entries = sum(1 for line in listing.splitlines() if line.strip() and not line.startswith(";"))
    return Verdict("pg_custom", True, f"PostgreSQL custom-format dump reads completely ({entries} TOC entries)",
                   toc_entries=entries)


# --- which verification -------------------------------------------------------------------------

def _named_compression(path):
    lower = path.lower()
    for suffix, compression in _COMPRESSED_NAMES.items():
        if lower.endswith(suffix):
            return compression
    return None


def _inner_head(path, compression):
    stream = open_data(path, compression)
    try:
        return stream.read(_SNIFF_BYTES)
    except (EOFError, OSError, zlib.error, lzma.LZMAError, ValueError):
        return b""  # verification of the compressed data says what is wrong
    finally:
        close_data(stream)


def _auto_method(path, head):
    """(method, compression) for verify=auto, from the magic bytes and then the name."""
    if head.startswith(_PG_CUSTOM_MAGIC):
        return "pg_custom", None
    compression = compression_of(head)
    if compression:
        inner = _inner_head(path, compression)
        if is_tar(inner) or _TAR_NAMES.search(path):
            return "tar", compression
        if _is_sql(inner) or _SQL_NAMES.search(path):
            return "sql", compression
        return "compressed", compression
    named = _named_compression(path)
    if named:
        return "mismatch", named
    if is_tar(head) or _TAR_NAMES.search(path):
        return "tar", None
    if _is_sql(head) or _SQL_NAMES.search(path):
        return "sql", None
    return None, None


def verify_file(path, mode, bin_dir, budget):
    """The Verdict on one backup file, or None when verify=auto cannot tell its format."""
    head = sniff(path)
    compression = compression_of(head)
    if mode == "auto":
        mode, compression = _auto_method(path, head)
        if mode is None:
            return None
        if mode == "mismatch":
            return Verdict(compression, False, f"named like {compression} data but does not start like it")
    if mode == "pg_custom":
        return verify_pg_custom(path, head, bin_dir, budget)
    if mode == "tar":
        return verify_tar(path, compression, budget)
    if mode == "sql":
        return verify_sql(path, compression, budget)
    if mode == "gzip" and compression != "gzip":
        return Verdict("gzip", False, "not gzip data (no gzip header)")
    return verify_compressed(path, compression, budget)


# --- grading ------------------------------------------------------------------------------------

def _grade_set(ev, plan, found, now):
    ev.measure("count", len(found), plan["count"], label="backups kept", formatter=format_number)
    oldest, oldest_st = found[0]
    ev.observe("oldest", oldest)
    ev.measure("oldest_age_seconds", round(now - oldest_st.st_mtime, 1), plan["history"],
               label="oldest backup age", formatter=format_duration)


def _grade_newest(ev, plan, newest, st, now):
    ev.observe("newest", newest)
    ev.measure("newest_age_seconds", round(now - st.st_mtime, 1), plan["newest_age"], label="newest backup age",
               formatter=format_duration)
    ev.measure("newest_size", st.st_size, plan["size"], label="newest backup size", formatter=format_size)


def _verify_newest(ev, plan, newest, age, ctx):
    if plan["verify"] == "none":
        ev.observe("verification", dict(method="none", sound=None, detail="not verified (verify: none)"))
        return
    budget = Budget(ctx.child_timeout())
    started = time.monotonic()
    try:
        verdict = verify_file(newest, plan["verify"], plan["bin_dir"], budget)
    except OutOfTime:
        ev.observe("verification", dict(method=plan["verify"], sound=None, detail="did not finish"))
        ev.finding("error", f"verifying {newest} did not finish within the time limit "
                            f"({format_duration(budget.seconds)}); raise the check's timeout")
        return
    if verdict is None:
        ev.observe("verification", dict(method="unknown", sound=None, detail="format not recognised"))
        ev.finding("warn", f"cannot tell the format of {os.path.basename(newest)}, so it was not verified "
                           "(set verify, or verify: none)")
        return
    observed = verdict.as_observed()
    observed["seconds"] = round(time.monotonic() - started, 3)
    ev.observe("verification", observed)
    if verdict.sound:
        ev.note(verdict.detail)
        return
    hint = ""
    if age < _RECENT_SECONDS:
        hint = f" (modified {format_duration(max(age, 0))} ago: the backup job may still be writing it)"
    ev.finding("fail", f"{os.path.basename(newest)}: {verdict.detail}{hint}")


def run(plan, ctx):
    found = backup_files(plan["path"])
    ev = Evaluation()
    if not found:
        ev.observe("count", 0, "count")
        ev.finding("fail", "no backup file matches {}".format(plan["path"]))
        return ev.outcome()
    now = time.time()
    newest, st = found[-1]
    _grade_newest(ev, plan, newest, st, now)
    _grade_set(ev, plan, found, now)
    _verify_newest(ev, plan, newest, now - st.st_mtime, ctx)
    return ev.outcome()
