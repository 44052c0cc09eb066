"""Fixtures for the integration tests: real SSH hosts and real ``ansible-playbook`` runs over them."""

from __future__ import annotations

import os
import sys

import pytest

# The harness modules sit next to this file; make them importable whatever pytest's import mode.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from playbook_runs import SSH_HOSTS, GoliveRunner
from runner_runs import GoliveAnsibleRunner
from sshhosts import SSHFleet


@pytest.fixture(scope="session")
def ssh_fleet(tmp_path_factory):
    """Three loopback SSH hosts (web01, web02, db01), started once for all integration tests."""
    fleet = SSHFleet(str(tmp_path_factory.mktemp("sshhosts") / "fleet"), SSH_HOSTS)
    fleet.start()
    try:
        yield fleet
    finally:
        fleet.stop()


@pytest.fixture
def golive(ssh_fleet, tmp_path):
    """A GoliveRunner writing its inventories and reports under this test's tmp_path."""
    return GoliveRunner(ssh_fleet, tmp_path)


@pytest.fixture
def golive_runner(ssh_fleet, tmp_path):
    """A GoliveAnsibleRunner: golive.yml through ansible_runner.run, private data dirs under this test's tmp_path."""
    return GoliveAnsibleRunner(ssh_fleet, tmp_path)
