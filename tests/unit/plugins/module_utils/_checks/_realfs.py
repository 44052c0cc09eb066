"""Real filesystems and real users for the host check tests: tmpfs mounts, and checks run as another user."""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._module import validated_item
from ansible_collections.golive.readiness.plugins.module_utils._registry import KINDS

TESTS = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(TESTS, "..", "..", "..", "..", ".."))
COLLECTIONS = os.path.join(REPO, ".collections")


def require_root():
    if os.geteuid() != 0:
        pytest.skip("needs root (mounts, chown, switching users)")


@contextlib.contextmanager
def tmpfs(where, options="size=4m"):
    """A real tmpfs mounted on ``where`` for the duration of the block."""
    require_root()
    os.makedirs(where, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "golive-test", where],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", where], check=True)


def nobody():
    """The unprivileged 'nobody' account of this host."""
    try:
        return pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("this host has no 'nobody' user")


def become(user):
    """A preexec_fn switching a child process to ``user`` (a pwd entry) with all its groups."""
    def switch():
        os.setgroups(os.getgrouplist(user.pw_name, user.pw_gid))
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)
    return switch


def _runs_as(user, python):
    try:
        done = subprocess.run([python, "-c", "pass"], preexec_fn=become(user), capture_output=True, check=False)
        return done.returncode == 0
    except OSError:  # the interpreter itself is out of the user's reach
        return False


def _python_for(user):
    """A Python interpreter the given user may execute (a venv under /root may not be)."""
    for candidate in (sys.executable, shutil.which("python3", path="/usr/local/bin:/usr/bin:/bin")):
        if candidate and _runs_as(user, candidate):
            return candidate
    pytest.skip(f"no Python interpreter executable by {user.pw_name}")


_RUN_AS = """
import json, sys
sys.path.insert(0, sys.argv[1])
import importlib
from ansible_collections.golive.readiness.plugins.module_utils._runner import CheckContext, PreparedCheck, run_one
kind = importlib.import_module("ansible_collections.golive.readiness.plugins.module_utils._checks." + sys.argv[2])
item = json.loads(sys.argv[3])
outcome = run_one(PreparedCheck(item, "id", "title", kind, kind.prepare(item), 10.0))
print(json.dumps(dict(status=outcome.status, summary=outcome.summary, observed=outcome.observed)))
"""


def _validated(kind, item):
    """The item as prepare() receives it from every module: validated, defaults applied (done here, where
    Ansible is importable; the child's interpreter may lack it)."""
    return validated_item({name: value for name, value in item.items() if value is not None}, KINDS[kind])


def run_check_as(user, kind, item):
    """Run one check of ``kind`` in a child process as ``user`` (a pwd entry); returns its outcome as a dict."""
    require_root()
    done = subprocess.run([_python_for(user), "-c", _RUN_AS, COLLECTIONS, kind, json.dumps(_validated(kind, item))],
                          preexec_fn=become(user), capture_output=True, text=True, cwd="/", timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def run_check_without_proc(kind, item):
    """Run one check in a private mount namespace where /proc is an empty tmpfs; returns its outcome as a dict."""
    require_root()
    unshare = shutil.which("unshare")
    if not unshare:
        pytest.skip("unshare is not installed")
    script = 'mount -t tmpfs golive-noproc /proc && exec "$0" -c "$1" "$2" "$3" "$4"'
    done = subprocess.run([unshare, "--mount", "--propagation", "private", "sh", "-c", script,
                           sys.executable, _RUN_AS, COLLECTIONS, kind, json.dumps(_validated(kind, item))],
                          capture_output=True, text=True, cwd="/", timeout=60, check=False)
    if done.returncode != 0 and "unshare" in done.stderr:
        pytest.skip(f"cannot create a mount namespace: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


_ACCESS = "import os, sys; print(os.access(sys.argv[1], int(sys.argv[2])))"


def kernel_allows(user, path, mode):
    """What the kernel answers to access(2) for ``user`` (a pwd entry, all its groups), asked as that user."""
    require_root()
    done = subprocess.run([_python_for(user), "-c", _ACCESS, path, str(mode)], preexec_fn=become(user),
                          capture_output=True, text=True, cwd="/", timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip() == "True"


@contextlib.contextmanager
def searchable_tmp_dir():
    """A fresh directory under the system temp dir that every user may search (pytest's tmp_path is 0700)."""
    where = tempfile.mkdtemp(prefix="golive-test-")
    os.chmod(where, 0o755)
    try:
        yield where
    finally:
        shutil.rmtree(where, ignore_errors=True)
