"""smtp_server end to end: real `ansible localhost -m golive.readiness.smtp_server` runs against real SMTP
servers on 127.0.0.1 started by the test; the password must appear nowhere in the output or the log."""

from __future__ import annotations

import time

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._checks import smtp_server
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._ports import unused_port
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._smtpservers import (
    PASSWORD,
    USER,
    MintedCA,
    accept_one_user,
    aiosmtpd_server,
    raw_server,
)

from ._adhoc import ansible_run_logged, assert_documents_options

NAME = "mail.shop.test"


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return MintedCA(tmp_path_factory.mktemp("smtp-ca"))


def run_logged(tmp_path, args):
    return ansible_run_logged("smtp_server", tmp_path, args)


def test_starttls_and_auth_pass_and_the_password_stays_secret(tmp_path, ca):
    with aiosmtpd_server(tls_context=ca.server_context(NAME), authenticator=accept_one_user) as (port, handler):
        done, result, written = run_logged(tmp_path, {"checks": [
            {"host": "127.0.0.1", "port": port, "ca_file": ca.ca_file, "server_name": NAME,
             "username": USER, "password": PASSWORD, "latency_warn_above": "30s"}]})
    assert PASSWORD not in written
    assert done.returncode == 0, done.stdout
    [record] = result["golive_checks"]
    assert record["id"] == f"smtp_server:127.0.0.1:{port}"
    assert record["title"] == f"SMTP 127.0.0.1:{port}"
    assert (record["section"], record["severity"], record["status"]) == ("services", "high", "pass")
    assert record["observed"]["auth_ok"] is True
    assert record["observed"]["starttls_ok"] is True
    assert handler.mail_commands == []


def test_failures_and_errors_in_one_call(tmp_path, ca):
    refused = unused_port()
    with aiosmtpd_server() as plain, \
            aiosmtpd_server(tls_context=ca.server_context("other.shop.test", for_loopback_address=False)) as wrong, \
            aiosmtpd_server(tls_context=ca.server_context(NAME), authenticator=accept_one_user) as auth, \
            raw_server() as silent:
        started = time.monotonic()
        done, result, written = run_logged(tmp_path, {"checks": [
            {"host": "127.0.0.1", "port": plain[0], "username": USER, "password": PASSWORD},
            {"host": "127.0.0.1", "port": wrong[0], "ca_file": ca.ca_file, "server_name": NAME},
            {"host": "127.0.0.1", "port": auth[0], "ca_file": ca.ca_file, "username": USER,
             "password": PASSWORD + "-wrong"},
            {"host": "127.0.0.1", "port": refused},
            {"host": "127.0.0.1", "port": silent, "timeout": "1s"},
        ]})
        elapsed = time.monotonic() - started
    assert PASSWORD not in written
    assert done.returncode == 2
    assert elapsed < 60  # the silent server never answers: only the timeouts end the call, however loaded the machine
    summaries = [(r["status"], r["summary"]) for r in result["golive_checks"]]
    assert summaries[0] == ("fail", "STARTTLS not offered; "
                                    "AUTH not attempted: the credentials are not sent without TLS")
    assert summaries[1][0] == "fail" and summaries[1][1].startswith("certificate not verified: Hostname mismatch")
    assert summaries[2][0] == "fail" and summaries[2][1].startswith(f"AUTH rejected for {USER}: 535")
    assert summaries[3] == ("error", f"cannot connect to 127.0.0.1:{refused}: Connection refused")
    assert summaries[4][0] == "error" and "timed out" in summaries[4][1]
    assert plain[1].mail_commands == [] and auth[1].mail_commands == []


def test_password_without_username_fails_the_task_naming_the_option(tmp_path):
    done, result, written = run_logged(tmp_path, {"checks": [{"host": "mx.shop.test", "password": PASSWORD}]})
    assert done.returncode == 2
    assert result["msg"] == "invalid check options: checks[0]: password: given without username"
    assert PASSWORD not in written


def test_credentials_in_clear_text_are_refused_before_any_connection(tmp_path):
    done, result, written = run_logged(tmp_path, {"checks": [
        {"host": "127.0.0.1", "port": unused_port(), "tls": "none", "username": USER, "password": PASSWORD}]})
    assert done.returncode == 2
    assert "refusing to send credentials in clear text" in result["msg"]
    assert "golive_checks" not in result
    assert PASSWORD not in written


def test_module_documentation_renders_every_option():
    assert_documents_options("smtp_server", smtp_server)
    assert smtp_server.OPTIONS["password"]["no_log"] is True
