"""smtp_server against real SMTP servers on 127.0.0.1: aiosmtpd with STARTTLS and AUTH, without STARTTLS,
with a certificate for another name, with implicit TLS, and raw sockets that stay silent or refuse service."""

from __future__ import annotations

import time

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._checks import smtp_server
from ansible_collections.golive.readiness.plugins.module_utils._runner import PreparedCheck, run_checks, run_one

from ._hostile_servers import endless_line_smtp, endless_reply_smtp, hostile
from ._kind_runner import described, prepared
from ._ports import unused_port
from ._smtpservers import (
    PASSWORD,
    SERVER_HOSTNAME,
    USER,
    MintedCA,
    accept_one_user,
    aiosmtpd_server,
    raw_server,
)

GOOD_NAME = "mail.shop.test"


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return MintedCA(tmp_path_factory.mktemp("smtp-ca"))


@pytest.fixture(scope="module")
def submission(ca):
    """STARTTLS with a certificate for mail.shop.test and 127.0.0.1, AUTH PLAIN/LOGIN for one user."""
    with aiosmtpd_server(tls_context=ca.server_context(GOOD_NAME), authenticator=accept_one_user) as server:
        yield server


@pytest.fixture(scope="module")
def plain(ca):
    with aiosmtpd_server() as server:
        yield server


@pytest.fixture(scope="module")
def wrong_name(ca):
    """STARTTLS with a certificate valid only for other.shop.test."""
    with aiosmtpd_server(tls_context=ca.server_context("other.shop.test", for_loopback_address=False)) as server:
        yield server


@pytest.fixture(scope="module")
def smtps(ca):
    with aiosmtpd_server(implicit_tls=ca.server_context(GOOD_NAME)) as server:
        yield server


def check(timeout=5.0, **item):
    item.setdefault("host", "127.0.0.1")
    plan = prepared(smtp_server, item)
    outcome = run_one(PreparedCheck(item, "smtp_server:x", "t", smtp_server, plan, timeout))
    shown = repr((outcome.status, outcome.summary, outcome.observed, outcome.expected))
    assert PASSWORD not in shown
    return outcome


def test_starttls_and_auth_pass_and_no_mail_is_sent(ca, submission):
    port, handler = submission
    outcome = check(port=port, ca_file=ca.ca_file, server_name=GOOD_NAME, ehlo_name="probe.shop.test",
                    banner_regex="^{} ".format(SERVER_HOSTNAME.replace(".", r"\.")), username=USER, password=PASSWORD)
    assert outcome.status == "pass", outcome.summary
    observed = outcome.observed
    assert observed["banner"].startswith(SERVER_HOSTNAME)
    assert observed["starttls_offered"] is True and observed["starttls_ok"] is True
    assert observed["tls_protocol"].startswith("TLSv1.")
    assert observed["tls_cipher"]
    assert observed["certificate_subject"] == f"commonName={GOOD_NAME}"
    assert observed["certificate_not_after"].endswith("GMT")
    assert observed["auth_mechanisms"] == ["LOGIN", "PLAIN"]
    assert observed["auth_ok"] is True and observed["auth_user"] == USER
    assert "STARTTLS" not in observed["esmtp_extensions"]  # the list is the one after STARTTLS
    assert "AUTH" in observed["esmtp_extensions"]
    assert observed["latency_ms"]["value"] >= 0
    assert "STARTTLS ok" in outcome.summary and f"AUTH ok for {USER}" in outcome.summary
    assert handler.mail_commands == []


def test_default_ehlo_name_and_the_address_as_certificate_name(ca, submission):
    outcome = check(port=submission[0], ca_file=ca.ca_file)
    assert outcome.status == "pass", outcome.summary
    assert "auth_ok" not in outcome.observed


def test_rejected_password_fails_without_showing_it(ca, submission):
    outcome = check(port=submission[0], ca_file=ca.ca_file, username=USER, password="not-" + PASSWORD)
    assert outcome.status == "fail"
    assert outcome.summary.startswith(f"AUTH rejected for {USER}: 535")
    assert outcome.observed["auth_ok"] is False
    assert "not-" not in repr(outcome.observed) + outcome.summary


def test_starttls_not_offered_fails_and_credentials_stay_home(plain):
    port, handler = plain
    outcome = check(port=port, username=USER, password=PASSWORD)
    assert outcome.status == "fail"
    assert outcome.summary == ("STARTTLS not offered; "
                               "AUTH not attempted: the credentials are not sent without TLS")
    assert outcome.observed["starttls_offered"] is False
    assert outcome.observed["auth_ok"] is None
    assert handler.mail_commands == []


def test_certificate_for_another_name_fails_naming_the_reason(ca, wrong_name):
    outcome = check(port=wrong_name[0], ca_file=ca.ca_file, server_name=GOOD_NAME)
    assert outcome.status == "fail"
    assert outcome.summary.startswith("certificate not verified: Hostname mismatch")
    assert outcome.observed["starttls_ok"] is False


def test_unknown_issuer_fails_naming_the_reason(submission):
    outcome = check(port=submission[0], server_name=GOOD_NAME)
    assert outcome.status == "fail"
    assert outcome.summary == "certificate not verified: unable to get local issuer certificate"


def test_unverified_tls_passes_without_certificate_details(wrong_name):
    outcome = check(port=wrong_name[0], validate_certs=False)
    assert outcome.status == "pass", outcome.summary
    assert outcome.observed["starttls_ok"] is True
    assert outcome.observed["certificate_subject"] is None


def test_no_tls_only_records_whether_starttls_is_offered(plain, submission):
    assert check(port=plain[0], tls="none").observed["starttls_offered"] is False
    outcome = check(port=submission[0], tls="none")
    assert outcome.status == "pass"
    assert outcome.observed["starttls_offered"] is True
    assert "starttls_ok" not in outcome.observed


def test_plaintext_auth_allowed_but_not_offered_without_tls_fails(submission):
    outcome = check(port=submission[0], tls="none", username=USER, password=PASSWORD, allow_plaintext_auth=True)
    assert outcome.status == "fail"
    assert outcome.summary == "AUTH not offered"


def test_implicit_tls_passes(ca, smtps):
    outcome = check(port=smtps[0], tls="implicit", ca_file=ca.ca_file, server_name=GOOD_NAME)
    assert outcome.status == "pass", outcome.summary
    assert outcome.observed["tls_protocol"].startswith("TLSv1.")
    assert outcome.observed["certificate_subject"] == f"commonName={GOOD_NAME}"


def test_implicit_tls_against_a_plain_server_fails_the_handshake(plain):
    outcome = check(port=plain[0], tls="implicit", validate_certs=False)
    assert outcome.status == "fail"
    assert outcome.summary.startswith("TLS handshake failed: ")


def test_starttls_client_at_an_implicit_tls_port_times_out(smtps):
    started = time.monotonic()
    outcome = check(timeout=1.0, port=smtps[0])
    assert time.monotonic() - started < 20  # both sides wait for the other: only the 1 s timeout ends it
    assert outcome.status == "error"
    assert outcome.summary.startswith("timed out after ")
    assert outcome.summary.endswith("waiting for the banner")


def test_silent_server_is_an_error_within_the_timeout():
    with raw_server() as port:
        plan = prepared(smtp_server, dict(host="127.0.0.1", port=port))
        started = time.monotonic()
        [record] = run_checks([PreparedCheck({}, "smtp_server:silent", "t", smtp_server, plan, 1.0)])
        elapsed = time.monotonic() - started
    assert elapsed < 20  # the server never answers: only the 1 s timeout ends it
    assert record["status"] == "error"
    assert "timed out" in record["summary"]


def test_silent_server_with_implicit_tls_times_out_in_the_handshake():
    with raw_server() as port:
        outcome = check(timeout=1.0, port=port, tls="implicit")
    assert outcome.status == "error"
    assert outcome.summary.endswith("waiting for the TLS handshake and banner")


def test_refused_service_banner_fails():
    with raw_server(b"554 5.3.2 not accepting connections\r\n") as port:
        outcome = check(port=port)
    assert outcome.status == "fail"
    assert outcome.summary == "the server refused service: 554 5.3.2 not accepting connections"


def test_rejected_ehlo_fails():
    with raw_server(b"220 mx ESMTP\r\n", [b"502 5.5.1 EHLO not implemented\r\n"]) as port:
        outcome = check(port=port)
    assert outcome.status == "fail"
    assert outcome.summary.endswith("EHLO rejected: 502 5.5.1 EHLO not implemented")


def test_refused_starttls_fails():
    script = [b"250-mx\r\n250 STARTTLS\r\n", b"454 4.7.0 TLS not available\r\n"]
    with raw_server(b"220 mx ESMTP\r\n", script) as port:
        outcome = check(port=port)
    assert outcome.status == "fail"
    assert outcome.summary == "STARTTLS refused: 454 4.7.0 TLS not available"
    assert outcome.observed["starttls_offered"] is True and outcome.observed["starttls_ok"] is False


def test_silence_after_the_banner_is_an_error_naming_the_step():
    with raw_server(b"220 mx ESMTP\r\n") as port:
        outcome = check(timeout=1.0, port=port)
    assert outcome.status == "error"
    assert outcome.summary.startswith("timed out after ")
    assert outcome.summary.endswith("waiting for the answer to EHLO")


def test_banner_regex_mismatch_fails(plain):
    outcome = check(port=plain[0], tls="none", banner_regex="Postfix")
    assert outcome.status == "fail"
    assert "does not match /Postfix/" in outcome.summary
    assert outcome.expected["banner"] == "matches /Postfix/"


def test_latency_levels(plain):
    assert check(port=plain[0], tls="none", latency_warn_above="0ms", latency_fail_above="1m").status == "warn"
    failed = check(port=plain[0], tls="none", latency_fail_above="0ms")
    assert failed.status == "fail"
    assert failed.summary.startswith("banner after ")
    assert check(port=plain[0], tls="none", latency_warn_above="30s").status == "pass"


def test_connection_refused_is_an_error():
    port = unused_port()
    outcome = check(port=port)
    assert outcome.status == "error"
    assert outcome.summary == f"cannot connect to 127.0.0.1:{port}: Connection refused"


def test_missing_ca_file_is_an_error(tmp_path, submission):
    outcome = check(port=submission[0], ca_file=str(tmp_path / "absent.pem"))
    assert outcome.status == "error"
    assert outcome.summary.startswith("ca_file: cannot load ")


def test_key_and_title():
    assert described(smtp_server, dict(host="mx.shop.test")) == ("mx.shop.test:25", "SMTP mx.shop.test:25")
    assert described(smtp_server, dict(host="mx.shop.test", tls="implicit"))[0] == "mx.shop.test:465"
    assert described(smtp_server, dict(host="mx.shop.test", port=587))[0] == "mx.shop.test:587"
    assert described(smtp_server, dict(host="::1", port=25))[0] == "[::1]:25"


@pytest.mark.parametrize("item, message", [
    (dict(host="mx.shop.test", port=0), "port: 0 is not a TCP port (1-65535)"),
    (dict(host="mx.shop.test", port=70000), "port: 70000 is not a TCP port (1-65535)"),
    (dict(host="mx shop"), "host: 'mx shop' is not a host name"),
    (dict(host=""), "host: '' is not a host name"),
    (dict(host="mx.shop.test", password=PASSWORD), "password: given without username"),
    (dict(host="mx.shop.test", username=USER), "username: given without password"),
    (dict(host="mx.shop.test", tls="none", username=USER, password=PASSWORD),
     "password: refusing to send credentials in clear text with tls: none "
     "(set allow_plaintext_auth: true to allow it)"),
    (dict(host="mx.shop.test", tls="none", ca_file="/etc/ca.pem"),
     "ca_file: only applies with tls: starttls or implicit"),
    (dict(host="mx.shop.test", tls="none", server_name="mx"),
     "server_name: only applies with tls: starttls or implicit"),
    (dict(host="mx.shop.test", banner_regex="("), "banner_regex: '(' is not a valid regular expression"),
    (dict(host="mx.shop.test", latency_warn_above="5s", latency_fail_above="1s"),
     "latency_warn_above/latency_fail_above: the warn level (5s) must be below the fail level (1s)"),
    (dict(host="mx.shop.test", latency_fail_above="soon"), "latency_fail_above: 'soon' is not a number"),
    (dict(host="mx.shop.test", ehlo_name="probe host"), "ehlo_name: 'probe host' is not a host name"),
])
def test_bad_options_name_the_option(item, message):
    with pytest.raises(OptionError) as raised:
        prepared(smtp_server, item)
    assert str(raised.value).startswith(message)
    assert PASSWORD not in str(raised.value)


def test_prepare_touches_nothing():
    # prepare also runs on the controller: a ca_file that does not exist there is only looked at by run().
    plan = prepared(smtp_server, dict(host="mx.shop.test", ca_file="/nonexistent/ca.pem", port=587))
    assert plan["port"] == 587 and plan["server_name"] == "mx.shop.test"


@pytest.mark.parametrize("serve, cap", [(endless_line_smtp, "SMTP_LINE_CAP (8.0 KiB)"),
                                        (endless_reply_smtp, "SMTP_READ_CAP (256.0 KiB)")])
def test_server_that_never_ends_its_reply_is_an_error_naming_the_cap(serve, cap):
    server = hostile(serve)
    try:
        outcome = check(timeout=30.0, port=server.port)
    finally:
        server.stop()
    assert outcome.status == "error"
    assert cap in outcome.summary
