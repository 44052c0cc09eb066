"""Copies the documentation every check module shares into each module's marked regions.

Ansible merges a doc fragment only at the top level of DOCUMENTATION and never merges its RETURN, so the
common item options, the result record's fields and ``verify``'s list of kinds are written once
(plugins/doc_fragments/check_item.py, the kinds themselves) and copied here between the lines

    # BEGIN generated: <region> (scripts/generate; edit plugins/doc_fragments/check_item.py)
    # END generated: <region>

which keep their indentation. Everything outside the regions is written by hand.
"""

from __future__ import annotations

import os
import re
import sys

from _common import REPO, check_requested, write_or_check

from ansible_collections.golive.readiness.plugins.doc_fragments.check_item import ModuleDocFragment
from ansible_collections.golive.readiness.plugins.module_utils._registry import KINDS

MODULES = "plugins/modules"
VERIFY = "verify"
_MARKER = re.compile(r"^(?P<indent> *)# (?P<end>BEGIN|END) generated: (?P<region>[a-z_ ]+?)(?: \(.*\))?$")


class RegionError(Exception):
    """A module lacks a region it must hold, or its markers do not pair up."""


def begin_line(indent: str, region: str) -> str:
    return f"{indent}# BEGIN generated: {region} (scripts/generate; do not edit by hand)"


def end_line(indent: str, region: str) -> str:
    return f"{indent}# END generated: {region}"


def _block(text: str) -> str:
    return text.strip("\n")


def kind_regions(kind_module) -> dict[str, str]:
    """The generated regions of a kind's module, by name: zero-indented YAML."""
    return {
        "kind defaults": _block(ModuleDocFragment.KIND_DEFAULTS).format(
            section=kind_module.SECTION, severity=kind_module.SEVERITY),
        "item options": _block(ModuleDocFragment.ITEM_OPTIONS),
        "record fields": _block(ModuleDocFragment.RECORD),
        "golive_counts": _block(ModuleDocFragment.COUNTS),
    }


def verify_regions(kind_names: list[str]) -> dict[str, str]:
    return {
        "seealso": "\n".join(f"- module: golive.readiness.{name}" for name in kind_names),
        "record fields": _block(ModuleDocFragment.RECORD),
        "golive_counts": _block(ModuleDocFragment.COUNTS),
    }


def _indented(block: str, indent: str) -> list[str]:
    return [f"{indent}{line}" if line else "" for line in block.split("\n")]


def with_regions(text: str, regions: dict[str, str], where: str) -> str:
    """``text`` with the lines between each region's markers replaced by the region, indented as its markers."""
    lines = text.split("\n")
    result: list[str] = []
    open_region = None
    seen = set()
    for number, line in enumerate(lines, 1):
        match = _MARKER.match(line)
        if match is None:
            if open_region is None:
                result.append(line)
            continue
        region, indent = match.group("region"), match.group("indent")
        if match.group("end") == "BEGIN":
            if open_region is not None or region not in regions or region in seen:
                raise RegionError(f"{where}:{number}: unexpected region '{region}' (expected: {', '.join(regions)})")
            open_region = region
            seen.add(region)
            result.append(begin_line(indent, region))
            result.extend(_indented(regions[region], indent))
        else:
            if region != open_region:
                raise RegionError(f"{where}:{number}: 'END generated: {region}' closes no open region")
            open_region = None
            result.append(end_line(indent, region))
    if open_region is not None:
        raise RegionError(f"{where}: region '{open_region}' is never closed")
    missing = [region for region in regions if region not in seen]
    if missing:
        raise RegionError(f"{where}: no region {', '.join(repr(region) for region in missing)}; copy its "
                          f"BEGIN/END lines from another module (scripts/generators/module_docs.py says where)")
    return "\n".join(result)


def module_path(name: str) -> str:
    return f"{MODULES}/{name}.py"


def expected_modules() -> dict[str, dict[str, str]]:
    """{module path: {region: text}} for every kind's module and verify."""
    names = sorted(KINDS)
    wanted = {module_path(name): kind_regions(KINDS[name]) for name in names}
    wanted[module_path(VERIFY)] = verify_regions(names)
    return wanted


def read(path: str) -> str | None:
    try:
        with open(os.path.join(REPO, path), encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def main(argv: list[str]) -> int:
    check = check_requested(argv)
    ok = True
    for path, regions in expected_modules().items():
        current = read(path)
        if current is None:
            print(f"{path}: missing; every kind needs its module (copy another kind's)", file=sys.stderr)
            ok = False
            continue
        try:
            text = with_regions(current, regions, path)
        except RegionError as exc:
            print(exc, file=sys.stderr)
            ok = False
            continue
        ok = write_or_check(path, text, check) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
