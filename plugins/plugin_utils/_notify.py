# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Webhook notification of the verdict: a Slack-compatible message, bounded retries, masked target (private)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from ansible_collections.golive.readiness.plugins.module_utils._check import (
    OptionError,
    basic_auth_forms,
    checked_number,
    secret_forms,
)
from ansible_collections.golive.readiness.plugins.plugin_utils._report_common import (
    REASON_LABELS,
    blocking_count,
    hosts_text,
    reasons_of,
)

NOT_CONFIGURED = "not_configured"
SENT = "sent"
FAILED = "failed"

# Longest wait a 429's Retry-After may impose before the next attempt.
RETRY_AFTER_CAP = 10.0
# Slack Block Kit limits (header text 150, section text 3000, context elements 10, blocks 50).
HEADER_LIMIT = 150
SECTION_LIMIT = 3000
SUMMARY_LIMIT = 200
MESSAGE_LIMIT = 200
# Path segments of a webhook URL shown as they are: plain words such as "services", "hooks",
# "webhookb2". Everything else (tokens, ids) is masked, because the URL itself is the credential.
_PLAIN_SEGMENT = re.compile(r"^[A-Za-z][A-Za-z_.-]{0,19}$")
_MRKDWN_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))
# An attempt may take this many times the timeout in all (connecting, then reading the answer).
_DEADLINE_FACTOR = 2
# The wait between attempts (a name of its own so tests can record the waits).
_sleep = time.sleep


# --- the target ---------------------------------------------------------------------------------


def _mask_token(text: str) -> str:
    """'…9f3c' for long tokens, '****' for short ones: enough to tell two hooks apart, not to use one."""
    return "\u2026" + text[-4:] if len(text) >= 16 else "****"


def mask_webhook_url(url: object) -> str | None:
    """The webhook URL without its secrets: userinfo, token-like path segments and query values masked.

    'https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX' ->
    'https://hooks.slack.com/services/****/****/…XXXX'. None for an empty or unparsable URL.
    """
    if not url:
        return None
    try:
        parts = urlsplit(str(url).strip())
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return None
    netloc = ("****@" if "@" in parts.netloc else "") + ((f"[{host}]") if ":" in host else host)
    if port is not None:
        netloc += f":{port}"
    segments = [seg if not seg or _PLAIN_SEGMENT.match(seg) else _mask_token(seg) for seg in parts.path.split("/")]
    masked = f"{parts.scheme}://{netloc}{'/'.join(segments)}"
    if parts.query:
        masked += "?" + "&".join(_masked_parameter(part) for part in parts.query.split("&") if part)
    return masked


def _masked_parameter(part: str) -> str:
    """'key=****' for a parameter with a plain name; '****' for a bare token ('?s3cr3t') or an odd name."""
    key, sep = part.partition("=")[:2]
    return f"{key}=****" if sep and _PLAIN_SEGMENT.match(key) else "****"


def _secrets_of(url: object) -> list[str]:
    """The pieces of the URL that must never appear in a result message, as written and decoded, and the forms
    its credentials take on the wire (base64, URL-encoded, the basic-auth header made of its userinfo)."""
    parts = urlsplit(str(url))
    userinfo = parts.netloc.rpartition("@")[0]
    written = [str(url), parts.path, parts.query, userinfo]
    tokens = [seg for seg in parts.path.split("/") if seg and not _PLAIN_SEGMENT.match(seg)]
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        tokens.append(value)
        if not value or not _PLAIN_SEGMENT.match(key):
            tokens.append(key)
    pieces = set(written) | set(unquote(piece) for piece in written)
    if userinfo:
        user, _sep, password = userinfo.partition(":")
        tokens += [user, password]
        pieces.update(basic_auth_forms(unquote(user), unquote(password)))
    for token in tokens:
        if token:
            pieces.update(secret_forms(token) | secret_forms(unquote(token)))
    return sorted((p for p in pieces if p and len(p) >= 4), key=len, reverse=True)


def _scrub(text: object, url: object) -> str:
    text = str(text)
    for secret in _secrets_of(url):
        text = text.replace(secret, "****")
    return text


def _validate(url: str) -> str | None:
    """None when the URL can be posted to, else why not (without repeating the URL)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        return f"webhook URL is not valid ({type(exc).__name__})"
    if parts.scheme.lower() not in ("http", "https"):
        return f"webhook URL must use http or https, not {(parts.scheme or 'no scheme')[:10]!r}"
    if not parts.hostname:
        return "webhook URL has no host"
    return None


def _limits_problem(timeout: object, retries: object) -> str | None:
    """None when the attempt's time limit and the retry count are sane numbers, else which is not and why."""
    try:
        checked_number(float(timeout), "notify_timeout", "duration", timeout)
        checked_number(int(retries), "notify_retries", "int", retries)
    except OptionError as exc:
        return str(exc)
    except (TypeError, ValueError, OverflowError):
        return "notify_timeout/notify_retries: not a number"
    return None


# --- the message --------------------------------------------------------------------------------


def _mrkdwn(text: object) -> str:
    text = str(text)
    for raw, escaped in _MRKDWN_ESCAPES:
        text = text.replace(raw, escaped)
    return text


def _cut(text: object, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _blocking_lines(document: Mapping) -> list[tuple[str, str, str]]:
    """(hosts, what, text) of every reason for NO-GO, in the report's order: a blocking check as its hosts, id and
    summary, any other reason as its hosts (or 'all'), its kind and its text."""
    lines = []
    for reason in reasons_of(document):
        hosts = hosts_text(reason["hosts"]) or "all"
        if reason["kind"] == "check":
            lines.append((hosts, reason.get("id"), reason["detail"]))
        else:
            lines.append((hosts, REASON_LABELS.get(reason["kind"], reason["kind"]), reason["detail"]))
    return lines


def _warning_lines(document: Mapping) -> list[tuple[object, object, object]]:
    return [(item.get("host"), item.get("id"), item.get("summary"))
            for item in document.get("warnings") or () if isinstance(item, Mapping)]


def _regressions(document: Mapping) -> list[Mapping] | None:
    history = document.get("history")
    if not isinstance(history, Mapping) or history.get("previous") is None:
        return None
    return [change for change in history.get("regressions") or () if isinstance(change, Mapping)]


def headline(document: Mapping) -> str:
    """'GOLIVE NO-GO: 3 blocking, 2 warnings, 1 regression; 120 checks on 12 hosts'."""
    counts = document.get("counts") if isinstance(document.get("counts"), Mapping) else {}
    parts = []
    blocking = blocking_count(reasons_of(document))
    if blocking:
        parts.append(f"{blocking} blocking")
    warnings = _warning_lines(document)
    if warnings:
        parts.append(_plural(len(warnings), "warning"))
    regressions = _regressions(document)
    if regressions:
        parts.append(_plural(len(regressions), "regression"))
    total = counts.get("total", len(document.get("checks") or ()))
    scope = f"{_plural(int(total or 0), 'check')} on {_plural(len(document.get('hosts') or ()), 'host')}"
    verdict = document.get("verdict") or "UNKNOWN"
    return f"GOLIVE {verdict}: {'; '.join([', '.join(parts), scope] if parts else [scope])}"


def _item_text(host: object, check_id: object, summary: object) -> str:
    return (f"\u2022 *{_mrkdwn(_cut(host, 80))}* `{_mrkdwn(_cut(check_id, 120))}` "
            f"{_mrkdwn(_cut(summary or '', SUMMARY_LIMIT))}")


def _cut_lines(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit - 2].rsplit("\n", 1)[0] + "\n\u2026"


def _section(text: str) -> dict:
    return dict(type="section", text=dict(type="mrkdwn", text=_cut_lines(text, SECTION_LIMIT)))


def _list_block(title: str, lines: list[tuple], top: int) -> dict:
    shown = [_item_text(*line) for line in lines[:top]]
    if len(lines) > top:
        shown.append(f"\u2026 and {len(lines) - top} more in the report")
    listed = "\n".join(shown)
    return _section(f"*{title}*\n{listed}")


def _counts_text(document: Mapping) -> str:
    counts = document.get("counts") if isinstance(document.get("counts"), Mapping) else {}
    by_status = counts.get("by_status") if isinstance(counts.get("by_status"), Mapping) else {}
    shown = [f"{by_status[s]} {s}" for s in ("pass", "warn", "fail", "error", "skipped") if by_status.get(s)]
    text = ", ".join(shown) or "no checks"
    if counts.get("waived"):
        text += f"; {counts['waived']} waived"
    return text


def _regression_block(document: Mapping, regressions: list[Mapping], top: int) -> dict:
    since = document["history"]["previous"].get("generated_at") or "the previous run"
    lines = [(c.get("host"), c.get("id"), f"{c.get('before')} -> {c.get('after')}: {c.get('summary') or ''}")
             for c in regressions]
    return _list_block(f"Regressions since {_mrkdwn(since)}", lines, top)


def _context_block(document: Mapping, report_path: str | None) -> dict | None:
    run = document.get("run") if isinstance(document.get("run"), Mapping) else {}
    lines = []
    if report_path:
        lines.append(f"Report: {_cut(report_path, 300)}")
    if run.get("playbook"):
        lines.append(f"Playbook: {_cut(run['playbook'], 200)}")
    if document.get("generated_at"):
        lines.append(f"Generated: {_cut(document['generated_at'], 40)}")
    if not lines:
        return None
    return dict(type="context", elements=[dict(type="mrkdwn", text=_mrkdwn(line)) for line in lines])


def build_payload(document: Mapping, report_path: str | None = None, top: int = 5) -> dict:
    """The webhook body: "text" (all that Mattermost-, Teams- or Discord-style receivers read, and Slack's
    notification fallback) and Slack Block Kit "blocks": header, summary, top ``top`` blocking items (or
    warnings), regressions since the previous run, and a context line with the report's path."""
    top = max(1, int(top))
    text = headline(document)
    verdict = f"GOLIVE {document.get('verdict') or 'UNKNOWN'}"
    blocks = [dict(type="header", text=dict(type="plain_text", text=_cut(verdict, HEADER_LIMIT))),
              _section(f"{_mrkdwn(_cut(text, 1000))}\n{_mrkdwn(_counts_text(document))}")]
    if _blocking_lines(document):
        blocks.append(_list_block("Blocking", _blocking_lines(document), top))
    elif _warning_lines(document):
        blocks.append(_list_block("Warnings", _warning_lines(document), top))
    regressions = _regressions(document)
    if regressions:
        blocks.append(_regression_block(document, regressions, top))
    context = _context_block(document, report_path)
    if context:
        blocks.append(context)
    if report_path:
        text += f"\nReport: {report_path}"
    return dict(text=text, blocks=blocks)


# --- sending ------------------------------------------------------------------------------------


def _result(status: str, target: str | None, attempts: int, http_status: int | None, message: object) -> dict:
    return dict(status=status, target=target, attempts=attempts, http_status=http_status,
                message=_cut(message, MESSAGE_LIMIT))


def _retry_after(response: Any, default: float) -> float:
    value = (response.headers.get("Retry-After") or "").strip()
    try:
        seconds = float(value)
    except ValueError:
        # An HTTP date or garbage: the usual backoff.
        return default
    return min(max(seconds, 0.0), RETRY_AFTER_CAP)


def _error_text(exc: Exception, timeout: float) -> str:
    """A short, secret-free description of a requests exception."""
    import requests

    detail = str(exc).lower()
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return f"connect timed out after {timeout:g}s"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return f"no answer within {timeout:g}s"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS handshake failed"
    if isinstance(exc, requests.exceptions.ConnectionError):
        if "refused" in detail:
            return "connection refused"
        if "name or service not known" in detail or "resolve" in detail or "getaddrinfo" in detail:
            return "host name could not be resolved"
        if "reset" in detail or "aborted" in detail or "remotedisconnected" in detail:
            return "connection closed by the receiver"
        return "connection failed"
    return f"{type(exc).__name__}"


def _body_hint(response: Any, url: str) -> str:
    """The start of the answer's body, scrubbed of the URL's secrets before it is cut (a cut could leave the
    beginning of a secret that no longer matches it whole)."""
    try:
        body = response.text
    except Exception:  # any decoding problem just means no hint
        return ""
    body = _cut(_scrub(body or "", url), 80)
    return f": {body}" if body else ""


def _post(session: Any, url: str, payload: dict, timeout: float) -> Any:
    return session.post(url, json=payload, timeout=(timeout, timeout), allow_redirects=False,
                        headers={"User-Agent": "golive.readiness report"})


class _Overdue(Exception):
    """An attempt outlived its deadline: the receiver kept the connection busy without finishing its answer."""


def _post_within(session: Any, url: str, payload: dict, timeout: float) -> Any:
    """_post() bounded as a whole, not only per read: a receiver that trickles its answer a byte at a time
    never trips the read timeout. The attempt runs in a daemon thread that is abandoned when overdue."""
    outcome = {}

    def attempt() -> None:
        try:
            outcome["response"] = _post(session, url, payload, timeout)
        except BaseException as exc:  # handed over to the caller below
            outcome["error"] = exc

    worker = threading.Thread(target=attempt, name="golive-notify", daemon=True)
    worker.start()
    worker.join(_DEADLINE_FACTOR * timeout)
    if worker.is_alive():
        raise _Overdue()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["response"]


def _send(url: str, payload: dict, timeout: float, retries: int, backoff: float,
          session: Any) -> tuple[str, int, int | None, str]:
    """POST with retries; returns (status, attempts, http_status, message)."""
    import requests

    attempts, http_status, message = 0, None, "not sent"
    while True:
        attempts += 1
        delay = backoff * (2 ** (attempts - 1))
        retry = False
        try:
            response = _post_within(session, url, payload, timeout)
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
            http_status, message, retry = None, _error_text(exc, timeout), True
        except _Overdue:
            http_status, message, retry = None, f"no complete answer within {_DEADLINE_FACTOR * timeout:g}s", True
        else:
            http_status = response.status_code
            if 200 <= http_status < 300:
                return SENT, attempts, http_status, f"sent (HTTP {http_status})"
            message = f"receiver answered HTTP {http_status}{_body_hint(response, url)}"
            if 300 <= http_status < 400:
                message = f"receiver redirected (HTTP {http_status}); configure the final webhook URL"
            elif http_status == 429:
                retry, delay = True, _retry_after(response, delay)
            elif http_status >= 500:
                retry = True
            response.close()
        if not retry or attempts > retries:
            if retry and attempts > 1:
                message += f" (after {_plural(attempts, 'attempt')})"
            return FAILED, attempts, http_status, message
        _sleep(delay)


def notify(url: object, document: object, report_path: str | None, timeout: float = 5, retries: int = 2,
           backoff: float = 0.5, top: int = 5, session: Any = None) -> dict:
    """Post the verdict to a Slack-compatible incoming webhook; returns the report's "notification" dict.

    Never raises. Each attempt is bounded by ``timeout`` seconds to connect and to read, and by twice that in
    all (a receiver trickling its answer cannot hold the run); connection errors,
    timeouts, HTTP 429 (waiting its Retry-After, at most RETRY_AFTER_CAP seconds) and 5xx are retried up to
    ``retries`` times with exponential backoff; any other 4xx and redirects fail at once. The URL is a
    secret: the result shows it masked, and messages never repeat it.
    """
    if not url:
        return _result(NOT_CONFIGURED, None, 0, None, "no webhook URL configured")
    target = None
    try:
        url = str(url).strip()
        target = mask_webhook_url(url)
        problem = _validate(url) or _limits_problem(timeout, retries)
        if problem:
            return _result(FAILED, target, 0, None, problem)
        payload = build_payload(document if isinstance(document, Mapping) else {}, report_path, top)
        own_session = session is None
        if own_session:
            try:
                import requests
            except ImportError:
                return _result(FAILED, target, 0, None, "the Python library requests is not installed")
            session = requests.Session()
        try:
            status, attempts, http_status, message = _send(url, payload, float(timeout), max(0, int(retries)),
                                                           max(0.0, float(backoff)), session)
        finally:
            if own_session:
                session.close()
        return _result(status, target, attempts, http_status, _scrub(message, url))
    except Exception as exc:  # a notification must never break the report
        message = f"notification failed: {type(exc).__name__}"
        return _result(FAILED, target, 0, None, message)
