"""The golive playbook runs every host's endpoint checks from the probe host against real servers.

Two logical hosts on this machine (local connection) carry endpoint variables of every network kind;
the servers (TLS, HTTP, dnsmasq, TCP, SMTP, SNTP) are the ones the kind tests use, all on 127.0.0.1.
They also list reports of a real Locust run, pip-audit and npm audit (the evidence kinds), some by path
(read on the host) and some by url (fetched from the probe). One ansible-playbook run must put each result
under the host whose variables define it, with the probe (the controller) recorded for what it ran, and
the verdict must follow from the statuses.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import subprocess
import sys
from http.server import SimpleHTTPRequestHandler

import pytest
import yaml
from playbook_runs import read_report

from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._dns_server import dns_server
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._http_apps import running_apps
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._load_tests import (
    counting_app,
    k6_summary,
    run_locust,
)
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._ntpserver import ntp_server
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._ports import unused_port
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._smtpservers import raw_server
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._tcp_servers import (
    SSH_BANNER,
    greet,
    tcp_server,
)
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._tls_servers import (
    NAME,
    MintedPKI,
    tls_server,
)
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._vulnerability_scans import (
    run_npm_audit,
    run_pip_audit,
    serving,
)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NO_STARTTLS = (b"220 mail.shop.test ESMTP\r\n", [b"250-mail.shop.test\r\n250 SIZE 1000000\r\n", b"221 bye\r\n"])


def tls_item(server, ca_file, **extra):
    return dict(host="127.0.0.1", port=server.port, server_name=NAME, ca_file=ca_file, **extra)


def inventory(servers):
    lb01 = dict(
        golive_tls_certificates=[
            dict(tls_item(servers["tls_valid"], servers["ca_file"], days_warn_below=30, days_fail_below=7),
                 id="tls:valid"),
            dict(tls_item(servers["tls_expiring"], servers["ca_file"], days_warn_below=30, days_fail_below=7),
                 id="tls:expiring"),
        ],
        golive_dns_records=[dict(name="api.shop.test", type="A", values=["10.0.0.10", "10.0.0.11"],
                                 nameserver="127.0.0.1", nameserver_port=servers["dns_port"])],
        golive_ports=[
            dict(host="127.0.0.1", port=servers["ssh_port"], banner_regex="^SSH-2\\.0-"),
            dict(host="127.0.0.1", port=servers["closed_port"], state="closed", id="tcp_port:database-closed"),
        ],
    )
    web01 = dict(
        golive_http_endpoints=[dict(url=servers["http"] + "/health",
                                    json_query=[dict(query="status", equals="healthy")])],
        golive_http_security=[dict(url=servers["https"] + "/hsts-short", ca_file=servers["https_ca_file"],
                                   hsts_min_age="1d", severity="medium")],
        golive_smtp_servers=[dict(host="127.0.0.1", port=servers["smtp_port"], ehlo_name="probe.shop.test")],
        golive_time_sync=[dict(ntp_servers=[servers["ntp"]], offset_warn_above="1s", offset_fail_above="5m")],
        golive_load_tests=[dict(path=servers["locust_stats"], max_age="1h", min_requests=1,
                                error_rate_fail_above="60%")],
        golive_vulnerability_scans=[
            dict(url=servers["reports"] + "/pip-audit.json", max_age="1h", ignore=[
                dict(id="CVE-2019-10906", reason="the Jinja2 sandbox is not used"),
                dict(id="PYSEC-2018-28", reason="no redirect to http", expires="2999-12-31")]),
            dict(path=servers["npm_audit"], severity="medium"),
        ],
    )
    lb01["golive_load_tests"] = [dict(url=servers["reports"] + "/k6-summary.json", p95_warn_above="200ms")]
    common = dict(ansible_connection="local", ansible_python_interpreter=sys.executable,
                  golive_disk_space=[], golive_system_resources=None)
    return {"all": {"vars": common, "hosts": {"lb01": lb01, "web01": web01}}}


class QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def evidence_reports(tmp_path):
    """Reports the real tools wrote: Locust's statistics of a run against a local app, pip-audit's and npm
    audit's JSON (their advisory databases stood in on loopback), and a k6 summary in k6's documented shape.
    The pip-audit report and the k6 summary are served over HTTP; the others are read on the host."""
    served = tmp_path / "served"
    for name in ("served", "locust", "pip", "npm"):
        (tmp_path / name).mkdir()
    with counting_app() as (url, _counts):
        locust_stats = run_locust(tmp_path / "locust", url, run_time="3s")
    shutil.copy(run_pip_audit(tmp_path / "pip"), served / "pip-audit.json")
    (served / "k6-summary.json").write_text(k6_summary(p95=215.95))
    return dict(served=str(served), locust_stats=locust_stats, npm_audit=run_npm_audit(tmp_path / "npm"))


@contextlib.contextmanager
def endpoint_servers(tmp_path):
    pki = MintedPKI()
    with contextlib.ExitStack() as stack:
        valid = tls_server(pki, "valid")
        stack.callback(valid.stop)
        expiring = tls_server(pki, "expiring")
        stack.callback(expiring.stop)
        dns = stack.enter_context(dns_server())
        ssh = stack.enter_context(tcp_server(greet(SSH_BANNER)))
        apps = stack.enter_context(running_apps())
        smtp_port = stack.enter_context(raw_server(*NO_STARTTLS))
        ntp = stack.enter_context(ntp_server())
        reports = evidence_reports(tmp_path)
        base = stack.enter_context(serving(functools.partial(QuietFiles, directory=reports["served"])))[0]
        yield dict(reports=base, locust_stats=reports["locust_stats"], npm_audit=reports["npm_audit"],
                   tls_valid=valid, tls_expiring=expiring, ca_file=pki.write_ca(str(tmp_path)), dns_port=dns.port,
                   ssh_port=ssh.port, closed_port=unused_port(), http=apps.http, https=apps.https,
                   https_ca_file=apps.ca_file, smtp_port=smtp_port,
                   ntp=ntp.address)


def run_golive(tmp_path, servers):
    inventory_path = tmp_path / "inventory.yml"
    inventory_path.write_text(yaml.safe_dump(inventory(servers)))
    report_dir = tmp_path / "report"
    env = dict(os.environ, GOLIVE_REPORT_DIR=str(report_dir), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "golive.yml",
                           "-i", str(inventory_path)], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=240, check=False)
    report = read_report(str(report_dir / "report.json")) if (report_dir / "report.json").exists() else None
    return proc, report


@pytest.mark.integration
def test_endpoint_checks_run_from_the_probe_and_land_under_their_hosts(tmp_path):
    with endpoint_servers(tmp_path) as servers:
        proc, report = run_golive(tmp_path, servers)
    output = proc.stdout + proc.stderr
    assert report is not None, output[-4000:]
    statuses = dict(((c["host"], c["id"]), c["status"]) for c in report["checks"])
    probes = dict(((c["host"], c["id"]), c.get("probe")) for c in report["checks"])
    expected = {
        ("lb01", "tls:valid"): "pass",
        ("lb01", "tls:expiring"): "warn",
        ("lb01", "dns_record:api.shop.test A"): "pass",
        ("lb01", f'tcp_port:127.0.0.1:{servers["ssh_port"]}'): "pass",
        ("lb01", "tcp_port:database-closed"): "pass",
        ("web01", "http_endpoint:GET {}/health".format(servers["http"])): "pass",
        ("web01", "http_endpoint:GET {}/hsts-short".format(servers["https"])): "fail",
        ("web01", f'smtp_server:127.0.0.1:{servers["smtp_port"]}'): "fail",
    }
    for key, status in expected.items():
        assert statuses.get(key) == status, (key, statuses.get(key), sorted(statuses))
        assert probes[key] == "localhost", (key, probes[key])
    # time_sync is a host check: it runs on the host itself, not from the probe.
    [time_sync] = [c for c in report["checks"] if c["kind"] == "time_sync"]
    assert (time_sync["host"], time_sync["status"], time_sync.get("probe")) == ("web01", "pass", None)
    # The evidence kinds run where their items say: a path on the host, a url from the probe.
    evidence = dict(((c["host"], c["id"]), (c["status"], c.get("probe"))) for c in report["checks"]
                    if c["kind"] in ("load_test", "vulnerability_scan"))
    assert evidence == {
        ("web01", "load_test:{}".format(servers["locust_stats"])): ("pass", None),
        ("lb01", "load_test:{}/k6-summary.json".format(servers["reports"])): ("warn", "localhost"),
        ("web01", "vulnerability_scan:{}/pip-audit.json".format(servers["reports"])): ("pass", "localhost"),
        ("web01", "vulnerability_scan:{}".format(servers["npm_audit"])): ("fail", None),  # medium: not blocking
    }, output[-4000:]
    # The SMTP server offers no STARTTLS (high severity): blocking. The weak HSTS is medium: a warning.
    assert report["verdict"] == "NO-GO"
    assert [(b["host"], b["id"]) for b in report["blocking"]] == [
        ("web01", f'smtp_server:127.0.0.1:{servers["smtp_port"]}')]
    assert proc.returncode != 0
    assert "GOLIVE VERDICT: NO-GO" in output
