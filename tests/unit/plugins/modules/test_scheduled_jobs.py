"""scheduled_jobs end to end: real `ansible localhost -m golive.readiness.scheduled_jobs` over real crontab files."""

from __future__ import annotations

from ansible_collections.golive.readiness.plugins.module_utils._checks import scheduled_jobs
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._crontabs import CronTree

from ._adhoc import ansible_run, assert_documents_options


def test_module_documentation_renders_every_option():
    doc = assert_documents_options("scheduled_jobs", scheduled_jobs)
    suboptions = doc["options"]["checks"]["suboptions"]
    assert suboptions["sources"]["choices"] == list(scheduled_jobs.SOURCES)
    assert suboptions["cron_tz"]["choices"] == list(scheduled_jobs.CRON_TZ_MODES)


def test_module_checks_real_crontabs(tmp_path):
    tree = CronTree(tmp_path)
    tree.system("SHELL=/bin/sh\n30 2 * * * root /opt/shop/bin/backup --full\n")
    tree.cron_d("shop", "*/5 * * * * www-data /opt/shop/bin/queue-worker --once\n")
    tree.cron_d("reports.cron", "0 6 * * 1 www-data /opt/shop/bin/weekly-report\n")
    done, result = ansible_run("scheduled_jobs", {"checks": [
        tree.options(command="bin/backup", user="root", schedule="30 2 * * *", fires_within="25h"),
        tree.options(command="queue-worker", user="www-data", schedule="*/5 * * * *", fires_within="5m"),
        tree.options(command="weekly-report", severity="medium"),
    ]})
    assert done.returncode == 2
    records = result["golive_checks"]
    assert [(r["id"], r["status"]) for r in records] == [
        ("scheduled_jobs:bin/backup@root", "pass"), ("scheduled_jobs:queue-worker@www-data", "pass"),
        ("scheduled_jobs:weekly-report", "fail")]
    assert records[0]["observed"]["entry"] == f"{tree.crontab_file}:2"
    assert records[0]["observed"]["next_run"].split("T")[1].startswith("02:30:00")
    assert records[2]["summary"].endswith("but cron ignores it: only names of letters, digits, '_' and '-' are read)")
    assert records[2]["severity"] == "medium"
    assert result["golive_counts"] == {"pass": 2, "warn": 0, "fail": 1, "error": 0, "skipped": 0}


def test_module_passes_when_every_job_is_scheduled(tmp_path):
    tree = CronTree(tmp_path)
    tree.cron_d("certbot", "0 */12 * * * root certbot -q renew\n")
    item = tree.options(command="certbot .*renew", fires_within="12h")
    done, result = ansible_run("scheduled_jobs", {"checks": [item]})
    assert done.returncode == 0, done.stdout
    assert result["changed"] is False
    assert result["golive_checks"][0]["status"] == "pass"


def test_bad_schedule_fails_the_task_naming_the_option(tmp_path):
    done, result = ansible_run("scheduled_jobs", {"checks": [{"command": "backup", "schedule": "0 3 * * * *x"}]})
    assert done.returncode == 2
    assert result["msg"].startswith("invalid check options: checks[0]: schedule: ")
    assert "has 6 fields" in result["msg"]
    assert "Traceback" not in done.stdout + done.stderr


def test_verify_runs_scheduled_jobs_in_a_mixed_list(tmp_path):
    tree = CronTree(tmp_path)
    tree.system("@hourly root /opt/shop/bin/sync\n")
    done, result = ansible_run("verify", {"fail_on": [], "checks": [
        dict(tree.options(command="bin/sync", schedule="0 * * * *"), kind="scheduled_jobs"),
        {"kind": "disk_space", "path": str(tmp_path)},
    ]})
    assert done.returncode == 0, done.stdout
    assert [(r["kind"], r["status"]) for r in result["golive_checks"]] == [
        ("scheduled_jobs", "pass"), ("disk_space", "pass")]
