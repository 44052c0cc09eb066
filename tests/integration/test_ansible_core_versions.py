"""The ansible-core releases the collection supports run golive.yml; an older one is refused by name.

scripts/setup creates a virtualenv with the previous supported minor (.venv-core2.18, with the collection's
controller dependencies) and one with the newest unsupported release (.venv-core2.17); each runs the real
golive.yml over a one-host inventory on this machine.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest
import yaml
from playbook_runs import REPO, RUN_TIMEOUT, checks_by_host, clean_environment, printed_verdict, read_report

pytestmark = pytest.mark.integration

MISSING = "/nonexistent/golive-core-versions"
INVENTORY = {"all": {
    "vars": {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"},
    "hosts": {"app01": {
        "golive_disk_space": [{"path": "/", "free_fail_below": "1%", "inodes_free_fail_below": "1%"}],
        "golive_system_resources": {"cpus_fail_below": 1, "load_per_core_warn_above": 50,
                                    "memory_available_fail_below": "1%"},
        "golive_paths": [{"path": "/etc/passwd", "state": "file"},
                         {"path": MISSING, "state": "file", "severity": "medium"}],
    }},
}}
SUPPORTED = "ansible-core 2.18 or later (requires_ansible >=2.18.0; tested with 2.18 and 2.19)"


def core_venv(name):
    venv = os.path.join(REPO, name)
    if not os.path.isfile(os.path.join(venv, "bin", "ansible-playbook")):
        pytest.fail(f"{name} is missing: scripts/setup creates it")
    return venv


def run_golive(venv, tmp_path, inventory_data=None):
    """golive.yml with the ansible-playbook of ``venv`` over a one-host inventory; (completed, report dir)."""
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump(INVENTORY if inventory_data is None else inventory_data))
    report_dir = str(tmp_path / "report")
    env = dict(clean_environment(), GOLIVE_REPORT_DIR=report_dir)
    env["PATH"] = os.path.join(venv, "bin") + os.pathsep + env["PATH"]
    env.pop("VIRTUAL_ENV", None)
    completed = subprocess.run([os.path.join(venv, "bin", "ansible-playbook"), "golive.yml", "-i", str(inventory)],
                               cwd=REPO, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                               timeout=RUN_TIMEOUT * 2, check=False)
    return completed, report_dir


def ansible_core_version(venv):
    done = subprocess.run([os.path.join(venv, "bin", "python"), "-c",
                           "from ansible.release import __version__; print(__version__)"],
                          capture_output=True, text=True, check=True, timeout=60)
    return done.stdout.strip()


def test_the_previous_minor_runs_golive_to_its_verdict_and_report(tmp_path):
    venv = core_venv(".venv-core2.18")
    assert ansible_core_version(venv).startswith("2.18.")
    completed, report_dir = run_golive(venv, tmp_path)
    output = completed.stdout + completed.stderr

    assert completed.returncode == 0, output
    assert printed_verdict(completed.stdout) == "GO WITH WARNINGS", output
    assert "[WARNING]" not in output, output
    report = read_report(os.path.join(report_dir, "report.json"))
    assert report["verdict"] == "GO WITH WARNINGS"
    assert report["run"]["ansible_version"].startswith("2.18.")
    checks = checks_by_host(report)["app01"]
    assert checks["disk_space:/"]["status"] == "pass"
    assert checks["path:/etc/passwd"]["status"] == "pass"
    assert checks[f"path:{MISSING}"]["status"] == "fail"
    assert [(w["host"], w["id"]) for w in report["warnings"]] == [("app01", f"path:{MISSING}")]


def test_the_previous_minor_names_the_variable_item_and_option_of_a_bad_setting(tmp_path):
    bad = yaml.safe_load(yaml.safe_dump(INVENTORY))
    bad["all"]["hosts"]["app01"]["golive_disk_space"] = [{"path": "/", "free_warn_below": "20XB"}]
    completed, _report_dir = run_golive(core_venv(".venv-core2.18"), tmp_path, bad)
    output = " ".join((completed.stdout + completed.stderr).split())

    assert completed.returncode != 0, output
    assert "golive_disk_space[0] (disk_space): free_warn_below: unknown size unit 'xb' in '20XB'" in output, output
    assert "Traceback" not in output and "cannot be templated" not in output, output


def test_an_unsupported_release_is_refused_by_the_gate_and_the_callback_naming_the_supported_range(tmp_path):
    venv = core_venv(".venv-core2.17")
    version = ansible_core_version(venv)
    assert version.startswith("2.17.")
    completed, report_dir = run_golive(venv, tmp_path)
    output = completed.stdout + completed.stderr
    refusal = f"golive.readiness needs {SUPPORTED}; this is ansible-core {version}. Upgrade ansible-core."

    assert completed.returncode != 0, output
    # The gate's policy stage, the run's first golive task, fails the play with the refusal.
    fatal = [line for line in completed.stdout.splitlines() if line.startswith("fatal: [app01")]
    assert len(fatal) == 1, output
    assert json.loads(fatal[0].split("FAILED! => ", 1)[1])["msg"] == refusal
    # The report callback gives no verdict and writes no report, and says why.
    assert f"GOLIVE VERDICT NOT GIVEN: {refusal}" in completed.stdout.splitlines(), output
    assert printed_verdict(completed.stdout) is None
    assert "has no attribute" not in output
    assert not os.path.exists(os.path.join(report_dir, "report.json"))
