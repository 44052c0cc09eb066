"""Real HTTP(S) apps on 127.0.0.1 for the http_endpoint tests.

One request handler serves every behaviour the tests need, one path each (see ``ROUTES``); it runs
in ThreadingHTTPServer instances bound to 127.0.0.1 on ports the kernel picks: plain http, https with
a certificate minted per run by ``cryptography`` (signed by a test CA whose ``ca_file`` the client
trusts), https presenting a certificate for another name, https that requires a client certificate,
and an http app whose unknown paths answer 200 (a "soft 404"). Plus a socket that accepts and never
answers, and a port nothing listens on. ``running_apps()`` starts them all and stops them at the end.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import gzip
import ipaddress
import json
import os
import socket
import ssl
import tempfile
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ._ports import unused_port

TOKEN = "tok-5d1c9a7e03b84f26a9e1c7b2"  # searched for in every output: it must never appear
BEARER = "Bearer " + TOKEN
ALLOWED_ORIGIN = "https://shop.example.test"
RATE_LIMIT_AFTER = 5
SLOW_SECONDS = 0.5
HEALTH = {"status": "healthy", "db": {"ok": True}, "version": "2.4.1", "workers": 4}


# --- certificates -------------------------------------------------------------------------------

def _subject(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem_files(directory, stem, cert, key):
    cert_path, key_path = os.path.join(directory, stem + ".crt"), os.path.join(directory, stem + ".key")
    with open(cert_path, "wb") as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return cert_path, key_path


class TestCA(object):
    """A CA minted for one run; issues server and client certificates as PEM files in ``directory``."""

    def __init__(self, directory):
        self.directory = directory
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        self.cert = (x509.CertificateBuilder()
                     .subject_name(_subject("golive http test CA")).issuer_name(_subject("golive http test CA"))
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - datetime.timedelta(hours=1))
                     .not_valid_after(now + datetime.timedelta(days=7))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                     .sign(self.key, hashes.SHA256()))
        self.ca_file = _pem_files(directory, "ca", self.cert, self.key)[0]

    def issue(self, stem, names, usage):
        """(cert file, key file) of a certificate for the SANs ``names`` (DNS names or IP addresses)."""
        sans = []
        for name in names:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(name)))
            except ValueError:
                sans.append(x509.DNSName(name))
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder()
                .subject_name(_subject(names[0])).issuer_name(self.cert.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(hours=1))
                .not_valid_after(now + datetime.timedelta(days=7))
                .add_extension(x509.SubjectAlternativeName(sans), critical=False)
                .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
                .sign(self.key, hashes.SHA256()))
        return _pem_files(self.directory, stem, cert, key)

    def server_context(self, stem, names, require_client_cert=False):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*self.issue(stem, names, ExtendedKeyUsageOID.SERVER_AUTH))
        if require_client_cert:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(self.ca_file)
        return context


# --- the app ------------------------------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    """Every test behaviour, one path each; ``server.app`` holds the per-server state."""

    protocol_version = "HTTP/1.1"
    server_version = "shop"
    sys_version = ""

    def log_message(self, format, *args):
        pass

    def version_string(self):
        return self.server_version

    # plumbing

    def answer(self, status, body=b"", headers=None, content_type="text/plain"):
        if isinstance(body, (dict, list)):
            body, content_type = json.dumps(body).encode(), "application/json"
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def request_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length).decode() if length else ""

    @property
    def path_only(self):
        return urlsplit(self.path).path

    @property
    def query(self):
        return dict((k, v[0]) for k, v in parse_qs(urlsplit(self.path).query).items())

    def dispatch(self):
        app = self.server.app
        app.record(self)
        route = ROUTES.get(self.path_only)
        if route is None and app.soft_404:
            route = Handler.page
        if route is None:
            self.answer(404, "not found")
            return
        route(self)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_OPTIONS = dispatch

    # routes

    def health(self):
        self.answer(200, HEALTH)

    def unhealthy(self):
        self.answer(503, {"status": "degraded", "db": {"ok": False}})

    def page(self):
        self.answer(200, "<html><body>Welcome to the shop</body></html>", content_type="text/html")

    def slow(self):
        with self.server.app.in_flight("slow"):
            time.sleep(SLOW_SECONDS)
        self.answer(200, "slow but fine")

    def big(self):
        self.answer(200, {"items": ["x" * 1000] * 2048})

    def not_json(self):
        self.answer(200, "<html>oops</html>", content_type="text/html")

    def echo(self):
        """The request as received, Authorization included: a result must still never show it."""
        self.answer(200, {"method": self.command, "headers": dict(self.headers.items()),
                          "body": self.request_body()})

    def protected(self):
        if self.headers.get("Authorization") != BEARER:
            self.answer(401, {"error": "unauthenticated"}, headers={"WWW-Authenticate": "Bearer"})
        else:
            self.answer(200, {"user": "ops", "token_seen": self.headers.get("Authorization")})

    def open_admin(self):
        self.answer(200, {"admin": True})

    def https_redirect(self, status):
        if self.server.app.https_port is None:  # already on the https app: the page itself
            self.page()
            return
        location = f"https://127.0.0.1:{self.server.app.https_port}{self.path_only}"
        self.answer(status, "", headers={"Location": location})

    def redirect_301(self):
        self.https_redirect(301)

    def redirect_302(self):
        self.https_redirect(302)

    def redirect_elsewhere(self):
        self.answer(301, "", headers={"Location": "https://other.invalid/redirect-elsewhere"})

    def redirect_loop(self):
        self.answer(302, "", headers={"Location": self.path_only})

    def redirect_other_host(self):
        # Same server, another host name: credentials must not follow.
        self.answer(302, "", headers={"Location": f"http://localhost:{self.server.server_address[1]}/echo"})

    def hsts_long(self):
        self.answer(200, "ok", headers={"Strict-Transport-Security": "max-age=63072000; includeSubDomains"})

    def hsts_short(self):
        self.answer(200, "ok", headers={"Strict-Transport-Security": "max-age=300"})

    def secure_headers(self):
        self.answer(200, "ok", headers={"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
                                        "Content-Security-Policy": "default-src 'self'",
                                        "Set-Cookie": f"session={TOKEN}; Secure; HttpOnly"})

    def banner(self):
        self.server_version = "nginx/1.18.0"
        self.answer(200, "ok", headers={"X-Powered-By": "PHP/7.4.3"})

    def cors_any(self):
        origin = self.headers.get("Origin")
        headers = {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true"} if origin else {}
        self.answer(200, {"cors": "any"}, headers=headers)

    def cors_strict(self):
        headers = {"Vary": "Origin"}
        if self.headers.get("Origin") == ALLOWED_ORIGIN:
            headers["Access-Control-Allow-Origin"] = ALLOWED_ORIGIN
        self.answer(200, {"cors": "strict"}, headers=headers)

    def limited(self):
        count = self.server.app.count("limited:" + self.query.get("client", ""))
        if count > RATE_LIMIT_AFTER:
            self.answer(429, "slow down", headers={"Retry-After": "60"})
        else:
            self.answer(200, "ok")

    def gzip_bomb(self):
        """A few KB on the wire that decode to BOMB_BYTES: the probe must not decode it all."""
        self.answer(200, _gzip_bomb(), headers={"Content-Encoding": "gzip"}, content_type="application/json")

    def raw_deflate(self):
        """deflate without the zlib header, as some servers send it."""
        packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        body = packer.compress(json.dumps(HEALTH).encode()) + packer.flush()
        self.answer(200, body, headers={"Content-Encoding": "deflate"}, content_type="application/json")

    def trickle(self):
        """Headers one byte at a time, each well within any per-read timeout, never ending."""
        self.wfile.write(b"HTTP/1.1 200 OK\r\n")
        for byte in b"X" * 600:
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            time.sleep(0.05)

    def huge_headers_then_nothing(self):
        """Sends the status line and headers, then holds the body back."""
        self.send_response(200)
        self.send_header("Content-Length", "100")
        self.end_headers()
        self.wfile.flush()
        time.sleep(30)


ROUTES = {
    "/health": Handler.health,
    "/unhealthy": Handler.unhealthy,
    "/": Handler.page,
    "/account": Handler.page,
    "/slow": Handler.slow,
    "/big": Handler.big,
    "/not-json": Handler.not_json,
    "/echo": Handler.echo,
    "/api/orders": Handler.protected,
    "/admin": Handler.open_admin,
    "/redirect-301": Handler.redirect_301,
    "/redirect-302": Handler.redirect_302,
    "/redirect-elsewhere": Handler.redirect_elsewhere,
    "/redirect-loop": Handler.redirect_loop,
    "/redirect-other-host": Handler.redirect_other_host,
    "/hsts": Handler.hsts_long,
    "/hsts-short": Handler.hsts_short,
    "/secure-headers": Handler.secure_headers,
    "/banner": Handler.banner,
    "/cors-any": Handler.cors_any,
    "/cors-strict": Handler.cors_strict,
    "/limited": Handler.limited,
    "/stalls-body": Handler.huge_headers_then_nothing,
    "/gzip-bomb": Handler.gzip_bomb,
    "/raw-deflate": Handler.raw_deflate,
    "/trickle": Handler.trickle,
}
BOMB_BYTES = 64 * 1024 * 1024


@functools.lru_cache(maxsize=1)
def _gzip_bomb():
    return gzip.compress(b"[" + b" " * (BOMB_BYTES - 2) + b"]", compresslevel=9)


class AppState(object):
    """What one server remembers: counters and the requests it received."""

    def __init__(self, soft_404=False):
        self.soft_404 = soft_404
        self.https_port = None
        self.lock = threading.Lock()
        self.counters = {}
        self.requests = []  # (method, path, headers)
        self.running = {}
        self.most_at_once = {}  # key -> the most requests of that key the server held at the same time

    def count(self, key):
        with self.lock:
            self.counters[key] = self.counters.get(key, 0) + 1
            return self.counters[key]

    @contextlib.contextmanager
    def in_flight(self, key):
        with self.lock:
            self.running[key] = self.running.get(key, 0) + 1
            self.most_at_once[key] = max(self.most_at_once.get(key, 0), self.running[key])
        try:
            yield
        finally:
            with self.lock:
                self.running[key] -= 1

    def record(self, handler):
        with self.lock:
            self.requests.append((handler.command, handler.path, dict(handler.headers.items())))


class LoopbackServer(ThreadingHTTPServer):
    """ThreadingHTTPServer on 127.0.0.1; with ``tls`` each connection's handshake runs in its own thread."""

    daemon_threads = True
    request_queue_size = 64

    def __init__(self, app, tls=None):
        ThreadingHTTPServer.__init__(self, ("127.0.0.1", 0), Handler)
        self.app = app
        self.tls = tls

    def finish_request(self, request, client_address):
        if self.tls is not None:
            request.settimeout(10)
            request = self.tls.wrap_socket(request, server_side=True)
        ThreadingHTTPServer.finish_request(self, request, client_address)

    def handle_error(self, request, client_address):
        pass  # failed handshakes and clients that hang up are part of the tests


@contextlib.contextmanager
def serving(server):
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@contextlib.contextmanager
def silent_socket():
    """A port that accepts connections and never sends a byte; yields the port."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.1)
    stop = threading.Event()
    held = []

    def hold():
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            conn.close()
        listener.close()


class Apps(object):
    """Base URLs and files of the running apps."""

    def __init__(self, http, https, wrong_name, mtls, spa, silent_port, ca, client_cert, client_key):
        self.http = f"http://127.0.0.1:{http.server_address[1]}"
        self.https = f"https://127.0.0.1:{https.server_address[1]}"
        self.wrong_name = f"https://127.0.0.1:{wrong_name.server_address[1]}"
        self.mtls = f"https://127.0.0.1:{mtls.server_address[1]}"
        self.spa = f"http://127.0.0.1:{spa.server_address[1]}"
        self.silent = f"http://127.0.0.1:{silent_port}"
        self.silent_https = f"https://127.0.0.1:{silent_port}"
        self.refused = f"http://127.0.0.1:{unused_port()}"
        self.ca_file = ca.ca_file
        self.client_cert = client_cert
        self.client_key = client_key
        self.http_app = http.app


@contextlib.contextmanager
def running_apps():
    """Start every app; yields an Apps. Everything is stopped and its files removed afterwards."""
    with contextlib.ExitStack() as stack:
        directory = stack.enter_context(tempfile.TemporaryDirectory(prefix="golive-http-"))
        ca = TestCA(directory)
        client_cert, client_key = ca.issue("client", ["probe.shop.test"], ExtendedKeyUsageOID.CLIENT_AUTH)
        https = stack.enter_context(serving(LoopbackServer(
            AppState(), ca.server_context("shop", ["shop.test", "localhost", "127.0.0.1"]))))
        wrong_name = stack.enter_context(serving(LoopbackServer(
            AppState(), ca.server_context("other", ["other.test"]))))
        mtls = stack.enter_context(serving(LoopbackServer(
            AppState(), ca.server_context("mtls", ["127.0.0.1"], require_client_cert=True))))
        http_app = AppState()
        http_app.https_port = https.server_address[1]
        http = stack.enter_context(serving(LoopbackServer(http_app)))
        spa = stack.enter_context(serving(LoopbackServer(AppState(soft_404=True))))
        silent_port = stack.enter_context(silent_socket())
        yield Apps(http, https, wrong_name, mtls, spa, silent_port, ca, client_cert, client_key)
