"""tls_certificate: real TLS servers on 127.0.0.1 presenting certificates minted for the test, and PEM files."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import textwrap
import time

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._checks import tls_certificate
from ansible_collections.golive.readiness.plugins.module_utils._runner import PreparedCheck, run_checks

from ._hostile_servers import huge_chain_tls_server
from ._kind_runner import described, validated_item
from ._kind_runner import run_item as run_kind_item
from ._ports import unused_port
from ._tls_servers import (
    LOOPBACK,
    NAME,
    MintedPKI,
    SilentServer,
    SMTPStartTLSServer,
    _ThreadedServer,
    server_context,
    tls_server,
)

INCOMPLETE = "incomplete chain (the server does not send the intermediate)"


@pytest.fixture(scope="module")
def pki():
    return MintedPKI()


@pytest.fixture(scope="module")
def ca_file(pki, tmp_path_factory):
    return pki.write_ca(str(tmp_path_factory.mktemp("ca")))


@pytest.fixture
def servers():
    """start(server) -> the started server, stopped when the test ends."""
    started = []

    def start(server):
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def serve(pki, servers):
    def serve_leaf(kind, **options):
        return servers(tls_server(pki, kind, **options))
    return serve_leaf


def validated(item):
    return validated_item(tls_certificate, item)


def check(item, timeout=10.0):
    record = run_kind_item(tls_certificate, item, timeout)
    return record


def remote(server, ca_file, **options):
    item = dict(host=LOOPBACK, port=server.port, server_name=NAME, ca_file=ca_file)
    item.update(options)
    return check(item)


# --- pass ---------------------------------------------------------------------------------------

def test_valid_certificate_passes_with_the_facts_observed(serve, ca_file):
    server = serve("valid")
    record = remote(server, ca_file, days_warn_below=30, days_fail_below=14, min_protocol="TLSv1.2")
    assert record["status"] == "pass", record["summary"]
    assert record["id"] == f"tls_certificate:127.0.0.1:{server.port}"
    assert record["title"] == f"TLS certificate of 127.0.0.1:{server.port}"
    assert (tls_certificate.SECTION, tls_certificate.SEVERITY) == ("infrastructure", "critical")
    observed = record["observed"]
    assert observed["subject"] == f"CN={NAME},O=golive test"
    assert observed["issuer"] == "CN=golive test intermediate,O=golive test"
    assert observed["sans"] == [NAME, LOOPBACK]
    assert 58 <= observed["days_left"]["value"] <= 60
    assert observed["chain_length"] == {"value": 2, "unit": "count"}
    assert observed["protocol"] == "TLSv1.3" and observed["cipher"]
    assert (observed["key_type"], observed["key_bits"]) == ("EC", 256)
    assert observed["signature_algorithm"] == "sha256WithRSAEncryption"
    assert observed["self_signed"] is False
    assert observed["verified"] is True and observed["verify_error"] is None
    assert observed["old_protocols_accepted"] == [] and observed["old_protocols_not_probed"] == []
    assert [c["subject"] for c in observed["chain"]] == [observed["subject"], observed["issuer"]]
    assert observed["chain"][0]["days_left"] == observed["days_left"]
    assert all(c["days_left"]["unit"] == "days" for c in observed["chain"])
    assert record["expected"]["days_left"] == {"warn": {"below": 30}, "fail": {"below": 14}, "unit": "days"}
    assert record["summary"].startswith("leaf expires in ")


def test_rsa_key_is_described(serve, ca_file):
    record = remote(serve("rsa"), ca_file)
    assert record["status"] == "pass", record["summary"]
    assert (record["observed"]["key_type"], record["observed"]["key_bits"]) == ("RSA", 2048)


def test_ip_address_host_is_matched_against_ip_sans(serve, ca_file):
    server = serve("valid")
    record = check(dict(host=LOOPBACK, port=server.port, ca_file=ca_file))
    assert record["status"] == "pass", record["summary"]
    assert "valid for 127.0.0.1" in record["summary"]


def test_wildcard_covers_one_label_only(serve, ca_file):
    server = serve("wildcard")
    assert remote(server, ca_file)["status"] == "pass"
    deeper = remote(server, ca_file, server_name="deep.app.golive.test")
    assert deeper["status"] == "fail"
    assert "hostname mismatch: deep.app.golive.test" in deeper["summary"]


# --- warn and fail ------------------------------------------------------------------------------

def test_expiring_certificate_warns_then_fails(serve, ca_file):
    server = serve("expiring")
    warned = remote(server, ca_file, days_warn_below=30, days_fail_below=5)
    assert warned["status"] == "warn"
    assert warned["summary"] == "leaf expires in 9 days (warn < 30 days, fail < 5 days)"
    failed = remote(server, ca_file, days_warn_below=30, days_fail_below=14)
    assert failed["status"] == "fail"
    assert failed["summary"] == "leaf expires in 9 days (warn < 30 days, fail < 14 days)"


def test_with_default_options_a_certificate_expiring_within_two_weeks_fails(serve, ca_file):
    expiring = remote(serve("expiring"), ca_file)  # 9 days left
    assert expiring["status"] == "fail"
    assert expiring["summary"] == "leaf expires in 9 days (warn < 30 days, fail < 14 days)"
    assert expiring["expected"]["days_left"] == {"warn": {"below": 30}, "fail": {"below": 14}, "unit": "days"}
    assert expiring["observed"]["days_left"] == {"value": 9, "unit": "days"}
    # One level given: the other gets no default, so a stricter fail level never clashes with it.
    stricter = remote(serve("valid"), ca_file, days_fail_below=90)
    assert stricter["status"] == "fail"
    assert stricter["expected"]["days_left"] == {"fail": {"below": 90}, "unit": "days"}
    assert remote(serve("expiring"), ca_file, days_fail_below=0)["status"] == "pass"


def test_every_certificate_of_the_chain_counts_for_expiry(pki, tmp_path, ca_file):
    bundle = pki.write_bundle(str(tmp_path), "valid")
    record = check(dict(path=bundle, hostname=NAME, ca_file=ca_file, days_warn_below=1500, days_fail_below=100))
    assert record["status"] == "fail"
    assert "leaf expires in " in record["summary"]
    assert "certificate 2 of the chain (CN=golive test intermediate,O=golive test) expires in " in record["summary"]


def test_expired_certificate_fails(serve, ca_file):
    record = remote(serve("expired"), ca_file)
    assert record["status"] == "fail"
    assert record["summary"].startswith("leaf expired 10 days ago")
    assert record["observed"]["verify_error"] == "expired"
    assert record["observed"]["days_left"]["value"] < 0


def test_not_yet_valid_certificate_fails(serve, ca_file):
    record = remote(serve("not_yet_valid"), ca_file)
    assert record["status"] == "fail"
    assert "leaf is not valid until " in record["summary"]
    assert record["observed"]["verify_error"] == "not yet valid"


def test_wrong_hostname_fails_unless_not_checked(serve, ca_file):
    server = serve("wrong_host")
    record = remote(server, ca_file)
    assert record["status"] == "fail"
    assert record["summary"] == ("hostname mismatch: app.golive.test is not among the certificate's names "
                                 "(other.golive.test)")
    assert record["observed"]["verified"] is True  # the chain itself is fine: reported apart
    assert remote(server, ca_file, check_hostname=False)["status"] == "pass"


def test_leaf_served_without_its_intermediate_is_an_incomplete_chain(serve, ca_file):
    record = remote(serve("valid", with_intermediate=False), ca_file)
    assert record["status"] == "fail"
    assert record["observed"]["chain_length"] == {"value": 1, "unit": "count"}
    assert record["observed"]["verify_error"].startswith(INCOMPLETE)
    assert "golive test intermediate" in record["summary"]


def test_self_signed_certificate_fails_unless_trusted_or_allowed(pki, serve, ca_file, tmp_path):
    server = serve("self_signed")
    record = remote(server, ca_file)
    assert record["status"] == "fail"
    assert record["summary"] == "chain not valid: self-signed certificate (not issued by a trusted CA)"
    assert record["observed"]["self_signed"] is True
    allowed = remote(server, ca_file, require_chain_valid=False)
    assert allowed["status"] == "pass", allowed["summary"]
    assert allowed["observed"]["verified"] is False
    pinned = pki.write_bundle(str(tmp_path), "self_signed")
    assert remote(server, pinned)["status"] == "pass"


def test_untrusted_issuer_fails_against_the_system_store(serve):
    record = check(dict(host=LOOPBACK, port=serve("valid").port, server_name=NAME))
    assert record["status"] == "fail"
    assert record["summary"].startswith("chain not valid: the chain does not lead to a trusted root")


def test_small_rsa_key_fails(serve, ca_file):
    server = serve("weak_key")
    record = remote(server, ca_file)
    assert record["status"] == "fail"
    assert "leaf has a 1024-bit RSA key (minimum 2048)" in record["summary"]
    lenient = remote(server, ca_file, min_key_bits=1024, require_chain_valid=False)
    assert lenient["status"] == "pass", lenient["summary"]


def test_sha1_signature_fails(serve, ca_file):
    server = serve("sha1")
    record = remote(server, ca_file)
    assert record["status"] == "fail"
    assert "leaf is signed with SHA-1 (sha1WithRSAEncryption)" in record["summary"]
    assert record["observed"]["signature_algorithm"] == "sha1WithRSAEncryption"
    lenient = remote(server, ca_file, forbid_weak_signatures=False, require_chain_valid=False)
    assert lenient["status"] == "pass", lenient["summary"]


def test_server_accepting_tls_1_0_fails_min_protocol(serve, ca_file):
    server = serve("valid", weak=True, min_version=ssl.TLSVersion.TLSv1)
    record = remote(server, ca_file, min_protocol="TLSv1.2")
    observed = record["observed"]
    if "TLSv1" in " ".join(observed["old_protocols_not_probed"]):
        pytest.skip("this OpenSSL cannot offer TLS 1.0 even at SECLEVEL=0")
    assert record["status"] == "fail"
    assert observed["old_protocols_accepted"] == ["TLSv1", "TLSv1.1"]
    assert record["summary"] == "accepts TLSv1, TLSv1.1 (minimum TLSv1.2)"


def test_min_protocol_tls_1_3_fails_a_tls_1_2_server(serve, ca_file):
    record = remote(serve("valid"), ca_file, min_protocol="tlsv1.3")
    assert record["status"] == "fail"
    assert record["observed"]["old_protocols_accepted"] == ["TLSv1.2"]
    assert record["expected"]["min_protocol"] == "TLSv1.3"


# --- STARTTLS -----------------------------------------------------------------------------------

def test_smtp_starttls_certificate(pki, servers, ca_file):
    chain = pki.served_chain("valid")
    smtp = servers(SMTPStartTLSServer(server_context(chain, chain[0].key)).start())
    record = check(dict(host=LOOPBACK, port=smtp.port, server_name=NAME, starttls="smtp", ca_file=ca_file,
                        days_fail_below=14, min_protocol="TLSv1.2"))
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["chain_length"] == {"value": 2, "unit": "count"}


def test_smtp_server_without_starttls_is_an_error(servers, ca_file):
    from aiosmtpd.controller import Controller
    port = unused_port()
    controller = Controller(object(), hostname=LOOPBACK, port=port)
    controller.start()
    try:
        record = check(dict(host=LOOPBACK, port=port, starttls="smtp", ca_file=ca_file))
    finally:
        controller.stop()
    assert record["status"] == "error"
    assert record["summary"] == f"SMTP server 127.0.0.1:{port} does not offer STARTTLS"


# --- error --------------------------------------------------------------------------------------

@pytest.mark.parametrize("starttls", ["none", "smtp"])
def test_server_that_never_answers_times_out_within_the_timeout(servers, ca_file, starttls):
    silent = servers(SilentServer().start())
    params = validated(dict(host=LOOPBACK, port=silent.port, ca_file=ca_file, starttls=starttls, timeout="1s"))
    plan = tls_certificate.prepare(params)
    started = time.monotonic()
    [record] = run_checks([PreparedCheck(params, "t", "t", tls_certificate, plan, 1.0)])
    assert time.monotonic() - started < 20  # the server never answers: only the 1 s timeout ends it
    assert record["status"] == "error"
    assert record["summary"].startswith("timed out")
    if starttls == "none":
        assert "did not complete the TLS handshake" in record["summary"]


def test_refused_connection_is_an_error(ca_file):
    port = unused_port()
    record = check(dict(host=LOOPBACK, port=port, ca_file=ca_file))
    assert record["status"] == "error"
    assert record["summary"] == f"connection refused by 127.0.0.1:{port}"


class _PlainTextServer(_ThreadedServer):
    def serve(self, conn):
        conn.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\nnot TLS here\r\n")


def test_server_that_does_not_speak_tls_is_an_error(servers, ca_file):
    plain = servers(_PlainTextServer().start())
    record = check(dict(host=LOOPBACK, port=plain.port, ca_file=ca_file))
    assert record["status"] == "error"
    assert record["summary"].startswith(f"TLS handshake with 127.0.0.1:{plain.port} failed: ")


def test_unreadable_ca_file_is_an_error(serve, tmp_path):
    record = remote(serve("valid"), str(tmp_path / "absent.pem"))
    assert record["status"] == "error"
    assert record["summary"].startswith("ca_file: cannot load ")


def test_missing_cryptography_is_an_error_naming_the_library(tmp_path):
    script = textwrap.dedent("""\
        import json, sys
        sys.modules["cryptography"] = None  # this interpreter has no cryptography
        from ansible_collections.golive.readiness.plugins.module_utils._checks import tls_certificate as kind
        from ansible_collections.golive.readiness.plugins.module_utils._runner import PreparedCheck, run_checks
        plan = kind.prepare(json.loads(sys.argv[1]))
        [record] = run_checks([PreparedCheck({}, "t", "t", kind, plan, 5.0)])
        print(json.dumps(record))
        """)
    collections = [p for p in sys.path if p.endswith(".collections")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(collections))
    item = json.dumps(validated(dict(path=str(tmp_path / "cert.pem"))))
    done = subprocess.run([sys.executable, "-c", script, item], capture_output=True,
                          text=True, env=env, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["status"] == "error"
    assert "cryptography" in record["summary"] and "Failed to import the required Python library" in record["summary"]


# --- local files --------------------------------------------------------------------------------

def test_file_with_leaf_and_intermediate_passes(pki, tmp_path, ca_file):
    bundle = pki.write_bundle(str(tmp_path), "valid")
    record = check(dict(path=bundle, hostname=NAME, ca_file=ca_file, days_fail_below=14))
    assert record["status"] == "pass", record["summary"]
    assert record["id"] == f"tls_certificate:{bundle}"
    assert record["title"] == f"TLS certificate in {bundle}"
    assert record["observed"]["chain_length"] == {"value": 2, "unit": "count"}
    assert record["observed"]["verified"] is True
    assert "protocol" not in record["observed"]


def test_file_without_hostname_notes_that_it_was_not_checked(pki, tmp_path, ca_file):
    record = check(dict(path=pki.write_bundle(str(tmp_path), "valid"), ca_file=ca_file))
    assert record["status"] == "pass"
    assert "hostname not checked (no hostname given)" in record["summary"]


def test_file_with_only_the_leaf_is_an_incomplete_chain(pki, tmp_path, ca_file):
    bundle = pki.write_bundle(str(tmp_path), "valid", with_intermediate=False)
    record = check(dict(path=bundle, hostname=NAME, ca_file=ca_file))
    assert record["status"] == "fail"
    assert record["observed"]["verify_error"].startswith(
        "incomplete chain (the file does not include the intermediate)")


@pytest.mark.parametrize("kind, expected", [
    ("expired", "leaf expired 10 days ago"),
    ("not_yet_valid", "leaf is not valid until "),
    ("wrong_host", "hostname mismatch: app.golive.test"),
    ("self_signed", "chain not valid: self-signed certificate (not issued by a trusted CA)"),
    ("weak_key", "leaf has a 1024-bit RSA key (minimum 2048)"),
    ("sha1", "leaf is signed with SHA-1 (sha1WithRSAEncryption)"),
])
def test_file_with_a_bad_certificate_fails(pki, tmp_path, ca_file, kind, expected):
    record = check(dict(path=pki.write_bundle(str(tmp_path), kind), hostname=NAME, ca_file=ca_file))
    assert record["status"] == "fail"
    assert expected in record["summary"]


def test_missing_or_empty_file_is_an_error(tmp_path):
    absent = check(dict(path=str(tmp_path / "absent.pem")))
    assert absent["status"] == "error"
    assert absent["summary"].startswith("cannot read ")
    empty = tmp_path / "empty.pem"
    empty.write_text("not a certificate\n")
    record = check(dict(path=str(empty)))
    assert record["status"] == "error"
    assert record["summary"] == f"{empty} holds no PEM certificate"


# --- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize("item, message", [
    (dict(host="h", path="/p.pem"), "host/path: give one of them, not both"),
    (dict(), "host/path: one of them is required"),
    (dict(host="h", port=0), "port: 0 is not a TCP port (1-65535)"),
    (dict(host="h", port=70000), "port: 70000 is not a TCP port (1-65535)"),
    (dict(host="h", min_protocol="SSLv3"), "min_protocol: 'SSLv3' is not one of TLSv1, TLSv1.1, TLSv1.2, TLSv1.3"),
    (dict(host="h", days_warn_below=14, days_fail_below=30),
     "days_warn_below/days_fail_below: the warn level (14) must be above the fail level (30)"),
    (dict(host="h", days_warn_below="soon"), "days_warn_below: 'soon' is not a number"),
    (dict(host="h", min_key_bits=-1), "min_key_bits: -1 must not be negative"),
    (dict(host="h", hostname="x"), "hostname: only applies with path (use server_name with host)"),
    (dict(path="/p.pem", server_name="x"), "server_name: only applies with host"),
    (dict(path="/p.pem", min_protocol="TLSv1.2"), "min_protocol: only applies with host"),
    (dict(path="/p.pem", starttls="smtp"), "starttls: only applies with host"),
])
def test_bad_options_name_the_option(item, message):
    with pytest.raises(OptionError) as raised:
        tls_certificate.prepare(validated(item))
    assert str(raised.value) == message


def test_describe_brackets_ipv6_hosts():
    assert described(tls_certificate, dict(host="::1", port=8443)) == ("[::1]:8443", "TLS certificate of [::1]:8443")


def test_chain_over_the_cap_is_an_error_naming_the_cap(pki, ca_file):
    server = huge_chain_tls_server(pki)
    try:
        record = remote(server, ca_file)
    finally:
        server.stop()
    assert record["status"] == "error"
    assert "TLS_CHAIN_CAP (100.0 KiB)" in record["summary"]


def test_pem_file_over_the_cap_is_an_error_naming_the_cap(tmp_path):
    path = tmp_path / "huge.pem"
    path.write_bytes(b"#" * (tls_certificate.PEM_FILE_CAP + 1))
    record = check(dict(path=str(path)))
    assert record["status"] == "error"
    assert "PEM_FILE_CAP (1.0 MiB)" in record["summary"]
