# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check kind smtp_server: banner, EHLO, STARTTLS or implicit TLS, optional AUTH; never sends mail (private).

The conversation is connect, banner, EHLO, STARTTLS, EHLO again, optional AUTH, QUIT. No MAIL, RCPT or
DATA is ever sent. The password is only handed to smtplib's login() and never recorded, not even masked.
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
import time

from ansible_collections.golive.readiness.plugins.module_utils._caps import ByteBudget, CappedReader
from ansible_collections.golive.readiness.plugins.module_utils._check import (
    CheckError,
    Evaluation,
    Limit,
    OptionError,
    check_order,
    format_duration,
    format_ms,
    parse_duration,
)
from ansible_collections.golive.readiness.plugins.module_utils._net import connect_tcp

KIND = "smtp_server"
SECTION = "services"
SEVERITY = "high"
VARIABLES = {"golive_smtp_servers": "services"}
ENDPOINT = True
TLS_MODES = ("none", "starttls", "implicit")
OPTIONS = dict(
    host=dict(type="str", required=True),
    port=dict(type="int"),
    tls=dict(type="str", default="starttls", choices=list(TLS_MODES)),
    validate_certs=dict(type="bool", default=True),
    ca_file=dict(type="path"),
    server_name=dict(type="str"),
    banner_regex=dict(type="str"),
    ehlo_name=dict(type="str"),
    username=dict(type="str"),
    password=dict(type="str", no_log=True),
    allow_plaintext_auth=dict(type="bool", default=False),
    latency_warn_above=dict(type="str"),
    latency_fail_above=dict(type="str"),
)

# Our own time limits end this much before the runner's, so that a silent server is reported by the
# step it was silent in ("timed out waiting for the banner") rather than by the runner's generic message.
# Bytes read from the server over the whole conversation (banner, EHLO twice, STARTTLS, AUTH): a reply
# of endless continuation lines stops here. One line is at most SMTP_LINE_CAP (RFC 5321 allows 512).
SMTP_READ_CAP = 256 * 1024
SMTP_LINE_CAP = 8192
_MARGIN = 0.2
_NAME = re.compile(r"^[A-Za-z0-9._:\[\]-]+$")


def default_port(tls):
    return 465 if tls == "implicit" else 25


def _port(item):
    return item["port"] if item.get("port") is not None else default_port(item["tls"])


def endpoint(host, port):
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def describe(item):
    key = endpoint(item["host"], _port(item))
    return key, f"SMTP {key}"


# --- options ------------------------------------------------------------------------------------

def _name_option(item, option):
    value = item.get(option)
    if value is None:
        return None
    if not _NAME.match(value):
        raise OptionError(f"{option}: {value!r} is not a host name")
    return value


def _latency_limit(item):
    levels = {}
    for level in ("warn", "fail"):
        option = f"latency_{level}_above"
        if item.get(option) is not None:
            levels[level] = parse_duration(item[option], option) * 1000.0
    limit = Limit(direction="above", formatter=format_ms, **levels)
    check_order(limit, "latency_warn_above/latency_fail_above")
    return limit


def _credentials(item, tls):
    username, password = item.get("username"), item.get("password")
    if password is not None and not username:
        raise OptionError("password: given without username")
    if username and password is None:
        raise OptionError("username: given without password")
    if username and tls == "none" and not item.get("allow_plaintext_auth"):
        raise OptionError("password: refusing to send credentials in clear text with tls: none "
                          "(set allow_plaintext_auth: true to allow it)")
    return username or None, password


def prepare(item):
    tls = item["tls"]
    host = _name_option(item, "host")
    if not host:
        raise OptionError("host: must not be empty")
    port = _port(item)
    if not 1 <= port <= 65535:
        raise OptionError(f"port: {port} is not a TCP port (1-65535)")
    if tls == "none":
        for option in ("ca_file", "server_name"):
            if item.get(option) is not None:
                raise OptionError(f"{option}: only applies with tls: starttls or implicit")
    banner_regex = None
    if item.get("banner_regex") is not None:
        try:
            banner_regex = re.compile(item["banner_regex"])
        except re.error as exc:
            raise OptionError(f"banner_regex: {item['banner_regex']!r} is not a valid regular expression: "
                              f"{exc}") from None
    username, password = _credentials(item, tls)
    return dict(
        host=host,
        port=port,
        tls=tls,
        validate_certs=item.get("validate_certs", True) is not False,
        ca_file=item.get("ca_file"),
        server_name=_name_option(item, "server_name") or host,
        banner_regex=banner_regex,
        ehlo_name=_name_option(item, "ehlo_name"),
        username=username,
        password=password,
        allow_plaintext_auth=bool(item.get("allow_plaintext_auth")),
        latency=_latency_limit(item),
    )


# --- the conversation ---------------------------------------------------------------------------

def tls_context(plan):
    if not plan["validate_certs"]:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    try:
        return ssl.create_default_context(cafile=plan["ca_file"])
    except (OSError, ssl.SSLError) as exc:
        raise CheckError("ca_file: cannot load {}: {}".format(plan["ca_file"], getattr(exc, "strerror", None) or exc)
                         ) from None


class _Client(smtplib.SMTP):
    """smtplib.SMTP that verifies TLS against ``server_name`` (not the address it connects to) and can
    speak TLS from the first byte (implicit TLS, port 465)."""

    def __init__(self, plan, context, timeout):
        self._server_name = plan["server_name"]
        self._context = context
        self._implicit = plan["tls"] == "implicit"
        self._budget = ByteBudget(SMTP_READ_CAP, "SMTP_READ_CAP", "the SMTP server's replies")
        smtplib.SMTP.__init__(self, local_hostname=plan["ehlo_name"], timeout=timeout)

    def getreply(self):
        # smtplib reads replies from self.file, made again after STARTTLS: make it the capped reader.
        if self.file is None and self.sock is not None:
            self.file = CappedReader(self.sock.makefile("rb"), self._budget, SMTP_LINE_CAP, "SMTP_LINE_CAP")
        return smtplib.SMTP.getreply(self)

    def _get_socket(self, host, port, timeout):
        sock = connect_tcp(host, port, timeout)
        if self._implicit:
            try:
                sock = self._context.wrap_socket(sock, server_hostname=self._server_name)
            except BaseException:
                sock.close()
                raise
        return sock

    def starttls_verified(self):
        self._host = self._server_name  # smtplib.starttls() verifies the name in _host
        return self.starttls(context=self._context)


def _bound(client, ctx):
    """Give the next step only the time the check has left."""
    seconds = max(0.05, ctx.remaining() - _MARGIN)
    if client.sock is not None:
        client.sock.settimeout(seconds)
    client.timeout = seconds
    return seconds


def _failed_tls(exc):
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate not verified: {exc.verify_message or exc.reason or exc}"
    return f"TLS handshake failed: {getattr(exc, 'reason', None) or exc}"


def _certificate(sock):
    cert = sock.getpeercert()
    if not cert:
        return None  # not verified: the standard library does not decode an unverified certificate
    subject = ", ".join("{}={}".format(*pair) for rdn in cert.get("subject", ()) for pair in rdn)
    return dict(subject=subject, not_after=cert.get("notAfter"))


def _observe_tls(ev, sock):
    ev.observe("tls_protocol", sock.version())
    cipher = sock.cipher()
    ev.observe("tls_cipher", cipher[0] if cipher else None)
    cert = _certificate(sock)
    ev.observe("certificate_subject", cert["subject"] if cert else None)
    ev.observe("certificate_not_after", cert["not_after"] if cert else None)


def _text(message):
    if isinstance(message, bytes):
        message = message.decode("utf-8", errors="replace")
    return " ".join(str(message).split())


class _Stop(Exception):
    """The conversation cannot go on; the findings so far say why."""


def _timed_out(exc):
    """smtplib turns a read timeout into SMTPServerDisconnected; the timeout is its context."""
    return isinstance(exc, socket.timeout) or isinstance(exc.__context__, socket.timeout)


def _connect(client, plan, ctx, ev):
    seconds = _bound(client, ctx)
    started = time.monotonic()
    try:
        code, banner = client.connect(plan["host"], plan["port"])
    except (ssl.SSLError, ssl.CertificateError) as exc:
        ev.finding("fail", _failed_tls(exc))
        raise _Stop() from None
    except (socket.timeout, smtplib.SMTPServerDisconnected) as exc:
        if _timed_out(exc):
            raise CheckError("timed out after {} waiting for the {}banner".format(
                format_duration(seconds), "TLS handshake and " if plan["tls"] == "implicit" else "")) from None
        raise CheckError("the server closed the connection before the banner") from None
    except OSError as exc:
        raise CheckError(f"cannot connect to {endpoint(plan['host'], plan['port'])}: {exc.strerror or exc}") from None
    latency_ms = round((time.monotonic() - started) * 1000.0, 1)
    banner = _text(banner)
    ev.observe("banner", banner)
    ev.note(f"banner {banner[:80]}")
    if plan["tls"] == "implicit":
        _observe_tls(ev, client.sock)
    ev.measure("latency_ms", latency_ms, plan["latency"], label="banner after", formatter=format_ms)
    if code != 220:
        ev.finding("fail", f"the server refused service: {code} {banner}")
        raise _Stop()
    if plan["banner_regex"] is not None:
        ev.expect("banner", "matches /{}/".format(plan["banner_regex"].pattern))
        ev.require(plan["banner_regex"].search(banner) is not None,
                   "banner {!r} does not match /{}/".format(banner, plan["banner_regex"].pattern))


def _command(client, ctx, what, call):
    seconds = _bound(client, ctx)
    try:
        return call()
    except (socket.timeout, smtplib.SMTPServerDisconnected) as exc:
        if _timed_out(exc):
            raise CheckError(f"timed out after {format_duration(seconds)} waiting for the answer to {what}"
                             ) from None
        raise CheckError(f"the server closed the connection at {what}") from None
    except (ssl.SSLError, smtplib.SMTPException):
        raise  # both are OSErrors; the caller judges them
    except OSError as exc:
        raise CheckError(f"connection lost at {what}: {exc.strerror or exc}") from None


def _ehlo(client, ctx, ev, what):
    code, message = _command(client, ctx, what, client.ehlo)
    if code != 250:
        ev.finding("fail", f"{what} rejected: {code} {_text(message)}")
        raise _Stop()
    ev.observe("esmtp_extensions", sorted(name.upper() for name in client.esmtp_features))


def _starttls(client, plan, ctx, ev):
    offered = client.has_extn("starttls")
    ev.observe("starttls_offered", offered)
    if plan["tls"] != "starttls":
        return
    ev.expect("starttls", "offered and succeeds")
    if not offered:
        ev.observe("starttls_ok", False)
        ev.finding("fail", "STARTTLS not offered")
        return
    try:
        _command(client, ctx, "STARTTLS", client.starttls_verified)
    except (ssl.SSLError, ssl.CertificateError) as exc:
        ev.observe("starttls_ok", False)
        ev.finding("fail", _failed_tls(exc))
        raise _Stop() from None
    except smtplib.SMTPResponseException as exc:
        ev.observe("starttls_ok", False)
        ev.finding("fail", f"STARTTLS refused: {exc.smtp_code} {_text(exc.smtp_error)}")
        raise _Stop() from None
    ev.observe("starttls_ok", True)
    _observe_tls(ev, client.sock)
    ev.note(f"STARTTLS ok ({client.sock.version()})")
    _ehlo(client, ctx, ev, "EHLO after STARTTLS")


def _encrypted(client):
    return isinstance(client.sock, ssl.SSLSocket)


def _auth(client, plan, ctx, ev):
    mechanisms = client.esmtp_features.get("auth", "").upper().split()
    ev.observe("auth_mechanisms", mechanisms)
    if plan["username"] is None:
        return
    ev.expect("auth", "succeeds for {}".format(plan["username"]))
    ev.observe("auth_user", plan["username"])
    ev.observe("auth_ok", None)
    if not _encrypted(client) and not plan["allow_plaintext_auth"]:
        ev.finding("fail", "AUTH not attempted: the credentials are not sent without TLS")
        return
    if not mechanisms:
        ev.observe("auth_ok", False)
        ev.finding("fail", "AUTH not offered")
        return
    try:
        _command(client, ctx, "AUTH", lambda: client.login(plan["username"], plan["password"]))
    except smtplib.SMTPAuthenticationError as exc:
        ev.observe("auth_ok", False)
        ev.finding("fail", f"AUTH rejected for {plan['username']}: {exc.smtp_code} {_text(exc.smtp_error)}")
        return
    except smtplib.SMTPException as exc:
        ev.observe("auth_ok", False)
        ev.finding("fail", "AUTH failed for {}: {}".format(plan["username"], _text(exc)))
        return
    ev.observe("auth_ok", True)
    ev.note("AUTH ok for {}".format(plan["username"]))


def _quit(client):
    if client.sock is None:
        return
    try:
        client.sock.settimeout(0.5)
        client.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        client.close()


def run(plan, ctx):
    if plan["ehlo_name"] is None:
        plan = dict(plan, ehlo_name=socket.getfqdn())
    context = tls_context(plan) if plan["tls"] != "none" else None
    ev = Evaluation()
    ev.expect("tls", plan["tls"])
    client = _Client(plan, context, max(0.05, ctx.remaining() - _MARGIN))
    try:
        _connect(client, plan, ctx, ev)
        _ehlo(client, ctx, ev, "EHLO")
        _starttls(client, plan, ctx, ev)
        _auth(client, plan, ctx, ev)
    except _Stop:
        pass
    finally:
        _quit(client)
    return ev.outcome()
