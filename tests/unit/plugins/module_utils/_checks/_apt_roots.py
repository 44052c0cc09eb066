"""A tiny Debian system for os_updates: a dpkg status file, a local repository of suites and package lists
that the real `apt-get update` fetched from it, entirely offline.

The tree is made world-readable under a directory of its own (not pytest's private tmp_path), because the
check runs apt as nobody when the tests run as root.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile

ARCH = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True, check=True).stdout.strip()


def _write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def _stanza(name, version, extra=""):
    return (f"Package: {name}\nVersion: {version}\nArchitecture: {ARCH}\nMaintainer: Test <test@example.org>\n"
            f"{extra}Description: a package of the os_updates tests\n\n")


class AptRoot(object):
    """``root``: the system's tree (give it to the check's ``root``); ``repo``: the local repository."""

    def __init__(self, base):
        self.base = base
        self.root = os.path.join(base, "root")
        self.repo = os.path.join(base, "repo")
        self.config = os.path.join(self.root, "etc", "apt", "apt.conf")
        for relative in ("etc/apt/apt.conf.d", "etc/apt/preferences.d", "etc/apt/sources.list.d",
                         "var/lib/apt/lists/partial", "var/cache/apt/archives/partial", "var/log/apt", "run"):
            os.makedirs(os.path.join(self.root, relative), exist_ok=True)
        _write(self.config, f'Dir "{self.root}/";\nDir::State::status "{self.root}/var/lib/dpkg/status";\n'
                            f'APT::Architecture "{ARCH}";\nAPT::Sandbox::User "root";\n')

    def installed(self, packages):
        """The dpkg status: {name: version} installed."""
        text = "".join(_stanza(name, version, "Status: install ok installed\nPriority: optional\n")
                       for name, version in packages.items())
        _write(os.path.join(self.root, "var/lib/dpkg/status"), text)

    def suite(self, suite, label, packages):
        """A suite of the repository with a Release file naming it (Label, Suite) and its Packages."""
        directory = os.path.join(self.repo, "dists", suite)
        index = f"main/binary-{ARCH}/Packages"
        text = "".join(_stanza(name, version, f"Filename: pool/{name}_{version}_{ARCH}.deb\nSize: 1000\n")
                       for name, version in packages.items())
        _write(os.path.join(directory, index), text)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        _write(os.path.join(directory, "Release"),
               f"Origin: Debian\nLabel: {label}\nSuite: {suite}\nCodename: {suite}\nVersion: 12\n"
               f"Architectures: {ARCH}\nComponents: main\nDate: Thu, 03 Dec 2026 20:00:00 UTC\n"
               f"SHA256:\n {digest} {len(text.encode('utf-8'))} {index}\n")
        sources = os.path.join(self.root, "etc/apt/sources.list")
        with open(sources, "a", encoding="utf-8") as handle:
            handle.write(f"deb [trusted=yes] file:{self.repo} {suite} main\n")

    def update(self):
        """The real `apt-get update` of this system from its local repository (as a host's refresh)."""
        done = subprocess.run(["apt-get", "-q", "update"], env=dict(os.environ, APT_CONFIG=self.config, LC_ALL="C"),
                              capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Err:" not in done.stdout, done.stdout

    def simulated(self):
        """`apt-get -s dist-upgrade` of this system run directly, its stdout."""
        env = dict(os.environ, APT_CONFIG=self.config, LC_ALL="C")
        done = subprocess.run(["apt-get", "-s", "dist-upgrade"], env=env, capture_output=True, text=True, timeout=120,
                              check=True)
        return done.stdout

    def path(self, relative):
        return os.path.join(self.root, relative)


def make_apt_root():
    base = tempfile.mkdtemp(prefix="golive-apt-root-")
    os.chmod(base, 0o755)
    return AptRoot(base)


def remove_apt_root(apt_root):
    shutil.rmtree(apt_root.base, ignore_errors=True)


def tree_state(*directories):
    """{path: (mtime_ns, size, mode)} of every file and directory under ``directories`` (links not followed)."""
    state = {}
    for directory in directories:
        for parent, names, files in os.walk(directory):
            for name in ["", *names, *files]:
                path = os.path.join(parent, name)
                try:
                    info = os.lstat(path)
                except FileNotFoundError:
                    continue
                state[path] = (info.st_mtime_ns, info.st_size, info.st_mode)
    return state


def security_system():
    """golive-sec 1.0 installed, 1.1 in bookworm-security; golive-plain 1.0 installed, 2.0 in bookworm-updates;
    golive-current 3.0 installed and current; golive-new only in the repository (not installed); refreshed."""
    apt_root = make_apt_root()
    try:
        apt_root.installed({"golive-sec": "1.0", "golive-plain": "1.0", "golive-current": "3.0"})
        apt_root.suite("bookworm", "Debian", {"golive-sec": "1.0", "golive-plain": "1.0", "golive-current": "3.0",
                                              "golive-new": "1.0"})
        apt_root.suite("bookworm-security", "Debian-Security", {"golive-sec": "1.1"})
        apt_root.suite("bookworm-updates", "Debian", {"golive-plain": "2.0"})
        apt_root.update()
    except BaseException:
        remove_apt_root(apt_root)
        raise
    return apt_root
