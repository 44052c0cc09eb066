"""The real test servers of the kind-level tests (dnsmasq, loopback TCP sockets), for the end-to-end module tests."""

from __future__ import annotations

import importlib.util
import os

_CHECKS_TESTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "module_utils", "_checks")


def _load(name):
    """A helper module of tests/unit/plugins/module_utils/_checks, loaded from its file (it is another package)."""
    spec = importlib.util.spec_from_file_location(f"golive_module_tests_{name}",
                                                  os.path.join(_CHECKS_TESTS, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


dns_server = _load("_dns_server")
tcp_servers = _load("_tcp_servers")
load_tests = _load("_load_tests")
vulnerability_scans = _load("_vulnerability_scans")
s3_servers = _load("_s3_servers")
