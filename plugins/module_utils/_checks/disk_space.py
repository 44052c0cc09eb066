# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check kind disk_space: free bytes, free percent and free inodes of a path's filesystem (private)."""

from __future__ import annotations

import os

from ansible_collections.golive.readiness.plugins.module_utils._check import (
    CheckError,
    Evaluation,
    OptionError,
    format_percent,
    format_size,
    limit_from_options,
    parse_percent,
    size_or_percent_limits,
)

KIND = "disk_space"
# Warn while there is room to act, fail before writes start failing (root's reserved 5% included).
DEFAULT_FREE = ("15%", "5%")
DEFAULT_INODES_FREE = (None, "5%")
SECTION = "infrastructure"
SEVERITY = "high"
VARIABLES = {"golive_disk_space": "infrastructure"}
ROLE_DEFAULTS = {"golive_disk_space": [
    {"path": "/", "free_warn_below": "15%", "free_fail_below": "5%", "inodes_free_fail_below": "5%"}]}
OPTIONS = dict(
    path=dict(type="path", required=True),
    free_warn_below=dict(type="str"),
    free_fail_below=dict(type="str"),
    inodes_free_warn_below=dict(type="str"),
    inodes_free_fail_below=dict(type="str"),
)


def describe(item):
    return item["path"], "Disk space on {}".format(item["path"])


def prepare(item):
    if not os.path.isabs(item["path"]):
        raise OptionError("path: {!r} must be absolute".format(item["path"]))
    by_bytes, by_percent = size_or_percent_limits(item, "free", defaults=DEFAULT_FREE)
    inodes = limit_from_options(item, "inodes_free", "below", parse_percent, format_percent,
                                defaults=DEFAULT_INODES_FREE)
    inodes_asked = any(item.get(option) is not None for option in ("inodes_free_warn_below", "inodes_free_fail_below"))
    return dict(path=item["path"], by_bytes=by_bytes, by_percent=by_percent, inodes=inodes, inodes_asked=inodes_asked)


def run(plan, ctx):
    try:
        st = os.statvfs(plan["path"])
    except OSError as exc:
        raise CheckError("cannot stat {}: {}".format(plan["path"], exc.strerror or exc)) from None
    # f_bavail is what an unprivileged writer can use; reserved root blocks do not count as free.
    total = st.f_blocks * st.f_frsize
    free = st.f_bavail * st.f_frsize
    ev = Evaluation()
    ev.observe("total_bytes", total, "bytes")
    ev.measure("free_bytes", free, plan["by_bytes"], label="free", formatter=format_size)
    free_pct = 100.0 * free / total if total else 0.0
    ev.measure("free_percent", round(free_pct, 2), plan["by_percent"], label="free", formatter=format_percent)
    if st.f_files:
        inodes_pct = 100.0 * st.f_favail / st.f_files
        ev.measure("inodes_free_percent", round(inodes_pct, 2), plan["inodes"], label="inodes free",
                   formatter=format_percent)
    elif plan["inodes_asked"]:
        ev.finding("error", "the filesystem of {} reports no inode counts".format(plan["path"]))
    else:  # btrfs and others allocate inodes dynamically: the default inode level has nothing to grade
        ev.note("no inode counts")
    return ev.outcome()
