"""code_markers end to end: real `ansible localhost -m golive.readiness.code_markers` and verify runs on real trees."""

from __future__ import annotations

import os

from ansible_collections.golive.readiness.plugins.module_utils._checks import code_markers

from ._adhoc import ansible_run, assert_documents_options


def source_tree(tmp_path):
    root = tmp_path / "shop"
    (root / "shop").mkdir(parents=True)
    (root / "shop" / "cart.py").write_text("def total(lines):\n    return sum(lines)  # TODO: rounding\n")
    (root / "shop" / "pay.py").write_text("RETRIES = 3  # HACK until the provider fixes 502s\n")
    (root / ".git").mkdir()
    (root / ".git" / "COMMIT_EDITMSG").write_text("FIXME\n")
    return str(root)


def test_module_counts_markers_and_fails_the_task(tmp_path):
    root = source_tree(tmp_path)
    done, result = ansible_run("code_markers", {"checks": [
        {"paths": [root], "name": "shop"},
        {"paths": [root], "markers": ["FIXME"], "id": "fixme-only"},
    ]})
    assert done.returncode == 2, done.stdout  # the first item fails the task, like assert
    markers, fixme = result["golive_checks"]
    assert markers["id"] == "code_markers:shop"
    assert markers["status"] == "fail"
    assert dict((m, c["value"]) for m, c in markers["observed"]["by_marker"].items()) == dict(
        TODO=1, FIXME=0, XXX=0, HACK=1)
    assert [(loc["file"], loc["line"]) for loc in markers["observed"]["locations"]] == [
        (os.path.join(root, "shop", "cart.py"), 2), (os.path.join(root, "shop", "pay.py"), 1)]
    assert (fixme["id"], fixme["status"]) == ("fixme-only", "pass")  # .git is not the application's code


def test_verify_runs_code_markers_beside_other_kinds(tmp_path):
    root = source_tree(tmp_path)
    done, result = ansible_run("verify", {"fail_on": [], "checks": [
        {"kind": "code_markers", "paths": [root], "count_fail_above": 5},
        {"kind": "code_markers", "paths": [str(tmp_path / "absent")]},
    ]})
    assert done.returncode == 0, done.stdout
    assert [(r["id"], r["status"], r["severity"]) for r in result["golive_checks"]] == [
        (f"code_markers:{root}", "pass", "medium"), (f"code_markers:{tmp_path / 'absent'}", "error", "medium")]


def test_bad_option_fails_the_task_naming_it(tmp_path):
    done, result = ansible_run("code_markers", {"checks": [{"paths": ["relative/dir"]}]})
    assert done.returncode == 2
    assert result["msg"].startswith("invalid check options: checks[0]")
    assert result["msg"].endswith("paths: 'relative/dir' must be an absolute path or glob")


def test_module_documentation_renders_every_option():
    doc = assert_documents_options("code_markers", code_markers)
    assert doc["options"]["checks"]["suboptions"]["markers"]["default"] == ["TODO", "FIXME", "XXX", "HACK"]
