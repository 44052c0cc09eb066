"""Real TCP servers on 127.0.0.1 for the port tests: a greeting one, a silent one, a replying one, a full one."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

SSH_BANNER = b"SSH-2.0-OpenSSH_9.2 Debian-2\r\n"


class TcpServer(object):
    """A listening socket on 127.0.0.1 whose accepted connections are handed to ``serve(conn)`` in threads."""

    def __init__(self, serve=None, backlog=16):
        self.serve = serve
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(backlog)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.received = []
        self._stopping = threading.Event()
        self._thread = None

    def start(self):
        if self.serve is not None:  # without one, connections complete in the kernel and are never accepted
            self.sock.settimeout(0.1)
            self._thread = threading.Thread(target=self._accept, daemon=True)
            self._thread.start()
        return self

    def _accept(self):
        while not self._stopping.is_set():
            try:
                conn = self.sock.accept()[0]
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn):
        with conn:
            conn.settimeout(5)
            try:
                self.serve(self, conn)
            except OSError:
                pass

    def stop(self):
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(5)
        self.sock.close()


def greet(banner):
    def serve(server, conn):
        conn.sendall(banner)
        conn.recv(1024)  # until the client goes away
    return serve


def reply(request, answer):
    """Answers ``answer`` once it has read ``request`` (a client-speaks-first protocol, like Redis PING)."""
    def serve(server, conn):
        data = b""
        while not data.endswith(request):
            chunk = conn.recv(1024)
            if not chunk:
                return
            data += chunk
        server.received.append(data)
        conn.sendall(answer)
        conn.recv(1024)
    return serve


def hang_up(server, conn):
    """Accepts and closes at once without a word."""


@contextlib.contextmanager
def tcp_server(serve=None):
    server = TcpServer(serve).start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def full_backlog():
    """A port whose accept queue is full: the kernel drops new SYNs, so connecting to it times out."""
    server = TcpServer(None, backlog=0)
    filler = socket.create_connection(("127.0.0.1", server.port), timeout=2)
    try:
        yield server
    finally:
        filler.close()
        server.stop()


def greet_after(seconds, banner):
    """Waits ``seconds`` after accepting, then greets with ``banner``: a healthy but slow endpoint."""
    def serve(server, conn):
        time.sleep(seconds)
        conn.sendall(banner)
        conn.recv(1024)  # until the client goes away
    return serve
