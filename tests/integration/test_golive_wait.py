"""golive_wait: right after a deploy, the golive playbook waits for the checks that do not pass yet.

Real services come up during real ``ansible-playbook`` runs: a front answering 502 until its app (``python -m
http.server``, a process of its own) is up, for the host's own checks (verify over SSH on web01) and for the
endpoint checks (verify on the probe host, the controller). Nothing here bounds a run's time tighter than
its subprocess timeout; what is counted are rounds, which a loaded machine does not change.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest
import yaml
from late_services import LateApp, http_server_process, served_directory, unused_port
from playbook_runs import REPO, RUN_TIMEOUT, ansible_tool, checks_by_host, clean_environment
from test_verdict_integrity_numbers import assert_stopped_before_any_host, run_recorded

HOST_FRONT = "http_endpoint:host-front"
PROBE_FRONT = "http_endpoint:probe-front"
EARLY = "http_endpoint:early"


def coming_up_vars(host_app, probe_app, early_port):
    """web01's checklist: host and endpoint checks of services that come up mid-wait, and two that are up."""
    return dict(
        golive_disk_space=[dict(path="/", free_fail_below="1%", inodes_free_fail_below="1%")],
        golive_system_resources=None,
        golive_app_processes=[dict(cmdline_regex=rf"http\.server {host_app.app_port}\b", id="process:late-app")],
        # Any kind runs on the host through golive_extra_checks: the host's own view of its front.
        golive_extra_checks=[dict(kind="http_endpoint", url=f"http://127.0.0.1:{host_app.front_port}/",
                                  id=HOST_FRONT)],
        golive_http_endpoints=[dict(url=f"http://127.0.0.1:{probe_app.front_port}/", id=PROBE_FRONT),
                               dict(url=f"http://127.0.0.1:{early_port}/", id=EARLY)],
        golive_ports=[dict(host="127.0.0.1", port=probe_app.app_port, id="tcp_port:probe-app")],
    )


@pytest.mark.integration
def test_services_coming_up_mid_wait_are_go_with_their_rounds_counted(golive, tmp_path):
    directory = served_directory(tmp_path)
    early_port = unused_port()
    early = http_server_process(early_port, directory)
    try:
        with LateApp(directory) as host_app, LateApp(directory) as probe_app:
            # The wait and the check timeout bound what is expected to pass, so they are generous: a loaded
            # machine can spend a minute before the probe play, which waits only for what is left of the wait,
            # and the call ends as soon as every check passes.
            run = golive.run("-e", "golive_wait=300s", "-e", "golive_check_timeout=60s", hosts=["web01"],
                             label="coming-up",
                             host_vars={"web01": coming_up_vars(host_app, probe_app, early_port)})
    finally:
        early.terminate()
        early.wait(10)
    assert run.returncode == 0 and run.verdict == "GO", run.tail()
    checks = checks_by_host(run.report)["web01"]
    assert all(check["status"] == "pass" for check in checks.values()), checks
    # Each front answered 502 to its first request, so its check needed more than one round: on the host
    # (its verify call) and on the probe (the controller's verify call, after the host play).
    assert checks[HOST_FRONT]["rounds"] > 1 and "probe" not in checks[HOST_FRONT]
    assert checks[PROBE_FRONT]["rounds"] > 1 and checks[PROBE_FRONT]["probe"] == "localhost"
    # Up from the start: one round each.
    assert checks["disk_space:/"]["rounds"] == 1
    assert checks[EARLY]["rounds"] == 1
    # The app processes started during the wait; their checks passed in the end, whichever round.
    assert checks["process:late-app"]["rounds"] >= 1 and checks["tcp_port:probe-app"]["rounds"] >= 1
    rounds = checks[HOST_FRONT]["rounds"]
    assert "Waited for (more than one round):" in run.stdout
    assert f"  web01 {HOST_FRONT}: pass after {rounds} rounds" in run.stdout
    assert f"ran {rounds} rounds while waiting" in run.junit
    assert f"_({rounds} rounds)_" in run.report_text("report.md")
    assert f'<span class="under">{rounds} rounds</span>' in run.report_text("report.html")


@pytest.mark.integration
def test_a_service_that_never_comes_up_is_no_go_after_one_wait_with_its_rounds_counted(golive):
    wait, timeout = 10, 5
    host_vars = dict(
        golive_disk_space=[dict(path="/", free_fail_below="1%", inodes_free_fail_below="1%")],
        golive_system_resources=None,
        golive_app_processes=[dict(cmdline_regex=r"golive-never-started-app\b", id="process:never")],
        golive_http_endpoints=[dict(url=f"http://127.0.0.1:{unused_port()}/health", id="http_endpoint:never")],
    )
    run = golive.run("-e", f"golive_wait={wait}s", "-e", f"golive_check_timeout={timeout}s", hosts=["web01"],
                     label="never-up", host_vars={"web01": host_vars})
    assert run.returncode != 0 and run.verdict == "NO-GO", run.tail()
    checks = checks_by_host(run.report)["web01"]
    assert checks["disk_space:/"]["status"] == "pass" and checks["disk_space:/"]["rounds"] == 1
    never = checks["process:never"]
    assert never["status"] == "fail" and never["blocking"], never
    # Rounds due at about 0, 2, 6 and 10 s (the wait's end); never fewer than the first and the last.
    assert never["rounds"] >= 2, never
    # From the first round to the last, which is due at the wait's end; and bounded by the wait, one
    # check timeout and the few seconds a loaded machine may start the last round late (generously).
    assert wait * 1000 / 2 <= never["duration_ms"] <= (wait + timeout + 30) * 1000, never
    # The probe's call comes after the host's, which spent the whole wait: nothing is left, so it does not
    # wait (its records carry no rounds) and runs its checks once: the run waits golive_wait once, not per play.
    probed = checks["http_endpoint:never"]
    assert probed["status"] == "error" and "rounds" not in probed and probed["probe"] == "localhost", probed


@pytest.mark.integration
def test_a_wait_that_is_not_a_duration_stops_the_run_before_any_host_naming_its_variable(golive, tmp_path):
    run, calls = run_recorded(golive, tmp_path, "-e", "golive_wait=forever")
    assert_stopped_before_any_host(
        run, calls, "golive_wait: wait: 'forever' is not a number with an optional unit (allowed: 0s to 24h)")
    assert "Traceback" not in run.output


def run_module_task(tmp_path, name, task):
    """One task of a check module used on its own, in a play on the controller; its registered result."""
    result_path = os.path.join(str(tmp_path), f"{name}.json")
    keep = {"ansible.builtin.copy": dict(content="{{ checked | to_json }}", dest=result_path)}
    playbook = [dict(hosts="localhost", gather_facts=False, tasks=[
        dict(task, register="checked", ignore_errors=True), dict(name="Keep the result", **keep)])]
    playbook_path = os.path.join(str(tmp_path), f"{name}.yml")
    with open(playbook_path, "w") as handle:
        yaml.safe_dump(playbook, handle)
    env = clean_environment()
    env["GOLIVE_REPORT_DIR"] = os.path.join(str(tmp_path), f"{name}-report")
    completed = subprocess.run([ansible_tool("ansible-playbook"), playbook_path], cwd=REPO, env=env,
                               stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=RUN_TIMEOUT,
                               check=False)
    assert os.path.isfile(result_path), completed.stdout[-4000:] + completed.stderr[-4000:]
    with open(result_path) as handle:
        return json.load(handle)


@pytest.mark.integration
def test_a_check_module_on_its_own_waits_too(tmp_path):
    directory = served_directory(tmp_path)
    with LateApp(directory) as app:
        came_up = run_module_task(tmp_path, "came-up", {"golive.readiness.http_endpoint": dict(
            wait="300s", wait_interval="500ms",
            checks=[dict(url=f"http://127.0.0.1:{app.front_port}/", timeout="60s")])})
    assert not came_up.get("failed"), came_up
    [record] = came_up["golive_checks"]
    assert record["status"] == "pass" and record["rounds"] > 1

    never = run_module_task(tmp_path, "never", {"golive.readiness.tcp_port": dict(
        wait="3s", wait_interval="500ms", wait_max_interval="1s", checks=[dict(host="127.0.0.1", port=unused_port())])})
    assert never["failed"], never
    [record] = never["golive_checks"]
    assert record["status"] == "fail" and record["rounds"] >= 2
