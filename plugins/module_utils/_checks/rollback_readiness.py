# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check kind rollback_readiness: rollback script, its dry run, previous releases and the release tag (private).

Each configured part is checked and reported on its own (``observed.<part>``); the status is the worst of them.
"""

from __future__ import annotations

import os
import selectors
import shlex
import stat
import subprocess
import time

from ansible_collections.golive.readiness.plugins.module_utils._check import (
    CheckError,
    Evaluation,
    OptionError,
    format_duration,
    mask_url,
    parse_codes,
)
from ansible_collections.golive.readiness.plugins.module_utils._checks import _git
from ansible_collections.golive.readiness.plugins.module_utils._checks.log_health import mask_line
from ansible_collections.golive.readiness.plugins.module_utils._checks.path import format_mode, user_name
from ansible_collections.golive.readiness.plugins.module_utils._globs import glob_matches, is_glob
from ansible_collections.golive.readiness.plugins.module_utils._processes import (
    end_child,
    kill_process_group,
    start_child,
)

KIND = "rollback_readiness"
SECTION = "application"
SEVERITY = "high"
VARIABLES = {"golive_rollback": "application"}
LEVELS = ("warn", "fail")
OPTIONS = dict(
    name=dict(type="str"),
    script=dict(type="path"),
    dry_run=dict(type="raw"),
    dry_run_rc=dict(type="raw", default=0),
    dry_run_chdir=dict(type="path"),
    previous_release=dict(type="path"),
    releases_dir=dict(type="path"),
    min_releases=dict(type="int"),
    current=dict(type="path"),
    checkout=dict(type="path"),
    tag_pattern=dict(type="str"),
    untagged_head=dict(type="str", choices=list(LEVELS), default="warn"),
    git_executable=dict(type="str", default="git"),
)

_PARTS = ("script", "dry_run", "previous_release", "releases_dir", "checkout")
TAIL_BYTES = 4096  # of the dry run's output, kept while it runs
SHOWN_TAIL = 500
_DRAIN_AFTER_EXIT = 0.5
_SHOWN_RELEASES = 5


def describe(item):
    key = item.get("name")
    for option in _PARTS:
        if key:
            break
        value = item.get(option)
        key = " ".join(value) if isinstance(value, list) else value
    key = key or "rollback"
    return key, f"Rollback readiness of {key}"


# --- options ------------------------------------------------------------------------------------

def _absolute(item, option):
    value = item.get(option)
    if value is not None and not os.path.isabs(value):
        raise OptionError(f"{option}: {value!r} must be absolute")
    return value


def _dry_run_argv(value):
    if value is None:
        return None
    if isinstance(value, str):
        try:
            argv = shlex.split(value)
        except ValueError as exc:
            raise OptionError(f"dry_run: cannot split {value!r}: {exc}") from None
    elif isinstance(value, list) and all(isinstance(a, (str, int, float)) and not isinstance(a, bool) for a in value):
        argv = [str(a) for a in value]
    else:
        raise OptionError(f"dry_run: give the command as a list of arguments or a string, not {value!r}")
    if not argv or not argv[0]:
        raise OptionError("dry_run: must name a command")
    return argv


def _dependent(item, option, needs):
    if item.get(option) is not None and item.get(needs) is None:
        raise OptionError(f"{option}: only applies with {needs}")


def _min_releases(item):
    if item.get("min_releases") is None:
        return 2
    if item["min_releases"] < 1:
        raise OptionError(f"min_releases: must be at least 1, got {item['min_releases']}")
    return item["min_releases"]


def prepare(item):
    if not any(item.get(option) is not None for option in _PARTS):
        raise OptionError("{}: set at least one".format("/".join(_PARTS)))
    for option, needs in (("dry_run_chdir", "dry_run"), ("min_releases", "releases_dir"),
                          ("current", "releases_dir"), ("tag_pattern", "checkout")):
        _dependent(item, option, needs)
    level = item["untagged_head"]
    if level not in LEVELS:
        raise OptionError("untagged_head: {!r} is not one of {}".format(level, ", ".join(LEVELS)))
    if item.get("tag_pattern") is not None and not item["tag_pattern"].strip():
        raise OptionError("tag_pattern: must not be empty")
    if (item.get("tag_pattern") or "").startswith("-"):
        raise OptionError(f"tag_pattern: {item['tag_pattern']!r} must not start with '-' "
                          "(git would read it as an option)")
    return dict(
        script=_absolute(item, "script"),
        dry_run=_dry_run_argv(item.get("dry_run")),
        dry_run_rc=parse_codes(0 if item.get("dry_run_rc") is None else item["dry_run_rc"], "dry_run_rc",
                               "an exit code", "exit code"),
        dry_run_chdir=_absolute(item, "dry_run_chdir"),
        previous_release=_absolute(item, "previous_release"),
        releases_dir=_absolute(item, "releases_dir"),
        min_releases=_min_releases(item),
        current=_absolute(item, "current"),
        checkout=_absolute(item, "checkout"),
        tag_pattern=item.get("tag_pattern") or "*",
        untagged_head=level,
        git_executable=item.get("git_executable") or "git",
    )


# --- the rollback script --------------------------------------------------------------------------

def check_script(ev, path):
    seen = dict(path=path, exists=False)
    ev.observe("script", seen)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        ev.finding("fail", f"rollback script {path} does not exist")
        return
    except OSError as exc:
        ev.finding("error", f"cannot stat rollback script {path}: {exc.strerror or exc}")
        return
    executable = bool(st.st_mode & 0o111) and os.access(path, os.X_OK)
    seen.update(exists=True, type="file" if stat.S_ISREG(st.st_mode) else "other", mode=format_mode(st.st_mode),
                owner=user_name(st.st_uid), executable=executable)
    if not stat.S_ISREG(st.st_mode):
        ev.finding("fail", f"rollback script {path} is not a regular file")
    elif not st.st_mode & 0o111:
        ev.finding("fail", f"rollback script {path} is not executable (mode {format_mode(st.st_mode)})")
    elif not executable:
        ev.finding("fail", f"rollback script {path} is not executable by {user_name(os.geteuid())} "
                           f"(mode {format_mode(st.st_mode)}, owner {user_name(st.st_uid)})")
    else:
        ev.note(f"rollback script {path} is executable")


# --- the dry run ----------------------------------------------------------------------------------

class Tail(object):
    """The last TAIL_BYTES of a stream, and how many bytes it had in all."""

    def __init__(self):
        self.kept = bytearray()
        self.total = 0

    def add(self, chunk):
        self.total += len(chunk)
        self.kept.extend(chunk)
        del self.kept[:-TAIL_BYTES]

    def text(self):
        """The end of the output, with secrets masked before it is cut (a cut URL would no longer be masked)."""
        text = mask_line(bytes(self.kept).decode("utf-8", errors="replace"))
        whole = self.total == len(self.kept)
        return text if whole and len(text) <= SHOWN_TAIL else "\u2026" + text[-SHOWN_TAIL:]


def _spawn(argv, chdir):
    return start_child(argv, cwd=chdir, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def execute(argv, chdir, budget):
    """(exit code or None when killed at ``budget`` seconds, output tail, seconds taken)."""
    started = time.monotonic()
    deadline = started + budget
    proc = _spawn(argv, chdir)
    tail = Tail()
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    exited_at = None
    try:
        while True:
            now = time.monotonic()
            if now >= deadline:
                kill_process_group(proc)
                return None, tail, now - started
            if exited_at is None and proc.poll() is not None:
                exited_at = now
            if exited_at is not None and now - exited_at > _DRAIN_AFTER_EXIT:
                break  # a background grandchild still holds the output open
            events = selector.select(timeout=min(0.1, deadline - now))
            if events:
                chunk = os.read(proc.stdout.fileno(), 16384)
                if not chunk:
                    break
                tail.add(chunk)
        rc = proc.wait(timeout=max(0.05, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        kill_process_group(proc)
        return None, tail, time.monotonic() - started
    finally:
        selector.close()
        proc.stdout.close()
        end_child(proc)
    return rc, tail, time.monotonic() - started


def check_dry_run(ev, plan, ctx):
    argv = plan["dry_run"]
    shown = mask_line(" ".join(argv))
    seen = dict(argv=[mask_line(arg) for arg in argv])
    ev.observe("dry_run", seen)
    ev.expect("dry_run_rc", plan["dry_run_rc"])
    if plan["dry_run_chdir"] is not None and not os.path.isdir(plan["dry_run_chdir"]):
        ev.finding("fail", "dry run directory {} does not exist".format(plan["dry_run_chdir"]))
        return
    budget = ctx.child_timeout()
    try:
        rc, tail, seconds = execute(argv, plan["dry_run_chdir"], budget)
    except OSError as exc:
        seen["started"] = False
        ev.finding("fail", f"dry run {shown} cannot be started: {exc.strerror or exc}")
        return
    seen.update(rc=rc, seconds=round(seconds, 2), output_tail=tail.text(), output_bytes=tail.total)
    expected = " or ".join(str(c) for c in plan["dry_run_rc"])
    if rc is None:
        ev.finding("fail", f"dry run {shown} did not finish within {format_duration(budget)} and was killed "
                           "(a rollback that hangs is not ready; raise timeout if it needs longer)")
    elif rc not in plan["dry_run_rc"]:
        ev.finding("fail", f"dry run {shown} exited {rc} (expected {expected})")
    else:
        ev.note(f"dry run exited {rc} in {format_duration(seconds)}")


# --- previous releases ----------------------------------------------------------------------------

def _first_line(path):
    with open(path, "rb") as handle:
        data = handle.read(512)
    lines = data.decode("utf-8", errors="replace").strip().splitlines()
    return mask_url(lines[0].strip()[:200]) if lines else ""


def _describe_release(path):
    """(problem or None, what it holds) of an existing previous release path."""
    st = os.stat(path)
    if stat.S_ISDIR(st.st_mode):
        entries = len(os.listdir(path))
        return (None if entries else "is an empty directory"), dict(type="directory", entries=entries)
    if stat.S_ISREG(st.st_mode):
        if st.st_size == 0:
            return "is an empty file", dict(type="file", size=0)
        return None, dict(type="file", size=st.st_size, content=_first_line(path))
    return "is neither a file nor a directory", dict(type="other")


def _newest_first(paths):
    dated = []
    for path in paths:
        try:
            dated.append((os.stat(path).st_mtime, path))
        except OSError:
            continue  # vanished since globbing, or a symlink to nothing
    return [path for dummy, path in sorted(dated, reverse=True)]


def check_previous_release(ev, pattern):
    seen = dict(pattern=pattern)
    ev.observe("previous_release", seen)
    found = _newest_first(glob_matches(pattern)) if is_glob(pattern) else (
        [pattern] if os.path.exists(pattern) else [])
    seen["matches"] = len(found)
    if not found:
        ev.finding("fail", f"no previous release at {pattern}")
        return
    newest = found[0]
    seen["path"] = newest
    try:
        problem, held = _describe_release(newest)
    except OSError as exc:
        ev.finding("error", f"cannot read previous release {newest}: {exc.strerror or exc}")
        return
    seen.update(held)
    if problem:
        ev.finding("fail", f"previous release {newest} {problem}")
    elif held.get("content"):
        ev.note("previous release {}: {}".format(newest, held["content"]))
    else:
        ev.note(f"previous release {newest} present")


def _releases(directory):
    return sorted(name for name in os.listdir(directory)
                  if not name.startswith(".") and os.path.isdir(os.path.join(directory, name)))


def _current_release(ev, plan, releases, seen):
    """The name of the release ``current`` points to; None (with a finding) when it does not point at one."""
    current = plan["current"]
    if not os.path.exists(current):
        ev.finding("fail", f"current release link {current} does not exist")
        return None
    target = os.path.realpath(current)
    seen["current"] = target
    if os.path.dirname(target) != os.path.realpath(plan["releases_dir"]) or os.path.basename(target) not in releases:
        ev.finding("fail", "current release {} is not one of the releases in {}".format(target, plan["releases_dir"]))
        return None
    return os.path.basename(target)


def check_releases_dir(ev, plan):
    directory = plan["releases_dir"]
    seen = dict(path=directory)
    ev.observe("releases", seen)
    ev.expect_at_least("releases_kept", plan["min_releases"], "count")
    if not os.path.isdir(directory):
        ev.finding("fail", f"releases directory {directory} does not exist")
        return
    try:
        releases = _releases(directory)
    except OSError as exc:
        ev.finding("error", f"cannot list releases in {directory}: {exc.strerror or exc}")
        return
    seen.update(count=len(releases), newest=releases[-_SHOWN_RELEASES:])
    ev.observe("releases_kept", len(releases), "count")
    if plan["current"] is not None:
        live = _current_release(ev, plan, releases, seen)
        if live is None:
            return
        previous = [name for name in releases if name != live]
        seen["previous"] = previous[-_SHOWN_RELEASES:]
        ev.require(previous, f"no release in {directory} besides the current one ({live})",
                   passing=f"previous release {previous[-1] if previous else ''}")
    ev.require(len(releases) >= plan["min_releases"],
               f"{len(releases)} release(s) in {directory}, fewer than min_releases {plan['min_releases']}",
               passing=f"{len(releases)} releases in {directory}")


# --- the release tag ------------------------------------------------------------------------------

def _lines(data):
    return [line for line in data.decode("utf-8", errors="replace").splitlines() if line.strip()]


def _nearest_tag(checkout, pattern):
    """(tag, commits since it) of the nearest matching tag HEAD descends from, or None."""
    rc, out = checkout.run(["describe", "--tags", "--long", "--abbrev=12", "--match", pattern, "HEAD"],
                           ok_codes=(0, 128))
    described = out.decode("utf-8", errors="replace").strip()
    if rc != 0 or not described:
        return None
    name, since = described.rsplit("-", 2)[:2]
    return name, int(since)


def _grade_untagged(ev, plan, checkout, head, seen):
    pattern = plan["tag_pattern"]
    matching = _lines(checkout.output(["tag", "--list", "--sort=-creatordate", pattern]))
    seen["matching_tags"] = len(matching)
    if not matching:
        ev.finding("fail", "no tag matching {} in {}".format(pattern, plan["checkout"]))
        return
    nearest = _nearest_tag(checkout, pattern)
    if nearest:
        seen.update(nearest_tag=nearest[0], commits_since_tag=nearest[1])
        where = f"{nearest[1]} commit(s) after {nearest[0]}"
    else:
        where = f"not descended from any of them (newest {matching[0]})"
    ev.finding(plan["untagged_head"], "HEAD {} of {} carries no tag matching {}; it is {}".format(
        head[:12], plan["checkout"], pattern, where))


def check_tag(ev, plan, ctx):
    path, pattern = plan["checkout"], plan["tag_pattern"]
    seen = dict(path=path, pattern=pattern)
    ev.observe("tag", seen)
    ev.expect("tag", "HEAD tagged {} (else {})".format(pattern, plan["untagged_head"]))
    if not os.path.isdir(path):
        ev.finding("fail", f"checkout {path} does not exist")
        return
    try:
        checkout = _git.open_checkout(path, plan["git_executable"], ctx)
        if checkout is None:
            ev.finding("fail", f"{path} is not a git checkout")
            return
        seen["repository"] = checkout.top
        rc, out = checkout.run(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], ok_codes=(0, 1))
        if rc != 0:
            ev.finding("fail", f"checkout {path} has no commits")
            return
        head = out.decode("ascii", errors="replace").strip()
        seen["head"] = head
        seen["head_tags"] = sorted(_lines(checkout.output(["tag", "--points-at", "HEAD", "--list", pattern])))
        if seen["head_tags"]:
            ev.note("HEAD {} is tagged {}".format(head[:12], ", ".join(seen["head_tags"])))
        else:
            _grade_untagged(ev, plan, checkout, head, seen)
    except CheckError as exc:
        ev.finding("error", str(exc))


def run(plan, ctx):
    ev = Evaluation()
    if plan["script"] is not None:
        check_script(ev, plan["script"])
    if plan["previous_release"] is not None:
        check_previous_release(ev, plan["previous_release"])
    if plan["releases_dir"] is not None:
        check_releases_dir(ev, plan)
    if plan["checkout"] is not None:
        check_tag(ev, plan, ctx)
    if plan["dry_run"] is not None:  # last: it may use all the time that is left
        check_dry_run(ev, plan, ctx)
    return ev.outcome()
