# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check kind process: how many processes of a name or command line run, as which user (private)."""

from __future__ import annotations

import os
import pwd
import re
import sys
import threading
import time

from ansible_collections.golive.readiness.plugins.module_utils._check import (
    CheckError,
    Evaluation,
    OptionError,
    mask_secret,
    mask_url,
    parse_count,
)

KIND = "process"
SECTION = "application"
SEVERITY = "high"
VARIABLES = {"golive_processes": "infrastructure", "golive_app_processes": "application"}
OPTIONS = dict(
    name=dict(type="str"),
    cmdline_regex=dict(type="str"),
    min_count=dict(type="int"),
    max_count=dict(type="int"),
    user=dict(type="str"),
    state=dict(type="str", choices=["present", "absent"], default="present"),
)

PROC = "/proc"
MAX_PIDS = 20
MAX_SAMPLES = 5
SAMPLE_LENGTH = 200
_GONE = (FileNotFoundError, ProcessLookupError)
_SHELLS = ("sh", "bash", "dash", "zsh", "ash")

_SECRET_WORDS = r"(?:pass(?:word|wd)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|" \
                r"credentials?|auth)"
# --password=x, DB_PASSWORD=x, ?access_token=x&...
_SECRET_ASSIGNMENT = re.compile(rf"(?i)(?P<key>[\w.-]*{_SECRET_WORDS}[\w.-]*=)(?P<value>[^\s&;]+)")
# --password x, -p x is too ambiguous to mask; long options whose name says secret are not.
_SECRET_OPTION = re.compile(rf"(?i)^--?[\w.-]*{_SECRET_WORDS}[\w.-]*$")
_BEARER = re.compile(r"(?i)(?P<key>\bbearer\s+)(?P<value>\S+)")


def describe(item):
    if item.get("name"):
        return item["name"], "Process {}".format(item["name"])
    regex = item.get("cmdline_regex") or ""
    return regex, f"Process matching /{regex}/"


def _compile(regex):
    try:
        return re.compile(regex)
    except re.error as exc:
        raise OptionError(f"cmdline_regex: {regex!r} is not a valid regular expression: {exc}") from None


def _counts(item, state):
    min_count = item.get("min_count")
    max_count = item.get("max_count")
    if state == "absent":
        given = [o for o in ("min_count", "max_count") if item.get(o) is not None]
        if given:
            raise OptionError("{}: not used with state=absent (absent means none may run)".format(", ".join(given)))
        return 0, 0
    min_count = 1 if min_count is None else parse_count(min_count, "min_count")
    if max_count is not None:
        max_count = parse_count(max_count, "max_count")
        if max_count < min_count:
            raise OptionError(f"max_count: {max_count} is below min_count {min_count}")
    return min_count, max_count


def prepare(item):
    if not item.get("name") and not item.get("cmdline_regex"):
        raise OptionError("name/cmdline_regex: give at least one of them")
    state = item["state"]
    min_count, max_count = _counts(item, state)
    user = item.get("user")
    return dict(
        proc=PROC,
        name=item.get("name"),
        regex=_compile(item["cmdline_regex"]) if item.get("cmdline_regex") else None,
        user=str(user).strip() if user is not None and str(user).strip() else None,
        state=state,
        min_count=min_count,
        max_count=max_count,
    )


# --- reading /proc ----------------------------------------------------------------------------------


class ProcessInfo(object):
    """One process as the scan saw it; its effective uid is read from ``status`` only when asked for."""

    __slots__ = ("_uid", "argv", "comm", "pid", "ppid", "proc", "state")

    def __init__(self, pid: int, ppid: int, comm: str, argv: list[str], state: str, proc: str = PROC,
                 uid: int | None = None) -> None:
        self.pid = pid
        self.ppid = ppid
        self.comm = comm
        self.argv = argv
        self.state = state
        self.proc = proc
        self._uid = uid

    @property
    def cmdline(self) -> str:
        return " ".join(self.argv) if self.argv else f"[{self.comm}]"

    @property
    def uid(self) -> int | None:
        """The effective uid, or None when the process is gone (or its status unreadable)."""
        if self._uid is None:
            self._uid = read_uid(self.proc, self.pid)
        return self._uid


def _read_bytes(path: str) -> bytes:
    with open(path, "rb", buffering=0) as handle:
        return handle.readall()


def _parse_stat(data: bytes) -> tuple[str, str, int]:
    """(comm, state letter, ppid) from /proc/<pid>/stat: ``pid (comm) state ppid ...``.

    comm may itself hold spaces and parentheses, so it ends at the last ``)``.
    """
    opening = data.index(b"(")
    closing = data.rindex(b")")
    state, ppid = data[closing + 2:].split(b" ", 2)[:2]
    return data[opening + 1:closing].decode("utf-8", "replace"), state.decode("ascii"), int(ppid)


def _effective_uid(status: str) -> int:
    """The effective uid, the second number of the ``Uid:`` line of /proc/<pid>/status."""
    for line in status.splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[2])
    raise ValueError("no Uid line")


def read_uid(proc: str, pid: int) -> int | None:
    try:
        return _effective_uid(_read_bytes(f"{proc}/{pid}/status").decode("utf-8", "replace"))
    except (OSError, IndexError, ValueError):
        return None  # gone, cut short by the process exiting mid-read, or locked down (hidepid)


def parse_cmdline(raw: bytes) -> list[str]:
    """The arguments of a NUL-separated /proc/<pid>/cmdline, without the trailing empty ones.

    A process that rewrites its title (sshd, postgres, nginx workers) leaves its whole argument area
    padded with NULs, kilobytes of them: they are cut before splitting, not popped one by one.
    """
    raw = raw.rstrip(b"\0")
    return raw.decode("utf-8", "replace").split("\0") if raw else []


def read_process(proc: str, pid: int) -> ProcessInfo | None:
    """A ProcessInfo, or None when the process is gone (processes come and go during a scan).

    Two reads per process (``stat`` and ``cmdline``), where ``comm`` and ``status`` would take two more.
    """
    try:
        comm, state, ppid = _parse_stat(_read_bytes(f"{proc}/{pid}/stat"))
        raw = _read_bytes(f"{proc}/{pid}/cmdline")
    except _GONE:
        return None
    except (IndexError, ValueError):
        return None  # a stat line cut short by the process exiting mid-read
    return ProcessInfo(pid, ppid, comm, parse_cmdline(raw), state, proc)


def list_pids(proc: str) -> list[int]:
    try:
        names = os.listdir(proc)
    except OSError as exc:
        raise CheckError(f"cannot list processes in {proc}: {exc.strerror or exc}") from None
    pids = sorted(int(name) for name in names if name.isdigit())
    if not pids:
        raise CheckError(f"{proc} lists no processes (is procfs mounted?)")
    return pids


def scan(proc: str) -> list[ProcessInfo]:
    """Every live (non-zombie) process readable in ``proc``."""
    found = []
    for pid in list_pids(proc):
        try:
            info = read_process(proc, pid)
        except PermissionError:
            continue  # hidepid or a locked-down process: invisible, as it is to ps
        if info is not None and info.state != "Z":
            found.append(info)
    return found


class _Scan(object):
    """One scan of a proc directory: taken by the first check that asks, awaited by the others."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.ended = None
        self.processes = None
        self.error = None


class SharedScans(object):
    """The process table, read once for the process checks that run at the same time.

    A check takes the latest scan if that scan ended after the check started, waiting for one under
    way: the scan then saw the processes while the check ran, as its own would have (a scan is never
    instantaneous). A check started after the latest scan ended reads the table again, so it never
    counts processes from before it started.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scans: dict[str, _Scan] = {}

    def processes(self, proc: str, started: float | None, wait: float) -> list[ProcessInfo]:
        if started is None:
            started = time.monotonic()
        with self._lock:
            latest = self._scans.get(proc)
            reusable = latest is not None and (latest.ended is None or latest.ended >= started)
            if not reusable:
                latest = self._scans[proc] = _Scan()
        if reusable:
            return self._awaited(latest, proc, wait)
        try:
            latest.processes = scan(proc)
        except CheckError as exc:
            latest.error = str(exc)
            raise
        except Exception as exc:  # the checks awaiting this scan report it as the runner would
            latest.error = f"unexpected {type(exc).__name__}: {exc}"
            raise
        finally:
            latest.ended = time.monotonic()
            latest.done.set()
        return latest.processes

    @staticmethod
    def _awaited(taken: _Scan, proc: str, wait: float) -> list[ProcessInfo]:
        if not taken.done.wait(wait):
            raise CheckError(f"the scan of {proc} by a concurrent process check did not finish in time")
        if taken.error is not None:
            raise CheckError(taken.error)
        return taken.processes


SCANS = SharedScans()


# --- excluding the check's own process chain --------------------------------------------------------


def _is_module_wrapper(info, interpreter):
    """Whether an ancestor is part of how Ansible started this module (so its command line is ours, not the app's).

    Locally that is the ansible/ansible-playbook process (its argv may hold the very regex being checked)
    and the ``sh -c '<python> ...'`` that runs the module; over SSH only the shell; with become also
    the privilege escalation command that echoes Ansible's BECOME-SUCCESS marker.
    """
    text = info.cmdline.lower()
    if "ansible" in text or "become-success-" in text:
        return True
    program = os.path.basename(info.argv[0]) if info.argv else info.comm
    return program in _SHELLS and "-c" in info.argv[1:2] and interpreter in text


def own_chain(processes, pid=None):
    """This process and the ancestors that are the Ansible module wrapper around it."""
    by_pid = dict((p.pid, p) for p in processes)
    pid = os.getpid() if pid is None else pid
    excluded = {pid}
    interpreter = os.path.basename(sys.executable or "python").lower()
    current = by_pid.get(pid)
    while current is not None and current.ppid > 1:
        parent = by_pid.get(current.ppid)
        if parent is None or not _is_module_wrapper(parent, interpreter):
            break
        excluded.add(parent.pid)
        current = parent
    return excluded


# --- matching --------------------------------------------------------------------------------------


def matches_name(info, name):
    if info.comm == name:
        return True
    return bool(info.argv) and os.path.basename(info.argv[0]) == name


def matches(info, plan):
    if plan["name"] and not matches_name(info, plan["name"]):
        return False
    return not plan["regex"] or bool(plan["regex"].search(" ".join(info.argv)))


def resolve_uid(user):
    if user.isdigit():
        return int(user)
    try:
        return pwd.getpwnam(user).pw_uid
    except KeyError:
        raise CheckError(f"user: {user!r} does not exist on this host") from None


def user_name(uid, cache):
    if uid not in cache:
        try:
            cache[uid] = pwd.getpwuid(uid).pw_name
        except KeyError:
            cache[uid] = str(uid)
    return cache[uid]


def mask_command_line(text):
    """A command line with its secrets masked: URL passwords, --password=x, --token x, Bearer x, ?token=x."""
    text = mask_url(text)
    text = _SECRET_ASSIGNMENT.sub(lambda m: m.group("key") + mask_secret(m.group("value")), text)
    text = _BEARER.sub(lambda m: m.group("key") + mask_secret(m.group("value")), text)
    words = text.split(" ")
    for index in range(1, len(words)):
        if _SECRET_OPTION.match(words[index - 1]) and words[index] and not words[index].startswith("-"):
            words[index] = mask_secret(words[index])
    return " ".join(words)


def sample(info):
    shown = mask_command_line(info.cmdline)
    if len(shown) > SAMPLE_LENGTH:
        shown = shown[:SAMPLE_LENGTH - 1] + "\u2026"
    return shown


# --- grading ---------------------------------------------------------------------------------------


def _expectation(plan):
    if plan["state"] == "absent":
        return "none running"
    if plan["max_count"] is None:
        return f"at least {plan['min_count']}"
    if plan["max_count"] == plan["min_count"]:
        return f"exactly {plan['min_count']}"
    return f"{plan['min_count']} to {plan['max_count']}"


def _grade(ev, plan, count, other_users):
    expected = _expectation(plan)
    if plan["min_count"]:
        ev.expect_at_least("count", plan["min_count"], "count")
    if plan["max_count"] is not None:
        ev.expect_at_most("count", plan["max_count"], "count")
    as_user = f" as {plan['user']}" if plan["user"] is not None else ""
    shown = f"{count} running{as_user} (expected {expected})"
    if other_users:
        shown += "; matching processes of other users: {}".format(", ".join(other_users))
    too_few = count < plan["min_count"]
    too_many = plan["max_count"] is not None and count > plan["max_count"]
    ev.require(not (too_few or too_many), shown, passing=shown)


def matching_processes(processes: list[ProcessInfo], plan: dict) -> list[ProcessInfo]:
    """The processes the plan counts, but this check's own chain and those gone before their uid was read."""
    excluded = own_chain(processes)
    return [p for p in processes if p.pid not in excluded and matches(p, plan) and p.uid is not None]


def run(plan, ctx):
    processes = SCANS.processes(plan["proc"], getattr(ctx, "started", None), ctx.remaining())
    candidates = matching_processes(processes, plan)
    names = {}
    counted = candidates
    others = []
    ev = Evaluation()
    if plan["user"] is not None:
        uid = resolve_uid(plan["user"])
        ev.expect("user", plan["user"])
        counted = [p for p in candidates if p.uid == uid]
        others = sorted({user_name(p.uid, names) for p in candidates if p.uid != uid})
        if others:
            ev.observe("other_users", others)
    ev.observe("count", len(counted), "count")
    ev.observe("pids", [p.pid for p in counted[:MAX_PIDS]])
    ev.observe("users", sorted({user_name(p.uid, names) for p in counted}))
    ev.observe("samples", [sample(p) for p in counted[:MAX_SAMPLES]])
    _grade(ev, plan, len(counted), others)
    return ev.outcome()
