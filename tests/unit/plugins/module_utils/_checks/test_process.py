"""process against the real /proc with real child processes, started here and killed afterwards."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import time
import uuid

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._checks import process
from ansible_collections.golive.readiness.plugins.module_utils._module import validated_item
from ansible_collections.golive.readiness.plugins.module_utils._runner import PreparedCheck, run_one

from ._realfs import COLLECTIONS, become, nobody, require_root, run_check_without_proc

# A uid no account (and so no process) of this host uses.
STRANGER_UID = 54321


def prepare(item):
    """prepare() as every module calls it: on the item validated and defaulted by the kind's spec."""
    return process.prepare(validated_item(item, process))


def check(**item):
    plan = prepare(item)
    return run_one(PreparedCheck(item, "process:x", "t", process, plan, 10.0))


def token():
    return uuid.uuid4().hex[:10]


def _wait_until(condition, what, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def _read_proc(pid, name):
    try:
        with open(f"/proc/{pid}/{name}", "rb") as handle:
            return handle.read()
    except OSError:
        return b""


class Children(object):
    """Real child processes of this test, killed and reaped at teardown."""

    def __init__(self):
        self.procs = []

    def start(self, argv, argv0=None, comm=None, **popen):
        """Start ``argv``; wait until the child runs under ``argv0`` and/or ``comm`` (after bash's exec)."""
        child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, **popen)
        self.procs.append(child)
        if argv0 is not None:
            _wait_until(lambda: _read_proc(child.pid, "cmdline").split(b"\0")[0] == argv0.encode(),
                        f"argv[0] {argv0}")
        if comm is not None:
            _wait_until(lambda: _read_proc(child.pid, "comm").strip() == comm.encode(), f"comm {comm}")
        return child

    def sleeper(self, argv0, *args, **popen):
        """``sleep 300`` running under the given argv[0] (bash's exec -a), with extra arguments."""
        script = 'exec -a "$0" sleep 300 "$@"'
        return self.start(["bash", "-c", script, argv0, *args], argv0=argv0, **popen)

    def python(self, argv0, *args, **popen):
        """A sleeping Python child under the given argv[0], with any extra arguments."""
        script = 'exec -a "$0" "$1" -c "import time; time.sleep(300)" "${@:2}"'
        return self.start(["bash", "-c", script, argv0, sys.executable, *args], argv0=argv0, **popen)

    def stop(self):
        for child in self.procs:
            if child.poll() is None:
                child.kill()
        for child in self.procs:
            child.wait()


@pytest.fixture
def children():
    started = Children()
    yield started
    started.stop()


# --- matching and counting ------------------------------------------------------------------------


def test_name_matches_argv0_and_counts(children):
    name = f"golive-test-{token()}"
    pids = sorted(children.sleeper(name).pid for dummy in range(2))
    outcome = check(name=name)
    assert outcome.status == "pass"
    assert outcome.summary == "2 running (expected at least 1)"
    assert outcome.observed["count"]["value"] == 2
    assert outcome.observed["pids"] == pids
    assert outcome.observed["users"] == [pwd.getpwuid(os.geteuid()).pw_name]
    assert outcome.observed["samples"] == [name + " 300"] * 2
    assert check(name=name, min_count=2, max_count=2).status == "pass"
    too_few = check(name=name, min_count=3)
    assert too_few.status == "fail"
    assert too_few.summary == "2 running (expected at least 3)"
    assert too_few.expected == {"count": {"fail": {"below": 3}, "unit": "count"}}
    too_many = check(name=name, max_count=1)
    assert too_many.status == "fail"
    assert too_many.summary == "2 running (expected exactly 1)"
    assert check(name=name, min_count=0, max_count=1).summary == "2 running (expected 0 to 1)"


def test_name_matches_comm(children, tmp_path):
    comm = f"gl{token()}"  # comm holds 15 characters at most
    link = tmp_path / comm
    link.symlink_to(shutil.which("sleep"))
    children.start(["bash", "-c", 'exec -a some-other-name "$0" 300', str(link)], argv0="some-other-name", comm=comm)
    outcome = check(name=comm)
    assert outcome.observed["count"]["value"] == 1
    assert outcome.observed["samples"] == ["some-other-name 300"]


def test_nothing_running_fails(children):
    outcome = check(name=f"golive-test-{token()}")
    assert outcome.status == "fail"
    assert outcome.summary == "0 running (expected at least 1)"
    assert outcome.observed == {"count": {"value": 0, "unit": "count"}, "pids": [], "users": [], "samples": []}
    assert outcome.expected == {"count": {"fail": {"below": 1}, "unit": "count"}}


def test_cmdline_regex(children):
    marker = f"golive-marker-{token()}"
    child = children.python("worker", marker, "--workers=4")
    outcome = check(cmdline_regex=rf"{marker} --workers=\d+")
    assert outcome.status == "pass"
    assert outcome.observed["pids"] == [child.pid]
    assert check(cmdline_regex=rf"{marker} --workers=\d+$", min_count=2).status == "fail"
    assert check(cmdline_regex=marker + " --threads").observed["count"]["value"] == 0


def test_name_and_regex_must_both_match(children):
    marker = f"golive-marker-{token()}"
    children.python("golive-a-" + marker, "--queue=mail")
    children.python("golive-b-" + marker, "--queue=mail")
    assert check(name="golive-a-" + marker, cmdline_regex="--queue=mail").observed["count"]["value"] == 1
    assert check(name="golive-a-" + marker, cmdline_regex="--queue=sms").observed["count"]["value"] == 0
    assert check(cmdline_regex=marker + " -c .* --queue=mail").observed["count"]["value"] == 2


def test_zombies_are_not_counted(children, tmp_path):
    comm = f"gz{token()}"
    link = tmp_path / comm
    link.symlink_to(shutil.which("true"))
    child = children.start([str(link)])
    _wait_until(lambda: b") Z " in _read_proc(child.pid, "stat"), "the child to become a zombie")
    assert check(name=comm).observed["count"]["value"] == 0


def test_at_most_twenty_pids_are_reported(children):
    name = f"golive-test-{token()}"
    for _dummy in range(22):
        children.sleeper(name)
    outcome = check(name=name, min_count=22)
    assert outcome.status == "pass"
    assert outcome.observed["count"]["value"] == 22
    assert len(outcome.observed["pids"]) == 20
    assert len(outcome.observed["samples"]) == 5


def test_processes_coming_and_going_during_the_scan_are_skipped(children):
    children.start(["bash", "-c", "while :; do /bin/true; done"])
    name = f"golive-test-{token()}"
    children.sleeper(name)
    for _dummy in range(20):
        outcome = check(name=name)
        assert (outcome.status, outcome.observed["count"]["value"]) == ("pass", 1), outcome.summary


# --- users ----------------------------------------------------------------------------------------


def test_user_filter(children):
    require_root()
    user = nobody()
    name = f"golive-test-{token()}"
    children.sleeper(name, preexec_fn=become(user))
    children.sleeper(name)
    mine = check(name=name, user="nobody")
    assert mine.status == "pass"
    assert mine.summary == "1 running as nobody (expected at least 1); matching processes of other users: root"
    assert mine.observed["users"] == ["nobody"]
    assert check(name=name, user=str(user.pw_uid)).observed["count"]["value"] == 1
    both = check(name=name)
    assert (both.observed["count"]["value"], both.observed["users"]) == (2, ["nobody", "root"])


def test_user_that_owns_nothing_fails_and_reports_who_runs_it(children):
    require_root()
    name = f"golive-test-{token()}"
    children.sleeper(name, preexec_fn=become(nobody()))
    outcome = check(name=name, user=str(STRANGER_UID))
    assert outcome.status == "fail"
    assert outcome.summary == (f"0 running as {STRANGER_UID} (expected at least 1); "
                               "matching processes of other users: nobody")
    assert outcome.observed["other_users"] == ["nobody"]
    assert outcome.expected == {"count": {"fail": {"below": 1}, "unit": "count"}, "user": str(STRANGER_UID)}
    assert check(name=name, user="root").status == "fail"


def test_unknown_user_is_an_error(children):
    outcome = check(name="sshd", user="golive-no-such-user")
    assert outcome.status == "error"
    assert outcome.summary == "user: 'golive-no-such-user' does not exist on this host"


# --- absent ---------------------------------------------------------------------------------------


def test_absent(children):
    name = f"golive-debug-{token()}"
    assert check(name=name, state="absent").summary == "0 running (expected none running)"
    child = children.sleeper(name)
    outcome = check(name=name, state="absent")
    assert outcome.status == "fail"
    assert outcome.summary == "1 running (expected none running)"
    assert outcome.observed["pids"] == [child.pid]
    assert outcome.expected == {"count": {"fail": {"above": 0}, "unit": "count"}}


# --- what is shown of command lines ----------------------------------------------------------------


def test_secrets_in_command_lines_are_masked(children):
    marker = f"golive-marker-{token()}"
    secrets = ["hunter2hunter2", "s3cretPassw0rd", "tok_abcdefghijklmnopqrstuvwxyz", "ghp_0123456789abcdefghij"]
    children.python(marker, "--password=" + secrets[0], f"postgresql://app:{secrets[1]}@db:5432/app",
                    f"https://api.example.com/hook?access_token={secrets[2]}&x=1", "--api-key", secrets[3])
    outcome = check(name=marker)
    shown = outcome.observed["samples"][0]
    for secret in secrets:
        assert secret not in shown
    assert "--password=\u2026ter2" in shown
    assert "postgresql://app:****@db:5432/app" in shown
    assert "access_token=tok_\u2026wxyz&x=1" in shown
    assert "--api-key ghp_\u2026ghij" in shown


@pytest.mark.parametrize("command, shown", [
    ("app --password=hunter2", "app --password=****"),
    ("env DB_PASSWORD=averyverylongpassword app", "env DB_PASSWORD=\u2026word app"),
    ("curl -H Authorization: Bearer abcdefghijklmnopqrstuvwxyz https://x", "curl -H Authorization: Bearer \u2026wxyz https://x"),
    ("app --secret-key verylongsecretvalue --port 80", "app --secret-key \u2026alue --port 80"),
    ("redis-cli -u redis://:pw@localhost:6379", "redis-cli -u redis://:****@localhost:6379"),
    ("gunicorn app:app --workers 4", "gunicorn app:app --workers 4"),
])
def test_mask_command_line(command, shown):
    assert process.mask_command_line(command) == shown


def test_long_command_lines_are_cut_to_200_characters(children):
    name = f"golive-test-{token()}"
    children.python(name, "x" * 300)
    sample = check(name=name).observed["samples"][0]
    assert len(sample) == 200
    assert sample.startswith(name + " -c import time; time.sleep(300) xxx")
    assert sample.endswith("\u2026")


# --- the check's own processes ----------------------------------------------------------------------

_CHECK_ITSELF = """
import json, sys
sys.path.insert(0, sys.argv[1])
from ansible_collections.golive.readiness.plugins.module_utils._checks import process
from ansible_collections.golive.readiness.plugins.module_utils._module import validated_item
from ansible_collections.golive.readiness.plugins.module_utils._runner import CheckContext
outcome = process.run(process.prepare(dict(cmdline_regex=sys.argv[2], state="present")), CheckContext(10.0))
print(json.dumps(outcome.observed))
"""


def test_own_process_and_its_shell_wrapper_are_not_counted(children):
    marker = f"golive-marker-{token()}"
    sibling = children.sleeper(marker)
    # The shell stays the parent (a trailing command stops it from exec'ing python), like Ansible's
    # "sh -c '<python> ... && sleep 0'"; both command lines hold the marker.
    wrapper = 'exec 3>&1; "$0" -c "$1" "$2" "$3"; true'
    done = subprocess.run(["sh", "-c", wrapper, sys.executable, _CHECK_ITSELF, COLLECTIONS, marker],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    observed = json.loads(done.stdout)
    assert observed["pids"] == [sibling.pid]


# --- errors and bad options -----------------------------------------------------------------------


def test_unreadable_proc_is_an_error(tmp_path):
    plan = prepare(dict(name="sshd"))
    plan["proc"] = str(tmp_path / "no-proc")
    outcome = run_one(PreparedCheck({}, "process:sshd", "t", process, plan, 10.0))
    assert outcome.status == "error"
    assert outcome.summary == f"cannot list processes in {tmp_path}/no-proc: No such file or directory"


def test_without_procfs_the_check_is_an_error():
    outcome = run_check_without_proc("process", dict(name="sshd", state="absent"))
    assert outcome["status"] == "error"
    assert outcome["summary"] == "/proc lists no processes (is procfs mounted?)"


@pytest.mark.parametrize("item, message", [
    (dict(), "name/cmdline_regex: give at least one of them"),
    (dict(user="app"), "name/cmdline_regex: give at least one of them"),
    (dict(cmdline_regex="celery (worker"), "cmdline_regex: 'celery (worker' is not a valid regular expression"),
    (dict(name="x", min_count=3, max_count=2), "max_count: 2 is below min_count 3"),
    (dict(name="x", min_count=-1), "min_count: -1 must not be negative"),
    (dict(name="x", max_count="lots"), "argument 'max_count' is of type str and we were unable to convert to int"),
    (dict(name="x", state="absent", min_count=1), "min_count: not used with state=absent"),
    (dict(name="x", state="absent", max_count=0), "max_count: not used with state=absent"),
    (dict(name="x", state="stopped"), "value of state must be one of: present, absent, got: stopped"),
])
def test_bad_options_are_option_errors(item, message):
    with pytest.raises(OptionError) as raised:
        prepare(item)
    assert str(raised.value).startswith(message)


def test_describe():
    assert process.describe({"name": "nginx"}) == ("nginx", "Process nginx")
    assert process.describe({"name": "celery", "cmdline_regex": "worker"}) == ("celery", "Process celery")
    assert process.describe({"cmdline_regex": "manage.py runserver"}) == (
        "manage.py runserver", "Process matching /manage.py runserver/")
