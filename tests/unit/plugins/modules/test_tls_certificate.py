"""tls_certificate end to end: real `ansible localhost -m golive.readiness.tls_certificate` against real TLS servers."""

from __future__ import annotations

import os

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._checks import tls_certificate

# The test PKI and servers of the kind-level tests.
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._tls_servers import (
    LOOPBACK,
    NAME,
    MintedPKI,
    SilentServer,
    SMTPStartTLSServer,
    server_context,
    tls_server,
)

from ._adhoc import ansible_run, assert_documents_options


@pytest.fixture(scope="module")
def pki():
    return MintedPKI()


@pytest.fixture
def started():
    servers = []
    yield servers.append
    for server in servers:
        server.stop()


def test_module_checks_servers_smtp_and_a_file(pki, started, tmp_path):
    ca_file = pki.write_ca(str(tmp_path))
    valid, expired, silent = tls_server(pki, "valid"), tls_server(pki, "expired"), SilentServer().start()
    chain = pki.served_chain("valid")
    smtp = SMTPStartTLSServer(server_context(chain, chain[0].key)).start()
    for server in (valid, expired, silent, smtp):
        started(server)
    common = dict(host=LOOPBACK, server_name=NAME, ca_file=ca_file, days_warn_below=30, days_fail_below=14)
    done, result = ansible_run("tls_certificate", {"checks": [
        dict(common, port=valid.port, min_protocol="TLSv1.2"),
        dict(common, port=expired.port),
        dict(common, port=smtp.port, starttls="smtp", id="smtp-submission"),
        dict(common, port=silent.port, timeout="1s"),
        dict(path=pki.write_bundle(str(tmp_path), "valid"), hostname=NAME, ca_file=ca_file, days_fail_below=14),
    ]})
    assert done.returncode == 2  # a check failed: the standalone task fails, like assert
    records = result["golive_checks"]
    assert [(r["id"], r["status"]) for r in records] == [
        (f"tls_certificate:127.0.0.1:{valid.port}", "pass"),
        (f"tls_certificate:127.0.0.1:{expired.port}", "fail"),
        ("smtp-submission", "pass"),
        (f"tls_certificate:127.0.0.1:{silent.port}", "error"),
        ("tls_certificate:{}".format(os.path.join(str(tmp_path), "valid.pem")), "pass"),
    ]
    assert records[0]["section"] == "infrastructure" and records[0]["severity"] == "critical"
    assert records[0]["title"] == f"TLS certificate of 127.0.0.1:{valid.port}"
    assert records[1]["summary"].startswith("leaf expired 10 days ago")
    assert records[3]["summary"].startswith("timed out")
    counts = result["golive_counts"]
    assert (counts["pass"], counts["fail"], counts["error"]) == (3, 1, 1)


def test_bad_options_fail_the_task_naming_them():
    checks = [{"host": "h", "path": "/p.pem"}, {"host": "h", "min_protocol": "SSLv3"}]
    done, result = ansible_run("tls_certificate", {"checks": checks})
    assert done.returncode == 2
    assert "checks[0]: host/path: give one of them, not both" in result["msg"]
    assert "checks[1]: min_protocol: 'SSLv3' is not one of" in result["msg"]


def test_module_documentation_renders_every_option():
    doc = assert_documents_options("tls_certificate", tls_certificate)
    assert doc["requirements"][0].startswith("cryptography")
