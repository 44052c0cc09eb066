"""A throwaway PostgreSQL primary with a streaming replica on free 127.0.0.1 ports, for the database tests.

Both instances live in one temporary directory owned by the ``postgres`` user (PostgreSQL refuses to run
as root) and are driven with ``runuser -u postgres -- initdb / pg_ctl / pg_basebackup``. The primary
accepts the ``postgres`` superuser without a password (trust, loopback only) and ``PASSWORD_ROLE`` only
with its password (scram-sha-256), and offers TLS with a self-signed certificate made for the run.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time

from ._ports import unused_port

PG_BIN = os.environ.get("GOLIVE_PG_BIN", "/usr/lib/postgresql/15/bin")
PASSWORD_ROLE = "golive_pw"
PASSWORD = "Pw-5ecret-cluster-9f3c"
_HBA = f"""\
local all all trust
host all {PASSWORD_ROLE} 127.0.0.1/32 scram-sha-256
host all all 127.0.0.1/32 trust
host replication all 127.0.0.1/32 trust
"""


def available():
    """Whether this machine can run the cluster: the binaries and the postgres user exist, and we are root."""
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return False
    return os.geteuid() == 0 and os.path.exists(os.path.join(PG_BIN, "initdb")) and bool(shutil.which("runuser"))


def _as_postgres(argv, cwd, timeout=60):
    done = subprocess.run(["runuser", "-u", "postgres", "--", *argv], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed ({done.returncode}): {done.stdout}{done.stderr}")
    return done.stdout


def _chown_postgres(path):
    entry = pwd.getpwnam("postgres")
    os.chown(path, entry.pw_uid, entry.pw_gid)


class PgInstance(object):
    """One PostgreSQL server of the cluster: its data directory, port and log."""

    def __init__(self, base, name, port):
        self.base = base
        self.name = name
        self.port = port
        self.datadir = os.path.join(base, name)
        self.log = os.path.join(base, f"{name}.log")
        self.running = False

    def url(self, user="postgres", password=None, database="postgres", query=""):
        auth = user if password is None else f"{user}:{password}"
        return f"postgresql+psycopg://{auth}@127.0.0.1:{self.port}/{database}{query}"

    def pg_ctl(self, *args):
        return _as_postgres([os.path.join(PG_BIN, "pg_ctl"), "-D", self.datadir, *args], self.base)

    def start(self):
        self.pg_ctl("-l", self.log, "-w", "-t", "60", "start")
        self.running = True

    def stop(self, mode="fast"):
        if self.running:
            self.pg_ctl("-w", "-t", "60", "-m", mode, "stop")
            self.running = False

    def psql(self, sql):
        """Run SQL as the superuser over the instance's Unix socket; its output, unaligned."""
        return _as_postgres([os.path.join(PG_BIN, "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                             "-h", self.base, "-p", str(self.port), "-U", "postgres", "-d", "postgres",
                             "-c", sql], self.base).strip()

    def append_conf(self, text):
        with open(os.path.join(self.datadir, "postgresql.conf"), "a") as conf:
            conf.write(text)


def _make_certificate(datadir):
    key, cert = os.path.join(datadir, "server.key"), os.path.join(datadir, "server.crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                    "/CN=127.0.0.1", "-keyout", key, "-out", cert], capture_output=True, timeout=60, check=True)
    for path in (key, cert):
        _chown_postgres(path)
    os.chmod(key, 0o600)


class PgCluster(object):
    """A primary, and after start_replica() a replica streaming from it."""

    def __init__(self):
        # A short path of its own: it also holds the Unix sockets, whose paths are limited to ~100 bytes.
        self.base = tempfile.mkdtemp(prefix="golive-pg-")
        _chown_postgres(self.base)
        self.primary = PgInstance(self.base, "primary", unused_port())
        self.replica = None

    def start_primary(self):
        primary = self.primary
        _as_postgres([os.path.join(PG_BIN, "initdb"), "-D", primary.datadir, "-U", "postgres", "-A", "trust",
                      "--no-sync"], self.base, timeout=120)
        with open(os.path.join(primary.datadir, "pg_hba.conf"), "w") as hba:
            hba.write(_HBA)
        _make_certificate(primary.datadir)
        primary.append_conf(f"\nlisten_addresses = '127.0.0.1'\nport = {primary.port}\n"
                            f"unix_socket_directories = '{self.base}'\n"
                            "fsync = off\nssl = on\nmax_connections = 20\n"
                            "password_encryption = 'scram-sha-256'\n")
        primary.start()
        primary.psql(f"CREATE ROLE {PASSWORD_ROLE} LOGIN PASSWORD '{PASSWORD}'")
        return primary

    def start_replica(self, timeout=60):
        self.replica = PgInstance(self.base, "replica", unused_port())
        _as_postgres([os.path.join(PG_BIN, "pg_basebackup"), "-h", "127.0.0.1", "-p", str(self.primary.port),
                      "-U", "postgres", "-D", self.replica.datadir, "-R", "-X", "stream", "--no-sync"],
                     self.base, timeout=120)
        self.replica.append_conf(f"\nport = {self.replica.port}\n")
        self.replica.start()
        self.wait_streaming(timeout)
        return self.replica

    def wait_streaming(self, timeout=60):
        """Until the primary reports the replica streaming in pg_stat_replication."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.primary.psql("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'") == "1":
                return
            time.sleep(0.2)
        raise RuntimeError(f"the replica did not start streaming within {timeout}s")

    def write_and_wait_replayed(self, timeout=30):
        """Commit a transaction on the primary and wait until the replica has replayed it."""
        self.primary.psql("CREATE TABLE IF NOT EXISTS golive_tick (at timestamptz); "
                          "INSERT INTO golive_tick VALUES (now())")
        lsn = self.primary.psql("SELECT pg_current_wal_lsn()")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.replica.psql(f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn") == "t":
                return
            time.sleep(0.1)
        raise RuntimeError(f"the replica did not replay {lsn} within {timeout}s")

    def stop(self):
        for instance in (self.replica, self.primary):
            if instance is not None:
                with contextlib.suppress(Exception):
                    instance.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)


@contextlib.contextmanager
def pg_cluster(replica=True):
    """A started primary (and replica), stopped and removed at the end."""
    cluster = PgCluster()
    try:
        cluster.start_primary()
        if replica:
            cluster.start_replica()
        yield cluster
    finally:
        cluster.stop()
