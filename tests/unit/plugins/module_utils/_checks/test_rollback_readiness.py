"""rollback_readiness: real scripts with real modes, dry runs that pass, fail and hang, real releases and git tags."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._checks import rollback_readiness

from ._git_repos import commit, git, init_repo, tag, write
from ._kind_runner import run_item, validated_item
from ._realfs import nobody, run_check_as, searchable_tmp_dir

PY = sys.executable


def check(item, timeout=10.0):
    return run_item(rollback_readiness, item, timeout)


def script(path, body="#!/bin/sh\necho rolling back\n", mode=0o755):
    return write(os.path.dirname(str(path)), os.path.basename(str(path)), body, mode)


def releases(root, names, current=None):
    """A Capistrano-style layout: releases/<name>/ each with a file, and current -> releases/<current>."""
    directory = os.path.join(str(root), "releases")
    for name in names:
        write(directory, f"{name}/app.py", f"VERSION = {name!r}\n")
    if current:
        os.symlink(os.path.join(directory, current), os.path.join(str(root), "current"))
    return directory


def tagged_checkout(root):
    """A checkout with v1.0.0 on the first commit and v1.1.0 on HEAD."""
    init_repo(root, {"app.py": "VERSION = '1.0.0'\n"})
    tag(root, "v1.0.0")
    commit(root, {"app.py": "VERSION = '1.1.0'\n"}, "release 1.1.0")
    tag(root, "v1.1.0", annotated=True)
    return root


# --- everything ready ------------------------------------------------------------------------------

def test_ready_rollback_passes_with_every_part_observed(tmp_path):
    rollback = script(tmp_path / "bin" / "rollback",
                      '#!/bin/sh\n[ "$1" = --dry-run ] || exit 9\necho "would switch current to 2026.01.04"\n')
    write(tmp_path, "PREVIOUS_IMAGE", "registry.example.invalid/shop:2026.01.04-2\n")
    directory = releases(tmp_path, ["2026.01.03", "2026.01.04", "2026.01.05"], current="2026.01.05")
    checkout = tagged_checkout(tmp_path / "checkout")
    record = check(dict(name="shop", script=rollback, dry_run=[rollback, "--dry-run"],
                        previous_release=str(tmp_path / "PREVIOUS_IMAGE"), releases_dir=directory,
                        current=str(tmp_path / "current"), checkout=str(checkout), tag_pattern="v*"))
    assert record["id"] == "rollback_readiness:shop"
    assert record["title"] == "Rollback readiness of shop"
    assert record["section"] == "application" and record["severity"] == "high"
    assert record["status"] == "pass", record["summary"]
    observed = record["observed"]
    assert observed["script"] == dict(path=rollback, exists=True, type="file", mode="0755", owner="root",
                                      executable=True)
    assert observed["dry_run"]["rc"] == 0
    assert observed["dry_run"]["output_tail"] == "would switch current to 2026.01.04\n"
    assert observed["previous_release"]["content"] == "registry.example.invalid/shop:2026.01.04-2"
    assert observed["releases"]["count"] == 3
    assert observed["releases"]["previous"] == ["2026.01.03", "2026.01.04"]
    assert observed["tag"]["head_tags"] == ["v1.1.0"]
    assert observed["tag"]["head"] == git(checkout, "rev-parse", "HEAD").strip()
    summary = record["summary"]
    assert summary.startswith(f"rollback script {rollback} is executable; ")
    assert f'previous release {tmp_path / "PREVIOUS_IMAGE"}: registry.example.invalid/shop:2026.01.04-2' in summary
    assert f"previous release 2026.01.04; 3 releases in {directory}" in summary
    assert "HEAD {} is tagged v1.1.0".format(observed["tag"]["head"][:12]) in summary
    assert "dry run exited 0 in " in summary
    assert record["expected"]["releases_kept"] == {"fail": {"below": 2}, "unit": "count"}
    assert record["expected"]["dry_run_rc"] == [0]


# --- the script --------------------------------------------------------------------------------------

def test_missing_script_fails(tmp_path):
    record = check(dict(script=str(tmp_path / "rollback")))
    assert record["status"] == "fail"
    assert record["summary"] == f'rollback script {tmp_path / "rollback"} does not exist'
    assert record["observed"]["script"]["exists"] is False


def test_script_without_execute_bits_fails_naming_the_mode(tmp_path):
    rollback = script(tmp_path / "rollback", mode=0o644)
    record = check(dict(script=rollback))
    assert record["status"] == "fail"
    assert record["summary"] == f"rollback script {rollback} is not executable (mode 0644)"
    assert record["observed"]["script"]["executable"] is False


def test_a_directory_is_not_a_script(tmp_path):
    record = check(dict(script=str(tmp_path)))
    assert record["status"] == "fail"
    assert record["summary"] == f"rollback script {tmp_path} is not a regular file"


def test_script_executable_only_by_its_owner_fails_for_another_user():
    with searchable_tmp_dir() as where:
        rollback = script(os.path.join(where, "rollback"), mode=0o700)
        outcome = run_check_as(nobody(), "rollback_readiness", validated(dict(script=rollback)))
        assert outcome["status"] == "fail"
        assert outcome["summary"] == f"rollback script {rollback} is not executable by nobody (mode 0700, owner root)"
        os.chmod(rollback, 0o755)
        assert run_check_as(nobody(), "rollback_readiness", validated(dict(script=rollback)))["status"] == "pass"


# --- the dry run ------------------------------------------------------------------------------------

def test_dry_run_exiting_3_fails_unless_3_is_expected(tmp_path):
    rollback = script(tmp_path / "rollback", "#!/bin/sh\necho 'previous release missing' >&2\nexit 3\n")
    record = check(dict(dry_run=rollback + " --dry-run"))
    assert record["status"] == "fail"
    assert record["summary"] == f"dry run {rollback} --dry-run exited 3 (expected 0)"
    assert record["observed"]["dry_run"]["argv"] == [rollback, "--dry-run"]
    assert record["observed"]["dry_run"]["output_tail"] == "previous release missing\n"
    assert check(dict(dry_run=[rollback], dry_run_rc=[0, 3]))["status"] == "pass"
    assert check(dict(dry_run=[rollback], dry_run_rc="1,2"))["summary"] == (
        f"dry run {rollback} exited 3 (expected 1 or 2)")


def test_dry_run_output_keeps_its_tail(tmp_path):
    record = check(dict(dry_run=[PY, "-c", "for n in range(20000): print('step %d' % n)"]))
    assert record["status"] == "pass"
    dry_run = record["observed"]["dry_run"]
    assert dry_run["output_tail"].startswith("\u2026") and dry_run["output_tail"].endswith("step 19999\n")
    assert len(dry_run["output_tail"]) == 501
    assert dry_run["output_bytes"] == sum(len(f"step {n}\n") for n in range(20000))


def test_secrets_a_dry_run_prints_are_masked_in_its_output_tail(tmp_path):
    password, token = "s3cr3tPassw0rd", "tok3nAbcdefGhijkLmnop"
    rollback = script(tmp_path / "rollback", f"#!/bin/sh\necho 'connecting to postgresql://app:{password}@db/shop'\n"
                      f"echo 'curl -H \"Authorization: Bearer {token}\" https://deploy/api'\n"
                      f"echo 'password={password}'\nexit 1\n")
    record = check(dict(dry_run=[rollback]))
    assert record["status"] == "fail"
    tail = record["observed"]["dry_run"]["output_tail"]
    assert "postgresql://app:****@db/shop" in tail
    assert password not in json.dumps(record) and token not in json.dumps(record)


def test_dry_run_runs_in_its_directory(tmp_path):
    write(tmp_path, "releases/ok", "")
    record = check(dict(dry_run=["test", "-e", "releases/ok"], dry_run_chdir=str(tmp_path)))
    assert record["status"] == "pass", record["summary"]
    missing = check(dict(dry_run=["true"], dry_run_chdir=str(tmp_path / "gone")))
    assert missing["status"] == "fail"
    assert missing["summary"] == f'dry run directory {tmp_path / "gone"} does not exist'


def _gone(pid, within=3.0):
    until = time.monotonic() + within
    while time.monotonic() < until:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        with open(f"/proc/{pid}/stat") as handle:
            if handle.read().rsplit(")", 1)[1].split()[0] == "Z":
                return True
        time.sleep(0.05)
    return False


def test_hanging_dry_run_is_killed_and_fails(tmp_path):
    pid_file = tmp_path / "pid"
    rollback = script(tmp_path / "rollback",
                      f'#!/bin/sh\necho "waiting for lock"\nsleep 60 &\necho $! > {pid_file}\nwait\n')
    started = time.monotonic()
    record = check(dict(script=rollback, dry_run=[rollback, "--dry-run"]), timeout=1.5)
    assert time.monotonic() - started < 40  # the dry run sleeps 60 s
    assert record["status"] == "fail"
    assert f"dry run {rollback} --dry-run did not finish within " in record["summary"]
    assert "and was killed" in record["summary"]
    assert record["observed"]["dry_run"]["rc"] is None
    assert record["observed"]["dry_run"]["output_tail"] == "waiting for lock\n"
    assert _gone(int(pid_file.read_text())), "the dry run's background child outlived it"


def test_dry_run_command_that_cannot_start_fails(tmp_path):
    record = check(dict(dry_run=[str(tmp_path / "no-such-rollback"), "--dry-run"]))
    assert record["status"] == "fail"
    absent = tmp_path / "no-such-rollback"
    assert record["summary"] == f"dry run {absent} --dry-run cannot be started: No such file or directory"
    assert record["observed"]["dry_run"]["started"] is False


# --- previous releases -------------------------------------------------------------------------------

def test_previous_release_glob_takes_the_newest_match(tmp_path):
    older = write(tmp_path, "images/shop-2026.01.03.tag", "shop:2026.01.03\n")
    newer = write(tmp_path, "images/shop-2026.01.04.tag", "shop:2026.01.04\n")
    os.utime(older, (time.time() - 86400, time.time() - 86400))
    record = check(dict(previous_release=str(tmp_path / "images" / "shop-*.tag")))
    assert record["status"] == "pass"
    seen = record["observed"]["previous_release"]
    assert seen["matches"] == 2 and seen["path"] == newer and seen["content"] == "shop:2026.01.04"
    assert record["id"] == f'rollback_readiness:{tmp_path / "images" / "shop-*.tag"}'


def test_previous_release_directory_must_hold_something(tmp_path):
    write(tmp_path, "previous/app.py", "")
    assert check(dict(previous_release=str(tmp_path / "previous")))["summary"] == (
        f'previous release {tmp_path / "previous"} present')
    os.makedirs(str(tmp_path / "empty"))
    record = check(dict(previous_release=str(tmp_path / "empty")))
    assert record["status"] == "fail"
    assert record["summary"] == f'previous release {tmp_path / "empty"} is an empty directory'


def test_missing_or_empty_previous_release_fails(tmp_path):
    record = check(dict(previous_release=str(tmp_path / "releases" / "*")))
    assert record["status"] == "fail"
    assert record["summary"] == f'no previous release at {tmp_path / "releases" / "*"}'
    empty = write(tmp_path, "PREVIOUS_IMAGE", "")
    assert check(dict(previous_release=empty))["summary"] == f"previous release {empty} is an empty file"


def test_credentials_in_an_image_reference_are_masked(tmp_path):
    image = write(tmp_path, "PREVIOUS_IMAGE", "https://deploy:hunter2-registry-pass@registry.invalid/shop:7\n")
    record = check(dict(previous_release=image))
    assert record["observed"]["previous_release"]["content"] == "https://deploy:****@registry.invalid/shop:7"
    assert "hunter2-registry-pass" not in str(record)


def test_too_few_releases_fail(tmp_path):
    directory = releases(tmp_path, ["2026.01.05"])
    os.makedirs(os.path.join(directory, ".tmp-upload"))
    record = check(dict(releases_dir=directory))
    assert record["status"] == "fail"
    assert record["summary"] == f"1 release(s) in {directory}, fewer than min_releases 2"
    assert check(dict(releases_dir=directory, min_releases=1))["status"] == "pass"


def test_current_release_must_not_be_the_only_one(tmp_path):
    directory = releases(tmp_path, ["2026.01.05"], current="2026.01.05")
    record = check(dict(releases_dir=directory, current=str(tmp_path / "current"), min_releases=1))
    assert record["status"] == "fail"
    assert record["summary"] == f"no release in {directory} besides the current one (2026.01.05)"


def test_current_link_outside_the_releases_fails(tmp_path):
    directory = releases(tmp_path, ["a", "b"])
    os.makedirs(str(tmp_path / "elsewhere"))
    os.symlink(str(tmp_path / "elsewhere"), str(tmp_path / "current"))
    record = check(dict(releases_dir=directory, current=str(tmp_path / "current")))
    assert record["status"] == "fail"
    assert record["summary"] == "current release {} is not one of the releases in {}".format(
        tmp_path / "elsewhere", directory)
    dangling = check(dict(releases_dir=directory, current=str(tmp_path / "no-link")))
    assert dangling["summary"] == f'current release link {tmp_path / "no-link"} does not exist'


def test_missing_releases_directory_fails(tmp_path):
    record = check(dict(releases_dir=str(tmp_path / "releases")))
    assert record["status"] == "fail"
    assert record["summary"] == f'releases directory {tmp_path / "releases"} does not exist'


# --- the release tag ---------------------------------------------------------------------------------

def test_lightweight_tag_on_head_passes(tmp_path):
    init_repo(tmp_path, {"app.py": "x = 1\n"})
    tag(tmp_path, "release-42")
    record = check(dict(checkout=str(tmp_path)))
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["tag"]["head_tags"] == ["release-42"]
    assert record["observed"]["tag"]["pattern"] == "*"


def test_tag_behind_head_warns_with_the_distance(tmp_path):
    checkout = tagged_checkout(tmp_path)
    commit(checkout, {"app.py": "VERSION = '1.2.0-dev'\n"}, "hotfix on the server")
    commit(checkout, {"app.py": "VERSION = '1.2.0-dev2'\n"}, "another")
    record = check(dict(checkout=str(checkout), tag_pattern="v*"))
    assert record["status"] == "warn"
    head = git(checkout, "rev-parse", "HEAD").strip()
    assert record["summary"] == (f"HEAD {head[:12]} of {checkout} carries no tag matching v*; "
                                 "it is 2 commit(s) after v1.1.0")
    assert record["observed"]["tag"]["nearest_tag"] == "v1.1.0"
    assert record["observed"]["tag"]["commits_since_tag"] == 2
    assert record["observed"]["tag"]["matching_tags"] == 2
    strict = check(dict(checkout=str(checkout), tag_pattern="v*", untagged_head="fail"))
    assert strict["status"] == "fail"


def test_tags_not_behind_head_warn_naming_the_newest(tmp_path):
    init_repo(tmp_path, {"app.py": "x = 1\n"})
    git(tmp_path, "checkout", "-q", "-b", "release")
    commit(tmp_path, {"app.py": "x = 2\n"})
    tag(tmp_path, "v2.0.0")
    git(tmp_path, "checkout", "-q", "main")
    record = check(dict(checkout=str(tmp_path), tag_pattern="v*"))
    assert record["status"] == "warn"
    assert record["summary"].endswith("carries no tag matching v*; it is not descended from any of them "
                                      "(newest v2.0.0)")


def test_no_matching_tag_fails(tmp_path):
    init_repo(tmp_path, {"app.py": "x = 1\n"})
    tag(tmp_path, "build-17")
    record = check(dict(checkout=str(tmp_path), tag_pattern="v*"))
    assert record["status"] == "fail"
    assert record["summary"] == f"no tag matching v* in {tmp_path}"
    assert record["observed"]["tag"]["head_tags"] == []


def test_checkout_without_commits_or_git_fails(tmp_path):
    empty = tmp_path / "empty"
    os.makedirs(str(empty))
    git(empty, "init", "-q")
    assert check(dict(checkout=str(empty)))["summary"] == f"checkout {empty} has no commits"
    plain = tmp_path / "plain"
    os.makedirs(str(plain))
    assert check(dict(checkout=str(plain)))["summary"] == f"{plain} is not a git checkout"
    missing = check(dict(checkout=str(tmp_path / "gone")))
    assert missing["status"] == "fail"
    assert missing["summary"] == f'checkout {tmp_path / "gone"} does not exist'


def test_missing_git_is_an_error_and_other_parts_still_report(tmp_path):
    checkout = tagged_checkout(tmp_path / "checkout")
    rollback = script(tmp_path / "rollback")
    record = check(dict(script=rollback, checkout=str(checkout), git_executable=str(tmp_path / "no-git")))
    assert record["status"] == "error"
    git_path = str(tmp_path / "no-git")
    assert record["summary"].startswith(f"{checkout} is a git checkout but the git executable {git_path!r} "
                                        "was not found on this host")
    assert record["observed"]["script"]["executable"] is True


def test_checkout_owned_by_another_user_reads_without_touching_config(tmp_path):
    user = nobody()
    with searchable_tmp_dir() as where:
        checkout = tagged_checkout(os.path.join(where, "checkout"))
        for directory, dirnames, filenames in os.walk(checkout):
            for name in dirnames + filenames:
                os.lchown(os.path.join(directory, name), user.pw_uid, user.pw_gid)
        os.lchown(checkout, user.pw_uid, user.pw_gid)
        before = _snapshot(os.path.join(checkout, ".git"))
        home = tmp_path / "home"
        os.makedirs(str(home))
        old_home = os.environ.get("HOME")
        os.environ["HOME"] = str(home)
        try:
            record = check(dict(checkout=checkout, tag_pattern="v1.*"))
        finally:
            os.environ["HOME"] = old_home
        assert record["status"] == "pass", record["summary"]
        assert record["observed"]["tag"]["head_tags"] == ["v1.1.0"]
        assert _snapshot(os.path.join(checkout, ".git")) == before
        assert os.listdir(str(home)) == []  # no ~/.gitconfig written


def _snapshot(directory):
    """Every path under ``directory`` with its size and modification time."""
    seen = {}
    for where, dirnames, filenames in os.walk(directory):
        for name in dirnames + filenames:
            st = os.lstat(os.path.join(where, name))
            seen[os.path.join(where, name)] = (st.st_size, st.st_mtime_ns)
    return seen


def test_git_is_looked_up_on_path_by_name(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    init_repo(tmp_path, {"a": "1"})
    tag(tmp_path, "v1")
    assert check(dict(checkout=str(tmp_path), git_executable="git"))["status"] == "pass"


# --- options -----------------------------------------------------------------------------------------

def validated(item):
    return validated_item(rollback_readiness, item)


@pytest.mark.parametrize("item, message", [
    (dict(), "script/dry_run/previous_release/releases_dir/checkout: set at least one"),
    (dict(script="bin/rollback"), "script: 'bin/rollback' must be absolute"),
    (dict(releases_dir="releases"), "releases_dir: 'releases' must be absolute"),
    (dict(dry_run=""), "dry_run: must name a command"),
    (dict(dry_run="rollback 'unbalanced"), "dry_run: cannot split \"rollback 'unbalanced\": No closing quotation"),
    (dict(dry_run={"cmd": "x"}), "dry_run: give the command as a list of arguments or a string, not {'cmd': 'x'}"),
    (dict(dry_run=["x"], dry_run_rc="zero"), "dry_run_rc: 'zero' is not an exit code"),
    (dict(script="/x", dry_run_chdir="/tmp"), "dry_run_chdir: only applies with dry_run"),
    (dict(dry_run=["x"], dry_run_chdir="tmp"), "dry_run_chdir: 'tmp' must be absolute"),
    (dict(script="/x", min_releases=3), "min_releases: only applies with releases_dir"),
    (dict(releases_dir="/srv/app/releases", min_releases=0), "min_releases: must be at least 1, got 0"),
    (dict(script="/x", current="/srv/app/current"), "current: only applies with releases_dir"),
    (dict(script="/x", tag_pattern="v*"), "tag_pattern: only applies with checkout"),
    (dict(checkout="/srv/app", tag_pattern=" "), "tag_pattern: must not be empty"),
    (dict(checkout="/srv/app", tag_pattern="--format=v1"),
     "tag_pattern: '--format=v1' must not start with '-' (git would read it as an option)"),
])
def test_bad_options_name_the_option(item, message):
    with pytest.raises(OptionError) as caught:
        rollback_readiness.prepare(validated(item))
    assert str(caught.value) == message


def test_describe_names_the_first_configured_part():
    assert rollback_readiness.describe(dict(name="shop", script="/x")) == ("shop", "Rollback readiness of shop")
    assert rollback_readiness.describe(dict(script="/srv/bin/rollback", checkout="/srv/app"))[0] == "/srv/bin/rollback"
    assert rollback_readiness.describe(dict(dry_run=["/srv/bin/rollback", "--dry-run"]))[0] == (
        "/srv/bin/rollback --dry-run")
    assert rollback_readiness.describe(dict(checkout="/srv/app")) == ("/srv/app", "Rollback readiness of /srv/app")
