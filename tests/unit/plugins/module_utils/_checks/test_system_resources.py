"""system_resources against the real /proc: levels are set relative to what the test reads itself."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
import yaml

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._checks import system_resources
from ansible_collections.golive.readiness.plugins.module_utils._runner import PreparedCheck, run_one

from ._realfs import run_check_without_proc

OBSERVED = ("cpus", "cpu_busy_percent", "cpu_sample_seconds", "load_1", "load_5", "load_15", "load_per_core",
            "memory_total_bytes", "memory_available_bytes", "memory_available_percent", "swap_total_bytes",
            "swap_used_percent")


def check(timeout=10.0, proc=None, **item):
    item.setdefault("cpu_sample", "100ms")
    plan = system_resources.prepare(item)
    if proc is not None:
        plan["proc"] = proc
    return run_one(PreparedCheck(item, "system_resources:host", "t", system_resources, plan, timeout))


def cores():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def meminfo(path="/proc/meminfo"):
    with open(path) as handle:
        return dict((line.split(":")[0], int(line.split()[1]) * 1024) for line in handle if line.split()[1:2]
                    and line.split()[1].isdigit())


def load_1():
    with open("/proc/loadavg") as handle:
        return float(handle.read().split()[0])


def start_burners(count):
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for dummy in range(count)]


def stop(children):
    for child in children:
        child.kill()
    for child in children:
        child.wait()


@pytest.fixture
def busy_cpus():
    """One child spinning on every CPU of the host, so /proc/stat shows the CPUs busy."""
    children = start_burners(os.cpu_count() or 1)
    time.sleep(0.2)
    yield
    stop(children)


@pytest.fixture
def nonzero_load():
    """Wait until the 1-minute load average is above zero (spinning children raise it within one 5 s tick)."""
    children = [] if load_1() > 0 else start_burners(os.cpu_count() or 1)
    try:
        deadline = time.monotonic() + 15
        while load_1() <= 0 and time.monotonic() < deadline:
            time.sleep(0.5)
        if load_1() <= 0:
            pytest.skip("the load average stayed at 0.00")
        yield
    finally:
        stop(children)


def copy_proc(tmp_path, names=("stat", "loadavg", "meminfo"), meminfo_edit=None):
    """A directory standing in for /proc with the files named: links to the live files, except a meminfo
    changed by ``meminfo_edit`` (a copy of the real one, edited)."""
    tree = tmp_path / "proc"
    tree.mkdir()
    for name in names:
        if name == "meminfo" and meminfo_edit:
            with open("/proc/meminfo") as handle:
                (tree / name).write_text(meminfo_edit(handle.read()))
        else:
            os.symlink(os.path.join("/proc", name), str(tree / name))
    return str(tree)


def test_observes_every_metric_from_the_real_proc():
    outcome = check(cpu_busy_fail_above="100%")
    assert outcome.status == "pass", outcome.summary
    assert set(OBSERVED) <= set(outcome.observed)

    observed = outcome.observed
    info = meminfo()
    assert observed["cpus"]["value"] == cores()
    assert observed["memory_total_bytes"]["value"] == info["MemTotal"]
    assert 0 < observed["memory_available_bytes"]["value"] <= observed["memory_total_bytes"]["value"]
    assert observed["swap_total_bytes"]["value"] == info["SwapTotal"]
    assert 0 <= observed["cpu_busy_percent"]["value"] <= 100
    assert all(observed[name]["unit"] == "count" for name in ("load_1", "load_5", "load_15"))
    assert observed["load_per_core"]["value"] == round(observed["load_1"]["value"] / observed["cpus"]["value"], 2)
    assert observed["memory_available_percent"]["value"] == round(
        100.0 * observed["memory_available_bytes"]["value"] / observed["memory_total_bytes"]["value"], 2)
    assert outcome.expected == {"cpu_busy_percent": {"fail": {"above": 100}, "unit": "percent"},
                                "memory_available_percent": {"warn": {"below": 10}, "fail": {"below": 5},
                                                             "unit": "percent"}}


def test_cpu_is_not_sampled_without_a_busy_level():
    started = time.monotonic()
    outcome = check(timeout=120.0, cpu_sample="60s")
    assert time.monotonic() - started < 30, "the 60 s CPU sample ran although no cpu_busy level was set"
    assert "cpu_busy_percent" not in outcome.observed
    assert outcome.status == "pass", outcome.summary


def test_cpus_fail_warn_and_pass_relative_to_the_real_count():
    real = cores()
    failing = check(cpus_fail_below=real + 1)
    assert failing.status == "fail"
    assert failing.summary == f"cpus {real} (fail < {real + 1})"
    assert check(cpus_warn_below=str(real + 1), cpus_fail_below=str(real)).status == "warn"
    assert check(cpus_warn_below=real, cpus_fail_below=real).status == "pass"


def test_busy_cpus_are_detected(busy_cpus):
    outcome = check(cpu_busy_fail_above="40%", cpu_sample="1s")
    assert outcome.status == "fail", outcome.summary
    assert outcome.observed["cpu_busy_percent"]["value"] > 40
    assert "cpu busy" in outcome.summary and "(fail > 40.0%)" in outcome.summary
    assert check(cpu_busy_warn_above="40", cpu_busy_fail_above="100", cpu_sample="500ms").status == "warn"


def test_cpu_busy_cannot_exceed_100_percent(busy_cpus):
    outcome = check(cpu_busy_fail_above="100%", cpu_sample="300ms")
    assert outcome.status == "pass"
    assert outcome.expected["cpu_busy_percent"] == {"fail": {"above": 100}, "unit": "percent"}


def test_cpu_sample_is_bounded_by_the_time_the_check_has_left():
    started = time.monotonic()
    outcome = check(timeout=0.4, cpu_sample="60s", cpu_busy_fail_above="100%")
    assert time.monotonic() - started < 20  # the 60 s sample was cut to what the 0.4 s check had left
    assert outcome.observed["cpu_sample_seconds"]["value"] <= 0.2
    assert outcome.status == "pass"


def test_load_per_core_grades(nonzero_load):
    failing = check(load_per_core_fail_above="0")
    assert failing.status == "fail"
    assert failing.summary.startswith("load per core ")
    assert check(load_per_core_warn_above="0", load_per_core_fail_above="1000").status == "warn"
    assert check(load_per_core_warn_above="999", load_per_core_fail_above="1000").status == "pass"


def test_memory_available_by_size():
    total = meminfo()["MemTotal"]
    failing = check(memory_available_fail_below=str(total + 1024))
    assert failing.status == "fail"
    assert failing.summary.startswith("memory available ")
    assert check(memory_available_warn_below=str(total + 1024), memory_available_fail_below="1KB").status == "warn"
    assert check(memory_available_warn_below="2KB", memory_available_fail_below="1KB").status == "pass"


def test_memory_available_by_percent():
    assert check(memory_available_fail_below="100%").status == "fail"
    assert check(memory_available_warn_below="100%", memory_available_fail_below="0%").status == "warn"
    passing = check(memory_available_warn_below="0.001%")
    assert passing.status == "pass"
    assert passing.expected == {"memory_available_percent": {"warn": {"below": 0.001}, "unit": "percent"}}


def test_swap_use_on_this_host():
    info = meminfo()
    outcome = check(swap_used_warn_above="0", swap_used_fail_above="100")
    used = info["SwapTotal"] - info["SwapFree"]
    if info["SwapTotal"] == 0:
        assert outcome.status == "pass"
        assert outcome.observed["swap_used_percent"]["value"] == 0.0
        assert "no swap configured" in outcome.summary
    else:
        assert outcome.status == ("warn" if used else "pass")


def _swap_in_use(text):
    """The real meminfo with 8 GiB of swap, a quarter of it in use."""
    lines = []
    for line in text.splitlines():
        if line.startswith("SwapTotal:"):
            line = "SwapTotal:       8388608 kB"
        elif line.startswith("SwapFree:"):
            line = "SwapFree:        6291456 kB"
        lines.append(line)
    return "\n".join(lines) + "\n"


def test_swap_in_use_is_graded(tmp_path):
    proc = copy_proc(tmp_path, meminfo_edit=_swap_in_use)
    outcome = check(proc=proc, swap_used_warn_above="20%", swap_used_fail_above="50%")
    assert outcome.status == "warn"
    assert outcome.observed["swap_total_bytes"]["value"] == 8 * 1024 ** 3
    assert outcome.summary == "swap used 25.0% (warn > 20.0%, fail > 50.0%)"
    assert check(proc=proc, swap_used_fail_above="24").status == "fail"
    assert check(proc=proc, swap_used_fail_above="25").status == "pass"


def test_memory_available_is_estimated_on_kernels_without_memavailable(tmp_path):
    def without_memavailable(text):
        return "".join(line + "\n" for line in text.splitlines() if not line.startswith("MemAvailable:"))

    proc = copy_proc(tmp_path, meminfo_edit=without_memavailable)
    outcome = check(proc=proc)
    info = meminfo(os.path.join(proc, "meminfo"))
    assert outcome.status == "pass"
    assert outcome.observed["memory_available_estimated"] is True
    assert outcome.observed["memory_available_bytes"]["value"] == info["MemFree"] + info["Buffers"] + info["Cached"]


def test_missing_meminfo_is_an_error_for_memory_and_swap_only(tmp_path):
    proc = copy_proc(tmp_path, names=("stat", "loadavg"))
    outcome = check(proc=proc, cpus_fail_below=1, cpu_busy_fail_above="100%")
    assert outcome.status == "error"
    assert outcome.summary == f"memory and swap: cannot read {proc}/meminfo: No such file or directory"
    assert outcome.observed["cpus"]["value"] == cores()
    assert "cpu_busy_percent" in outcome.observed and "load_1" in outcome.observed
    assert "memory_total_bytes" not in outcome.observed


def test_unreadable_stat_is_an_error_for_cpu_busy(tmp_path):
    proc = copy_proc(tmp_path, names=("loadavg", "meminfo"))
    os.mkdir(os.path.join(proc, "stat"))  # a directory where the file should be: open() fails
    outcome = check(proc=proc, cpu_busy_warn_above="90%")
    assert outcome.status == "error"
    assert outcome.summary == f"cpu busy: cannot read {proc}/stat: Is a directory"
    assert "memory_available_bytes" in outcome.observed


def test_without_proc_every_proc_metric_is_an_error():
    outcome = run_check_without_proc("system_resources", dict(cpus_fail_below=1, cpu_sample="100ms",
                                                              cpu_busy_fail_above="100%"))
    assert outcome["status"] == "error"
    for needed in ("cpu busy: cannot read /proc/stat", "load: cannot read /proc/loadavg",
                   "memory and swap: cannot read /proc/meminfo"):
        assert needed in outcome["summary"]
    assert outcome["observed"] == {"cpus": {"value": cores(), "unit": "count"}}


@pytest.mark.parametrize("item, message", [
    (dict(cpus_warn_below=2, cpus_fail_below=4), "cpus_warn_below/cpus_fail_below: the warn level (2) must be above"),
    (dict(cpu_busy_warn_above="90%", cpu_busy_fail_above="80%"),
     "cpu_busy_warn_above/cpu_busy_fail_above: the warn level (90.0%) must be below the fail level (80.0%)"),
    (dict(load_per_core_warn_above=3, load_per_core_fail_above=1.5),
     "load_per_core_warn_above/load_per_core_fail_above: the warn level (3) must be below the fail level (1.50)"),
    (dict(memory_available_warn_below="1GB", memory_available_fail_below="2GB"),
     "memory_available_warn_below/memory_available_fail_below: the warn level (1.0 GiB) must be above"),
    (dict(swap_used_warn_above="50", swap_used_fail_above="10"),
     "swap_used_warn_above/swap_used_fail_above: the warn level (50.0%) must be below"),
    (dict(cpus_fail_below="many"), "cpus_fail_below: 'many' is not a number"),
    (dict(cpus_fail_below=-1), "cpus_fail_below: -1 must not be negative"),
    (dict(cpu_busy_fail_above="150%"), "cpu_busy_fail_above: '150%' is outside 0-100%"),
    (dict(swap_used_warn_above="1GB"), "swap_used_warn_above: '1GB' is not a percentage"),
    (dict(memory_available_fail_below="2XB"), "memory_available_fail_below: unknown size unit 'xb'"),
    (dict(load_per_core_warn_above="high"), "load_per_core_warn_above: 'high' is not a number"),
    (dict(cpu_sample="0"), "cpu_sample: must be greater than zero"),
    (dict(cpu_sample="soon"), "cpu_sample: 'soon' is not a number with an optional unit"),
])
def test_bad_options_are_option_errors(item, message):
    with pytest.raises(OptionError) as raised:
        system_resources.prepare(item)
    assert str(raised.value).startswith(message)


def test_describe():
    assert system_resources.describe({}) == ("host", "System resources")


def _inventory_levels(relative):
    repo = os.path.join(os.path.dirname(os.path.abspath(__file__)), *[os.pardir] * 5)
    with open(os.path.join(repo, relative)) as handle:
        return yaml.safe_load(handle)["golive_system_resources"]


def test_the_demo_verdict_does_not_depend_on_the_machine_load(tmp_path):
    proc = copy_proc(tmp_path, names=("stat", "meminfo"))
    with open(os.path.join(proc, "loadavg"), "w") as handle:
        handle.write("%.2f %.2f %.2f 40/400 4242\n" % ((20.0 * cores(),) * 3))  # load 20 per core
    demo = check(proc=proc, **_inventory_levels("inventories/demo/group_vars/all.yml"))
    assert demo.status == "pass", demo.summary
    assert demo.observed["load_per_core"]["value"] == 20.0
    # The same machine under the role's production levels fails, so the load really was seen.
    production = check(proc=proc, **_inventory_levels("roles/infrastructure/defaults/main.yml"))
    assert production.status == "fail"
    assert production.expected["load_per_core"] == {"warn": {"above": 2}, "fail": {"above": 4}, "unit": "ratio"}, \
        production.expected
    assert "fail > 4" in production.summary, production.summary
