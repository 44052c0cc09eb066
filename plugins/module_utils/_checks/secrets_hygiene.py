# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check kind secrets_hygiene: env files, leaked keys, secret file modes, world-writable files, pins (private).

Findings name the file, the line and the rule; a matched secret is shown only through mask_secret().
"""

from __future__ import annotations

import bisect
import os
import re
import stat

from ansible_collections.golive.readiness.plugins.module_utils._check import (
    STATUS_RANK,
    CheckError,
    Evaluation,
    OptionError,
    format_size,
    mask_secret,
    parse_size,
    quantity,
)
from ansible_collections.golive.readiness.plugins.module_utils._checks import _git
from ansible_collections.golive.readiness.plugins.module_utils._checks.path import format_mode, parse_mode
from ansible_collections.golive.readiness.plugins.module_utils._tree import excluded, matches

KIND = "secrets_hygiene"
SECTION = "security"
SEVERITY = "critical"
VARIABLES = {"golive_secrets_hygiene": "security"}
LEVELS = ("warn", "fail")
OPTIONS = dict(
    path=dict(type="path", required=True),
    env_files=dict(type="list", elements="str", default=[".env", ".env.*", "*.env"]),
    env_templates=dict(type="list", elements="str", default=["*.example", "*.sample", "*.template", "*.dist"]),
    env_not_ignored=dict(type="str", choices=list(LEVELS), default="warn"),
    secret_files=dict(type="list", elements="str", no_log=False, default=[
        "*.key", "*.pem", "*.p12", "*.pfx", "*.jks", "*.keystore", "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"]),
    secret_mode_max=dict(type="raw", default="0600", no_log=False),
    builtin_patterns=dict(type="bool", default=True),
    patterns=dict(type="dict"),
    exclude=dict(type="list", elements="str", default=[]),
    requirements=dict(type="list", elements="str", default=["requirements*.txt"]),
    max_file_size=dict(type="raw", default="1MB"),
    max_findings=dict(type="int", default=10),
    git_executable=dict(type="str", default="git"),
)

# High-confidence patterns only: each has a fixed, documented prefix and shape, so a match is a key.
BUILTIN_PATTERNS = (
    ("private_key", r"-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----"),
    ("stripe_live_key", r"(?<![A-Za-z0-9_])(?:sk|rk)_live_[0-9A-Za-z]{20,}"),
    ("aws_access_key_id", r"(?<![A-Z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Z0-9])"),
    ("github_token", r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})"),
    ("slack_token", r"(?<![A-Za-z0-9])xox[baprs]-[A-Za-z0-9-]{10,}"),
    ("google_api_key", r"(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])"),
)
# A line carrying this marker is not searched (the convention of detect-secrets).
ALLOW_MARKER = "pragma: allowlist secret"
# Files with this ending are secret only when they hold a private key: certificates and chains are public.
_MAYBE_PUBLIC = (".pem", ".crt")
_PRIVATE_KEY = re.compile(BUILTIN_PATTERNS[0][1].encode("ascii"))
_BINARY_SNIFF = 8192
# Stop walking or reading with this many seconds left, to report what was found in time.
_RESERVE_SECONDS = 0.3
_SHOWN_PATHS = 5

_COMMENT = re.compile(r"(?:^|\s)#.*$")
_SPECIFIER = re.compile(r"(===|==|~=|!=|<=|>=|<|>)\s*([^,;\s]+)")
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_EGG = re.compile(r"#egg=([A-Za-z0-9._-]+)")
_PINNED_URL = re.compile(r"@[0-9a-fA-F]{40}(?![0-9a-fA-F])|#(?:sha256|sha384|sha512)=[0-9a-fA-F]+")
_VCS = ("git+", "hg+", "svn+", "bzr+")


def describe(item):
    return item["path"], "Secrets hygiene of {}".format(item["path"])


# --- options ------------------------------------------------------------------------------------

def _compile(name, pattern, option):
    if not isinstance(pattern, str) or not pattern:
        raise OptionError(f"{option}: the pattern of {name!r} must be a non-empty string")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise OptionError(f"{option}: {pattern!r} is not a valid regular expression for {name!r}: {exc}") from None


def _rules(item):
    rules = []
    if item.get("builtin_patterns") is not False:
        rules.extend((name, re.compile(pattern)) for name, pattern in BUILTIN_PATTERNS)
    for name, pattern in sorted((item.get("patterns") or {}).items()):
        if not re.match(r"^[A-Za-z0-9_.-]+$", str(name)):
            raise OptionError(f"patterns: rule name {name!r} may only hold letters, digits, '_', '.' and '-'")
        rules.append((str(name), _compile(name, pattern, "patterns")))
    return rules


def _globs(item, option):
    globs = list(item.get(option) or [])
    for pattern in globs:
        if not pattern or not pattern.strip() or pattern.startswith("/"):
            raise OptionError(f"{option}: {pattern!r} must be a non-empty glob relative to path")
    return globs


def _max_findings(item):
    value = 10 if item.get("max_findings") is None else item["max_findings"]
    if value < 1:
        raise OptionError(f"max_findings: must be at least 1, got {value}")
    return value


def prepare(item):
    path = item["path"]
    if not os.path.isabs(path):
        raise OptionError(f"path: {path!r} must be absolute")
    level = item["env_not_ignored"]
    if level not in LEVELS:
        raise OptionError("env_not_ignored: {!r} is not one of {}".format(level, ", ".join(LEVELS)))
    max_size = parse_size("1MB" if item.get("max_file_size") is None else item["max_file_size"], "max_file_size")
    if max_size < 1:
        raise OptionError("max_file_size: must be greater than zero")
    executable = item.get("git_executable") or "git"
    return dict(
        path=os.path.normpath(path),
        env_files=_globs(item, "env_files"),
        env_templates=_globs(item, "env_templates"),
        env_not_ignored=level,
        secret_files=_globs(item, "secret_files"),
        secret_mode_max=parse_mode("0600" if item.get("secret_mode_max") is None else item["secret_mode_max"],
                                   "secret_mode_max"),
        rules=_rules(item),
        exclude=_globs(item, "exclude"),
        requirements=_globs(item, "requirements"),
        max_file_size=max_size,
        max_findings=_max_findings(item),
        git_executable=executable,
    )


# --- paths --------------------------------------------------------------------------------------

def is_env_file(plan, relpath):
    return matches(plan["env_files"], relpath) and not matches(plan["env_templates"], relpath)


class Finding(object):
    def __init__(self, status, rule, file, line=None, detail=None):
        self.status = status
        self.rule = rule
        self.file = file
        self.line = line
        self.detail = detail

    @property
    def where(self):
        return self.file if self.line is None else f"{self.file}:{self.line}"

    def message(self):
        return "{} {}{}".format(self.where, self.rule, f": {self.detail}" if self.detail else "")

    def as_dict(self):
        record = dict(status=self.status, rule=self.rule, file=self.file)
        if self.line is not None:
            record["line"] = self.line
        if self.detail:
            record["detail"] = self.detail
        return record


class Scan(object):
    """What one run found, skipped and did not get to."""

    def __init__(self, plan, ctx):
        self.plan = plan
        self.ctx = ctx
        self.root = plan["path"]
        self.findings = []
        self.binary = 0
        self.too_large = []
        self.unreadable = []
        self.stopped = None  # what was left undone when time ran out

    def out_of_time(self):
        return self.ctx.remaining() < _RESERVE_SECONDS

    def add(self, status, rule, file, line=None, detail=None):
        self.findings.append(Finding(status, rule, file, line, detail))

    def full(self, relpath):
        return os.path.join(self.root, relpath)

    def read(self, relpath):
        """The file's bytes (up to max_file_size), or None when it is skipped (too large or unreadable)."""
        limit = self.plan["max_file_size"]
        try:
            with open(self.full(relpath), "rb") as handle:
                data = handle.read(limit + 1)
        except OSError as exc:
            self.unreadable.append(f"{relpath} ({exc.strerror or exc})")
            return None
        if len(data) > limit:
            self.too_large.append(relpath)
            return None
        return data


# --- the walk: every file and directory on disk under path --------------------------------------

class Tree(object):
    def __init__(self):
        self.files = []  # relative paths of regular files
        self.links = []  # relative paths of symlinks (not followed by the walk)
        self.modes = {}  # relative path -> st_mode, regular files and directories
        self.entries = 0


def _relative(root, directory, name):
    rel = os.path.relpath(os.path.join(directory, name), root)
    return rel.replace(os.sep, "/")


def walk_tree(scan):
    """Regular files, directories and symlinks under the root, not following symlinks, without .git and
    excluded paths."""
    tree = Tree()
    errors = []
    for directory, dirnames, filenames in os.walk(scan.root, onerror=errors.append):
        if scan.out_of_time():
            scan.stopped = f"the walk of {scan.root} ({tree.entries} entries seen)"
            break
        kept = []
        for name in sorted(dirnames):
            rel = _relative(scan.root, directory, name)
            if name == ".git" or excluded(scan.plan["exclude"], rel):
                continue
            st = _lstat(scan, rel)
            tree.entries += 1
            if st is not None and stat.S_ISDIR(st.st_mode):
                kept.append(name)
                tree.modes[rel] = st.st_mode
            elif st is not None and stat.S_ISLNK(st.st_mode):
                tree.links.append(rel)
        dirnames[:] = kept
        for name in sorted(filenames):
            rel = _relative(scan.root, directory, name)
            if name == ".git" or excluded(scan.plan["exclude"], rel):
                continue
            st = _lstat(scan, rel)
            tree.entries += 1
            if st is not None and stat.S_ISREG(st.st_mode):
                tree.files.append(rel)
                tree.modes[rel] = st.st_mode
            elif st is not None and stat.S_ISLNK(st.st_mode):
                tree.links.append(rel)
    for error in errors:
        where = os.path.relpath(error.filename, scan.root) if error.filename else scan.root
        scan.unreadable.append(f"{where} ({error.strerror or error})")
    return tree


def _lstat(scan, rel):
    try:
        return os.lstat(scan.full(rel))
    except OSError as exc:
        scan.unreadable.append(f"{rel} ({exc.strerror or exc})")
        return None


# --- rules ----------------------------------------------------------------------------------------

def check_env_files_in_git(scan, checkout, tracked, env_files):
    """Tracked env files fail; untracked ones must be ignored by git."""
    tracked_set = set(tracked)
    for rel in sorted(set(env_files) | set(p for p in tracked if is_env_file(scan.plan, p))):
        if rel in tracked_set:
            scan.add("fail", "env_file_tracked", rel, detail="tracked by git; remove it from the repository")
    untracked = [p for p in env_files if p not in tracked_set]
    ignored = ignored_paths(checkout, untracked)
    for rel in untracked:
        if rel not in ignored:
            scan.add(scan.plan["env_not_ignored"], "env_file_not_ignored", rel,
                     detail="not ignored by git; add it to .gitignore")


def ignored_paths(checkout, paths):
    if not paths:
        return set()
    data = b"\0".join(p.encode("utf-8", errors="surrogateescape") for p in paths) + b"\0"
    return set(_git.split_nul(checkout.output(["check-ignore", "-z", "--stdin"], stdin=data, ok_codes=(0, 1))))


def holds_private_key(scan, rel):
    data = scan.read(rel)
    return data is not None and _PRIVATE_KEY.search(data) is not None


def _link_target_mode(scan, rel):
    """The mode of the regular file a symlink points to, or None (dangling, or not a file)."""
    try:
        st = os.stat(scan.full(rel))
    except OSError:
        return None
    return st.st_mode if stat.S_ISREG(st.st_mode) else None


def secret_files(scan, tree):
    """(path, mode, through a link) of env files and key files on disk; a .pem or .crt only when it holds a
    private key. A symlink is judged by the file it points to."""
    found = []
    candidates = [(rel, tree.modes[rel], False) for rel in tree.files]
    candidates.extend((rel, _link_target_mode(scan, rel), True) for rel in tree.links)
    for rel, mode, linked in candidates:
        if mode is None:
            continue
        if is_env_file(scan.plan, rel) or (matches(scan.plan["secret_files"], rel) and (
                not rel.endswith(_MAYBE_PUBLIC) or holds_private_key(scan, rel))):
            found.append((rel, mode, linked))
    return found


def check_secret_modes(scan, files):
    allowed = scan.plan["secret_mode_max"]
    for rel, mode, linked in files:
        extra = mode & 0o077 & ~allowed
        if extra:
            who = [name for bits, name in ((0o070, "group"), (0o007, "others")) if extra & bits]
            scan.add("fail", "secret_file_mode", rel, detail="mode {}{} gives {} access (max {})".format(
                format_mode(mode), " (of the link's target)" if linked else "", " and ".join(who),
                format_mode(allowed)))


def check_world_writable(scan, tree):
    for rel, mode in sorted(tree.modes.items()):
        if mode & stat.S_IWOTH:
            shown = rel + "/" if stat.S_ISDIR(mode) else rel
            scan.add("fail", "world_writable", shown, detail=f"mode {format_mode(mode)}")


def scan_for_secrets(scan, files):
    """Search each text file line by line; returns how many files were searched."""
    searched = 0
    for index, rel in enumerate(files):
        if scan.out_of_time():
            scan.stopped = f"the secret search ({index} of {len(files)} files searched)"
            break
        data = scan.read(rel)
        if data is None:
            continue
        if b"\0" in data[:_BINARY_SNIFF]:
            scan.binary += 1
            continue
        searched += 1
        search_text(scan, rel, data.decode("utf-8", errors="replace"))
    return searched


def search_text(scan, rel, text):
    """Each rule over the whole text (much faster than line by line); a match is placed on its line."""
    starts = None
    for rule, regex in scan.plan["rules"]:
        lines = set()
        for match in regex.finditer(text):
            if starts is None:
                starts = [0] + [newline.end() for newline in re.finditer("\n", text)]
            number = bisect.bisect_right(starts, match.start())
            end = text.find("\n", match.start())
            if number in lines or ALLOW_MARKER in text[starts[number - 1]:end if end >= 0 else len(text)]:
                continue
            lines.add(number)
            scan.add("fail", rule, rel, number, detail=hint(rule, match.group(0)))


def hint(rule, matched):
    """What may be shown of a match: the kind of a private key block, else a masked form."""
    if rule == "private_key":
        return matched.strip("-").replace("BEGIN ", "").lower().replace("private key", "private key block")
    return mask_secret(matched)


# --- requirements ---------------------------------------------------------------------------------

def logical_lines(text):
    """(first line number, text) of each logical line: backslash continuations joined, comments removed."""
    pending, start = [], None
    for number, line in enumerate(text.splitlines(), 1):
        if start is None:
            start = number
        stripped = _COMMENT.sub("", line).rstrip()
        if stripped.endswith("\\"):
            pending.append(stripped[:-1])
            continue
        pending.append(stripped)
        yield start, " ".join(pending).strip()
        pending, start = [], None
    if pending:
        yield start, " ".join(pending).strip()


def unpinned(requirement):
    """What to show of a requirement that is not pinned to one version, or None when it is pinned or not
    a package requirement (an option, an include, a local path)."""
    if not requirement or requirement.startswith(("-", ".", "/")):
        return None
    requirement = re.split(r"\s--?[a-z]", requirement, maxsplit=1)[0]  # per-requirement options (--hash)
    spec = requirement.split(";", 1)[0].strip()  # environment markers
    if "://" in spec or spec.startswith(_VCS):
        if _PINNED_URL.search(spec):
            return None
        name = _EGG.search(spec) or _NAME.match(spec.split("@", 1)[0] if " @ " in spec else "")
        # A URL can hold a token as its user name: show the project name only.
        return f"{name.group(1) if name else 'a URL'} (direct reference without a commit or hash)"
    specifiers = _SPECIFIER.findall(spec)
    if any(op == "===" or (op == "==" and "*" not in version) for op, version in specifiers):
        return None
    return spec[:100]


def check_requirements(scan, files):
    for rel in files:
        data = scan.read(rel)
        if data is None:
            continue
        for number, requirement in logical_lines(data.decode("utf-8", errors="replace")):
            shown = unpinned(requirement)
            if shown:
                scan.add("warn", "unpinned_requirement", rel, number, detail=f"{shown} is not pinned with ==")


# --- reporting ------------------------------------------------------------------------------------

def _ranked(findings):
    order = dict((name, index) for index, name in enumerate(RULE_ORDER))
    return sorted(findings, key=lambda f: (-STATUS_RANK[f.status], order.get(f.rule, len(order)), f.file,
                                           f.line or 0))


RULE_ORDER = tuple(["env_file_tracked"] + [name for name, dummy in BUILTIN_PATTERNS] + [
    "secret_file_mode", "world_writable", "env_file_not_ignored", "unpinned_requirement"])


def report_findings(ev, scan):
    findings = _ranked(scan.findings)
    shown, rest = findings[:scan.plan["max_findings"]], findings[scan.plan["max_findings"]:]
    for finding in shown:
        ev.finding(finding.status, finding.message())
    if rest:
        ev.finding(max((f.status for f in rest), key=STATUS_RANK.__getitem__),
                   f"and {len(rest)} more finding(s)")
    by_rule = {}
    for finding in findings:
        by_rule[finding.rule] = by_rule.get(finding.rule, 0) + 1
    ev.observe("findings", [f.as_dict() for f in shown])
    ev.observe("findings_total", len(findings), "count")
    ev.observe("findings_by_rule", {rule: quantity(found, "count") for rule, found in by_rule.items()})


def report_skipped(ev, scan):
    skipped = dict(binary=quantity(scan.binary, "count"), too_large=scan.too_large[:_SHOWN_PATHS],
                   too_large_count=quantity(len(scan.too_large), "count"), unreadable=scan.unreadable[:_SHOWN_PATHS],
                   unreadable_count=quantity(len(scan.unreadable), "count"))
    ev.observe("skipped", skipped)
    if scan.binary:
        ev.note(f"{scan.binary} binary file(s) not searched")
    if scan.too_large:
        too_large = ", ".join(scan.too_large[:_SHOWN_PATHS])
        ev.note(f"{len(scan.too_large)} file(s) over {format_size(scan.plan['max_file_size'])} not searched: "
                f"{too_large}")
    if scan.unreadable:
        unreadable = ", ".join(scan.unreadable[:_SHOWN_PATHS])
        ev.finding("error", f"{len(scan.unreadable)} path(s) could not be read, so the scan is incomplete: "
                            f"{unreadable}")
    if scan.stopped:
        ev.observe("stopped", scan.stopped)
        ev.finding("error", f"time limit reached during {scan.stopped}; the scan is incomplete (raise timeout)")


def _expectations(ev, plan, git_rules):
    ev.expect("rules", [name for name, dummy in plan["rules"]])
    ev.expect("secret_mode_max", format_mode(plan["secret_mode_max"]))
    ev.expect("max_file_size", plan["max_file_size"], "bytes")
    if git_rules:
        ev.expect("env_files", "not tracked, ignored by git (else {})".format(plan["env_not_ignored"]))


# --- run ------------------------------------------------------------------------------------------

def _require_directory(path):
    try:
        st = os.stat(path)
    except OSError as exc:
        raise CheckError(f"cannot check {path}: {exc.strerror or exc}") from None
    if not stat.S_ISDIR(st.st_mode):
        raise CheckError(f"{path} is not a directory")


def _tracked_files(checkout):
    return _git.split_nul(checkout.output(["ls-files", "-z", "--cached"]))


def run(plan, ctx):
    root = plan["path"]
    _require_directory(root)
    checkout = _git.open_checkout(root, plan["git_executable"], ctx)
    scan = Scan(plan, ctx)
    ev = Evaluation()
    ev.observe("path", root)
    ev.observe("git_checkout", checkout.top if checkout else None)
    tree = walk_tree(scan)
    env_files = sorted(p for p in tree.files + tree.links if is_env_file(plan, p))
    if checkout:
        tracked = [p for p in _tracked_files(checkout) if not excluded(plan["exclude"], p)]
        check_env_files_in_git(scan, checkout, tracked, env_files)
        to_search = [p for p in tracked if _is_regular(scan, p)]
        requirements = not_ignored(checkout, [p for p in tree.files if matches(plan["requirements"], p)], tracked)
    else:
        tracked = None
        to_search = tree.files
        requirements = [p for p in tree.files if matches(plan["requirements"], p)]
    check_secret_modes(scan, secret_files(scan, tree))
    check_world_writable(scan, tree)
    check_requirements(scan, requirements)
    searched = scan_for_secrets(scan, to_search)
    _observe_counts(ev, tree, tracked, env_files, requirements, searched)
    _expectations(ev, plan, checkout is not None)
    report_findings(ev, scan)
    report_skipped(ev, scan)
    _note_scope(ev, checkout, tracked, tree, searched, env_files, requirements)
    return ev.outcome()


def not_ignored(checkout, paths, tracked):
    """The paths git does not ignore (a tracked file is never ignored)."""
    tracked = set(tracked)
    ignored = ignored_paths(checkout, [p for p in paths if p not in tracked])
    return [p for p in paths if p not in ignored]


def _is_regular(scan, rel):
    try:
        return stat.S_ISREG(os.lstat(scan.full(rel)).st_mode)
    except OSError:
        return False  # tracked but deleted from the work tree: nothing on disk to leak


def _observe_counts(ev, tree, tracked, env_files, requirements, searched):
    ev.observe("files", len(tree.files), "count")
    ev.observe("tracked_files", None if tracked is None else len(tracked), "count")
    ev.observe("files_searched", searched, "count")
    ev.observe("env_files", env_files[:_SHOWN_PATHS * 4])
    ev.observe("requirements_files", requirements[:_SHOWN_PATHS * 4])


def _note_scope(ev, checkout, tracked, tree, searched, env_files, requirements):
    if checkout:
        ev.note(f"{searched} tracked file(s) searched for secrets")
    else:
        ev.note(f"not a git checkout: the tracked and ignored rules did not apply; all {searched} file(s) searched")
    ev.note(f"{len(env_files)} env file(s), {len(requirements)} requirements file(s), "
            f"{len(tree.files)} file(s) on disk checked")
