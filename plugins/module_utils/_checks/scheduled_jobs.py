# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check kind scheduled_jobs: a required cron entry exists with the expected schedule, zone and next run (private)."""

from __future__ import annotations

import datetime
import os
import pwd
import re
import shutil
import stat
import subprocess

from ansible_collections.golive.readiness.plugins.module_utils._check import (
    CheckError,
    Evaluation,
    OptionError,
    format_duration,
    parse_duration,
)
from ansible_collections.golive.readiness.plugins.module_utils._checks.log_health import mask_line
from ansible_collections.golive.readiness.plugins.module_utils._cron import (
    CronError,
    Schedule,
    host_zone,
    load_zone,
    parse_crontab,
    same_zone,
)
from ansible_collections.golive.readiness.plugins.module_utils._processes import child_process, kill_process_group

KIND = "scheduled_jobs"
SECTION = "application"
SEVERITY = "high"
VARIABLES = {"golive_cron_jobs": "application"}
SOURCES = ("user", "crontab", "cron_d")
CRON_TZ_MODES = ("auto", "honored", "ignored")
OPTIONS = dict(
    command=dict(type="str", required=True),
    user=dict(type="str"),
    schedule=dict(type="str"),
    timezone=dict(type="str"),
    fires_within=dict(type="str"),
    sources=dict(type="list", elements="str", choices=list(SOURCES), default=list(SOURCES)),
    spool_dir=dict(type="path", default="/var/spool/cron/crontabs"),
    crontab_file=dict(type="path", default="/etc/crontab"),
    cron_d_dir=dict(type="path", default="/etc/cron.d"),
    cron_tz=dict(type="str", choices=list(CRON_TZ_MODES), default="auto"),
)

# cron reads /etc/cron.d files named like run-parts' LSB names only; 'backup.cron' or 'app.dpkg-old' are skipped.
_CRON_D_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
_SHOWN_COMMAND = 200
_USER_NAME = re.compile(r"^[^\s/:]+$")


def describe(item):
    user = item.get("user")
    key = item["command"] + (f"@{user}" if user else "")
    return key, "Cron job /{}/{}".format(item["command"], f" of {user}" if user else "")


# --- options ------------------------------------------------------------------------------------


def _command(item):
    pattern = item.get("command") or ""
    if not pattern.strip():
        raise OptionError("command: must be a regular expression matching the job's command")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise OptionError(f"command: {pattern!r} is not a valid regular expression: {exc}") from None


def _schedule(item):
    if item.get("schedule") is None:
        return None
    try:
        return Schedule(item["schedule"])
    except CronError as exc:
        raise OptionError(f"schedule: {exc}") from None


def _fires_within(item, schedule):
    if item.get("fires_within") is None:
        return None
    seconds = parse_duration(item["fires_within"], "fires_within")
    if seconds <= 0:
        raise OptionError("fires_within: must be greater than zero, got {!r}".format(item["fires_within"]))
    if schedule is not None and schedule.reboot:
        raise OptionError("fires_within: an @reboot job has no next run")
    return seconds


def _sources(item):
    sources = item.get("sources")
    sources = list(SOURCES) if sources is None else list(sources)
    unknown = [s for s in sources if s not in SOURCES]
    if unknown or not sources:
        raise OptionError("sources: must list some of {}, got {!r}".format(", ".join(SOURCES), sources))
    return sources


def _absolute(item, option, default):
    value = item.get(option) or default
    if not os.path.isabs(value):
        raise OptionError(f"{option}: {value!r} must be absolute")
    return value


def prepare(item):
    user = item.get("user")
    if user is not None and not _USER_NAME.match(user):
        raise OptionError(f"user: {user!r} is not a user name")
    timezone = item.get("timezone")
    if timezone is not None and (not timezone.strip() or " " in timezone.strip()):
        raise OptionError(f"timezone: {timezone!r} is not a time zone name like Europe/Berlin or UTC")
    cron_tz = item["cron_tz"]
    if cron_tz not in CRON_TZ_MODES:
        raise OptionError("cron_tz: {!r} is not one of {}".format(cron_tz, ", ".join(CRON_TZ_MODES)))
    schedule = _schedule(item)
    return dict(
        command=_command(item),
        user=user,
        schedule=schedule,
        timezone=timezone.strip() if timezone else None,
        fires_within=_fires_within(item, schedule),
        sources=_sources(item),
        spool_dir=_absolute(item, "spool_dir", OPTIONS["spool_dir"]["default"]),
        crontab_file=_absolute(item, "crontab_file", OPTIONS["crontab_file"]["default"]),
        cron_d_dir=_absolute(item, "cron_d_dir", OPTIONS["cron_d_dir"]["default"]),
        cron_tz=cron_tz,
    )


# --- reading crontabs -----------------------------------------------------------------------------


class Crontab(object):
    """One crontab as cron would read it; ``ignored`` says why cron skips it (None when it does not)."""

    def __init__(self, label, text, system, ignored=None):
        self.label = label
        self.lines = parse_crontab(text, system)
        self.system = system
        self.ignored = ignored

    def where(self, line):
        return f"{self.label}:{line.number}"


def _read_text(path):
    """The text of a file; None when it does not exist; CheckError when it cannot be read."""
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CheckError(f"cannot read {path}: {exc.strerror or exc}") from None


def current_user():
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return str(os.geteuid())


def _crontab_list(user, ctx):
    """`crontab -l` of ``user`` (the setgid crontab command may read a spool this process cannot)."""
    binary = shutil.which("crontab")
    if binary is None:
        return None
    argv = [binary, "-l"] + ([] if user == current_user() else ["-u", user])
    with child_process(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        try:
            out, err = proc.communicate(timeout=ctx.child_timeout())
        except subprocess.TimeoutExpired:
            kill_process_group(proc)
            raise CheckError("{} timed out".format(" ".join(argv))) from None
    err = err.decode("utf-8", errors="replace").strip()
    if proc.returncode != 0:
        if "no crontab for" in err:
            return ""
        raise CheckError(f"{' '.join(argv)} failed (exit {proc.returncode}): {err[:200]}")
    return out.decode("utf-8", errors="replace")


def read_user_crontab(spool_dir, user, ctx):
    """The user's crontab from the spool, or through `crontab -l` when the spool is not readable here."""
    path = os.path.join(spool_dir, user)
    try:
        text = _read_text(path)
    except CheckError as exc:
        listed = _crontab_list(user, ctx)
        if listed is None:
            raise CheckError(f"{exc}, and there is no crontab command to list it") from None
        return Crontab(f"crontab -l -u {user}", listed, False)
    return Crontab(path, text or "", False)


def _unsafe_system_file(path):
    """Why cron ignores a system crontab for its owner or mode, or None ('owned by root, not group/other writable')."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if st.st_uid != 0:
        return "cron ignores it: it is not owned by root"
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"cron ignores it: it is group- or other-writable (mode {st.st_mode & 0o7777:04o})"
    return None


def read_cron_d(directory):
    try:
        names = sorted(os.listdir(directory))
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise CheckError(f"cannot list {directory}: {exc.strerror or exc}") from None
    crontabs = []
    for name in names:
        path = os.path.join(directory, name)
        if not os.path.isfile(path):
            continue
        text = _read_text(path)
        if text is None:
            continue
        ignored = None
        if not _CRON_D_NAME.match(name):
            ignored = "cron ignores it: only names of letters, digits, '_' and '-' are read"
        crontabs.append(Crontab(path, text, True, ignored or _unsafe_system_file(path)))
    return crontabs


def read_crontabs(plan, user, ctx):
    crontabs = []
    if "user" in plan["sources"]:
        crontabs.append(read_user_crontab(plan["spool_dir"], user, ctx))
    if "crontab" in plan["sources"]:
        text = _read_text(plan["crontab_file"])
        if text is not None:
            crontabs.append(Crontab(plan["crontab_file"], text, True, _unsafe_system_file(plan["crontab_file"])))
    if "cron_d" in plan["sources"]:
        crontabs.extend(read_cron_d(plan["cron_d_dir"]))
    return crontabs


# --- matching -------------------------------------------------------------------------------------


class Matches(object):
    """The lines of every crontab that run the command, sorted by what they mean for the check."""

    def __init__(self):
        self.entries = []        # (crontab, line): active entries of the right user
        self.other_users = []    # active entries running as someone else
        self.commented = []      # entries disabled with #
        self.ignored = []        # entries in files cron skips (with the reason)
        self.invalid = []        # lines cron rejects that mention the command


def find_matches(crontabs, plan):
    found = Matches()
    for crontab in crontabs:
        for line in crontab.lines:
            if line.kind == "invalid":
                if plan["command"].search(line.text):
                    found.invalid.append((crontab, line))
                continue
            if line.kind not in ("entry", "commented") or not plan["command"].search(line.command):
                continue
            if line.kind == "commented":
                found.commented.append((crontab, line))
            elif crontab.ignored:
                found.ignored.append((crontab, line))
            elif crontab.system and plan["user"] and line.user != plan["user"]:
                found.other_users.append((crontab, line))
            else:
                found.entries.append((crontab, line))
    return found


def cron_tz_honored(mode):
    """Whether this host's cron schedules by CRON_TZ: cronie (crond) does, Debian's Vixie cron (cron) does not."""
    if mode != "auto":
        return mode == "honored"
    if shutil.which("crond") or os.path.exists("/usr/sbin/crond"):
        return True
    return not (shutil.which("cron") or os.path.exists("/usr/sbin/cron"))


def entry_zone_name(line, honored, host):
    cron_tz = line.env.get("CRON_TZ")
    return cron_tz if cron_tz and honored else host.name


def _shown(crontab, line):
    return f"{crontab.where(line)} ({line.schedule.text})"


def _hints(found):
    hints = []
    for crontab, line in found.commented[:3]:
        hints.append(f"commented out at {crontab.where(line)}")
    for crontab, line in found.ignored[:3]:
        hints.append(f"at {crontab.where(line)}, but {crontab.ignored}")
    for crontab, line in found.other_users[:3]:
        hints.append(f"at {crontab.where(line)} as user {line.user}")
    return hints


def _report_missing(ev, plan, found, user):
    who = f" as {user}" if plan["user"] else ""
    hints = _hints(found)
    ev.finding("fail", "no cron entry runs /{}/{}{}".format(
        plan["command"].pattern, who, " (found {})".format("; ".join(hints)) if hints else ""))


def _report_invalid(ev, found, chosen_files):
    # cron's complaint may quote the line, and a job's command line can carry a password or token
    for crontab, line in found.invalid:
        ev.finding("fail", f"{crontab.where(line)}: cron rejects this line: {mask_line(line.error)}")
    for crontab in chosen_files:
        for line in crontab.lines:
            if line.kind == "invalid" and (crontab, line) not in found.invalid:
                ev.finding("fail", f"{crontab.where(line)}: cron rejects this line ({mask_line(line.error)}); "
                                   "Debian's cron then ignores the whole file")


def _fits(plan, line, zone_name):
    schedule_ok = plan["schedule"] is None or line.schedule == plan["schedule"]
    zone_ok = plan["timezone"] is None or same_zone(zone_name, plan["timezone"])
    return schedule_ok and zone_ok


def _choose(plan, found, honored, host):
    """The matching entry that fits the expectations best (the first that fits all, else the first)."""
    for crontab, line in found.entries:
        if _fits(plan, line, entry_zone_name(line, honored, host)):
            return crontab, line
    return found.entries[0]


def _grade_schedule(ev, plan, crontab, line):
    if plan["schedule"] is None:
        return
    ev.require(line.schedule == plan["schedule"], "{} runs at '{}', expected '{}'".format(
        crontab.where(line), line.schedule.text, plan["schedule"].text),
        passing=f"runs at '{line.schedule.text}'")


def _grade_zone(ev, plan, line, honored, zone_name):
    cron_tz = line.env.get("CRON_TZ")
    if cron_tz and not honored and not same_zone(cron_tz, zone_name):
        ev.finding("warn", f"CRON_TZ={cron_tz} is set, but this host's cron ignores CRON_TZ: "
                           f"the job runs in {zone_name}")
    if plan["timezone"] is not None:
        ev.require(same_zone(zone_name, plan["timezone"]), "runs in time zone {}, expected {}".format(
            zone_name, plan["timezone"]))


def _zone(zone_name, host):
    if zone_name == host.name:
        return host
    try:
        return load_zone(zone_name)
    except CronError as exc:
        raise CheckError(str(exc)) from None


def _grade_next_run(ev, plan, line, zone, now):
    if line.schedule.reboot:
        ev.observe("next_run", None)
        ev.require(plan["fires_within"] is None,
                   f"runs only at boot, so not within {format_duration(plan['fires_within'] or 0)}",
                   passing="runs at boot")
        return
    next_run = line.schedule.next_run(now, zone)
    if next_run is None:
        ev.observe("next_run", None)
        ev.finding("fail", f"'{line.schedule.text}' never fires (no such date)")
        return
    wait = (next_run - now).total_seconds()
    ev.observe("next_run", next_run.isoformat())
    ev.observe("next_run_in_seconds", int(wait), "seconds")
    text = f"next run {next_run.isoformat()} (in {format_duration(wait)})"
    if plan["fires_within"] is None:
        ev.note(text)
        return
    ev.require(wait <= plan["fires_within"], "{}, expected within {}".format(
        text, format_duration(plan["fires_within"])), passing=text)


def _expectations(ev, plan):
    ev.expect("command", plan["command"].pattern)
    for name in ("user", "timezone"):
        if plan[name] is not None:
            ev.expect(name, plan[name])
    if plan["schedule"] is not None:
        ev.expect("schedule", plan["schedule"].text)
    if plan["fires_within"] is not None:
        ev.expect_at_most("next_run_in_seconds", plan["fires_within"], "seconds")


def _observe_entry(ev, crontab, line, zone_name, found):
    ev.observe("entry", crontab.where(line))
    ev.observe("entries", [crontab.where(other) for crontab, other in found.entries])
    ev.observe("schedule", line.schedule.text)
    ev.observe("timezone", zone_name)
    if line.user:
        ev.observe("user", line.user)
    command = mask_line(line.command)
    ev.observe("command", command if len(command) <= _SHOWN_COMMAND else command[:_SHOWN_COMMAND] + "…")


def run(plan, ctx):
    user = plan["user"] or current_user()
    crontabs = read_crontabs(plan, user, ctx)
    found = find_matches(crontabs, plan)
    ev = Evaluation()
    _expectations(ev, plan)
    ev.observe("searched", [crontab.label for crontab in crontabs])
    if not found.entries:
        _report_missing(ev, plan, found, user)
        _report_invalid(ev, found, [])
        return ev.outcome()
    honored = cron_tz_honored(plan["cron_tz"])
    host = host_zone()
    crontab, line = _choose(plan, found, honored, host)
    zone_name = entry_zone_name(line, honored, host)
    _observe_entry(ev, crontab, line, zone_name, found)
    ev.note("{} runs /{}/".format(crontab.where(line), plan["command"].pattern))
    if len(found.entries) > 1:
        entries = ", ".join(_shown(c, entry) for c, entry in found.entries)
        ev.finding("warn", f"{len(found.entries)} entries run /{plan['command'].pattern}/: {entries} "
                           "(the job may run more than once)")
    _grade_schedule(ev, plan, crontab, line)
    _grade_zone(ev, plan, line, honored, zone_name)
    _grade_next_run(ev, plan, line, _zone(zone_name, host), datetime.datetime.now(datetime.timezone.utc))
    _report_invalid(ev, found, [crontab])
    return ev.outcome()
