"""os_updates against real apt: a tiny Debian system refreshed by the real `apt-get update` from a local repository
(one suite labelled Debian-Security), and this machine's own package state, compared with apt's own simulation.

dnf cannot run here: its path is tested against a stand-in answering dnf's and needs-restarting's documented output.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import time

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._checks import os_updates

from ._apt_roots import make_apt_root, remove_apt_root, security_system, tree_state
from ._kind_runner import prepared, run_item

DAY = 86400
REAL_APT_DIRS = ("/var/lib/apt", "/var/lib/dpkg", "/var/cache/apt", "/var/log/apt")


def check(timeout=60, **item):
    return run_item(os_updates, item, timeout)


@pytest.fixture(scope="module")
def system():
    apt_root = security_system()
    yield apt_root
    remove_apt_root(apt_root)


@pytest.fixture
def reboot_flag(system):
    flag = system.path("run/reboot-required")
    yield flag
    for path in (flag, flag + ".pkgs"):
        if os.path.lexists(path):
            os.unlink(path)


@pytest.fixture
def lists_mtime(system):
    """Sets the lists directory's modification time for one test, then gives it back."""
    lists = system.path("var/lib/apt/lists")
    before = os.stat(lists)
    yield lambda seconds_ago: os.utime(lists, (time.time() - seconds_ago,) * 2)
    os.utime(lists, ns=(before.st_atime_ns, before.st_mtime_ns))


def simulated_upgrades(text):
    """{name: (installed, candidate, the rest of the line)} of `apt-get -s` Inst lines of installed packages."""
    upgrades = {}
    for line in text.splitlines():
        fields = line.split(" ", 4)
        if fields[0] == "Inst" and len(fields) > 3 and fields[2].startswith("["):
            upgrades[fields[1]] = (fields[2].strip("[]"), fields[3].lstrip("("), fields[4] if len(fields) > 4 else "")
    return upgrades


def test_security_update_from_the_security_suite_fails_and_is_listed(system):
    record = check(root=system.root)
    assert record["status"] == "fail", record["summary"]
    observed = record["observed"]
    assert observed["manager"] == "apt"
    assert observed["security_packages"] == [dict(name="golive-sec", installed="1.0", candidate="1.1",
                                                  origin="Debian-Security:12/bookworm-security")]
    assert observed["other_packages"] == [dict(name="golive-plain", installed="1.0", candidate="2.0",
                                               origin="Debian:12/bookworm-updates")]
    assert observed["security_count"] == {"value": 1, "unit": "count"}
    assert observed["pending_count"] == {"value": 2, "unit": "count"}
    assert observed["reboot_required"] is False
    assert record["expected"]["security_count"] == {"fail": {"above": 0}, "unit": "count"}
    assert record["summary"].startswith("security updates 1 [golive-sec 1.0 -> 1.1] (fail > 0)")
    # apt's own simulation of the same system, run directly, agrees.
    upgrades = simulated_upgrades(system.simulated())
    assert sorted(upgrades) == ["golive-plain", "golive-sec"]
    assert upgrades["golive-sec"][:2] == ("1.0", "1.1") and "Debian-Security" in upgrades["golive-sec"][2]


def test_levels_on_security_and_pending_counts(system):
    record = check(root=system.root, security_fail_above=1, pending_warn_above=1)
    assert record["status"] == "warn", record["summary"]
    assert "pending upgrades 2 (warn > 1)" in record["summary"]
    assert record["expected"]["security_count"] == {"fail": {"above": 1}, "unit": "count"}
    record = check(root=system.root, security_warn_above=0, pending_fail_above=1)
    assert record["status"] == "fail"
    assert "security updates 1 [golive-sec 1.0 -> 1.1] (warn > 0)" in record["summary"]


def test_security_origin_regex_decides_what_is_a_security_update(system):
    record = check(root=system.root, security_origin_regex="bookworm-updates$")
    assert [p["name"] for p in record["observed"]["security_packages"]] == ["golive-plain"]
    assert [p["name"] for p in record["observed"]["other_packages"]] == ["golive-sec"]


def test_package_lists_age_from_the_lists_directory_then_the_success_stamp(system, lists_mtime):
    record = check(root=system.root, security_fail_above=5)
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["lists_source"] == system.path("var/lib/apt/lists")
    assert record["observed"]["lists_age_seconds"]["value"] < DAY
    lists_mtime(10 * DAY)
    record = check(root=system.root, security_fail_above=5)
    assert record["status"] == "warn"
    assert "package lists refreshed 10d" in record["summary"] and "(warn > 7d)" in record["summary"]
    assert record["expected"]["lists_age_seconds"] == {"warn": {"above": 7 * DAY}, "unit": "seconds"}
    record = check(root=system.root, security_fail_above=5, list_age_fail_above="9d")
    assert record["status"] == "fail"
    assert record["expected"]["lists_age_seconds"] == {"fail": {"above": 9 * DAY}, "unit": "seconds"}

    stamp = system.path("var/lib/apt/periodic/update-success-stamp")
    os.makedirs(os.path.dirname(stamp))
    try:
        open(stamp, "w").close()
        os.utime(stamp, (time.time() - 3600,) * 2)
        record = check(root=system.root, security_fail_above=5)
        assert record["status"] == "pass", record["summary"]
        assert record["observed"]["lists_source"] == stamp
        assert 3500 < record["observed"]["lists_age_seconds"]["value"] < 2 * 3600
    finally:
        os.unlink(stamp)
        os.rmdir(os.path.dirname(stamp))


def test_refresh_by_apt_keeps_the_servers_time_on_list_files_but_changes_the_directory(tmp_path):
    """Why the lists directory, not the newest list file: apt gives a list the repository's time."""
    apt_root = make_apt_root()
    try:
        apt_root.installed({"golive-sec": "1.0"})
        apt_root.suite("bookworm", "Debian", {"golive-sec": "1.0"})
        release = os.path.join(apt_root.repo, "dists", "bookworm", "Release")
        os.utime(release, (time.time() - 30 * DAY,) * 2)
        apt_root.update()
        [listed] = [name for name in os.listdir(apt_root.path("var/lib/apt/lists")) if name.endswith("_Release")]
        assert time.time() - os.stat(apt_root.path("var/lib/apt/lists/" + listed)).st_mtime > 29 * DAY
        record = check(root=apt_root.root)
        assert record["status"] == "pass", record["summary"]
        assert record["observed"]["lists_age_seconds"]["value"] < DAY
    finally:
        remove_apt_root(apt_root)


def test_reboot_flag_and_the_packages_that_asked(system, reboot_flag):
    with open(reboot_flag, "w") as handle:
        handle.write("*** System restart required ***\n")
    with open(reboot_flag + ".pkgs", "w") as handle:
        handle.write("linux-image-6.1.0-28-amd64\nlibc6\nlibc6\n")
    record = check(root=system.root, security_fail_above=5)
    assert record["status"] == "warn", record["summary"]
    assert record["observed"]["reboot_required"] is True
    assert record["observed"]["reboot_packages"] == ["libc6", "linux-image-6.1.0-28-amd64"]
    assert "reboot required (asked by libc6, linux-image-6.1.0-28-amd64)" in record["summary"]
    assert record["expected"]["reboot_required"] is False
    assert check(root=system.root, security_fail_above=5, reboot_required="fail")["status"] == "fail"
    record = check(root=system.root, security_fail_above=5, reboot_required="pass")
    assert record["status"] == "pass" and "reboot_required" not in record["expected"]


def test_oversized_reboot_package_list_is_an_error_naming_the_cap(system, reboot_flag):
    open(reboot_flag, "w").close()
    with open(reboot_flag + ".pkgs", "w") as handle:
        handle.write("x" * (os_updates.REBOOT_PACKAGES_CAP + 1))
    record = check(root=system.root, security_fail_above=5)
    assert record["status"] == "error"
    assert "REBOOT_PACKAGES_CAP" in record["summary"]


def test_the_check_writes_nothing_under_the_system_or_its_repository(system):
    before = tree_state(system.root, system.repo)
    check(root=system.root)
    assert tree_state(system.root, system.repo) == before


def test_the_planner_log_option_is_what_keeps_a_root_simulation_from_writing_its_log(system):
    """apt-get -s as root writes /var/log/apt/eipp.log.xz unless Dir::Log::Planner is empty; the check clears it."""
    log_dir = system.path("var/log/apt")
    for name in os.listdir(log_dir):  # left by the direct simulations of other tests
        os.unlink(os.path.join(log_dir, name))
    argv = os_updates.apt_argv(system.root)
    assert "Dir::Log::Planner=" in argv and "Debug::NoLocking=1" in argv
    subprocess.run(argv, capture_output=True, check=True, timeout=120)
    assert os.listdir(log_dir) == []
    at = argv.index("Dir::Log::Planner=")
    without = argv[:at - 1] + argv[at + 1:]
    try:
        subprocess.run(without, capture_output=True, check=True, timeout=120)
        assert "eipp.log.xz" in os.listdir(log_dir)
    finally:
        for name in os.listdir(log_dir):
            os.unlink(os.path.join(log_dir, name))


@pytest.mark.skipif(os.geteuid() != 0, reason="the privilege drop applies to a module running as root")
def test_as_root_the_package_manager_runs_as_nobody():
    assert os_updates.unprivileged_user()["user"] == 65534
    assert os_updates.unprivileged_user()["extra_groups"] == []


def test_missing_package_lists_and_state_are_errors_never_a_pass(tmp_path):
    record = check(root=str(tmp_path))
    assert record["status"] == "error"
    assert "pending updates: apt-get -s... exited 100" in record["summary"]
    assert "package lists: no package lists" in record["summary"]


def test_this_machines_apt_state_as_apt_itself_simulates_it_and_nothing_written():
    """The real package state of the test machine: the check's upgrades are those of apt's own simulation."""
    done = subprocess.run(["apt-get", "-s", "-o", "Debug::NoLocking=1", "-o", "Dir::Log::Planner=", "dist-upgrade"],
                          capture_output=True, text=True, timeout=300, check=True, env=dict(os.environ, LC_ALL="C"))
    expected = simulated_upgrades(done.stdout)
    before = tree_state(*REAL_APT_DIRS)
    record = check(timeout=300, security_fail_above=100000, list_age_warn_above="3650d", reboot_required="pass")
    assert tree_state(*REAL_APT_DIRS) == before, "the check changed a file of apt or dpkg"
    assert record["status"] == "pass", record["summary"]
    observed = record["observed"]
    assert observed["pending_count"]["value"] == len(expected)
    security = [name for name, (dummy, dummy2, origins) in expected.items() if re.search("(?i)security", origins)]
    assert observed["security_count"]["value"] == len(security)
    listed = observed["security_packages"] + observed["other_packages"]
    assert all(expected[p["name"]][:2] == (p["installed"], p["candidate"]) for p in listed)
    assert observed["lists_source"] in ("/var/lib/apt/lists", "/var/lib/apt/periodic/update-success-stamp")


# --- options ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("item, message", [
    ({"security_origin_regex": "("}, "security_origin_regex: '(' is not a valid regular expression"),
    ({"root": "relative/root"}, "root: 'relative/root' must be an absolute path"),
    ({"security_warn_above": 5, "security_fail_above": 2},
     "security_warn_above/security_fail_above: the warn level (5) must be below the fail level (2)"),
    ({"list_age_warn_above": "7x"}, "list_age_warn_above: unknown duration unit 'x'"),
    ({"pending_fail_above": -1}, "pending_fail_above: '-1' must not be negative"),
])
def test_bad_options_are_named(item, message):
    with pytest.raises(OptionError) as raised:
        prepared(os_updates, item)
    assert message in str(raised.value)


def test_reboot_required_and_manager_take_only_their_choices():
    with pytest.raises(OptionError) as raised:
        prepared(os_updates, {"reboot_required": "maybe"})
    assert "reboot_required" in str(raised.value)
    with pytest.raises(OptionError):
        prepared(os_updates, {"manager": "yum"})


# --- dnf (documented shapes) ----------------------------------------------------------------------------

CHECK_UPDATE = """
kernel.x86_64                          5.14.0-362.18.1.el9_3           baseos
openssl.x86_64                         1:3.0.7-25.el9_3                baseos
python3-a-package-with-a-very-long-name-indeed.noarch
                                       2.1-3.el9                       appstream
tzdata.noarch                          2024a-1.el9                     baseos
Obsoleting Packages
grub2-tools.x86_64                     1:2.06-70.el9_3.2               baseos
    grub2-tools.x86_64                 1:2.06-61.el9                   @baseos
"""
UPDATEINFO = """\
RHSA-2024:0310 Important/Sec. kernel-5.14.0-362.18.1.el9_3.x86_64
RHSA-2024:0155 Moderate/Sec.  openssl-1:3.0.7-25.el9_3.x86_64
RHSA-2024:0155 Moderate/Sec.  openssl-libs-1:3.0.7-25.el9_3.x86_64
"""


def test_dnf_check_update_output_parses_wrapped_names_and_stops_at_obsoletes():
    assert os_updates.parse_dnf_check_update(CHECK_UPDATE) == {
        "kernel.x86_64": ("5.14.0-362.18.1.el9_3", "baseos"),
        "openssl.x86_64": ("1:3.0.7-25.el9_3", "baseos"),
        "python3-a-package-with-a-very-long-name-indeed.noarch": ("2.1-3.el9", "appstream"),
        "tzdata.noarch": ("2024a-1.el9", "baseos")}
    assert os_updates.parse_dnf_security(UPDATEINFO) == {
        "kernel": "RHSA-2024:0310", "openssl": "RHSA-2024:0155", "openssl-libs": "RHSA-2024:0155"}


def _executable(path, text):
    with open(path, "w") as handle:
        handle.write(text)
    os.chmod(path, stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)


@pytest.fixture
def dnf_standin(monkeypatch):
    """`dnf` and `needs-restarting` on PATH answering as dnf 4 documents, recording their arguments;
    a root with dnf's metadata cache."""
    apt_root = make_apt_root()  # only for its world-readable directory
    base = apt_root.base
    bin_dir = os.path.join(base, "bin")
    os.makedirs(bin_dir)
    calls = os.path.join(base, "calls")
    os.makedirs(calls)
    os.chmod(calls, 0o777)
    for name, text in (("check-update", CHECK_UPDATE), ("updateinfo", UPDATEINFO)):
        with open(os.path.join(base, name), "w") as handle:
            handle.write(text)
    _executable(os.path.join(bin_dir, "dnf"), f"""#!/bin/sh
echo "$@" >> {calls}/dnf
for arg in "$@"; do
  case "$arg" in
    check-update) cat {base}/check-update; exit 100 ;;
    updateinfo) cat {base}/updateinfo; exit 0 ;;
  esac
done
exit 1
""")
    _executable(os.path.join(bin_dir, "needs-restarting"), f"""#!/bin/sh
echo "$@" >> {calls}/needs-restarting
echo "Core libraries or services have been updated since boot-up:"
echo "  * kernel"
exit 1
""")
    repomd = os.path.join(apt_root.root, "var/cache/dnf/baseos-0123456789abcdef/repodata/repomd.xml")
    os.makedirs(os.path.dirname(repomd))
    open(repomd, "w").close()
    os.utime(repomd, (time.time() - 2 * DAY,) * 2)
    monkeypatch.setenv("PATH", bin_dir + os.pathsep + os.environ["PATH"])
    try:
        yield apt_root.root, repomd, calls
    finally:
        remove_apt_root(apt_root)


def test_dnf_updates_security_advisories_and_cache_age(dnf_standin):
    root, repomd, calls = dnf_standin
    record = check(manager="dnf", root=root, reboot_required="pass")
    assert record["status"] == "fail", record["summary"]
    observed = record["observed"]
    assert observed["manager"] == "dnf"
    assert observed["pending_count"]["value"] == 4
    assert [p["name"] for p in observed["security_packages"]] == ["kernel.x86_64", "openssl.x86_64"]
    assert observed["security_packages"][0] == dict(name="kernel.x86_64", installed=None,
                                                    candidate="5.14.0-362.18.1.el9_3", origin="baseos (RHSA-2024:0310)")
    assert observed["lists_source"] == repomd
    assert 2 * DAY - 60 < observed["lists_age_seconds"]["value"] < 2 * DAY + 600
    with open(os.path.join(calls, "dnf")) as handle:
        invocations = handle.read().splitlines()
    assert invocations == [f"-q --cacheonly --assumeno --installroot={root} check-update",
                           f"-q --cacheonly --assumeno --installroot={root} updateinfo list --security"]


def test_dnf_reboot_flag_from_needs_restarting_and_a_missing_cache_is_an_error(dnf_standin):
    root, calls = dnf_standin[0], dnf_standin[2]
    record = check(manager="dnf", security_fail_above=10)
    assert record["status"] == "error", record["summary"]
    assert "package lists: no dnf metadata cache under /var/cache" in record["summary"]
    assert "reboot required" in record["summary"] and record["observed"]["reboot_required"] is True
    with open(os.path.join(calls, "needs-restarting")) as handle:
        assert handle.read().splitlines() == ["-r"]
    record = check(manager="dnf", root=root, security_fail_above=10)
    assert record["status"] == "error"
    assert "needs-restarting looks at the running system only" in record["summary"]
