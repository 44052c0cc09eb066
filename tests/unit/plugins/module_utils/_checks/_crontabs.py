"""Real crontabs for the scheduled_jobs tests: files in the formats cron reads, and the real crontab command."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess

import pytest


class CronTree(object):
    """A user spool directory, a system crontab and a cron.d directory under ``root``, for the check's options."""

    def __init__(self, root):
        self.root = str(root)
        self.spool_dir = os.path.join(self.root, "crontabs")
        self.crontab_file = os.path.join(self.root, "crontab")
        self.cron_d_dir = os.path.join(self.root, "cron.d")
        os.makedirs(self.spool_dir)
        os.makedirs(self.cron_d_dir)

    def options(self, **item):
        return dict(dict(spool_dir=self.spool_dir, crontab_file=self.crontab_file, cron_d_dir=self.cron_d_dir),
                    **item)

    @staticmethod
    def _write(path, text, mode):
        with open(path, "w") as handle:
            handle.write(text)
        os.chmod(path, mode)
        return path

    def user(self, name, text):
        """A user's crontab as `crontab` stores it: no user field, mode 0600."""
        return self._write(os.path.join(self.spool_dir, name), text, 0o600)

    def system(self, text, mode=0o644):
        return self._write(self.crontab_file, text, mode)

    def cron_d(self, name, text, mode=0o644):
        return self._write(os.path.join(self.cron_d_dir, name), text, mode)


def _crontab_binary():
    binary = shutil.which("crontab")
    if binary is None:
        pytest.skip("the crontab command (Debian package cron) is not installed")
    if os.geteuid() != 0:
        pytest.skip("installing another user's crontab needs root")
    return binary


def _run(argv, stdin=None):
    return subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=30, check=False)


@contextlib.contextmanager
def installed_crontab(user, text):
    """``text`` installed as ``user``'s crontab with the real `crontab` command; the previous one is restored."""
    binary = _crontab_binary()
    previous = _run([binary, "-l", "-u", user])
    saved = previous.stdout if previous.returncode == 0 else None
    installed = _run([binary, "-u", user, "-"], stdin=text)
    if installed.returncode != 0:
        pytest.skip(f"crontab refused to install a crontab for {user}: {installed.stderr.strip()}")
    try:
        yield
    finally:
        if saved is None:
            _run([binary, "-r", "-u", user])
        else:
            _run([binary, "-u", user, "-"], stdin=saved)
