# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Report history: publish each run's report set whole, find the previous run, list what changed (private)."""

from __future__ import annotations

import datetime
import errno
import json
import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Iterable, Mapping

from ansible_collections.golive.readiness.plugins.module_utils._check import SEVERITIES
from ansible_collections.golive.readiness.plugins.module_utils._verdict import host_sort_key

HISTORY_DIR = "history"
LATEST = "latest"
REPORT_JSON = "report.json"
DEFAULT_KEEP = 30
# The largest previous report.json read back; a bigger one is refused (a full run of 100 hosts is a few MB).
MAX_REPORT_BYTES = 64 * 1024 * 1024
# The largest ``latest`` pointer read back where it is a text file rather than a link.
MAX_POINTER_BYTES = 4096

# How bad a status is when comparing two runs. Unlike STATUS_RANK (which orders statuses for the verdict,
# skipped lowest), a skipped check proved nothing: pass -> skipped loses evidence and is a regression,
# skipped -> fail is a regression, fail -> skipped counts as fixed. Unknown statuses count as error.
HISTORY_RANK = {"pass": 0, "skipped": 1, "warn": 2, "fail": 3, "error": 4}
# A host is compared like a check with the id "host:<name>": with results it passes, without it is an error.
HOST_ID_PREFIX = "host:"

_STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
_ARCHIVE_NAME = re.compile(r"^(?P<stamp>\d{8}T\d{6}Z)(?:-(?P<serial>\d+))?$")
_TEMP_PREFIX = ".incoming-"
# Temporary archive directories left by a crashed run are removed once they are this old.
_STALE_TEMP_SECONDS = 24 * 3600


def _read_umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


# Read once: os.umask() can only be read by setting it, which would race with other threads.
_UMASK = _read_umask()
CHANGE_FIELDS = ("host", "id", "title", "section", "severity", "before", "after", "summary")


# --- reading back what earlier runs left ------------------------------------------------------------


class RefusedFile(OSError):
    """A file in the report directory that is there but is not read: not a regular file, or too large."""

    def __str__(self) -> str:
        return f"{self.filename} {self.strerror}"


_FILE_TYPES = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
               (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _file_type(mode: int) -> str:
    return next((name for test, name in _FILE_TYPES if test(mode)), "a special file")


def read_regular_file(path: str, limit: int) -> bytes:
    """The bytes of ``path`` when it is a regular file of at most ``limit`` bytes.

    The file is opened without following a final symbolic link and without blocking (a FIFO would otherwise
    wait for a writer forever), and checked with fstat on the descriptor, so what is checked is what is
    read. Raises RefusedFile for a link, a FIFO, a device, a directory or a file over ``limit`` (also one
    that grows past it while read), FileNotFoundError when it is absent, OSError otherwise.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise RefusedFile(errno.ELOOP, "is a symbolic link", path) from None
        raise
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise RefusedFile(errno.EINVAL, f"is {_file_type(status.st_mode)}, not a regular file", path)
        if status.st_size > limit:
            raise RefusedFile(errno.EFBIG, f"is larger than the {_size_text(limit)} read limit", path)
        content = _read_at_most(descriptor, limit + 1)
    finally:
        os.close(descriptor)
    if len(content) > limit:
        raise RefusedFile(errno.EFBIG, f"is larger than the {_size_text(limit)} read limit", path)
    return content


def _read_at_most(descriptor: int, count: int) -> bytes:
    chunks, left = [], count
    while left > 0:
        chunk = os.read(descriptor, min(left, 1024 * 1024))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _size_text(size: int) -> str:
    return f"{size // (1024 * 1024)} MiB" if size >= 1024 * 1024 else f"{size} bytes"


def latest_archive(report_dir: str) -> str | None:
    """The archive the ``latest`` pointer names ('history/20261124T101500Z'), or None.

    The pointer is a relative symlink, or (left by an older release) a text file holding the same relative
    path. A missing pointer or one naming anything else (a path outside ``history/``) gives None; a pointer
    that is neither a link nor a regular file of at most MAX_POINTER_BYTES raises RefusedFile.
    """
    pointer = os.path.join(report_dir, LATEST)
    try:
        if os.path.islink(pointer):
            target = os.readlink(pointer)
        else:
            target = read_regular_file(pointer, MAX_POINTER_BYTES).decode("utf-8").strip()
    except RefusedFile:
        raise
    except (OSError, UnicodeDecodeError):
        return None
    parts = target.replace("\\", "/").split("/")
    if len(parts) != 2 or parts[0] != HISTORY_DIR or not _ARCHIVE_NAME.match(parts[1]):
        return None
    return "/".join(parts)


def previous_document(report_dir: str) -> dict | None:
    """The report.json document of the previous run (through ``latest``), or None.

    Call it before this run's set is published. A missing pointer, archive or file, undecodable or corrupt
    JSON, or a JSON file that is not a golive report (no verdict, no list of checks) all give None. A file
    that is there but refused (a FIFO, a device, a symbolic link, over MAX_REPORT_BYTES) raises RefusedFile,
    naming it, so the caller can say why there is no previous report; nothing here can block or read
    without limit.
    """
    archive = latest_archive(report_dir)
    if archive is None:
        return None
    try:
        content = read_regular_file(os.path.join(report_dir, archive, REPORT_JSON), MAX_REPORT_BYTES)
    except RefusedFile:
        raise
    except OSError:
        return None
    try:
        document = json.loads(content.decode("utf-8"))
    except ValueError:
        return None
    if not _is_report(document):
        return None
    return document


def schema_version_of(document: Mapping) -> int:
    """The schema version of a report document; reports written before the field existed are version 1.

    Runs are compared by (host, id) and status, which every version holds alike, so a version 1 report
    (bare numbers in observed, formatted texts in expected) is read and compared like a version 2 one."""
    version = document.get("schema_version")
    return version if isinstance(version, int) and not isinstance(version, bool) and version >= 1 else 1


def _is_report(document: object) -> bool:
    return (isinstance(document, Mapping) and isinstance(document.get("verdict"), str)
            and isinstance(document.get("checks"), list) and isinstance(document.get("hosts", []), list))


# --- what changed -------------------------------------------------------------------------------


def _status(record: Mapping) -> str:
    """A record's status as compared and reported: anything that is not a known status (a previous report
    edited by hand or written by another tool may hold any JSON there) counts as an error."""
    status = record.get("status")
    return status if isinstance(status, str) and status in HISTORY_RANK else "error"


def _rank(status: object) -> int:
    return HISTORY_RANK.get(status, HISTORY_RANK["error"]) if isinstance(status, str) else HISTORY_RANK["error"]


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _severity_rank(severity: object) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def _host_pseudo_checks(document: Mapping) -> dict[tuple[str, str], dict]:
    """One record per host listed in the document: 'host:<name>', pass when it has results, else error."""
    records = {}
    for host in document.get("hosts") or ():
        if not isinstance(host, Mapping) or not host.get("name"):
            continue
        name = str(host["name"])
        status = "pass" if host.get("status") == "ok" else "error"
        reason = host.get("reason") or ("has check results" if status == "pass" else _text(host.get("status")))
        records[(name, HOST_ID_PREFIX + name)] = dict(
            host=name, id=HOST_ID_PREFIX + name, title=f"Host {name} returns check results",
            section="hosts", severity="critical", status=status, summary=str(reason or "unknown"))
    return records


def _hosts_without_results(document: Mapping) -> set[str]:
    return set(str(h.get("name")) for h in document.get("hosts") or ()
               if isinstance(h, Mapping) and h.get("name") and h.get("status") != "ok")


def _records(document: Mapping) -> dict[tuple[str, str], Mapping]:
    """{(host, id): record} of a document's checks plus the host pseudo-checks."""
    records = {}
    for check in document.get("checks") or ():
        if isinstance(check, Mapping) and check.get("id") is not None:
            records[(str(check.get("host") or "unknown"), str(check["id"]))] = check
    records.update(_host_pseudo_checks(document))
    return records


def _hosts_of(records: Iterable[tuple[str, str]]) -> set[str]:
    return set(host for host, _check_id in records)


def _is_host_entry(key: tuple[str, str]) -> bool:
    return key[1] == HOST_ID_PREFIX + key[0]


def _change(key: tuple[str, str], before: Mapping | None, after: Mapping | None) -> dict:
    shown = after if after is not None else before
    return dict(
        host=key[0], id=key[1], title=_text(shown.get("title")), section=_text(shown.get("section")),
        severity=_text(shown.get("severity")),
        before=None if before is None else _status(before),
        after=None if after is None else _status(after),
        summary=_text(shown.get("summary")),
    )


def _by_host_and_id(change: Mapping) -> tuple:
    return (host_sort_key(change["host"]), change["id"])


def _by_gravity(change: Mapping) -> tuple:
    # Most severe first: the check's severity, then how bad it is now, then host and id.
    return (_severity_rank(change["severity"]), -_rank(change["after"]), *_by_host_and_id(change))


def history_of(previous: object, document: Mapping, previous_archive: str | None = None) -> dict:
    """The report's "history" section: what changed since ``previous`` (a report.json document, or None).

    Checks are matched by (host, id). A status that got worse is a regression, better is fixed (ranks in
    HISTORY_RANK). Each host is also compared as the pseudo-check 'host:<name>' (pass with results, error
    when unreachable or without results), so a host that stops answering is ONE regression rather than all
    its checks "removed"; for the same reason the checks of a host without results in one of the two runs
    are not listed as new or removed, nor are those of a host that is in one run only (a run limited with
    --limit, a host added to the inventory): that host is one new or removed entry. Regressions are sorted
    most severe first, the other lists by host (natural order) and id.
    """
    empty = dict(previous=None, regressions=[], fixed=[], new=[], removed=[])
    if not _is_report(previous):
        return empty
    before, after = _records(previous), _records(document)
    # Hosts whose own checks are not compared one by one: silent in one run, or present in one run only.
    skip_new = _hosts_without_results(previous) | (_hosts_of(after) - _hosts_of(before))
    skip_removed = _hosts_without_results(document) | (_hosts_of(before) - _hosts_of(after))
    history = dict(previous=dict(generated_at=_text(previous.get("generated_at")), verdict=previous["verdict"],
                                 archive=previous_archive, schema_version=schema_version_of(previous)),
                   regressions=[], fixed=[], new=[], removed=[])
    for key, record in after.items():
        old = before.get(key)
        if old is None:
            if key[0] not in skip_new or _is_host_entry(key):
                history["new"].append(_change(key, None, record))
        elif _rank(_status(record)) > _rank(_status(old)):
            history["regressions"].append(_change(key, old, record))
        elif _rank(_status(record)) < _rank(_status(old)):
            history["fixed"].append(_change(key, old, record))
    for key, record in before.items():
        if key not in after and (key[0] not in skip_removed or _is_host_entry(key)):
            history["removed"].append(_change(key, record, None))
    history["regressions"].sort(key=_by_gravity)
    for name in ("fixed", "new", "removed"):
        history[name].sort(key=_by_host_and_id)
    return history


# --- archiving ----------------------------------------------------------------------------------


def _stamp_text(stamp: str | float | datetime.datetime | None) -> str:
    if stamp is None:
        stamp = time.time()
    if isinstance(stamp, str):
        if not _ARCHIVE_NAME.match(stamp) or "-" in stamp:
            raise ValueError(f"stamp must look like 20261124T101500Z, got {stamp!r}")
        return stamp
    if isinstance(stamp, datetime.datetime):
        moment = stamp if stamp.tzinfo else stamp.replace(tzinfo=datetime.timezone.utc)
    else:
        moment = datetime.datetime.fromtimestamp(float(stamp), tz=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc).strftime(_STAMP_FORMAT)


def _file_names(files: Mapping | Iterable[str]) -> list[str]:
    names = list(files.values()) if isinstance(files, Mapping) else list(files)
    checked = []
    for name in names:
        parts = str(name).replace("\\", "/").split("/")
        if os.path.isabs(str(name)) or not name or ".." in parts or parts[0] in (HISTORY_DIR, LATEST):
            raise ValueError(f"report file names must be relative to the report directory: {name!r}")
        if name not in checked:
            checked.append(name)
    return checked


def _archive_order(name: str) -> tuple[str, int]:
    match = _ARCHIVE_NAME.match(name)
    return (match.group("stamp"), int(match.group("serial") or 1))


def archives(report_dir: str) -> list[str]:
    """The archive directory names under history/, oldest first."""
    try:
        names = os.listdir(os.path.join(report_dir, HISTORY_DIR))
    except FileNotFoundError:
        return []
    return sorted((n for n in names if _ARCHIVE_NAME.match(n)), key=_archive_order)


def reserve_archive(report_dir: str, stamp: str | float | datetime.datetime | None = None) -> str:
    """Claim this run's archive name before its files are written: 'history/<stamp>' (an empty directory).

    The name is claimed with mkdir, which only one process can win: two runs in the same second get
    '<stamp>' and '<stamp>-2'. Use it to put the path into the report (its "archive" field), then pass it
    to publish_run(). Raises OSError when history/ cannot be written.
    """
    stamp = _stamp_text(stamp)
    history = os.path.join(report_dir, HISTORY_DIR)
    os.makedirs(history, exist_ok=True)
    serial = 1
    while True:
        name = stamp if serial == 1 else f"{stamp}-{serial}"
        try:
            os.mkdir(os.path.join(history, name))
        except FileExistsError:
            serial += 1
            continue
        return f"{HISTORY_DIR}/{name}"


def _archive_name(archive: str) -> str:
    parts = str(archive).split("/")
    if len(parts) != 2 or parts[0] != HISTORY_DIR or not _ARCHIVE_NAME.match(parts[1]):
        raise ValueError(f"archive must look like history/20261124T101500Z, got {archive!r}")
    return parts[1]


def _point_latest(report_dir: str, archive: str) -> None:
    """Repoint ``latest`` at ``archive`` in one step: a new relative symlink renamed over the old pointer."""
    _replace_with_symlink(os.path.join(report_dir, LATEST), archive)
    _sync_directory(report_dir)


def _replace_with_symlink(path: str, target: str) -> None:
    """Make ``path`` a symlink to ``target`` in one step: a new link renamed over whatever is there."""
    directory, base = os.path.split(path)
    temp = os.path.join(directory, f".{base}.{os.getpid()}.{time.monotonic_ns()}.tmp")
    os.symlink(target, temp)
    try:
        os.replace(temp, path)
    except OSError:
        _remove_quietly(temp)
        raise


def _link_through_latest(report_dir: str, name: str) -> None:
    """Make the top-level ``name`` a relative symlink to ``latest/<name>`` (replacing whatever is there)."""
    path = os.path.join(report_dir, name)
    target = os.path.relpath(os.path.join(LATEST, name), os.path.dirname(name) or os.curdir)
    try:
        if os.readlink(path) == target:
            return
    except OSError:
        pass
    os.makedirs(os.path.dirname(path), exist_ok=True)
    _replace_with_symlink(path, target)


def _unlink_dangling(report_dir: str, names: Iterable[str]) -> None:
    """Remove the top-level links of formats the current set does not have; a failure leaves a dangling link."""
    for name in names:
        path = os.path.join(report_dir, name)
        if os.path.islink(path) and not os.path.exists(path):
            _remove_quietly(path)


def _remove_quietly(path: str) -> None:
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)
    except OSError:
        pass


def _sync_directory(path: str) -> None:
    # Makes a rename durable; not every filesystem can sync a directory, and the rename itself has happened.
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _write_new_file(path: str, text: str) -> None:
    """Create ``path`` (never reusing a file or following a link there) holding ``text``, synced to disk.

    The sync makes a full disk fail here, on this run's temporary set, instead of leaving a short file behind
    a successful close (delayed allocation).
    """
    os.makedirs(os.path.dirname(path), exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    descriptor = os.open(path, flags, 0o666)
    try:
        remaining = memoryview(text.encode("utf-8"))
        while remaining:
            remaining = remaining[os.write(descriptor, remaining):]
        os.fsync(descriptor)
    except OSError as exc:
        # write() and fsync() name no file; the operator should see which one the disk refused.
        raise OSError(exc.errno, exc.strerror, path) from exc
    finally:
        os.close(descriptor)


def _fill_archive(report_dir: str, written: str, texts: Mapping[str, str]) -> None:
    """Write the set into a temporary directory and rename it onto the reserved (empty) archive directory."""
    history = os.path.join(report_dir, HISTORY_DIR)
    temp = tempfile.mkdtemp(prefix=f"{_TEMP_PREFIX}{written}.", dir=history)
    try:
        for name, text in texts.items():
            _write_new_file(os.path.join(temp, name), text)
        os.chmod(temp, 0o777 & ~_UMASK)
        _sync_directory(temp)
        # POSIX rename() atomically replaces an EMPTY directory: the reserved one.
        os.rename(temp, os.path.join(history, written))
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    _sync_directory(history)


def _prune(report_dir: str, keep: int, written: str) -> None:
    """Delete the oldest archives beyond ``keep`` (never ``written``) and stale temp dirs; failures are left
    for the next run."""
    history = os.path.join(report_dir, HISTORY_DIR)
    names = [name for name in archives(report_dir) if name != written]
    for name in names[:max(0, len(names) - (keep - 1))]:
        shutil.rmtree(os.path.join(history, name), ignore_errors=True)
    try:
        leftovers = [n for n in os.listdir(history) if n.startswith(_TEMP_PREFIX)]
    except OSError:
        return
    for name in leftovers:
        path = os.path.join(history, name)
        try:
            if time.time() - os.path.getmtime(path) > _STALE_TEMP_SECONDS:
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            pass


def publish_run(report_dir: str, texts: Mapping[str, str], archive: str | None = None,
                stamp: str | float | datetime.datetime | None = None,
                keep: int | None = DEFAULT_KEEP, known_names: Iterable[str] = ()) -> str:
    """Publish this run's report files as one set: together they become the current report, or none does.

    ``texts`` maps file names relative to ``report_dir`` ('report.json') to their text. The files are
    created and synced in a temporary directory under history/, which is then renamed onto this run's
    archive directory: ``archive`` from reserve_archive(), or one reserved here from ``stamp`` (default:
    now). The set becomes current in one step, when ``latest`` (a relative symlink, replaced by rename)
    moves to it: every top-level name (``report.json``) is a relative symlink into ``latest``
    (``latest/report.json``), so all of them change at once. The names of ``texts`` and of ``known_names``
    (every file a run may publish) are made such links before the switch, replacing files an older
    release wrote there; after it, the links of ``known_names`` the new set lacks are removed. Then all but
    the newest ``keep`` archives are deleted (the new one always stays; None keeps everything); a failed
    deletion is retried by the next run.

    Returns the archive's path relative to ``report_dir`` ('history/20261124T101500Z'). Raises OSError when
    the set cannot be written or made current (a full disk, a report directory without symlinks): nothing
    of this run is left then, and ``latest`` still names the previous complete set. ValueError on bad names.
    """
    names = _file_names(texts.keys())
    linked = _file_names(list(names) + [name for name in known_names if name not in names])
    if archive is None:
        archive = reserve_archive(report_dir, stamp)
    written = _archive_name(archive)
    target = os.path.join(report_dir, HISTORY_DIR, written)
    try:
        _fill_archive(report_dir, written, dict((name, texts[name]) for name in names))
    except BaseException:
        _remove_if_empty(target)
        raise
    try:
        for name in linked:
            _link_through_latest(report_dir, name)
        _point_latest(report_dir, archive)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    _unlink_dangling(report_dir, [name for name in linked if name not in names])
    if keep is not None:
        _prune(report_dir, max(1, int(keep)), written)
    return archive


def _remove_if_empty(path: str) -> None:
    try:
        os.rmdir(path)
    except OSError:
        pass
