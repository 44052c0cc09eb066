"""The checklist of golive_checklist.yml as a pytest-testinfra suite, written the way teams write one.

Run by benchmarks/peers.py over the SSH hosts: pytest --hosts=ssh://host001,... --ssh-config=... -n 8.
Each test runs once per host (testinfra's ``host`` fixture); 25 tests per host.
"""

from __future__ import annotations

import re

import pytest

PATHS = (
    ("/etc/passwd", "file", 0o644),
    ("/etc/group", "file", 0o644),
    ("/etc/shadow", "file", 0o640),
    ("/etc/os-release", "file", 0o644),
    ("/etc/ssh", "directory", 0o755),
    ("/etc/ssh/sshd_config", "file", 0o644),
    ("/etc/ssl/certs", "directory", 0o755),
    ("/usr/sbin/sshd", "file", 0o755),
    ("/usr/bin/python3", "file", 0o755),
    ("/usr/bin", "directory", 0o755),
    ("/var/tmp", "directory", 0o1777),
    ("/tmp", "directory", 0o1777),
)

COMMANDS = (
    ("uname -r", r"^\d+\.\d+"),
    ("uname -s", r"^Linux$"),
    ("uname -m", r"^\S+$"),
    ("id -u", r"^0$"),
    ("/usr/bin/python3 --version", r"^Python 3\."),
)


@pytest.mark.parametrize("mount", ["/", "/var", "/tmp"])
def test_disk_space(host, mount):
    avail, size, iavail, itotal = (int(value) for value in host.check_output(
        "df --output=avail,size,iavail,itotal %s | tail -n 1", mount).split())
    assert avail * 100 >= size
    assert iavail * 100 >= itotal


def test_system_resources(host):
    cpus = int(host.check_output("nproc"))
    load = float(host.file("/proc/loadavg").content_string.split()[0])
    meminfo = dict(line.split(":", 1) for line in host.file("/proc/meminfo").content_string.splitlines())
    assert cpus >= 1
    assert load / cpus < 50
    assert int(meminfo["MemAvailable"].split()[0]) * 100 >= int(meminfo["MemTotal"].split()[0])


@pytest.mark.parametrize("path,kind,mode", PATHS)
def test_path(host, path, kind, mode):
    target = host.file(path)
    assert target.exists
    assert target.is_directory if kind == "directory" else target.is_file
    assert target.mode == mode
    assert target.user == "root"


def test_sshd_runs(host):
    assert host.process.filter(comm="sshd")


def test_no_stray_daemon(host):
    assert host.run("pgrep -f '[n]o-such-daemon-of-golive-peers'").rc == 1


@pytest.mark.parametrize("command,pattern", COMMANDS)
def test_command_output(host, command, pattern):
    assert re.search(pattern, host.check_output(command))


def test_os_release_variables(host):
    text = host.file("/etc/os-release").content_string
    assert re.search(r"(?m)^ID=debian$", text)
    assert re.search(r'(?m)^VERSION_ID="?[^"\s]+', text)
    assert re.search(r'(?m)^PRETTY_NAME="?[^"\s]+', text)


def test_python_runtime(host):
    assert host.check_output("/usr/bin/python3 -c 'import sys; print(sys.version_info >= (3, 8))'") == "True"
