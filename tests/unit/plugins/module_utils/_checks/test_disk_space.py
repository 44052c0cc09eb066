"""disk_space against real filesystems: the root filesystem, a tmp dir, and a small tmpfs of known size."""

from __future__ import annotations

import os

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._checks import disk_space
from ansible_collections.golive.readiness.plugins.module_utils._runner import PreparedCheck, run_one

from ._realfs import tmpfs

MIB = 1024 * 1024


def check(**item):
    plan = disk_space.prepare(item)
    return run_one(PreparedCheck(item, "disk_space:x", "t", disk_space, plan, 10.0))


def free_bytes(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


@pytest.fixture
def small_fs(tmp_path):
    """A 4 MiB tmpfs with 100 inodes, 3 MiB and 50 inodes of it used: 25% free space, about half the inodes."""
    with tmpfs(str(tmp_path / "mnt"), "size=4m,nr_inodes=100") as where:
        with open(os.path.join(where, "ballast"), "wb") as handle:
            handle.write(b"\0" * 3 * MIB)
        for index in range(48):  # with the ballast and the root directory: 50 inodes
            open(os.path.join(where, f"f{index}"), "w").close()
        yield where


def test_root_filesystem_is_measured_for_real():
    outcome = check(path="/", free_fail_below="1B", inodes_free_fail_below="0%")
    assert outcome.status == "pass", outcome.summary
    observed = outcome.observed
    st = os.statvfs("/")
    assert observed["total_bytes"]["value"] == st.f_blocks * st.f_frsize
    assert 0 < observed["free_bytes"]["value"] <= observed["total_bytes"]["value"]
    assert 0 < observed["free_percent"]["value"] <= 100
    assert 0 < observed["inodes_free_percent"]["value"] <= 100
    assert outcome.expected == {"free_bytes": {"fail": {"below": 1}, "unit": "bytes"},
                                "inodes_free_percent": {"fail": {"below": 0}, "unit": "percent"}}


def test_without_levels_free_space_warns_below_15_and_fails_below_5_percent(small_fs):
    # small_fs: 25% free, 50% of its inodes free
    outcome = check(path=small_fs)
    assert outcome.status == "pass", outcome.summary
    assert outcome.expected == {"free_percent": {"warn": {"below": 15}, "fail": {"below": 5}, "unit": "percent"},
                                "inodes_free_percent": {"fail": {"below": 5}, "unit": "percent"}}
    assert check(path=small_fs, free_warn_below="30%").status == "warn"  # one level given: no default for the other
    assert check(path=small_fs, free_fail_below="1MB").expected == {
        "free_bytes": {"fail": {"below": 1024 ** 2}, "unit": "bytes"},
        "inodes_free_percent": {"fail": {"below": 5}, "unit": "percent"}}


def test_tmp_dir_passes_generous_levels(tmp_path):
    outcome = check(path=str(tmp_path), free_warn_below="2KB", free_fail_below="1KB", inodes_free_fail_below="0.001%")
    assert outcome.status == "pass", outcome.summary
    assert outcome.expected["free_bytes"] == {"warn": {"below": 2048}, "fail": {"below": 1024}, "unit": "bytes"}
    assert outcome.expected["inodes_free_percent"] == {"fail": {"below": 0.001}, "unit": "percent"}


def test_fail_by_size_when_free_space_is_below_the_level(tmp_path):
    level = free_bytes(str(tmp_path)) * 2
    outcome = check(path=str(tmp_path), free_fail_below=str(level))
    assert outcome.status == "fail"
    assert outcome.summary.startswith("free ")
    assert "fail <" in outcome.summary


def test_warn_by_size_between_the_levels(tmp_path):
    free = free_bytes(str(tmp_path))
    outcome = check(path=str(tmp_path), free_warn_below=str(free * 2), free_fail_below=str(free // 2))
    assert outcome.status == "warn", outcome.summary


def test_levels_on_a_tmpfs_of_known_size(small_fs):
    outcome = check(path=small_fs)
    assert outcome.observed["total_bytes"]["value"] == 4 * MIB
    assert outcome.observed["free_bytes"]["value"] == 1 * MIB
    assert outcome.observed["free_percent"]["value"] == 25.0
    assert check(path=small_fs, free_warn_below="2MB", free_fail_below="512KB").status == "warn"
    assert check(path=small_fs, free_fail_below="1.5MB").status == "fail"
    assert check(path=small_fs, free_fail_below="1MB").status == "pass"


def test_percent_levels_on_a_tmpfs_of_known_size(small_fs):
    assert check(path=small_fs, free_warn_below="30%", free_fail_below="10%").status == "warn"
    assert check(path=small_fs, free_warn_below="50%", free_fail_below="26%").status == "fail"
    passing = check(path=small_fs, free_warn_below="25%", free_fail_below="10%")
    assert passing.status == "pass"
    assert passing.summary == ("free 1.0 MiB; free 25.0% (warn < 25.0%, fail < 10.0%);"
                               " inodes free 50.0% (fail < 5.0%)")


def test_size_and_percent_levels_mix(small_fs):
    outcome = check(path=small_fs, free_warn_below="30%", free_fail_below="2MB")
    assert outcome.status == "fail"
    assert outcome.summary.startswith("free 1.0 MiB (fail < 2.0 MiB)")
    assert "free 25.0% (warn < 30.0%)" in outcome.summary


def test_inodes_free(small_fs):
    assert check(path=small_fs).observed["inodes_free_percent"]["value"] == 50.0
    assert check(path=small_fs, inodes_free_warn_below="60%", inodes_free_fail_below="40%").status == "warn"
    failing = check(path=small_fs, inodes_free_fail_below="51%")
    assert failing.status == "fail"
    assert failing.summary == "inodes free 50.0% (fail < 51.0%)"


def test_filesystem_without_inode_counts_is_an_error_when_inodes_are_graded():
    outcome = check(path="/proc", inodes_free_fail_below="5%")
    assert outcome.status == "error"
    assert "reports no inode counts" in outcome.summary
    # The default inode level has nothing to grade there (btrfs allocates inodes the same way).
    unasked = check(path="/proc", free_fail_below="0%")
    assert unasked.status == "pass", unasked.summary
    assert "no inode counts" in unasked.summary


def test_missing_path_is_an_error_not_a_pass(tmp_path):
    outcome = check(path=str(tmp_path / "missing"), free_fail_below="1KB")
    assert outcome.status == "error"
    assert outcome.summary == f'cannot stat {tmp_path / "missing"}: No such file or directory'


@pytest.mark.parametrize("item, message", [
    (dict(path="var/lib"), "path: 'var/lib' must be absolute"),
    (dict(path="/", free_warn_below="10GB", free_fail_below="20GB"),
     "free_warn_below/free_fail_below: the warn level (10.0 GiB) must be above the fail level (20.0 GiB)"),
    (dict(path="/", free_warn_below="5%", free_fail_below="10%"),
     "free_warn_below/free_fail_below: the warn level (5.0%) must be above the fail level (10.0%)"),
    (dict(path="/", inodes_free_warn_below="1%", inodes_free_fail_below="2%"),
     "inodes_free_warn_below/inodes_free_fail_below: the warn level (1.0%) must be above the fail level (2.0%)"),
    (dict(path="/", free_fail_below="10XB"), "free_fail_below: unknown size unit 'xb' in '10XB'"),
    (dict(path="/", free_warn_below="lots"), "free_warn_below: 'lots' is not a number with an optional unit"),
    (dict(path="/", free_fail_below="120%"), "free_fail_below: '120%' is outside 0-100%"),
    (dict(path="/", inodes_free_fail_below="5GB"), "inodes_free_fail_below: '5GB' is not a percentage"),
])
def test_bad_options_are_option_errors(item, message):
    with pytest.raises(OptionError) as raised:
        disk_space.prepare(item)
    assert str(raised.value).startswith(message)


def test_describe():
    assert disk_space.describe({"path": "/var"}) == ("/var", "Disk space on /var")
