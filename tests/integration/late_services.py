"""Services that come up during a run, as right after a deploy, for the tests of the wait option."""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import threading

APP_START_DELAY = 1.0


def unused_port():
    """A 127.0.0.1 port nothing listens on right now (bound by the kernel's choice, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def accepts(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


def http_server_process(port, directory):
    """``python -m http.server`` on a loopback port: a real server in a process of its own."""
    return subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"], cwd=directory,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class LateApp(object):
    """An application behind its front, as a deploy leaves them: the front (a real HTTP server, like a reverse
    proxy before its upstream) answers 502 until the app accepts connections, then 200. The app, ``python -m
    http.server`` on ``app_port``, is started APP_START_DELAY after the front answered its first request, so
    whoever asked the front first is sure to have seen the app down, however loaded the machine."""

    def __init__(self, directory):
        self.directory = directory
        self.app_port = unused_port()
        self.app = None
        self.requests = 0
        self._lock = threading.Lock()
        self._timer = None
        self.front = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.front_port = self.front.server_address[1]
        self._thread = threading.Thread(target=self.front.serve_forever, daemon=True)

    def _handler(self):
        late_app = self

        class Front(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                status = 200 if accepts(late_app.app_port) else 502
                body = b"up\n" if status == 200 else b"bad gateway: the app is not up yet\n"
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                late_app.answered(status)

            def log_message(self, *args):
                pass
        return Front

    def answered(self, status):
        with self._lock:
            self.requests += 1
            if status == 502 and self._timer is None:
                self._timer = threading.Timer(APP_START_DELAY, self.start_app)
                self._timer.start()

    def start_app(self):
        self.app = http_server_process(self.app_port, self.directory)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        if self._timer is not None:
            self._timer.cancel()
        self.front.shutdown()
        self.front.server_close()
        if self.app is not None:
            self.app.terminate()
            self.app.wait(10)


def served_directory(tmp_path):
    directory = os.path.join(str(tmp_path), "www")
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "index.html"), "w") as handle:
        handle.write("up\n")
    return directory
