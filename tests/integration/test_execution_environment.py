"""The execution environment: ``ansible-builder create`` turns meta/execution-environment.yml into a build context
holding the collection's requirements, and ansible-builder's introspection finds them in the installed collection
(how another execution environment that lists golive.readiness gets them). No container engine is needed."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys

import pytest
import yaml
from playbook_runs import REPO, ansible_tool, clean_environment

pytestmark = pytest.mark.integration


def requirement_lines(path):
    with open(path, encoding="utf-8") as handle:
        return [line.strip() for line in handle if line.strip() and not line.lstrip().startswith("#")]


def run_tool(*args, cwd, env=None):
    completed = subprocess.run(list(args), cwd=cwd, env=dict(clean_environment(), **(env or {})),
                               stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300, check=False)
    assert completed.returncode == 0, f"{' '.join(args)}:\n{completed.stdout}\n{completed.stderr}"
    return completed.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The collection built from this tree and installed, with its tarball next to meta/ as `make build` leaves it."""
    root = tmp_path_factory.mktemp("ee")
    build = root / "build"
    run_tool(ansible_tool("ansible-galaxy"), "collection", "build", REPO, "--output-path", str(build), cwd=str(root))
    (tarball,) = glob.glob(str(build / "golive-readiness-*.tar.gz"))
    collections = root / "collections"
    run_tool(ansible_tool("ansible-galaxy"), "collection", "install", tarball, "-p", str(collections), cwd=str(root),
             env=dict(ANSIBLE_COLLECTIONS_PATH=str(collections)))
    collection = collections / "ansible_collections" / "golive" / "readiness"
    shutil.copy(tarball, collection)
    return dict(root=root, collections=collections, collection=collection, tarball=os.path.basename(tarball))


def test_the_definition_is_schema_version_3_with_ranges_not_pins():
    with open(os.path.join(REPO, "meta", "execution-environment.yml"), encoding="utf-8") as handle:
        definition = yaml.safe_load(handle)
    assert definition["version"] == 3
    published = requirement_lines(os.path.join(REPO, "meta", "requirements.txt"))
    assert published and [line for line in published if "==" in line] == []
    assert all(">=" in line and "<" in line for line in published), published
    # pip users read the same list through the root's requirements.txt.
    assert requirement_lines(os.path.join(REPO, "requirements.txt")) == ["-r meta/requirements.txt"]
    with open(os.path.join(REPO, "bindep.txt"), encoding="utf-8") as root_bindep, \
            open(os.path.join(REPO, "meta", "bindep.txt"), encoding="utf-8") as meta_bindep:
        assert root_bindep.read() == meta_bindep.read()


def test_ansible_builder_create_writes_a_context_with_the_collections_requirements(installed):
    context = installed["root"] / "context"
    definition = installed["collection"] / "meta" / "execution-environment.yml"
    run_tool(ansible_tool("ansible-builder"), "create", "-f", str(definition), "-c", str(context),
             "--output-filename", "Containerfile", cwd=str(installed["root"]))

    built = context / "_build"
    published = requirement_lines(os.path.join(REPO, "meta", "requirements.txt"))
    assert requirement_lines(built / "requirements.txt") == published
    assert requirement_lines(built / "bindep.txt") == requirement_lines(os.path.join(REPO, "bindep.txt"))
    assert (built / "collections" / installed["tarball"]).is_file()
    containerfile = (context / "Containerfile").read_text()
    assert "COPY _build/requirements.txt requirements.txt" in containerfile
    assert "--user-pip=requirements.txt --user-bindep=bindep.txt" in containerfile
    assert 'ANSIBLE_INSTALL_REFS="ansible-core>=2.19,<2.20 ansible-runner>=2.4,<3"' in containerfile
    assert "ansible-galaxy collection install /tmp/golive-collections/golive-readiness-*.tar.gz" in containerfile


def test_introspection_of_the_installed_collection_finds_its_requirements(installed):
    """What ansible-builder runs inside the build for every collection an execution environment lists."""
    introspect = os.path.join(os.path.dirname(os.path.dirname(ansible_tool("ansible-builder"))), "lib")
    scripts = glob.glob(os.path.join(introspect, "python3*", "site-packages", "ansible_builder", "_target_scripts",
                                     "introspect.py"))
    assert len(scripts) == 1, scripts
    out = installed["root"] / "introspected"
    run_tool(sys.executable, scripts[0], "introspect", str(installed["collections"]),
             f"--write-pip={out}-pip.txt", f"--write-bindep={out}-bindep.txt", cwd=str(installed["root"]))
    pip = requirement_lines(f"{out}-pip.txt")
    # ansible-builder leaves ansible-core to the image; every other requirement comes with the collection's name.
    expected = [line for line in requirement_lines(os.path.join(REPO, "meta", "requirements.txt"))
                if not line.startswith("ansible-core")]
    assert [line.split("  #")[0].strip() for line in pip] == expected, pip
    assert all(line.endswith("# from collection golive.readiness") for line in pip), pip
    bindep = requirement_lines(f"{out}-bindep.txt")
    assert [line.split("  #")[0].strip() for line in bindep] == requirement_lines(os.path.join(REPO, "bindep.txt"))
