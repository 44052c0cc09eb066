"""python_runtime end to end: real `ansible localhost -m golive.readiness.python_runtime` and verify runs."""

from __future__ import annotations

import os
import sys
from importlib import metadata

from ansible_collections.golive.readiness.plugins.module_utils._checks import python_runtime

from ._adhoc import REPO, ansible_run, assert_documents_options

VENV_PYTHON = os.path.join(REPO, ".venv", "bin", "python")


def test_module_checks_the_venv_interpreter_and_its_pins(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("jmespath=={}\nPyYAML==0.0.1\nrequests>=2\n".format(metadata.version("jmespath")))
    done, result = ansible_run("python_runtime", {"checks": [
        {"python": VENV_PYTHON, "min_version": "3.8", "require_virtualenv": True,
         "requirements": str(requirements)},
        {"min_version": "3.8", "severity": "low"},
    ]})
    assert done.returncode == 2, done.stdout  # the wrong pin fails the task
    venv, own = result["golive_checks"]
    assert venv["id"] == f"python_runtime:{VENV_PYTHON}"
    assert venv["status"] == "fail"
    assert venv["observed"]["virtualenv"] is True
    assert venv["observed"]["mismatched"] == [
        {"name": "PyYAML", "wanted": "0.0.1", "installed": metadata.version("PyYAML")}]
    assert venv["observed"]["unpinned"] == ["requests"]
    assert own["id"] == "python_runtime:self"
    assert own["status"] == "pass"
    assert own["severity"] == "low"
    assert own["observed"]["version"] == "{}.{}.{}".format(*sys.version_info[:3])


def test_bad_min_version_fails_the_task_naming_the_option():
    done, result = ansible_run("python_runtime", {"checks": [{"min_version": "three"}]})
    assert done.returncode == 2
    assert result["msg"].startswith("invalid check options: checks[0]")
    assert result["msg"].endswith("min_version: 'three' is not a version like 3.10 or 3.11.4")


def test_verify_runs_python_runtime_in_a_mixed_list(tmp_path):
    done, result = ansible_run("verify", {"fail_on": [], "checks": [
        {"kind": "python_runtime", "python": VENV_PYTHON, "require_virtualenv": True},
        {"kind": "python_runtime", "python": str(tmp_path / "nope" / "python")},
        {"kind": "disk_space", "path": "/"},
        {"kind": "env_vars", "source": "module", "required": ["PATH"]},
    ]})
    assert done.returncode == 0, done.stdout
    assert [(r["id"], r["status"]) for r in result["golive_checks"]] == [
        (f"python_runtime:{VENV_PYTHON}", "pass"),
        (f'python_runtime:{tmp_path / "nope" / "python"}', "error"),
        ("disk_space:/", "pass"),
        ("env_vars:module", "pass"),
    ]
    assert result["golive_checks"][1]["summary"] == f'no interpreter at {tmp_path / "nope" / "python"}'


def test_module_documentation_renders_every_option():
    doc = assert_documents_options("python_runtime", python_runtime)
    assert doc["options"]["checks"]["suboptions"]["unpinned_status"]["choices"] == ["warn", "fail"]


def test_module_compiles_and_imports_with_the_venv_interpreter_writing_nothing(tmp_path):
    release = tmp_path / "release"
    (release / "shop").mkdir(parents=True)
    (release / "shop" / "__init__.py").write_text("")
    (release / "shop" / "wsgi.py").write_text("application = object()\n")
    (release / "shop" / "broken.py").write_text("def f(:\n")
    before = sorted(os.listdir(release / "shop"))
    done, result = ansible_run("python_runtime", {"checks": [
        {"python": VENV_PYTHON, "compile": [str(release)], "imports": ["shop.wsgi", "shop.nothere"],
         "chdir": str(release)},
    ]})
    assert done.returncode == 2, done.stdout
    [record] = result["golive_checks"]
    assert record["status"] == "fail"
    assert record["observed"]["compile"]["errors"][0]["file"] == str(release / "shop" / "broken.py")
    assert [i["ok"] for i in record["observed"]["imports"]] == [True, False]
    assert sorted(os.listdir(release / "shop")) == before  # no __pycache__
