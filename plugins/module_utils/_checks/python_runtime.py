# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check kind python_runtime: interpreter version, virtualenv and pinned requirements (private)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile

from ansible_collections.golive.readiness.plugins.module_utils._check import (
    CheckError,
    Evaluation,
    OptionError,
    format_duration,
    format_size,
    mask_url,
    quantity,
)
from ansible_collections.golive.readiness.plugins.module_utils._checks.command_output import execute
from ansible_collections.golive.readiness.plugins.module_utils._processes import child_process, kill_process_group
from ansible_collections.golive.readiness.plugins.module_utils._tree import source_files

KIND = "python_runtime"
SECTION = "application"
SEVERITY = "high"
VARIABLES = {"golive_python_runtime": "application"}
OPTIONS = dict(
    python=dict(type="path"),
    min_version=dict(type="raw"),
    require_virtualenv=dict(type="bool", default=False),
    requirements=dict(type="path"),
    require_pinned=dict(type="bool"),
    unpinned_status=dict(type="str", choices=["warn", "fail"], default="fail"),
    compile=dict(type="list", elements="str"),
    compile_exclude=dict(type="list", elements="str", default=[]),
    imports=dict(type="list", elements="str"),
    chdir=dict(type="path"),
    pythonpath=dict(type="list", elements="str", default=[]),
)

# Includes nest rarely; a deeper chain is almost certainly a loop through differently spelled paths.
MAX_INCLUDE_DEPTH = 10

# Runs inside the inspected interpreter, as a script (python -c PROBE_SCRIPT 1|0), or in this process
# for the module's own interpreter. Python 2.7 syntax on purpose, so old interpreters can still say
# which version they are. The argument "1" asks for the installed distributions too.
PROBE_SCRIPT = r"""
import json, os, platform, sys
def dists():
    found = {}
    try:
        from importlib import metadata
        for dist in metadata.distributions():
            name = dist.metadata["Name"]
            if name and name not in found:
                found[name] = dist.version
        return found
    except ImportError:
        pass
    try:
        import pkg_resources
        for dist in pkg_resources.working_set:
            found.setdefault(dist.project_name, dist.version)
        return found
    except ImportError:
        return None
def describe(with_distributions):
    return {
        "version": list(sys.version_info[:3]),
        "executable": sys.executable,
        "prefix": sys.prefix,
        "base_prefix": getattr(sys, "base_prefix", getattr(sys, "real_prefix", sys.prefix)),
        "real_prefix": getattr(sys, "real_prefix", None),
        "virtual_env": os.environ.get("VIRTUAL_ENV"),
        "implementation": platform.python_implementation().lower(),
        "sys_platform": sys.platform,
        "platform_system": platform.system(),
        "platform_machine": platform.machine(),
        "os_name": os.name,
        "distributions": dists() if with_distributions else None,
    }
if __name__ == "__main__":
    sys.stdout.write(json.dumps(describe(sys.argv[1:] == ["1"])))
"""

# Caps of compile: the .py files listed, the bytes of one file, the bytes of all of them.
COMPILE_MAX_FILES = 10000
COMPILE_FILE_CAP = 4 * 1024 * 1024
COMPILE_READ_CAP = 256 * 1024 * 1024
# Syntax errors listed in the result (all are counted), and the characters of one message or import error.
SHOWN_ERRORS = 10
SHOWN_CHARS = 200
# A child is not started with less than this many seconds left: it could not finish.
_RESERVE_SECONDS = 0.5

# Runs in the inspected interpreter (python -B -c COMPILE_SCRIPT), the file list as JSON on stdin: reads
# each file and compile()s it in memory, importing nothing of it and writing nothing. Python 2.7 syntax.
COMPILE_SCRIPT = r"""
import json, sys, warnings
warnings.simplefilter("ignore")
def compile_error(data, path):
    try:
        compile(data, path, "exec", 0, True)
    except SyntaxError as exc:
        return {"file": path, "line": exc.lineno, "message": ("%s: %s" % (type(exc).__name__, exc.msg))[:400]}
    except Exception as exc:
        return {"file": path, "line": None, "message": ("%s: %s" % (type(exc).__name__, exc))[:400]}
    return None
def main(request):
    result = {"compiled": 0, "bytes": 0, "errors": [], "error_count": 0, "unreadable": [], "too_large": [],
              "over_read_cap": False}
    for path in request["files"]:
        try:
            handle = open(path, "rb")
            try:
                data = handle.read(request["file_cap"] + 1)
            finally:
                handle.close()
        except (IOError, OSError) as exc:
            result["unreadable"].append("%s (%s)" % (path, exc.strerror or exc))
            continue
        if len(data) > request["file_cap"]:
            result["too_large"].append(path)
            continue
        result["bytes"] += len(data)
        if result["bytes"] > request["read_cap"]:
            result["over_read_cap"] = True
            break
        error = compile_error(data, path)
        result["compiled"] += 1
        if error:
            result["error_count"] += 1
            if len(result["errors"]) < request["shown_errors"]:
                result["errors"].append(error)
    return result
sys.stdout.write(json.dumps(main(json.loads(sys.stdin.read()))))
"""

# Runs in the inspected interpreter (python -B -c IMPORT_SCRIPT <module>): imports the module with its
# output sent to stderr, so that stdout carries only the outcome, then exits at once (no atexit handler or
# thread the import started runs on). Python 2.7 syntax.
IMPORT_SCRIPT = r"""
import json, os, sys
out = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)
try:
    import importlib
    importlib.import_module(sys.argv[1])
    outcome = {"ok": True}
except BaseException as exc:
    outcome = {"ok": False, "error": " ".join(("%s: %s" % (type(exc).__name__, exc)).split())[:400]}
out.write(json.dumps(outcome))
out.flush()
os._exit(0)
"""

_MODULE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_VERSION = re.compile(r"^\d+(\.\d+){0,2}$")
_NAME = re.compile(
    r"^\s*(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?P<extras>\[[^\]]*\])?\s*(?P<rest>.*)$")
_SPECIFIER = re.compile(r"^\s*(===|==|!=|~=|<=|>=|<|>)\s*([^\s,;]+)\s*$")
_MARKER_TERM = re.compile(
    r"""^\s*(?:(?P<var>[a-z_]+)\s*(?P<op>===|==|!=|<=|>=|<|>|not\s+in|in)\s*(?P<quote>['"])(?P<value>[^'"]*)(?P=quote)"""
    r"""|(?P<lquote>['"])(?P<lvalue>[^'"]*)(?P=lquote)\s*(?P<lop>===|==|!=|<=|>=|<|>|not\s+in|in)\s*(?P<rvar>[a-z_]+))\s*$""")
_REVERSED_OP = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}
_VERSION_MARKERS = ("python_version", "python_full_version")
_STRING_MARKERS = dict(
    sys_platform="sys_platform", platform_system="platform_system", platform_machine="platform_machine",
    os_name="os_name", implementation_name="implementation", platform_python_implementation="implementation")


def describe(item):
    key = item.get("python") or "self"
    return key, f"Python runtime {key}"


def _parse_min_version(text):
    if text is None:
        return None
    if isinstance(text, float):
        # YAML reads an unquoted 3.10 as the number 3.1: refuse rather than check the wrong version.
        raise OptionError(f"min_version: give the version as a quoted string (\"3.10\"), not the number {text!r}")
    if isinstance(text, bool) or not isinstance(text, (str, int)):
        raise OptionError(f"min_version: {text!r} is not a version like 3.10 or 3.11.4")
    text = str(text).strip()
    if not _VERSION.match(text):
        raise OptionError(f"min_version: {text!r} is not a version like 3.10 or 3.11.4")
    return tuple(int(part) for part in text.split("."))


def _compile_paths(item):
    paths = item.get("compile")
    if paths is None:
        if item["compile_exclude"]:
            raise OptionError("compile_exclude: only applies with compile")
        return None
    if not paths:
        raise OptionError("compile: name at least one file, directory or glob")
    for path in paths:
        if not path or not os.path.isabs(path):
            raise OptionError(f"compile: {path!r} must be an absolute path or glob")
    for pattern in item["compile_exclude"]:
        if not pattern or not pattern.strip() or pattern.startswith("/"):
            raise OptionError(f"compile_exclude: {pattern!r} must be a non-empty glob relative to each directory")
    return [os.path.normpath(path) for path in paths]


def _imports(item):
    names = item.get("imports")
    if names is None:
        for option in ("chdir", "pythonpath"):
            if item.get(option):
                raise OptionError(f"{option}: only applies with imports")
        return None
    if not names:
        raise OptionError("imports: name at least one module")
    for name in names:
        if not _MODULE_NAME.match(name or ""):
            raise OptionError(f"imports: {name!r} is not a module name like app.settings")
    for option, paths in (("chdir", [item["chdir"]] if item.get("chdir") else []), ("pythonpath", item["pythonpath"])):
        for path in paths:
            if not path or not os.path.isabs(path) or ":" in path:
                raise OptionError(f"{option}: {path!r} must be an absolute path without ':'")
    return list(names)


def prepare(item):
    python = item.get("python")
    if python is not None and not os.path.isabs(python):
        raise OptionError(f"python: {python!r} must be an absolute path")
    requirements = item.get("requirements")
    if requirements is not None and not os.path.isabs(requirements):
        raise OptionError(f"requirements: {requirements!r} must be an absolute path")
    require_pinned = item.get("require_pinned")
    if require_pinned is None:
        require_pinned = requirements is not None
    elif require_pinned and requirements is None:
        raise OptionError("require_pinned: only applies with requirements")
    return dict(
        python=python,
        min_version=_parse_min_version(item.get("min_version")),
        require_virtualenv=bool(item.get("require_virtualenv")),
        requirements=requirements,
        require_pinned=require_pinned,
        unpinned_status=item["unpinned_status"],
        compile=_compile_paths(item),
        compile_exclude=list(item["compile_exclude"]),
        imports=_imports(item),
        chdir=item.get("chdir") or "/",
        pythonpath=list(item["pythonpath"]),
    )


# --- names and versions -------------------------------------------------------------------------

def normalize_name(name):
    """PEP 503 name: 'Foo.Bar_baz' -> 'foo-bar-baz'."""
    return re.sub(r"[-_.]+", "-", name).lower()


_PRE_TAGS = (("alpha", "a"), ("beta", "b"), ("preview", "rc"), ("pre", "rc"), ("c", "rc"), ("rev", "post"),
             ("r", "post"))


def _normalize_suffix(suffix):
    suffix = suffix.lower().replace("-", ".").replace("_", ".")
    parts = re.findall(r"[a-z]+|\d+", suffix)
    out = []
    for part in parts:
        if part.isdigit():
            out.append(str(int(part)))
        else:
            out.append(dict(_PRE_TAGS).get(part, part))
    return ".".join(out)


def normalize_version(version):
    """(release tuple without trailing zeros, normalized suffix, local label) for PEP 440 '==' comparison."""
    text = version.strip().lower()
    if text.startswith("v"):
        text = text[1:]
    public, _plus, local = text.partition("+")
    match = re.match(r"^(\d+(?:\.\d+)*)(.*)$", public)
    if not match:
        return (), public, local
    release = [int(part) for part in match.group(1).split(".")]
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    return tuple(release), _normalize_suffix(match.group(2)), local


def versions_equal(wanted, installed):
    """PEP 440 '==' for the usual forms: '2.31' == '2.31.0'; a local label is ignored unless pinned."""
    want = normalize_version(wanted)
    have = normalize_version(installed)
    if not want[2]:
        have = (have[0], have[1], "")
    return want == have


def _version_tuple(text):
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def _compare(left, op, right):
    return {
        "<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right,
        "==": left == right, "===": left == right, "!=": left != right,
    }[op]


# --- environment markers ------------------------------------------------------------------------

def _marker_values(info):
    version = list(info["version"])
    version.extend([0] * (3 - len(version)))
    major, minor, micro = version[:3]
    values = dict((name, str(info.get(key) or "")) for name, key in _STRING_MARKERS.items())
    values["python_version"] = f"{major}.{minor}"
    values["python_full_version"] = f"{major}.{minor}.{micro}"
    return values


def _marker_term(term):
    """(variable, operator, literal) of one marker comparison, written either way round; None if other."""
    match = _MARKER_TERM.match(term)
    if not match:
        return None
    if match.group("var"):
        return match.group("var"), re.sub(r"\s+", " ", match.group("op")), match.group("value")
    op = re.sub(r"\s+", " ", match.group("lop"))
    if op in ("in", "not in"):
        return None  # "'x' in variable" tests a substring of the variable; rare, not supported
    return match.group("rvar"), _REVERSED_OP.get(op, op), match.group("lvalue")


def _evaluate_term(term, values):
    parsed = _marker_term(term)
    if parsed is None or parsed[0] not in values:
        return None
    var, op, literal = parsed
    if var in _VERSION_MARKERS:
        if op in ("in", "not in"):
            return None
        return _compare(_version_tuple(values[var]), op, _version_tuple(literal))
    if op == "in":
        return values[var] in literal
    if op == "not in":
        return values[var] not in literal
    if op in ("==", "===", "!="):
        return _compare(values[var], op, literal)
    return None


def evaluate_marker(marker, info):
    """True/False for a marker of simple comparisons joined by 'and'/'or'; None when not understood."""
    if "(" in marker or ")" in marker:
        return None
    values = _marker_values(info)
    any_true = False
    for alternative in re.split(r"\s+or\s+", marker.strip()):
        all_true = True
        for term in re.split(r"\s+and\s+", alternative):
            result = _evaluate_term(term, values)
            if result is None:
                return None
            all_true = all_true and result
        any_true = any_true or all_true
    return any_true


# --- requirements files -------------------------------------------------------------------------

class Requirement(object):
    def __init__(self, name, pin, specifier, marker, source):
        self.name = name
        self.pin = pin  # the exact version for '==' / '===', else None
        self.specifier = specifier
        self.marker = marker
        self.source = source  # "file:line", for notes

    @property
    def key(self):
        return normalize_name(self.name)


def _logical_lines(text):
    """(line number, line) with backslash continuations joined and comments removed."""
    pending, start = "", None
    for number, line in enumerate(text.splitlines(), 1):
        if start is None:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = re.sub(r"(^|\s)#.*$", "", pending + line).strip()
        pending, first, start = "", start, None
        if line:
            yield first, line
    if pending.strip():
        yield start, pending.strip()


def _include_target(line):
    match = re.match(r"^(?:-r|--requirement)(?:\s*=\s*|\s+|(?=\S))(\S+)$", line)
    return match.group(1) if match else None


def _parse_requirement(line, source):
    # Per-requirement options (--hash=...) follow the requirement after whitespace.
    line = re.split(r"\s+--?[a-z]", " " + line, maxsplit=1)[0].strip()
    match = _NAME.match(line)
    if not match:
        return None
    rest = match.group("rest")
    rest, _semicolon, marker = rest.partition(";")
    rest = rest.strip()
    if rest.startswith("@"):
        return Requirement(match.group("name"), None, rest, marker.strip() or None, source)
    rest = rest.strip("()").strip()
    pin = None
    specifiers = [s for s in rest.split(",") if s.strip()] if rest else []
    for spec in specifiers:
        parsed = _SPECIFIER.match(spec)
        if not parsed:
            return None
        if parsed.group(1) in ("==", "===") and not parsed.group(2).endswith(".*"):
            pin = parsed.group(2)
    return Requirement(match.group("name"), pin, rest, marker.strip() or None, source)


def read_requirements(path, notes, seen=None, depth=0):
    """Requirements of a pip requirements file and the files it includes with -r."""
    seen = set() if seen is None else seen
    real = os.path.realpath(path)
    if real in seen:
        return []
    if depth > MAX_INCLUDE_DEPTH:
        raise CheckError(f"{path}: includes nested deeper than {MAX_INCLUDE_DEPTH} levels")
    seen.add(real)
    try:
        with open(path, "rb") as handle:
            text = handle.read().decode("utf-8", errors="replace")
    except OSError as exc:
        raise CheckError(f"cannot read requirements {path}: {exc.strerror or exc}") from None
    found = []
    for number, line in _logical_lines(text):
        include = _include_target(line)
        if include:
            target = include if os.path.isabs(include) else os.path.join(os.path.dirname(path), include)
            found.extend(read_requirements(target, notes, seen, depth + 1))
            continue
        if line.startswith("-"):
            continue  # -c, -e, -i, --index-url, --hash ...: options, not requirements to compare
        source = f"{os.path.basename(path)}:{number}"
        requirement = _parse_requirement(line, source)
        if requirement is None:
            notes.append(f"{source}: not understood, skipped")
        else:
            found.append(requirement)
    return found


# --- the interpreter ----------------------------------------------------------------------------

def inspect_self(with_distributions):
    """What the module's own interpreter says about itself, from the same code the probe runs."""
    namespace = {"__name__": "golive_python_probe"}
    exec(compile(PROBE_SCRIPT, "<python_runtime probe>", "exec"), namespace)  # pylint: disable=exec-used
    return namespace["describe"](with_distributions)


def _probe(argv, timeout):
    """(rc, stdout, stderr) of the probe; on timeout its whole process group is killed and reaped."""
    # cwd "/" so that no module in the caller's directory can shadow the probe's imports.
    with child_process(argv, cwd="/", stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE) as proc:
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_process_group(proc)
            raise
    return proc.returncode, stdout, stderr


def inspect_interpreter(python, with_distributions, timeout):
    """What ``python`` says about itself, asked through a subprocess bounded by ``timeout``."""
    argv = [python, "-c", PROBE_SCRIPT, "1" if with_distributions else "0"]
    try:
        rc, stdout, stderr = _probe(argv, timeout)
    except FileNotFoundError:
        raise CheckError(f"no interpreter at {python}") from None
    except PermissionError:
        raise CheckError(f"cannot execute {python}: permission denied") from None
    except OSError as exc:
        raise CheckError(f"cannot execute {python}: {exc.strerror or exc}") from None
    except subprocess.TimeoutExpired:
        raise CheckError(f"{python} did not answer: timed out after {format_duration(timeout)}") from None
    if rc != 0:
        last = stderr.decode("utf-8", errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise CheckError(f"{python} is not a working Python interpreter (exit {rc}: {last[0][:200]})")
    try:
        info = json.loads(stdout.decode("utf-8", errors="replace"))
    except ValueError:
        raise CheckError(f"{python} did not answer like a Python interpreter") from None
    if not isinstance(info, dict) or "version" not in info:
        raise CheckError(f"{python} did not answer like a Python interpreter")
    return info


def is_virtualenv(info):
    """A venv (prefix differs from base_prefix), an old-style virtualenv (real_prefix) or a venv layout."""
    if info.get("real_prefix"):
        return True
    if info.get("prefix") and info.get("base_prefix") and info["prefix"] != info["base_prefix"]:
        return True
    return bool(info.get("prefix")) and os.path.isfile(os.path.join(info["prefix"], "pyvenv.cfg"))


# --- evaluation ---------------------------------------------------------------------------------

def _version_text(version):
    return ".".join(str(part) for part in version)


def _check_version(plan, info, ev):
    version = tuple(info["version"])
    ev.observe("version", _version_text(version))
    if plan["min_version"] is None:
        ev.note(f"Python {_version_text(version)}")
        return
    wanted = _version_text(plan["min_version"])
    ev.expect("min_version", wanted)
    ev.require(version[:len(plan["min_version"])] >= plan["min_version"],
               f"Python {_version_text(version)} is older than {wanted}",
               passing=f"Python {_version_text(version)} (>= {wanted})")


def _check_virtualenv(plan, info, ev):
    virtualenv = is_virtualenv(info)
    ev.observe("virtualenv", virtualenv)
    if plan["require_virtualenv"]:
        ev.expect("virtualenv", True)
        ev.require(virtualenv, "not a virtualenv (prefix {})".format(info.get("prefix")), passing="in a virtualenv")


def _applicable(requirements, info, notes):
    kept = []
    for requirement in requirements:
        if requirement.marker is None:
            kept.append(requirement)
            continue
        applies = evaluate_marker(requirement.marker, info)
        if applies is None:
            notes.append(f"{requirement.source}: marker {requirement.marker!r} not evaluated, "
                         f"{requirement.name} skipped")
        elif applies:
            kept.append(requirement)
    return kept


def _check_requirements(plan, info, ev):
    notes = []
    requirements = _applicable(read_requirements(plan["requirements"], notes), info, notes)
    if info.get("distributions") is None:
        raise CheckError(f"cannot list the installed distributions of {info.get('executable')} "
                         "(no importlib.metadata or pkg_resources)")
    installed = dict((normalize_name(n), v) for n, v in info["distributions"].items())
    ev.expect("requirements", plan["requirements"])
    missing, mismatched, unpinned = [], [], []
    for requirement in requirements:
        have = installed.get(requirement.key)
        if have is None:
            missing.append(requirement.name)
        elif requirement.pin is not None and not versions_equal(requirement.pin, have):
            mismatched.append(dict(name=requirement.name, wanted=requirement.pin, installed=have))
        if requirement.pin is None and not requirement.specifier.startswith("@"):
            unpinned.append(requirement.name)
    ev.observe("requirements_checked", len(requirements), "count")
    ev.observe("missing", missing)
    ev.observe("mismatched", mismatched)
    ev.observe("unpinned", unpinned)
    ev.observe("notes", notes)
    ev.require(not missing, "not installed: {}".format(", ".join(missing)))
    ev.require(not mismatched, "version mismatch: {}".format(", ".join(
        "{} {} (wanted {})".format(m["name"], m["installed"], m["wanted"]) for m in mismatched)))
    if plan["require_pinned"]:
        ev.expect("pinned", True)
        ev.require(not unpinned, "not pinned with ==: {}".format(", ".join(unpinned)), status=plan["unpinned_status"])
    if not (missing or mismatched):
        ev.note(f"{len(requirements)} requirements installed as pinned")


# --- compiling and importing, in children of the interpreter ---------------------------------------

def _interpreter(plan):
    return plan["python"] or sys.executable


def _run_child(plan, argv, ctx, stdin=None, chdir="/", pythonpath=()):
    """(rc, stdout text) of the interpreter running ``argv`` with bytecode writing off (-B, PYTHONDONTWRITEBYTECODE,
    and PYTHONPYCACHEPREFIX in a scratch directory removed afterwards), bounded by the check's time."""
    python = _interpreter(plan)
    with tempfile.TemporaryDirectory(prefix="golive-pycache-") as bytecode_cache:
        child = dict(argv=[python, "-B", *argv], chdir=chdir, env=dict(PYTHONPATH=":".join(pythonpath)),
                     bytecode_cache=bytecode_cache)
        if stdin is not None:
            child["stdin"] = stdin
        done = execute(child, ctx.child_timeout(), ctx.timeout)
    if done.stdout.truncated:
        raise CheckError(f"{python} answered more than expected; its answer was not read")
    return done.rc, done.stdout.text(), done.stderr.text()


def _compile_request(files):
    request = dict(files=[path for path, _size in files], file_cap=COMPILE_FILE_CAP, read_cap=COMPILE_READ_CAP,
                   shown_errors=SHOWN_ERRORS)
    return json.dumps(request).encode("utf-8")


def _cut(text):
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS - 1] + "\u2026"


def _compiled(plan, files, ctx):
    with tempfile.TemporaryFile() as request:  # unnamed: nothing is left on disk, whatever happens
        request.write(_compile_request(files))
        request.seek(0)
        rc, stdout, stderr = _run_child(plan, ["-c", COMPILE_SCRIPT], ctx, stdin=request)
    try:
        result = json.loads(stdout)
    except ValueError:
        last = stderr.strip().splitlines()[-1:] or ["no output"]
        raise CheckError(f"{_interpreter(plan)} could not compile (exit {rc}: {_cut(mask_url(last[0]))})") from None
    return result


def _listed_sources(plan, ctx):
    found = source_files(plan["compile"], ["*.py"], plan["compile_exclude"], COMPILE_MAX_FILES,
                         lambda: ctx.remaining() < _RESERVE_SECONDS)
    if found.over_count:
        raise CheckError(f"compile: more than the cap COMPILE_MAX_FILES ({COMPILE_MAX_FILES}) files; "
                         "name fewer paths or exclude some")
    if found.stopped:
        raise CheckError(f"compile: time limit reached during {found.stopped} (raise timeout)")
    return found


def _check_compile(plan, ctx, ev):
    found = _listed_sources(plan, ctx)
    result = _compiled(plan, found.files, ctx) if found.files else dict(
        compiled=0, bytes=0, errors=[], error_count=0, unreadable=[], too_large=[], over_read_cap=False)
    errors = [dict(error, message=_cut(error["message"])) for error in result["errors"]]
    ev.expect("compile", plan["compile"])
    ev.observe("compile", dict(files=quantity(result["compiled"], "count"), bytes=quantity(result["bytes"], "bytes"),
                               error_count=quantity(result["error_count"], "count"), errors=errors))
    where = "; ".join("{}:{}: {}".format(e["file"], e["line"] or "?", e["message"]) for e in errors[:3])
    ev.require(not result["error_count"], f"{result['error_count']} file(s) do not compile: {where}",
               passing=f"{result['compiled']} file(s) compile")
    unreadable = found.unreadable + result["unreadable"]
    if unreadable:
        ev.finding("error", "compile: {} path(s) could not be read: {}".format(
            len(unreadable), ", ".join(unreadable[:5])))
    for pattern in found.unmatched:
        ev.finding("error", f"compile: nothing matches {pattern}")
    if result["too_large"]:
        ev.finding("error", "compile: {} file(s) over the cap COMPILE_FILE_CAP ({}) not compiled: {}".format(
            len(result["too_large"]), format_size(COMPILE_FILE_CAP), ", ".join(result["too_large"][:5])))
    if result["over_read_cap"]:
        ev.finding("error", f"compile: the files hold more than the cap COMPILE_READ_CAP "
                            f"({format_size(COMPILE_READ_CAP)}); compiling stopped there")


def _import_outcome(plan, name, ctx):
    if ctx.remaining() < _RESERVE_SECONDS:
        return dict(module=name, ok=False, error="not tried: the check's time limit was reached"), "error"
    try:
        rc, stdout, stderr = _run_child(plan, ["-c", IMPORT_SCRIPT, name], ctx, chdir=plan["chdir"],
                                        pythonpath=plan["pythonpath"])
    except CheckError as exc:
        return dict(module=name, ok=False, error=_cut(str(exc))), "error"
    try:
        outcome = json.loads(stdout)
    except ValueError:
        last = stderr.strip().splitlines()[-1:] or ["no output"]
        return dict(module=name, ok=False, error=_cut(mask_url(f"exit {rc} during the import: {last[0]}"))), "fail"
    if outcome.get("ok"):
        return dict(module=name, ok=True, error=None), "pass"
    return dict(module=name, ok=False, error=_cut(mask_url(str(outcome.get("error"))))), "fail"


def _check_imports(plan, ctx, ev):
    outcomes = [_import_outcome(plan, name, ctx) for name in plan["imports"]]
    ev.expect("imports", plan["imports"])
    ev.observe("imports", [outcome for outcome, _status in outcomes])
    for outcome, status in outcomes:
        if status != "pass":
            ev.finding(status, "import {} failed: {}".format(outcome["module"], outcome["error"]))
    if all(status == "pass" for _outcome, status in outcomes):
        ev.note(f"{len(outcomes)} module(s) import")


def _is_own_interpreter(python):
    # Compared unresolved: a virtualenv's python is a symlink to the base interpreter but has its own prefix.
    return python is None or os.path.abspath(python) == os.path.abspath(sys.executable)


def run(plan, ctx):
    with_distributions = plan["requirements"] is not None
    if _is_own_interpreter(plan["python"]):
        info = inspect_self(with_distributions)
    else:
        info = inspect_interpreter(plan["python"], with_distributions, ctx.child_timeout())
    ev = Evaluation()
    ev.observe("executable", info.get("executable") or plan["python"])
    _check_version(plan, info, ev)
    _check_virtualenv(plan, info, ev)
    if plan["requirements"] is not None:
        _check_requirements(plan, info, ev)
    if plan["compile"] is not None:
        _check_compile(plan, ctx, ev)
    if plan["imports"] is not None:
        _check_imports(plan, ctx, ev)
    return ev.outcome()
