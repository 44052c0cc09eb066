# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The go-live policy as users write it in the inventory, and what a run's scope left unchecked (private)."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._verdict import (
    DEFAULT_BLOCKING_SEVERITIES,
    normalise_flag,
    normalise_severities,
    normalise_signoff,
    normalise_waivers,
    scoped_waivers,
)
from ansible_collections.golive.readiness.plugins.plugin_utils._attestations import (
    normalise_attestations,
    normalise_required,
)

# The checklist sections, each a tag of the golive playbook.
SECTIONS = ("infrastructure", "application", "security", "services", "data", "monitoring", "backup")
# Tags Ansible gives a meaning of its own; any of them is a legitimate --tags/--skip-tags value.
SPECIAL_TAGS = ("all", "always", "never", "tagged", "untagged")

# The inventory variables of the policy, by the gate's option names.
POLICY_VARIABLES = dict(waivers="golive_waivers", blocking_severities="golive_blocking_severities",
                        fail_on_nogo="golive_fail_on_nogo", signoff="golive_signoff",
                        attestations_required="golive_attestations_required", attestations="golive_attestations")
# Settings with one value for the whole run: a host carrying another value is an error.
FLEET_WIDE = ("blocking_severities", "fail_on_nogo", "signoff", "attestations_required", "attestations")
# golive_waivers_<anything> adds to golive_waivers: a host's own golive_waivers replaces its groups' (Ansible's
# precedence), so a waiver that must add to the others takes a name of its own.
WAIVERS_PREFIX = "golive_waivers_"
# Hosts a message names before saying "and N more".
NAMED_HOSTS = 5


@dataclass
class Policy:
    """The validated policy of a run: waivers (scoped to the hosts that carry them) and fleet-wide settings."""

    waivers: list[dict] = field(default_factory=list)
    blocking_severities: list[str] = field(default_factory=lambda: list(DEFAULT_BLOCKING_SEVERITIES))
    fail_on_nogo: bool = True
    signoff: list[dict] = field(default_factory=list)
    attestations_required: list[dict] = field(default_factory=list)
    attestations: list[dict] = field(default_factory=list)


class CachedHostvars(Mapping):
    """``hostvars`` with each host's variables computed once: Ansible computes all of a host's variables again
    on every lookup, and the policy reads several variables of every host in scope."""

    def __init__(self, hostvars: Mapping):
        self._hostvars = hostvars
        self._seen: dict[str, Any] = {}

    def __getitem__(self, host: str) -> Any:
        if host not in self._seen:
            self._seen[host] = self._hostvars[host]
        return self._seen[host]

    def __contains__(self, host: object) -> bool:
        return host in self._seen or host in self._hostvars

    def registered(self, host: str, var: str) -> Any:
        """A registered result as it was stored, not templated again.

        Ansible templates a variable it is asked for, walking the whole value: for check results that is
        most of the gate's time, and a module's result holds no template. The stored value is read from
        the host's view (``_vars``, which ansible-core 2.18 and 2.19 both keep), so the host's variables are
        not computed twice. A value that is not a result (a user's own template, or a test's plain
        mapping) is read the ordinary way.
        """
        view = self[host]
        stored = getattr(view, "_vars", None)
        value = stored.get(var) if isinstance(stored, Mapping) else None
        return value if isinstance(value, Mapping) else view.get(var)

    def __iter__(self) -> Iterator[str]:
        return iter(self._hostvars)

    def __len__(self) -> int:
        return len(self._hostvars)


def hosts_text(hosts: list[str]) -> str:
    """'web01, web02 and 3 more'."""
    shown = ", ".join(hosts[:NAMED_HOSTS])
    return shown if len(hosts) <= NAMED_HOSTS else f"{shown} and {len(hosts) - NAMED_HOSTS} more"


def _same_key(value: Any) -> str:
    """A key equal for equal variable values, whatever their (tagged) types."""
    return json.dumps(value, sort_keys=True, default=repr)


def _own_values(own: Mapping, variable: str) -> list[tuple[str, Any]]:
    """[(name, value)]: ``variable`` and, for the waivers, every golive_waivers_<anything> (by name)."""
    names = [variable] if variable in own else []
    if variable == POLICY_VARIABLES["waivers"]:
        names += sorted(name for name in own if str(name).startswith(WAIVERS_PREFIX))
    return [(str(name), own[name]) for name in names]


def _values_by_host(hostvars: Mapping, hosts: Iterable[str], variable: str) -> list[tuple[list[str], list]]:
    """[(hosts, [(name, value)])] of the hosts that define ``variable``, hosts with equal values together."""
    grouped: dict[str, tuple[list[str], list]] = {}
    for host in hosts:
        try:
            values = _own_values(hostvars[host], variable)
        except Exception as exc:  # a template in the inventory that cannot be resolved
            raise OptionError(f"{variable} of {host}: cannot be read: {exc}") from exc
        if values:
            grouped.setdefault(_same_key(values), ([], values))[0].append(str(host))
    return list(grouped.values())


def _normaliser(name: str, today: datetime.date) -> Callable[[Any, str], Any]:
    normalisers = dict(
        waivers=lambda value, option: normalise_waivers(value, today, option),
        blocking_severities=normalise_severities,
        fail_on_nogo=normalise_flag,
        signoff=normalise_signoff,
        attestations_required=normalise_required,
        attestations=normalise_attestations,
    )
    return normalisers[name]


def _normalised_values(values: list[tuple[str, Any]], normalise: Callable[[Any, str], Any], where: str,
                       errors: list[str]) -> Any:
    """The normalised values of [(name, value)], waivers concatenated; None when any is invalid."""
    normalised, valid = [], True
    for variable, value in values:
        try:
            normalised.append(normalise(value, variable))
        except OptionError as exc:
            errors.append(f"{exc}{where}")
            valid = False
    if not valid:
        return None
    return [waiver for part in normalised for waiver in part] if len(normalised) > 1 else normalised[0]


def _host_values(hostvars: Mapping, hosts: Iterable[str], variable: str, fleet_values: list[tuple[str, Any]],
                 normalise: Callable[[Any, str], Any], errors: list[str]) -> list[tuple[list[str], Any]]:
    """[(hosts, normalised value)] of the hosts whose own value differs from the fleet's."""
    found = []
    try:
        groups = _values_by_host(hostvars, hosts, variable)
    except OptionError as exc:
        errors.append(str(exc))
        return found
    for group_hosts, values in groups:
        if _same_key(values) == _same_key(fleet_values):
            continue
        value = _normalised_values(values, normalise, f" (in the variables of {hosts_text(group_hosts)})", errors)
        if value is not None:
            found.append((group_hosts, value))
    return found


def _controller_extras(hostvars: Mapping | None, variable: str) -> list[tuple[str, Any]]:
    """The controller's golive_waivers_<anything> (fleet-wide, like its golive_waivers)."""
    if hostvars is None or variable != POLICY_VARIABLES["waivers"]:
        return []
    try:
        return [(name, value) for name, value in _own_values(hostvars["localhost"], variable) if name != variable]
    except Exception:  # no controller in these hostvars: only the given value is the fleet's
        return []


def _fleet_wide_conflicts(variable: str, fleet: Any, host_values: list[tuple[list[str], Any]]) -> list[str]:
    return [f"{variable} is fleet-wide (set it for group all, or with -e): {hosts_text(hosts)} "
            f"{'has' if len(hosts) == 1 else 'have'} {value!r}, the fleet has {fleet!r}"
            for hosts, value in host_values if value != fleet]


def read_policy(fleet: Mapping[str, Any], today: datetime.date, hostvars: Mapping | None = None,
                hosts: Iterable[str] = (), names: Mapping[str, str] | None = None) -> tuple[Policy, list[str]]:
    """The run's policy and every problem found in it, each naming variable, item and field.

    ``fleet`` holds the controller's values (group ``all``, extra vars, role defaults) under the gate's option
    names. With ``hostvars``, each host of ``hosts`` is read too: its waivers apply to its own records, and a
    fleet-wide setting it holds must equal the fleet's.
    """
    names = dict(POLICY_VARIABLES if names is None else names)
    policy, errors = Policy(), []
    hosts = list(hosts) if hostvars is not None else []
    for name, variable in names.items():
        normalise = _normaliser(name, today)
        fleet_values = [(variable, fleet.get(name)), *_controller_extras(hostvars, variable)]
        value = _normalised_values(fleet_values, normalise, "", errors)
        if value is None:
            continue
        host_values = _host_values(hostvars, hosts, variable, fleet_values, normalise, errors)
        if name == "waivers":
            value = scoped_waivers(value, host_values)
        else:
            errors += _fleet_wide_conflicts(variable, value, host_values)
        setattr(policy, name, value)
    return policy, errors


def unknown_tags(run_tags: Iterable[str] | None, skip_tags: Iterable[str] | None) -> list[str]:
    """A problem per --tags/--skip-tags value that is neither a section nor one of Ansible's special tags."""
    known = SECTIONS + SPECIAL_TAGS
    problems = []
    for option, tags in (("--tags", run_tags), ("--skip-tags", skip_tags)):
        for tag in tags or ():
            if str(tag) not in known:
                problems.append(f"unknown tag {str(tag)!r} in {option}: the sections are {', '.join(SECTIONS)} "
                                f"(Ansible's {', '.join(SPECIAL_TAGS)} work too)")
    return problems


def _limit_text(limit: str | None) -> str:
    return f" with --limit {limit!r}" if limit else ""


def empty_scope_problem(scope_hosts: list[str], host_pattern: str | None, limit: str | None) -> list[str]:
    """Why the run is about no host at all, or nothing."""
    if scope_hosts:
        return []
    return [f"no host in scope: the host pattern {host_pattern or 'all'!r} (golive_hosts){_limit_text(limit)} "
            f"selects no host"]


def unprobed_problem(probe_hosts: list[str], probe_group: str | None, limit: str | None,
                     endpoint_checks: int) -> list[str]:
    """Why endpoint checks could not run: the probe group matches no host."""
    if probe_hosts or not endpoint_checks:
        return []
    return [f"probe group {probe_group or 'localhost'!r} (golive_probe_group){_limit_text(limit)} matches no host: "
            f"{endpoint_checks} endpoint check{'' if endpoint_checks == 1 else 's'} did not run"]


def controller_problem(controller_in_limit: bool, limit: str | None) -> list[str]:
    """The verdict is decided on localhost: a --limit leaving it out would skip the gate, and with it the verdict."""
    if controller_in_limit:
        return []
    return [f"--limit {limit!r} leaves out localhost, where the verdict is decided: add it "
            f"(--limit '{limit},localhost') or narrow the hosts with -e golive_hosts=..."]


def count_endpoint_checks(hostvars: Mapping, hosts: Iterable[str], variables: Iterable[str]) -> int:
    """How many endpoint checks the hosts handed to the probe hosts."""
    total = 0
    for host in hosts:
        own = hostvars.get(host, {})
        for variable in variables:
            value = own.get(variable)
            if isinstance(value, Mapping):
                total += 1
            elif isinstance(value, (list, tuple)):
                total += len(value)
    return total
