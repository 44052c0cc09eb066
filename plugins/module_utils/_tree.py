# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Relative-path globs, and the source files of an application's trees without what is not its code (private).

``matches``/``excluded`` are the glob rules of ``secrets_hygiene`` (a glob with a '/' against the relative
path, one without against the name, as .gitignore does). ``source_files`` walks the trees a code check
names: symlinks are not followed, and version control data, bytecode caches, node_modules, tool caches
and virtualenvs (a directory holding ``pyvenv.cfg``) are never entered, because they are not the
application's own code.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from typing import Callable

from ansible_collections.golive.readiness.plugins.module_utils._globs import glob_matches, is_glob

SKIPPED_DIRECTORIES = frozenset((
    ".git", ".hg", ".svn", "__pycache__", "node_modules", ".tox", ".nox", ".mypy_cache", ".pytest_cache",
    ".ruff_cache",
))


def matches(globs: list[str], relpath: str) -> bool:
    """Whether a relative path matches one of ``globs``: a glob with a '/' is matched against the whole
    relative path, one without against the file name (like .gitignore)."""
    name = relpath.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(relpath if "/" in pattern else name, pattern) for pattern in globs)


def excluded(globs: list[str], relpath: str) -> bool:
    """Whether the path or any directory above it (within the scanned tree) matches an exclude glob."""
    if not globs:
        return False
    parts = relpath.split("/")
    return any(matches(globs, "/".join(parts[:index + 1])) for index in range(len(parts)))


class SourceFiles(object):
    """What a walk found: (path, size) of each regular file kept, and what it could not do."""

    def __init__(self) -> None:
        self.files: list[tuple[str, int]] = []
        self.unreadable: list[str] = []  # "path (reason)"
        self.unmatched: list[str] = []  # globs that matched nothing
        self.over_count = False  # stopped at max_files
        self.stopped: str | None = None  # stopped by the time limit, and where

    @property
    def total_bytes(self) -> int:
        return sum(size for _path, size in self.files)


def is_virtualenv(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "pyvenv.cfg"))


class _Walk(object):
    def __init__(self, include: list[str], exclude: list[str], max_files: int, out_of_time: Callable[[], bool]) -> None:
        self.include = include
        self.exclude = exclude
        self.max_files = max_files
        self.out_of_time = out_of_time
        self.found = SourceFiles()
        self.seen: set[str] = set()

    def full(self) -> bool:
        return self.found.over_count or self.found.stopped is not None

    def add(self, path: str, st: os.stat_result) -> None:
        if path not in self.seen:
            self.seen.add(path)
            if len(self.found.files) >= self.max_files:
                self.found.over_count = True
            else:
                self.found.files.append((path, st.st_size))

    def unreadable(self, path: str, exc: OSError) -> None:
        self.found.unreadable.append(f"{path} ({exc.strerror or exc})")

    def named(self, path: str) -> None:
        """A path the item names: a file is taken whatever its name, a directory is walked."""
        try:
            st = os.stat(path)
        except OSError as exc:
            self.unreadable(path, exc)
            return
        if stat.S_ISDIR(st.st_mode):
            self.tree(path)
        elif stat.S_ISREG(st.st_mode):
            self.add(path, st)

    def tree(self, root: str) -> None:
        errors: list[OSError] = []
        for directory, dirnames, filenames in os.walk(root, onerror=errors.append):
            if self.out_of_time():
                self.found.stopped = f"the walk of {root}"
                break
            dirnames[:] = [name for name in sorted(dirnames) if self.enters(root, directory, name)]
            for name in sorted(filenames):
                if self.full():
                    break
                self.file(root, os.path.join(directory, name))
            if self.full():
                break
        for error in errors:
            self.unreadable(error.filename or root, error)

    def enters(self, root: str, directory: str, name: str) -> bool:
        path = os.path.join(directory, name)
        if name in SKIPPED_DIRECTORIES or excluded(self.exclude, _relative(root, path)):
            return False
        return not os.path.islink(path) and not is_virtualenv(path)

    def file(self, root: str, path: str) -> None:
        rel = _relative(root, path)
        if excluded(self.exclude, rel) or (self.include and not matches(self.include, rel)):
            return
        try:
            st = os.lstat(path)
        except OSError as exc:
            self.unreadable(path, exc)
            return
        if stat.S_ISREG(st.st_mode):
            self.add(path, st)


def _relative(root: str, path: str) -> str:
    return os.path.relpath(path, root).replace(os.sep, "/")


def source_files(paths: list[str], include: list[str], exclude: list[str], max_files: int,
                 out_of_time: Callable[[], bool]) -> SourceFiles:
    """The regular files of ``paths`` (files, directories walked, or globs of either), in order, each once.

    In a walked directory a file is kept when it matches ``include`` (all files when empty) and neither it
    nor a directory above it matches ``exclude``; a file named directly (or by a glob) is always kept.
    Stops at ``max_files`` (``over_count``) or when ``out_of_time()`` says so (``stopped``).
    """
    walk = _Walk(include, exclude, max_files, out_of_time)
    for path in paths:
        if walk.full():
            break
        if not is_glob(path):
            walk.named(path)
            continue
        found = glob_matches(path)
        if not found:
            walk.found.unmatched.append(path)
        for match in found:
            walk.named(match)
    return walk.found
