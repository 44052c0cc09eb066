# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the section roles use to turn inventory variables into validated check items."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._module import (
    INVALID_KIND,
    CheckBatch,
    invalid_item,
    run_options_as_given,
)
from ansible_collections.golive.readiness.plugins.module_utils._registry import KINDS
from ansible_collections.golive.readiness.plugins.plugin_utils._policy import SECTIONS


def _as_list(value, variable):
    if value is None or value == "":
        return []
    if isinstance(value, Mapping):
        return [value]
    if isinstance(value, (list, tuple)):
        return list(value)
    raise OptionError("%s: must be a list of check settings, got %s" % (variable, type(value).__name__))


def checks_of(value, kind=None, section=None, variable="checks"):
    """Validated check items of ``kind`` with their section set.

    Invalid settings do not raise: they become one marker item that makes verify fail with the
    messages before any check runs. The roles assemble checklists in no_log tasks (items carry
    passwords), which would hide a filter error; verify's failure message holds no secret.
    """
    try:
        entries = _as_list(value, variable)
    except OptionError as exc:
        return [invalid_item([str(exc)])]
    items = []
    batch = CheckBatch({})
    for index, entry in enumerate(entries):
        where = "%s[%d]" % (variable, index)
        if not isinstance(entry, Mapping):
            batch.errors.append("%s: must be a dictionary of check options, got %s" % (where, type(entry).__name__))
            continue
        item = dict(entry)
        if kind:
            item.setdefault("kind", kind)
        if section:
            item.setdefault("section", section)
        batch.add_mixed(where, item, KINDS)
        items.append(item)
    return [invalid_item(batch.errors)] if batch.errors else items


def probe_checks_of(hosts, hostvars, variable="golive_probe_checks"):
    """Every scope host's endpoint checks, each tagged with the host it is about (``target``)."""
    items = []
    for host in hosts or []:
        try:
            entries = _as_list(hostvars[host].get(variable), "%s of %s" % (variable, host))
        except OptionError as exc:
            entries = [invalid_item([str(exc)])]
        for entry in entries:
            item = dict(entry)
            item.setdefault("target", host)
            items.append(item)
    return items


def _split_invalid(parts):
    items, errors = [], []
    for part in parts or []:
        for item in part or []:
            if isinstance(item, Mapping) and item.get("kind") == INVALID_KIND:
                errors.extend(item.get("errors") or [])
            else:
                items.append(item)
    return items, errors


# The playbook variable that sets each of verify's own options, for messages users can act on.
RUN_VARIABLES = {"timeout": "golive_check_timeout", "deadline": "golive_deadline", "max_workers": "golive_max_workers",
                 "network_workers": "golive_network_workers"}


def run_option_errors(run_options):
    """The problems of verify's own options as the playbook passes them, each led by its variable."""
    if not isinstance(run_options, Mapping):
        return ["run_options: must be a dictionary of verify options, got %s" % type(run_options).__name__]
    errors = []
    for option, value in run_options.items():
        for problem in run_options_as_given({option: value}):
            errors.append("%s: %s" % (RUN_VARIABLES.get(option, option), problem))
    return errors


def checklist(parts, also_validate=None, run_options=None):
    """One list of check items from lists of them; raises with the messages of any invalid settings.

    Used where the playbook hands the checklist to verify: the task is not no_log (verify keeps the
    items' secrets out of its output), so the problems show, and nothing is sent to the host.
    ``also_validate`` are lists whose problems count too though their items run elsewhere (the
    endpoint checks the probe hosts run later), so that every wrong setting stops the run up front.
    ``run_options`` are verify's own options of the same task (timeout, deadline, max_workers),
    validated here for the same reason.
    """
    items, errors = _split_invalid(parts)
    errors += _split_invalid(also_validate)[1]
    if run_options is not None:
        errors += run_option_errors(run_options)
    if errors:
        raise AnsibleFilterError("invalid check settings: " + "; ".join(errors))
    return items


def selected_sections(run_tags, skip_tags=None):
    """The checklist sections a run selects with --tags / --skip-tags (all of them by default)."""
    run_tags = set(run_tags or ["all"])
    chosen = [s for s in SECTIONS if "all" in run_tags or s in run_tags]
    return [s for s in chosen if s not in set(skip_tags or [])]


class FilterModule(object):
    def filters(self):
        return {"checks_of": checks_of, "probe_checks_of": probe_checks_of, "checklist": checklist,
                "selected_sections": selected_sections}
