# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check kind disk_space: free bytes, free percent and free inodes of a path's filesystem (private)."""

from __future__ import annotations

import os

from ansible_collections.golive.readiness.plugins.module_utils._check import (
    CheckError,
    Evaluation,
    Limit,
    OptionError,
    check_order,
    format_percent,
    format_size,
    parse_percent,
    parse_size_or_percent,
)

KIND = "disk_space"
SECTION = "infrastructure"
SEVERITY = "high"
OPTIONS = dict(
    path=dict(type="path", required=True),
    free_warn_below=dict(type="str"),
    free_fail_below=dict(type="str"),
    inodes_free_warn_below=dict(type="str"),
    inodes_free_fail_below=dict(type="str"),
)


def describe(item):
    return item["path"], "Disk space on %s" % item["path"]


def _free_limits(item):
    """Two Limits (bytes, percent): each of warn/fail may be a size or a percentage."""
    levels = {"bytes": {}, "percent": {}}
    for level in ("warn", "fail"):
        option = "free_%s_below" % level
        if item.get(option) is not None:
            unit, value = parse_size_or_percent(item[option], option)
            levels[unit][level] = value
    by_bytes = Limit(formatter=format_size, **levels["bytes"])
    by_percent = Limit(formatter=format_percent, **levels["percent"])
    check_order(by_bytes, "free_warn_below/free_fail_below")
    check_order(by_percent, "free_warn_below/free_fail_below")
    return by_bytes, by_percent


def _inode_limit(item):
    levels = {}
    for level in ("warn", "fail"):
        option = "inodes_free_%s_below" % level
        if item.get(option) is not None:
            levels[level] = parse_percent(item[option], option)
    limit = Limit(formatter=format_percent, **levels)
    check_order(limit, "inodes_free_warn_below/inodes_free_fail_below")
    return limit


def prepare(item):
    if not os.path.isabs(item["path"]):
        raise OptionError("path: %r must be absolute" % item["path"])
    by_bytes, by_percent = _free_limits(item)
    return dict(path=item["path"], by_bytes=by_bytes, by_percent=by_percent, inodes=_inode_limit(item))


def run(plan, ctx):
    try:
        st = os.statvfs(plan["path"])
    except OSError as exc:
        raise CheckError("cannot stat %s: %s" % (plan["path"], exc.strerror or exc)) from None
    # f_bavail is what an unprivileged writer can use; reserved root blocks do not count as free.
    total = st.f_blocks * st.f_frsize
    free = st.f_bavail * st.f_frsize
    ev = Evaluation()
    ev.observe("total_bytes", total)
    ev.measure("free_bytes", free, plan["by_bytes"], label="free", formatter=format_size)
    free_pct = 100.0 * free / total if total else 0.0
    ev.measure("free_percent", round(free_pct, 2), plan["by_percent"], label="free", formatter=format_percent)
    if st.f_files:
        inodes_pct = 100.0 * st.f_favail / st.f_files
        ev.measure("inodes_free_percent", round(inodes_pct, 2), plan["inodes"], label="inodes free",
                   formatter=format_percent)
    elif plan["inodes"].is_set:
        ev.finding("error", "the filesystem of %s reports no inode counts" % plan["path"])
    return ev.outcome()
