"""Real redis-server instances for the redis tests: started on free 127.0.0.1 ports in temp directories,
waited for until they answer PING, and killed at the end.

Only these instances are ever written to (the tests fill memory, take snapshots, assign cluster slots);
the shared server on 6379 is only read.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time

import redis

from ._ports import unused_port

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
PASSWORD = "Rd-4c1f7e93a2b64d05"  # searched for in every output: it must never appear
ACL_USER = "golive-probe"
ACL_PASSWORD = "Acl-9d2e6b7f31c84a10"


class RedisServer(object):
    """One redis-server subprocess; ``admin()`` is the harness's own client (never the check's)."""

    def __init__(self, *args, password=None, tls=None):
        self.port = unused_port()
        self.directory = tempfile.mkdtemp(prefix="golive-redis-")
        self.password = password
        self.tls = tls  # (ca_file, cert_file, key_file): the TLS port is self.port, plain TCP is off
        argv = [REDIS_SERVER, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", self.directory, "--daemonize", "no", "--loglevel", "warning",
                "--logfile", os.path.join(self.directory, "redis.log")]
        if tls:
            argv += ["--port", "0", "--tls-port", str(self.port), "--tls-ca-cert-file", tls[0],
                     "--tls-cert-file", tls[1], "--tls-key-file", tls[2], "--tls-auth-clients", "no"]
        else:
            argv += ["--port", str(self.port)]
        if password:
            argv += ["--requirepass", password]
        argv += list(args)
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        start_new_session=True)
        try:
            self._wait_for_ping()
        except BaseException:
            self.stop()
            raise

    def admin(self, **kwargs):
        options = dict(host="127.0.0.1", port=self.port, password=self.password, socket_timeout=5,
                       decode_responses=True)
        if self.tls:
            options.update(ssl=True, ssl_ca_certs=self.tls[0])
        options.update(kwargs)
        return redis.Redis(**options)

    def log(self):
        path = os.path.join(self.directory, "redis.log")
        if not os.path.exists(path):
            return ""
        with open(path) as handle:
            return handle.read()

    def _wait_for_ping(self, seconds=10):
        ends = time.monotonic() + seconds
        client = self.admin(socket_timeout=1, socket_connect_timeout=1)
        while True:
            if self.process.poll() is not None:
                raise RuntimeError("redis-server exited with {}: {} {}".format(
                    self.process.returncode, self.process.stderr.read().decode(errors="replace"), self.log()))
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                pass
            if time.monotonic() > ends:
                raise RuntimeError(f"redis-server on port {self.port} did not answer PING: {self.log()}")
            time.sleep(0.05)

    def info(self, section=None):
        return self.admin().info(section) if section else self.admin().info()

    def wait_for(self, predicate, what, seconds=10):
        """Poll INFO until predicate(info) holds."""
        ends = time.monotonic() + seconds
        while not predicate(self.info()):
            if time.monotonic() > ends:
                raise RuntimeError(f"redis-server on port {self.port}: gave up waiting for {what}")
            time.sleep(0.05)

    def stop(self):
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except OSError:
                pass
        self.process.wait()
        self.process.stderr.close()
        shutil.rmtree(self.directory, ignore_errors=True)


def cluster_node():
    """A cluster-mode node with no slots yet (cluster_state:fail). The bus port is chosen too: the default,
    port + 10000, may be beyond 65535 or taken."""
    return redis_server("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                        "--cluster-port", str(unused_port()))


@contextlib.contextmanager
def redis_server(*args, **kwargs):
    server = RedisServer(*args, **kwargs)
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def primary_and_replica(*primary_args, **kwargs):
    """A primary and a replica whose link is up; the primary's pings to replicas are 60s apart, so the
    replica's 'master last heard' grows while nothing is written. ``password`` protects both."""
    password = kwargs.get("password")
    replica_args = ["--masterauth", password] if password else []
    with contextlib.ExitStack() as stack:
        primary = stack.enter_context(redis_server("--repl-ping-replica-period", "60",
                                                   "--repl-diskless-sync-delay", "0", *primary_args,
                                                   password=password))
        replica = stack.enter_context(redis_server(*replica_args, "--replicaof", "127.0.0.1", str(primary.port),
                                                   password=password))
        replica.wait_for(lambda info: info.get("master_link_status") == "up", "the replication link")
        primary.wait_for(lambda info: info.get("slave0", {}).get("state") == "online", "an online replica")
        yield primary, replica


def add_acl_user(server, *rules):
    """An ACL user with ACL_PASSWORD and the given rules (harness-only write)."""
    server.admin().acl_setuser(ACL_USER, enabled=True, passwords=["+" + ACL_PASSWORD], commands=list(rules),
                               reset=True)


def fill_memory(server, percent, chunk=8192):
    """Write values until used_memory reaches ``percent`` of maxmemory, or the server refuses (noeviction)."""
    client = server.admin()
    maxmemory = int(client.info("memory")["maxmemory"])
    index = 0
    while int(client.info("memory")["used_memory"]) < maxmemory * percent / 100.0:
        try:
            client.set(f"fill:{index}", "x" * chunk)
        except redis.exceptions.OutOfMemoryError:
            break
        index += 1
    return 100.0 * int(client.info("memory")["used_memory"]) / maxmemory


def tls_supported():
    """(True, '') when this redis-server was built with TLS, else (False, why)."""
    directory = tempfile.mkdtemp(prefix="golive-redis-tls-probe-")
    try:
        done = subprocess.run([REDIS_SERVER, "--port", "0", "--tls-port", "0", "--dir", directory, "--save", "",
                               "--daemonize", "no"], capture_output=True, text=True, timeout=10, check=False)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    output = done.stdout + done.stderr
    if "tls-port" in output and ("Bad directive" in output or "not supported" in output.lower()):
        return False, f"redis-server here was built without TLS support: {output.strip().splitlines()[-1]}"
    return True, ""
