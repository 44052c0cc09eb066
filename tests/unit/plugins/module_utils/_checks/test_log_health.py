"""log_health against real log files, real logrotate configurations, real modes and a real unprivileged user."""

from __future__ import annotations

import os
import re
import time

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._checks import log_health

from ._kind_runner import described, prepared, run_item
from ._logs import Logrotate, stamp, stanza, timed_lines, write_log
from ._realfs import kernel_allows, nobody, require_root, run_check_as, searchable_tmp_dir

HOUR = 3600
SECRET = "hunter2-Very-Secret-Passw0rd"
API_KEY = "sk_live_51HxQaZ2eZvKYlo2C8pNq3rT"


@pytest.fixture
def where():
    with searchable_tmp_dir() as directory:
        yield directory


@pytest.fixture
def rotate(where):
    return Logrotate(os.path.join(where, "etc"))


def check(rotate, **item):
    return run_item(log_health, rotate.options(**item), 10)


def app_log(where, lines, age=None, name="app.log"):
    logs = os.path.join(where, "logs")
    os.makedirs(logs, exist_ok=True)
    return write_log(os.path.join(logs, name), lines, age)


# --- pass -------------------------------------------------------------------------------------------


def test_healthy_log_passes(where, rotate):
    path = app_log(where, timed_lines(50, 120))
    snippet = rotate.snippet("shop", stanza(f'"{where}/logs/*.log"'))
    record = check(rotate, path=path)
    assert record["status"] == "pass", record["summary"]
    assert re.sub(r"^last written (just now|\d+s ago)", "last written recently", record["summary"]) == (
        f"last written recently (fail > 1d); writable by root; rotated by {snippet}:1 (daily, rotate 14, compress); "
        "0 matching lines in the last 1000 lines (warn > 0, fail > 10)")
    observed = record["observed"]
    assert observed["file"] == path
    assert observed["lines_scanned"] == {"value": 50, "unit": "count"}
    assert observed["rotation"] == {"config": f"{snippet}:1", "patterns": [f"{where}/logs/*.log"],
                                    "directives": ["compress", "daily", "rotate"]}
    assert record["section"] == "monitoring"
    assert record["severity"] == "high"  # ERROR lines at go-live can block it


def test_empty_log_passes_on_lines(where, rotate):
    path = app_log(where, [])
    rotate.snippet("shop", stanza(path))
    record = check(rotate, path=path)
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["lines_scanned"] == {"value": 0, "unit": "count"}
    assert record["observed"]["size"]["value"] == 0


def test_glob_checks_the_newest_log(where, rotate):
    app_log(where, ["old ERROR"] * 20, age=5 * HOUR, name="worker-1.log")
    newest = app_log(where, timed_lines(5, 10), age=60, name="worker-2.log")
    rotate.snippet("worker", stanza(f"{where}/logs/worker-*.log"))
    record = check(rotate, path=f"{where}/logs/worker-*.log")
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["file"] == newest


def test_ignored_patterns_and_custom_patterns(where, rotate):
    path = app_log(where, ["GET /health ERROR HealthCheckException (expected in drills)",
                           '127.0.0.1 - - [01/May/2024:12:00:00 +0000] "GET /pay HTTP/1.1" 503 12'])
    record = check(rotate, path=path, rotation=False, ignore_patterns=["HealthCheck"])
    assert record["status"] == "pass", record["summary"]
    record = check(rotate, path=path, rotation=False, patterns=[r'" 5\d\d '])
    assert record["status"] == "warn"
    assert record["observed"]["matches_by_pattern"] == {r'" 5\d\d ': {"value": 1, "unit": "count"}}


def test_rotation_can_be_turned_off(where, rotate):
    path = app_log(where, timed_lines(3, 5))
    record = check(rotate, path=path, rotation=False)
    assert record["status"] == "pass"
    assert "rotation" not in record["observed"]


# --- warn -------------------------------------------------------------------------------------------


def test_a_few_error_lines_warn_and_are_shown_masked(where, rotate):
    lines = timed_lines(30, 60)
    lines.insert(10, f"{stamp(50)} ERROR payment failed for key {API_KEY} password={SECRET}")
    lines.insert(20, f"{stamp(40)} ERROR cannot reach postgresql://shop:{SECRET}@db:5432/shop")
    path = app_log(where, lines)
    rotate.snippet("shop", stanza(path))
    record = check(rotate, path=path)
    assert record["status"] == "warn"
    assert record["summary"] == "2 matching lines in the last 1000 lines (warn > 0, fail > 10)"
    assert SECRET not in str(record) and API_KEY not in str(record)
    first, second = record["observed"]["matching_lines"]
    assert first.endswith("ERROR payment failed for key sk_live_…q3rT password=…w0rd")
    assert "postgresql://shop:****@db:5432/shop" in second
    assert record["observed"]["matches_by_pattern"] == {r"\bERROR\b": {"value": 2, "unit": "count"}}


def test_stale_log_warns_by_its_modification_time(where, rotate):
    path = app_log(where, timed_lines(3, 3 * HOUR), age=2 * HOUR)
    rotate.snippet("shop", stanza(path))
    record = check(rotate, path=path, age_warn_above="1h", age_fail_above="6h")
    assert record["status"] == "warn"
    assert re.match(r"^last written 2h( \d+s)? ago \(warn > 1h, fail > 6h\)$", record["summary"])
    assert 2 * HOUR - 5 < record["observed"]["age_seconds"]["value"] < 2 * HOUR + 60


def test_stanza_outside_what_logrotate_conf_includes_warns(where):
    rotate = Logrotate(os.path.join(where, "etc"), include=False)
    path = app_log(where, timed_lines(3, 3))
    snippet = rotate.snippet("shop", stanza(path))
    record = check(rotate, path=path)
    assert record["status"] == "warn"
    assert record["summary"] == (f"rotation is configured in {snippet}:1, "
                                 f"but {rotate.conf} does not include {rotate.dir}")


def test_two_stanzas_for_one_log_warn(where, rotate):
    path = app_log(where, timed_lines(3, 3))
    first = rotate.snippet("a-shop", stanza(path))
    second = rotate.snippet("b-all", stanza(f"{where}/logs/*"))
    record = check(rotate, path=path)
    assert record["status"] == "warn"
    assert record["summary"] == (f"2 logrotate stanzas name it ({first}:1, {second}:1): "
                                 "logrotate rejects a duplicate log entry")


# --- fail -------------------------------------------------------------------------------------------


def test_many_errors_in_the_tail_fail_and_only_a_few_are_shown(where, rotate):
    lines = [f'{stamp(30)} ERROR worker {index} crashed: {"x" * 500}' for index in range(40)]
    path = app_log(where, timed_lines(2000, 600) + lines)
    rotate.snippet("shop", stanza(path))
    record = check(rotate, path=path, tail_lines=100)
    assert record["status"] == "fail"
    assert record["summary"] == "40 matching lines in the last 100 lines (warn > 0, fail > 10)"
    shown = record["observed"]["matching_lines"]
    assert len(shown) == log_health.SHOWN_LINES
    assert all(len(line) == log_health.SHOWN_CHARS + 1 and line.endswith("…") for line in shown)
    assert "worker 39 crashed" in shown[-1]


def test_since_counts_only_recent_lines_with_their_tracebacks(where, rotate):
    lines = [f"{stamp(2 * HOUR - index)} ERROR old failure {index}" for index in range(30)]
    lines += timed_lines(100, 1500)
    lines += [f"{stamp(300)} ERROR job failed",
              "Traceback (most recent call last):",
              '  File "/srv/shop/jobs.py", line 12, in run',
              "ValueError: bad row"]
    lines += [f"{stamp(100)} WARNING slow request"]
    path = app_log(where, lines)
    rotate.snippet("shop", stanza(path))
    record = check(rotate, path=path, since="30m", matches_fail_above=1)
    assert record["status"] == "fail"
    assert record["summary"] == "2 matching lines in the last 30m (warn > 0, fail > 1)"
    assert record["observed"]["lines_scanned"] == {"value": 105, "unit": "count"}
    one = {"value": 1, "unit": "count"}
    assert record["observed"]["matches_by_pattern"] == {r"\bERROR\b": one, r"Traceback \(most recent call last\)": one}


def test_missing_log_and_empty_glob_fail(where, rotate):
    record = check(rotate, path=os.path.join(where, "logs", "nope.log"))
    assert record["status"] == "fail"
    assert record["summary"] == "does not exist"
    assert record["observed"] == {"exists": False}
    record = check(rotate, path=os.path.join(where, "*.log"))
    assert record["status"] == "fail"
    assert record["summary"] == "no log file matches {}".format(os.path.join(where, "*.log"))


def test_stale_log_fails_by_default_after_a_day(where, rotate):
    path = app_log(where, [], age=30 * HOUR)
    rotate.snippet("shop", stanza(path))
    record = check(rotate, path=path)
    assert record["status"] == "fail"
    assert record["summary"] == "last written 1d 6h ago (fail > 1d)"


def test_no_rotation_fails_and_names_a_skipped_snippet(where, rotate):
    path = app_log(where, timed_lines(3, 3))
    rotate.snippet("other", stanza("/var/log/other.log"))
    skipped = rotate.snippet("shop.dpkg-old", stanza(path))
    record = check(rotate, path=path)
    assert record["status"] == "fail"
    assert record["summary"] == f"no logrotate stanza rotates {path} ({skipped} is skipped by logrotate for its name)"
    assert record["observed"]["rotation"] is None


def test_logrotate_syntax_with_scripts_multiline_names_and_includes(where, rotate):
    path = app_log(where, timed_lines(3, 3))
    extra = os.path.join(where, "etc", "extra.conf")
    with open(extra, "w") as handle:
        handle.write(f"/var/log/a.log\n{path}\n{{\n  weekly\n  postrotate\n"
                     "    [ -f /run/x.pid ] && { kill -HUP 1; }\n"
                     "  endscript\n  rotate 3\n}\n")
    rotate.snippet("includes", f"include {extra}\n")
    record = check(rotate, path=path)
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["rotation"]["config"] == f"{extra}:1"
    assert record["observed"]["rotation"]["patterns"] == ["/var/log/a.log", path]
    assert record["observed"]["rotation"]["directives"] == ["rotate", "weekly"]  # the script is not a directive


def test_read_only_directory_is_not_writable_by_the_writer(where, rotate):
    require_root()
    user = nobody()
    logs = os.path.join(where, "ro")
    os.mkdir(logs)
    path = write_log(os.path.join(logs, "app.log"), timed_lines(3, 3))
    os.chown(path, user.pw_uid, user.pw_gid)
    os.chmod(logs, 0o555)
    rotate.snippet("shop", stanza(path))
    # The kernel agrees: nobody may write the file it owns but not create files next to it.
    assert kernel_allows(user, path, os.W_OK) and not kernel_allows(user, logs, os.W_OK)
    record = check(rotate, path=path)  # writable_by defaults to the file's owner
    assert record["status"] == "fail"
    assert record["observed"]["writable_by"] == user.pw_name
    assert record["summary"] == (
        f"not writable by {user.pw_name}: {user.pw_name} cannot write and search {logs} "
        "(mode 0555, owner root, group root)")
    # root itself may write anywhere but a read-only filesystem: honest, and why writable_by matters
    assert check(rotate, path=path, writable_by="root")["status"] == "pass"


# --- error ------------------------------------------------------------------------------------------


def test_unreadable_log_is_an_error(where, rotate):
    path = app_log(where, ["secret ERROR"])
    os.chmod(path, 0o600)
    rotate.snippet("shop", stanza(path))
    for name in (rotate.conf, os.path.join(rotate.dir, "shop")):
        os.chmod(name, 0o644)
    outcome = run_check_as(nobody(), "log_health", rotate.options(path=path, writable=False))
    assert outcome["status"] == "error"
    assert outcome["summary"] == f"cannot read {path}: Permission denied"


def test_since_without_readable_timestamps_is_an_error(where, rotate):
    path = app_log(where, ["starting", "ERROR without a time"])
    record = check(rotate, path=path, since="1h", rotation=False)
    assert record["status"] == "error"
    assert record["summary"].startswith(f"no line of the last 30 B of {path} starts with a timestamp")


def test_a_directory_and_an_unknown_writer_are_errors(where, rotate):
    record = check(rotate, path=where)
    assert record["status"] == "error"
    assert record["summary"] == f"{where} is a directory, not a log file"
    path = app_log(where, timed_lines(3, 3))
    record = check(rotate, path=path, rotation=False, writable_by="golive-no-such-user")
    assert record["status"] == "error"
    assert record["summary"] == "writable_by: user 'golive-no-such-user' does not exist on this host"


def test_a_log_that_is_a_device_or_a_pipe_is_an_error_not_an_empty_log(where, rotate):
    device = os.path.join(where, "stdout.log")
    os.symlink(os.devnull, device)
    record = check(rotate, path=device, rotation=False)
    assert record["status"] == "error", record["summary"]
    assert record["summary"] == f"{device} is not a regular file (a character device): its lines cannot be read"
    pipe = os.path.join(where, "pipe.log")
    os.mkfifo(pipe)
    record = check(rotate, path=pipe, rotation=False, since="1h")
    assert record["status"] == "error", record["summary"]
    assert record["summary"] == f"{pipe} is not a regular file (a named pipe): its lines cannot be read"


# --- big files ---------------------------------------------------------------------------------------


def test_a_huge_log_is_read_from_its_end_only(where, rotate):
    path = os.path.join(where, "huge.log")
    with open(path, "wb") as handle:
        handle.truncate(4 * 1024 ** 3)  # 4 GiB, sparse: nothing but the tail is ever read
        handle.seek(0, os.SEEK_END)
        lines = [*timed_lines(20, 30), f"{stamp(1)} ERROR at the end"]
        handle.write("".join(line + "\n" for line in lines).encode())
    rotate.snippet("huge", stanza(path))
    record = check(rotate, path=path, tail_lines=20)
    assert record["status"] == "warn", record["summary"]
    assert record["observed"]["lines_scanned"] == {"value": 20, "unit": "count"}
    assert record["observed"]["bytes_read"]["value"] <= 64 * 1024
    record = check(rotate, path=path, since="5m")
    assert record["status"] == "warn", record["summary"]
    assert record["observed"]["lines_scanned"] == {"value": 21, "unit": "count"}
    # the window reaches back into the hole before the lines: the scan stops a line's length into it
    assert record["observed"]["bytes_read"]["value"] <= log_health.MAX_LINE_BYTES + 128 * 1024
    assert record["summary"] == "1 matching line in the last 5m (warn > 0, fail > 10)"


# --- timestamps and masking ---------------------------------------------------------------------------


@pytest.mark.parametrize("line, expected", [
    ("2024-05-01T12:00:00Z INFO x", "2024-05-01T12:00:00+0000"),
    ("2024-05-01T14:00:00.123+02:00 x", "2024-05-01T12:00:00+0000"),
    ("[2024-05-01 12:00:00,123] ERROR x", None),  # local time: compared below
    ("127.0.0.1 - - [01/May/2024:14:00:00 +0200] \"GET / HTTP/1.1\" 200 1", "2024-05-01T12:00:00+0000"),
    ("no time here", "none"),
    ("  File \"x.py\", line 1", "none"),
])
def test_line_times(line, expected):
    found = log_health.line_time(line, time.time())
    if expected == "none":
        assert found is None
    elif expected is None:
        assert found == time.mktime((2024, 5, 1, 12, 0, 0, 0, 0, -1))
    else:
        assert time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(found)) == expected


def test_syslog_time_has_no_year_and_is_never_in_the_future():
    now = time.mktime((2025, 1, 2, 10, 0, 0, 0, 0, -1))
    assert log_health.line_time("Jan  2 09:00:00 host app[1]: x", now) == time.mktime((2025, 1, 2, 9, 0, 0, 0, 0, -1))
    assert log_health.line_time("Dec 31 23:00:00 host app[1]: x", now) == time.mktime(
        (2024, 12, 31, 23, 0, 0, 0, 0, -1))


def test_mask_line():
    masked = log_health.mask_line(
        "auth failed token=abc123def456ghi789 Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig "
        f"url=https://u:pw-123@h/x key={API_KEY} sha=0123456789abcdef0123456789abcdef01234567")
    assert "abc123def456ghi789" not in masked
    assert "eyJhbGciOiJIUzI1NiJ9" not in masked
    assert "pw-123" not in masked
    assert API_KEY not in masked
    assert "0123456789abcdef0123456789abcdef01234567" not in masked
    assert masked.startswith("auth failed token=")


# --- bad input --------------------------------------------------------------------------------------


@pytest.mark.parametrize("item, problem", [
    (dict(path="logs/app.log"), "path: 'logs/app.log' must be absolute"),
    (dict(path="/l", patterns=["("]), "patterns: '(' is not a valid regular expression"),
    (dict(path="/l", patterns=[]), "patterns: must list at least one regular expression"),
    (dict(path="/l", ignore_patterns=["[a-"]), "ignore_patterns: '[a-' is not a valid regular expression"),
    (dict(path="/l", since="1h", tail_lines=10), "since/tail_lines: give one of them, not both"),
    (dict(path="/l", since="0"), "since: must be greater than zero"),
    (dict(path="/l", since="yesterday"), "since: 'yesterday' is not a number"),
    (dict(path="/l", tail_lines=0), "tail_lines: 0 must be between 1 and 100000"),
    (dict(path="/l", age_warn_above="2d", age_fail_above="1d"), "age_warn_above/age_fail_above: the warn level"),
    (dict(path="/l", age_fail_above="fresh"), "age_fail_above: 'fresh' is not a number"),
    (dict(path="/l", matches_warn_above=20), "matches_warn_above/matches_fail_above: the warn level (20)"),
    (dict(path="/l", matches_fail_above=-1), "matches_fail_above: -1 must not be negative"),
    (dict(path="/l", writable=False, writable_by="shop"), "writable_by: cannot be combined with writable=false"),
    (dict(path="/l", logrotate_conf="logrotate.conf"), "logrotate_conf: 'logrotate.conf' must be absolute"),
])
def test_bad_options_name_the_option(item, problem):
    with pytest.raises(OptionError) as raised:
        prepared(log_health, item)
    assert str(raised.value).startswith(problem)


def test_describe_is_stable():
    assert described(log_health, {"path": "/var/log/shop/app.log"}) == (
        "/var/log/shop/app.log", "Log /var/log/shop/app.log")
