# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check kind os_updates: pending package upgrades, how many are security updates, the age of the package
lists and whether the host waits for a reboot (private).

Debian and Ubuntu: ``apt-get -s dist-upgrade`` (a simulation over the package lists the host already has;
nothing is downloaded). RHEL family: ``dnf --cacheonly`` listings and ``needs-restarting -r`` (not tested
here: no dnf on the development machine; parsed from their documented output). Read-only by mechanism: run
as root, the module starts the package manager as ``nobody`` (no write permission on the package state),
apt without its lock (``Debug::NoLocking``) and without its planner log (``Dir::Log::Planner``), which a
simulation otherwise writes to /var/log/apt.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import stat
import sys
import time
from datetime import datetime, timezone

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
from ansible_collections.golive.readiness.plugins.module_utils._checks.command_output import execute

KIND = "os_updates"
SECTION = "security"
SEVERITY = "high"
VARIABLES = {"golive_os_updates": "security"}
MANAGERS = ("auto", "apt", "dnf")
REBOOT_STATUSES = ("fail", "warn", "pass")
OPTIONS = dict(
    manager=dict(type="str", default="auto", choices=list(MANAGERS)),
    security_warn_above=dict(type="str"),
    security_fail_above=dict(type="str"),
    pending_warn_above=dict(type="str"),
    pending_fail_above=dict(type="str"),
    list_age_warn_above=dict(type="str"),
    list_age_fail_above=dict(type="str"),
    reboot_required=dict(type="str", default="warn", choices=list(REBOOT_STATUSES)),
    security_origin_regex=dict(type="str", default="(?i)security"),
    root=dict(type="path", default="/"),
)

# A pending security update is what the checklists ask to be installed before go-live; stale package
# lists make "no security update" meaningless, a week is the longest a careful operator lets them age.
DEFAULT_SECURITY = (None, 0)
DEFAULT_LIST_AGE = ("7d", None)

PACKAGE_OUTPUT_CAP = 16 * 1024 * 1024  # of each of the package manager's stdout and stderr
REBOOT_PACKAGES_CAP = 64 * 1024  # /run/reboot-required.pkgs
LISTED_PACKAGES = 100  # packages listed in the record, of each list; the counts are always whole
SHOWN_NAMES = 5  # security packages named in the summary

# Inst pkg [installed] (candidate Label:Version/Suite, Label:Version/Suite [arch]) [broken deps]
_APT_INST = re.compile(r"^Inst (?P<name>\S+)(?: \[(?P<installed>[^\]]*)\])? \((?P<candidate>\S+) "
                       r"(?P<origins>.*?)(?: \[(?P<arch>[^\]]+)\])?\)")
_APT_STAMP = "var/lib/apt/periodic/update-success-stamp"
_APT_LISTS = "var/lib/apt/lists"
_DNF_REPOMD = ("var/cache/dnf/*/repodata/repomd.xml", "var/cache/libdnf5/*/repodata/repomd.xml")
_REBOOT_FLAGS = ("run/reboot-required", "var/run/reboot-required")
_DNF_UPDATES_RC = 100
_TOOL = {"apt": "apt-get", "dnf": "dnf"}


def describe(item):
    return "host", "Pending OS updates"


def _origin_regex(item):
    pattern = item.get("security_origin_regex") or "(?i)security"
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise OptionError(f"security_origin_regex: {pattern!r} is not a valid regular expression: {exc}") from None


def prepare(item):
    root = item.get("root") or "/"
    if not os.path.isabs(root):
        raise OptionError(f"root: {root!r} must be an absolute path")
    return dict(
        manager=item.get("manager") or "auto",
        root=root,
        security=limit_from_options(item, "security", "above", parse_count, format_number,
                                    defaults=DEFAULT_SECURITY),
        pending=limit_from_options(item, "pending", "above", parse_count, format_number),
        list_age=limit_from_options(item, "list_age", "above", parse_duration, format_duration,
                                    defaults=DEFAULT_LIST_AGE),
        reboot_required=item.get("reboot_required") or "warn",
        security_origin=_origin_regex(item),
    )


# --- running the package manager ------------------------------------------------------------------

def unprivileged_user() -> dict:
    """Popen arguments that run a child as ``nobody`` when the module is root; none otherwise."""
    if os.geteuid() != 0:
        return {}
    if sys.version_info < (3, 9):
        raise CheckError("the package manager runs as nobody, which needs Python 3.9 or later on the host")
    try:
        entry = pwd.getpwnam("nobody")
        uid, gid = entry.pw_uid, entry.pw_gid
    except KeyError:
        uid = gid = 65534
    return dict(user=uid, group=gid, extra_groups=[])


def run_tool(argv, ctx):
    """(exit code, stdout, stderr) of a package manager command run read-only, in the C locale."""
    plan = dict(argv=argv, chdir="/", env={"LC_ALL": "C", "LANG": "C"}, popen=unprivileged_user())
    done = execute(plan, ctx.child_timeout(), ctx.timeout, keep=PACKAGE_OUTPUT_CAP)
    for stream, name in ((done.stdout, "stdout"), (done.stderr, "stderr")):
        if stream.truncated:
            raise CheckError(f"{argv[0]} wrote more than {PACKAGE_OUTPUT_CAP // (1024 * 1024)} MiB "
                             f"(PACKAGE_OUTPUT_CAP) to {name}")
    return done.rc, done.stdout.text(), done.stderr.text()


def _failed(argv, rc, stderr):
    lines = [line for line in stderr.splitlines() if line.strip()]
    reason = lines[-1].strip()[:300] if lines else "no message"
    return CheckError(f"{' '.join(argv[:2])}... exited {rc}: {reason}")


def choose_manager(plan):
    if plan["manager"] != "auto":
        if not shutil.which(_TOOL[plan["manager"]]):
            raise CheckError(f"manager {plan['manager']}: {_TOOL[plan['manager']]} is not on PATH")
        return plan["manager"]
    for manager in ("apt", "dnf"):
        if shutil.which(_TOOL[manager]):
            return manager
    raise CheckError("neither apt-get nor dnf is on PATH: no supported package manager")


class Update(object):
    """One package with a newer candidate version: where that version comes from, and whether that is a
    security archive."""

    def __init__(self, name, installed, candidate, origin, security):
        self.name = name
        self.installed = installed
        self.candidate = candidate
        self.origin = origin
        self.security = security

    def as_record(self):
        return dict(name=self.name, installed=self.installed, candidate=self.candidate, origin=self.origin)


# --- apt ------------------------------------------------------------------------------------------

def apt_argv(root):
    argv = ["apt-get", "-s", "-qq", "-o", "Debug::NoLocking=1", "-o", "Dir::Log::Planner="]
    if root != "/":
        argv += ["-o", f"Dir={root}", "-o", "Dir::State::status=" + os.path.join(root, "var/lib/dpkg/status")]
    return [*argv, "dist-upgrade"]


def parse_apt_simulation(text, security_origin):
    """The upgrades of ``apt-get -s`` output: its ``Inst`` lines of installed packages (new installs that an
    upgrade pulls in are not upgrades). Security when any archive the candidate comes from matches."""
    updates = []
    for line in text.splitlines():
        match = _APT_INST.match(line)
        if not match or match.group("installed") is None:
            continue
        origins = [origin.strip() for origin in match.group("origins").split(",") if origin.strip()]
        security = any(security_origin.search(origin) for origin in origins)
        updates.append(Update(match.group("name"), match.group("installed"), match.group("candidate"),
                              ", ".join(origins), security))
    return updates


def apt_updates(plan, ctx):
    argv = apt_argv(plan["root"])
    rc, stdout, stderr = run_tool(argv, ctx)
    if rc != 0:
        raise _failed(argv, rc, stderr)
    return parse_apt_simulation(stdout, plan["security_origin"])


def apt_lists_refreshed(root):
    """(time, path) of the last refresh of apt's package lists: the stamp apt's periodic update and Ubuntu's
    update-notifier write after every successful refresh, else the lists directory's modification time,
    which every refresh changes (apt gives the list files the server's time, not the refresh's)."""
    for relative in (_APT_STAMP, _APT_LISTS):
        path = os.path.join(root, relative)
        try:
            return os.stat(path).st_mtime, path
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise CheckError(f"cannot read {path}: {exc.strerror or exc}") from None
    raise CheckError(f"no package lists: {os.path.join(root, _APT_LISTS)} does not exist")


def read_capped(path, cap):
    """The text of a regular file of at most ``cap`` bytes; CheckError otherwise."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError as exc:
        raise CheckError(f"cannot read {path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise CheckError(f"{path} is not a regular file")
        data = handle.read(cap + 1)
    if len(data) > cap:
        raise CheckError(f"{path} is larger than {cap // 1024} KiB (REBOOT_PACKAGES_CAP)")
    return data.decode("utf-8", errors="replace")


def apt_reboot(root, ctx):
    """(reboot required, packages that asked for it) from /run/reboot-required and its .pkgs list."""
    for relative in _REBOOT_FLAGS:
        flag = os.path.join(root, relative)
        if os.path.lexists(flag):
            packages_file = flag + ".pkgs"
            if not os.path.lexists(packages_file):
                return True, []
            names = read_capped(packages_file, REBOOT_PACKAGES_CAP).split()
            return True, sorted(set(names))
    return False, []


# --- dnf (RHEL, Fedora, Rocky, Alma: untested here) -------------------------------------------------

def dnf_argv(root, *args):
    argv = ["dnf", "-q", "--cacheonly", "--assumeno"]
    if root != "/":
        argv.append(f"--installroot={root}")
    return argv + list(args)


def parse_dnf_check_update(text):
    """{name.arch: (version, repository)} of ``dnf check-update`` output, up to its obsoletes section; a name
    too long for its column stands on a line of its own, its version and repository on the next."""
    updates = {}
    carried = []
    for line in text.splitlines():
        if line.startswith("Obsoleting Packages"):
            break
        fields = line.split()
        indented = line[:1].isspace()
        if len(fields) == 1 and "." in fields[0] and not indented:
            carried = fields
            continue
        if carried and len(fields) == 2 and indented:
            fields = carried + fields
        carried = []
        if len(fields) == 3 and "." in fields[0]:
            updates[fields[0]] = (fields[1], fields[2])
    return updates


def nevra_name(nevra):
    """'openssl' of 'openssl-1:3.0.7-25.el9_3.x86_64'."""
    without_arch = nevra.rsplit(".", 1)[0]
    return without_arch.rsplit("-", 2)[0]


def parse_dnf_security(text):
    """{package name: advisory} of ``dnf updateinfo list --security`` lines: advisory, type, package NEVRA."""
    names = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) == 3 and "/Sec" in fields[1]:
            names.setdefault(nevra_name(fields[2]), fields[0])
    return names


def dnf_updates(plan, ctx):
    argv = dnf_argv(plan["root"], "check-update")
    rc, stdout, stderr = run_tool(argv, ctx)
    if rc not in (0, _DNF_UPDATES_RC):
        raise _failed(argv, rc, stderr)
    pending = parse_dnf_check_update(stdout) if rc == _DNF_UPDATES_RC else {}
    argv = dnf_argv(plan["root"], "updateinfo", "list", "--security")
    rc, stdout, stderr = run_tool(argv, ctx)
    if rc != 0:
        raise _failed(argv, rc, stderr)
    advisories = parse_dnf_security(stdout)
    updates = []
    for name_arch, (version, repository) in sorted(pending.items()):
        name = name_arch.rsplit(".", 1)[0]
        advisory = advisories.get(name)
        origin = f"{repository} ({advisory})" if advisory else repository
        updates.append(Update(name_arch, None, version, origin, advisory is not None))
    return updates


def dnf_lists_refreshed(root):
    stamps = []
    for pattern in _DNF_REPOMD:
        for path in glob.glob(os.path.join(root, pattern)):
            try:
                stamps.append((os.stat(path).st_mtime, path))
            except OSError:
                continue
    if not stamps:
        raise CheckError(f"no dnf metadata cache under {os.path.join(root, 'var/cache')}")
    return max(stamps)


def dnf_reboot(root, ctx):
    if root != "/":
        raise CheckError("needs-restarting looks at the running system only, not at another root")
    if not shutil.which("needs-restarting"):
        raise CheckError("needs-restarting (dnf-utils) is not on PATH")
    argv = ["needs-restarting", "-r"]
    rc, stdout, stderr = run_tool(argv, ctx)
    if rc not in (0, 1):
        raise _failed(argv, rc, stderr or stdout)
    return rc == 1, []


_MANAGER_SOURCES = {
    "apt": (apt_updates, apt_lists_refreshed, apt_reboot),
    "dnf": (dnf_updates, dnf_lists_refreshed, dnf_reboot),
}


# --- grading ----------------------------------------------------------------------------------------

def _names(updates):
    shown = ", ".join(f"{u.name} {u.installed or '?'} -> {u.candidate}" for u in updates[:SHOWN_NAMES])
    more = len(updates) - SHOWN_NAMES
    return shown + (f", +{more} more" if more > 0 else "")


def _grade_updates(ev, plan, updates):
    security = [update for update in updates if update.security]
    others = [update for update in updates if not update.security]
    ev.observe("security_packages", [update.as_record() for update in security[:LISTED_PACKAGES]])
    ev.observe("other_packages", [update.as_record() for update in others[:LISTED_PACKAGES]])
    ev.observe("packages_listed_max", LISTED_PACKAGES)
    names = _names(security)
    ev.measure("security_count", len(security), plan["security"], label="security updates",
               formatter=lambda count: f"{format_number(count)}" + (f" [{names}]" if count else ""))
    ev.measure("pending_count", len(updates), plan["pending"], label="pending upgrades")


def _grade_lists(ev, plan, refreshed, path):
    age = max(0.0, time.time() - refreshed)
    ev.observe("lists_refreshed_at", datetime.fromtimestamp(refreshed, timezone.utc).isoformat(timespec="seconds"))
    ev.observe("lists_source", path)
    ev.measure("lists_age_seconds", round(age, 1), plan["list_age"], label="package lists refreshed",
               formatter=lambda seconds: f"{format_duration(seconds)} ago")


def _grade_reboot(ev, plan, required, packages):
    ev.observe("reboot_required", required)
    ev.observe("reboot_packages", packages[:LISTED_PACKAGES])
    if plan["reboot_required"] != "pass":
        ev.expect("reboot_required", False)
    if not required:
        ev.note("no reboot required")
        return
    asked = f" (asked by {', '.join(packages[:SHOWN_NAMES])})" if packages else ""
    message = f"reboot required{asked}"
    if plan["reboot_required"] == "pass":
        ev.note(message)
    else:
        ev.finding(plan["reboot_required"], message)


def run(plan, ctx):
    manager = choose_manager(plan)
    updates_of, refreshed_of, reboot_of = _MANAGER_SOURCES[manager]
    ev = Evaluation()
    ev.observe("manager", manager)
    try:
        _grade_updates(ev, plan, updates_of(plan, ctx))
    except CheckError as exc:
        ev.finding("error", f"pending updates: {exc}")
    try:
        _grade_lists(ev, plan, *refreshed_of(plan["root"]))
    except CheckError as exc:
        ev.finding("error", f"package lists: {exc}")
    if plan["reboot_required"] != "pass" or manager == "apt":
        try:
            _grade_reboot(ev, plan, *reboot_of(plan["root"], ctx))
        except CheckError as exc:
            ev.finding("error", f"reboot required: {exc}")
    return ev.outcome()
