"""HTTP servers nobody here wrote, started on 127.0.0.1 for the http_endpoint tests (private test helper).

- nginx (Debian package, a throwaway instance: its own config, prefix, pid, logs and temp paths in a temp
  directory): plain http redirecting to https, https with a certificate of the test CA, HSTS, security
  headers, CORS for one origin, auth_basic, limit_req, gzip (so chunked answers) and keep-alive, plus a
  name-based virtual host ``shop.test`` whose certificate names only that host;
- gunicorn with its default sync worker, which answers every request with ``Connection: close``, over http
  and over https;
- ``python3 -m http.server``, an HTTP/1.0 server that closes the connection after each answer;
- uvicorn (ASGI), keep-alive and chunked streaming answers.

Each runs in its own process group and is killed at the end; each is waited for (bounded) until its ports
accept connections. A missing program fails loudly: scripts/setup installs them.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time

from cryptography.x509.oid import ExtendedKeyUsageOID

from ._http_apps import ALLOWED_ORIGIN, HEALTH, TestCA
from ._ports import unused_port

NGINX = "/usr/sbin/nginx"
STARTUP_SECONDS = 60
VHOST = "shop.test"
BASIC_USER, BASIC_PASSWORD = "ops", "nginx-pw-6b1f0c9d2e"
LIMIT_BURST = 3  # nginx lets this many requests through after the first, then answers 429
BIG_ITEMS = 5000  # /big.json: about 60 KB of JSON, a few KB gzip-compressed

WSGI_APP = textwrap.dedent('''\
    """A tiny WSGI app for gunicorn: JSON, a streamed answer without Content-Length, and a gzip one."""
    import gzip
    import json

    HEALTH = json.dumps(%(health)r).encode()


    def app(environ, start_response):
        path = environ["PATH_INFO"]
        if path == "/health":
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(HEALTH)))])
            return [HEALTH]
        if path == "/stream":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [HEALTH[:10], HEALTH[10:]]
        if path == "/gzip":
            body = gzip.compress(HEALTH)
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Encoding", "gzip"),
                                      ("Content-Length", str(len(body)))])
            return [body]
        start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "9")])
        return [b"not found"]
    ''') % {"health": HEALTH}

ASGI_APP = textwrap.dedent('''\
    """A tiny ASGI app for uvicorn: JSON with Content-Length, and a chunked stream."""
    import json

    HEALTH = json.dumps(%(health)r).encode()


    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        if scope["path"] == "/stream":
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json")]})
            for start in range(0, len(HEALTH), 7):
                await send({"type": "http.response.body", "body": HEALTH[start:start + 7], "more_body": True})
            await send({"type": "http.response.body", "body": b""})
            return
        status, body = (200, HEALTH) if scope["path"] == "/health" else (404, b"not found")
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
    ''') % {"health": HEALTH}


def nginx_config(directory, http_port, https_port, certs):
    """nginx.conf of the throwaway instance: every path it writes lies in ``directory``."""
    health = json.dumps(HEALTH)
    return textwrap.dedent("""\
        worker_processes 1;
        daemon off;
        pid {d}/nginx.pid;
        error_log {d}/error.log warn;
        events {{ worker_connections 128; }}
        http {{
            access_log off;
            client_body_temp_path {d}/tmp/body;
            proxy_temp_path {d}/tmp/proxy;
            fastcgi_temp_path {d}/tmp/fastcgi;
            uwsgi_temp_path {d}/tmp/uwsgi;
            scgi_temp_path {d}/tmp/scgi;
            default_type application/octet-stream;
            types {{ application/json json; text/html html; }}
            server_tokens off;
            keepalive_timeout 30s;
            gzip on;
            gzip_min_length 1;
            gzip_types application/json text/plain;
            limit_req_zone $binary_remote_addr zone=burst:1m rate=1r/m;
            map $http_origin $cors_origin {{ default ""; "{origin}" $http_origin; }}

            server {{
                listen 127.0.0.1:{http_port};
                location = /health {{ default_type application/json; return 200 '{health}'; }}
                location = /elsewhere {{ return 302 http://localhost:{http_port}/health; }}
                location / {{ return 301 https://127.0.0.1:{https_port}$request_uri; }}
            }}

            server {{
                listen 127.0.0.1:{https_port} ssl default_server;
                ssl_certificate {cert};
                ssl_certificate_key {key};
                root {d}/www;
                add_header Strict-Transport-Security "max-age=63072000; includeSubDomains" always;
                add_header X-Content-Type-Options nosniff always;
                add_header X-Frame-Options DENY always;
                add_header Content-Security-Policy "default-src 'self'" always;
                add_header Access-Control-Allow-Origin $cors_origin always;
                add_header Vary Origin always;
                location = /health {{ default_type application/json; return 200 '{health}'; }}
                location = /api/orders {{
                    auth_basic "shop";
                    auth_basic_user_file {d}/htpasswd;
                    default_type application/json;
                    alias {d}/www/orders.json;
                }}
                location = /limited {{
                    limit_req zone=burst burst={burst} nodelay;
                    limit_req_status 429;
                    default_type text/plain;
                    alias {d}/www/ok.txt;
                }}
            }}

            server {{
                listen 127.0.0.1:{https_port} ssl;
                server_name {vhost};
                ssl_certificate {vhost_cert};
                ssl_certificate_key {vhost_key};
                location = /moved {{ return 302 https://$host:{https_port}/; }}
                location / {{ default_type text/plain; return 200 'the {vhost} virtual host'; }}
            }}
        }}
        """).format(d=directory, http_port=http_port, https_port=https_port, health=health, origin=ALLOWED_ORIGIN,
                    cert=certs["default"][0], key=certs["default"][1], vhost=VHOST, vhost_cert=certs["vhost"][0],
                    vhost_key=certs["vhost"][1], burst=LIMIT_BURST)


def _write(path, content):
    with open(path, "w" if isinstance(content, str) else "wb") as handle:
        handle.write(content)


def _accepts(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


class ServerProcess(object):
    """One server process in its own process group, its output in a log file; stop() kills it."""

    def __init__(self, name, argv, directory, ports, env=None):
        self.name = name
        self.ports = ports
        self.log_path = os.path.join(directory, f"{name}.log")
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(argv, cwd=directory, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True,
                                            env=dict(os.environ, **(env or {})))

    def log(self):
        with open(self.log_path, errors="replace") as handle:
            return handle.read()[-4000:]

    def wait_ready(self):
        ends = time.monotonic() + STARTUP_SECONDS
        for port in self.ports:
            while not _accepts(port):
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log()}")
                if time.monotonic() > ends:
                    raise RuntimeError(f"{self.name}: port {port} not listening after {STARTUP_SECONDS}s:\n"
                                       f"{self.log()}")
                time.sleep(0.1)
        return self

    def stop(self):
        if self.process.poll() is None:
            with contextlib.suppress(OSError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


class RealServers(object):
    """Base URLs of the running servers, the CA file that verifies their certificates, and nginx's facts."""

    def __init__(self, ca_file, ports):
        self.ca_file = ca_file
        self.nginx_http = f'http://127.0.0.1:{ports["nginx_http"]}'
        self.nginx_https = f'https://127.0.0.1:{ports["nginx_https"]}'
        self.gunicorn = f'http://127.0.0.1:{ports["gunicorn"]}'
        self.gunicorn_https = f'https://127.0.0.1:{ports["gunicorn_https"]}'
        self.http_server = f'http://127.0.0.1:{ports["http_server"]}'
        self.uvicorn = f'http://127.0.0.1:{ports["uvicorn"]}'


def _nginx_files(directory, ca):
    os.makedirs(os.path.join(directory, "tmp"))
    www = os.path.join(directory, "www")
    os.makedirs(www)
    _write(os.path.join(www, "orders.json"), json.dumps({"user": BASIC_USER, "orders": 3}))
    _write(os.path.join(www, "ok.txt"), "ok\n")
    _write(os.path.join(www, "big.json"), json.dumps({"items": [f"item-{i:05d}" for i in range(BIG_ITEMS)]}))
    _write(os.path.join(www, "index.html"), "<html><body>Welcome to the shop</body></html>\n")
    # nginx reads {PLAIN} passwords: no crypt() scheme is needed for a test user.
    _write(os.path.join(directory, "htpasswd"), f"{BASIC_USER}:{{PLAIN}}{BASIC_PASSWORD}\n")
    return dict(default=ca.issue("nginx", ["127.0.0.1"], ExtendedKeyUsageOID.SERVER_AUTH),
                vhost=ca.issue("vhost", [VHOST], ExtendedKeyUsageOID.SERVER_AUTH))


def _nginx(directory, ca, ports):
    if not os.access(NGINX, os.X_OK):
        raise RuntimeError(f"{NGINX} is not installed; scripts/setup installs it (Debian package nginx)")
    certs = _nginx_files(directory, ca)
    config = os.path.join(directory, "nginx.conf")
    _write(config, nginx_config(directory, ports["nginx_http"], ports["nginx_https"], certs))
    # -e: nginx opens its error log before it reads the config; keep even that one in the temp directory.
    argv = [NGINX, "-p", directory, "-c", config, "-e", os.path.join(directory, "error.log")]
    return ServerProcess("nginx", argv, directory, [ports["nginx_http"], ports["nginx_https"]])


def _gunicorn(directory, port, tls=None):
    argv = [os.path.join(os.path.dirname(sys.executable), "gunicorn"), "--worker-class", "sync", "--workers", "1",
            "--bind", f"127.0.0.1:{port}", "--chdir", directory, "--graceful-timeout", "1"]
    if tls:
        argv += ["--certfile", tls[0], "--keyfile", tls[1]]
    return ServerProcess(f'gunicorn-{"https" if tls else "http"}', [*argv, "wsgi_app:app"], directory, [port])


def _http_server(directory, port):
    www = os.path.join(directory, "static")
    os.makedirs(www)
    _write(os.path.join(www, "health.json"), json.dumps(HEALTH))
    _write(os.path.join(www, "health.json.gz"), gzip.compress(json.dumps(HEALTH).encode()))
    argv = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "--directory", www, str(port)]
    return ServerProcess("http.server", argv, directory, [port])


def _uvicorn(directory, port):
    argv = [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port), "--lifespan", "off",
            "--no-access-log", "--app-dir", directory, "asgi_app:app"]
    return ServerProcess("uvicorn", argv, directory, [port])


@contextlib.contextmanager
def real_servers():
    """Start nginx, gunicorn (http and https), http.server and uvicorn on 127.0.0.1; yields RealServers."""
    directory = tempfile.mkdtemp(prefix="golive-realhttp-")
    # nginx started as root serves files as its unprivileged worker user: the pages must be readable to it.
    os.chmod(directory, 0o755)
    started = []
    try:
        ca = TestCA(directory)
        _write(os.path.join(directory, "wsgi_app.py"), WSGI_APP)
        _write(os.path.join(directory, "asgi_app.py"), ASGI_APP)
        ports = dict((name, unused_port()) for name in (
            "nginx_http", "nginx_https", "gunicorn", "gunicorn_https", "http_server", "uvicorn"))
        gunicorn_tls = ca.issue("gunicorn", ["127.0.0.1"], ExtendedKeyUsageOID.SERVER_AUTH)
        for start in (lambda: _nginx(os.path.join(directory, "nginx"), ca, ports),
                      lambda: _gunicorn(directory, ports["gunicorn"]),
                      lambda: _gunicorn(directory, ports["gunicorn_https"], gunicorn_tls),
                      lambda: _http_server(directory, ports["http_server"]),
                      lambda: _uvicorn(directory, ports["uvicorn"])):
            started.append(start())
        for server in started:
            server.wait_ready()
        yield RealServers(ca.ca_file, ports)
    finally:
        for server in started:
            server.stop()
        shutil.rmtree(directory, ignore_errors=True)
