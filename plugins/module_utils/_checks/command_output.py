# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check kind command_output: run a read-only command and assert on its exit code and output (private).

The command is the user's: this kind cannot know whether it only reads, so the documentation says it must.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import shlex
import subprocess
import tempfile
import time

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.golive.readiness.plugins.module_utils._check import (
    CheckError,
    Evaluation,
    OptionError,
    format_duration,
    parse_codes,
)
from ansible_collections.golive.readiness.plugins.module_utils._json_assert import (
    QUERY_OPTIONS,
    evaluate,
    expected_of,
    load_jmespath,
    prepare_assertions,
)
from ansible_collections.golive.readiness.plugins.module_utils._processes import (
    end_child,
    kill_process_group,
    start_child,
)

KIND = "command_output"
SECTION = "infrastructure"
SEVERITY = "high"
VARIABLES = {"golive_commands": "infrastructure", "golive_app_commands": "application"}
OPTIONS = dict(
    argv=dict(type="list", elements="str"),
    cmd=dict(type="str"),
    shell=dict(type="bool", default=False),
    chdir=dict(type="path"),
    env=dict(type="dict", no_log=True),
    expect_rc=dict(type="raw", default=0),
    stdout_regex=dict(type="str"),
    stdout_not_regex=dict(type="str"),
    stderr_regex=dict(type="str"),
    json_query=dict(type="list", elements="dict", options=QUERY_OPTIONS),
    json_lines=dict(type="bool", default=False),
    name=dict(type="str"),
)

MAX_KEPT_BYTES = 64 * 1024  # of each of stdout and stderr; the rest is read and dropped
SHOWN_CHARS = 500
_READ_CHUNK = 16 * 1024


def describe(item):
    if item.get("name"):
        key = item["name"]
    elif item.get("argv"):
        key = " ".join(item["argv"])
    else:
        key = item.get("cmd") or "command"
    return key, f"Command {key}"


# --- options ------------------------------------------------------------------------------------

def _argv(item):
    argv, cmd, shell = item.get("argv"), item.get("cmd"), bool(item.get("shell"))
    if argv is not None and cmd is not None:
        raise OptionError("argv/cmd: give one of them, not both")
    if argv is None and cmd is None:
        raise OptionError("argv/cmd: one of them is required")
    if argv is not None:
        if shell:
            raise OptionError("shell: only applies to cmd; argv runs without a shell")
        if not argv or not argv[0]:
            raise OptionError("argv: must name a command")
        return list(argv)
    if not cmd.strip():
        raise OptionError("cmd: must not be empty")
    if shell:
        return ["/bin/sh", "-c", cmd]
    try:
        argv = shlex.split(cmd)
    except ValueError as exc:
        raise OptionError(f"cmd: cannot split {cmd!r}: {exc}") from None
    return argv


def _expect_rc(value):
    return parse_codes(value, "expect_rc", "an exit code", "exit code")


def _regex(item, option):
    pattern = item.get(option)
    if pattern is None:
        return None
    try:
        return re.compile(pattern, re.MULTILINE)
    except re.error as exc:
        raise OptionError(f"{option}: {pattern!r} is not a valid regular expression: {exc}") from None


def prepare(item):
    argv = _argv(item)
    if item.get("chdir") is not None and not os.path.isabs(item["chdir"]):
        raise OptionError("chdir: {!r} must be absolute".format(item["chdir"]))
    env = item.get("env") or {}
    for name in env:
        if not name or "=" in name:
            raise OptionError(f"env: {name!r} is not a variable name")
    queries = item.get("json_query") or []
    if item.get("json_lines") and not queries:
        raise OptionError("json_lines: only applies with json_query")
    return dict(
        argv=argv,
        chdir=item.get("chdir"),
        env=dict((str(k), "" if v is None else str(v)) for k, v in env.items()),
        expect_rc=_expect_rc(0 if item.get("expect_rc") is None else item["expect_rc"]),
        stdout_regex=_regex(item, "stdout_regex"),
        stdout_not_regex=_regex(item, "stdout_not_regex"),
        stderr_regex=_regex(item, "stderr_regex"),
        queries=prepare_assertions(queries),
        json_lines=bool(item.get("json_lines")),
    )


# --- running ------------------------------------------------------------------------------------

class Captured(object):
    """The first ``keep`` bytes of a stream (MAX_KEPT_BYTES by default), and how many bytes it had in all."""

    def __init__(self, keep=MAX_KEPT_BYTES):
        self.keep = keep
        self.kept = bytearray()
        self.total = 0

    def add(self, chunk):
        self.total += len(chunk)
        room = self.keep - len(self.kept)
        if room > 0:
            self.kept.extend(chunk[:room])

    @property
    def truncated(self):
        return self.total > len(self.kept)

    def text(self):
        return bytes(self.kept).decode("utf-8", errors="replace")


class Completed(object):
    def __init__(self, rc, stdout, stderr, seconds):
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.seconds = seconds


def command_environment(plan) -> dict:
    """The command's environment: the module's, the item's env, and Python told to write no bytecode.

    PYTHONDONTWRITEBYTECODE stops the __pycache__ of imports; py_compile and compileall write their
    .pyc regardless, so PYTHONPYCACHEPREFIX sends those to the check's scratch directory.
    """
    env = dict(os.environ)
    env.update(plan["env"])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if plan.get("bytecode_cache"):
        env["PYTHONPYCACHEPREFIX"] = plan["bytecode_cache"]
    return env


def _spawn(plan):
    if plan["chdir"] is not None and not os.path.isdir(plan["chdir"]):
        raise CheckError("chdir: {} is not a directory".format(plan["chdir"]))
    env = command_environment(plan)
    try:
        return start_child(plan["argv"], cwd=plan["chdir"], env=env, stdin=plan.get("stdin", subprocess.DEVNULL),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, **plan.get("popen", {}))
    except FileNotFoundError:
        raise CheckError("command not found: {}".format(plan["argv"][0])) from None
    except PermissionError:
        raise CheckError("cannot execute {}: permission denied".format(plan["argv"][0])) from None
    except OSError as exc:
        raise CheckError("cannot execute {}: {}".format(plan["argv"][0], exc.strerror or exc)) from None


# After the command exits, output still open in a background grandchild is awaited this long at most.
_DRAIN_AFTER_EXIT = 0.5


def _timed_out(started, limit):
    return CheckError(f"timed out after {format_duration(time.monotonic() - started)} "
                      f"(time limit {format_duration(limit)}); the command was killed")


def execute(plan, budget, limit, keep=MAX_KEPT_BYTES):
    """Run the command, keeping the first ``keep`` bytes of each stream; CheckError when it outlives ``budget`` seconds.

    ``limit`` is the check's time limit, for the message; ``budget`` is a little less (see CheckContext.child_timeout).
    ``plan["popen"]``, when present, holds further arguments of Popen (another kind's user and group to run as).
    """
    started = time.monotonic()
    deadline = started + budget
    proc = _spawn(plan)
    streams = {proc.stdout: Captured(keep), proc.stderr: Captured(keep)}
    captured = dict(streams)
    selector = selectors.DefaultSelector()
    try:
        for stream in streams:
            selector.register(stream, selectors.EVENT_READ)
        exited_at = None
        while streams:
            now = time.monotonic()
            if now >= deadline:
                kill_process_group(proc)
                raise _timed_out(started, limit)
            if exited_at is None and proc.poll() is not None:
                exited_at = now
            if exited_at is not None and now - exited_at > _DRAIN_AFTER_EXIT:
                break
            for key, _events in selector.select(timeout=min(0.1, deadline - now)):
                chunk = os.read(key.fileobj.fileno(), _READ_CHUNK)
                if chunk:
                    streams[key.fileobj].add(chunk)
                else:
                    selector.unregister(key.fileobj)
                    del streams[key.fileobj]
        rc = proc.wait(timeout=max(0.05, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        kill_process_group(proc)
        raise _timed_out(started, limit) from None
    finally:
        selector.close()
        proc.stdout.close()
        proc.stderr.close()
        end_child(proc)
    return Completed(rc, captured[proc.stdout], captured[proc.stderr], time.monotonic() - started)


# --- assertions ---------------------------------------------------------------------------------

def parse_json_output(text, json_lines):
    """The stdout as one JSON document, or as a list of one document per non-blank line."""
    if not json_lines:
        try:
            return json.loads(text)
        except ValueError as exc:
            raise ValueError(f"stdout is not JSON: {exc}") from None
    documents = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            documents.append(json.loads(line))
        except ValueError as exc:
            raise ValueError(f"stdout line {number} is not JSON: {exc}") from None
    return documents


def _check_json(plan, done, ev, results):
    if done.stdout.truncated:
        ev.finding("error", f"stdout is larger than {MAX_KEPT_BYTES // 1024} KiB; its JSON cannot be evaluated")
        return
    try:
        document = parse_json_output(done.stdout.text(), plan["json_lines"])
    except ValueError as exc:
        ev.finding("error", str(exc))
        return
    results.extend(evaluate(plan["queries"], document, ev))


def _check_regexes(plan, done, ev, results):
    checks = (
        ("stdout_regex", done.stdout, True),
        ("stdout_not_regex", done.stdout, False),
        ("stderr_regex", done.stderr, True),
    )
    for option, stream, should_match in checks:
        regex = plan[option]
        if regex is None:
            continue
        stream_name = option.split("_", 1)[0]
        matched = regex.search(stream.text()) is not None
        passed = matched == should_match
        ev.expect(option, regex.pattern)
        verb, negated = ("matches", "does not match") if should_match else ("does not match", "matches")
        results.append(dict(assertion=f"{stream_name} {verb} /{regex.pattern}/", passed=passed))
        ev.require(passed, f"{stream_name} {negated} /{regex.pattern}/")


def _first(captured):
    text = captured.text()
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"


def run(plan, ctx):
    if plan["queries"] and load_jmespath() is None:
        # Checked before running the command: its output could not be evaluated anyway.
        raise CheckError(missing_required_lib("jmespath"))
    with tempfile.TemporaryDirectory(prefix="golive-pycache-") as bytecode_cache:
        done = execute(dict(plan, bytecode_cache=bytecode_cache), ctx.child_timeout(), ctx.timeout)
    if plan["argv"][:2] == ["/bin/sh", "-c"] and done.rc == 127 and 127 not in plan["expect_rc"]:
        raise CheckError(f"command not found (the shell exited 127): {_first(done.stderr).strip()[:200]}")
    ev = Evaluation()
    ev.observe("rc", done.rc)
    ev.observe("stdout", _first(done.stdout))
    ev.observe("stderr", _first(done.stderr))
    ev.observe("stdout_bytes", done.stdout.total, "bytes")
    ev.observe("stdout_truncated", done.stdout.truncated)
    ev.expect("rc", plan["expect_rc"])
    results = [dict(assertion="rc in {}".format(plan["expect_rc"]), passed=done.rc in plan["expect_rc"])]
    expected_rc = " or ".join(str(c) for c in plan["expect_rc"])
    ev.require(done.rc in plan["expect_rc"], f"exit code {done.rc} (expected {expected_rc})",
               passing=f"exit code {done.rc}")
    _check_regexes(plan, done, ev, results)
    if plan["queries"]:
        ev.expect("json_query", expected_of(plan["queries"]))
        _check_json(plan, done, ev, results)
    ev.observe("assertions", results)
    passed = sum(1 for r in results if r["passed"])
    ev.note(f"{passed} of {len(results)} assertions hold")
    return ev.outcome()
