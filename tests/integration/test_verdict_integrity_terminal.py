"""The terminal tells the truth: text planted in checked systems cannot forge a line (real ansible-playbook runs).

Real runs over the loopback SSH hosts; the planted text comes from a real command's output, from check ids and
titles in the inventory, and from a tiny HTTP server on 127.0.0.1 (its reason phrase and a JSON field).
"""

from __future__ import annotations

import json
import re
from http.server import BaseHTTPRequestHandler

import pytest
from loopback_http import serve_http
from playbook_runs import HEALTHY_VARS, VERIFY_TASK, hosts_of_task

pytestmark = pytest.mark.integration

FORGED_LINE = "GOLIVE VERDICT: GO"
# What a hostile system answers: a line break, then a fake verdict, an escape sequence and a bidi override.
PLANTED = "ok\nGOLIVE VERDICT: GO \x1b[32mall green\x1b[0m \u202eoG\u202c"
UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
ANY_VERDICT_LINE = re.compile(r"^\W*GOLIVE VERDICT")


class PlantingHandler(BaseHTTPRequestHandler):
    """/reason answers 503 with a planted reason phrase; /json answers 200 with a planted JSON field."""

    # HTTP/1.1 with a length: http_endpoint's own client fails (EBADF) on an HTTP/1.0 answer that closes.
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        if self.path == "/reason":
            # A status line is latin-1 and cannot hold a line break: the escape sequence is what gets through.
            self.send_response(503, "Unavailable \x1b]0;owned\x07\x1b[2J GOLIVE VERDICT: GO")
            body = b"{}"
        else:
            self.send_response(200)
            body = json.dumps({"state": PLANTED}).encode()
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def planting_server():
    with serve_http(PlantingHandler) as url:
        yield url


def planted_vars(server):
    variables = dict(HEALTHY_VARS)
    variables.update(
        golive_commands=[dict(name="banner", argv=["printf", "%s", PLANTED], stdout_regex="^never$",
                              id="banner" + PLANTED, title="Banner" + PLANTED)],
        golive_http_endpoints=[
            dict(url=server + "/reason", timeout="30s"),
            dict(url=server + "/json", json_query=[dict(query="state", equals="ok")], timeout="30s"),
        ],
    )
    return variables


def verdict_lines(run):
    """Every line of stdout, then of stderr, that starts (after any decoration) with GOLIVE VERDICT.

    str.splitlines() also splits at the separators some terminals and tools break lines at (U+2028, U+0085).
    """
    return [line for stream in (run.stdout, run.stderr) for line in stream.splitlines()
            if ANY_VERDICT_LINE.match(line)]


def summary_of(run):
    return run.stdout[run.stdout.index("\nGOLIVE VERDICT: NO-GO"):]


def assert_output_is_inert(run):
    found = sorted(set(UNSAFE.findall(run.output)))
    assert found == [], f"raw control or bidi characters {found!r} in the output\n{run.tail()}"


@pytest.mark.parametrize("verbosity", [None, "-vvv"])
def test_forged_verdicts_from_checked_systems_never_reach_the_start_of_a_line(golive, planting_server, verbosity):
    run = golive.run(*([verbosity] if verbosity else []), hosts=["web01"], group_vars=planted_vars(planting_server),
                     label="forged")
    assert run.returncode != 0, run.tail()
    assert run.report["verdict"] == "NO-GO"
    assert verdict_lines(run)[0].startswith("GOLIVE VERDICT: NO-GO "), run.tail()
    assert [line.split(" *")[0] for line in verdict_lines(run)] == ["GOLIVE VERDICT: NO-GO"], run.tail()
    assert_output_is_inert(run)
    # The planted text did reach the terminal, escaped, inside the lines of the real verdict.
    summary = summary_of(run)
    assert "web01 banner" + "ok\\nGOLIVE VERDICT: GO \\x1b[32mall green\\x1b[0m \\u202eoG\\u202c" in summary
    assert "Unavailable \\x1b]0;owned\\x07\\x1b[2J GOLIVE VERDICT: GO" in summary
    assert "fail: state is ok\\nGOLIVE VERDICT: GO \\x1b[32mall green" in summary
    assert summary.count("\n") < 30, summary
    # One host is one host.
    assert re.search(r"^\d+ checks on 1 host: ", summary, re.MULTILINE), summary


def test_the_gate_failure_is_one_short_line(golive, planting_server):
    run = golive.run(hosts=["web01"], group_vars=planted_vars(planting_server), label="gate")
    assert run.returncode != 0, run.tail()
    fatal = [line for line in run.output.splitlines() if line.startswith("fatal: [localhost]: FAILED! => ")]
    assert len(fatal) == 1, run.tail()
    result = json.loads(fatal[0].split(" => ", 1)[1])
    assert result["msg"] == "NO-GO: 3 blocking items on 1 host", run.tail()
    assert sorted(result) == ["changed", "golive_gate", "msg"]
    assert sorted(result["golive_gate"]) == ["blocking_severities", "verdict"]
    assert len(fatal[0]) < 200, fatal[0]
    # Ansible's own error line carries the same one line, and nothing of the checked systems' text.
    errors = [line for line in run.output.splitlines() if line.startswith("[ERROR]: ")]
    assert errors == ["[ERROR]: Task failed: Action failed: NO-GO: 3 blocking items on 1 host"], run.tail()


UNKNOWN_OPTION = "option_that_does_not_exist_" + "x" * 40


@pytest.mark.parametrize("shared", [False, True], ids=["one-host", "two-hosts-share-it"])
def test_a_configuration_error_is_printed_once_and_whole(golive, shared):
    bad = dict(name="bad", argv=["true"], expect_rc="zero \u202e", stdout_regex="^x$", **{UNKNOWN_OPTION: 1})
    if shared:  # in group_vars: both hosts hold the same item
        run = golive.run(hosts=["web01", "web02"], group_vars=dict(HEALTHY_VARS, golive_commands=[bad]),
                         label="config-shared")
    else:
        run = golive.run(hosts=["web01", "web02"], group_vars=dict(HEALTHY_VARS), label="config",
                         host_vars={"web02": dict(golive_commands=[bad])})
    assert run.returncode != 0, run.tail()
    assert run.report["verdict"] == "NO-GO"
    assert_output_is_inert(run)
    # Stopped on the controller, before any host was contacted.
    assert hosts_of_task(run.stdout, VERIFY_TASK) == [], run.tail()
    # The problem, whole (the option list is not cut), in the whole output once: Ansible prints it as the
    # policy task's warning, with or without the report callback.
    problem = "golive_commands[0] (command_output): unsupported option " + UNKNOWN_OPTION + " (supported: argv, "
    assert run.output.count(problem) == 1, run.tail()
    [line] = [line for line in run.output.splitlines() if problem in line]
    hosts = "web01, web02" if shared else "web02"
    assert line.startswith("[WARNING]: " + problem), line
    assert line.endswith(f"target, timeout, title) (in the variables of {hosts})"), line
    assert run.output.count(UNKNOWN_OPTION) == 1, run.tail()
    # The task's message, the report and its summary count it and say where it is.
    count = "invalid check settings in golive_commands[0] (command_output): 1 problem, printed above as a warning"
    (failed,) = run.report["failed_tasks"]
    assert failed["message"] == count, failed
    # The report keeps the problem itself (the terminal printed it once, as the task's warning).
    [detail] = failed["details"]
    assert detail == line[len("[WARNING]: "):], detail
    markdown = run.report_text("report.md")
    assert "unsupported option " + UNKNOWN_OPTION.replace("_", "\\_") + " \\(supported: argv" in markdown, markdown
    summary = summary_of(run)
    assert 'task "Check the go-live policy and the run\'s scope" failed: ' + count in summary, summary
    assert "its check task failed" not in summary, summary
