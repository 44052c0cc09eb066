"""rollback_readiness end to end: real `ansible localhost -m golive.readiness.rollback_readiness` runs."""

from __future__ import annotations

import os
import time

from ansible_collections.golive.readiness.plugins.module_utils._checks import rollback_readiness
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._git_repos import (
    commit,
    init_repo,
    tag,
    write,
)

from ._adhoc import ansible_run, assert_documents_options


def ready_shop(root):
    """A deployed shop that can be rolled back: script, releases, current link and a tagged checkout."""
    rollback = write(root, "bin/rollback", '#!/bin/sh\n[ "$1" = --dry-run ] && echo "would activate 2026.01.04"\n',
                     0o755)
    for name in ("2026.01.04", "2026.01.05"):
        write(root, f"releases/{name}/app.py", f"VERSION = {name!r}\n")
    os.symlink(os.path.join(str(root), "releases", "2026.01.05"), os.path.join(str(root), "current"))
    init_repo(root / "src", {"app.py": "VERSION = '2026.01.05'\n"})
    tag(root / "src", "v2026.01.05")
    return dict(name="shop", script=rollback, dry_run=[rollback, "--dry-run"],
                releases_dir=str(root / "releases"), current=str(root / "current"), checkout=str(root / "src"),
                tag_pattern="v*")


def test_ready_rollback_passes_the_task(tmp_path):
    done, result = ansible_run("rollback_readiness", {"checks": [ready_shop(tmp_path)]})
    assert done.returncode == 0, done.stdout
    [record] = result["golive_checks"]
    assert record["id"] == "rollback_readiness:shop"
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["dry_run"]["output_tail"] == "would activate 2026.01.04\n"
    assert result["changed"] is False


def test_missing_script_and_untagged_head_fail_the_task_in_one_call(tmp_path):
    item = ready_shop(tmp_path)
    commit(tmp_path / "src", {"app.py": "VERSION = 'hotfix'\n"}, "hotfix")
    done, result = ansible_run("rollback_readiness", {"checks": [
        dict(item, script=str(tmp_path / "bin" / "gone")),
        dict(name="tags", checkout=item["checkout"], tag_pattern="v*"),
    ]})
    assert done.returncode == 2
    missing, untagged = result["golive_checks"]
    assert missing["status"] == "fail"
    assert missing["summary"].startswith("rollback script %s does not exist; HEAD " % (tmp_path / "bin" / "gone"))
    assert untagged["status"] == "warn"
    assert "it is 1 commit(s) after v2026.01.05" in untagged["summary"]
    assert result["msg"].startswith("2 checks: 1 warn, 1 fail; rollback_readiness:shop fail: ")


def test_hanging_dry_run_fails_within_the_timeout(tmp_path):
    rollback = write(tmp_path, "rollback", "#!/bin/sh\nsleep 120\n", 0o755)
    started = time.monotonic()
    done, result = ansible_run("rollback_readiness", {"checks": [{"dry_run": [rollback], "timeout": "1s"}]})
    assert time.monotonic() - started < 60  # the dry run sleeps 120 s: only the 1 s timeout ends it
    assert done.returncode == 2
    [record] = result["golive_checks"]
    assert record["status"] == "fail"
    assert "did not finish within" in record["summary"]


def test_bad_options_fail_the_task_naming_the_option():
    done, result = ansible_run("rollback_readiness", {"checks": [{"name": "shop"}, {"script": "bin/rollback"}]})
    assert done.returncode == 2
    assert result["msg"] == ("invalid check options: checks[0]: script/dry_run/previous_release/releases_dir/"
                             "checkout: set at least one; checks[1]: script: 'bin/rollback' must be absolute")
    assert "Traceback" not in done.stdout + done.stderr


def test_module_documentation_renders_every_option():
    doc = assert_documents_options("rollback_readiness", rollback_readiness)
    assert doc["options"]["checks"]["suboptions"]["untagged_head"]["choices"] == ["warn", "fail"]
