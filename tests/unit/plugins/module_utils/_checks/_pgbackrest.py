"""Real pgBackRest backups of a throwaway PostgreSQL cluster, and the catalog `pgbackrest info --output=json` prints.

The cluster listens only on a Unix socket in a temporary directory owned by ``postgres`` (PostgreSQL and
pgBackRest refuse to run as root); its archive_command is pgBackRest's archive-push, so the repository holds
the cluster's WAL as production's would. Two stanzas share the cluster: ``demo`` gets a full, a differential
and an incremental backup, ``empty`` none (pgBackRest reports it with status 2, no valid backups).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile

from ._pg_cluster import PG_BIN, available

_PORT = 5499  # only the name of the socket file: the cluster listens on no TCP port


def pgbackrest_available():
    return available() and shutil.which("pgbackrest") is not None


def _as_postgres(argv, cwd, timeout=120):
    done = subprocess.run(["runuser", "-u", "postgres", "--", *argv], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{argv[0]} {argv[1:3]} failed ({done.returncode}): {done.stdout}{done.stderr}")
    return done.stdout


def _configuration(base):
    stanza = f"pg1-path={base}/data\npg1-port={_PORT}\npg1-socket-path={base}\n"
    return (f"[global]\nrepo1-path={base}/repo\nrepo1-retention-full=10\nlock-path={base}/lock\n"
            f"spool-path={base}/spool\nlog-path={base}/log\nlog-level-console=warn\nlog-level-file=off\n"
            f"compress-type=none\nstart-fast=y\n\n[demo]\n{stanza}\n[empty]\n{stanza}")


def pgbackrest_info_json():
    """The text `pgbackrest info --output=json` printed after real backups (the cluster is gone afterwards)."""
    base = tempfile.mkdtemp(prefix="golive-pgbackrest-")
    entry = pwd.getpwnam("postgres")
    os.chown(base, entry.pw_uid, entry.pw_gid)
    config = os.path.join(base, "pgbackrest.conf")
    with open(config, "w") as handle:
        handle.write(_configuration(base))
    pgbackrest = ["pgbackrest", f"--config={config}"]
    data = os.path.join(base, "data")
    started = False
    try:
        _as_postgres([os.path.join(PG_BIN, "initdb"), "-D", data, "-A", "trust"], base)
        with open(os.path.join(data, "postgresql.conf"), "a") as handle:
            handle.write(f"port={_PORT}\nlisten_addresses=''\nunix_socket_directories='{base}'\narchive_mode=on\n"
                         f"archive_command='pgbackrest --config={config} --stanza=demo archive-push %p'\n")
        _as_postgres([os.path.join(PG_BIN, "pg_ctl"), "-D", data, "-l", os.path.join(base, "server.log"), "-w",
                      "-t", "60", "start"], base)
        started = True
        for stanza in ("demo", "empty"):
            _as_postgres([*pgbackrest, f"--stanza={stanza}", "stanza-create"], base)
        for backup_type in ("full", "diff", "incr"):
            _as_postgres([*pgbackrest, "--stanza=demo", f"--type={backup_type}", "backup"], base)
        return _as_postgres([*pgbackrest, "--output=json", "info"], base)
    finally:
        if started:
            _as_postgres([os.path.join(PG_BIN, "pg_ctl"), "-D", data, "-w", "-t", "60", "-m", "immediate", "stop"],
                         base)
        shutil.rmtree(base, ignore_errors=True)
