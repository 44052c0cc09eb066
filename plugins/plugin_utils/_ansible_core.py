# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ansible-core releases the collection supports, and the few places where 2.18 and 2.19 differ (private).

ansible-core 2.19 gave callbacks public task result attributes and templates a new engine; 2.18 has the
older names. Anything older than 2.18 is refused by the gate and the report callback with SUPPORTED.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ansible.release import __version__ as ANSIBLE_VERSION

# Keep in step with requires_ansible in meta/runtime.yml (a unit test compares them).
MINIMUM_VERSION = (2, 18)
REQUIRES_ANSIBLE = ">=2.18.0"
SUPPORTED = "ansible-core 2.18 or later (requires_ansible >=2.18.0; tested with 2.18 and 2.19)"


def version_tuple(version: str) -> tuple[int, ...]:
    """(2, 18, 3) of '2.18.3', (2, 20) of '2.20.0rc1': the leading numbers of a version."""
    return tuple(int(number) for number in re.findall(r"\d+", version.split("rc")[0].split("b")[0])[:3])


def unsupported_ansible(version: str = ANSIBLE_VERSION) -> str | None:
    """Why ``version`` of ansible-core cannot run the collection, or None when it can."""
    if version_tuple(version)[:2] >= MINIMUM_VERSION:
        return None
    return f"golive.readiness needs {SUPPORTED}; this is ansible-core {version}. Upgrade ansible-core."


def template_environment(templar: Any) -> Any:
    """The Jinja environment a templar renders with: its engine's (2.19) or its own (2.18)."""
    engine = getattr(templar, "_engine", None)
    return engine.environment if engine is not None else templar.environment


def resolve_variable(templar: Any, variables: Mapping[str, Any], name: str) -> Any:
    """The variable ``name`` of ``variables`` (the templar's available variables), fully templated."""
    if hasattr(templar, "resolve_variable_expression"):
        return templar.resolve_variable_expression(name)
    return templar.template(variables[name], fail_on_undefined=True)


def result_task(result: Any) -> Any:
    """The task of a callback's task result (``task`` from 2.19, ``_task`` before)."""
    return result.task if hasattr(result, "task") else result._task


def result_host(result: Any) -> Any:
    """The host of a callback's task result."""
    return result.host if hasattr(result, "host") else result._host


def result_data(result: Any) -> Mapping:
    """What the task returned."""
    return result.result if hasattr(result, "result") else result._result
