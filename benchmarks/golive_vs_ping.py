"""How much a whole golive run costs next to `ansible -m ping` over the same SSH hosts.

Starts N loopback SSH hosts (default 20) with the integration test harness, gives each host a
checklist of 30+ host checks, then times, alternating and repeated:

  ping      ansible all -m ping -i inv
  golive    ansible-playbook golive.yml -i inv                (one verify call per host)
  per-task  ansible-playbook <generated> -i inv               (the same checklist, one task per check)

and prints the median wall times and the ratios to ping. Every run starts with cold SSH
connections (its own control socket directory, closed afterwards). Run from the repository
root with the virtualenv active:  python benchmarks/golive_vs_ping.py [--hosts 20] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
sys.path.insert(0, os.path.join(REPO, ".collections"))  # scripts/setup links the checkout there

from playbook_runs import ansible_tool, clean_environment
from sshhosts import SSHFleet

TARGET_RATIO = 2.0
RUN_TIMEOUT = 1800
ENV_FILE_TEXT = "APP_ENV=production\nWORKERS=4\nSECRET_KEY=Lr8sWq2Zt6Yx0Pn4Vb7Mk3Jh9Gd5Fc1A\n"

# Paths every Debian host has, with the most permissive mode each may have.
SYSTEM_PATHS = (
    ("/etc/passwd", "file", "0644"),
    ("/etc/group", "file", "0644"),
    ("/etc/shadow", "file", "0640"),
    ("/etc/hosts", "file", "0755"),
    ("/etc/hostname", "file", "0755"),
    ("/etc/os-release", "file", "0755"),
    ("/etc/ssh", "directory", "0755"),
    ("/etc/ssh/sshd_config", "file", "0644"),
    ("/etc/nsswitch.conf", "file", "0644"),
    ("/etc/ssl/certs", "directory", "0755"),
    ("/usr/sbin/sshd", "file", "0755"),
    ("/usr/bin/python3", "file", "0755"),
    ("/usr/bin", "directory", "0755"),
    ("/var/log", "directory", "0775"),
    ("/var/lib", "directory", "0755"),
    ("/var/tmp", "directory", "1777"),
    ("/tmp", "directory", "1777"),
)
DISK_PATHS = ("/", "/tmp", "/var", "/usr", "/etc")
COMMANDS = (
    dict(name="kernel-release", argv=["uname", "-r"], stdout_regex=r"^\d+\.\d+"),
    dict(name="kernel-name", argv=["uname", "-s"], stdout_regex="^Linux$"),
    dict(name="machine", argv=["uname", "-m"], stdout_regex=r"^\S+$"),
    dict(name="root-user", argv=["id", "-u"], stdout_regex="^0$"),
    dict(name="python-version", argv=["/usr/bin/python3", "--version"], stdout_regex=r"^Python 3\."),
)


def checklist(env_file):
    """The host variables of the golive roles: 30+ checks per host, all expected to pass here."""
    return dict(
        golive_disk_space=[dict(path=path, free_fail_below="1%", inodes_free_fail_below="1%") for path in DISK_PATHS],
        golive_system_resources=dict(cpus_fail_below=1, load_per_core_warn_above=50,
                                     memory_available_fail_below="1%"),
        golive_paths=[dict(path=path, state=state, mode_max=mode, owner="root") for path, state, mode in SYSTEM_PATHS],
        golive_processes=[dict(name="sshd", min_count=1),
                          dict(cmdline_regex="golive-benchmark-no-such-daemon", state="absent")],
        golive_commands=[dict(command) for command in COMMANDS],
        golive_env_vars=[dict(env_file=env_file, required=["APP_ENV", "WORKERS", "SECRET_KEY"],
                              expected_values=dict(APP_ENV="^production$"))],
        golive_python_runtime=[dict(python="/usr/bin/python3", min_version="3.8")],
    )


def one_task_per_check(checks):
    """The same checklist as a playbook with one module task per check (the shape golive avoids)."""
    sections = (
        ("disk_space", "golive_disk_space"), ("path", "golive_paths"), ("process", "golive_processes"),
        ("command_output", "golive_commands"), ("env_vars", "golive_env_vars"),
        ("python_runtime", "golive_python_runtime"),
    )
    tasks = [dict(name="system_resources", **{"golive.readiness.system_resources": dict(
        checks=[checks["golive_system_resources"]], fail_on=[])})]
    for kind, variable in sections:
        for index, item in enumerate(checks[variable]):
            tasks.append(dict(name=f"{kind} {index}",
                              **{f"golive.readiness.{kind}": dict(checks=[item], fail_on=[])}))
    return [dict(name="Go-live checklist, one task per check", hosts="all", gather_facts=False, tasks=tasks)]


def count_checks(checks):
    return sum(len(value) if isinstance(value, list) else 1 for value in checks.values())


class Bench(object):
    """Runs the three commands against one fleet and keeps their wall times."""

    def __init__(self, fleet, workdir, inventory, per_task_playbook):
        self.fleet = fleet
        self.workdir = workdir
        self.inventory = inventory
        self.commands = dict(
            ping=[ansible_tool("ansible"), "all", "-m", "ansible.builtin.ping", "-i", inventory],
            golive=[ansible_tool("ansible-playbook"), "golive.yml", "-i", inventory],
            per_task=[ansible_tool("ansible-playbook"), per_task_playbook, "-i", inventory],
        )
        self.times = dict((name, []) for name in self.commands)
        self.last_report = None

    def run(self, name):
        control_dir = self.fleet.new_control_dir()
        report_dir = os.path.join(self.workdir, f"report-{name}-{len(self.times[name])}")
        env = self.fleet.ansible_env(control_dir, base=clean_environment())
        env["GOLIVE_REPORT_DIR"] = report_dir
        started = time.monotonic()
        try:
            completed = subprocess.run(self.commands[name], cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                                       capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False)
        finally:
            elapsed = time.monotonic() - started
            self.fleet.release_control_dir(control_dir)
        if completed.returncode != 0:
            raise SystemExit(f"{name} failed (exit {completed.returncode}):\n"
                             f"{completed.stdout[-4000:]}\n{completed.stderr[-4000:]}")
        self.times[name].append(elapsed)
        if name == "golive":
            with open(os.path.join(report_dir, "report.json")) as handle:
                self.last_report = json.load(handle)
        print(f"  {name:<8} {elapsed:6.2f}s", flush=True)
        return elapsed


def median(values):
    return statistics.median(values) if values else float("nan")


def print_summary(bench, hosts, checks_per_host):
    ping = median(bench.times["ping"])
    golive = median(bench.times["golive"])
    print()
    print(f"{hosts} SSH hosts, {checks_per_host} host checks each ({hosts * checks_per_host} checks per golive run)")
    print(f"{'':<34} {'median':>8} {'runs':>8}  ratio to ping")
    rows = (("ansible all -m ping", "ping"), ("golive.yml (one verify per host)", "golive"),
            ("one task per check", "per_task"))
    for label, name in rows:
        times = bench.times[name]
        if not times:
            continue
        ratio = median(times) / ping
        print(f"{label:<34} {median(times):7.2f}s {len(times):8d}  {ratio:5.2f}x")
    verdict = "within" if golive <= TARGET_RATIO * ping else "OVER"
    print(f"golive/ping = {golive / ping:.2f}x: {verdict} the {TARGET_RATIO:.0f}x target")
    report = bench.last_report or {}
    print("last golive report: verdict {}, {} checks, {}".format(
        report.get("verdict"), report.get("counts", {}).get("total"), report.get("counts", {}).get("by_status")))


def schedule(rounds, per_task_rounds):
    """The commands of each round; ping and golive take turns going first, so neither always runs warmer."""
    plan = []
    for number in range(1, max(rounds, per_task_rounds) + 1):
        order = []
        if number <= rounds:
            order = ["ping", "golive"] if number % 2 else ["golive", "ping"]
        if number <= per_task_rounds:
            order.append("per_task")
        plan.append(order)
    return plan


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--hosts", type=int, default=20, help="number of SSH hosts (default 20)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of ping and golive (default 3)")
    parser.add_argument("--per-task-rounds", type=int, default=1,
                        help="rounds of the one-task-per-check playbook, the slow contrast (default 1; 0 skips)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    workdir = tempfile.mkdtemp(prefix="golive-bench-")
    try:
        env_file = os.path.join(workdir, "app.env")
        with open(env_file, "w") as handle:
            handle.write(ENV_FILE_TEXT)
        os.chmod(env_file, 0o600)
        checks = checklist(env_file)
        per_task = os.path.join(workdir, "one_task_per_check.yml")
        with open(per_task, "w") as handle:
            yaml.safe_dump(one_task_per_check(checks), handle, sort_keys=False)
        names = [f"host{number:02d}" for number in range(1, args.hosts + 1)]
        started = time.monotonic()
        with SSHFleet(os.path.join(workdir, "fleet"), names) as fleet:
            print(f"started {len(names)} sshd hosts in {time.monotonic() - started:.1f}s")
            inventory = fleet.write_inventory(os.path.join(workdir, "inventory.yml"), group_vars=checks)
            bench = Bench(fleet, workdir, inventory, per_task)
            for number, order in enumerate(schedule(args.rounds, args.per_task_rounds), 1):
                print(f"round {number}")
                for name in order:
                    bench.run(name)
            print_summary(bench, len(names), count_checks(checks))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
