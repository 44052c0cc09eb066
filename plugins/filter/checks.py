# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the section roles use to turn inventory variables into validated check items."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._module import INVALID_KIND, CheckBatch, invalid_item
from ansible_collections.golive.readiness.plugins.module_utils._registry import KINDS


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


def checklist(parts):
    """One list of check items from lists of them; raises with the messages of any invalid settings.

    Used where the playbook hands the checklist to verify: the task is not no_log (verify keeps the
    items' secrets out of its output), so the problems show, and nothing is sent to the host.
    """
    items, errors = [], []
    for part in parts or []:
        for item in part or []:
            if isinstance(item, Mapping) and item.get("kind") == INVALID_KIND:
                errors.extend(item.get("errors") or [])
            else:
                items.append(item)
    if errors:
        raise AnsibleFilterError("invalid check settings: " + "; ".join(errors))
    return items


class FilterModule(object):
    def filters(self):
        return {"checks_of": checks_of, "probe_checks_of": probe_checks_of, "checklist": checklist}
