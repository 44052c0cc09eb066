#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: system_resources
short_description: Check CPU cores, CPU load, available memory and swap use of a host
version_added: 0.1.0
description:
  - Measures the CPU cores available to the check, how busy the CPUs are (sampled from
    C(/proc/stat)), the load average per core, the available memory (C(MemAvailable) of
    C(/proc/meminfo)) and the share of swap in use, and grades each against warn and fail levels.
  - Every metric is always measured and reported; only those with levels can warn or fail.
  - A metric whose C(/proc) file is missing or unreadable is reported as C(error), naming the file.
  - Runs on the managed host (Linux) with the Python standard library only.
author: golive.readiness contributors (@golive-readiness)
extends_documentation_fragment:
  - golive.readiness.check_item
options:
  checks:
    description:
      - The checks to run, one item each. Usually a single item per host, since every item
        measures the same host; give further items an explicit I(id).
      - An item's C(id) defaults to C(system_resources:host).
      - Its C(title) defaults to C(System resources).
      # BEGIN generated: kind defaults (scripts/generate; do not edit by hand)
      - A C(system_resources) item defaults to section V(infrastructure) and severity V(high).
      # END generated: kind defaults
    type: list
    elements: dict
    required: true
    suboptions:
      cpus_warn_below:
        description:
          - Warn when fewer CPU cores than this are available.
          - Cores are those this process may run on (its CPU affinity), which is what a container
            or C(taskset) grants; else the host's count.
        type: str
      cpus_fail_below:
        description: Fail when fewer CPU cores than this are available.
        type: str
      cpu_busy_warn_above:
        description: Warn when the CPUs are busy (not idle, not waiting for I/O) above this percentage.
        type: str
      cpu_busy_fail_above:
        description: Fail when the CPUs are busy above this percentage.
        type: str
      cpu_sample:
        description:
          - How long to sample C(/proc/stat) to measure CPU busy, as a duration (V(500ms), V(2s)).
          - The sample is cut short to half the time the check has left, so it always fits its I(timeout).
          - CPU busy is sampled only when I(cpu_busy_warn_above) or I(cpu_busy_fail_above) is set, since
            the sample adds its length to the host's whole check call.
        type: str
        default: 500ms
      load_per_core_warn_above:
        description:
          - Warn when the 1-minute load average divided by the cores is above this number (V(1.5)).
          - The 5- and 15-minute load averages are reported too.
        type: str
      load_per_core_fail_above:
        description: Fail when the 1-minute load average per core is above this number.
        type: str
      memory_available_warn_below:
        description:
          - Warn when the available memory is below this size (V(2GB)) or percentage of the total (V(10%)).
          - Sizes use binary multiples (1GB = 1024^3 bytes).
        type: str
      memory_available_fail_below:
        description:
          - Fail when the available memory is below this size or percentage.
          - When neither this nor O(checks[].memory_available_warn_below) is set, the levels are V(10%)
            (warn) and V(5%) (fail). Setting one of them sets only that level.
        type: str
      swap_used_warn_above:
        description:
          - Warn when the swap in use is above this percentage of the swap space.
          - A host without swap counts as 0% used (and says so in the summary).
        type: str
      swap_used_fail_above:
        description: Fail when the swap in use is above this percentage.
        type: str
      # BEGIN generated: item options (scripts/generate; do not edit by hand)
      id:
        description:
          - Result id, unique within a host; waivers and reports refer to it.
          - Its default is given in the description of O(checks).
        type: str
      title:
        description: Human title; its default is given in the description of O(checks).
        type: str
      section:
        description:
          - Checklist section of this check; defaults to the module's O(section), else the kind's (see
            O(checks)).
        type: str
      severity:
        description: Severity of this check; defaults to the module's O(severity), else the kind's (see O(checks)).
        type: str
        choices: [critical, high, medium, low]
      timeout:
        description:
          - Time limit of this check, as a duration (V(10s), V(500ms), V(2m)) or seconds; defaults to the module's
            O(timeout).
          - What it bounds besides the check itself, if anything, is said in the description of O(checks).
        type: raw
      target:
        description: Inventory host this check is about, when it runs from another (probe) host.
        type: str
      hint:
        description:
          - What to do when this check does not pass (a runbook step, a command, a link), at most 1000 characters.
          - Carried in the result and shown beside the check in the HTML, Markdown and JUnit reports when it
            warns, fails or errs.
        type: str
      contact:
        description:
          - Who acts when this check does not pass (a team, a person, a channel), at most 200 characters.
          - Carried in the result and shown beside the check, with O(checks[].hint), when it warns, fails or errs.
        type: str
      # END generated: item options
notes:
  - CPU busy and memory are those of the whole host (or of what C(/proc) shows inside a container).
"""

EXAMPLES = r"""
- name: The host has the capacity the service was sized for
  golive.readiness.system_resources:
    checks:
      - cpus_fail_below: 4
        cpu_busy_warn_above: 80%
        load_per_core_warn_above: 1.5
        load_per_core_fail_above: 3
        memory_available_warn_below: 15%
        memory_available_fail_below: 1GB
        swap_used_warn_above: 20%
        swap_used_fail_above: 60%
"""

RETURN = r"""
golive_checks:
  description:
    - One record per item, in the order of O(checks).
    - C(observed) holds C(cpus) (a count), C(cpu_sample_seconds) (seconds) and C(cpu_busy_percent) (percent)
      when a CPU busy level is set, C(load_1), C(load_5) and C(load_15) (counts of runnable tasks), C(load_per_core) (a
      ratio), C(memory_total_bytes) and C(memory_available_bytes) (bytes), C(memory_available_percent) (percent),
      C(swap_total_bytes) (bytes) and C(swap_used_percent) (percent).
    - C(expected) holds the levels of each of these that are set, under the same name.
  returned: always
  type: list
  elements: dict
  sample:
    - id: system_resources:host
      kind: system_resources
      section: infrastructure
      title: System resources
      status: pass
      severity: high
      summary: >-
        cpus 4 (fail < 4); cpu busy 12.5% (warn > 80.0%); load per core 0.10 (warn > 1.50, fail > 3); memory available
        4.7 GiB (fail < 1.0 GiB); memory available 61.5% (warn < 15.0%); swap used 0.0% (warn > 20.0%, fail > 60.0%)
      observed:
        cpus: {value: 4, unit: count}
        cpu_sample_seconds: {value: 0.5, unit: seconds}
        cpu_busy_percent: {value: 12.5, unit: percent}
        load_1: {value: 0.42, unit: count}
        load_5: {value: 0.38, unit: count}
        load_15: {value: 0.31, unit: count}
        load_per_core: {value: 0.1, unit: ratio}
        memory_total_bytes: {value: 8241020928, unit: bytes}
        memory_available_bytes: {value: 5068349440, unit: bytes}
        memory_available_percent: {value: 61.5, unit: percent}
        swap_total_bytes: {value: 2147479552, unit: bytes}
        swap_used_percent: {value: 0.0, unit: percent}
      expected:
        cpus: {fail: {below: 4}, unit: count}
        cpu_busy_percent: {warn: {above: 80.0}, unit: percent}
        load_per_core: {warn: {above: 1.5}, fail: {above: 3.0}, unit: ratio}
        memory_available_bytes: {fail: {below: 1073741824}, unit: bytes}
        memory_available_percent: {warn: {below: 15.0}, unit: percent}
        swap_used_percent: {warn: {above: 20.0}, fail: {above: 60.0}, unit: percent}
      duration_ms: 503
  contains:
    # BEGIN generated: record fields (scripts/generate; do not edit by hand)
    id:
      description: Stable identifier of the check, unique within a host; waivers refer to it.
      returned: always
      type: str
    kind:
      description: The check kind (the module's name).
      returned: always
      type: str
    section:
      description: Checklist section.
      returned: always
      type: str
    title:
      description: Human title.
      returned: always
      type: str
    status:
      description: V(pass), V(warn), V(fail), V(error) (could not be evaluated) or V(skipped).
      returned: always
      type: str
    severity:
      description: V(critical), V(high), V(medium) or V(low).
      returned: always
      type: str
    summary:
      description: One line saying what was observed against what was expected.
      returned: always
      type: str
    observed:
      description:
        - Measured values by name (what each kind measures is listed in the description of RV(golive_checks)).
        - A number with a unit is C({value, unit}) (units V(bytes), V(seconds), V(ms), V(percent), V(count), V(ratio),
          V(days)); texts, lists and flags are plain; secrets only masked.
      returned: always
      type: dict
    expected:
      description:
        - 'What each observed value was held against, under the same name: levels
          C({warn: {below|above: n}, fail: {...}, unit}), a quantity, or a plain value. Empty when nothing was graded.'
      returned: always
      type: dict
    duration_ms:
      description:
        - How long the check took, in milliseconds.
        - With O(wait), from its first round's start to its last round's end, pauses included.
      returned: always
      type: int
    rounds:
      description:
        - How many times the check ran while the call waited (O(wait)); V(1) when it passed, warned or was
          skipped at once, V(0) when the call's deadline came before it could start. Its other fields are
          its last round's.
      returned: when O(wait) is set above V(0s)
      type: int
    target:
      description: Inventory host the check is about, when it ran from another (probe) host.
      returned: when set in the item
      type: str
    hint:
      description: What to do when the check does not pass, as the item's C(hint) says.
      returned: when set in the item
      type: str
    contact:
      description: Who acts when the check does not pass, as the item's C(contact) says.
      returned: when set in the item
      type: str
    # END generated: record fields
# BEGIN generated: golive_counts (scripts/generate; do not edit by hand)
golive_counts:
  description: Number of results per status.
  returned: always
  type: dict
  sample: {pass: 3, warn: 1, fail: 0, error: 0, skipped: 0}
  contains:
    pass:
      description: Checks that passed.
      returned: always
      type: int
    warn:
      description: Checks that warned.
      returned: always
      type: int
    fail:
      description: Checks that failed.
      returned: always
      type: int
    error:
      description: Checks that could not be evaluated.
      returned: always
      type: int
    skipped:
      description: Checks that were skipped.
      returned: always
      type: int
# END generated: golive_counts
"""

from ansible_collections.golive.readiness.plugins.module_utils._checks import system_resources
from ansible_collections.golive.readiness.plugins.module_utils._module import run_kind_module


def main():
    run_kind_module(system_resources)


if __name__ == "__main__":
    main()
