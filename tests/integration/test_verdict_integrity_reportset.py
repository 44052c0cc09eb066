"""The report set on disk is one run's, whole: real golive runs over the loopback SSH hosts.

A full report disk is a real one: a small tmpfs the test mounts (root only) and fills, so the report
callback's writes fail with ENOSPC. Files planted in the history (a FIFO, a link to /dev/zero, a report
over the read limit) must cost the run its comparison with a warning, never hang it.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET

import pytest
from playbook_runs import HEALTHY_VARS, read_report
from prometheus_client.parser import text_string_to_metric_families

from ansible_collections.golive.readiness.plugins.plugin_utils import _report_history

pytestmark = pytest.mark.integration

FILES = ("report.json", "junit.xml", "report.html", "report.md", "golive.prom")
PLANTED = "20200101T000000Z"
PAGE = 4096


# The files a run writes before report.html, in its order (the callback's default formats: json, junit, html...).
WRITTEN_BEFORE_HTML = ("report.json", "junit.xml")


def room_before_html(report_dir):
    """Room to leave on the full disk: the files written before report.html fit, with a page for the run's new
    directory and one to spare; report.html (many times larger than a page) does not. Measured on the previous
    run's set, so the test follows the formats' sizes."""
    before = sum(-(-os.path.getsize(os.path.join(report_dir, name)) // PAGE) * PAGE for name in WRITTEN_BEFORE_HTML)
    room = before + 2 * PAGE
    assert room + PAGE < before + os.path.getsize(os.path.join(report_dir, "report.html")), room
    return room


NOT_WRITTEN = re.compile(r"^GOLIVE REPORT NOT WRITTEN: cannot write the report into .*No space left on device.*"
                         r"the current report is still the previous run's \(history/\d{8}T\d{6}Z(-\d+)?\)$",
                         re.MULTILINE)


def failing_vars():
    """The healthy settings plus a critical disk check that cannot pass: a NO-GO run."""
    group_vars = copy.deepcopy(HEALTHY_VARS)
    group_vars["golive_disk_space"] = [dict(path="/", free_fail_below="100%", severity="critical")]
    return group_vars


def first_verdict(output):
    match = re.search(r"^GOLIVE VERDICT: (GO WITH WARNINGS|NO-GO|GO)\b", output, re.MULTILINE)
    return match.group(1) if match else None


def read_text(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def verdicts_of_every_file(report_dir):
    """{file: (verdict, run time)} as each top-level file a reader opens says it."""
    texts = dict((name, read_text(os.path.join(report_dir, name))) for name in FILES)
    document = json.loads(texts["report.json"])
    stamp = document["generated_at"]
    properties = dict((p.get("name"), p.get("value")) for p in ET.fromstring(texts["junit.xml"]).iter("property"))
    prometheus = [s.labels["verdict"] for family in text_string_to_metric_families(texts["golive.prom"])
                  for s in family.samples if s.name == "golive_verdict" and s.value == 1]
    return {
        "report.json": (document["verdict"], stamp),
        "junit.xml": (properties["verdict"], properties["generated_at"]),
        "golive.prom": (prometheus[0] if len(prometheus) == 1 else prometheus, stamp),
        "report.md": (document["verdict"] if document["verdict"] in texts["report.md"] else None,
                      stamp if stamp in texts["report.md"] else None),
        "report.html": (document["verdict"] if document["verdict"] in texts["report.html"] else None,
                        stamp if stamp in texts["report.html"] else None),
    }


def assert_one_run_set(report_dir, verdict):
    """Every top-level file resolves into the archive latest names and all of them tell the same run."""
    seen = verdicts_of_every_file(report_dir)
    document = read_report(os.path.join(report_dir, "report.json"))
    assert set(seen.values()) == {(verdict, document["generated_at"])}, seen
    latest = os.readlink(os.path.join(report_dir, "latest"))
    for name in FILES:
        assert os.path.realpath(os.path.join(report_dir, name)) == os.path.realpath(
            os.path.join(report_dir, latest, name))
    return document


def leftovers(report_dir):
    """Temporary files or directories of a publication: nothing a reader could take for a report."""
    found = [name for name in os.listdir(report_dir) if name.startswith(".")]
    found += [name for name in os.listdir(os.path.join(report_dir, "history")) if name.startswith(".")]
    return found


class SmallDisk(object):
    """A tmpfs of ``size`` mounted on ``path`` for one test, filled on demand, always unmounted."""

    def __init__(self, path, size):
        self.path = str(path)
        self.size = size
        self.filler = os.path.join(self.path, "filler")

    def __enter__(self):
        os.makedirs(self.path)
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={self.size},mode=0755", "tmpfs", self.path],
                                 capture_output=True, text=True, timeout=60, check=False)
        if mounted.returncode != 0:
            pytest.fail(f"cannot mount a tmpfs for the full-disk test (needs root): {mounted.stderr.strip()}")
        return self

    def __exit__(self, *exc_info):
        unmounted = subprocess.run(["umount", self.path], capture_output=True, text=True, timeout=60, check=False)
        if unmounted.returncode != 0:
            # Busy (a process still holds a file): detach it now, the kernel frees it when released.
            subprocess.run(["umount", "-l", self.path], capture_output=True, timeout=60, check=False)

    def free(self):
        status = os.statvfs(self.path)
        return status.f_bavail * status.f_frsize

    def fill_leaving(self, room):
        with open(self.filler, "ab") as handle:
            handle.write(b"\0" * max(0, self.free() - room))
        assert self.free() <= room + 4096

    def empty(self):
        os.unlink(self.filler)


def test_a_full_report_disk_keeps_the_previous_run_set_whole_and_fails_the_run(golive, tmp_path):
    with SmallDisk(tmp_path / "disk", "4m") as disk:
        report_dir = os.path.join(disk.path, "report")
        env = dict(GOLIVE_REPORT_DIR=report_dir)

        first = golive.run(group_vars=failing_vars(), env=env, label="no-go")
        assert first.returncode != 0 and first.verdict == "NO-GO", first.tail()
        previous = assert_one_run_set(report_dir, "NO-GO")

        disk.fill_leaving(room_before_html(report_dir))
        second = golive.run(group_vars=HEALTHY_VARS, env=env, label="disk-full")
        # The run tells its own verdict first, then that its report is not on disk, and fails.
        assert first_verdict(second.stdout) in ("GO", "GO WITH WARNINGS"), second.tail()
        assert NOT_WRITTEN.search(second.stdout), second.tail()
        # The disk filled up after report.json and junit.xml were on it: the case that used to mix two runs.
        assert re.search(r"No space left on device: \S*/history/\.incoming-\S+/report\.html;", second.stdout), \
            second.tail()
        assert second.returncode == 1, second.tail()
        # The previous run's set is still the one every reader finds, whole; nothing of the failed run is left.
        assert assert_one_run_set(report_dir, "NO-GO") == previous
        assert os.listdir(os.path.join(report_dir, "history")) == [previous["archive"].split("/")[1]]
        assert leftovers(report_dir) == []

        disk.empty()
        third = golive.run(group_vars=HEALTHY_VARS, env=env, label="room-again")
        assert third.returncode == 0, third.tail()
        document = assert_one_run_set(report_dir, third.verdict)
        assert document["history"]["previous"]["verdict"] == "NO-GO"
        assert document["history"]["previous"]["archive"] == previous["archive"]
        assert "GOLIVE REPORT NOT WRITTEN" not in third.output


def plant_fifo(archive):
    os.mkfifo(os.path.join(archive, "report.json"))


def plant_dev_zero(archive):
    os.symlink("/dev/zero", os.path.join(archive, "report.json"))


def plant_huge_report(archive):
    with open(os.path.join(archive, "report.json"), "wb") as handle:
        handle.write(b'{"verdict": "GO", "checks": [], "padding": "')
        handle.truncate(_report_history.MAX_REPORT_BYTES + 1)  # sparse: it costs no disk


@pytest.mark.parametrize("plant, refusal", [
    (plant_fifo, "is a FIFO, not a regular file"),
    (plant_dev_zero, "is a symbolic link"),
    (plant_huge_report, "is larger than the 64 MiB read limit"),
], ids=["fifo", "link-to-dev-zero", "over-the-read-limit"])
def test_an_unreadable_previous_report_is_a_warning_and_no_previous_report(golive, tmp_path, plant, refusal):
    report_dir = tmp_path / "report"
    archive = report_dir / "history" / PLANTED
    archive.mkdir(parents=True)
    plant(str(archive))
    os.symlink(f"history/{PLANTED}", report_dir / "latest")
    # A FIFO where a reader looks for the current Prometheus file is replaced, never opened.
    os.mkfifo(report_dir / "golive.prom")

    # playbook_runs bounds every run (RUN_TIMEOUT): a hang fails the test instead of stalling it.
    run = golive.run(group_vars=HEALTHY_VARS, env=dict(GOLIVE_REPORT_DIR=str(report_dir)), label="planted")

    assert run.returncode == 0, run.tail()
    output = " ".join(run.output.split())
    assert f"{refusal}; comparing with no previous report" in output, run.tail()
    document = assert_one_run_set(str(report_dir), run.verdict)
    assert document["history"]["previous"] is None
    assert os.readlink(report_dir / "latest") == document["archive"] != f"history/{PLANTED}"
    assert leftovers(str(report_dir)) == []
