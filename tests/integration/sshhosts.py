"""Real SSH hosts on loopback for integration tests and benchmarks: one sshd daemon per host.

Every daemon listens on its own free 127.0.0.1 port with a host key generated for the run and
accepts only a client ed25519 key generated for the run. Everything lives in one work directory
and `SSHFleet.stop()` kills every daemon, every session it spawned and every SSH control master.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import yaml

SSHD = "/usr/sbin/sshd"
SSH_KEYGEN = "/usr/bin/ssh-keygen"
PRIVSEP_DIR = "/run/sshd"
SETUP_HINT = "run scripts/setup as root (it installs openssh-server) before the integration tests"
BANNER_TIMEOUT = 15.0

SSHD_CONFIG = """\
Port {port}
ListenAddress 127.0.0.1
HostKey {host_key}
PidFile {pid_file}
AuthorizedKeysFile {authorized_keys}
UsePAM no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
StrictModes no
MaxStartups 100:30:200
MaxSessions 100
LogLevel ERROR
Subsystem sftp internal-sftp
"""

# Options every connection of the fleet needs, carried by the inventory so that runs without the
# repository's ansible.cfg (the built collection) connect the same way.
SSH_COMMON_ARGS = "-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o LogLevel=ERROR"


class SSHHarnessError(RuntimeError):
    """The SSH hosts could not be started."""


def require_sshd():
    """Fail with the way out when the OpenSSH server or ssh-keygen is not installed."""
    missing = [tool for tool in (SSHD, SSH_KEYGEN) if not os.access(tool, os.X_OK)]
    if missing:
        raise SSHHarnessError("{} not found: {}".format(", ".join(missing), SETUP_HINT))
    if os.geteuid() != 0:
        raise SSHHarnessError(f"the SSH hosts log in as root and sshd must run as root: {SETUP_HINT}")


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def generate_key(path, comment):
    """A fresh passphrase-less ed25519 key pair at ``path`` / ``path.pub``."""
    subprocess.run([SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path],
                   check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def read_banner(port, timeout):
    """The SSH identification line the server on ``port`` sends, or None if it does not answer in time."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            data = b""
            while b"\n" not in data and len(data) < 256:
                chunk = sock.recv(256)
                if not chunk:
                    break
                data += chunk
            return data.decode("ascii", "replace").strip() or None
    except OSError:
        return None


def child_pids(pid):
    """Direct children of ``pid``, read from /proc."""
    children = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(entry))
    return children


def descendant_pids(pid):
    found = []
    pending = [pid]
    while pending:
        for child in child_pids(pending.pop()):
            found.append(child)
            pending.append(child)
    return found


def signal_quietly(pid, sig):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def ensure_privsep_dir():
    # sshd refuses to start without its privilege separation directory, which /run loses at boot.
    if not os.path.isdir(PRIVSEP_DIR):
        os.makedirs(PRIVSEP_DIR, mode=0o755, exist_ok=True)


class SSHHost(object):
    """One sshd daemon standing in for one inventory host."""

    def __init__(self, name, directory, authorized_keys):
        self.name = name
        self.directory = directory
        self.port = free_port()
        self.host_key = os.path.join(directory, "ssh_host_ed25519_key")
        self.config = os.path.join(directory, "sshd_config")
        self.pid_file = os.path.join(directory, "sshd.pid")
        self.log = os.path.join(directory, "sshd.log")
        self.authorized_keys = authorized_keys
        self.process = None

    def start(self):
        os.makedirs(self.directory, exist_ok=True)
        generate_key(self.host_key, f"golive-test-host-{self.name}")
        with open(self.config, "w") as config:
            config.write(SSHD_CONFIG.format(port=self.port, host_key=self.host_key, pid_file=self.pid_file,
                                            authorized_keys=self.authorized_keys))
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen([SSHD, "-D", "-e", "-f", self.config], stdin=subprocess.DEVNULL,
                                            stdout=log, stderr=log, start_new_session=True)

    def wait_ready(self, deadline):
        """Block until the daemon answers with an SSH banner; raise with its log if it never does."""
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SSHHarnessError(f"sshd for {self.name} exited with {self.process.returncode}: {self.read_log()}")
            banner = read_banner(self.port, timeout=max(0.1, min(2.0, deadline - time.monotonic())))
            if banner and banner.startswith("SSH-"):
                return banner
            time.sleep(0.05)
        raise SSHHarnessError(f"sshd for {self.name} on port {self.port} did not answer within {BANNER_TIMEOUT:.0f}s: "
                              f"{self.read_log()}")

    def read_log(self):
        try:
            with open(self.log, errors="replace") as log:
                return log.read().strip()[-2000:] or "(no output)"
        except OSError:
            return "(no log)"

    def stop(self):
        """Kill the listener and any session it forked; sessions outlive a killed listener otherwise."""
        if self.process is None:
            return
        sessions = descendant_pids(self.process.pid)
        signal_quietly(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            signal_quietly(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
        for pid in sessions:
            signal_quietly(pid, signal.SIGKILL)
        self.process = None


class SSHFleet(object):
    """N loopback SSH hosts with one client key, plus inventories and ansible environments for them.

    Use as a context manager, or call start() and stop() yourself.
    """

    def __init__(self, workdir, names):
        self.workdir = os.path.abspath(workdir)
        self.names = list(names)
        self.client_key = os.path.join(self.workdir, "client_ed25519")
        self.authorized_keys = os.path.join(self.workdir, "authorized_keys")
        self.hosts = {}
        self.unreachable = {}
        self._control_dirs = []

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def start(self):
        require_sshd()
        ensure_privsep_dir()
        os.makedirs(self.workdir, exist_ok=True)
        generate_key(self.client_key, "golive-test-client")
        shutil.copyfile(self.client_key + ".pub", self.authorized_keys)
        try:
            for name in self.names:
                host = SSHHost(name, os.path.join(self.workdir, "hosts", name), self.authorized_keys)
                self.hosts[name] = host
                host.start()
            deadline = time.monotonic() + BANNER_TIMEOUT
            for host in self.hosts.values():
                host.wait_ready(deadline)
        except BaseException:
            self.stop()
            raise

    def stop(self):
        for directory in list(self._control_dirs):
            self.release_control_dir(directory)
        for host in self.hosts.values():
            host.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def add_unreachable(self, name):
        """Reserve a host name on a free port where nothing listens."""
        self.unreachable[name] = free_port()
        return self.unreachable[name]

    def connection_vars(self, name):
        port = self.hosts[name].port if name in self.hosts else self.unreachable[name]
        return dict(
            ansible_connection="ssh",
            ansible_host="127.0.0.1",
            ansible_port=port,
            ansible_user="root",
            ansible_ssh_private_key_file=self.client_key,
            ansible_ssh_common_args=SSH_COMMON_ARGS,
            ansible_python_interpreter="/usr/bin/python3",
        )

    def inventory(self, hosts=None, unreachable=(), group_vars=None, host_vars=None, groups=None):
        """An inventory dict: ``hosts`` (default: all) plus ``unreachable`` names, all in group ``all``.

        ``group_vars`` go to ``all`` (they reach the implicit localhost too, where the gate runs);
        ``host_vars`` maps host name -> vars; ``groups`` maps group name -> list of host names.
        """
        names = list(self.names if hosts is None else hosts)
        for name in unreachable:
            if name not in self.unreachable:
                self.add_unreachable(name)
        host_vars = host_vars or {}
        all_hosts = {}
        for name in names + list(unreachable):
            entry = self.connection_vars(name)
            entry.update(host_vars.get(name, {}))
            all_hosts[name] = entry
        inventory = {"all": {"hosts": all_hosts, "vars": dict(group_vars or {})}}
        if groups:
            inventory["all"]["children"] = dict(
                (group, {"hosts": dict((name, None) for name in members)}) for group, members in groups.items())
        return inventory

    def write_inventory(self, path, **kwargs):
        """Write inventory(**kwargs) as YAML to ``path`` and return the path."""
        with open(path, "w") as handle:
            yaml.safe_dump(self.inventory(**kwargs), handle, default_flow_style=False, sort_keys=False)
        return path

    def new_control_dir(self):
        """A short directory for the SSH control sockets of one ansible run (socket paths are limited to ~100 bytes).

        Pass it to ansible_env(); release it with release_control_dir() after the run (stop() releases
        every one still held) so that no ssh master process outlives the run.
        """
        path = tempfile.mkdtemp(prefix="golive-cp-")
        self._control_dirs.append(path)
        return path

    def release_control_dir(self, control_dir):
        close_control_masters(control_dir)
        shutil.rmtree(control_dir, ignore_errors=True)
        if control_dir in self._control_dirs:
            self._control_dirs.remove(control_dir)

    @staticmethod
    def ansible_env(control_dir, base=None):
        """Environment for an ansible run over the fleet whose SSH control sockets live in ``control_dir``."""
        env = dict(os.environ if base is None else base)
        env["ANSIBLE_SSH_CONTROL_PATH_DIR"] = control_dir
        env["ANSIBLE_HOST_KEY_CHECKING"] = "False"
        return env


def close_control_masters(control_dir):
    """Ask every ssh ControlMaster with a socket in ``control_dir`` to exit."""
    if not os.path.isdir(control_dir):
        return
    for entry in os.listdir(control_dir):
        socket_path = os.path.join(control_dir, entry)
        subprocess.run(["ssh", "-o", f"ControlPath={socket_path}", "-O", "exit", "golive-control-master"],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=10, check=False)
