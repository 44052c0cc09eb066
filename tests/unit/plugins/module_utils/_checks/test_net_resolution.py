"""Name resolution is bounded by the check's time: _net.resolve with a resolver that never answers, and every
network kind run in a network namespace whose only nameserver is a silent UDP socket on its own 127.0.0.1.

glibc reads /etc/resolv.conf only; ``ip netns exec`` mounts /etc/netns/<ns>/resolv.conf over it for the child.
No packet leaves the namespace: it has nothing but its loopback interface.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._check import CheckError
from ansible_collections.golive.readiness.plugins.module_utils._net import connect_tcp, resolve

from ._child_check import run_in_child

# A name in no hosts file: the resolver must ask the nameserver for it.
HUNG_NAME = "hung.golive-readiness.test"
CHECK_TIMEOUT = 3.0
# The silent nameserver would hold a lookup for 3 attempts of 30 s; the check must give up long before.
GIVEN_UP_WITHIN = 20.0


# --- _net.resolve with an injected resolver -----------------------------------------------------

def test_a_resolver_that_never_answers_is_given_up_on_after_the_time_given():
    release = threading.Event()

    def never_answers(*dummy):
        release.wait(60)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    started = time.monotonic()
    try:
        with pytest.raises(CheckError, match=r"^resolving db\.example\.com timed out after \d+ms$"):
            resolve("db.example.com", 5432, 0.3, getaddrinfo=never_answers)
    finally:
        release.set()
    assert 0.3 <= time.monotonic() - started < 10


def test_a_resolver_that_answers_gives_each_address_once():
    answers = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 80))] * 2 + [
        (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", 80, 0, 0))]

    def answering(host, port, family, socktype):
        assert (host, port, family, socktype) == ("web.example.com", 80, 0, socket.SOCK_STREAM)
        return answers

    assert resolve("web.example.com", 80, 1.0, getaddrinfo=answering) == [
        (socket.AF_INET, socket.SOCK_STREAM, 6, ("127.0.0.1", 80)),
        (socket.AF_INET6, socket.SOCK_STREAM, 6, ("::1", 80, 0, 0))]


def test_a_resolver_that_cannot_resolve_says_why():
    def unknown(*dummy):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(CheckError, match=r"^cannot resolve nowhere\.example\.com: Name or service not known$"):
        resolve("nowhere.example.com", 80, 1.0, getaddrinfo=unknown)


def test_connect_tcp_connects_to_a_listening_socket_within_the_time():
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        with connect_tcp("127.0.0.1", port, 2.0) as sock:
            assert sock.getpeername() == ("127.0.0.1", port)
            assert 0 < sock.gettimeout() <= 2.0


# --- every network kind, under a real silent nameserver -----------------------------------------

_SILENT_NAMESERVER = textwrap.dedent("""
    import socket, sys
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 53))
    print("ready", flush=True)
    while True:
        sock.recvfrom(4096)
        print("query", flush=True)
""")


class SilentNamespace(object):
    """A network namespace with its loopback up, whose resolv.conf names a nameserver that never answers."""

    def __init__(self):
        self.name = f"golive_t_{uuid.uuid4().hex[:10]}"
        self.etc = os.path.join("/etc/netns", self.name)
        self.made_netns_dir = not os.path.isdir("/etc/netns")
        self.nameserver = None
        self.queries = 0

    @property
    def prefix(self):
        return ("ip", "netns", "exec", self.name)

    def start(self):
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        subprocess.run([*self.prefix, "ip", "link", "set", "lo", "up"], check=True)
        os.makedirs(self.etc)
        with open(os.path.join(self.etc, "resolv.conf"), "w", encoding="utf-8") as handle:
            handle.write("nameserver 127.0.0.1\noptions timeout:30 attempts:3\n")
        self.nameserver = subprocess.Popen([*self.prefix, sys.executable, "-c", _SILENT_NAMESERVER],
                                           stdout=subprocess.PIPE, text=True)
        assert self.nameserver.stdout.readline().strip() == "ready"
        threading.Thread(target=self._count_queries, daemon=True).start()

    def _count_queries(self):
        for line in self.nameserver.stdout:
            if line.strip() == "query":
                self.queries += 1

    def stop(self):
        if self.nameserver is not None:
            self.nameserver.kill()
            self.nameserver.wait()
        shutil.rmtree(self.etc, ignore_errors=True)
        if self.made_netns_dir:
            shutil.rmtree("/etc/netns", ignore_errors=True)
        subprocess.run(["ip", "netns", "delete", self.name], check=False)


def _can_make_namespaces():
    return os.geteuid() == 0 and shutil.which("ip") is not None


@pytest.fixture(scope="module")
def silent_namespace():
    if not _can_make_namespaces():
        pytest.skip("creating a network namespace needs root and iproute2")
    namespace = SilentNamespace()
    try:
        namespace.start()
        yield namespace
    finally:
        namespace.stop()


NETWORK_ITEMS = {
    "tcp_port": ("tcp_port", dict(host=HUNG_NAME, port=5432)),
    "http_endpoint": ("http_endpoint", dict(url=f"http://{HUNG_NAME}/health")),
    "tls_certificate": ("tls_certificate", dict(host=HUNG_NAME, port=443)),
    "smtp_server": ("smtp_server", dict(host=HUNG_NAME, port=25)),
    "redis": ("redis", dict(host=HUNG_NAME)),
    "prometheus_targets": ("prometheus_targets", dict(url=f"http://{HUNG_NAME}:9090")),
    "prometheus_query": ("prometheus_query", dict(url=f"http://{HUNG_NAME}:9090", query="up")),
    "alertmanager": ("alertmanager", dict(url=f"http://{HUNG_NAME}:9093")),
    "time_sync": ("time_sync", dict(ntp_servers=[HUNG_NAME])),
    "stripe_account": ("stripe_account", dict(secret_key="sk_test_" + "0" * 24, api_base=f"https://{HUNG_NAME}")),
    # The database drivers resolve names themselves (libpq, PyMySQL); every database kind connects through _db.
    "db_server-postgresql": ("db_server", dict(url=f"postgresql+psycopg://app@{HUNG_NAME}/shop")),
    "db_server-mariadb": ("db_server", dict(url=f"mysql+pymysql://app@{HUNG_NAME}/shop")),
}


@pytest.mark.parametrize("case", sorted(NETWORK_ITEMS))
def test_a_silent_nameserver_is_an_error_within_the_checks_time(silent_namespace, case):
    kind, item = NETWORK_ITEMS[case]
    queries_before = silent_namespace.queries
    started = time.monotonic()
    record = run_in_child(kind, item, timeout=CHECK_TIMEOUT, prefix=silent_namespace.prefix)[0]
    took = time.monotonic() - started
    assert record["status"] == "error", record
    assert f"resolving {HUNG_NAME} timed out after " in record["summary"]
    assert record["duration_ms"] <= CHECK_TIMEOUT * 1000
    assert took < GIVEN_UP_WITHIN
    assert silent_namespace.queries > queries_before  # the name was really asked for, and never answered
