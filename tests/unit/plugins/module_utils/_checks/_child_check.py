"""Run one check item in a process of its own (optionally under a prefix such as ``ip netns exec <ns>``): its
record, and the peak of that process's own resident memory (VmHWM; ru_maxrss would also count the parent's
memory, which exec inherits)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

COLLECTIONS = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), *[".."] * 5, ".collections"))

_CHILD = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, sys.argv[1])
    for blocked in json.loads(sys.argv[5]):
        sys.modules[blocked] = None  # what an import finds when the package is not installed
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
    from ansible_collections.golive.readiness.plugins.module_utils._module import CheckBatch, item_spec
    from ansible_collections.golive.readiness.plugins.module_utils._registry import KINDS
    from ansible_collections.golive.readiness.plugins.module_utils._runner import run_checks

    kind = KINDS[sys.argv[2]]
    item = ArgumentSpecValidator(item_spec(kind)).validate(json.loads(sys.argv[3])).validated_parameters
    batch = CheckBatch({"timeout": float(sys.argv[4])})
    batch.add("checks[0]", item, kind)
    assert not batch.errors, batch.errors
    [record] = run_checks(batch.prepared, deadline=None)
    with open("/proc/self/status") as status:
        peak = [int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:")][0]
    print(json.dumps(dict(record=record, peak_rss=peak)))
""")


def run_in_child(kind, item, timeout=120.0, prefix=(), blocked_modules=()):
    """(record, peak RSS in bytes) of one check of ``kind`` run in a child process, in which the modules
    ``blocked_modules`` cannot be imported."""
    command = [*prefix, sys.executable, "-c", _CHILD, COLLECTIONS, kind, json.dumps(item), str(timeout),
               json.dumps(list(blocked_modules))]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout + 120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    return answer["record"], answer["peak_rss"]
