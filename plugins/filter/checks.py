# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the section roles and the playbook use to turn inventory variables into check items.

They only shape the items: the golive playbook validates every scope host's checklist once, in the
gate's policy stage, before any host is contacted; ``verify`` validates them again on the host.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._module import ORIGIN_KEY
from ansible_collections.golive.readiness.plugins.plugin_utils._policy import SECTIONS


def _as_list(value: Any, variable: str) -> list:
    if value is None or value == "":
        return []
    if isinstance(value, Mapping):
        return [value]
    if isinstance(value, (list, tuple)):
        return list(value)
    raise OptionError(f"{variable}: must be a list of check settings, got {type(value).__name__}")


def _tagged(entry: Any, kind: str | None, section: str | None, origin: str) -> Any:
    """The entry with its kind, section and origin set where it does not set them; a non-dictionary as is
    (the validation names it)."""
    if not isinstance(entry, Mapping):
        return entry
    item = dict(entry)
    if kind:
        item.setdefault("kind", kind)
    if section:
        item.setdefault("section", section)
    item.setdefault(ORIGIN_KEY, origin)
    return item


RUNS = ("host", "probe")


def _runs_on(entry: Any, probe_option: str) -> str:
    """Where an item of a kind that reads from the host or from the probe runs: the probe when it sets
    ``probe_option`` (a ``url``), the host otherwise (a non-dictionary stays on the host, where it is named)."""
    return "probe" if isinstance(entry, Mapping) and entry.get(probe_option) not in (None, "") else "host"


def checks_of(value: Any, kind: str | None = None, section: str | None = None, variable: str = "checks",
              probe_option: str | None = None, runs: str | None = None) -> list:
    """The items of ``variable`` tagged with ``kind``, ``section`` and where each was written.

    With ``probe_option`` and ``runs``, only the items that run there: those setting the option run from
    the probe hosts, the others on the host (each keeps its index in the variable as its origin).
    Raises when the variable is not a list (or one dictionary): nothing else can be tagged.
    """
    if (probe_option is None) != (runs is None) or runs not in (None, *RUNS):
        raise OptionError(f"checks_of: give probe_option and runs ({' or '.join(RUNS)}) together, got "
                          f"probe_option={probe_option!r}, runs={runs!r}")
    return [_tagged(entry, kind, section, f"{variable}[{index}]")
            for index, entry in enumerate(_as_list(value, variable))
            if runs is None or _runs_on(entry, probe_option) == runs]


def probe_checks_of(hosts: Iterable[str] | None, hostvars: Mapping, variable: str = "golive_probe_checks") -> list:
    """Every scope host's endpoint checks, each tagged with the host it is about (``target``)."""
    items = []
    for host in hosts or []:
        for index, entry in enumerate(_as_list(hostvars[host].get(variable), f"{variable} of {host}")):
            item = _tagged(entry, None, None, f"{variable}[{index}]")
            if isinstance(item, dict):
                item.setdefault("target", host)
            items.append(item)
    return items


def checklist(parts: Iterable[Iterable | None] | None) -> list:
    """One list of check items from lists of them."""
    return [item for part in parts or [] for item in part or []]


def selected_sections(run_tags: Iterable[str] | None, skip_tags: Iterable[str] | None = None) -> list[str]:
    """The checklist sections a run selects with --tags / --skip-tags (all of them by default)."""
    run_tags = set(run_tags or ["all"])
    chosen = [s for s in SECTIONS if "all" in run_tags or s in run_tags]
    return [s for s in chosen if s not in set(skip_tags or [])]


class FilterModule(object):
    def filters(self):
        return {"checks_of": checks_of, "probe_checks_of": probe_checks_of, "checklist": checklist,
                "selected_sections": selected_sections}
