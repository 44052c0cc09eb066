"""alertmanager end to end: real `ansible localhost -m golive.readiness.alertmanager` runs against a real
Alertmanager and a stand-in that is not ready; the password must appear nowhere in the output or the log."""

from __future__ import annotations

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._checks import alertmanager
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._ports import unused_port
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._prometheus_servers import (
    PASSWORD,
    monitoring_stack,
)

from ._adhoc import ansible_run, ansible_run_logged, assert_documents_options


@pytest.fixture(scope="module")
def stack():
    with monitoring_stack(prometheus=False) as running:
        yield running


def run_logged(tmp_path, args):
    done, result, written = ansible_run_logged("alertmanager", tmp_path, args)
    assert PASSWORD not in written
    return done, result


def test_receivers_and_routes_pass_and_the_password_stays_hidden(stack, tmp_path):
    done, result = run_logged(tmp_path, {"checks": [
        {"url": stack.alertmanager.url, "username": "probe", "password": PASSWORD,
         "required_receivers": ["pager", "db-oncall"],
         "required_routes": [{"receiver": "pager", "labels": {"severity": "critical"}},
                             {"receiver": "db-oncall", "labels": {"team": "db", "env": "prod"}},
                             {"receiver": "audit"}]},
    ]})
    assert done.returncode == 0, done.stdout
    [record] = result["golive_checks"]
    assert record["status"] == "pass", record["summary"]
    assert record["id"] == f"alertmanager:{stack.alertmanager.url}"
    assert (record["section"], record["severity"]) == ("monitoring", "high")


def test_missing_route_not_ready_and_refused_fail_the_task(stack, tmp_path):
    port = unused_port()
    done, result = run_logged(tmp_path, {"checks": [
        {"url": stack.alertmanager.url, "required_routes": [{"receiver": "sms"}]},
        {"url": stack.exporter.url, "username": "probe", "password": PASSWORD},
        {"url": f"http://127.0.0.1:{port}"},
    ]})
    assert done.returncode == 2
    assert [(r["status"], r["summary"]) for r in result["golive_checks"]] == [
        ("fail", "no route sends to receiver sms"),
        ("fail", "not ready: /-/ready answered HTTP 503 Service Unavailable: Alertmanager is not ready yet"),
        ("error", f"connection refused by 127.0.0.1:{port}"),
    ]


def test_bad_option_fails_the_task_naming_it():
    done, result = ansible_run("alertmanager", {"checks": [
        {"url": "http://127.0.0.1:9093", "required_routes": [{"receiver": "pager", "labels": {"bad-label": "x"}}]}]})
    assert done.returncode == 2
    assert result["msg"] == ("invalid check options: checks[0]: required_routes[0]: labels: 'bad-label' is not a "
                             "label name")
    assert "Traceback" not in done.stdout + done.stderr


def test_module_documentation_renders_every_option():
    doc = assert_documents_options("alertmanager", alertmanager)
    assert doc["requirements"] == ["PyYAML (on the probe host)"]
    assert alertmanager.OPTIONS["password"]["no_log"] is True
