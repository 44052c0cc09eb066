# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading a report another tool left behind: a file on the host, or a URL fetched from the probe (private).

The evidence kinds (test results, coverage, dbt artifacts, load tests, vulnerability scans) share how their
document is found, bounded and aged. An item names its document by ``path`` (read on the host that lists
it; a glob takes the newest match) or by ``url`` (fetched from the probe hosts: such a kind declares
``PROBE_OPTION = "url"``). The age is the document's own production time when the kind can read one
(JUnit's ``timestamp``, dbt's ``generated_at``), else the file's modification time or the answer's
``Last-Modified``. Every document is read whole up to the kind's cap; over it the check is an error.
"""

from __future__ import annotations

import json
import os
import stat
import time
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import NamedTuple
from urllib.parse import urlsplit, urlunsplit
from xml.etree import ElementTree
from xml.parsers import expat

from ansible_collections.golive.readiness.plugins.module_utils._caps import CapExceeded
from ansible_collections.golive.readiness.plugins.module_utils._check import (
    CheckError,
    Evaluation,
    Limit,
    OptionError,
    check_order,
    format_duration,
    limit_from_options,
    mask_url,
    parse_duration,
)
from ansible_collections.golive.readiness.plugins.module_utils._globs import MISSING, glob_matches, is_glob
from ansible_collections.golive.readiness.plugins.module_utils._http_json import (
    CONNECTION_OPTIONS,
    JsonApi,
    prepare_connection,
)

PROBE_OPTION = "url"
FUTURE_TOLERANCE = 300  # seconds a report may seem to come from the future (clocks apart) before it warns
_URL_ONLY = ("validate_certs", "ca_file", "username", "password", "bearer_token")

# The options every evidence kind takes: where the report is and its age (the generated "evidence source"
# block of each module's documentation), then the connection options that apply to url.
EVIDENCE_SOURCE_OPTIONS = dict(
    path=dict(type="str"),
    url=dict(type="str"),
    max_age=dict(type="str"),
    age_warn_above=dict(type="str"),
    age_fail_above=dict(type="str"),
)
EVIDENCE_OPTIONS = dict(EVIDENCE_SOURCE_OPTIONS)
EVIDENCE_OPTIONS.update((name, spec) for name, spec in CONNECTION_OPTIONS.items() if name != "url")


class Evidence(NamedTuple):
    """A document as read: where from (a path, or the URL without credentials), its bytes, and when it was
    last changed (seconds since the epoch) when the file system or the server said so."""

    name: str
    data: bytes
    modified: float | None


# --- options ------------------------------------------------------------------------------------

def describe_source(item: dict) -> str:
    """The path or the URL (credentials masked) that names an item's document."""
    return item.get("path") or mask_url(item.get("url") or "") or ""


def _age_limit(item: dict) -> Limit:
    limit = limit_from_options(item, "age", "above", parse_duration, format_duration)
    if item.get("max_age") is None:
        return limit
    if limit.fail is not None:
        raise OptionError("max_age: give max_age or age_fail_above, not both")
    limit = Limit(warn=limit.warn, fail=parse_duration(item["max_age"], "max_age"), direction="above",
                  formatter=format_duration)
    check_order(limit, "age_warn_above/max_age")
    return limit


def prepare_source(item: dict, path_option: str = "path") -> dict:
    """Where the item's document is and how old it may be, validated (no I/O). A kind whose item names a
    directory of documents (dbt's target/) gives its option as ``path_option``: no glob there, and its
    documents are read by ``member_source``."""
    path, url = item.get(path_option), item.get("url")
    if bool(path) == bool(url):
        where = "a file on the host" if path_option == "path" else "a directory on the host"
        raise OptionError(f"{path_option}: give either {path_option} ({where}) or url (fetched from the probe), not "
                          + ("both" if path else "neither"))
    if path:
        for option in _URL_ONLY:
            if item.get(option) not in (None, CONNECTION_OPTIONS[option].get("default")):
                raise OptionError(f"{option}: only applies with url")
        if not os.path.isabs(path):
            raise OptionError(f"{path_option}: {path!r} must be an absolute path")
        source = dict(path=path, glob=path_option == "path" and is_glob(path), connection=None)
    else:
        source = dict(path=None, glob=False, connection=prepare_connection(item, allow_query=path_option == "path"))
    source["age"] = _age_limit(item)
    return source


def member_source(source: dict, name: str) -> dict:
    """The source of the document ``name`` inside a directory source: the file in the directory on the host,
    or the URL's path with ``/name`` appended (its query kept) from the probe."""
    if source["connection"] is None:
        return dict(source, path=os.path.join(source["path"], name), glob=False)
    parts = urlsplit(source["connection"]["url"])
    url = urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/" + name))
    return dict(source, connection=dict(source["connection"], url=url))


# --- reading ------------------------------------------------------------------------------------

def _stat(path: str):
    try:
        return os.stat(path)
    except OSError as exc:
        if exc.errno in MISSING:
            return None
        raise CheckError(f"cannot stat {path}: {exc.strerror or exc}") from None


def _newest_match(pattern: str, ev: Evaluation) -> str | None:
    files = []
    for match in glob_matches(pattern):
        st = _stat(match)
        if st is not None and stat.S_ISREG(st.st_mode):
            files.append((st.st_mtime, match))
    ev.observe("matches", len(files), "count")
    if not files:
        return None
    ev.note(f"newest of {len(files)} match{'' if len(files) == 1 else 'es'}")
    return max(files)[1]


def read_file(path: str, cap: int, cap_name: str) -> Evidence:
    """A regular file read whole, up to ``cap`` bytes (a FIFO or a device is refused, not read)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise CheckError(f"cannot open {path}: {exc.strerror or exc}") from None
    try:
        st = os.fstat(descriptor)
        if stat.S_ISDIR(st.st_mode):
            raise CheckError(f"{path} is a directory, not a file")
        if not stat.S_ISREG(st.st_mode):
            raise CheckError(f"{path} is not a regular file")
        with os.fdopen(os.dup(descriptor), "rb") as handle:
            data = handle.read(cap + 1)
    finally:
        os.close(descriptor)
    if len(data) > cap:
        raise CapExceeded(path, cap, cap_name)
    return Evidence(path, data, st.st_mtime)


def _last_modified(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None


def fetch_url(connection: dict, budget: float, cap: int, cap_name: str, missing_ok: bool = False) -> Evidence | None:
    """The body of a 200 answer to GET the URL, up to ``cap`` bytes (None for a 404 when ``missing_ok``);
    CheckError otherwise."""
    api = JsonApi(connection, budget, max_body_bytes=cap, cap_name=cap_name)
    name = mask_url(connection["url"])
    response = api.get("", accept="*/*")
    if response.status == 404 and missing_ok:
        return None
    if response.status != 200:
        raise CheckError(f"{name} answered HTTP {response.status} {response.reason}: {api.shown_text(response)}")
    return Evidence(name, response.body, _last_modified(response.header("Last-Modified")))


def read_evidence(source: dict, ctx, cap: int, cap_name: str, ev: Evaluation, required: bool = True,
                  observe: bool = True) -> Evidence | None:
    """The item's document, or None after a ``fail`` finding when there is no such file (a report that
    was never written is a failed go-live item, not a check that could not run). A document that is not
    ``required`` may be missing (no file, a 404): None without a finding. Its ``source`` and ``size`` are
    observed unless a kind that reads several documents records them itself (``observe=False``)."""
    if source["connection"] is not None:
        evidence = fetch_url(source["connection"], ctx.child_timeout(), cap, cap_name, missing_ok=not required)
        if evidence is None:
            return None
    else:
        path = _newest_match(source["path"], ev) if source["glob"] else source["path"]
        if path is None or _stat(path) is None:
            if required:
                ev.finding("fail", "no file matches {}".format(source["path"]) if source["glob"]
                           else "{} does not exist".format(source["path"]))
            return None
        evidence = read_file(path, cap, cap_name)
    if observe:
        ev.observe("source", evidence.name)
        ev.observe("size", len(evidence.data), "bytes")
    return evidence


# --- age ----------------------------------------------------------------------------------------

def parse_timestamp(value, what: str, naive_is_local: bool = False) -> float:
    """Seconds since the epoch of an ISO 8601 time a tool wrote; CheckError naming ``what`` when it is not one.

    A time without an offset is taken as UTC, as jest-junit, dbt and Locust write them, or, with
    ``naive_is_local``, as this machine's local time (coverage.py's ``meta.timestamp`` is its local time)."""
    not_a_time = CheckError(f"{what}: {str(value)[:60]!r} is not a date and time")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # JSON's NaN, Infinity or a number past any calendar would grade as no age at all: refused.
        try:
            return datetime.fromtimestamp(value, timezone.utc).timestamp()
        except (OverflowError, ValueError, OSError):
            raise not_a_time from None
    text = str(value or "").strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise not_a_time from None
    if moment.tzinfo is None and not naive_is_local:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def grade_age(source: dict, evidence: Evidence, ev: Evaluation, produced_at: float | None = None) -> None:
    """Grades how old the document is: from ``produced_at`` (the document's own time) when given, else
    from when the file or answer was last changed. An age limit with no time to measure is an error."""
    moment = produced_at if produced_at is not None else evidence.modified
    if moment is None:
        if source["age"].warn is not None or source["age"].fail is not None:
            raise CheckError(f"{evidence.name}: cannot tell its age (the document has no time of its own and "
                             "the server sent no Last-Modified)")
        return
    produced = datetime.fromtimestamp(moment, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    ev.observe("produced_at", produced)
    if moment - time.time() > FUTURE_TOLERANCE:
        # A report from the future says a clock is wrong (the producer's or this host's); its age is unknown.
        ev.finding("warn", f"{evidence.name} is dated {produced}, in the future: a clock is wrong, so its age "
                           "is unknown")
    ev.measure("age", round(max(0.0, time.time() - moment), 1), source["age"], label="age",
               formatter=format_duration)


# --- formats ------------------------------------------------------------------------------------

def _refuse_declarations(*_args) -> None:
    raise CheckError("it declares a document type or entities, which a report never does")


def parse_xml(evidence: Evidence, what: str) -> ElementTree.Element:
    """The root element of an XML report; CheckError naming the source and the expected format when it is
    not well-formed XML. Document type and entity declarations are refused (no entity expansion)."""
    guard = expat.ParserCreate()
    guard.StartDoctypeDeclHandler = _refuse_declarations
    guard.EntityDeclHandler = _refuse_declarations
    try:
        guard.Parse(evidence.data, True)
        return ElementTree.fromstring(evidence.data)
    except (expat.ExpatError, ElementTree.ParseError) as exc:
        raise CheckError(f"{evidence.name} is not {what}: not well-formed XML ({exc})") from None
    except CheckError as exc:
        raise CheckError(f"{evidence.name} is not {what}: {exc}") from None


def parse_json(evidence: Evidence, what: str):
    """The decoded JSON document; CheckError naming the source and the expected format otherwise."""
    try:
        return json.loads(evidence.data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise CheckError(f"{evidence.name} is not {what}: not JSON ({str(exc)[:120]})") from None
