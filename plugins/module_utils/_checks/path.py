# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check kind path: existence, type, mode, ownership, effective access, freshness and count of paths (private)."""

from __future__ import annotations

import grp
import os
import pwd
import re
import stat
import time

from ansible_collections.golive.readiness.plugins.module_utils._check import (
    CheckError,
    Evaluation,
    OptionError,
    format_duration,
    format_number,
    limit_from_options,
    parse_count,
    parse_duration,
)
from ansible_collections.golive.readiness.plugins.module_utils._globs import MISSING, glob_matches, is_glob

KIND = "path"
SECTION = "infrastructure"
SEVERITY = "high"
VARIABLES = {"golive_paths": "infrastructure", "golive_app_paths": "application"}
STATES = ("exists", "file", "directory", "absent")
OPTIONS = dict(
    path=dict(type="path", required=True),
    state=dict(type="str", choices=list(STATES)),
    mode_max=dict(type="raw"),
    owner=dict(type="str"),
    group=dict(type="str"),
    writable_by=dict(type="str"),
    readable_by=dict(type="str"),
    newest_age_warn_above=dict(type="str"),
    newest_age_fail_above=dict(type="str"),
    count_warn_below=dict(type="int"),
    count_fail_below=dict(type="int"),
    count_max=dict(type="int"),
    follow=dict(type="bool", default=True),
)

_GLOB_OPTIONS = ("newest_age_warn_above", "newest_age_fail_above", "count_warn_below", "count_fail_below",
                 "count_max")
_ATTRIBUTE_OPTIONS = ("mode_max", "owner", "group", "writable_by", "readable_by")
_MODE = re.compile(r"^(?:0o)?([0-7]{3,4})$")
# In glob mode, problems of this many matches are listed; the rest are counted.
_SHOWN_PROBLEMS = 5

_MODE_BITS = (
    (stat.S_ISUID, "setuid"), (stat.S_ISGID, "setgid"), (stat.S_ISVTX, "sticky"),
    (stat.S_IRUSR, "owner read"), (stat.S_IWUSR, "owner write"), (stat.S_IXUSR, "owner execute"),
    (stat.S_IRGRP, "group read"), (stat.S_IWGRP, "group write"), (stat.S_IXGRP, "group execute"),
    (stat.S_IROTH, "other read"), (stat.S_IWOTH, "other write"), (stat.S_IXOTH, "other execute"),
)
_TYPES = (
    (stat.S_ISREG, "file"), (stat.S_ISDIR, "directory"), (stat.S_ISLNK, "link"), (stat.S_ISSOCK, "socket"),
    (stat.S_ISFIFO, "fifo"), (stat.S_ISBLK, "block device"), (stat.S_ISCHR, "character device"),
)
# Permission bits of the owner, group and other classes, for read, write and search/execute.
_CLASS_BITS = {
    "owner": {"r": stat.S_IRUSR, "w": stat.S_IWUSR, "x": stat.S_IXUSR},
    "group": {"r": stat.S_IRGRP, "w": stat.S_IWGRP, "x": stat.S_IXGRP},
    "other": {"r": stat.S_IROTH, "w": stat.S_IWOTH, "x": stat.S_IXOTH},
}


def describe(item):
    return item["path"], "Path {}".format(item["path"])


def format_mode(mode):
    return f"{mode & 0o7777:04o}"


def parse_mode(value, option="mode_max"):
    if not isinstance(value, str):
        raise OptionError(
            f"{option}: give the mode as a quoted octal string like '0644', not {value!r} "
            "(an unquoted YAML 0644 is read as the number 420)")
    match = _MODE.match(value.strip())
    if not match:
        raise OptionError(f"{option}: {value!r} is not an octal mode like '0644' or '2775'")
    return int(match.group(1), 8)


def _count_limits(item):
    limit = limit_from_options(item, "count", "below", parse_count)
    count_max = None
    if item.get("count_max") is not None:
        count_max = parse_count(item["count_max"], "count_max")
        for level, floor in (("warn", limit.warn), ("fail", limit.fail)):
            if floor is not None and count_max < floor:
                raise OptionError(f"count_max: {format_number(count_max)} is below count_{level}_below "
                                  f"({format_number(floor)}), so the check could never pass")
    return limit, count_max


def _validate_state(item, state):
    if state != "absent":
        return
    conflicting = [o for o in _ATTRIBUTE_OPTIONS + _GLOB_OPTIONS if item.get(o) is not None]
    if conflicting:
        raise OptionError("state: absent cannot be combined with {}".format(", ".join(conflicting)))


def prepare(item):
    path = item["path"]
    if not os.path.isabs(path):
        raise OptionError(f"path: {path!r} must be absolute")
    state = item.get("state")
    if state is not None and state not in STATES:
        raise OptionError("state: {!r} is not one of {}".format(state, ", ".join(STATES)))
    _validate_state(item, state)
    is_pattern = is_glob(path)
    glob_mode = any(item.get(o) is not None for o in _GLOB_OPTIONS) or (is_pattern and state == "absent")
    if is_pattern and not glob_mode:
        raise OptionError(f"path: {path!r} is a glob pattern; patterns are only allowed with the newest_age_* "
                          "or count_* options or state=absent")
    count_limit, count_max = _count_limits(item)
    counted = count_limit.is_set or count_max is not None
    return dict(
        path=path,
        glob=glob_mode,
        # Without a state, a path must exist; with count limits the counts alone decide.
        state=state or (None if counted else "exists"),
        follow=item.get("follow") is not False,
        mode_max=parse_mode(item["mode_max"]) if item.get("mode_max") is not None else None,
        owner=item.get("owner"),
        group=item.get("group"),
        writable_by=item.get("writable_by"),
        readable_by=item.get("readable_by"),
        newest_age=limit_from_options(item, "newest_age", "above", parse_duration, format_duration),
        count=count_limit,
        count_max=count_max,
    )


# --- who: users and groups of this host -------------------------------------------------------


class Principal(object):
    """A user resolved on this host: uid, name (if known) and every group it belongs to."""

    def __init__(self, uid, name, groups):
        self.uid = uid
        self.name = name
        self.groups = groups

    @property
    def shown(self):
        return self.name or str(self.uid)


def _group_ids(name, primary_gid):
    if name is None:
        return set() if primary_gid is None else {primary_gid}
    try:
        return set(os.getgrouplist(name, primary_gid))
    except (AttributeError, OSError):
        members = {g.gr_gid for g in grp.getgrall() if name in g.gr_mem}
        return members | {primary_gid}


def resolve_user(value, option):
    """A Principal from a user name or numeric uid; an unknown name is a CheckError (this host lacks it)."""
    text = str(value).strip()
    try:
        entry = pwd.getpwuid(int(text)) if text.isdigit() else pwd.getpwnam(text)
    except KeyError:
        if text.isdigit():
            return Principal(int(text), None, set())
        raise CheckError(f"{option}: user {text!r} does not exist on this host") from None
    return Principal(entry.pw_uid, entry.pw_name, _group_ids(entry.pw_name, entry.pw_gid))


def resolve_group(value, option):
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    try:
        return grp.getgrnam(text).gr_gid
    except KeyError:
        raise CheckError(f"{option}: group {text!r} does not exist on this host") from None


def user_name(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def group_name(gid):
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def _principals(plan):
    return dict(
        owner=resolve_user(plan["owner"], "owner").uid if plan["owner"] is not None else None,
        group=resolve_group(plan["group"], "group") if plan["group"] is not None else None,
        writable_by=resolve_user(plan["writable_by"], "writable_by") if plan["writable_by"] else None,
        readable_by=resolve_user(plan["readable_by"], "readable_by") if plan["readable_by"] else None,
    )


# --- what: stat and effective permissions -------------------------------------------------------


def stat_path(path, follow):
    """os.stat (or lstat) of ``path``; None when it does not exist; CheckError when it cannot be known."""
    try:
        return os.stat(path) if follow else os.lstat(path)
    except OSError as exc:
        if exc.errno in MISSING:
            return None
        raise CheckError(f"cannot stat {path}: {exc.strerror or exc}") from None


def dangling_target(path):
    """The target of ``path`` when it is a symlink to nothing, else None."""
    try:
        return os.readlink(path) if os.path.islink(path) else None
    except OSError:
        return None


def type_name(st):
    for test, name in _TYPES:
        if test(st.st_mode):
            return name
    return "unknown"


def _permission_class(st, who):
    if st.st_uid == who.uid:
        return "owner"
    if st.st_gid in who.groups:
        return "group"
    return "other"


def _has(st, who, right):
    """Whether the mode bits grant ``right`` (r, w or x) to ``who`` (root is handled by the caller)."""
    return bool(st.st_mode & _CLASS_BITS[_permission_class(st, who)][right])


def _describe_denial(path, st, who, what):
    return (f"{who.shown} cannot {what} {path} (mode {format_mode(st.st_mode)}, "
            f"owner {user_name(st.st_uid)}, group {group_name(st.st_gid)})")


def _real_path(path, follow):
    if follow:
        return os.path.realpath(path)
    return os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))


def _ancestors(path):
    """'/', '/a', '/a/b' for '/a/b/c'."""
    parts = path.strip("/").split("/")[:-1]
    yield "/"
    for index in range(len(parts)):
        yield "/" + "/".join(parts[:index + 1])


def _search_denial(real, who):
    """The first ancestor directory ``who`` cannot search, as a message, or None."""
    for directory in _ancestors(real):
        st = stat_path(directory, True)
        if st is None:
            return f"{directory} no longer exists"
        if who.uid != 0 and not _has(st, who, "x"):
            return _describe_denial(directory, st, who, "search")
    return None


def is_read_only_filesystem(path):
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError as exc:
        raise CheckError(f"cannot statvfs {path}: {exc.strerror or exc}") from None


def access_denial(path, st, who, right, follow):
    """Why ``who`` may not read (r) or write (w) ``path``, or None when it may: decided from modes, not by trying.

    Directories also need search (x) permission, as does every directory above the path.
    """
    real = _real_path(path, follow)
    denial = _search_denial(real, who)
    if denial:
        return denial
    verb = "write" if right == "w" else "read"
    if right == "w" and is_read_only_filesystem(real):
        return f"{path} is on a read-only filesystem"
    if who.uid == 0:
        return None
    rights = (right, "x") if stat.S_ISDIR(st.st_mode) else (right,)
    if all(_has(st, who, r) for r in rights):
        return None
    return _describe_denial(path, st, who, verb if len(rights) == 1 else f"{verb} and search")


def has_acl(path):
    try:
        return "system.posix_acl_access" in os.listxattr(path)
    except (AttributeError, OSError):
        return False


def attribute_problems(path, st, plan, principals):
    """What is wrong with one existing path: mode, ownership, access."""
    problems = []
    if plan["mode_max"] is not None and not stat.S_ISLNK(st.st_mode):
        extra = st.st_mode & 0o7777 & ~plan["mode_max"]
        if extra:
            problems.append("mode {} is looser than {} ({})".format(
                format_mode(st.st_mode), format_mode(plan["mode_max"]),
                ", ".join(name for bit, name in _MODE_BITS if extra & bit)))
    if principals["owner"] is not None and st.st_uid != principals["owner"]:
        problems.append("owned by {}, expected {}".format(user_name(st.st_uid), plan["owner"]))
    if principals["group"] is not None and st.st_gid != principals["group"]:
        problems.append("group {}, expected {}".format(group_name(st.st_gid), plan["group"]))
    for option, right in (("writable_by", "w"), ("readable_by", "r")):
        if principals[option] is not None:
            denial = access_denial(path, st, principals[option], right, plan["follow"])
            if denial:
                problems.append("not {} by {}: {}".format(
                    "writable" if right == "w" else "readable", principals[option].shown, denial))
    return problems


def _observe_attributes(ev, st, now):
    ev.observe("type", type_name(st))
    ev.observe("mode", format_mode(st.st_mode))
    ev.observe("owner", user_name(st.st_uid))
    ev.observe("group", group_name(st.st_gid))
    ev.observe("size", st.st_size, "bytes")
    ev.observe("mtime_age_seconds", round(now - st.st_mtime, 1), "seconds")


def _note_acl(ev, plan, path):
    if (plan["writable_by"] or plan["readable_by"]) and has_acl(path):
        ev.note(f"{path} has a POSIX ACL, which writable_by/readable_by do not take into account")


# --- one path -------------------------------------------------------------------------------------


def _require_state(ev, plan, st):
    state = plan["state"]
    if state == "absent":
        ev.require(st is None, f"exists as a {type_name(st) if st else ''} but must be absent",
                   passing="absent")
    elif state == "exists":
        ev.require(st is not None, "does not exist", passing="exists")
    elif state in ("file", "directory"):
        if st is None:
            ev.finding("fail", f"does not exist (expected a {state})")
        else:
            ev.require(type_name(st) == state, f"is a {type_name(st)}, expected a {state}",
                       passing=f"is a {state}")


def _check_single(ev, plan, principals):
    path = plan["path"]
    st = stat_path(path, plan["follow"])
    ev.observe("exists", st is not None)
    target = dangling_target(path) if st is None and plan["follow"] else None
    if target is not None:
        ev.observe("dangling_symlink_to", target)
    _require_state(ev, plan, st)
    if target is not None:
        ev.finding("fail", "is a symlink to {}, which does not exist{}".format(
            target, " (must be absent)" if plan["state"] == "absent" else ""))
    if st is None:
        return
    _observe_attributes(ev, st, time.time())
    for problem in attribute_problems(path, st, plan, principals):
        ev.finding("fail", problem)
    _note_acl(ev, plan, path)


# --- a glob ---------------------------------------------------------------------------------------


def matching_paths(plan):
    """(path, stat) of every existing match of the pattern, sorted by path."""
    found = []
    for match in glob_matches(plan["path"]):
        st = stat_path(match, plan["follow"])
        if st is not None:  # vanished since globbing, or a symlink to nothing
            found.append((match, st))
    return found


def _grade_count(ev, plan, count):
    ev.measure("matches", count, plan["count"], label="matches")
    if plan["count_max"] is not None:
        ev.expect_at_most("matches", plan["count_max"], "count")
        ev.require(count <= plan["count_max"],
                   f"{count} matches, more than count_max {format_number(plan['count_max'])}")


def _require_glob_state(ev, plan, found):
    state = plan["state"]
    if state == "absent":
        shown = ", ".join(match for match, _st in found[:_SHOWN_PROBLEMS])
        ev.require(not found, f"{len(found)} path(s) match but none may: {shown}", passing="nothing matches")
    elif state is not None and not found and not plan["newest_age"].is_set:
        ev.finding("fail", "nothing matches {}".format(plan["path"]))
    if state in ("file", "directory"):
        wrong = [p for p, st in found if type_name(st) != state]
        ev.require(not wrong, f"{len(wrong)} match(es) are not a {state}: {', '.join(wrong[:_SHOWN_PROBLEMS])}")


def _grade_newest(ev, plan, found, now):
    if not found:
        if plan["newest_age"].is_set:
            ev.finding("fail", "no file matches {}, so there is no newest one".format(plan["path"]))
        return
    newest, st = max(found, key=lambda entry: entry[1].st_mtime)
    ev.observe("newest", newest)
    ev.measure("newest_age_seconds", round(now - st.st_mtime, 1), plan["newest_age"], label="newest age",
               formatter=format_duration)
    _observe_attributes(ev, st, now)


def _report_match_problems(ev, plan, found, principals):
    problems = []
    for match, st in found:
        problems.extend(f"{match}: {problem}" for problem in attribute_problems(match, st, plan, principals))
    for problem in problems[:_SHOWN_PROBLEMS]:
        ev.finding("fail", problem)
    if len(problems) > _SHOWN_PROBLEMS:
        ev.finding("fail", f"and {len(problems) - _SHOWN_PROBLEMS} more problem(s)")
    if found:
        _note_acl(ev, plan, found[0][0])


def _check_glob(ev, plan, principals):
    found = matching_paths(plan)
    ev.observe("exists", bool(found))
    _grade_count(ev, plan, len(found))
    _require_glob_state(ev, plan, found)
    _grade_newest(ev, plan, found, time.time())
    _report_match_problems(ev, plan, found, principals)


def _expect_attributes(ev, plan, principals):
    """expected: the state and attributes the item asks for, shown beside what was observed."""
    if plan["state"] is not None:
        ev.expect("state", plan["state"])
    if plan["mode_max"] is not None:
        ev.expect("mode_max", format_mode(plan["mode_max"]))
    for option in ("owner", "group"):
        if plan[option] is not None:
            ev.expect(option, plan[option])
    for option in ("writable_by", "readable_by"):
        if principals[option] is not None:
            ev.expect(option, principals[option].shown)


def run(plan, ctx):
    principals = _principals(plan)
    ev = Evaluation()
    _expect_attributes(ev, plan, principals)
    if plan["glob"]:
        _check_glob(ev, plan, principals)
    else:
        _check_single(ev, plan, principals)
    return ev.outcome()
