"""path against real trees: real modes and owners, real users' access, symlinks, mtimes and a read-only mount."""

from __future__ import annotations

import grp
import os
import pwd
import time

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._checks import path as path_kind
from ansible_collections.golive.readiness.plugins.module_utils._runner import PreparedCheck, run_one

from ._realfs import kernel_allows, nobody, require_root, run_check_as, searchable_tmp_dir, tmpfs

# Ids no account of this host uses: files are given to them to test ownership.
STRANGER_UID = 54321
STRANGER_GID = 54322
HOUR = 3600
DAY = 86400


def check(**item):
    plan = path_kind.prepare(item)
    return run_one(PreparedCheck(item, "path:x", "t", path_kind, plan, 10.0))


def make_file(where, name, mode=0o644, content=b"data", uid=None, gid=None, age=None):
    path = os.path.join(where, name)
    with open(path, "wb") as handle:
        handle.write(content)
    os.chmod(path, mode)
    if uid is not None or gid is not None:
        os.chown(path, -1 if uid is None else uid, -1 if gid is None else gid)
    if age is not None:
        then = time.time() - age
        os.utime(path, (then, then))
    return path


def make_dir(where, name, mode=0o755, uid=None, gid=None):
    path = os.path.join(where, name)
    os.mkdir(path)
    os.chmod(path, mode)  # mkdir's mode is filtered by the umask
    if uid is not None or gid is not None:
        os.chown(path, -1 if uid is None else uid, -1 if gid is None else gid)
    return path


@pytest.fixture
def tree():
    """A directory every user can search, removed afterwards."""
    with searchable_tmp_dir() as where:
        yield where


# --- existence, type and what is observed --------------------------------------------------------


def test_existing_file_is_observed(tree):
    target = make_file(tree, "app.conf", 0o640, b"x" * 123, age=HOUR)
    outcome = check(path=target)
    assert outcome.status == "pass"
    assert outcome.summary == "exists"
    observed = outcome.observed
    assert observed["exists"] is True
    assert observed["type"] == "file"
    assert observed["mode"] == "0640"
    assert (observed["owner"], observed["group"]) == (pwd.getpwuid(os.geteuid()).pw_name,
                                                      grp.getgrgid(os.getegid()).gr_name)
    assert observed["size"]["value"] == 123
    assert observed["mtime_age_seconds"]["unit"] == "seconds"
    assert HOUR - 5 < observed["mtime_age_seconds"]["value"] < HOUR + 60


def test_state_file_and_directory(tree):
    target = make_file(tree, "f")
    folder = make_dir(tree, "d", 0o750)
    assert check(path=target, state="file").status == "pass"
    assert check(path=folder, state="directory").observed["type"] == "directory"
    wrong = check(path=folder, state="file")
    assert wrong.status == "fail"
    assert wrong.summary == "is a directory, expected a file"
    assert check(path=target, state="directory").summary == "is a file, expected a directory"


def test_missing_path_fails_unless_it_must_be_absent(tree):
    missing = os.path.join(tree, "missing")
    failing = check(path=missing)
    assert failing.status == "fail"
    assert failing.summary == "does not exist"
    assert failing.observed == {"exists": False}
    assert check(path=missing, state="file").summary == "does not exist (expected a file)"
    absent = check(path=missing, state="absent")
    assert absent.status == "pass"
    assert absent.summary == "absent"


def test_path_under_a_file_counts_as_missing(tree):
    target = make_file(tree, "f")
    assert check(path=os.path.join(target, "below"), state="absent").status == "pass"


def test_existing_path_that_must_be_absent_fails(tree):
    target = make_file(tree, ".env.example")
    outcome = check(path=target, state="absent")
    assert outcome.status == "fail"
    assert outcome.summary == "exists as a file but must be absent"


# --- mode ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode, mode_max, status, summary", [
    (0o644, "0644", "pass", "exists"),
    (0o600, "0644", "pass", "exists"),
    (0o666, "0644", "fail", "mode 0666 is looser than 0644 (group write, other write)"),
    (0o755, "644", "fail", "mode 0755 is looser than 0644 (owner execute, group execute, other execute)"),
    (0o4755, "0755", "fail", "mode 4755 is looser than 0755 (setuid)"),
    (0o2775, "2775", "pass", "exists"),
    (0o640, "0o600", "fail", "mode 0640 is looser than 0600 (group read)"),
])
def test_mode_max(tree, mode, mode_max, status, summary):
    target = make_file(tree, "f", mode)
    outcome = check(path=target, mode_max=mode_max)
    assert (outcome.status, outcome.summary) == (status, summary)
    assert outcome.observed["mode"] == f"{mode:04o}"


def test_mode_max_flags_a_sticky_directory(tree):
    folder = make_dir(tree, "shared", 0o1777)
    outcome = check(path=folder, mode_max="0777")
    assert outcome.summary == "mode 1777 is looser than 0777 (sticky)"


# --- ownership ----------------------------------------------------------------------------------


def test_what_the_item_asks_for_is_reported_as_expected_beside_what_was_observed(tree):
    target = make_file(tree, "secret.env", mode=0o600)
    me = pwd.getpwuid(os.getuid()).pw_name
    outcome = check(path=target, state="file", mode_max="0640", owner=me, readable_by=me)
    assert outcome.status == "pass"
    assert outcome.expected == {"state": "file", "mode_max": "0640", "owner": me, "readable_by": me}
    assert outcome.observed["mode"] == "0600"
    assert check(path=target).expected == {"state": "exists"}


def test_owner_and_group_by_numeric_id(tree):
    require_root()
    target = make_file(tree, "f", uid=STRANGER_UID, gid=STRANGER_GID)
    outcome = check(path=target, owner=str(STRANGER_UID), group=str(STRANGER_GID))
    assert outcome.status == "pass"
    assert (outcome.observed["owner"], outcome.observed["group"]) == (str(STRANGER_UID), str(STRANGER_GID))


def test_wrong_owner_and_group_fail(tree):
    require_root()
    target = make_file(tree, "f", uid=STRANGER_UID, gid=STRANGER_GID)
    outcome = check(path=target, owner="root", group="root")
    assert outcome.status == "fail"
    assert outcome.summary == f"owned by {STRANGER_UID}, expected root; group {STRANGER_GID}, expected root"


def test_owner_and_group_by_name(tree):
    require_root()
    user = nobody()
    target = make_file(tree, "f", uid=user.pw_uid, gid=user.pw_gid)
    group = grp.getgrgid(user.pw_gid).gr_name
    assert check(path=target, owner=user.pw_name, group=group).status == "pass"
    assert check(path=target, owner="0").summary == f"owned by {user.pw_name}, expected 0"


@pytest.mark.parametrize("option, value, message", [
    ("owner", "golive-no-such-user", "owner: user 'golive-no-such-user' does not exist on this host"),
    ("group", "golive-no-such-group", "group: group 'golive-no-such-group' does not exist on this host"),
    ("writable_by", "golive-no-such-user", "writable_by: user 'golive-no-such-user' does not exist on this host"),
    ("readable_by", "golive-no-such-user", "readable_by: user 'golive-no-such-user' does not exist on this host"),
])
def test_unknown_user_or_group_on_this_host_is_an_error(tree, option, value, message):
    outcome = check(path=tree, **{option: value})
    assert outcome.status == "error"
    assert outcome.summary == message


# --- effective access -----------------------------------------------------------------------------


def test_writable_by_an_unprivileged_user(tree):
    require_root()
    user = nobody()
    assert check(path=make_file(tree, "open", 0o666), writable_by="nobody").status == "pass"
    assert check(path=make_file(tree, "own", 0o600, uid=user.pw_uid), writable_by="nobody").status == "pass"
    via_group = make_file(tree, "group", 0o660, gid=user.pw_gid)
    assert check(path=via_group, writable_by="nobody").status == "pass"
    closed = make_file(tree, "closed", 0o644)
    outcome = check(path=closed, writable_by="nobody")
    assert outcome.status == "fail"
    assert outcome.summary == (
        f"not writable by nobody: nobody cannot write {closed} (mode 0644, owner root, group root)")


def test_owner_class_wins_over_looser_group_and_other_bits(tree):
    require_root()
    user = nobody()
    target = make_file(tree, "f", 0o466, uid=user.pw_uid)
    assert check(path=target, writable_by="nobody").status == "fail"
    assert not kernel_allows(user, target, os.W_OK)


def test_writable_directory_needs_search_permission(tree):
    require_root()
    folder = make_dir(tree, "drop", 0o702)
    outcome = check(path=folder, writable_by="nobody")
    assert outcome.status == "fail"
    assert outcome.summary.endswith(f"nobody cannot write and search {folder} (mode 0702, owner root, group root)")
    assert check(path=make_dir(tree, "uploads", 0o703), writable_by="nobody").status == "pass"


def test_unsearchable_parent_denies_access(tree):
    require_root()
    private = make_dir(tree, "private", 0o700)
    inside = make_file(private, "f", 0o666)
    outcome = check(path=inside, writable_by="nobody", readable_by="nobody")
    assert outcome.status == "fail"
    assert outcome.summary == (
        f"not writable by nobody: nobody cannot search {private} (mode 0700, owner root, group root); "
        f"not readable by nobody: nobody cannot search {private} (mode 0700, owner root, group root)")


def test_readable_by(tree):
    require_root()
    assert check(path=make_file(tree, "public", 0o644), readable_by="nobody").status == "pass"
    secret = make_file(tree, "secret", 0o640)
    assert check(path=secret, readable_by="nobody").summary.startswith("not readable by nobody: nobody cannot read")
    listing_only = make_dir(tree, "d", 0o711)
    assert check(path=listing_only, readable_by="nobody").status == "fail"


def test_supplementary_groups_count(tree):
    require_root()
    member = next(((g, m) for g in grp.getgrall() for m in g.gr_mem if _has_account(m)
                   and pwd.getpwnam(m).pw_gid != g.gr_gid), None)
    if member is None:
        pytest.skip("no account of this host has a supplementary group")
    group, name = member
    target = make_file(tree, "f", 0o660, gid=group.gr_gid)
    assert check(path=target, writable_by=name, readable_by=name).status == "pass"
    assert kernel_allows(pwd.getpwnam(name), target, os.W_OK | os.R_OK)


def _has_account(name):
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def test_root_may_write_anything_on_a_writable_filesystem(tree):
    require_root()
    read_only_mode = make_file(tree, "f", 0o444, uid=STRANGER_UID)
    assert check(path=read_only_mode, writable_by="root", readable_by="0").status == "pass"


def test_nobody_may_write_on_a_read_only_filesystem(tmp_path):
    with tmpfs(str(tmp_path / "ro"), "size=1m,mode=0777,ro") as where:
        outcome = check(path=where, writable_by="root", readable_by="root")
        assert outcome.status == "fail"
        assert outcome.summary == f"not writable by root: {where} is on a read-only filesystem"


@pytest.mark.parametrize("mode, owner, group", [
    (0o644, 0, 0), (0o666, 0, 0), (0o600, "nobody", 0), (0o066, "nobody", 0), (0o460, 0, "nobody"),
    (0o606, 0, "nobody"), (0o060, 0, "nobody"), (0o006, STRANGER_UID, STRANGER_GID),
])
def test_file_access_agrees_with_the_kernel(tree, mode, owner, group):
    require_root()
    user = nobody()
    target = make_file(tree, "f", mode, uid=user.pw_uid if owner == "nobody" else owner,
                       gid=user.pw_gid if group == "nobody" else group)
    outcome = check(path=target, writable_by="nobody")
    assert (outcome.status == "pass") == kernel_allows(user, target, os.W_OK)
    outcome = check(path=target, readable_by="nobody")
    assert (outcome.status == "pass") == kernel_allows(user, target, os.R_OK)


@pytest.mark.parametrize("mode", [0o755, 0o753, 0o757, 0o751, 0o754, 0o700])
def test_directory_access_agrees_with_the_kernel(tree, mode):
    require_root()
    user = nobody()
    folder = make_dir(tree, "d", mode)
    outcome = check(path=folder, writable_by="nobody")
    assert (outcome.status == "pass") == kernel_allows(user, folder, os.W_OK | os.X_OK)
    outcome = check(path=folder, readable_by="nobody")
    assert (outcome.status == "pass") == kernel_allows(user, folder, os.R_OK | os.X_OK)


# --- checks that cannot see the path -------------------------------------------------------------


def test_permission_denied_parent_is_an_error_not_absent(tree):
    private = make_dir(tree, "private", 0o700)
    make_file(private, "secret.env", 0o600)
    for state in ("absent", "file"):
        outcome = run_check_as(nobody(), "path", dict(path=os.path.join(private, "secret.env"), state=state))
        assert outcome["status"] == "error"
        assert outcome["summary"] == f"cannot stat {private}/secret.env: Permission denied"


def test_unlistable_glob_directory_is_an_error_not_zero_matches(tree):
    private = make_dir(tree, "backups", 0o711)
    make_file(private, "db-1.sql.gz", 0o644)
    outcome = run_check_as(nobody(), "path", dict(path=os.path.join(private, "*.sql.gz"), count_max=10))
    assert outcome["status"] == "error"
    assert outcome["summary"] == f"cannot list {private}: Permission denied"


# --- symlinks -------------------------------------------------------------------------------------


def test_symlink_is_followed_by_default(tree):
    target = make_file(tree, "real", 0o600)
    link = os.path.join(tree, "link")
    os.symlink(target, link)
    followed = check(path=link, state="file", mode_max="0600")
    assert followed.status == "pass"
    assert (followed.observed["type"], followed.observed["mode"]) == ("file", "0600")
    itself = check(path=link, follow=False, state="file", mode_max="0600")
    assert itself.status == "fail"
    assert itself.summary == "is a link, expected a file"
    assert itself.observed["type"] == "link"
    assert check(path=link, follow=False, mode_max="0600").status == "pass"


def test_dangling_symlink(tree):
    link = os.path.join(tree, "link")
    os.symlink(os.path.join(tree, "gone"), link)
    followed = check(path=link)
    assert followed.status == "fail"
    assert followed.summary == f"does not exist; is a symlink to {tree}/gone, which does not exist"
    absent = check(path=link, state="absent")
    assert absent.summary == f"is a symlink to {tree}/gone, which does not exist (must be absent)"
    assert check(path=link, follow=False).observed["type"] == "link"


def test_symlinked_parent_is_resolved_for_access(tree):
    require_root()
    private = make_dir(tree, "private", 0o700)
    make_file(private, "f", 0o666)
    link = os.path.join(tree, "shortcut")
    os.symlink(private, link)
    outcome = check(path=os.path.join(link, "f"), writable_by="nobody")
    assert outcome.summary == (f"not writable by nobody: nobody cannot search {private} "
                               "(mode 0700, owner root, group root)")


# --- globs: freshness and counts -----------------------------------------------------------------


@pytest.fixture
def backups(tree):
    folder = make_dir(tree, "backups", 0o750)
    make_file(folder, "db-1.sql.gz", 0o600, b"a" * 10, age=3 * DAY)
    make_file(folder, "db-2.sql.gz", 0o600, b"b" * 20, age=DAY)
    newest = make_file(folder, "db-3.sql.gz", 0o640, b"c" * 30, age=2 * HOUR)
    make_file(folder, "notes.txt", 0o644, age=60)
    return folder, newest


def test_newest_match_age(backups):
    folder, newest = backups
    pattern = os.path.join(folder, "db-*.sql.gz")
    outcome = check(path=pattern, newest_age_warn_above="1h", newest_age_fail_above="1d")
    assert outcome.status == "warn"
    observed = outcome.observed
    assert observed["matches"]["value"] == 3
    assert observed["newest"] == newest
    assert 2 * HOUR - 5 < observed["newest_age_seconds"]["value"] < 2 * HOUR + 60
    assert (observed["size"]["value"], observed["mode"]) == (30, "0640")
    assert outcome.summary.startswith("newest age 2h ")
    assert check(path=pattern, newest_age_fail_above="90m").status == "fail"
    assert check(path=pattern, newest_age_warn_above="3h", newest_age_fail_above="26h").status == "pass"


def test_no_match_has_no_newest_file(backups):
    folder, _newest = backups
    outcome = check(path=os.path.join(folder, "*.dump"), newest_age_fail_above="1d")
    assert outcome.status == "fail"
    assert outcome.summary == f"no file matches {folder}/*.dump, so there is no newest one"
    assert outcome.observed["matches"]["value"] == 0


def test_match_counts(backups):
    folder, _newest = backups
    pattern = os.path.join(folder, "db-*.sql.gz")
    assert check(path=pattern, count_fail_below=4).summary == "matches 3 (fail < 4)"
    assert check(path=pattern, count_warn_below=4, count_fail_below=2).status == "warn"
    too_many = check(path=pattern, count_max=2)
    assert too_many.status == "fail"
    assert too_many.summary == "3 matches, more than count_max 2"
    assert too_many.expected == {"matches": {"fail": {"above": 2}, "unit": "count"}}
    assert check(path=pattern, count_fail_below=3, count_max=3).status == "pass"


def test_count_limits_alone_decide_when_no_state_is_given(backups):
    folder, _newest = backups
    pattern = os.path.join(folder, "core.*")
    assert check(path=pattern, count_max=0).status == "pass"
    assert check(path=pattern, count_max=0, state="exists").summary == f"nothing matches {pattern}"


def test_glob_state_applies_to_every_match(backups):
    folder, _newest = backups
    make_dir(folder, "db-old.sql.gz")
    pattern = os.path.join(folder, "db-*")
    outcome = check(path=pattern, state="file", count_max=10)
    assert outcome.status == "fail"
    assert outcome.summary == f"1 match(es) are not a file: {folder}/db-old.sql.gz"
    assert check(path=os.path.join(folder, "*.tmp"), state="absent").status == "pass"
    leftovers = check(path=os.path.join(folder, "*.txt"), state="absent")
    assert leftovers.status == "fail"
    assert leftovers.summary == f"1 path(s) match but none may: {folder}/notes.txt"


def test_attribute_problems_of_many_matches_are_capped(tree):
    for index in range(7):
        make_file(tree, f"f{index}.log", 0o666)
    outcome = check(path=os.path.join(tree, "*.log"), mode_max="0644", count_max=100)
    assert outcome.status == "fail"
    problems = outcome.summary.split("; ")
    assert len(problems) == 6
    assert problems[0] == f"{tree}/f0.log: mode 0666 is looser than 0644 (group write, other write)"
    assert problems[-1] == "and 2 more problem(s)"


def test_literal_path_with_count_options(backups):
    _folder, newest = backups
    outcome = check(path=newest, count_fail_below=1, newest_age_fail_above="1d")
    assert outcome.status == "pass"
    assert outcome.observed["matches"]["value"] == 1


# --- bad options -----------------------------------------------------------------------------------


@pytest.mark.parametrize("item, message", [
    (dict(path="etc/app.conf"), "path: 'etc/app.conf' must be absolute"),
    (dict(path="/var/backups/*.gz"), "path: '/var/backups/*.gz' is a glob pattern; patterns are only allowed"),
    (dict(path="/etc/app.conf", mode_max="0999"), "mode_max: '0999' is not an octal mode"),
    (dict(path="/etc/app.conf", mode_max="rw-r--r--"), "mode_max: 'rw-r--r--' is not an octal mode"),
    (dict(path="/etc/app.conf", mode_max="64"), "mode_max: '64' is not an octal mode"),
    (dict(path="/etc/app.conf", mode_max=420), "mode_max: give the mode as a quoted octal string like '0644', not 420"),
    (dict(path="/etc/app.conf", state="gone"), "state: 'gone' is not one of exists, file, directory, absent"),
    (dict(path="/etc/app.conf", state="absent", owner="root"), "state: absent cannot be combined with owner"),
    (dict(path="/x/*", state="absent", newest_age_fail_above="1d"),
     "state: absent cannot be combined with newest_age_fail_above"),
    (dict(path="/x/*", state="absent", count_max=0), "state: absent cannot be combined with count_max"),
    (dict(path="/x/*", newest_age_warn_above="2d", newest_age_fail_above="1d"),
     "newest_age_warn_above/newest_age_fail_above: the warn level (2d) must be below the fail level (1d)"),
    (dict(path="/x/*", newest_age_fail_above="yesterday"), "newest_age_fail_above: 'yesterday' is not a number"),
    (dict(path="/x/*", newest_age_fail_above="3y"), "newest_age_fail_above: unknown duration unit 'y'"),
    (dict(path="/x/*", count_warn_below=1, count_fail_below=3),
     "count_warn_below/count_fail_below: the warn level (1) must be above the fail level (3)"),
    (dict(path="/x/*", count_fail_below=-1), "count_fail_below: -1 must not be negative"),
    (dict(path="/x/*", count_fail_below=3, count_max=2),
     "count_max: 2 is below count_fail_below (3), so the check could never pass"),
    (dict(path="/x/*", count_warn_below=3, count_max=2), "count_max: 2 is below count_warn_below (3)"),
])
def test_bad_options_are_option_errors(item, message):
    with pytest.raises(OptionError) as raised:
        path_kind.prepare(item)
    assert str(raised.value).startswith(message)


def test_describe():
    assert path_kind.describe({"path": "/srv/app"}) == ("/srv/app", "Path /srv/app")
