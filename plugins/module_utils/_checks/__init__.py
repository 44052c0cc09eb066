# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The check kinds: one module per kind, named after its KIND; ``_``-prefixed modules are helpers (private).

A kind module is the one place that says what a kind is. Beside its protocol (``KIND``, ``SECTION``,
``SEVERITY``, ``OPTIONS``, ``describe``, ``prepare``, ``run``) it declares, in constants that only
scripts/generators/kinds.py and the registry read:

- ``VARIABLES``: the section role variables that list its items, ``{variable: section role}``
  (``{}`` when its items are given only through ``golive_extra_checks``). Required.
- ``ENDPOINT = True`` when its items run from the probe hosts (``golive_<section>_endpoint_checks``)
  rather than on the host whose variables list them (``golive_<section>_host_checks``).
- ``PROBE_OPTION`` (a host kind only): the option that sends an item to the probe hosts instead, as
  ``url`` does for a report read from a file on the host by ``path`` or fetched over HTTP by ``url``.
  Its variables then feed both checklists, each item the one where it runs.
- ``ROLE_DEFAULTS``: ``{variable: value}`` for a variable whose role default is not ``[]``. A
  dictionary value makes the variable one dictionary of options instead of a list (``null`` skips it).

Everything else that lists kinds (the registry, the AnsiballZ import list, the action group, the
section roles' defaults, variables and argument specs, the README's variable table) is derived from
these or generated from them by ``scripts/generate``.
"""
