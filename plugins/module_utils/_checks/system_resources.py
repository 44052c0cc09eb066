# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check kind system_resources: CPU cores, CPU busy, load per core, available memory and swap use (private)."""

from __future__ import annotations

import os
import time

from ansible_collections.golive.readiness.plugins.module_utils._check import (
    CheckError,
    Evaluation,
    OptionError,
    format_duration,
    format_number,
    format_percent,
    format_size,
    limit_from_options,
    parse_count,
    parse_duration,
    parse_percent,
    size_or_percent_limits,
)

KIND = "system_resources"
SECTION = "infrastructure"
SEVERITY = "high"
VARIABLES = {"golive_system_resources": "infrastructure"}
ROLE_DEFAULTS = {"golive_system_resources": {
    "cpus_fail_below": 1, "load_per_core_warn_above": 2, "load_per_core_fail_above": 4,
    "memory_available_warn_below": "10%", "memory_available_fail_below": "5%", "swap_used_warn_above": "50%"}}
OPTIONS = dict(
    cpus_warn_below=dict(type="str"),
    cpus_fail_below=dict(type="str"),
    cpu_busy_warn_above=dict(type="str"),
    cpu_busy_fail_above=dict(type="str"),
    cpu_sample=dict(type="str", default="500ms"),
    load_per_core_warn_above=dict(type="str"),
    load_per_core_fail_above=dict(type="str"),
    memory_available_warn_below=dict(type="str"),
    memory_available_fail_below=dict(type="str"),
    swap_used_warn_above=dict(type="str"),
    swap_used_fail_above=dict(type="str"),
)

# Below 5% available the kernel reclaims hard and the OOM killer is near. Load and CPU levels depend
# on the workload, so they have none here (the infrastructure role sets them).
DEFAULT_MEMORY_AVAILABLE = ("10%", "5%")

PROC = "/proc"
# The CPU sample may use at most this share of the time the check has left, so the rest still fits.
_SAMPLE_SHARE_OF_REMAINING = 0.5


def describe(item):
    return "host", "System resources"


def _cpu_sample(item):
    seconds = parse_duration(item.get("cpu_sample") or "500ms", "cpu_sample")
    if seconds <= 0:
        raise OptionError("cpu_sample: must be greater than zero, got {!r}".format(item.get("cpu_sample")))
    return seconds


def prepare(item):
    memory_bytes, memory_percent = size_or_percent_limits(
        item, "memory_available", defaults=DEFAULT_MEMORY_AVAILABLE)
    return dict(
        proc=PROC,
        cpu_sample=_cpu_sample(item),
        cpus=limit_from_options(item, "cpus", "below", parse_count, format_number),
        cpu_busy=limit_from_options(item, "cpu_busy", "above", parse_percent, format_percent),
        load_per_core=limit_from_options(item, "load_per_core", "above", parse_count, format_number),
        memory_bytes=memory_bytes,
        memory_percent=memory_percent,
        swap_used=limit_from_options(item, "swap_used", "above", parse_percent, format_percent),
    )


def available_cpus():
    """CPU cores this process may run on (its affinity mask), else the host's count; None if unknown."""
    if hasattr(os, "sched_getaffinity"):
        try:
            return len(os.sched_getaffinity(0))
        except OSError:
            pass
    return os.cpu_count()


def _read_proc(plan, name):
    path = os.path.join(plan["proc"], name)
    try:
        with open(path) as handle:
            return handle.read()
    except OSError as exc:
        raise CheckError(f"cannot read {path}: {exc.strerror or exc}") from None


def read_cpu_times(plan):
    """(busy, total) jiffies of all CPUs from the 'cpu' line of /proc/stat."""
    for line in _read_proc(plan, "stat").splitlines():
        fields = line.split()
        if fields and fields[0] == "cpu":
            values = [int(v) for v in fields[1:]]
            # user nice system idle iowait irq softirq steal [guest guest_nice]; guest time is
            # already counted in user/nice, so only the first eight fields make up the total.
            total = sum(values[:8])
            idle = values[3] + (values[4] if len(values) > 4 else 0)
            return total - idle, total
    raise CheckError("{} has no 'cpu' line".format(os.path.join(plan["proc"], "stat")))


def sample_cpu_busy(plan, seconds):
    """Percent of CPU time spent busy over ``seconds``."""
    busy_before, total_before = read_cpu_times(plan)
    time.sleep(seconds)
    busy_after, total_after = read_cpu_times(plan)
    elapsed = total_after - total_before
    if elapsed <= 0:
        raise CheckError(f"no CPU time elapsed in {format_duration(seconds)} of sampling")
    return 100.0 * (busy_after - busy_before) / elapsed


def read_load(plan):
    fields = _read_proc(plan, "loadavg").split()
    try:
        return float(fields[0]), float(fields[1]), float(fields[2])
    except (IndexError, ValueError):
        raise CheckError("cannot parse {}".format(os.path.join(plan["proc"], "loadavg"))) from None


def read_meminfo(plan):
    """Fields of /proc/meminfo in bytes (the file gives kB)."""
    fields = {}
    for line in _read_proc(plan, "meminfo").splitlines():
        name, colon, rest = line.partition(":")
        parts = rest.split() if colon else []
        if parts and parts[0].isdigit():
            unit = parts[1].lower() if len(parts) > 1 else ""
            fields[name.strip()] = int(parts[0]) * (1024 if unit == "kb" else 1)
    return fields


def _measure_cpus(ev, plan):
    cpus = available_cpus()
    if not cpus:
        ev.finding("error", "cpus: the number of CPU cores is unknown on this host")
        return None
    ev.measure("cpus", cpus, plan["cpus"], label="cpus")
    return cpus


def _measure_cpu_busy(ev, plan, ctx):
    seconds = min(plan["cpu_sample"], ctx.remaining() * _SAMPLE_SHARE_OF_REMAINING)
    try:
        busy = sample_cpu_busy(plan, seconds)
    except CheckError as exc:
        ev.finding("error", f"cpu busy: {exc}")
        return
    ev.observe("cpu_sample_seconds", round(seconds, 3), "seconds")
    ev.measure("cpu_busy_percent", round(busy, 1), plan["cpu_busy"], label="cpu busy")


def _measure_load(ev, plan, cpus):
    try:
        load1, load5, load15 = read_load(plan)
    except CheckError as exc:
        ev.finding("error", f"load: {exc}")
        return
    ev.observe("load_1", load1, "count")
    ev.observe("load_5", load5, "count")
    ev.observe("load_15", load15, "count")
    if not cpus:
        if plan["load_per_core"].is_set:
            ev.finding("error", "load per core: the number of CPU cores is unknown")
        return
    ev.measure("load_per_core", round(load1 / cpus, 2), plan["load_per_core"], label="load per core", unit="ratio")


def _available_memory(meminfo):
    if "MemAvailable" in meminfo:
        return meminfo["MemAvailable"], False
    # Kernels before 3.14 lack MemAvailable; free + buffers + page cache is the usual estimate.
    return meminfo.get("MemFree", 0) + meminfo.get("Buffers", 0) + meminfo.get("Cached", 0), True


def _measure_memory(ev, plan, meminfo):
    total = meminfo.get("MemTotal")
    if not total:
        ev.finding("error", "memory: {}/meminfo reports no MemTotal".format(plan["proc"]))
        return
    available, estimated = _available_memory(meminfo)
    ev.observe("memory_total_bytes", total, "bytes")
    if estimated:
        ev.observe("memory_available_estimated", True)
    ev.measure("memory_available_bytes", available, plan["memory_bytes"], label="memory available",
               formatter=format_size)
    ev.measure("memory_available_percent", round(100.0 * available / total, 2), plan["memory_percent"],
               label="memory available", formatter=format_percent)


def _measure_swap(ev, plan, meminfo):
    if "SwapTotal" not in meminfo:
        ev.finding("error", "swap: {}/meminfo reports no SwapTotal".format(plan["proc"]))
        return
    total = meminfo["SwapTotal"]
    ev.observe("swap_total_bytes", total, "bytes")
    used_percent = 100.0 * (total - meminfo.get("SwapFree", 0)) / total if total else 0.0
    if not total:
        ev.note("no swap configured")
    ev.measure("swap_used_percent", round(used_percent, 2), plan["swap_used"], label="swap used")


def run(plan, ctx):
    ev = Evaluation()
    cpus = _measure_cpus(ev, plan)
    # Sampling takes cpu_sample of wall time in every host's verify call, so only when asked for.
    if plan["cpu_busy"].is_set:
        _measure_cpu_busy(ev, plan, ctx)
    _measure_load(ev, plan, cpus)
    try:
        meminfo = read_meminfo(plan)
    except CheckError as exc:
        ev.finding("error", f"memory and swap: {exc}")
    else:
        _measure_memory(ev, plan, meminfo)
        _measure_swap(ev, plan, meminfo)
    return ev.outcome()
