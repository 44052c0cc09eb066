"""Fixtures shared by the kind tests and the module tests of the same kind."""

from __future__ import annotations

import pytest

from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._dbt_projects import build_project
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._stripe_standin import stripe_standin


@pytest.fixture(scope="session")
def dbt_project(tmp_path_factory):
    """One dbt project built by real dbt per test process (dbt takes half a minute to build it)."""
    return build_project(str(tmp_path_factory.mktemp("dbt_project")))


@pytest.fixture(scope="module")
def running_stripe_standin():
    """One Stripe stand-in per test module."""
    with stripe_standin() as standin:
        yield standin


@pytest.fixture
def stripe(running_stripe_standin):
    """The module's Stripe stand-in, back to its healthy live account before and after each test."""
    running_stripe_standin.state.reset()
    yield running_stripe_standin
    running_stripe_standin.state.reset()
