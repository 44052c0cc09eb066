# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-only git queries of a checkout for the host check kinds, bounded by the check's time (private).

Only reading commands run (ls-files, check-ignore, tag, describe, rev-parse), with optional locks off
and the repository declared safe for this one invocation only, so a checkout owned by another user
reads without anyone's git configuration being touched. The repository's own configuration could
name programs git runs (an fsmonitor hook); that is switched off.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from ansible_collections.golive.readiness.plugins.module_utils._check import CheckError
from ansible_collections.golive.readiness.plugins.module_utils._processes import (
    end_child,
    kill_process_group,
    start_child,
)

# Where git usually lives, searched after PATH (a module's PATH can be minimal).
_FALLBACK_PATH = "/usr/local/bin:/usr/bin:/bin"
# Environment variables that would point git at another repository or configuration.
_REDIRECTING = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR",
                "GIT_CEILING_DIRECTORIES", "GIT_CONFIG", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT",
                "GIT_NAMESPACE", "GIT_ALTERNATE_OBJECT_DIRECTORIES")


def find_git(executable):
    """The path of the git executable (a name searched on PATH, or a path), or None."""
    if os.sep in executable:
        return executable if os.path.isfile(executable) and os.access(executable, os.X_OK) else None
    return shutil.which(executable) or shutil.which(executable, path=_FALLBACK_PATH)


def repository_top(path):
    """The nearest directory at or above ``path`` holding a ``.git`` entry, or None (not a checkout)."""
    current = os.path.abspath(path)
    while True:
        if os.path.lexists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def _environment():
    env = dict((k, v) for k, v in os.environ.items() if k not in _REDIRECTING and not k.startswith("GIT_CONFIG_"))
    env.update(GIT_OPTIONAL_LOCKS="0", GIT_TERMINAL_PROMPT="0", LC_ALL="C", LANG="C")
    return env


def _first_line(data):
    lines = data.decode("utf-8", errors="replace").strip().splitlines()
    return lines[0][:300] if lines else "no message"


class Checkout(object):
    """A git checkout queried from ``cwd`` (inside the work tree whose top is ``top``)."""

    def __init__(self, git, top, cwd, ctx):
        self.git = git
        self.top = top
        self.cwd = cwd
        self.ctx = ctx

    def run(self, args, stdin=None, ok_codes=(0,)):
        """(exit code, stdout bytes) of ``git <args>``; CheckError when it fails, times out or cannot start."""
        argv = [self.git, "-c", f"safe.directory={self.top}", "-c", "core.fsmonitor=false", "-C", self.cwd]
        argv.extend(args)
        try:
            proc = start_child(argv, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_environment())
        except OSError as exc:
            raise CheckError(f"cannot run {self.git}: {exc.strerror or exc}") from None
        budget = self.ctx.child_timeout()
        try:
            out, err = proc.communicate(stdin, timeout=budget)
        except subprocess.TimeoutExpired:
            kill_process_group(proc)
            raise CheckError(f"git {args[0]} did not finish within {budget:.1f}s; it was killed") from None
        finally:
            end_child(proc)
        if proc.returncode not in ok_codes:
            command = " ".join(args[:2])
            raise CheckError(f"git {command} failed in {self.cwd} (exit {proc.returncode}): {_first_line(err)}")
        return proc.returncode, out

    def output(self, args, stdin=None, ok_codes=(0,)):
        """The stdout of ``git <args>`` (see run)."""
        return self.run(args, stdin, ok_codes)[1]


def open_checkout(path, executable, ctx):
    """The Checkout holding ``path``, or None when ``path`` is not inside one.

    A checkout without a usable git executable is a CheckError: its git rules cannot be evaluated.
    """
    top = repository_top(path)
    if top is None:
        return None
    git = find_git(executable)
    if git is None:
        raise CheckError(f"{top} is a git checkout but the git executable {executable!r} was not found on this host")
    return Checkout(git, top, path, ctx)


def split_nul(data):
    """Paths from NUL-separated git output (``-z``)."""
    return [p.decode("utf-8", errors="surrogateescape") for p in data.split(b"\0") if p]
