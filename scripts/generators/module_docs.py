"""Copies the documentation every check module shares into each module's marked regions.

Ansible merges a doc fragment only at the top level of DOCUMENTATION and never merges its RETURN, so the
common item options, the option groups several kinds share (database connection, json_query assertions,
the monitoring kinds' connection), the result record's fields and ``verify``'s list of kinds are written
once (module_docs.yml next to this file, the kinds themselves) and copied between the lines

    # BEGIN generated: <region> (scripts/generate; do not edit by hand)
    # END generated: <region>

which keep their indentation. Everything outside the regions is written by hand. A kind's module holds a
shared group's region exactly when the kind's OPTIONS take that group's argument spec.
"""

from __future__ import annotations

import os
import re
import sys

import yaml
from _common import REPO, check_requested, write_or_check

from ansible_collections.golive.readiness.plugins.module_utils._db import DB_OPTIONS
from ansible_collections.golive.readiness.plugins.module_utils._evidence import (
    EVIDENCE_OPTIONS,
    EVIDENCE_SOURCE_OPTIONS,
)
from ansible_collections.golive.readiness.plugins.module_utils._http_json import CONNECTION_OPTIONS
from ansible_collections.golive.readiness.plugins.module_utils._json_assert import QUERY_OPTIONS
from ansible_collections.golive.readiness.plugins.module_utils._registry import KINDS

MODULES = "plugins/modules"
SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "module_docs.yml")
VERIFY = "verify"
_MARKER = re.compile(r"^(?P<indent> *)# (?P<end>BEGIN|END) generated: (?P<region>[a-z_ ]+?)(?: \(.*\))?$")


class RegionError(Exception):
    """A module lacks a region it must hold, or its markers do not pair up."""


def begin_line(indent: str, region: str) -> str:
    return f"{indent}# BEGIN generated: {region} (scripts/generate; do not edit by hand)"


def end_line(indent: str, region: str) -> str:
    return f"{indent}# END generated: {region}"


def shared_blocks() -> dict[str, str]:
    """The blocks of module_docs.yml by region name, without their surrounding blank lines."""
    with open(SOURCE, encoding="utf-8") as handle:
        return {name: text.strip("\n") for name, text in yaml.safe_load(handle).items()}


def _takes(options: dict, group: dict) -> bool:
    return all(options.get(name) == spec for name, spec in group.items())


def _json_query_entry(options: dict) -> dict:
    return (options.get("json_query") or {}).get("options") or {}


# Option groups several kinds share: the region and whether a kind's OPTIONS take the group.
SHARED_GROUPS = (
    ("database connection", lambda options: _takes(options, DB_OPTIONS)),
    ("monitoring connection",
     lambda options: _takes(options, {name: spec for name, spec in CONNECTION_OPTIONS.items() if name != "url"})),
    ("json_query assertions", lambda options: _json_query_entry(options) == QUERY_OPTIONS),
    ("evidence source",
     lambda options: _takes(options, {name: EVIDENCE_OPTIONS[name] for name in EVIDENCE_SOURCE_OPTIONS})),
)
RETURN_REGIONS = ("record fields", "golive_counts")


def kind_regions(kind_module, blocks: dict[str, str]) -> dict[str, str]:
    """The generated regions of a kind's module, by name: zero-indented YAML."""
    defaults = blocks["kind defaults"].format(kind=kind_module.KIND, section=kind_module.SECTION,
                                              severity=kind_module.SEVERITY)
    regions = {"kind defaults": defaults}
    regions.update((region, blocks[region]) for region, taken in SHARED_GROUPS if taken(kind_module.OPTIONS))
    regions["item options"] = blocks["item options"]
    regions.update((region, blocks[region]) for region in RETURN_REGIONS)
    return regions


def verify_regions(kind_names: list[str], blocks: dict[str, str]) -> dict[str, str]:
    regions = {"seealso": "\n".join(f"- module: golive.readiness.{name}" for name in kind_names)}
    regions.update((region, blocks[region]) for region in RETURN_REGIONS)
    return regions


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
    blocks = shared_blocks()
    wanted = {module_path(name): kind_regions(KINDS[name], blocks) for name in names}
    wanted[module_path(VERIFY)] = verify_regions(names, blocks)
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
