# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check kind env_vars: required, forbidden, placeholder and expected environment variables (private).

Values are never returned: results name variables, and show an offending value only through mask_secret().
"""

from __future__ import annotations

import os
import re

from ansible_collections.golive.readiness.plugins.module_utils._check import (
    CheckError,
    Evaluation,
    OptionError,
    mask_secret,
)

KIND = "env_vars"
SECTION = "application"
SEVERITY = "high"
VARIABLES = {"golive_env_vars": "application"}
SOURCES = ("env_file", "process", "module")
OPTIONS = dict(
    source=dict(type="str", choices=list(SOURCES), default="env_file"),
    env_file=dict(type="path"),
    pid=dict(type="int"),
    process_name=dict(type="str"),
    required=dict(type="list", elements="str", default=[]),
    forbidden=dict(type="list", elements="str", default=[]),
    placeholder_patterns=dict(type="list", elements="str"),
    allow_placeholders_for=dict(type="list", elements="str", default=[]),
    local_urls_are_placeholders=dict(type="bool", default=False),
    expected_values=dict(type="dict"),
    same_keys_as=dict(type="path"),
    extra_keys=dict(type="str", choices=["ignore", "warn", "fail"], default="warn"),
)

# Matched case-insensitively with re.search against each checked value.
DEFAULT_PLACEHOLDER_PATTERNS = (
    r"change[-_ ]?me",
    r"changeit",
    r"(?<![a-z0-9])example(\.(com|org|net))?(?![a-z0-9])",
    r"placeholder",
    r"(?<![a-z0-9])(todo|tbd|fixme)(?![a-z0-9])",
    r"(?<![a-z0-9])x{3,}(?![a-z0-9])",
    r"your[-_ ]?[a-z0-9_-]+?[-_ ]?here",
    r"dummy",
    r"(?<![a-z0-9])(sk|pk|rk)_test_",
    r"^\s*(none|null|nil|undefined|n/?a)\s*$",
    r"^\s*(secret|password|passw0rd|123456)\s*$",
    r"^<[^>]*>$",
)

# A URL to this machine: a template leftover in most env files, but a local pgbouncer or sidecar is
# legitimate, so it is a placeholder only with local_urls_are_placeholders.
LOCAL_URL_PATTERN = r"://([^/@\s]*@)?(localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])(?![a-z0-9.-])"

# A dotenv file bigger than this is not an env file; refuse rather than read it into memory.
MAX_ENV_FILE_BYTES = 1024 * 1024

_NAME = r"[A-Za-z_][A-Za-z0-9_.]*"
_ASSIGNMENT = re.compile(rf"^\s*(?:export\s+)?(?P<name>{_NAME})\s*=(?P<space>\s*)(?P<rest>.*)$")
_DOUBLE_QUOTE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\", "$": "$"}


def _source_key(item):
    source = item["source"]
    if source == "env_file":
        return item.get("env_file") or "env_file"
    if source == "process":
        if item.get("pid") is not None:
            return f"pid:{item['pid']}"
        return item.get("process_name") or "process"
    return "module"


def describe(item):
    key = _source_key(item)
    return key, f"Environment of {key}"


def _check_names(names, option):
    for name in names:
        if not name or "=" in name or "\0" in name:
            raise OptionError(f"{option}: {name!r} is not a variable name")
    return list(names)


def _compile(pattern, option):
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise OptionError(f"{option}: {pattern!r} is not a valid regular expression: {exc}") from None


def _expected_values(item):
    expected = item.get("expected_values") or {}
    compiled = {}
    for name, pattern in expected.items():
        _check_names([name], "expected_values")
        if not isinstance(pattern, str):
            raise OptionError(f"expected_values: the pattern of {name} must be a string, got {pattern!r}")
        try:
            compiled[name] = re.compile(pattern)
        except re.error as exc:
            raise OptionError(f"expected_values: {name}: {pattern!r} is not a valid regular expression: "
                              f"{exc}") from None
    return compiled


def _source_options(item):
    source = item["source"]
    given = dict((o, item.get(o) is not None) for o in ("env_file", "pid", "process_name"))
    wanted = {"env_file": ("env_file",), "process": ("pid", "process_name"), "module": ()}[source]
    for option, is_set in given.items():
        if is_set and option not in wanted:
            raise OptionError("{}: only applies with source={}".format(
                option, "env_file" if option == "env_file" else "process"))
    if source == "env_file":
        if not item.get("env_file"):
            raise OptionError("env_file: required with source=env_file")
        if not os.path.isabs(item["env_file"]):
            raise OptionError("env_file: {!r} must be absolute".format(item["env_file"]))
    if source == "process":
        if given["pid"] == given["process_name"]:
            raise OptionError("pid/process_name: source=process needs exactly one of them")
        if given["pid"] and item["pid"] < 1:
            raise OptionError("pid: {!r} is not a process id".format(item["pid"]))
        if given["process_name"] and not item["process_name"].strip():
            raise OptionError("process_name: must not be empty")
    return source


def _template(item, source):
    template = item.get("same_keys_as")
    if template is None:
        return None
    if source != "env_file":
        raise OptionError("same_keys_as: only applies with source=env_file")
    if not os.path.isabs(template):
        raise OptionError(f"same_keys_as: {template!r} must be absolute")
    return template


def prepare(item):
    source = _source_options(item)
    template = _template(item, source)
    required = _check_names(item["required"], "required")
    forbidden = _check_names(item["forbidden"], "forbidden")
    both = sorted(set(required) & set(forbidden))
    if both:
        raise OptionError("required/forbidden: {} cannot be both".format(", ".join(both)))
    expected = _expected_values(item)
    if source != "env_file" and not (required or forbidden or expected):
        raise OptionError("required/forbidden/expected_values: give at least one, there is nothing to check")
    patterns = item.get("placeholder_patterns")
    if patterns is None:
        patterns = list(DEFAULT_PLACEHOLDER_PATTERNS)
    if item.get("local_urls_are_placeholders"):
        patterns = [*patterns, LOCAL_URL_PATTERN]
    return dict(
        source=source,
        env_file=item.get("env_file"),
        pid=item.get("pid"),
        process_name=item.get("process_name"),
        required=required,
        forbidden=forbidden,
        expected=expected,
        placeholders=[(p, _compile(p, "placeholder_patterns")) for p in patterns],
        exempt=set(_check_names(item["allow_placeholders_for"], "allow_placeholders_for")),
        same_keys_as=template,
        extra_keys=item["extra_keys"],
    )


# --- dotenv files -------------------------------------------------------------------------------

def _unescape_double(text):
    out = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text) and text[index + 1] in _DOUBLE_QUOTE_ESCAPES:
            out.append(_DOUBLE_QUOTE_ESCAPES[text[index + 1]])
            index += 2
            continue
        out.append(char)
        index += 1
    return "".join(out)


def _closing_quote(text, quote):
    """Index of the unescaped closing ``quote`` in ``text``, or -1."""
    index = 0
    while index < len(text):
        if quote == '"' and text[index] == "\\":
            index += 2
            continue
        if text[index] == quote:
            return index
        index += 1
    return -1


def _only_comment_after(text):
    rest = text.strip()
    return not rest or rest.startswith("#")


def _unquoted_value(rest):
    # An inline comment starts at a '#' preceded by whitespace; 'a#b' keeps its '#'.
    match = re.search(r"\s#", rest)
    if match:
        rest = rest[:match.start()]
    return rest.strip()


def parse_dotenv(text):
    """(variables, malformed line numbers) of a dotenv text; later definitions win, like most loaders."""
    variables = {}
    malformed = []
    lines = text.splitlines()
    number = 0
    while number < len(lines):
        line = lines[number]
        number += 1
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _ASSIGNMENT.match(line)
        if not match:
            malformed.append(number)
            continue
        name, rest = match.group("name"), match.group("rest")
        if rest[:1] in ("'", '"'):
            quote, start = rest[0], number
            body = rest[1:]
            end = _closing_quote(body, quote)
            # A quoted value may span lines (PEM keys); it ends at the closing quote.
            while end < 0 and number < len(lines):
                body += "\n" + lines[number]
                number += 1
                end = _closing_quote(body, quote)
            if end < 0 or not _only_comment_after(body[end + 1:]):
                malformed.append(start)
                continue
            value = body[:end]
            variables[name] = _unescape_double(value) if quote == '"' else value
        else:
            # 'KEY=   # set at cut-over': the '#' follows whitespace, so the value is only a comment.
            variables[name] = "" if match.group("space") and rest.startswith("#") else _unquoted_value(rest)
    return variables, malformed


def read_env_file(path):
    try:
        size = os.stat(path).st_size
        if size > MAX_ENV_FILE_BYTES:
            raise CheckError(f"{path} is {size} bytes, too big for an env file")
        with open(path, "rb") as handle:
            data = handle.read(MAX_ENV_FILE_BYTES + 1)
    except OSError as exc:
        raise CheckError(f"cannot read {path}: {exc.strerror or exc}") from None
    return parse_dotenv(data.decode("utf-8", errors="replace"))


# --- process environments -----------------------------------------------------------------------

def parse_environ(data):
    """Variables of a NUL-separated /proc/<pid>/environ block."""
    variables = {}
    for entry in data.split(b"\0"):
        if not entry:
            continue
        name, sep, value = entry.partition(b"=")
        if sep:
            variables[name.decode("utf-8", errors="replace")] = value.decode("utf-8", errors="replace")
    return variables


def read_process_environ(pid):
    try:
        with open(f"/proc/{pid}/environ", "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise CheckError(f"no process with pid {pid}") from None
    except PermissionError:
        raise CheckError(f"cannot read the environment of pid {pid}: permission denied "
                         "(run as the process owner or with become)") from None
    except OSError as exc:
        raise CheckError(f"cannot read the environment of pid {pid}: {exc.strerror or exc}") from None
    return parse_environ(data)


def _read_proc_text(pid, name):
    with open(f"/proc/{pid}/{name}", "rb") as handle:
        return handle.read().decode("utf-8", errors="replace")


def _state_and_start_time(pid):
    stat = _read_proc_text(pid, "stat")
    # Fields after the parenthesised command name: state is field 3 of the line, starttime field 22.
    fields = stat[stat.rindex(")") + 2:].split()
    return fields[0], int(fields[19])


def _matches_name(pid, wanted):
    comm = _read_proc_text(pid, "comm").rstrip("\n")
    argv0 = _read_proc_text(pid, "cmdline").split("\0", 1)[0]
    # The kernel truncates comm to 15 characters.
    return wanted in (comm, argv0, os.path.basename(argv0)) or (len(wanted) > 15 and comm == wanted[:15])


def find_processes(name):
    """(start time, pid) of every process but this one whose comm or argv[0] is ``name``, oldest first."""
    found = []
    own = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == own:
            continue
        pid = int(entry)
        try:
            if _matches_name(pid, name):
                state, started = _state_and_start_time(pid)
                if state not in ("Z", "X"):  # an exited process has no environment left to read
                    found.append((started, pid))
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile, or not readable: not a candidate
    return sorted(found)


# --- evaluation ---------------------------------------------------------------------------------

def _load(plan, ev):
    """The variables of the plan's source; records where they came from in ``ev``."""
    source = plan["source"]
    ev.observe("source", source)
    if source == "env_file":
        ev.observe("env_file", plan["env_file"])
        variables, malformed = read_env_file(plan["env_file"])
        ev.observe("malformed_lines", malformed)
        if malformed:
            ev.finding("warn", "malformed line{} {} in {} (not KEY=VALUE)".format(
                "" if len(malformed) == 1 else "s", ", ".join(str(n) for n in malformed), plan["env_file"]))
        return variables
    if source == "process":
        pid = plan["pid"]
        if pid is None:
            candidates = find_processes(plan["process_name"])
            if not candidates:
                raise CheckError("no process named {}".format(plan["process_name"]))
            pid = candidates[0][1]
            ev.observe("process_name", plan["process_name"])
            ev.observe("matching_pids", sorted(pid for _started, pid in candidates))
        ev.observe("pid", pid)
        return read_process_environ(pid)
    return dict(os.environ)


def _is_empty(value):
    return value is None or not value.strip()


def _placeholder_pattern(value, plan):
    for text, regex in plan["placeholders"]:
        if regex.search(value):
            return text
    return None


def _names_to_scan(plan, variables):
    """Required and expected names; in an env file, every variable it defines (all are the app's config)."""
    names = set(plan["required"]) | set(plan["expected"])
    if plan["source"] == "env_file":
        names |= set(variables)
    return sorted(n for n in names if n not in plan["exempt"])


def _plural(names):
    return "{} {}".format("variable" if len(names) == 1 else "variables", ", ".join(names))


def _check_required(plan, variables, ev):
    present = [n for n in plan["required"] if not _is_empty(variables.get(n))]
    missing = [n for n in plan["required"] if n not in variables]
    empty = [n for n in plan["required"] if n in variables and _is_empty(variables[n])]
    ev.observe("present", present)
    ev.observe("missing", missing)
    ev.observe("empty", empty)
    if plan["required"]:
        ev.expect("required", plan["required"])
    count = len(plan["required"])
    ev.require(not missing, f"missing {_plural(missing)}",
               passing=(f"all {count} required variables set" if count > 1 else "the required variable set")
               if count else None)
    ev.require(not empty, f"empty {_plural(empty)}")


def _check_forbidden(plan, variables, ev):
    if not plan["forbidden"]:
        return
    ev.expect("forbidden", plan["forbidden"])
    found = [n for n in plan["forbidden"] if n in variables]
    ev.observe("forbidden_set", found)
    ev.require(not found, f"forbidden {_plural(found)} set")


def _check_placeholders(plan, variables, ev):
    offending = []
    for name in _names_to_scan(plan, variables):
        value = variables.get(name)
        if _is_empty(value):
            continue
        pattern = _placeholder_pattern(value, plan)
        if pattern:
            offending.append(dict(name=name, value=mask_secret(value), pattern=pattern))
    ev.observe("placeholders", offending)
    ev.require(not offending, "placeholder value in {}".format(_plural([o["name"] for o in offending])))


def _check_expected(plan, variables, ev):
    if not plan["expected"]:
        return
    ev.expect("expected_values", dict((n, r.pattern) for n, r in plan["expected"].items()))
    mismatched = []
    for name, regex in sorted(plan["expected"].items()):
        if name not in variables:
            mismatched.append(dict(name=name, value=None, expected=regex.pattern))
        elif not regex.search(variables[name]):
            mismatched.append(dict(name=name, value=mask_secret(variables[name]), expected=regex.pattern))
    ev.observe("mismatched", mismatched)
    for entry in mismatched:
        ev.finding("fail", "{} {} (expected to match {})".format(
            entry["name"], "is not set" if entry["value"] is None else "has an unexpected value",
            entry["expected"]))


def _check_same_keys(plan, variables, ev):
    """The env file defines exactly the keys of its template (.env.example); only names are compared."""
    template = plan["same_keys_as"]
    if template is None:
        return
    parsed, malformed = read_env_file(template)
    keys = set(parsed)  # only the names: a template's values are never looked at
    ev.expect("same_keys_as", template)
    missing = sorted(keys - set(variables))
    extra = sorted(set(variables) - keys)
    ev.observe("keys_missing", missing)
    ev.observe("keys_extra", extra)
    if malformed:
        ev.finding("warn", "malformed line{} {} in {} (not KEY=VALUE)".format(
            "" if len(malformed) == 1 else "s", ", ".join(str(n) for n in malformed), template))
    ev.require(not missing, "{} not in {}".format(_plural(missing), plan["env_file"]) + f" (defined in {template})",
               passing=f"every key of {template} defined")
    if plan["extra_keys"] != "ignore":
        ev.require(not extra, f"{_plural(extra)} not in {template}", status=plan["extra_keys"])


def run(plan, ctx):
    ev = Evaluation()
    variables = _load(plan, ev)
    ev.observe("variables", len(variables), "count")
    _check_required(plan, variables, ev)
    _check_forbidden(plan, variables, ev)
    _check_placeholders(plan, variables, ev)
    _check_expected(plan, variables, ev)
    _check_same_keys(plan, variables, ev)
    if not plan["required"]:
        ev.note(f"{len(variables)} variables, no placeholder values")
    return ev.outcome()
