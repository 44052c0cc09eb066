"""A real HTTP webhook receiver on 127.0.0.1 that records every request and answers from a script."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Longest a "hang" answer holds the request open (the receiver is released sooner when stopped).
HANG_SECONDS = 120


def unused_port():
    """A 127.0.0.1 port nothing listens on right now (chosen by the kernel, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answer(status=200, body="ok", headers=None):
    """One scripted answer: HTTP status, body text, extra headers."""
    return dict(kind="answer", status=status, body=body, headers=dict(headers or {}))


def hang():
    """A scripted answer that reads the request and never responds."""
    return dict(kind="hang")


def trickle(pause):
    """A scripted answer sent one byte every ``pause`` seconds (until HANG_SECONDS or the receiver stops):
    the connection is never idle long enough for a read timeout."""
    return dict(kind="trickle", pause=pause)


class Receiver(object):
    """Answers requests in script order (the last answer repeats) and records them."""

    def __init__(self, script):
        self.script = list(script) or [answer()]
        self.requests = []
        self.released = threading.Event()
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs=dict(poll_interval=0.05),
                                        daemon=True)

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def payloads(self):
        return [json.loads(request["body"]) for request in self.requests]

    def _next(self, request):
        with self._lock:
            index = len(self.requests)
            self.requests.append(request)
        return self.script[min(index, len(self.script) - 1)]

    def _handler_class(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8")
                step = receiver._next(dict(path=self.path, headers=dict(self.headers), body=body,
                                           at=time.monotonic()))
                if step["kind"] == "hang":
                    receiver.released.wait(HANG_SECONDS)
                    self.close_connection = True
                    return
                if step["kind"] == "trickle":
                    self._trickle(step["pause"])
                    return
                data = step["body"].encode("utf-8")
                self.send_response(step["status"])
                for name, value in step["headers"].items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _trickle(self, pause):
                self.close_connection = True
                answer_bytes = b"HTTP/1.1 200 OK\r\nX-Padding: " + b"x" * 10000
                deadline = time.monotonic() + HANG_SECONDS
                for index in range(len(answer_bytes)):
                    if receiver.released.wait(pause) or time.monotonic() > deadline:
                        return
                    try:
                        self.wfile.write(answer_bytes[index:index + 1])
                        self.wfile.flush()
                    except OSError:
                        return

            def log_message(self, *args):
                pass

        return Handler

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self.released.set()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(10)


@contextlib.contextmanager
def running_receiver(*script):
    """A started Receiver answering with ``script``; stopped (hanging requests released) on exit."""
    receiver = Receiver(script).start()
    try:
        yield receiver
    finally:
        receiver.stop()
