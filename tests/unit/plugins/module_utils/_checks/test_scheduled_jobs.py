"""scheduled_jobs against real crontab files in the formats cron reads, and one real `crontab` install."""

from __future__ import annotations

import datetime
import os

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._checks import scheduled_jobs
from ansible_collections.golive.readiness.plugins.module_utils._cron import host_zone

from ._crontabs import CronTree, installed_crontab
from ._kind_runner import described, prepared, run_item
from ._realfs import nobody, run_check_as

USER = scheduled_jobs.current_user()


@pytest.fixture
def tree(tmp_path):
    return CronTree(tmp_path)


def check(tree, **item):
    return run_item(scheduled_jobs, tree.options(**item), 10)


def _hours_until(record):
    return record["observed"]["next_run_in_seconds"]["value"] / 3600.0


# --- pass -------------------------------------------------------------------------------------------


def test_user_crontab_entry_with_schedule_and_next_run(tree):
    path = tree.user(USER, "SHELL=/bin/bash\nMAILTO=\"\"\n# nightly\n30 2 * * * /opt/shop/bin/backup --full\n")
    record = check(tree, command=r"/opt/shop/bin/backup\b", schedule="30 2 * * 0-7", fires_within="25h")
    assert record["status"] == "pass", record["summary"]
    observed = record["observed"]
    assert observed["entry"] == f"{path}:4"
    assert observed["schedule"] == "30 2 * * *"
    assert observed["command"] == "/opt/shop/bin/backup --full"
    assert observed["timezone"] == host_zone().name
    next_run = datetime.datetime.fromisoformat(observed["next_run"])
    assert next_run.utcoffset() is not None
    assert (next_run.hour, next_run.minute) == (2, 30)
    assert 0 < _hours_until(record) <= 24
    assert record["summary"].startswith(f"{path}:4 runs /")
    assert "next run {}".format(observed["next_run"]) in record["summary"]
    assert record["expected"] == {"command": r"/opt/shop/bin/backup\b", "schedule": "30 2 * * 0-7",
                                  "next_run_in_seconds": {"fail": {"above": 90000}, "unit": "seconds"}}
    assert record["section"] == "application"
    assert record["severity"] == "high"


def test_cron_d_entry_of_the_given_user_with_an_alias(tree):
    tree.cron_d("shop", "PATH=/usr/bin:/bin\n@daily www-data /opt/shop/bin/cleanup --days 30\n")
    record = check(tree, command="cleanup", user="www-data", schedule="0 0 * * *", sources=["cron_d"])
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["user"] == "www-data"
    assert record["observed"]["entry"] == os.path.join(tree.cron_d_dir, "shop") + ":2"
    assert record["observed"]["searched"] == [os.path.join(tree.cron_d_dir, "shop")]


def test_system_crontab_and_cron_tz_when_cron_honours_it(tree):
    tree.system("CRON_TZ=America/New_York\n0 9 * * mon-fri root /opt/shop/bin/report\n")
    record = check(tree, command="report", user="root", timezone="America/New_York", cron_tz="honored")
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["timezone"] == "America/New_York"
    next_run = datetime.datetime.fromisoformat(record["observed"]["next_run"])
    assert next_run.strftime("%H:%M") == "09:00"
    assert next_run.utcoffset() in (datetime.timedelta(hours=-4), datetime.timedelta(hours=-5))
    assert next_run.isoweekday() <= 5


def test_reboot_entry_passes_without_a_next_run(tree):
    tree.user(USER, "@reboot /opt/shop/bin/warm-cache\n")
    record = check(tree, command="warm-cache", schedule="@reboot")
    assert record["status"] == "pass"
    assert record["observed"]["next_run"] is None
    assert "runs at boot" in record["summary"]


def test_equivalent_zone_names_are_the_same_zone(tree):
    tree.system("CRON_TZ=Etc/UTC\n*/5 * * * * root /opt/shop/bin/queue\n")
    record = check(tree, command="queue", timezone="UTC", cron_tz="honored", fires_within="5m")
    assert record["status"] == "pass", record["summary"]
    assert _hours_until(record) * 60 <= 5


# --- warn -------------------------------------------------------------------------------------------


def test_duplicated_entries_warn(tree):
    crontab = tree.system("0 1 * * * root /opt/shop/bin/sync\n")
    fragment = tree.cron_d("shop-sync", "15 1 * * * root /opt/shop/bin/sync\n")
    record = check(tree, command="bin/sync")
    assert record["status"] == "warn"
    assert record["summary"] == (
        f"2 entries run /bin/sync/: {crontab}:1 (0 1 * * *), {fragment}:1 (15 1 * * *) "
        "(the job may run more than once)")
    assert record["observed"]["entries"] == [f"{crontab}:1", f"{fragment}:1"]


def test_cron_tz_on_a_cron_that_ignores_it_warns_and_uses_the_host_zone(tree):
    tree.system("CRON_TZ=Asia/Tokyo\n0 6 * * * root /opt/shop/bin/export\n")
    record = check(tree, command="export", cron_tz="ignored")
    assert record["status"] == "warn"
    assert record["summary"] == ("CRON_TZ=Asia/Tokyo is set, but this host's cron ignores CRON_TZ: "
                                 f"the job runs in {host_zone().name}")
    assert record["observed"]["timezone"] == host_zone().name


# --- fail -------------------------------------------------------------------------------------------


def test_missing_job_fails_and_names_near_misses(tree):
    tree.user(USER, "# 30 2 * * * /opt/shop/bin/backup\n")
    tree.cron_d("backup.cron", "0 3 * * * root /opt/shop/bin/backup\n")
    tree.cron_d("loose", "0 4 * * * root /opt/shop/bin/backup\n", mode=0o664)
    tree.system("0 5 * * * postgres /opt/shop/bin/backup\n")
    record = check(tree, command="bin/backup", user=USER)
    assert record["status"] == "fail"
    assert record["summary"] == (
        f"no cron entry runs /bin/backup/ as {USER} (found commented out at {tree.spool_dir}/{USER}:1; "
        f"at {tree.cron_d_dir}/backup.cron:1, but cron ignores it: "
        "only names of letters, digits, '_' and '-' are read; "
        f"at {tree.cron_d_dir}/loose:1, but cron ignores it: it is group- or other-writable (mode 0664); "
        f"at {tree.crontab_file}:1 as user postgres)")
    assert "entry" not in record["observed"]


def test_no_crontabs_at_all_fails(tree):
    record = check(tree, command="anything")
    assert record["status"] == "fail"
    assert record["summary"] == "no cron entry runs /anything/"
    assert record["observed"]["searched"] == [os.path.join(tree.spool_dir, USER)]


def test_wrong_schedule_and_zone_fail(tree):
    path = tree.user(USER, "0 4 * * * /opt/shop/bin/backup\n")
    record = check(tree, command="backup", schedule="@daily", timezone="Europe/Berlin")
    assert record["status"] == "fail"
    assert f"{path}:1 runs at '0 4 * * *', expected '@daily'" in record["summary"]
    assert f"runs in time zone {host_zone().name}, expected Europe/Berlin" in record["summary"]


def test_next_run_outside_the_window_fails(tree):
    tree.user(USER, "0 0 1 1 * /opt/shop/bin/yearly-report\n")
    record = check(tree, command="yearly-report", fires_within="1h")
    assert record["status"] == "fail"
    assert record["summary"].startswith("next run ")
    assert record["summary"].endswith(", expected within 1h")
    assert datetime.datetime.fromisoformat(record["observed"]["next_run"]).strftime("%m-%d %H:%M") == "01-01 00:00"


def test_schedule_that_never_fires_and_boot_only_jobs_fail(tree):
    tree.user(USER, "0 0 30 2 * /opt/shop/bin/never\n@reboot /opt/shop/bin/boot\n")
    never = check(tree, command="never")
    assert never["status"] == "fail"
    assert never["summary"].endswith("'0 0 30 2 *' never fires (no such date)")
    boot = check(tree, command="boot", fires_within="1d")
    assert boot["status"] == "fail"
    assert boot["summary"].endswith("runs only at boot, so not within 1d")


def test_a_bad_line_in_the_file_of_the_job_fails(tree):
    fragment = tree.cron_d("shop", "0 1 * * * root /opt/shop/bin/sync\n0 25 * * * root /opt/shop/bin/other\n")
    record = check(tree, command="sync")
    assert record["status"] == "fail"
    assert record["summary"] == (f"{fragment}:2: cron rejects this line (hour: 25 is outside 0-23); Debian's cron then "
                                 "ignores the whole file")


def test_a_bad_line_running_the_command_fails(tree):
    crontab = tree.system("0 25 * * * root /opt/shop/bin/sync\n")
    record = check(tree, command="sync")
    assert record["status"] == "fail"
    assert record["summary"] == (f"no cron entry runs /sync/; {crontab}:1: "
                                 "cron rejects this line: hour: 25 is outside 0-23")


def test_url_passwords_in_commands_are_masked(tree):
    tree.user(USER, "0 * * * * curl -fsS https://ping:hunter2-secret@hc.example.com/abc\n")
    record = check(tree, command="curl")
    assert record["status"] == "pass"
    assert "hunter2-secret" not in str(record)
    assert record["observed"]["command"] == "curl -fsS https://ping:****@hc.example.com/abc"


def test_passwords_and_tokens_in_commands_are_masked(tree):
    tree.user(USER, "0 3 * * * PGPASSWORD=s3cretPw0rd pg_dump -h db shop > /var/backups/shop.sql\n"
                    "0 * * * * curl -H 'Authorization: Bearer 9f8e7d6c5b4a39281716' https://hc.example.com/ping\n")
    tree.cron_d("sync", "sync --token=tok3nValue99\n")
    for command, secret in (("pg_dump", "s3cretPw0rd"), ("curl", "9f8e7d6c5b4a39281716")):
        record = check(tree, command=command)
        assert record["status"] == "pass", record["summary"]
        assert secret not in str(record)
    record = check(tree, command="sync")
    assert record["status"] == "fail"
    assert "tok3nValue99" not in str(record)


# --- error ------------------------------------------------------------------------------------------


def test_unknown_cron_tz_is_an_error(tree):
    tree.system("CRON_TZ=Mars/Olympus_Mons\n0 1 * * * root /opt/shop/bin/sync\n")
    record = check(tree, command="sync", cron_tz="honored")
    assert record["status"] == "error"
    assert record["summary"] == "unknown time zone 'Mars/Olympus_Mons'"


def test_unlistable_cron_d_is_an_error(tree):
    not_a_dir = os.path.join(tree.root, "file")
    with open(not_a_dir, "w") as handle:
        handle.write("x")
    record = check(tree, command="sync", cron_d_dir=not_a_dir)
    assert record["status"] == "error"
    assert record["summary"] == f"cannot list {not_a_dir}: Not a directory"


# --- the real crontab command -----------------------------------------------------------------------


def test_real_crontab_is_read_from_the_spool_and_through_crontab_l():
    user = nobody()
    text = "CRON_TZ=UTC\n45 23 * * * /usr/local/bin/golive-test-job --nightly\n"
    with installed_crontab(user.pw_name, text):
        item = dict(command="golive-test-job", user=user.pw_name, schedule="45 23 * * *", sources=["user"])
        as_root = run_item(scheduled_jobs, item, 10)
        assert as_root["status"] == "pass", as_root["summary"]
        assert as_root["observed"]["entry"].startswith(f"/var/spool/cron/crontabs/{user.pw_name}:")
        # nobody cannot read the spool directory; the setgid crontab command reads its crontab for it
        as_nobody = run_check_as(user, "scheduled_jobs", item)
        assert as_nobody["status"] == "pass", as_nobody["summary"]
        assert as_nobody["observed"]["entry"].startswith(f"crontab -l -u {user.pw_name}:")
        assert as_nobody["observed"]["schedule"] == "45 23 * * *"


# --- bad input --------------------------------------------------------------------------------------


@pytest.mark.parametrize("item, problem", [
    (dict(command="("), "command: '(' is not a valid regular expression"),
    (dict(command="  "), "command: must be a regular expression"),
    (dict(command="x", schedule="0 3 * *"), "schedule: '0 3 * *' has 4 fields"),
    (dict(command="x", schedule="0 3 * * mon-xyz"), "schedule: day of week: 'xyz' is not a number or a name"),
    (dict(command="x", schedule="@reboot", fires_within="1h"), "fires_within: an @reboot job has no next run"),
    (dict(command="x", fires_within="soon"), "fires_within: 'soon' is not a number"),
    (dict(command="x", fires_within="0"), "fires_within: must be greater than zero"),
    (dict(command="x", sources=[]), "sources: must list some of user, crontab, cron_d"),
    (dict(command="x", sources=["anacron"]), "value of sources must be one or more of: user, crontab, cron_d"),
    (dict(command="x", spool_dir="spool"), "spool_dir: 'spool' must be absolute"),
    (dict(command="x", timezone="Europe/ Berlin"), "timezone: 'Europe/ Berlin' is not a time zone name"),
    (dict(command="x", user="../root"), "user: '../root' is not a user name"),
    (dict(command="x", cron_tz="maybe"), "value of cron_tz must be one of: auto, honored, ignored, got: maybe"),
])
def test_bad_options_name_the_option(item, problem):
    with pytest.raises(OptionError) as raised:
        prepared(scheduled_jobs, item)
    assert str(raised.value).startswith(problem)


def test_describe_is_stable():
    assert described(scheduled_jobs, {"command": "backup"}) == ("backup", "Cron job /backup/")
    assert described(scheduled_jobs, {"command": "backup", "user": "postgres"}) == (
        "backup@postgres", "Cron job /backup/ of postgres")
