"""Fails when any module or plugin of the collection does not render with ansible-doc, or a module's return
values render without their fields (a dict, or a list of dicts, without ``contains``) or without a sample."""

from __future__ import annotations

import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLUGIN_TYPES = ("module", "callback", "filter")


def listed(plugin_type):
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-doc"), "-t", plugin_type, "-l", "-j",
         "golive.readiness"], cwd=REPO, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"ansible-doc cannot list the collection's {plugin_type} plugins (is scripts/setup run?): "
                 f"{proc.stderr.strip()}")
    return sorted(json.loads(proc.stdout))


def render(plugin_type, name):
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-doc"), "-t", plugin_type, name],
        cwd=REPO, capture_output=True, text=True, check=False)
    return proc.returncode == 0 and "ERROR" not in proc.stderr, proc.stderr.strip()


def rendered_returns(names: list[str]) -> dict[str, dict]:
    """The return values of modules as ansible-doc renders them (fragments applied), by module name."""
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-doc"), "--json", "-t", "module", *names],
        cwd=REPO, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return {name: {} for name in names}
    return {name: doc.get("return") or {} for name, doc in json.loads(proc.stdout).items()}


def _is_record(value: dict) -> bool:
    return value.get("type") == "dict" or (value.get("type") == "list" and value.get("elements") == "dict")


def return_problems(values: dict, where: str, top: bool = True) -> list[str]:
    """Return values without a sample of their own or of each of their fields; top-level records without fields."""
    problems = []
    for name, value in values.items():
        if top and _is_record(value) and not value.get("contains"):
            problems.append(f"{where}{name}: no fields (contains)")
        if "sample" not in value:
            if value.get("contains"):
                problems.extend(return_problems(value["contains"], f"{where}{name}.", top=False))
            else:
                problems.append(f"{where}{name}: no sample")
    return problems


def main():
    problems = []
    total = 0
    for plugin_type in PLUGIN_TYPES:
        names = listed(plugin_type)
        for name in names:
            total += 1
            ok, err = render(plugin_type, name)
            if not ok:
                problems.append(f"{plugin_type} {name}: {err}")
        if plugin_type == "module":
            for name, values in rendered_returns(names).items():
                problems.extend(return_problems(values, f"module {name}: return ") if values else
                                [f"module {name}: no return values rendered"])
    for problem in problems:
        print(problem)
    print(f"ansible-doc: {total - len(problems)} rendered, {len(problems)} failed")
    return 1 if problems or total == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
