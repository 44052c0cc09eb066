"""command_output: real commands, real JSON output, real timeouts with the child really gone afterwards."""

from __future__ import annotations

import os
import sys
import textwrap
import time

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._checks import command_output
from ansible_collections.golive.readiness.plugins.module_utils._runner import PreparedCheck, run_checks

from ._kind_runner import run_item as run_kind_item
from ._kind_runner import validated_item

PY = sys.executable

# Shaped like `kubectl get nodes -o json`: two Ready nodes and one NotReady.
KUBECTL_NODES = textwrap.dedent("""\
    import json
    def node(name, ready):
        return {"metadata": {"name": name, "labels": {"node-role.kubernetes.io/worker": ""}},
                "status": {"conditions": [
                    {"type": "MemoryPressure", "status": "False"},
                    {"type": "Ready", "status": "True" if ready else "False"}]}}
    print(json.dumps({"apiVersion": "v1", "kind": "List",
                      "items": [node("node-a", True), node("node-b", True), node("node-c", False)]}, indent=2))
    """)
NOT_READY = "items[?status.conditions[?type == 'Ready' && status != 'True']].metadata.name"


def validated(item):
    return validated_item(command_output, item)


def check(item, timeout=10.0):
    record = run_kind_item(command_output, item, timeout)
    return record


def pid_exists(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as handle:
        return handle.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has already died


def wait_gone(pid, within=3.0):
    until = time.monotonic() + within
    while pid_exists(pid) and time.monotonic() < until:
        time.sleep(0.05)
    return not pid_exists(pid)


# --- exit codes and regular expressions ----------------------------------------------------------

def test_passing_command_records_rc_output_and_assertions():
    record = check(dict(argv=[PY, "-c", "import sys; print('migrations: all applied'); "
                                        "sys.stderr.write('using settings prod\\n')"],
                        stdout_regex="^migrations: all applied$", stdout_not_regex=r"\[ \]",
                        stderr_regex="settings prod", name="migrations"))
    assert record["id"] == "command_output:migrations"
    assert record["title"] == "Command migrations"
    assert record["status"] == "pass", record["summary"]
    observed = record["observed"]
    assert observed["rc"] == 0
    assert observed["stdout"] == "migrations: all applied\n"
    assert observed["stderr"] == "using settings prod\n"
    assert observed["stdout_bytes"]["value"] == 24 and observed["stdout_truncated"] is False
    assert observed["assertions"] == [
        dict(assertion="rc in [0]", passed=True),
        dict(assertion="stdout matches /^migrations: all applied$/", passed=True),
        dict(assertion="stdout does not match /\\[ \\]/", passed=True),
        dict(assertion="stderr matches /settings prod/", passed=True),
    ]
    assert record["summary"] == "exit code 0; 4 of 4 assertions hold"
    assert record["expected"]["rc"] == [0]


def test_command_exiting_3_fails_unless_expected():
    item = dict(argv=[PY, "-c", "import sys; print('degraded'); sys.exit(3)"])
    record = check(item)
    assert record["id"] == f"command_output:{PY} -c import sys; print('degraded'); sys.exit(3)"
    assert record["status"] == "fail"
    assert record["observed"]["rc"] == 3
    assert record["summary"] == "exit code 3 (expected 0)"
    assert check(dict(item, expect_rc=[0, 3]))["status"] == "pass"
    assert check(dict(item, expect_rc=3))["status"] == "pass"
    assert check(dict(item, expect_rc="0,3"))["status"] == "pass"
    assert check(dict(item, expect_rc=[1, 2]))["summary"] == "exit code 3 (expected 1 or 2)"


def test_regex_mismatches_fail():
    record = check(dict(argv=["printf", "[ ] 0042_add_index\n[X] 0041_initial\n"], stdout_regex="^all applied",
                        stdout_not_regex=r"^\[ \]", stderr_regex="."))
    assert record["status"] == "fail"
    assert record["summary"] == ("stdout does not match /^all applied/; stdout matches /^\\[ \\]/; "
                                 "stderr does not match /./")
    assert [a["passed"] for a in record["observed"]["assertions"]] == [True, False, False, False]


def test_cmd_is_split_without_a_shell_or_run_through_one():
    split = check(dict(cmd="printf '%s|' 'two words' $HOME", stdout_regex=r"^two words\|\$HOME\|$"))
    assert split["status"] == "pass", split["observed"]
    shell = check(dict(cmd="printf 'a\\nb\\nc\\n' | wc -l", shell=True, stdout_regex=r"^\s*3$"))
    assert shell["id"] == "command_output:printf 'a\\nb\\nc\\n' | wc -l"
    assert shell["status"] == "pass", shell["observed"]


def test_chdir_and_env_reach_the_command(tmp_path):
    (tmp_path / "VERSION").write_text("2026.11.24-1\n")
    record = check(dict(argv=["sh", "-c", 'cat VERSION; printf "%s" "$GOLIVE_TOKEN" | wc -c'], chdir=str(tmp_path),
                        env={"GOLIVE_TOKEN": "s3cr3t-t0ken-value"}, stdout_regex=r"^2026\.11\.24-1\n\s*18$"))
    assert record["status"] == "pass", record["observed"]


def tree_of(directory):
    return sorted(os.path.relpath(os.path.join(root, name), directory)
                  for root, dirs, files in os.walk(directory) for name in dirs + files)


def test_python_commands_write_no_bytecode_into_the_checked_tree(tmp_path):
    (tmp_path / "app.py").write_text("import helper\nprint(helper.VALUE)\n")
    (tmp_path / "helper.py").write_text("VALUE = 42\n")
    before = tree_of(tmp_path)
    compiled = check(dict(argv=[PY, "-m", "py_compile", "app.py", "helper.py"], chdir=str(tmp_path)))
    compiled_all = check(dict(argv=[PY, "-m", "compileall", "-q", "."], chdir=str(tmp_path)))
    imported = check(dict(argv=[PY, "app.py"], chdir=str(tmp_path), stdout_regex="^42$"))
    assert [r["status"] for r in (compiled, compiled_all, imported)] == ["pass"] * 3
    assert tree_of(tmp_path) == before
    told = check(dict(argv=["sh", "-c", 'echo "$PYTHONDONTWRITEBYTECODE"; test -d "$PYTHONPYCACHEPREFIX" && echo ok'],
                      stdout_regex="^1\nok$"))
    assert told["status"] == "pass", told["observed"]["stdout"]


def test_output_is_kept_up_to_64_kib_and_shown_up_to_500_chars():
    record = check(dict(argv=[PY, "-c", "import sys; sys.stdout.write('x' * 300000)"], stdout_regex="^x+$"))
    assert record["status"] == "pass"
    observed = record["observed"]
    assert observed["stdout_bytes"]["value"] == 300000
    assert observed["stdout_truncated"] is True
    assert observed["stdout"] == "x" * 500 + "\u2026"
    captured = command_output.Captured()
    captured.add(b"a" * 70000)
    captured.add(b"b" * 10)
    assert len(captured.kept) == command_output.MAX_KEPT_BYTES and captured.total == 70010


# --- JSON assertions -----------------------------------------------------------------------------

def test_kubectl_like_json_with_a_not_ready_node():
    record = check(dict(name="kubernetes-nodes", argv=[PY, "-c", KUBECTL_NODES], json_query=[
        dict(query="length(items)", equals=3, min=3),
        dict(query="length(items[?status.conditions[?type == 'Ready' && status == 'True']])", min=2, max=10),
        dict(query=NOT_READY, length=0),
        dict(query="items[0].metadata.name", matches="^node-"),
        dict(query="items[?metadata.name == 'node-z']", truthy=True),
        dict(query="kind", equals="List", truthy=True),
    ]))
    assert record["status"] == "fail"
    results = record["observed"]["assertions"]
    assert [r["passed"] for r in results] == [True, True, True, False, True, False, True]
    assert results[3] == dict(query=NOT_READY, assertion="length 0", passed=False, actual='["node-c"]')
    assert results[5]["actual"] == "[]"
    assert record["summary"] == (f"{NOT_READY} has length 1, expected 0; items[?metadata.name == 'node-z'] is [], "
                                 "expected truthy")
    assert record["expected"]["json_query"][0] == dict(query="length(items)", assertion="equals 3, min 3")


def test_kubectl_like_json_all_assertions_hold():
    record = check(dict(argv=[PY, "-c", KUBECTL_NODES], json_query=[
        dict(query=f"length({NOT_READY})", max=1),
        dict(query="items[2].status.conditions[1].status", equals="False", matches="^F"),
        dict(query="items[*].metadata.name", matches="node-c"),
        dict(query="missing.path", truthy=False),
    ]))
    assert record["status"] == "pass", record["summary"]
    assert record["summary"] == "exit code 0; 5 of 5 assertions hold"


def test_assertion_type_mismatches_fail_with_a_reason():
    record = check(dict(argv=[PY, "-c", 'print(\'{"ready": true, "count": "3", "n": 1}\')'], json_query=[
        dict(query="ready", equals=1),
        dict(query="count", min=1),
        dict(query="n", length=1),
        dict(query="n", equals=1.0),
    ]))
    assert record["status"] == "fail"
    assert record["summary"] == ('ready is true, expected 1; count is 3, not a number (min 1); '
                                 'n is 1, which has no length')


def test_numbers_outside_min_and_max_fail():
    record = check(dict(argv=["printf", '{"ready": 1, "lag_seconds": 42.5}'], json_query=[
        dict(query="ready", min=2), dict(query="lag_seconds", max=30), dict(query="lag_seconds", min=0, max=60)]))
    assert record["status"] == "fail"
    assert record["summary"] == "ready is 1, below min 2; lag_seconds is 42.5, above max 30"
    assert [a["passed"] for a in record["observed"]["assertions"]] == [True, False, False, True]


def test_json_lines_like_docker_ps():
    lines = '{"Names":"web","State":"running"}\\n\\n{"Names":"worker","State":"running"}\\n' \
            '{"Names":"cron","State":"exited"}\\n'
    record = check(dict(argv=["printf", lines], json_lines=True, json_query=[
        dict(query="length(@)", equals=3),
        dict(query="[?State != 'running'].Names", equals=["cron"]),
        dict(query="[?State != 'running']", length=0),
    ]))
    assert record["status"] == "fail"
    assert record["summary"] == "[?State != 'running'] has length 1, expected 0"


def test_output_that_is_not_json_is_an_error():
    record = check(dict(argv=["printf", "error: the server could not be reached\n"], expect_rc=0,
                        json_query=[dict(query="items", truthy=True)]))
    assert record["status"] == "error"
    assert record["summary"].startswith("stdout is not JSON: Expecting value: line 1 column 1")
    record = check(dict(argv=["printf", '{"a": 1}\\nnot json\\n'], json_lines=True,
                        json_query=[dict(query="length(@)", equals=2)]))
    assert record["status"] == "error"
    assert record["summary"].startswith("stdout line 2 is not JSON")


def test_failing_command_with_unusable_output_reports_both():
    record = check(dict(argv=["sh", "-c", "echo 'connection refused' >&2; exit 1"],
                        json_query=[dict(query="items", truthy=True)]))
    assert record["status"] == "error"
    assert record["summary"] == ("stdout is not JSON: Expecting value: line 1 column 1 (char 0); "
                                 "exit code 1 (expected 0)")


def test_json_bigger_than_what_is_kept_is_an_error():
    record = check(dict(argv=[PY, "-c", "import json; print(json.dumps(['x' * 100] * 1000))"],
                        json_query=[dict(query="length(@)", equals=1000)]))
    assert record["status"] == "error"
    assert record["summary"] == "stdout is larger than 64 KiB; its JSON cannot be evaluated"


def test_query_failing_at_run_time_is_an_error():
    record = check(dict(argv=["printf", '{"items": null}'], json_query=[dict(query="length(items)", equals=0)]))
    assert record["status"] == "error"
    assert record["summary"].startswith("length(items) cannot be evaluated: ")


def test_missing_jmespath_is_an_error_with_the_standard_text_before_anything_runs(monkeypatch, tmp_path):
    ran = tmp_path / "ran"
    item = dict(argv=["sh", "-c", 'touch "$0"; printf "{}"', str(ran)], json_query=[dict(query="a", truthy=False)])
    params = validated(item)
    monkeypatch.setitem(sys.modules, "jmespath", None)  # what an import finds when it is not installed
    plan = command_output.prepare(params)
    [record] = run_checks([PreparedCheck(params, "command_output:x", "x", command_output, plan, 10)])
    assert record["status"] == "error"
    assert record["summary"].startswith("Failed to import the required Python library (jmespath)")
    assert not ran.exists()


# --- errors and timeouts -------------------------------------------------------------------------

def test_command_not_found_is_an_error(tmp_path):
    record = check(dict(argv=["golive-no-such-command", "--version"]))
    assert record["status"] == "error"
    assert record["summary"] == "command not found: golive-no-such-command"
    shell = check(dict(cmd="golive-no-such-command --version", shell=True))
    assert shell["status"] == "error"
    assert shell["summary"].startswith("command not found (the shell exited 127): ")
    assert check(dict(cmd="exit 127", shell=True, expect_rc=127))["status"] == "pass"
    assert check(dict(argv=["true"], chdir=str(tmp_path / "absent")))["summary"] == \
        f'chdir: {tmp_path / "absent"} is not a directory'
    script = tmp_path / "status"
    script.write_text("#!/bin/sh\necho ok\n")
    script.chmod(0o644)
    assert check(dict(argv=[str(script)]))["summary"] == f"cannot execute {script}: permission denied"


def test_command_outliving_its_timeout_is_killed_with_its_children(tmp_path):
    pids = tmp_path / "pids"
    script = 'echo $$ > "$1"; sleep 60 & echo $! >> "$1"; wait'
    started = time.monotonic()
    record = check(dict(argv=["sh", "-c", script, "sh", str(pids)]), timeout=1.0)
    elapsed = time.monotonic() - started
    assert record["status"] == "error"
    assert record["summary"].startswith("timed out after ")
    assert record["summary"].endswith("(time limit 1s); the command was killed")
    assert elapsed < 40  # the command sleeps 60 s
    shell_pid, sleep_pid = [int(line) for line in pids.read_text().split()]
    assert wait_gone(shell_pid), "the command is still running"
    assert wait_gone(sleep_pid), "the command's child is still running"


def test_command_closing_its_output_but_still_running_times_out():
    record = check(dict(argv=["sh", "-c", "exec >/dev/null 2>&1; sleep 60"]), timeout=0.5)
    assert record["status"] == "error"
    assert "timed out after" in record["summary"]


def test_background_child_keeping_the_output_open_does_not_hold_the_check(tmp_path):
    pid_file = tmp_path / "pid"
    script = 'echo started; sleep 120 & echo $! > "$1"; exit 0'
    started = time.monotonic()
    record = check(dict(argv=["sh", "-c", script, "sh", str(pid_file)], stdout_regex="^started$"), timeout=90)
    elapsed = time.monotonic() - started
    os.kill(int(pid_file.read_text()), 9)  # left behind by design; not by this test
    assert elapsed < 45  # the child holds the output for 120 s and the timeout is 90 s
    assert record["status"] == "pass"


# --- options -------------------------------------------------------------------------------------

@pytest.mark.parametrize("item, message", [
    (dict(), "argv/cmd: one of them is required"),
    (dict(argv=[]), "argv: must name a command"),
    (dict(argv=[""]), "argv: must name a command"),
    (dict(argv=["true"], cmd="true"), "argv/cmd: give one of them, not both"),
    (dict(argv=["true"], shell=True), "shell: only applies to cmd; argv runs without a shell"),
    (dict(cmd="  "), "cmd: must not be empty"),
    (dict(cmd="echo 'unbalanced"), "cmd: cannot split \"echo 'unbalanced\": No closing quotation"),
    (dict(argv=["true"], chdir="relative"), "chdir: 'relative' must be absolute"),
    (dict(argv=["true"], env={"A=B": "x"}), "env: 'A=B' is not a variable name"),
    (dict(argv=["true"], expect_rc="zero"), "expect_rc: 'zero' is not an exit code"),
    (dict(argv=["true"], expect_rc=[]), "expect_rc: must list at least one exit code"),
    (dict(argv=["true"], expect_rc=True), "expect_rc: True is not an exit code"),
    (dict(argv=["true"], stdout_regex="(unclosed"),
     "stdout_regex: '(unclosed' is not a valid regular expression: missing ), unterminated subpattern at position 0"),
    (dict(argv=["true"], stdout_not_regex="[a-"),
     "stdout_not_regex: '[a-' is not a valid regular expression: unterminated character set at position 0"),
    (dict(argv=["true"], stderr_regex="*"),
     "stderr_regex: '*' is not a valid regular expression: nothing to repeat at position 0"),
    (dict(argv=["true"], json_lines=True), "json_lines: only applies with json_query"),
    (dict(argv=["true"], json_query=[dict(query="a")]),
     "json_query[0]: give at least one of equals, matches, min, max, length, truthy"),
    (dict(argv=["true"], json_query=[dict(query=" ", truthy=True)]), "json_query[0]: query must not be empty"),
    (dict(argv=["true"], json_query=[dict(query="a", truthy=True), dict(query="items[?", truthy=True)]),
     "json_query[1]: query 'items[?' is not valid JMESPath: "),
    (dict(argv=["true"], json_query=[dict(query="a", matches="(")]),
     "json_query[0]: matches: '(' is not a valid regular expression: missing ), unterminated subpattern at position 0"),
    (dict(argv=["true"], json_query=[dict(query="a", min=5, max=1)]), "json_query[0]: min (5.0) is above max (1.0)"),
    (dict(argv=["true"], json_query=[dict(query="a", length=-1)]), "json_query[0]: length: must not be negative"),
])
def test_bad_options_name_the_option(item, message):
    with pytest.raises(OptionError) as caught:
        command_output.prepare(validated(item))
    assert str(caught.value).startswith(message)


def test_env_is_declared_no_log():
    assert command_output.OPTIONS["env"]["no_log"] is True
