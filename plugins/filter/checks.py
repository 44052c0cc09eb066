# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the section roles use to turn inventory variables into validated check items."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.golive.readiness.plugins.module_utils._module import CheckBatch
from ansible_collections.golive.readiness.plugins.module_utils._registry import KINDS


def _as_list(value, variable):
    if value is None or value == "":
        return []
    if isinstance(value, Mapping):
        return [value]
    if isinstance(value, (list, tuple)):
        return list(value)
    raise AnsibleFilterError("%s: must be a list of check settings, got %s" % (variable, type(value).__name__))


def checks_of(value, kind=None, section=None, variable="checks"):
    """Validated check items of ``kind`` with their section set."""
    items = []
    batch = CheckBatch({})
    for index, entry in enumerate(_as_list(value, variable)):
        where = "%s[%d]" % (variable, index)
        if not isinstance(entry, Mapping):
            raise AnsibleFilterError("%s: must be a dictionary of check options, got %s"
                                     % (where, type(entry).__name__))
        item = dict(entry)
        if kind:
            item.setdefault("kind", kind)
        if section:
            item.setdefault("section", section)
        batch.add_mixed(where, item, KINDS)
        items.append(item)
    if batch.errors:
        raise AnsibleFilterError("; ".join(batch.errors))
    return items


def probe_checks_of(hosts, hostvars, variable="golive_probe_checks"):
    """Every scope host's endpoint checks, each tagged with the host it is about (``target``)."""
    items = []
    for host in hosts or []:
        for entry in _as_list(hostvars[host].get(variable), "%s of %s" % (variable, host)):
            item = dict(entry)
            item.setdefault("target", host)
            items.append(item)
    return items


class FilterModule(object):
    def filters(self):
        return {"checks_of": checks_of, "probe_checks_of": probe_checks_of}
