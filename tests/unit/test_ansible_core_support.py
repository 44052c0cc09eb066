"""The supported ansible-core range is stated once in meta/runtime.yml and enforced from _ansible_core."""

from __future__ import annotations

import os

import yaml

from ansible_collections.golive.readiness.plugins.plugin_utils._ansible_core import (
    MINIMUM_VERSION,
    REQUIRES_ANSIBLE,
    SUPPORTED,
    unsupported_ansible,
    version_tuple,
)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_the_refused_range_is_the_one_meta_runtime_states():
    with open(os.path.join(REPO, "meta", "runtime.yml"), encoding="utf-8") as handle:
        assert yaml.safe_load(handle)["requires_ansible"] == REQUIRES_ANSIBLE
    major, minor = MINIMUM_VERSION
    assert f">={major}.{minor}.0" == REQUIRES_ANSIBLE
    assert REQUIRES_ANSIBLE in SUPPORTED


def test_versions_from_the_minimum_on_are_supported_and_older_ones_refused_naming_the_range():
    for version in ("2.18.0", "2.18.19", "2.19.14", "2.20.0rc1", "3.0.0"):
        assert unsupported_ansible(version) is None, version
    for version in ("2.17.14", "2.16.0", "2.9.27", "2.1"):
        message = unsupported_ansible(version)
        assert message == f"golive.readiness needs {SUPPORTED}; this is ansible-core {version}. Upgrade ansible-core."
    assert version_tuple("2.19.0b1") == (2, 19, 0)
