"""The collection as users get it: built, installed, and its playbook imported from an empty directory."""

from __future__ import annotations

import glob
import os
import subprocess

import pytest
import yaml
from playbook_runs import (
    HEALTHY_VARS,
    REPO,
    SSH_HOSTS,
    VERIFY_TASK,
    ansible_tool,
    checks_by_host,
    clean_environment,
    hosts_of_task,
)

pytestmark = pytest.mark.integration

SITE_PLAYBOOK = [dict(name="Go-live readiness from the installed collection",
                      **{"ansible.builtin.import_playbook": "golive.readiness.golive"})]


def galaxy(*args, cwd, env):
    completed = subprocess.run([ansible_tool("ansible-galaxy"), "collection", *args], cwd=cwd, env=env,
                               stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0, "ansible-galaxy collection {} failed:\n{}\n{}".format(
        " ".join(args), completed.stdout, completed.stderr)
    return completed


def galaxy_version():
    with open(os.path.join(REPO, "galaxy.yml")) as handle:
        return str(yaml.safe_load(handle)["version"])


@pytest.fixture
def installed_collection(tmp_path):
    """The collection built from this tree and installed into a collections path of its own."""
    build_dir, install_dir, neutral = tmp_path / "build", tmp_path / "collections", tmp_path / "galaxy-cwd"
    neutral.mkdir()
    galaxy("build", REPO, "--output-path", str(build_dir), cwd=REPO, env=clean_environment())
    tarballs = glob.glob(str(build_dir / "golive-readiness-*.tar.gz"))
    assert len(tarballs) == 1, tarballs
    # From a directory without ansible.cfg, so the repository's own link to the collection is not seen.
    env = dict(clean_environment(), ANSIBLE_COLLECTIONS_PATH=str(install_dir))
    galaxy("install", tarballs[0], "-p", str(install_dir), cwd=str(neutral), env=env)
    assert os.path.isfile(install_dir / "ansible_collections" / "golive" / "readiness" / "playbooks" / "golive.yml")
    return str(install_dir)


def test_installed_collection_playbook_runs_from_an_empty_directory(golive, installed_collection, tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "site.yml").write_text(yaml.safe_dump(SITE_PLAYBOOK, sort_keys=False))
    failing = str(tmp_path / "no-such-dir" / "app.conf")
    host_vars = {"db01": dict(golive_paths=[dict(path=failing, state="file", severity="medium")])}
    env = dict(ANSIBLE_COLLECTIONS_PATH=installed_collection, ANSIBLE_CALLBACKS_ENABLED="golive.readiness.report")

    run = golive.run(playbook="site.yml", cwd=str(project), env=env, group_vars=HEALTHY_VARS, host_vars=host_vars,
                     label="installed")

    assert run.returncode == 0, run.tail()
    # A medium-severity failure does not block: the verdict shows the report callback and the gate both ran.
    assert run.verdict == "GO WITH WARNINGS", run.tail()
    report = run.report
    assert report["verdict"] == "GO WITH WARNINGS"
    assert report["run"]["collection_version"] == galaxy_version()
    by_host = checks_by_host(report)
    assert set(by_host) == set(SSH_HOSTS)
    for host in SSH_HOSTS:
        assert by_host[host]["disk_space:/"]["status"] == "pass"
    assert by_host["db01"][f"path:{failing}"]["status"] == "fail"
    assert [(w["host"], w["id"]) for w in report["warnings"]] == [("db01", f"path:{failing}")]
    assert sorted(hosts_of_task(run.stdout, VERIFY_TASK)) == sorted(("ok", host) for host in SSH_HOSTS)
