"""The cron parser: fields, aliases, comparison, and next runs from fixed instants, across DST, in real zones."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._cron import (
    CronError,
    Schedule,
    Zone,
    host_zone_name,
    load_zone,
    parse_crontab,
    parse_field,
    same_zone,
)

UTC = datetime.timezone.utc


def at(text, zone="UTC"):
    """An aware datetime from 'YYYY-MM-DD HH:MM' local to ``zone``."""
    naive = datetime.datetime.strptime(text, "%Y-%m-%d %H:%M")
    return naive.replace(tzinfo=load_zone(zone).tzinfo)


def next_run(expression, after, zone="UTC"):
    found = Schedule(expression).next_run(at(after, zone), load_zone(zone))
    return None if found is None else found.isoformat()


@pytest.mark.parametrize("text, index, values", [
    ("*", 0, set(range(60))),
    ("*/15", 0, {0, 15, 30, 45}),
    ("5-20/5", 0, {5, 10, 15, 20}),
    ("1,2,10-12", 1, {1, 2, 10, 11, 12}),
    ("jan,MAR-may", 3, {1, 3, 4, 5}),
    ("mon-fri", 4, {1, 2, 3, 4, 5}),
    ("7", 4, {0}),
    ("5-7", 4, {0, 5, 6}),
    ("*/2", 4, {0, 2, 4, 6}),
    ("31", 2, {31}),
])
def test_fields(text, index, values):
    assert parse_field(text, index) == frozenset(values)


@pytest.mark.parametrize("expression, problem", [
    ("60 * * * *", "minute: 60 is outside 0-59"),
    ("* 24 * * *", "hour: 24 is outside 0-23"),
    ("* * 0 * *", "day of month: 0 is outside 1-31"),
    ("* * * 13 *", "month: 13 is outside 1-12"),
    ("* * * * 8", "day of week: 8 is outside 0-7"),
    ("* * * foo *", "month: 'foo' is not a number or a name"),
    ("5-1 * * * *", "minute: range '5-1' runs backwards"),
    ("*/0 * * * *", "minute: step '0' is not a positive number"),
    ("5/10 * * * *", "minute: a step needs a range or *"),
    ("1,,2 * * * *", "minute: empty item"),
    ("* * * *", "has 4 fields"),
    ("@fortnightly", "unknown schedule alias '@fortnightly'"),
])
def test_bad_expressions_are_rejected_with_the_field_named(expression, problem):
    with pytest.raises(CronError, match=problem.replace("*", r"\*").replace("(", r"\(")):
        Schedule(expression)


@pytest.mark.parametrize("first, second, equal", [
    ("0 3 * * *", "0 3 * * 0-6", True),
    ("0 3 * * *", "0  3 *  * 0-7", True),
    ("0 3 * * 7", "0 3 * * sun", True),
    ("@daily", "0 0 * * *", True),
    ("@midnight", "@daily", True),
    ("@yearly", "@annually", True),
    ("@hourly", "0 * * * *", True),
    ("@weekly", "0 0 * * 0", True),
    ("@monthly", "0 0 1 * *", True),
    ("0,30 * * * *", "*/30 * * * *", True),
    ("0 0 1-31 * 1", "@daily", True),  # both days restricted: either matches, and 1-31 is every day
    ("0 0 * * 1", "@daily", False),
    ("0 3 * * *", "0 4 * * *", False),
    ("0 0 1 * 1", "0 0 1 * *", False),
    ("@reboot", "@reboot", True),
    ("@reboot", "@daily", False),
])
def test_schedules_compare_by_meaning(first, second, equal):
    assert (Schedule(first) == Schedule(second)) is equal


@pytest.mark.parametrize("expression, after, expected", [
    ("* * * * *", "2024-05-01 12:00", "2024-05-01T12:01:00+00:00"),
    ("*/15 * * * *", "2024-05-01 12:07", "2024-05-01T12:15:00+00:00"),
    ("0 3 * * *", "2024-05-01 03:00", "2024-05-02T03:00:00+00:00"),
    ("0 3 * * *", "2024-05-01 02:59", "2024-05-01T03:00:00+00:00"),
    ("30 2 1 * *", "2024-01-31 00:00", "2024-02-01T02:30:00+00:00"),
    ("0 0 1 1 *", "2024-06-01 00:00", "2025-01-01T00:00:00+00:00"),
    ("@yearly", "2024-12-31 23:59", "2025-01-01T00:00:00+00:00"),
    ("@weekly", "2024-05-01 00:00", "2024-05-05T00:00:00+00:00"),  # 1 May 2024 is a Wednesday
    ("0 9 * * mon-fri", "2024-05-03 10:00", "2024-05-06T09:00:00+00:00"),
    ("0 9 * * 7", "2024-05-01 00:00", "2024-05-05T09:00:00+00:00"),
    ("0 0 29 2 *", "2024-03-01 00:00", "2028-02-29T00:00:00+00:00"),
    ("0 0 31 * *", "2024-04-01 00:00", "2024-05-31T00:00:00+00:00"),
    # both day fields restricted: the 15th or any Friday, whichever comes first
    ("30 4 15 * 5", "2024-05-01 00:00", "2024-05-03T04:30:00+00:00"),
    ("30 4 15 * 5", "2024-05-11 00:00", "2024-05-15T04:30:00+00:00"),
    # a day field starting with * counts as unrestricted: both must match (odd days that are Mondays)
    ("0 0 */2 * 1", "2024-05-01 00:00", "2024-05-13T00:00:00+00:00"),
    ("0 12 * jun *", "2024-05-01 00:00", "2024-06-01T12:00:00+00:00"),
])
def test_next_run_in_utc(expression, after, expected):
    assert next_run(expression, after) == expected


def test_schedules_that_never_fire_and_reboot_have_no_next_run():
    assert next_run("0 0 30 2 *", "2024-01-01 00:00") is None
    assert next_run("0 0 31 4 *", "2024-01-01 00:00") is None
    assert next_run("@reboot", "2024-01-01 00:00") is None


@pytest.mark.parametrize("expression, after, zone, expected", [
    # Europe/Berlin springs forward on 31 March 2024 at 02:00 -> 03:00: a skipped fixed time runs at the jump
    ("30 2 * * *", "2024-03-31 01:30", "Europe/Berlin", "2024-03-31T03:00:00+02:00"),
    ("0 3 * * *", "2024-03-31 01:30", "Europe/Berlin", "2024-03-31T03:00:00+02:00"),
    ("30 2 * * *", "2024-03-31 03:00", "Europe/Berlin", "2024-04-01T02:30:00+02:00"),
    # wildcard jobs skip the missing hour
    ("*/15 * * * *", "2024-03-31 01:50", "Europe/Berlin", "2024-03-31T03:00:00+02:00"),
    ("15 * * * *", "2024-03-31 01:50", "Europe/Berlin", "2024-03-31T03:15:00+02:00"),
    # falls back on 27 October 2024 at 03:00 -> 02:00: a fixed time in the repeated hour runs once
    ("30 2 * * *", "2024-10-27 01:00", "Europe/Berlin", "2024-10-27T02:30:00+02:00"),
    # New York: 10 March 2024 02:00 -> 03:00 and 3 November 2024 02:00 -> 01:00
    ("30 2 * * *", "2024-03-10 00:00", "America/New_York", "2024-03-10T03:00:00-04:00"),
    ("30 1 * * *", "2024-11-03 00:00", "America/New_York", "2024-11-03T01:30:00-04:00"),
    ("0 12 * * *", "2024-11-03 00:00", "America/New_York", "2024-11-03T12:00:00-05:00"),
    ("0 0 * * *", "2024-06-01 12:00", "Asia/Kolkata", "2024-06-02T00:00:00+05:30"),
])
def test_next_run_across_daylight_saving(expression, after, zone, expected):
    assert next_run(expression, after, zone) == expected


def test_a_repeated_hour_runs_a_fixed_job_once_and_a_wildcard_job_twice():
    berlin = load_zone("Europe/Berlin")
    first_pass_end = datetime.datetime(2024, 10, 27, 0, 45, tzinfo=UTC)  # 02:45 CEST
    fixed = Schedule("30 2 * * *").next_run(first_pass_end, berlin)
    assert fixed.isoformat() == "2024-10-28T02:30:00+01:00"
    wildcard = Schedule("*/15 * * * *").next_run(first_pass_end, berlin)
    assert wildcard.astimezone(UTC).isoformat() == "2024-10-27T01:00:00+00:00"  # 02:00 CET, the second pass
    assert wildcard.isoformat() == "2024-10-27T02:00:00+01:00"


def test_process_local_time_zone_gives_the_same_answers_as_a_named_one():
    local = Zone("localtime", None)
    after = datetime.datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    found = Schedule("0 3 * * *").next_run(after, local)
    expected_local = datetime.datetime.fromtimestamp(found.timestamp())
    assert (expected_local.hour, expected_local.minute) == (3, 0)
    assert found > after and (found - after).total_seconds() <= 86400


def test_zones():
    assert same_zone("UTC", "Etc/UTC")
    assert same_zone("Europe/Berlin", "Europe/Berlin")
    assert not same_zone("Europe/Berlin", "Europe/London")
    with pytest.raises(CronError, match="unknown time zone 'Mars/Olympus_Mons'"):
        load_zone("Mars/Olympus_Mons")


def test_host_zone_name_reads_etc_timezone_then_the_localtime_link(tmp_path):
    timezone_file = tmp_path / "timezone"
    timezone_file.write_text("Europe/Lisbon\n")
    link = tmp_path / "localtime"
    link.symlink_to("/usr/share/zoneinfo/Asia/Tokyo")
    assert host_zone_name(str(timezone_file), str(link)) == "Europe/Lisbon"
    assert host_zone_name(str(tmp_path / "none"), str(link)) == "Asia/Tokyo"
    assert host_zone_name(str(tmp_path / "none"), str(tmp_path / "none")) is None


SYSTEM_CRONTAB = """\
SHELL=/bin/sh
PATH=/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin
MAILTO = "ops@example.com"
# m h dom mon dow user  command
17 *\t* * *\troot    cd / && run-parts --report /etc/cron.hourly
# 0 4 * * * root /opt/shop/bin/report
CRON_TZ=Europe/Berlin
@daily  shop /opt/shop/bin/cleanup --days 30
61 * * * * root /opt/shop/bin/broken
0 5 * * * root
"""


def test_system_crontab_lines():
    lines = parse_crontab(SYSTEM_CRONTAB, True)
    kinds = [(line.number, line.kind) for line in lines]
    assert kinds == [(1, "env"), (2, "env"), (3, "env"), (5, "entry"), (6, "commented"), (7, "env"), (8, "entry"),
                     (9, "invalid"), (10, "invalid")]
    hourly, report, cleanup, broken, no_command = (line for line in lines if line.kind != "env")
    assert (hourly.user, hourly.command, hourly.schedule.text) == (
        "root", "cd / && run-parts --report /etc/cron.hourly", "17 * * * *")
    assert report.command == "/opt/shop/bin/report"
    assert cleanup.schedule == Schedule("0 0 * * *")
    assert cleanup.env["CRON_TZ"] == "Europe/Berlin"
    assert cleanup.env["MAILTO"] == "ops@example.com"
    assert "CRON_TZ" not in hourly.env
    assert broken.error == "minute: 61 is outside 0-59"
    assert no_command.error == "no command after the user field 'root'"


def test_user_crontab_lines_have_no_user_field():
    [entry] = parse_crontab("0 3 * * * /opt/shop/bin/backup --full > /dev/null 2>&1\n", False)
    assert entry.user is None
    assert entry.command == "/opt/shop/bin/backup --full > /dev/null 2>&1"
