# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every check kind ``verify`` can run, by name, imported on first use (private).

The kinds are the modules of the ``_checks`` package (see its docstring), found by listing it: on
the controller and, inside a module's AnsiballZ zip, on the host. AnsiballZ bundles only the
module_utils it sees imported, so ``_checks/_ansiballz.py`` (generated) imports every kind.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator, Mapping
from types import ModuleType
from typing import NamedTuple

from ansible_collections.golive.readiness.plugins.module_utils._checks import _ansiballz  # noqa: F401  pylint: disable=unused-import

_PACKAGE = "ansible_collections.golive.readiness.plugins.module_utils._checks"


def kind_names() -> tuple[str, ...]:
    """The names of the kind modules in the ``_checks`` package, sorted; helpers start with ``_``."""
    package = importlib.import_module(_PACKAGE)
    return tuple(sorted(info.name for info in pkgutil.iter_modules(package.__path__)
                        if not info.name.startswith("_")))


KIND_NAMES = kind_names()


class LazyKinds(Mapping):
    """KIND name -> kind module, importing each module when it is first asked for."""

    def __init__(self, names: tuple[str, ...] | list[str]) -> None:
        self._names = tuple(names)
        self._loaded: dict[str, ModuleType] = {}

    def __getitem__(self, name: str) -> ModuleType:
        if name not in self._names:
            raise KeyError(name)
        if name not in self._loaded:
            self._loaded[name] = importlib.import_module(f"{_PACKAGE}.{name}")
        return self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def load_all(self) -> None:
        for name in self._names:
            self[name]


KINDS = LazyKinds(KIND_NAMES)


class RoleVariable(NamedTuple):
    """A section role variable listing one kind's items, as the kind declares it."""

    name: str
    section: str
    kind: str
    endpoint: bool
    default: object
    probe_option: str | None = None

    @property
    def on_host(self) -> bool:
        """Some of its items run on the host whose variables list them."""
        return not self.endpoint

    @property
    def from_probe(self) -> bool:
        """Some of its items run from the probe hosts: all of them, or those setting its ``probe_option``."""
        return self.endpoint or self.probe_option is not None


def role_variables(kinds: Mapping[str, ModuleType] = KINDS) -> list[RoleVariable]:
    """Every section role variable of every kind, by section and then variable name.

    Raises AttributeError naming the kind module that declares no ``VARIABLES``.
    """
    found = []
    for name in kinds:
        kind = kinds[name]
        if not hasattr(kind, "VARIABLES"):
            raise AttributeError(f"{kind.__name__} declares no VARIABLES (see the _checks package's docstring)")
        defaults = getattr(kind, "ROLE_DEFAULTS", {})
        for variable, section in kind.VARIABLES.items():
            found.append(RoleVariable(variable, section, name, bool(getattr(kind, "ENDPOINT", False)),
                                      defaults.get(variable, []), getattr(kind, "PROBE_OPTION", None)))
    return sorted(found, key=lambda variable: (variable.section, variable.name))
