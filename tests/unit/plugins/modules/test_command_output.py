"""command_output end to end: real `ansible localhost -m golive.readiness.command_output` and verify runs."""

from __future__ import annotations

import sys
import time

from ansible_collections.golive.readiness.plugins.module_utils._checks import command_output

from ._adhoc import ansible_run, assert_documents_options

TOKEN = "tok-9c1e07b5d4e28a6c9b0d17e2"
NODES = ("import json; print(json.dumps({'items': [{'name': 'a', 'ready': True}, {'name': 'b', 'ready': True}, "
         "{'name': 'c', 'ready': False}]}))")


def test_module_runs_commands_and_evaluates_json():
    done, result = ansible_run("command_output", {"fail_on": ["error"], "checks": [
        {"name": "nodes", "argv": [sys.executable, "-c", NODES],
         "json_query": [{"query": "length(items[?ready])", "min": 2}, {"query": "items[?!ready].name", "length": 0}]},
        {"name": "token-length", "cmd": 'printf "%s" "$API_TOKEN" | wc -c', "shell": True,
         "env": {"API_TOKEN": TOKEN}, "stdout_regex": rf"^\s*{len(TOKEN)}$"},
    ]}, verbose=True)
    assert TOKEN not in done.stdout + done.stderr  # env is no_log: not even in the -vvv invocation
    assert done.returncode == 0, done.stdout
    nodes, token = result["golive_checks"]
    assert nodes["id"] == "command_output:nodes"
    assert nodes["status"] == "fail"
    assert nodes["summary"] == 'items[?!ready].name has length 1, expected 0'
    assert token["status"] == "pass", token["observed"]


def test_timeout_through_the_module_is_an_error_quickly():
    started = time.monotonic()
    done, result = ansible_run("command_output", {"checks": [
        {"name": "hangs", "argv": ["sleep", "120"], "timeout": "1s"}]})
    assert time.monotonic() - started < 60  # the command sleeps 120 s: only the 1 s timeout ends it
    assert done.returncode == 2
    [record] = result["golive_checks"]
    assert record["status"] == "error"
    assert record["summary"].startswith("timed out after ")


def test_both_argv_and_cmd_fail_the_task_naming_the_options():
    done, result = ansible_run("command_output", {"checks": [{"argv": ["true"], "cmd": "true"}]})
    assert done.returncode == 2
    assert result["msg"].endswith("argv/cmd: give one of them, not both")


def test_verify_runs_command_output_in_a_mixed_list(tmp_path):
    done, result = ansible_run("verify", {"fail_on": [], "checks": [
        {"kind": "command_output", "name": "exit-3", "argv": ["sh", "-c", "exit 3"]},
        {"kind": "command_output", "name": "lines", "argv": ["printf", '{"a": 1}\n{"a": 2}\n'], "json_lines": True,
         "json_query": [{"query": "[*].a", "equals": [1, 2]}]},
        {"kind": "env_vars", "source": "module", "required": ["PATH"]},
        {"kind": "python_runtime"},
        {"kind": "disk_space", "path": "/"},
    ]})
    assert done.returncode == 0, done.stdout
    assert [(r["id"], r["status"]) for r in result["golive_checks"]] == [
        ("command_output:exit-3", "fail"), ("command_output:lines", "pass"), ("env_vars:module", "pass"),
        ("python_runtime:self", "pass"), ("disk_space:/", "pass")]


def test_verify_hides_no_log_item_options_at_high_verbosity():
    done = ansible_run("verify", {"checks": [
        {"kind": "command_output", "argv": ["true"], "env": {"API_TOKEN": TOKEN}}]}, verbose=True)[0]
    assert TOKEN not in done.stdout + done.stderr


def test_module_documentation_renders_every_option():
    doc = assert_documents_options("command_output", command_output)
    assert doc["requirements"] == ["jmespath (on the managed host, only for I(json_query))"]
    assert command_output.OPTIONS["env"]["no_log"] is True
