# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shell globs over a host's files, where an unreadable directory is an error, not 'no match' (private)."""

from __future__ import annotations

import errno
import glob
import os
import re

from ansible_collections.golive.readiness.plugins.module_utils._check import CheckError

# errno values that mean "not there" (also a path through a file), as opposed to "cannot look".
MISSING = (errno.ENOENT, errno.ENOTDIR)
_WILDCARD = re.compile(r"[*?[]")


def is_glob(path):
    return bool(_WILDCARD.search(path))


def literal_directory(pattern):
    """The directory part of a pattern before its first wildcard: '/var/backups' for '/var/backups/*/db-*.gz'."""
    literal = []
    for part in pattern.split("/")[:-1]:
        if _WILDCARD.search(part):
            break
        literal.append(part)
    return "/".join(literal) or "/"


def glob_matches(pattern):
    """The paths matching ``pattern``, sorted.

    glob.glob() treats a directory it cannot read as empty; that is a CheckError here (nothing could be
    looked at), while a directory that does not exist simply has no matches.
    """
    directory = literal_directory(pattern)
    try:
        with os.scandir(directory):
            pass
    except OSError as exc:
        if exc.errno not in MISSING:
            raise CheckError(f"cannot list {directory}: {exc.strerror or exc}") from None
    return sorted(glob.glob(pattern))
