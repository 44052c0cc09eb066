"""A golive run side by side with `ansible -m ping` and with the peers, over the same loopback SSH hosts.

Every host gets the 25 host checks of benchmarks/peers/golive_checklist.yml, run four ways:

  ping       ansible all -m ping -i inv                                   (the floor)
  golive     ansible-playbook golive.yml -i inv                           (one verify call per host)
  builtin    ansible-playbook benchmarks/peers/builtin_checks.yml -i inv  (builtin modules, one task per check)
  testinfra  pytest -n 8 --hosts=... benchmarks/peers/test_host_checks.py  (pytest-testinfra, ssh backend)

golive and ping alternate which goes first, at every fleet size of the scale curve; the peers run at
--hosts. Each run starts cold (a new control socket directory; every inventory host has its own port,
so its own ControlPath) and its SSH masters are closed after it. For each run it measures the wall
time, the controller's CPU (user+sys of the run's whole process tree, SSH masters included) and the
hosts' CPU (user+sys of every sshd session and what it ran). Then it measures the payload of `verify`
and `ping` per host, and prints medians, min-max, ratios and the speed targets beside them.

Run from the repository root as root:  python benchmarks/peers.py [--hosts 20] [--rounds 3]
"""

from __future__ import annotations

import argparse
import ctypes
import glob
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Sequence

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEERS = os.path.join(REPO, "benchmarks", "peers")
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
sys.path.insert(0, os.path.join(REPO, ".collections"))  # scripts/setup links the checkout there

from playbook_runs import ansible_tool, clean_environment
from sshhosts import SSHFleet

CHECKLIST = os.path.join(PEERS, "golive_checklist.yml")
BUILTIN_PLAYBOOK = os.path.join(PEERS, "builtin_checks.yml")
TESTINFRA_SUITE = os.path.join(PEERS, "test_host_checks.py")
TESTINFRA_INI = os.path.join(PEERS, "pytest.ini")
CHECKS_PER_HOST = 25
RUN_TIMEOUT = 3600
SETTLE_TIMEOUT = 30.0
PR_SET_CHILD_SUBREAPER = 36
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# Issue 13's targets, printed beside the figures.
TARGET_GOLIVE_PING = 1.3
TARGET_CONTROLLER_CPU = 1.5
TARGET_TESTINFRA = 3.0
TARGET_BUILTIN = 20.0
TARGET_PAYLOAD = 1.5

_RECAP = re.compile(r"^(?P<host>\S+)\s+: ok=(?P<ok>\d+)\s+changed=\d+\s+unreachable=(?P<unreachable>\d+)\s+"
                    r"failed=(?P<failed>\d+)\s+skipped=\d+\s+rescued=\d+\s+ignored=(?P<ignored>\d+)", re.MULTILINE)
_PYTEST_PASSED = re.compile(r"\b(\d+) passed\b")
_PYTEST_OTHER = re.compile(r"\b\d+ (failed|error|errors)\b")


@dataclass
class Measurement:
    """One run of one command over one fleet size."""

    kind: str
    hosts: int
    round: int
    wall: float
    controller_cpu: float
    host_cpu: float
    control_sockets: int


@dataclass
class Results:
    runs: list[Measurement] = field(default_factory=list)
    payload: dict[str, int] = field(default_factory=dict)

    def of(self, kind: str, hosts: int) -> list[Measurement]:
        return [run for run in self.runs if run.kind == kind and run.hosts == hosts]


# --- what the controller and the hosts spend -------------------------------------------------------------


def become_subreaper() -> None:
    """Adopt orphaned descendants: SSH ControlPersist masters detach from the run that started them, and
    their CPU counts in this process's RUSAGE_CHILDREN only when this process reaps them."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def process_table() -> dict[int, tuple]:
    """{pid: (parent pid, command name)} of every process, read from /proc in one pass."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                text = stat.read()
        except OSError:
            continue
        name = text[text.index("(") + 1:text.rindex(")")]
        table[int(entry)] = (int(text.rsplit(")", 1)[1].split()[1]), name)
    return table


def has_descendants(pid: int, table: dict[int, tuple]) -> bool:
    return any(parent == pid for parent, _name in table.values())


def tree_cpu(pid: int) -> float:
    """User+sys seconds of a process and of every descendant it has waited for (/proc stat fields 14-17)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / CLOCK_TICKS


def close_adopted_masters(keep: Sequence[int]) -> None:
    """Stop the SSH masters this process adopted and reap them (and any other adopted zombie)."""
    me = os.getpid()
    adopted = [pid for pid, (parent, name) in process_table().items()
               if parent == me and pid not in keep and name == "ssh"]
    for pid in adopted:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + SETTLE_TIMEOUT
    for pid in adopted:
        while time.monotonic() < deadline:
            try:
                if os.waitpid(pid, os.WNOHANG)[0]:
                    break
            except ChildProcessError:
                break
            time.sleep(0.02)


def wait_sessions_closed(listeners: Sequence[int]) -> None:
    """Wait until no sshd listener has a session left, so that their CPU has been added up."""
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while time.monotonic() < deadline:
        table = process_table()
        if not any(has_descendants(pid, table) for pid in listeners):
            return
        time.sleep(0.05)
    print(f"  warning: sshd sessions still open after {SETTLE_TIMEOUT:.0f}s; host CPU undercounted")


# --- the four commands and how each must end -------------------------------------------------------------


def check_ping(output: str, hosts: int) -> str | None:
    found = output.count("| SUCCESS")
    return None if found == hosts else f"{found} of {hosts} hosts answered SUCCESS"


def check_golive_report(report_dir: str, hosts: int) -> str | None:
    try:
        with open(os.path.join(report_dir, "report.json"), encoding="utf-8") as handle:
            report = json.load(handle)
    except OSError as error:
        return f"no report: {error}"
    counts = report.get("counts", {})
    by_status = counts.get("by_status", {})
    if report.get("verdict") != "GO" or counts.get("total") != hosts * CHECKS_PER_HOST \
            or by_status.get("pass") != hosts * CHECKS_PER_HOST:
        return f"verdict {report.get('verdict')}, {counts.get('total')} checks, {by_status}"
    return None


def check_builtin(output: str, hosts: int) -> str | None:
    recap = [match.groupdict() for match in _RECAP.finditer(output)]
    bad = [row["host"] for row in recap if int(row["ok"]) != CHECKS_PER_HOST or int(row["failed"])
           or int(row["ignored"]) or int(row["unreachable"])]
    if len(recap) != hosts or bad:
        return f"{len(recap)} hosts in the recap; not all {CHECKS_PER_HOST} checks ok on: {', '.join(bad) or '-'}"
    return None


def check_testinfra(output: str, hosts: int) -> str | None:
    passed = _PYTEST_PASSED.findall(output)
    if _PYTEST_OTHER.search(output) or not passed or int(passed[-1]) != hosts * CHECKS_PER_HOST:
        return f"expected {hosts * CHECKS_PER_HOST} passed tests"
    return None


def ssh_config(fleet: SSHFleet, names: Sequence[str], control_dir: str) -> str:
    """An ssh_config naming each host, with its own control socket in ``control_dir`` (testinfra reads it)."""
    blocks = []
    for name in names:
        blocks.append(
            f"Host {name}\n  HostName 127.0.0.1\n  Port {fleet.hosts[name].port}\n  User root\n"
            f"  IdentityFile {fleet.client_key}\n  IdentitiesOnly yes\n  UserKnownHostsFile /dev/null\n"
            f"  StrictHostKeyChecking no\n  LogLevel ERROR\n  ControlPath {control_dir}/%C\n")
    return "".join(blocks)


class Bench:
    """Runs the commands over the first N hosts of one fleet and measures each run."""

    def __init__(self, fleet: SSHFleet, workdir: str, checklist: dict, testinfra_workers: int):
        self.fleet = fleet
        self.workdir = workdir
        self.checklist = checklist
        self.testinfra_workers = testinfra_workers
        self.results = Results()
        self.counter = 0

    def names(self, hosts: int) -> list[str]:
        return self.fleet.names[:hosts]

    def inventory(self, hosts: int) -> str:
        path = os.path.join(self.workdir, f"inventory-{hosts}.yml")
        if not os.path.exists(path):
            self.fleet.write_inventory(path, hosts=self.names(hosts), group_vars=self.checklist)
        return path

    def command(self, kind: str, hosts: int, control_dir: str, report_dir: str) -> tuple:
        """(argv, extra environment, how to tell that it went right) of one run."""
        inventory = self.inventory(hosts)
        if kind == "ping":
            argv = [ansible_tool("ansible"), "all", "-m", "ansible.builtin.ping", "-i", inventory]
            return argv, {}, lambda output: check_ping(output, hosts)
        if kind == "golive":
            argv = [ansible_tool("ansible-playbook"), "golive.yml", "-i", inventory]
            return argv, {"GOLIVE_REPORT_DIR": report_dir}, lambda _output: check_golive_report(report_dir, hosts)
        if kind == "builtin":
            argv = [ansible_tool("ansible-playbook"), BUILTIN_PLAYBOOK, "-i", inventory]
            # A team's playbook runs without golive's report callback, which ansible.cfg enables; the list
            # may not be empty, and naming the stdout callback already in use adds nothing.
            env = {"ANSIBLE_CALLBACKS_ENABLED": "ansible.builtin.default"}
            return argv, env, lambda output: check_builtin(output, hosts)
        config = os.path.join(self.workdir, f"ssh_config-{self.counter:03d}")
        with open(config, "w") as handle:
            handle.write(ssh_config(self.fleet, self.names(hosts), control_dir))
        argv = [sys.executable, "-m", "pytest", "-c", TESTINFRA_INI, "-q", "-n", str(self.testinfra_workers),
                "--connection=ssh", "--hosts=" + ",".join(self.names(hosts)), "--ssh-config=" + config,
                TESTINFRA_SUITE]
        return argv, {}, lambda output: check_testinfra(output, hosts)

    def run(self, kind: str, hosts: int, number: int) -> Measurement:
        self.counter += 1
        control_dir = self.fleet.new_control_dir()
        report_dir = os.path.join(self.workdir, f"report-{self.counter:03d}-{kind}")
        argv, extra_env, verify_outcome = self.command(kind, hosts, control_dir, report_dir)
        env = self.fleet.ansible_env(control_dir, base=clean_environment())
        env.update(extra_env)
        listeners = [self.fleet.hosts[name].process.pid for name in self.fleet.names]
        host_before = sum(tree_cpu(pid) for pid in listeners)
        cpu_before = children_cpu()
        started = time.monotonic()
        completed = subprocess.run(argv, cwd=REPO, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                                   text=True, timeout=RUN_TIMEOUT, check=False)
        wall = time.monotonic() - started
        sockets = len(os.listdir(control_dir))
        close_adopted_masters(keep=listeners)
        wait_sessions_closed(listeners)
        controller = children_cpu() - cpu_before
        host = sum(tree_cpu(pid) for pid in listeners) - host_before
        self.fleet.release_control_dir(control_dir)
        output = completed.stdout + "\n" + completed.stderr
        problem = verify_outcome(output) if completed.returncode == 0 else f"exit {completed.returncode}"
        if problem and kind in ("ping", "golive"):
            raise SystemExit(f"{kind} over {hosts} hosts did not run as expected ({problem}):\n{output[-6000:]}")
        if problem:
            # Every host is this machine: a process of someone else's can fail a peer's check. The run
            # still did all its work, so it is timed; the problem is shown.
            print(f"  warning: {kind} did not pass every check ({problem}):\n{output[-1500:]}")
        measurement = Measurement(kind, hosts, number, wall, controller, host, sockets)
        self.results.runs.append(measurement)
        print(f"  {kind:<9} {hosts:>3} hosts  wall {wall:7.2f}s  controller CPU {controller:7.2f}s  "
              f"host CPU {host:7.2f}s  control sockets {sockets}", flush=True)
        return measurement

    def measure_payload(self) -> dict[str, int]:
        """Bytes of the AnsiballZ file of verify and of ping for one host, kept on the host after a run
        without pipelining (ANSIBLE_KEEP_REMOTE_FILES): the module, its module_utils and its arguments."""
        inventory = os.path.join(self.workdir, "inventory-payload.yml")
        self.fleet.write_inventory(inventory, hosts=self.names(1), group_vars=self.checklist)
        commands = dict(
            verify=[ansible_tool("ansible-playbook"), "golive.yml", "-i", inventory],
            ping=[ansible_tool("ansible"), "all", "-m", "ansible.builtin.ping", "-i", inventory],
        )
        sizes = {}
        for module, argv in commands.items():
            remote_tmp = os.path.join(self.workdir, f"remote-tmp-{module}")
            control_dir = self.fleet.new_control_dir()
            env = self.fleet.ansible_env(control_dir, base=clean_environment())
            env.update(ANSIBLE_PIPELINING="False", ANSIBLE_KEEP_REMOTE_FILES="1", ANSIBLE_REMOTE_TMP=remote_tmp,
                       GOLIVE_REPORT_DIR=os.path.join(self.workdir, f"report-payload-{module}"))
            completed = subprocess.run(argv, cwd=REPO, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                                       text=True, timeout=RUN_TIMEOUT, check=False)
            close_adopted_masters(keep=[host.process.pid for host in self.fleet.hosts.values()])
            self.fleet.release_control_dir(control_dir)
            found = glob.glob(os.path.join(remote_tmp, "*", f"AnsiballZ_{module}.py"))
            if completed.returncode != 0 or not found:
                raise SystemExit(f"payload run of {module} left no AnsiballZ file (exit {completed.returncode}):\n"
                                 f"{(completed.stdout + completed.stderr)[-4000:]}")
            sizes[module] = os.path.getsize(found[0])
        self.results.payload = sizes
        return sizes


# --- the plan and the figures ----------------------------------------------------------------------------


def plan(rounds: int, sizes: Sequence[int], peer_hosts: int, peers: Sequence[str], peer_rounds: int) -> list[tuple]:
    """(round, kind, hosts) in run order: golive and ping take turns going first at every size, and each
    round flips the order again, so neither always runs right after the other's load."""
    steps = []
    for number in range(1, max(rounds, peer_rounds if peers else 0) + 1):
        for index, hosts in enumerate(sizes):
            if number <= rounds:
                pair = ("ping", "golive") if (number + index) % 2 else ("golive", "ping")
                steps.extend((number, kind, hosts) for kind in pair)
            if hosts == peer_hosts and number <= peer_rounds:
                steps.extend((number, kind, hosts) for kind in peers)
    return steps


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def spread(values: Sequence[float]) -> str:
    return f"{median(values):7.2f}s ({min(values):.2f}-{max(values):.2f})" if values else "      -"


def pair_ratios(results: Results, hosts: int) -> list[float]:
    """golive/ping wall time of each round's pair at one size."""
    ping = {run.round: run.wall for run in results.of("ping", hosts)}
    return [run.wall / ping[run.round] for run in results.of("golive", hosts) if run.round in ping]


def verdict(ratio: float, target: float, at_most: bool = True) -> str:
    met = ratio <= target if at_most else ratio >= target
    return "met" if met else "NOT met"


def per_host(runs: Sequence[Measurement], attribute: str) -> float:
    return median([getattr(run, attribute) / run.hosts for run in runs])


def print_scale(results: Results, sizes: Sequence[int]) -> None:
    print("\n== golive vs ping: wall median (min-max), golive/ping as the median of alternating pairs")
    print(f"{'hosts':>5}  {'ping wall':<22} {'golive wall':<22} {'golive/ping':>11}  "
          f"{'ctl CPU/host ping':>17} {'golive':>7} {'ratio':>6}  {'host CPU/host ping':>18} {'golive':>7}")
    for hosts in sizes:
        ping, golive = results.of("ping", hosts), results.of("golive", hosts)
        if not ping or not golive:
            continue
        ratio = median(pair_ratios(results, hosts))
        ctl_ping, ctl_golive = per_host(ping, "controller_cpu"), per_host(golive, "controller_cpu")
        print(f"{hosts:>5}  {spread([run.wall for run in ping]):<22} {spread([run.wall for run in golive]):<22} "
              f"{ratio:10.2f}x  {ctl_ping:16.3f}s {ctl_golive:6.3f}s {ctl_golive / ctl_ping:5.2f}x  "
              f"{per_host(ping, 'host_cpu'):17.3f}s {per_host(golive, 'host_cpu'):6.3f}s")


def print_targets(results: Results, sizes: Sequence[int], peer_hosts: int) -> None:
    print("\n== speed targets")
    for hosts in sizes:
        if hosts not in (20, 100) or not results.of("golive", hosts) or not results.of("ping", hosts):
            continue
        ratio = median(pair_ratios(results, hosts))
        cpu = per_host(results.of("golive", hosts), "controller_cpu") / per_host(results.of("ping", hosts),
                                                                                 "controller_cpu")
        print(f"golive/ping at {hosts} hosts {ratio:.2f}x (target <= {TARGET_GOLIVE_PING}x): "
              f"{verdict(ratio, TARGET_GOLIVE_PING)}")
        print(f"controller CPU per host at {hosts} hosts {cpu:.2f}x ping's (target <= {TARGET_CONTROLLER_CPU}x): "
              f"{verdict(cpu, TARGET_CONTROLLER_CPU)}")
    golive = median([run.wall for run in results.of("golive", peer_hosts)])
    for kind, target in (("testinfra", TARGET_TESTINFRA), ("builtin", TARGET_BUILTIN)):
        runs = results.of(kind, peer_hosts)
        if runs:
            ratio = median([run.wall for run in runs]) / golive
            print(f"{kind} takes {ratio:.2f}x golive's time at {peer_hosts} hosts (target >= {target}x): "
                  f"{verdict(ratio, target, at_most=False)}")
    if results.payload:
        ratio = results.payload["verify"] / results.payload["ping"]
        print(f"verify payload {ratio:.2f}x ping's (target <= {TARGET_PAYLOAD}x): {verdict(ratio, TARGET_PAYLOAD)}")


def print_peers(results: Results, peer_hosts: int) -> None:
    golive = median([run.wall for run in results.of("golive", peer_hosts)])
    print(f"\n== peers at {peer_hosts} hosts, {CHECKS_PER_HOST} checks each: wall median (min-max), medians of CPU")
    print(f"{'run':<10} {'wall':<22} {'runs':>4} {'x golive':>8}  {'controller CPU':>14} {'host CPU':>9}")
    for kind in ("ping", "golive", "testinfra", "builtin"):
        runs = results.of(kind, peer_hosts)
        if runs:
            walls = [run.wall for run in runs]
            print(f"{kind:<10} {spread(walls):<22} {len(runs):>4} {median(walls) / golive:7.2f}x  "
                  f"{median([run.controller_cpu for run in runs]):13.2f}s "
                  f"{median([run.host_cpu for run in runs]):8.2f}s")


def print_payload(payload: dict[str, int]) -> None:
    if payload:
        print(f"\n== payload per host (AnsiballZ file): verify {payload['verify'] / 1024:.0f} KiB, "
              f"ping {payload['ping'] / 1024:.0f} KiB, {payload['verify'] / payload['ping']:.2f}x")


def print_summary(results: Results, sizes: Sequence[int], peer_hosts: int) -> None:
    print_scale(results, sizes)
    print_peers(results, peer_hosts)
    print_payload(results.payload)
    print_targets(results, sizes, peer_hosts)


def sizes_list(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def peers_list(text: str) -> list[str]:
    chosen = [part.strip() for part in text.split(",") if part.strip() and part.strip() != "none"]
    unknown = sorted(set(chosen) - {"testinfra", "builtin"})
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown peers: {', '.join(unknown)} (testinfra, builtin or none)")
    return chosen


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--hosts", type=int, default=20, help="fleet size of the peer comparison (default 20)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating golive/ping pairs per size (default 3)")
    parser.add_argument("--scale", type=sizes_list, default=[5, 20, 50, 100],
                        help="fleet sizes of the golive/ping curve, comma-separated (default 5,20,50,100; '' for none)")
    parser.add_argument("--peers", type=peers_list, default=["testinfra", "builtin"],
                        help="peers to run at --hosts: testinfra,builtin (default) or none")
    parser.add_argument("--peer-rounds", type=int, default=1, help="runs of each peer (default 1)")
    parser.add_argument("--testinfra-workers", type=int, default=8, help="pytest-xdist workers (default 8)")
    parser.add_argument("--no-payload", action="store_true", help="skip the payload measurement")
    parser.add_argument("--json", metavar="PATH", help="also write every measurement to PATH")
    return parser.parse_args(argv)


def write_json(path: str, results: Results, args: argparse.Namespace) -> None:
    document = dict(settings=dict(hosts=args.hosts, rounds=args.rounds, scale=args.scale, peers=args.peers,
                                  peer_rounds=args.peer_rounds, checks_per_host=CHECKS_PER_HOST,
                                  cpus=os.cpu_count(), load_at_end=os.getloadavg()),
                    runs=[asdict(run) for run in results.runs], payload=results.payload)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as handle:
        json.dump(document, handle, indent=1)


def run_plan(bench: Bench, steps: Sequence[tuple], announce: Callable[[int, int], None]) -> None:
    current = None
    for number, kind, hosts in steps:
        if (number, hosts) != current:
            current = (number, hosts)
            announce(number, hosts)
        bench.run(kind, hosts, number)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    sizes = sorted(set(args.scale) | {args.hosts})
    with open(CHECKLIST) as handle:
        checklist = yaml.safe_load(handle)
    become_subreaper()
    # A background job starts with SIGINT ignored; both signals end the run through the summary and cleanup.
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, signal.default_int_handler)
    workdir = tempfile.mkdtemp(prefix="golive-peers-")
    try:
        names = [f"host{number:03d}" for number in range(1, max(sizes) + 1)]
        started = time.monotonic()
        with SSHFleet(os.path.join(workdir, "fleet"), names) as fleet:
            print(f"started {len(names)} sshd hosts in {time.monotonic() - started:.1f}s; "
                  f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}", flush=True)
            bench = Bench(fleet, workdir, checklist, args.testinfra_workers)
            steps = plan(args.rounds, sizes, args.hosts, args.peers, args.peer_rounds)
            try:
                run_plan(bench, steps, lambda number, hosts: print(f"round {number}, {hosts} hosts", flush=True))
                if not args.no_payload:
                    bench.measure_payload()
            except KeyboardInterrupt:
                print("interrupted: the figures of the runs so far", flush=True)
            print_summary(bench.results, sizes, args.hosts)
            print(f"load at the end {os.getloadavg()[0]:.1f}")
            if args.json:
                write_json(args.json, bench.results, args)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
