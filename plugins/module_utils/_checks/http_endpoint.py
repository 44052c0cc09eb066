# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check kind http_endpoint: an HTTP(S) endpoint's status, latency, body, JSON and security posture (private).

Requests are made with ``http.client`` on a socket this module connects itself, so that every phase
(connect, TLS handshake, response, body) is bounded by the time the check has left, redirects are
followed only when asked, and at most ``max_body_bytes`` of a body are read. Proxy variables of the
environment are not used: the probe host talks to the endpoint directly.

Secret header values (and a password in the url) are sent but never shown: everything a result
shows of a response is scrubbed of them, and the request is shown with them masked.
"""

from __future__ import annotations

import base64
import http.client
import io
import ipaddress
import json
import re
import socket
import ssl
import time
import zlib
from collections.abc import Callable
from urllib.parse import SplitResult, unquote, urljoin, urlsplit

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.golive.readiness.plugins.module_utils._check import (
    CheckError,
    Evaluation,
    OptionError,
    Outcome,
    format_duration,
    format_size,
    is_credential_header,
    limit_from_options,
    mask_secret,
    mask_url,
    parse_codes,
    parse_duration,
    parse_size,
    secret_forms,
)
from ansible_collections.golive.readiness.plugins.module_utils._json_assert import (
    QUERY_OPTIONS,
    evaluate,
    expected_of,
    load_jmespath,
    prepare_assertions,
)
from ansible_collections.golive.readiness.plugins.module_utils._net import connect_tcp

KIND = "http_endpoint"
SECTION = "application"
SEVERITY = "high"
VARIABLES = {"golive_http_endpoints": "application", "golive_http_security": "security"}
ENDPOINT = True
OPTIONS = dict(
    url=dict(type="str", required=True),
    method=dict(type="str", default="GET"),
    headers=dict(type="dict"),
    secret_headers=dict(type="dict", no_log=True),
    body=dict(type="str"),
    json=dict(type="raw"),
    status=dict(type="raw"),
    latency_warn_above=dict(type="raw"),
    latency_fail_above=dict(type="raw"),
    body_regex=dict(type="str"),
    body_not_regex=dict(type="str"),
    json_query=dict(type="list", elements="dict", options=QUERY_OPTIONS),
    ca_file=dict(type="path"),
    client_cert=dict(type="path"),
    client_key=dict(type="path"),
    validate_certs=dict(type="bool", default=True),
    server_name=dict(type="str"),
    follow_redirects=dict(type="bool", default=False),
    redirect_hosts=dict(type="list", elements="str"),
    max_body_bytes=dict(type="raw", default="1MiB"),
    require_https_redirect=dict(type="bool", default=False),
    allow_temporary_redirect=dict(type="bool", default=False),
    hsts_min_age=dict(type="raw"),
    required_headers=dict(type="raw"),
    forbidden_headers=dict(type="raw"),
    cors_allowed_origin=dict(type="str"),
    cors_forbidden_origin=dict(type="str"),
    expect_unauthenticated=dict(type="raw"),
    expect_not_found_path=dict(type="str"),
    rate_limit=dict(type="dict", options=dict(
        max_requests=dict(type="int"),
        expect_status=dict(type="int", default=429),
    )),
)

# Never shown, yet not no_log: see _module.request_body_options.
REQUEST_BODY_OPTIONS = ("body", "json")
DEFAULT_STATUS = [200]
DEFAULT_UNAUTHENTICATED = [401, 403]
PERMANENT_REDIRECTS = (301, 308)
TEMPORARY_REDIRECTS = (302, 307)
REDIRECTS = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 10
MAX_RATE_LIMIT_REQUESTS = 1000
SHOWN_BODY_CHARS = 200
USER_AGENT = "golive-readiness http_endpoint"
# Response headers whose values are credentials of their own: shown masked.
SENSITIVE_RESPONSE_HEADERS = ("set-cookie", "authorization", "proxy-authorization")
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_ORIGIN = re.compile(r"^https?://[^/\s?#]+$")
_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?"
_HOST_NAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*\.?$")


def describe(item):
    method = (item.get("method") or "GET").upper()
    url = mask_url(item.get("url") or "")
    return f"{method} {url}", f"HTTP {method} {url}"


# --- options ------------------------------------------------------------------------------------

def _url(value):
    parts = urlsplit(value or "")
    if parts.scheme not in ("http", "https"):
        raise OptionError(f"url: {mask_url(value)!r} must start with http:// or https://")
    try:
        port = parts.port
    except ValueError:
        raise OptionError(f"url: {mask_url(value)!r} has an invalid port") from None
    if not parts.hostname:
        raise OptionError(f"url: {mask_url(value)!r} names no host")
    if port == 0:
        raise OptionError(f"url: {mask_url(value)!r} has an invalid port")
    return value


def _status_codes(value, option):
    return parse_codes(value, option, "an HTTP status code", "status code", 100, 599)


def _headers(value, option, secret=False):
    headers = {}
    for name, content in (value or {}).items():
        if not _TOKEN.match(str(name)):
            raise OptionError(f"{option}: {name!r} is not a header name")
        text = "" if content is None else str(content)
        shown = "its value" if secret or is_credential_header(name) else repr(text)
        if "\r" in text or "\n" in text or "\0" in text:
            raise OptionError(f"{option}: {shown} of {name} contains a line break")
        try:
            text.encode("latin-1")
        except UnicodeEncodeError:
            raise OptionError(f"{option}: {shown} of {name} is not Latin-1 text, which HTTP headers must be") from None
        headers[str(name)] = text
    return headers


def _regex(pattern, option):
    try:
        return re.compile(pattern, re.MULTILINE)
    except re.error as exc:
        raise OptionError(f"{option}: {pattern!r} is not a valid regular expression: {exc}") from None


def _header_rules(value, option):
    """{lower-case name: (name, compiled regex or None)} from a list of names or a dict name -> regex."""
    if value is None:
        return {}
    if isinstance(value, str):
        value = [value]
    if isinstance(value, dict):
        pairs = list(value.items())
    elif isinstance(value, list):
        pairs = [(name, None) for name in value]
    else:
        raise OptionError(f"{option}: must be a list of header names or a dict of name: regex")
    rules = {}
    for name, pattern in pairs:
        if not isinstance(name, str) or not _TOKEN.match(name):
            raise OptionError(f"{option}: {name!r} is not a header name")
        regex = None if pattern in (None, "") else _regex(str(pattern), f"{option}: {name}")
        rules[name.lower()] = (name, regex)
    return rules


def _origin(value, option):
    if value is None:
        return None
    if not _ORIGIN.match(value):
        raise OptionError(f"{option}: {value!r} is not an origin (scheme://host[:port], no path)")
    return value


def _unauthenticated(value):
    if value is None or value is False:
        return None
    if value is True:
        return list(DEFAULT_UNAUTHENTICATED)
    return _status_codes(value, "expect_unauthenticated")


def _rate_limit(value):
    if not value:
        return None
    maximum = value.get("max_requests")
    if maximum is None:
        raise OptionError("rate_limit: max_requests is required (the most requests the burst may send)")
    if not 1 <= maximum <= MAX_RATE_LIMIT_REQUESTS:
        raise OptionError(f"rate_limit: max_requests must be between 1 and {MAX_RATE_LIMIT_REQUESTS}, got {maximum!r}")
    expect = value.get("expect_status") if value.get("expect_status") is not None else 429
    return dict(max_requests=maximum, expect_status=_status_codes(expect, "rate_limit: expect_status")[0])


def _body(item):
    if item.get("body") is not None and item.get("json") is not None:
        raise OptionError("body/json: give one of them, not both")
    if item.get("json") is not None:
        return json.dumps(item["json"]).encode("utf-8"), "application/json"
    if item.get("body") is not None:
        return item["body"].encode("utf-8"), None
    return None, None


def _method(value):
    method = (value or "GET").upper()
    if not _TOKEN.match(method):
        raise OptionError(f"method: {value!r} is not an HTTP method")
    return method


def _check_tls_options(item, https_possible):
    if item.get("client_key") and not item.get("client_cert"):
        raise OptionError("client_key: only applies with client_cert")
    if item.get("ca_file") and item.get("validate_certs") is False:
        raise OptionError("ca_file: only applies when validate_certs is true")
    if not https_possible:
        for option in ("ca_file", "client_cert", "hsts_min_age"):
            if item.get(option) is not None:
                raise OptionError(f"{option}: only applies to an https:// url "
                                  "(or an http:// one that redirects to https with follow_redirects)")


def _check_redirect_options(item, scheme):
    if item.get("require_https_redirect") and scheme != "http":
        raise OptionError("require_https_redirect: only applies to an http:// url")
    if item.get("allow_temporary_redirect") and not item.get("require_https_redirect"):
        raise OptionError("allow_temporary_redirect: only applies with require_https_redirect")


def _host_name(value, option):
    """A DNS name or IP address as a request names its server (no port, no scheme)."""
    text = str(value).strip().lower()
    try:
        return str(ipaddress.ip_address(text.strip("[]")))
    except ValueError:
        pass
    if not _HOST_NAME.match(text):
        raise OptionError(f"{option}: {value!r} is not a host name (give a DNS name or an IP address, no port)")
    return text.rstrip(".")


def _redirect_hosts(item):
    hosts = item.get("redirect_hosts")
    if hosts is None:
        return []
    if not item.get("follow_redirects"):
        raise OptionError("redirect_hosts: only applies with follow_redirects")
    return [_host_name(host, f"redirect_hosts[{index}]") for index, host in enumerate(hosts)]


def _server_name(item, headers):
    if item.get("server_name") is None:
        return None
    if any(name.lower() == "host" for name in headers):
        raise OptionError("server_name: give either server_name or a Host header, not both")
    return _host_name(item["server_name"], "server_name")


def _split_credential_headers(headers, secret_headers):
    """(headers, secret_headers) with every credential header (Authorization, Cookie, *token*...) secret."""
    plain = dict((k, v) for k, v in headers.items() if not is_credential_header(k))
    secret = dict((k, v) for k, v in headers.items() if is_credential_header(k))
    secret.update(secret_headers)
    return plain, secret


def _basic_auth(parts):
    """The Authorization value for a url's user:password, or None."""
    if parts.username is None:
        return None
    credentials = "{}:{}".format(unquote(parts.username), unquote(parts.password or ""))
    return "Basic " + base64.b64encode(credentials.encode("utf-8")).decode("ascii")


def prepare(item):
    url = _url(item.get("url"))
    parts = urlsplit(url)
    method = _method(item.get("method"))
    headers = _headers(item.get("headers"), "headers")
    secret_headers = _headers(item.get("secret_headers"), "secret_headers", secret=True)
    clash = set(h.lower() for h in headers) & set(h.lower() for h in secret_headers)
    if clash:
        raise OptionError("headers/secret_headers: {} set in both".format(", ".join(sorted(clash))))
    server_name = _server_name(item, headers)
    headers, secret_headers = _split_credential_headers(headers, secret_headers)
    body, content_type = _body(item)
    reads_body = item.get("body_regex") or item.get("body_not_regex") or item.get("json_query")
    if method == "HEAD" and reads_body:
        raise OptionError("method: a HEAD response has no body for body_regex, body_not_regex or json_query")
    follow = bool(item.get("follow_redirects"))
    _check_redirect_options(item, parts.scheme)
    _check_tls_options(item, parts.scheme == "https" or follow)
    max_body = parse_size(item["max_body_bytes"], "max_body_bytes")
    if max_body < 1:
        raise OptionError("max_body_bytes: must be at least 1 byte")
    not_found = item.get("expect_not_found_path")
    if not_found is not None and not not_found.startswith("/"):
        raise OptionError(f"expect_not_found_path: {not_found!r} must start with /")
    status_given = item.get("status") is not None
    plan = dict(
        url=url,
        method=method,
        headers=headers,
        secret_headers=secret_headers,
        basic_auth=_basic_auth(parts),
        body=body,
        content_type=content_type,
        status=_status_codes(item["status"], "status") if status_given else list(DEFAULT_STATUS),
        # An http:// url that must redirect, not followed: the redirect is the answer, not a 200.
        check_status=status_given or not (item.get("require_https_redirect") and not follow),
        latency=limit_from_options(item, "latency", "above", parse_duration, format_duration),
        body_regex=_regex(item["body_regex"], "body_regex") if item.get("body_regex") else None,
        body_not_regex=_regex(item["body_not_regex"], "body_not_regex") if item.get("body_not_regex") else None,
        queries=prepare_assertions(item.get("json_query") or []),
        ca_file=item.get("ca_file"),
        client_cert=item.get("client_cert"),
        client_key=item.get("client_key"),
        validate_certs=item.get("validate_certs") is not False,
        server_name=server_name,
        follow_redirects=follow,
        redirect_hosts=_redirect_hosts(item),
        max_body_bytes=max_body,
        require_https_redirect=bool(item.get("require_https_redirect")),
        allow_temporary_redirect=bool(item.get("allow_temporary_redirect")),
        hsts_min_age=(int(parse_duration(item["hsts_min_age"], "hsts_min_age"))
                      if item.get("hsts_min_age") is not None else None),
        required_headers=_header_rules(item.get("required_headers"), "required_headers"),
        forbidden_headers=_header_rules(item.get("forbidden_headers"), "forbidden_headers"),
        cors_allowed_origin=_origin(item.get("cors_allowed_origin"), "cors_allowed_origin"),
        cors_forbidden_origin=_origin(item.get("cors_forbidden_origin"), "cors_forbidden_origin"),
        expect_unauthenticated=_unauthenticated(item.get("expect_unauthenticated")),
        expect_not_found_path=not_found,
        rate_limit=_rate_limit(item.get("rate_limit")),
    )
    return plan


# --- talking to the server ----------------------------------------------------------------------

class Response(object):
    """One HTTP exchange: the answer, the first bytes of its body and how long it took."""

    def __init__(self, url, status, reason, headers, body, truncated, seconds):
        self.url = url
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (name, value) as received
        self.body = body
        self.truncated = truncated
        self.seconds = seconds
        self.refused_redirect = None  # the target of a redirect to a host not allowed, when following

    def header(self, name):
        """The first value of a header (case-insensitive), or None."""
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def has_header(self, name):
        return self.header(name) is not None

    def text(self):
        return self.body.decode("utf-8", errors="replace")


def _endpoint(parts):
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = parts.hostname
    return host, port, (f"[{host}]:{port}" if ":" in host else f"{host}:{port}")


def _netloc_at(host: str, port: int | None) -> str:
    """The netloc of ``host`` (a name or an address) with ``port``, if any."""
    shown = f"[{host}]" if ":" in host else host
    return shown if port is None else f"{shown}:{port}"


def _target(parts):
    return (parts.path or "/") + ("?" + parts.query if parts.query else "")


# Handshake failures of a server that wants a client certificate and got none.
_CLIENT_CERT_WANTED = ("UNEXPECTED_EOF_WHILE_READING", "TLSV13_ALERT_CERTIFICATE_REQUIRED",
                       "SSLV3_ALERT_HANDSHAKE_FAILURE", "SSLV3_ALERT_BAD_CERTIFICATE")


def _tls_failure(exc, has_client_cert, what="TLS handshake"):
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate verification failed: {exc.verify_message or exc.reason}"
    hint = ""
    # With TLS 1.3 a refused client is told after its handshake, often only by the connection closing.
    if not has_client_cert and (exc.reason in _CLIENT_CERT_WANTED or isinstance(exc, ssl.SSLEOFError)):
        hint = "; the server may require a client certificate (client_cert)"
    return f"{what} failed: {exc.reason or exc}{hint}"


class _DeadlineSocket(object):
    """A connected socket as http.client uses it, every send and receive bounded by the exchange's deadline.

    A per-call socket timeout alone would let a server that trickles its answer byte by byte hold the
    check far beyond its time. http.client also closes its socket as soon as an answer says it will
    close the connection (HTTP/1.0, ``Connection: close``), before the body is read: closing is left to
    the exchange, which owns the socket.
    """

    def __init__(self, sock: socket.socket, seconds_left: Callable[[], float]):
        self.sock = sock
        self.seconds_left = seconds_left

    def sendall(self, data):
        self.sock.settimeout(self.seconds_left())
        self.sock.sendall(data)

    def makefile(self, mode="rb", *args, **kwargs):
        return io.BufferedReader(_DeadlineReader(self.sock, self.seconds_left))

    def close(self):
        pass


class _DeadlineReader(io.RawIOBase):
    """The receiving side of a _DeadlineSocket."""

    def __init__(self, sock: socket.socket, seconds_left: Callable[[], float]):
        super().__init__()
        self.sock = sock
        self.seconds_left = seconds_left

    def readable(self):
        return True

    def readinto(self, buffer):
        self.sock.settimeout(self.seconds_left())
        return self.sock.recv_into(buffer)


class BodyReader(object):
    """Keeps at most ``limit`` bytes of a body, decoded when it comes gzip- or deflate-encoded.

    The compressed bytes read are bounded too, so neither a large body nor a compression bomb grows
    beyond the cap.
    """

    def __init__(self, limit: int, encoding: str | None):
        self.limit = limit
        self.kept = bytearray()
        self.raw_left = 2 * limit + 64 * 1024
        self.truncated = False
        encoding = (encoding or "").strip().lower()
        self.encoding = encoding if encoding in _DECODED_ENCODINGS else None
        gzip_framed = self.encoding in ("gzip", "x-gzip")
        self.decoder = zlib.decompressobj(zlib.MAX_WBITS | 16 if gzip_framed else zlib.MAX_WBITS)

    def wanted(self) -> int:
        """How many bytes to read next."""
        room = self.limit + 1 - len(self.kept)
        return max(1, min(64 * 1024, room if self.encoding is None else self.raw_left))

    def feed(self, chunk: bytes) -> None:
        if self.encoding is None:
            self.kept.extend(chunk)
        else:
            self._decode(chunk)
        if len(self.kept) > self.limit:
            self.truncated = True
            del self.kept[self.limit:]

    def _decode(self, chunk):
        self.raw_left -= len(chunk)
        data = chunk
        while data and len(self.kept) <= self.limit:
            try:
                self.kept.extend(self.decoder.decompress(data, self.limit + 1 - len(self.kept)))
            except zlib.error as exc:
                if self.encoding == "deflate" and not self.kept:
                    # Some servers send raw deflate data without the zlib header that RFC 9110 asks for.
                    self.encoding = "raw deflate"
                    self.decoder = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise CheckError(f"the body is not valid {self.encoding} data: {exc}") from None
            data = self.decoder.unconsumed_tail
        if self.raw_left <= 0 and len(self.kept) <= self.limit:
            self.truncated = True

    def body(self) -> bytes:
        return bytes(self.kept)


# Content-Encodings the client asks for (Accept-Encoding) and decodes.
_DECODED_ENCODINGS = ("gzip", "x-gzip", "deflate")
ACCEPT_ENCODING = "gzip, deflate"


def _host_header(parts: SplitResult, server_name: str | None) -> str:
    """The Host header of a request to ``parts``: the server name when one is given, the URL's host otherwise."""
    host = server_name or parts.hostname
    if ":" in host:
        host = f"[{host}]"
    default_port = 443 if parts.scheme == "https" else 80
    return host if parts.port in (None, default_port) else f"{host}:{parts.port}"


class Client(object):
    """Makes the check's requests, each bounded by the time the check has left.

    ``plan`` supplies validate_certs, ca_file, client_cert, client_key, max_body_bytes and secret_headers,
    and optionally url, server_name (SNI and Host of requests to the url's host) and redirect_hosts.
    """

    def __init__(self, plan, budget):
        self.plan = plan
        self.deadline = time.monotonic() + budget
        self.tls = None
        self.sent = 0  # requests this check has sent, all urls
        self.origin_host = (urlsplit(plan["url"]).hostname or "").lower() if plan.get("url") else None
        self.server_name = plan.get("server_name")

    def _left(self, started, where, phase):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise CheckError(f"timed out after {format_duration(time.monotonic() - started)} {phase} {where}")
        return left

    def _seconds_left(self):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout("the check's time is up")
        return left

    def tls_context(self):
        if self.tls is None:
            self.tls = make_tls_context(self.plan)
        return self.tls

    def on_probed_node(self, hostname: str | None) -> bool:
        """Whether a request to ``hostname`` goes to the node the url names: its own host, or the server name."""
        hostname = (hostname or "").lower()
        return hostname == self.origin_host or (bool(self.server_name) and hostname == self.server_name.lower())

    def name_of(self, parts: SplitResult) -> str | None:
        """The server name of a request to ``parts`` (SNI, certificate name, Host), or None for the URL's host."""
        if self.server_name and self.on_probed_node(parts.hostname):
            return self.server_name
        return None

    def endpoint_of(self, parts: SplitResult) -> tuple[str, int, str]:
        """(host, port, shown) to connect to. A redirect to the server name stays on the node probed by address:
        resolving the name would reach another node, or the load balancer."""
        if self.server_name and self.on_probed_node(parts.hostname):
            return _endpoint(parts._replace(netloc=_netloc_at(self.origin_host, parts.port)))
        return _endpoint(parts)

    def _connect(self, parts, started):
        host, port, where = self.endpoint_of(parts)
        phase = "connecting to"
        try:
            sock = connect_tcp(host, port, self._left(started, where, phase))
            if parts.scheme != "https":
                return sock
            phase = "in the TLS handshake with"
            try:
                context = self.tls_context()  # loading the CA store takes time of its own
                sock.settimeout(self._left(started, where, phase))
                return context.wrap_socket(sock, server_hostname=self.name_of(parts) or host)
            except BaseException:
                sock.close()
                raise
        except socket.timeout:
            raise CheckError(f"timed out after {format_duration(time.monotonic() - started)} {phase} {where}") from None
        except ConnectionRefusedError:
            raise CheckError(f"connection refused by {where}") from None
        except ssl.SSLError as exc:
            raise CheckError("{} ({})".format(_tls_failure(exc, bool(self.plan["client_cert"])), where)) from None
        except OSError as exc:
            raise CheckError(f"cannot connect to {where}: {exc.strerror or exc}") from None

    def exchange(self, method: str, url: str, headers: dict[str, str], body: bytes | None = None) -> Response:
        """Send one request (no redirect followed) and read at most max_body_bytes of the answer.

        Any server framing works: Content-Length, chunked, or an answer that ends when the server closes the
        connection (HTTP/1.0, ``Connection: close``). The connection is closed after each exchange.
        """
        parts = urlsplit(url)
        started = time.monotonic()
        host, port, where = self.endpoint_of(parts)
        sock = self._connect(parts, started)
        conn = http.client.HTTPConnection(host, port)
        conn.sock = _DeadlineSocket(sock, self._seconds_left)
        if not any(name.lower() == "host" for name in headers):
            headers = {"Host": _host_header(parts, self.name_of(parts)), **headers}
        self.sent += 1
        phase = "waiting for the response from"
        try:
            conn.request(method, _target(parts), body=body, headers=headers)
            answer = conn.getresponse()
            phase = "reading the body from"
            content, truncated = self._read_body(answer)
            return Response(url, answer.status, answer.reason, answer.getheaders(), content, truncated,
                            time.monotonic() - started)
        except socket.timeout:
            raise CheckError(f"timed out after {format_duration(time.monotonic() - started)} {phase} {where}") from None
        except http.client.RemoteDisconnected:
            raise CheckError(f"{where} closed the connection without answering") from None
        except http.client.HTTPException as exc:
            raise CheckError(f"invalid HTTP response from {where}: {type(exc).__name__}") from None
        except ssl.SSLError as exc:
            failure = _tls_failure(exc, bool(self.plan["client_cert"]), "TLS connection")
            raise CheckError(f"{failure} ({where})") from None
        except OSError as exc:
            raise CheckError(f"connection to {where} failed: {exc.strerror or exc}") from None
        finally:
            conn.close()
            sock.close()

    def _read_body(self, answer):
        """Up to max_body_bytes of the (decoded) body, and whether there was more."""
        reader = BodyReader(self.plan["max_body_bytes"], answer.getheader("Content-Encoding"))
        while not reader.truncated:
            chunk = answer.read(reader.wanted())
            if not chunk:
                break
            reader.feed(chunk)
        return reader.body(), reader.truncated

    def may_follow(self, url: str) -> bool:
        """Whether a redirect to ``url`` may be followed: same host, the server name, or one of redirect_hosts."""
        host = (urlsplit(url).hostname or "").lower()
        allowed = {self.origin_host, (self.server_name or "").lower()}
        allowed.update(name.lower() for name in self.plan.get("redirect_hosts") or ())
        return host in allowed

    def fetch(self, method: str, url: str, headers: dict[str, str], body: bytes | None = None,
              follow: bool = False) -> tuple[Response, list[dict]]:
        """(final response, [redirect hops]): the request, following redirects when ``follow``.

        A redirect to another host is followed only when redirect_hosts lists it; otherwise the redirect is
        the final response, with ``refused_redirect`` set to its target. Credentials (the secret headers,
        Authorization, Cookie) follow a redirect only to the same host, and never from https down to http.
        """
        hops = []
        origin_host = urlsplit(url).hostname
        while len(hops) <= MAX_REDIRECTS:
            response = self.exchange(method, url, headers, body)
            location = response.header("Location")
            if not follow or response.status not in REDIRECTS or not location:
                return response, hops
            next_url = urljoin(url, location)
            if urlsplit(next_url).scheme not in ("http", "https"):
                raise CheckError(f"redirect to {mask_url(next_url)}, which is not http(s)")
            if not self.may_follow(next_url):
                response.refused_redirect = mask_url(next_url)
                return response, hops
            hops.append(dict(status=response.status, location=mask_url(next_url)))
            if response.status == 303 or (response.status in (301, 302) and method not in ("GET", "HEAD")):
                method, body = ("HEAD" if method == "HEAD" else "GET"), None
            headers = self._headers_for_redirect(headers, url, next_url, origin_host)
            url = next_url
        raise CheckError(f"more than {MAX_REDIRECTS} redirects, the last to {mask_url(url)}")

    def _headers_for_redirect(self, headers, url, next_url, origin_host):
        here, there = urlsplit(url), urlsplit(next_url)
        same_node = there.hostname == origin_host or self.on_probed_node(there.hostname)
        if same_node and not (here.scheme == "https" and there.scheme == "http"):
            return headers
        credentials = set(name.lower() for name in self.plan["secret_headers"]) | {"authorization", "cookie"}
        return dict((k, v) for k, v in headers.items() if k.lower() not in credentials)


def make_tls_context(plan):
    """The client TLS context of the plan; CheckError when its files cannot be loaded."""
    if plan["validate_certs"]:
        try:
            context = ssl.create_default_context(cafile=plan["ca_file"])
        except (OSError, ssl.SSLError) as exc:
            reason = getattr(exc, "strerror", None) or exc
            raise CheckError("ca_file: cannot load {}: {}".format(plan["ca_file"], reason)) from None
    else:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if plan["client_cert"]:
        try:
            context.load_cert_chain(plan["client_cert"], plan["client_key"])
        except (OSError, ssl.SSLError) as exc:
            raise CheckError("client_cert: cannot load {}: {}".format(
                plan["client_cert"], getattr(exc, "strerror", None) or exc)) from None
    return context


# --- what the requests carry --------------------------------------------------------------------

def request_headers(plan, authenticated=True, extra=None):
    """Headers of a request: the plan's, its secret ones unless ``authenticated`` is false."""
    headers = {"User-Agent": USER_AGENT, "Accept": "*/*", "Accept-Encoding": ACCEPT_ENCODING}
    if plan["content_type"]:
        headers["Content-Type"] = plan["content_type"]
    given = set(name.lower() for name in plan["headers"])
    headers = dict((k, v) for k, v in headers.items() if k.lower() not in given)  # 'accept' replaces 'Accept'
    headers.update(plan["headers"])
    if authenticated:
        if plan["basic_auth"] and not any(h.lower() == "authorization" for h in plan["secret_headers"]):
            headers["Authorization"] = plan["basic_auth"]
        headers.update(plan["secret_headers"])
    headers.update(extra or {})
    return headers


def secrets_of(plan):
    """Every value a result must never show, in every form it takes on the wire (see ``secret_forms``)."""
    values = [v for v in plan["secret_headers"].values() if v]
    if plan["basic_auth"]:
        values.append(plan["basic_auth"])
        password = urlsplit(plan["url"]).password
        if password:
            values.extend([password, unquote(password)])
    if plan["body"]:
        values.append(plan["body"].decode("utf-8"))  # a request body is no_log: an echo of it is not shown
    forms = set()
    for value in values:
        forms.update(secret_forms(value))
    return sorted(set(v for v in forms if len(v) >= 4), key=len, reverse=True)


class Scrubber(object):
    """Replaces any secret value in text a result shows with its masked form."""

    def __init__(self, secrets):
        self.secrets = secrets

    def __call__(self, text):
        if text is None:
            return None
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, mask_secret(secret))
        if text.endswith("\u2026"):
            text = self._cut_secret_at_end(text[:-1]) + "\u2026"
        return text

    def _cut_secret_at_end(self, text):
        """A shortened text may end inside a secret: mask that beginning of it too."""
        for secret in self.secrets:
            for length in range(len(secret) - 1, 3, -1):
                if text.endswith(secret[:length]):
                    return text[:-length] + mask_secret(secret)
        return text

    def deep(self, value):
        """``value`` with every string in it (keys included) scrubbed."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return dict((self.deep(k), self.deep(v)) for k, v in value.items())
        if isinstance(value, (list, tuple)):
            return [self.deep(v) for v in value]
        return value


def shown_headers(response):
    headers = {}
    for name, value in response.headers:
        value = mask_secret(value) if name.lower() in SENSITIVE_RESPONSE_HEADERS else value
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


def shown_request(plan):
    request = dict(method=plan["method"], url=mask_url(plan["url"]))
    if plan["headers"]:
        request["headers"] = dict(plan["headers"])
    if plan["secret_headers"]:
        request["secret_headers"] = dict((k, mask_secret(v)) for k, v in plan["secret_headers"].items())
    return request


def _shown_body(response, scrub):
    text = scrub(response.text())
    return text if len(text) <= SHOWN_BODY_CHARS else text[:SHOWN_BODY_CHARS] + "\u2026"


# --- evaluating the main response ---------------------------------------------------------------

def check_status(plan, response, ev):
    ev.expect("status", plan["status"])
    ok = response.status in plan["status"]
    expected = " or ".join(str(c) for c in plan["status"])
    ev.require(ok, f"status {response.status} {response.reason} (expected {expected})",
               passing=f"status {response.status}")


def check_refused_redirect(plan, response, ev):
    """A redirect to a host that is neither the url's nor in redirect_hosts is not followed: a failure."""
    if response.refused_redirect is None:
        return
    ev.expect("redirect_hosts", sorted({urlsplit(plan["url"]).hostname, plan["server_name"] or ""}
                                       .union(plan["redirect_hosts"]) - {""}))
    ev.observe("refused_redirect", dict(status=response.status, location=response.refused_redirect))
    host = urlsplit(response.refused_redirect).hostname
    ev.finding("fail", f"redirect {response.status} to {response.refused_redirect} not followed: "
                       f"host {host} is not the url's host nor in redirect_hosts")


def check_latency(plan, seconds, ev):
    ev.measure("latency", round(seconds, 3), plan["latency"], formatter=format_duration)
    ev.observe("latency_ms", round(seconds * 1000), "ms")


def check_body(plan, response, ev, results):
    text = response.text()
    for option, should_match in (("body_regex", True), ("body_not_regex", False)):
        regex = plan[option]
        if regex is None:
            continue
        found = regex.search(text) is not None
        passed = found == should_match
        ev.expect(option, regex.pattern)
        verb = "matches" if should_match else "does not match"
        if response.truncated and not found:
            # The part beyond max_body_bytes was not read: it may hold the pattern.
            results.append(dict(assertion=f"body {verb} /{regex.pattern}/", passed=False))
            ev.finding("error", f"{option}: /{regex.pattern}/ cannot be judged: the body is larger than max_body_bytes "
                                f"({format_size(plan['max_body_bytes'])}) and the part read does not contain it")
            continue
        results.append(dict(assertion=f"body {verb} /{regex.pattern}/", passed=passed))
        ev.require(passed, "body {} /{}/".format("does not match" if should_match else "matches", regex.pattern))


def check_json(plan, response, ev, results):
    if not plan["queries"]:
        return
    ev.expect("json_query", expected_of(plan["queries"]))
    if response.truncated:
        ev.finding("error", f"body is larger than max_body_bytes ({format_size(plan['max_body_bytes'])}); "
                            "its JSON cannot be evaluated")
        return
    try:
        document = json.loads(response.text())
    except ValueError as exc:
        ev.finding("error", f"body is not JSON: {exc}")
        return
    results.extend(evaluate(plan["queries"], document, ev))


def check_required_headers(plan, response, ev):
    rules = plan["required_headers"]
    if not rules:
        return
    ev.expect("required_headers", dict((name, regex.pattern if regex else "present")
                                       for name, regex in rules.values()))
    for name, regex in rules.values():
        value = response.header(name)
        if value is None:
            ev.finding("fail", f"header {name} is missing")
        elif regex is not None and not regex.search(value):
            ev.finding("fail", f"header {name}: {value!r} does not match /{regex.pattern}/")


def check_forbidden_headers(plan, response, ev):
    rules = plan["forbidden_headers"]
    if not rules:
        return
    ev.expect("forbidden_headers", dict((name, regex.pattern if regex else "absent")
                                        for name, regex in rules.values()))
    for name, regex in rules.values():
        value = response.header(name)
        if value is None:
            continue
        if regex is None:
            ev.finding("fail", f"header {name} is sent ({value!r}) but is forbidden")
        elif regex.search(value):
            ev.finding("fail", f"header {name}: {value!r} matches the forbidden /{regex.pattern}/")


_MAX_AGE = re.compile(r"(?:^|;)\s*max-age\s*=\s*\"?(\d+)\"?\s*(?:;|$)", re.IGNORECASE)


def parse_hsts(value):
    """{max_age, include_subdomains, preload} of a Strict-Transport-Security value."""
    directives = [part.strip().lower() for part in value.split(";")]
    match = _MAX_AGE.search(value)
    return dict(max_age=int(match.group(1)) if match else None,
                include_subdomains="includesubdomains" in directives,
                preload="preload" in directives)


def check_hsts(plan, response, ev):
    minimum = plan["hsts_min_age"]
    if minimum is None:
        return
    ev.expect_at_least("hsts_max_age", minimum, "seconds")
    value = response.header("Strict-Transport-Security")
    if urlsplit(response.url).scheme != "https":
        ev.finding("fail", "HSTS cannot be judged: the final response came over http (browsers ignore HSTS there)")
        return
    if value is None:
        ev.observe("hsts", None)
        ev.finding("fail", "Strict-Transport-Security is missing")
        return
    hsts = parse_hsts(value)
    ev.observe("hsts", hsts)
    ev.observe("hsts_max_age", hsts["max_age"], "seconds")
    present = (("includeSubDomains", hsts["include_subdomains"]), ("preload", hsts["preload"]))
    flags = "".join(f"; {flag}" for flag, on in present if on)
    if hsts["max_age"] is None:
        ev.finding("fail", f"Strict-Transport-Security has no max-age: {value!r}")
    elif hsts["max_age"] < minimum:
        ev.finding("fail", "HSTS max-age {} is below {}{}".format(
            format_duration(hsts["max_age"]), format_duration(minimum), flags))
    else:
        ev.note("HSTS max-age {}{}".format(format_duration(hsts["max_age"]), flags))


def check_https_redirect(plan, first, ev):
    if not plan["require_https_redirect"]:
        return
    allowed = list(PERMANENT_REDIRECTS) + (list(TEMPORARY_REDIRECTS) if plan["allow_temporary_redirect"] else [])
    source = urlsplit(plan["url"])
    same_hosts = (source.hostname, plan["server_name"])
    wanted = "https://{}{}".format(plan["server_name"] or source.hostname, source.path or "/")
    ev.expect("https_redirect", "{} to {}".format(" or ".join(str(c) for c in allowed), wanted))
    location = first.header("Location")
    ev.observe("https_redirect", dict(status=first.status, location=mask_url(location)))
    if first.status not in REDIRECTS:
        ev.finding("fail", f"http answered {first.status} instead of redirecting to https")
        return
    if first.status not in allowed:
        ev.finding("fail", f"redirect to https is temporary ({first.status}); use 301 or 308, "
                           "or set allow_temporary_redirect")
    target = urlsplit(urljoin(plan["url"], location or ""))
    if not location or target.scheme != "https":
        ev.finding("fail", f"redirect goes to {mask_url(location) or 'no Location'}, not https")
    elif target.hostname not in same_hosts or (target.path or "/") != (source.path or "/"):
        ev.finding("fail", f"redirect goes to {mask_url(location)}, not to the same host and path over https")
    elif first.status in allowed:
        ev.note(f"redirects {first.status} to https")


# --- the posture requests -----------------------------------------------------------------------

def _attempt(ev, option, request):
    """Run one extra request; a failure to get an answer is an ``error`` finding of that option only."""
    try:
        return request()
    except CheckError as exc:
        ev.finding("error", f"{option}: could not evaluate: {exc}")
        return None


def _fetch_with_origin(plan, client, ev, option, origin):
    """The response to the check's request sent with an Origin header, or None (an error finding)."""
    return _attempt(ev, option, lambda: client.fetch(
        plan["method"], plan["url"], request_headers(plan, extra={"Origin": origin}), plan["body"],
        plan["follow_redirects"])[0])


def check_cors_allowed(plan, client, ev):
    origin = plan["cors_allowed_origin"]
    if origin is None:
        return
    ev.expect("cors_allowed_origin", f"Access-Control-Allow-Origin: {origin}")
    response = _fetch_with_origin(plan, client, ev, "cors_allowed_origin", origin)
    if response is None:
        return
    allowed = response.header("Access-Control-Allow-Origin")
    ev.observe("cors_allowed_origin", dict(origin=origin, status=response.status, allow_origin=allowed))
    if allowed == origin:
        ev.note(f"CORS allows {origin}")
    elif allowed == "*":
        ev.note(f"CORS allows {origin} (by wildcard)")
    else:
        ev.finding("fail", f"CORS does not allow {origin} (Access-Control-Allow-Origin: {allowed or 'absent'})")


def check_cors_forbidden(plan, client, ev):
    origin = plan["cors_forbidden_origin"]
    if origin is None:
        return
    ev.expect("cors_forbidden_origin", f"{origin} not allowed, no wildcard with credentials")
    response = _fetch_with_origin(plan, client, ev, "cors_forbidden_origin", origin)
    if response is None:
        return
    allowed = response.header("Access-Control-Allow-Origin")
    credentials = (response.header("Access-Control-Allow-Credentials") or "").strip().lower() == "true"
    ev.observe("cors_forbidden_origin", dict(origin=origin, status=response.status, allow_origin=allowed,
                                             allow_credentials=credentials))
    if allowed is not None and allowed.strip() == origin:
        ev.finding("fail", f"CORS allows the foreign origin {origin}{' with credentials' if credentials else ''}")
    elif allowed is not None and allowed.strip() == "*" and credentials:
        ev.finding("fail", "CORS allows any origin (*) with credentials")
    elif allowed is not None and allowed.strip() == "null":
        ev.finding("fail", "CORS allows the origin null (sandboxed pages, file: urls)")
    else:
        ev.note(f"CORS refuses {origin}")


def check_unauthenticated(plan, client, ev):
    codes = plan["expect_unauthenticated"]
    if codes is None:
        return
    ev.expect("unauthenticated_status", codes)
    response = _attempt(ev, "expect_unauthenticated", lambda: client.exchange(
        plan["method"], plan["url"], request_headers(plan, authenticated=False), plan["body"]))
    if response is None:
        return
    ev.observe("unauthenticated_status", response.status)
    expected = " or ".join(str(c) for c in codes)
    ev.require(response.status in codes, f"without credentials the url answers {response.status} (expected {expected})",
               passing=f"without credentials {response.status}")


def check_not_found(plan, client, ev):
    path = plan["expect_not_found_path"]
    if path is None:
        return
    parts = urlsplit(plan["url"])
    url = f"{parts.scheme}://{parts.netloc}{path}"
    ev.expect("not_found", dict(path=path, status=404))
    response = _attempt(ev, "expect_not_found_path", lambda: client.exchange(
        "GET", url, request_headers(plan)))
    if response is None:
        return
    ev.observe("not_found", dict(path=path, status=response.status))
    ev.require(response.status == 404, f"{path} answers {response.status}, not 404",
               passing=f"{path} answers 404")


def check_rate_limit(plan, client, ev):
    """A bounded burst: at most max_requests sequential requests, stopping at the first limited answer."""
    rule = plan["rate_limit"]
    if rule is None:
        return
    expected = rule["expect_status"]
    ev.expect("rate_limit", f"{expected} within {rule['max_requests']} requests")
    sent_before = client.sent  # the check's own earlier requests count against the limit too
    statuses = {}
    seen = dict(burst=0, limited_after=None, statuses=statuses)
    ev.observe("rate_limit", seen)
    for sent in range(1, rule["max_requests"] + 1):
        response = _attempt(ev, "rate_limit", lambda: client.exchange(plan["method"], plan["url"],
                                                                      request_headers(plan), plan["body"]))
        if response is None:
            return
        seen["burst"] = sent
        statuses[str(response.status)] = statuses.get(str(response.status), 0) + 1
        if response.status == expected:
            seen["limited_after"] = sent - 1
            seen["check_requests_before"] = sent_before + sent - 1
            seen["retry_after"] = response.header("Retry-After")
            ev.note(f"rate limited ({expected}) at request {sent} of the burst, "
                    f"after {sent_before + sent - 1} requests of this check")
            return
    answers = ", ".join(f"{status} x{times}" for status, times in sorted(statuses.items()))
    ev.finding("fail", f"no {expected} within {rule['max_requests']} requests (answers: {answers})")


# --- run ----------------------------------------------------------------------------------------

def run(plan, ctx):
    if plan["queries"] and load_jmespath() is None:
        raise CheckError(missing_required_lib("jmespath"))
    client = Client(plan, ctx.child_timeout())
    scrub = Scrubber(secrets_of(plan))
    ev = Evaluation()
    ev.observe("request", shown_request(plan))
    started = time.monotonic()
    try:
        final, hops = client.fetch(plan["method"], plan["url"], request_headers(plan), plan["body"],
                                   plan["follow_redirects"])
    except CheckError as exc:
        raise CheckError(scrub(str(exc))) from None
    seconds = time.monotonic() - started
    observe_response(final, hops, ev, scrub)
    if final.refused_redirect is not None:
        check_refused_redirect(plan, final, ev)  # the answer to judge is behind it
    else:
        check_final_response(plan, final, hops, seconds, ev)
    check_not_found(plan, client, ev)
    check_unauthenticated(plan, client, ev)
    check_cors_allowed(plan, client, ev)
    check_cors_forbidden(plan, client, ev)
    check_rate_limit(plan, client, ev)  # last: the burst may get the client limited
    outcome = ev.outcome()
    return Outcome(outcome.status, scrub(outcome.summary), scrub.deep(outcome.observed), scrub.deep(outcome.expected))


def check_final_response(plan, final, hops, seconds, ev):
    """Status, latency, body and headers of the final answer."""
    if plan["check_status"]:
        check_status(plan, final, ev)
    check_latency(plan, seconds, ev)
    check_https_redirect(plan, _first_of(final, hops, plan), ev)
    results = []
    check_body(plan, final, ev, results)
    check_json(plan, final, ev, results)
    if results:
        ev.observe("assertions", results)
        ev.note(f"{sum(1 for r in results if r['passed'])} of {len(results)} body assertions hold")
    check_required_headers(plan, final, ev)
    check_forbidden_headers(plan, final, ev)
    check_hsts(plan, final, ev)


def _first_of(final, hops, plan):
    """The answer to the first request: the final one unless redirects were followed."""
    if not hops:
        return final
    return _Redirect(hops[0], plan["url"])


class _Redirect(object):
    """The first hop of a followed redirect chain, as check_https_redirect needs it."""

    def __init__(self, hop, url):
        self.status = hop["status"]
        self.url = url
        self._location = hop["location"]

    def header(self, name):
        return self._location if name.lower() == "location" else None


def observe_response(response, hops, ev, scrub):
    ev.observe("status", response.status)
    ev.observe("reason", response.reason)
    if hops:
        ev.observe("redirects", hops)
        ev.observe("final_url", mask_url(response.url))
    ev.observe("headers", shown_headers(response))
    ev.observe("body_bytes", len(response.body), "bytes")
    ev.observe("body_truncated", response.truncated)
    ev.observe("body", _shown_body(response, scrub))
