"""Adding a kind takes its kind module, its module and one line naming its section variable; the rest is generated.

A throwaway kind (a copy of ``path`` named ``scratch_path``) is added to a copy of the collection,
the derived files are generated, and the built and installed collection runs it through golive.yml.
"""

from __future__ import annotations

import glob
import os
import re
import subprocess
import sys

import pytest
import yaml
from playbook_runs import HEALTHY_VARS, REPO, SSH_HOSTS, checks_by_host, clean_environment
from test_built_collection import SITE_PLAYBOOK, galaxy

pytestmark = pytest.mark.integration

KIND = "scratch_path"
VARIABLE = "golive_scratch_paths"
# Every file generated from the kinds that must name a new host-side infrastructure kind.
DERIVED_FILES = ("plugins/module_utils/_checks/_ansiballz.py", "meta/runtime.yml", "README.md",
                 "roles/infrastructure/defaults/main.yml", "roles/infrastructure/vars/main.yml",
                 "roles/infrastructure/meta/argument_specs.yml", "roles/infrastructure/README.md",
                 "roles/checklist/meta/argument_specs.yml", "roles/checklist/README.md",
                 "playbooks/vars/checklists.yml",
                 # The module documentation's generated blocks: the new module's own, and verify's seealso.
                 f"plugins/modules/{KIND}.py", "plugins/modules/verify.py")


def copy_collection(destination):
    """The tracked files of this checkout in ``destination``, importable as the collection for the generators."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    for relative in listed.decode().split("\0"):
        source = os.path.join(REPO, relative)
        if not relative or not os.path.isfile(source):
            continue
        target = os.path.join(destination, relative)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(source, "rb") as reader, open(target, "wb") as writer:
            writer.write(reader.read())
        os.chmod(target, os.stat(source).st_mode)
    link = os.path.join(destination, ".collections", "ansible_collections", "golive", "readiness")
    os.makedirs(os.path.dirname(link))
    os.symlink(os.path.join("..", "..", ".."), link)


def add_throwaway_kind(collection):
    """``scratch_path``: the path kind and module under a new name, with its one line naming its variable."""
    with open(os.path.join(REPO, "plugins", "module_utils", "_checks", "path.py"), encoding="utf-8") as handle:
        kind = handle.read()
    kind, renamed = re.subn(r'^KIND = "path"$', f'KIND = "{KIND}"', kind, flags=re.MULTILINE)
    kind, declared = re.subn(r"^VARIABLES = .*$", f'VARIABLES = {{"{VARIABLE}": "infrastructure"}}', kind,
                             flags=re.MULTILINE)
    assert (renamed, declared) == (1, 1)
    kinds_dir = os.path.join(collection, "plugins", "module_utils", "_checks")
    with open(os.path.join(kinds_dir, f"{KIND}.py"), "w", encoding="utf-8") as handle:
        handle.write(kind)
    with open(os.path.join(REPO, "plugins", "modules", "path.py"), encoding="utf-8") as handle:
        module = handle.read()
    module = module.replace("module: path\n", f"module: {KIND}\n").replace(
        "module_utils._checks import path\n", f"module_utils._checks import {KIND} as path\n")
    with open(os.path.join(collection, "plugins", "modules", f"{KIND}.py"), "w", encoding="utf-8") as handle:
        handle.write(module)


def generate(collection, *args):
    return subprocess.run([os.path.join(collection, "scripts", "generate"), *args], cwd=collection,
                          env=dict(clean_environment(), PYTHON=sys.executable), capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.fixture
def collection_with_new_kind(tmp_path):
    collection = str(tmp_path / "checkout")
    copy_collection(collection)
    add_throwaway_kind(collection)
    return collection


@pytest.fixture
def installed_new_kind(collection_with_new_kind, tmp_path):
    """The copy with the new kind, generated, built and installed into a collections path of its own."""
    generated = generate(collection_with_new_kind)
    assert generated.returncode == 0, generated.stderr
    build_dir, install_dir, neutral = tmp_path / "build", tmp_path / "collections", tmp_path / "galaxy-cwd"
    neutral.mkdir()
    galaxy("build", collection_with_new_kind, "--output-path", str(build_dir), cwd=collection_with_new_kind,
           env=clean_environment())
    tarballs = glob.glob(str(build_dir / "golive-readiness-*.tar.gz"))
    assert len(tarballs) == 1, tarballs
    galaxy("install", tarballs[0], "-p", str(install_dir), cwd=str(neutral),
           env=dict(clean_environment(), ANSIBLE_COLLECTIONS_PATH=str(install_dir)))
    return str(install_dir)


def test_generation_skipped_is_refused_naming_every_file_that_misses_the_new_kind(collection_with_new_kind):
    done = generate(collection_with_new_kind, "--check")
    assert done.returncode == 1
    stale = sorted(re.findall(r"^(\S+): out of date", done.stderr, re.MULTILINE))
    assert stale == sorted(DERIVED_FILES), done.stdout + done.stderr


def installed_file(collections_path, *parts):
    path = os.path.join(collections_path, "ansible_collections", "golive", "readiness", *parts)
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def test_a_new_kind_runs_through_golive_from_extra_checks_and_its_section_variable(golive, installed_new_kind,
                                                                                   tmp_path):
    runtime = yaml.safe_load(installed_file(installed_new_kind, "meta", "runtime.yml"))
    assert KIND in runtime["action_groups"]["checks"]
    specs = yaml.safe_load(installed_file(installed_new_kind, "roles", "infrastructure", "meta", "argument_specs.yml"))
    assert VARIABLE in specs["argument_specs"]["main"]["options"]

    project = tmp_path / "project"
    project.mkdir()
    (project / "site.yml").write_text(yaml.safe_dump(SITE_PLAYBOOK, sort_keys=False))
    present, missing = str(tmp_path), str(tmp_path / "no-such-file")
    items = [dict(path=present, state="directory"), dict(path=missing, state="file", severity="medium")]
    env = dict(ANSIBLE_COLLECTIONS_PATH=installed_new_kind, ANSIBLE_CALLBACKS_ENABLED="golive.readiness.report")
    extra = [dict(item, kind=KIND) for item in items]
    runs = {
        "golive_extra_checks": golive.run(playbook="site.yml", cwd=str(project), env=env, group_vars=HEALTHY_VARS,
                                          host_vars={"web01": {"golive_extra_checks": extra}}, label="extra"),
        VARIABLE: golive.run(playbook="site.yml", cwd=str(project), env=env, group_vars=HEALTHY_VARS,
                             host_vars={"web01": {VARIABLE: items}}, label="section"),
    }
    for given_by, run in runs.items():
        assert run.returncode == 0, f"{given_by}: {run.tail()}"
        assert run.verdict == "GO WITH WARNINGS", f"{given_by}: {run.tail()}"
        by_host = checks_by_host(run.report)
        assert set(by_host) == set(SSH_HOSTS)
        records = dict((check_id, record) for check_id, record in by_host["web01"].items() if record["kind"] == KIND)
        assert sorted(records) == sorted([f"{KIND}:{present}", f"{KIND}:{missing}"]), given_by
        assert records[f"{KIND}:{present}"]["status"] == "pass", given_by
        assert records[f"{KIND}:{missing}"]["status"] == "fail", given_by
        assert all(record["section"] == "infrastructure" for record in records.values()), given_by
        assert not any(record["kind"] == KIND for host in ("web02", "db01") for record in by_host[host].values())
