# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every scope host's checklist and run options validated once, on the controller, before any host is contacted.

The gate's policy stage templates each host's checklists in that host's context and hands them here. Hosts share
their groups' variables, so the same item recurs on many hosts: each distinct item is validated once, and each
problem is reported once, with the hosts whose variables hold it (private).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache, partial
from typing import Any

from ansible.module_utils.basic import remove_values
from jinja2 import Environment, TemplateError, meta

from ansible_collections.golive.readiness.plugins.filter.checks import checklist, checks_of
from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError, parse_duration
from ansible_collections.golive.readiness.plugins.module_utils._module import (
    CheckBatch,
    no_log_values_of,
    origin_of,
    run_options_as_given,
    wait_interval_problem,
)
from ansible_collections.golive.readiness.plugins.module_utils._registry import KINDS, role_variables
from ansible_collections.golive.readiness.plugins.module_utils._terminal import one_line
from ansible_collections.golive.readiness.plugins.plugin_utils._ansible_core import (
    resolve_variable,
    template_environment,
)
from ansible_collections.golive.readiness.plugins.plugin_utils._policy import hosts_text

# The playbook variable that sets each of verify's own options, for messages users can act on.
WAIT_RUN_VARIABLES = {"wait": "golive_wait", "wait_interval": "golive_wait_interval",
                      "wait_max_interval": "golive_wait_max_interval"}
HOST_RUN_VARIABLES = {"timeout": "golive_check_timeout", "deadline": "golive_deadline",
                      "max_workers": "golive_max_workers", **WAIT_RUN_VARIABLES}
# Exceptions followed back from a templating error to the filter's own, at most.
MAX_CAUSE_DEPTH = 10
# Places (variables and items) the task's message names before saying "and N more".
NAMED_PLACES = 5
# A checklist computed only from these variables (and the run's tags) is the same on every host whose values
# of them are equal, so it is templated once for all such hosts.
CHECKLIST_PREFIX = "golive_"
RUN_WIDE_VARIABLES = frozenset({"ansible_run_tags", "ansible_skip_tags"})
TEMPLATE_MARKERS = ("{{", "{%")
# The variables golive reads besides the section roles' (the README's "Beside them" table and the run's knobs);
# every golive_waivers_<name> adds to golive_waivers.
OTHER_USER_VARIABLES = frozenset({
    "golive_extra_checks", "golive_probe_checks", "golive_waivers", "golive_blocking_severities",
    "golive_fail_on_nogo", "golive_signoff", "golive_check_timeout", "golive_deadline", "golive_max_workers",
    "golive_probe_deadline", "golive_network_workers", "golive_wait", "golive_wait_interval",
    "golive_wait_max_interval", "golive_hosts", "golive_probe_group", "golive_slice", "golive_slices",
    "golive_slice_count", "golive_attestations", "golive_attestations_required"})
ADDING_PREFIXES = ("golive_waivers_",)
# Variables the collection's plays set that are as close as a misspelling to one users set.
COLLECTION_VARIABLES = frozenset({"golive_probe_checklist"})
# How alike an unknown golive_ name and a known one must be (difflib's ratio) to be named as its misspelling:
# high enough that the collection's own variables and a user's own golive_ names (a password) are not.
MISSPELLING_SIMILARITY = 0.9
PROBE_RUN_VARIABLES = {"timeout": "golive_check_timeout", "deadline": "golive_probe_deadline",
                       "max_workers": "golive_max_workers", "network_workers": "golive_network_workers",
                       **WAIT_RUN_VARIABLES}


def run_option_errors(run_options: Any, variables: Mapping[str, str]) -> list[str]:
    """The problems of verify's own options as the playbook passes them, each led by its variable."""
    if not isinstance(run_options, Mapping):
        return [f"run options: must be a dictionary of verify options, got {type(run_options).__name__}"]
    problems = [f"{variables.get(option, option)}: {problem}"
                for option, value in run_options.items()
                for problem in run_options_as_given({option: value})]
    if not problems:
        names = tuple(variables.get(option, option) for option in ("wait_interval", "wait_max_interval"))
        order = wait_interval_problem(run_options.get("wait_interval"), run_options.get("wait_max_interval"), names)
        problems += [order] if order else []
    return problems


def plain(value: Any) -> Any:
    """A templated value as plain dicts and lists (resolving every lazy template in it)."""
    if isinstance(value, Mapping):
        return {key: plain(entry) for key, entry in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(entry) for entry in value]
    return value


def _content_key(item: Any) -> str:
    return json.dumps(item, sort_keys=True, default=repr)


class ChecklistValidation:
    """The problems of every scope host's checklists, each validated and reported once."""

    def __init__(self) -> None:
        # content key -> ((target, check id) or None when invalid, the item's problems)
        self._items: dict[str, tuple[tuple | None, list[str]]] = {}
        # problem -> the hosts whose variables hold it, in the order they were met
        self._hosts_by_problem: dict[str, list[str]] = {}
        # notice -> the hosts whose variables hold it
        self._hosts_by_notice: dict[str, list[str]] = {}
        self.endpoint_checks = 0
        # What the verify calls run once the checklists are valid: each host's items, and every host's
        # endpoint checks (then their own probe checks) for the probe hosts, each tagged with its target.
        self.host_items: dict[str, list] = {}
        self._endpoint_items: list = []
        self._probe_items: list = []
        # Seconds of each probe host's wait (golive_wait), for the probe play to wait only for what is left of it.
        self.probe_waits: dict[str, float] = {}

    def add_problem(self, problem: str, host: str) -> None:
        hosts = self._hosts_by_problem.setdefault(one_line(problem), [])
        if host not in hosts:
            hosts.append(host)

    def check_items(self, host: str, items: Iterable, label: str) -> None:
        """Validate one checklist of a host (its items run in one call: their ids must differ)."""
        used: dict[tuple, str] = {}
        for index, item in enumerate(items):
            where = origin_of(item, f"{label}[{index}]")
            key, problems = self._validated(item, where)
            for problem in problems:
                self.add_problem(problem, host)
            if key is None:
                continue
            if key in used:
                self.add_problem(f"{where} ({item['kind']}): id {key[1]!r} is already used by {used[key]}; "
                                 f"give one of them an explicit id", host)
            else:
                used[key] = f"{where} ({item['kind']})"

    def keep(self, host: str, items: list, endpoint: list, probe: list) -> None:
        """Keep a host's checklists, templated once here, for its verify call and the probe hosts'."""
        self.host_items[host] = items
        self._endpoint_items += [_targeted(item, host) for item in endpoint]
        self._probe_items += [_targeted(item, host) for item in probe]

    def probe_items(self) -> list:
        """Every scope host's endpoint checks, then every scope host's own probe checks, as the probe hosts run them."""
        return self._endpoint_items + self._probe_items

    def note_misspelt_variables(self, host: str, names: Iterable[str]) -> None:
        """Note each of the host's golive_ variables that golive does not read but that is close to one it does."""
        for name in names:
            known = _known_misspelling(name)
            if known:
                hosts = self._hosts_by_notice.setdefault(
                    f"{name} is not a variable golive reads, so golive ignores it; did you mean {known}?", [])
                if host not in hosts:
                    hosts.append(host)

    def notices(self) -> list[str]:
        """Every notice (not a problem: the run goes on) once, with the hosts whose variables hold it."""
        return [f"{notice} (in the variables of {hosts_text(hosts)})"
                for notice, hosts in self._hosts_by_notice.items()]

    def check_run_options(self, host: str, run_options: Any, variables: Mapping[str, str]) -> None:
        for problem in run_option_errors(run_options, variables):
            self.add_problem(problem, host)

    def problems(self) -> list[str]:
        """Every problem once, with the hosts whose variables hold it."""
        return [f"{problem} (in the variables of {hosts_text(hosts)})"
                for problem, hosts in self._hosts_by_problem.items()]

    def summary(self) -> str:
        """The task's message: how many problems and where; their texts are the task's warnings (printed once)."""
        count = len(self._hosts_by_problem)
        places = list(dict.fromkeys(problem.split(": ", 1)[0] for problem in self._hosts_by_problem))
        shown = ", ".join(places[:NAMED_PLACES])
        if len(places) > NAMED_PLACES:
            shown += f" and {len(places) - NAMED_PLACES} more"
        if count == 1:
            return f"invalid check settings in {shown}: 1 problem, printed above as a warning"
        return f"invalid check settings in {shown}: {count} problems, each printed above as a warning"

    def _validated(self, item: Any, where: str) -> tuple[tuple | None, list[str]]:
        key = _content_key([where, item])
        if key not in self._items:
            batch = CheckBatch({})
            batch.add_mixed(where, item, KINDS)
            check = batch.prepared[0] if batch.prepared else None
            # A problem may quote a value holding a secret (a Redis URL given as host): masked as verify's
            # output is, for these problems are printed on the controller and kept in the report.
            secrets = no_log_values_of([item], KINDS) if batch.errors else set()
            problems = [remove_values(problem, secrets) for problem in batch.errors]
            self._items[key] = ((check.item.get("target"), check.check_id) if check else None, problems)
        return self._items[key]


@lru_cache(maxsize=1)
def user_variables() -> frozenset[str]:
    """Every variable golive reads from the inventory, by its whole name."""
    return frozenset(variable.name for variable in role_variables()) | OTHER_USER_VARIABLES


@lru_cache(maxsize=4096)
def _known_misspelling(name: str) -> str | None:
    # Hosts share most of their variable names (group variables): each name is compared once per run.
    return misspelling_of(name)


def misspelling_of(name: str, known: frozenset[str] | None = None) -> str | None:
    """The variable golive reads that ``name`` (a golive_ name golive does not read) most likely misspells."""
    known = user_variables() if known is None else known
    if (not name.startswith(CHECKLIST_PREFIX) or name in known or name in COLLECTION_VARIABLES
            or name.startswith(ADDING_PREFIXES)):
        return None
    matches = difflib.get_close_matches(name, sorted(known), n=1, cutoff=MISSPELLING_SIMILARITY)
    return matches[0] if matches else None


def _targeted(item: Any, host: str) -> Any:
    # A copy: hosts with equal checklists share the templated items.
    if isinstance(item, dict) and "target" not in item:
        return dict(item, target=host)
    return item


def _cause_text(exc: BaseException, name: str) -> str:
    """Why ``name`` could not be templated: the filters' own message (naming the inventory variable) when
    one of them refused a value, else Ansible's."""
    # ansible-core 2.19 chains the filter's exception as the cause; 2.18 raises its own error while handling it.
    cause: BaseException | None = exc
    for _depth in range(MAX_CAUSE_DEPTH):
        if cause is None:
            break
        if isinstance(cause, OptionError):
            return one_line(str(cause))
        cause = cause.__cause__ or cause.__context__
    return one_line(f"{name}: cannot be templated: {exc}")


def _compiling_once(templar):
    """A templar whose Jinja environment compiles each template text once.

    Ansible compiles a template every time it renders one, and every scope host renders the same role and
    playbook templates: compiling was most of this stage's work. A compiled template holds no variables,
    so hosts can share it. The one templar serves each host in turn (see _HostContext.resolve).
    """
    shared = templar.copy_with_new_env()
    environment = template_environment(shared)
    compile_template = environment.from_string
    compiled: dict[tuple, Any] = {}

    def from_string(source, *args, **kwargs):
        if args or kwargs or not isinstance(source, str):
            return compile_template(source, *args, **kwargs)
        key = (type(source), source)  # a template text and its type (Ansible tags the text with its origin)
        if key not in compiled:
            compiled[key] = compile_template(source)
        return compiled[key]

    environment.from_string = from_string
    return shared


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, entry in value.items():
            yield from _strings(key)
            yield from _strings(entry)
    elif isinstance(value, (list, tuple)):
        for entry in value:
            yield from _strings(entry)


class _EveryName(dict):
    """A filter or test table that has every name, so that templates parse whatever plugins they use."""

    def __contains__(self, name: object) -> bool:
        return True

    def __missing__(self, name: str) -> Any:
        return _no_plugin

    def get(self, name: str, default: Any = None) -> Any:
        return _no_plugin


def _no_plugin(*args: Any, **kwargs: Any) -> None:
    """Stands for every filter and test while a template is only parsed, never rendered."""


class _SharedTemplating:
    """The templated checklist variables of hosts whose inputs are equal, computed once.

    Most hosts take their checklists from their groups' variables. A variable is shared when every template
    it reaches reads only golive_* variables and the run's tags: then hosts with equal values of those
    variables get equal results. Anything else a template reads (inventory_hostname, a fact, a lookup)
    makes the variable host-specific, templated for each host.
    """

    def __init__(self) -> None:
        self._parser = Environment()
        # Jinja checks filter and test names while parsing; only the variables read matter here.
        self._parser.filters = _EveryName()
        self._parser.tests = _EveryName()
        self._names_read: dict[str, frozenset | None] = {}
        self.outcomes: dict[str, tuple[bool, Any]] = {}

    def key(self, variables: Mapping, name: str) -> str | None:
        """Equal for hosts where ``name`` templates to the same value; None when it may differ by host."""
        inputs: dict[str, Any] = {}
        pending = [name]
        while pending:
            current = pending.pop()
            if current in inputs:
                continue
            if not (current.startswith(CHECKLIST_PREFIX) or current in RUN_WIDE_VARIABLES):
                return None
            value = variables.get(current)
            inputs[current] = [value] if current in variables else []  # undefined differs from null
            for text in _strings(value):
                read = self._read_by(text)
                if read is None:
                    return None
                pending.extend(read)
        return json.dumps([name, inputs], sort_keys=True, default=repr)

    def _read_by(self, text: str) -> frozenset | None:
        """The variables a template text reads (none for plain text); None when it cannot be parsed."""
        if not any(marker in text for marker in TEMPLATE_MARKERS):
            return frozenset()
        if text not in self._names_read:
            try:
                self._names_read[text] = frozenset(meta.find_undeclared_variables(self._parser.parse(text)))
            except TemplateError:
                self._names_read[text] = None
        return self._names_read[text]


class _HostContext:
    """One host's variables as the tasks of the running play see them, to resolve variables by name."""

    def __init__(self, task, templar, host_name: str, shared: _SharedTemplating) -> None:
        # The section roles' checklists are role variables, play-level once imported: hostvars leave the play out.
        variable_manager = task._variable_manager
        host = variable_manager._inventory.get_host(host_name)
        self._variables = variable_manager.get_vars(play=task.get_play(), host=host, task=task)
        self._templar = templar
        self._shared = shared

    def golive_names(self) -> list[str]:
        """The names of the host's golive_ variables."""
        return [name for name in self._variables if name.startswith(CHECKLIST_PREFIX)]

    def resolve(self, name: str, default: Any = None) -> Any:
        """The variable's value, fully templated; ``default`` when the host does not define it."""
        if name not in self._variables:
            return default
        key = self._shared.key(self._variables, name)
        if key is None:
            return self._templated(name)
        if key not in self._shared.outcomes:
            try:
                self._shared.outcomes[key] = (True, self._templated(name))
            except Exception as exc:  # kept, so that every host sharing the value reports it
                self._shared.outcomes[key] = (False, exc)
        succeeded, outcome = self._shared.outcomes[key]
        if not succeeded:
            raise outcome
        return outcome

    def _templated(self, name: str) -> Any:
        self._templar.available_variables = self._variables
        return plain(resolve_variable(self._templar, self._variables, name))


def _resolved(context: _HostContext, name: str, shape, validation: ChecklistValidation, host: str) -> Any:
    """``shape`` of the variable ``name`` in the host's context; None, its problem noted, when it cannot be read."""
    try:
        return shape(context.resolve(name))
    except Exception as exc:  # an inventory value the filters cannot shape, or a template that fails
        validation.add_problem(_cause_text(exc, name), host)
        return None


def _wait_seconds(run_options: Mapping) -> float:
    """Seconds of a call's wait option, 0 when it has none or it is invalid (a problem reported on its own)."""
    try:
        return parse_duration(run_options.get("wait") or 0, "wait")
    except OptionError:
        return 0.0


def validate_checklists(task, templar, names: Mapping[str, str], scope_hosts: Iterable[str],
                        probe_hosts: Iterable[str]) -> ChecklistValidation:
    """Every scope host's host and endpoint checks and run options, and the probe hosts' run options, validated.

    ``names`` holds the variables of the running play: ``host`` and ``endpoint`` (lists of lists of items),
    ``probe`` (the host's own endpoint checks), ``host_run_options`` and ``probe_run_options``.
    """
    validation = ChecklistValidation()
    templar = _compiling_once(templar)
    shared = _SharedTemplating()
    for host in scope_hosts:
        context = _HostContext(task, templar, host, shared)
        validation.note_misspelt_variables(host, context.golive_names())
        items = _resolved(context, names["host"], checklist, validation, host) or []
        validation.check_items(host, items, "checks")
        endpoint = _resolved(context, names["endpoint"], checklist, validation, host) or []
        probe = []
        if names.get("probe"):  # the run's own probe checks; an embedded section role runs none
            shape = partial(checks_of, variable=names["probe"])
            probe = _resolved(context, names["probe"], shape, validation, host) or []
        validation.check_items(host, endpoint + probe, "endpoint checks")
        validation.endpoint_checks += len(endpoint) + len(probe)
        validation.keep(host, items, endpoint, probe)
        if names.get("host_run_options"):
            options = _resolved(context, names["host_run_options"], dict, validation, host)
            if options is not None:
                validation.check_run_options(host, options, HOST_RUN_VARIABLES)
    for host in probe_hosts if names.get("probe_run_options") else ():
        context = _HostContext(task, templar, host, shared)
        options = _resolved(context, names["probe_run_options"], dict, validation, host)
        if options is not None:
            validation.check_run_options(host, options, PROBE_RUN_VARIABLES)
            validation.probe_waits[host] = _wait_seconds(options)
    return validation
