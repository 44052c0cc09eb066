"""python_runtime: the repository's real virtualenv, the system interpreter, throwaway venvs, real requirements."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from importlib import metadata

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._checks import python_runtime

from ._kind_runner import run_item as run_kind_item
from ._kind_runner import validated_item

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), *[os.pardir] * 5))
VENV_PYTHON = os.path.join(REPO, ".venv", "bin", "python")
SYSTEM_PYTHON = "/usr/bin/python3"


def validated(item):
    return validated_item(python_runtime, item)


def check(item, timeout=20.0):
    record = run_kind_item(python_runtime, item, timeout)
    return record


def installed(name):
    """The version of a distribution installed in the repository's virtualenv (this test's interpreter)."""
    return metadata.version(name)


def requirements(tmp_path, text, name="requirements.txt"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


@pytest.fixture(scope="module")
def venv_python():
    if not os.access(VENV_PYTHON, os.X_OK):
        pytest.skip("the repository's .venv is not set up")
    return VENV_PYTHON


@pytest.fixture(scope="module")
def system_python():
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        pytest.skip(f"no system interpreter at {SYSTEM_PYTHON}")
    return SYSTEM_PYTHON


@pytest.fixture(scope="module")
def empty_venv(tmp_path_factory):
    """A throwaway virtualenv with nothing installed."""
    where = tmp_path_factory.mktemp("venv") / "empty"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True, timeout=120)
    return str(where / "bin" / "python")


# --- interpreters --------------------------------------------------------------------------------

def test_own_interpreter_by_default():
    record = check(dict(min_version="3.8"))
    assert record["id"] == "python_runtime:self"
    assert record["title"] == "Python runtime self"
    assert record["status"] == "pass"
    assert record["observed"]["version"] == "{}.{}.{}".format(*sys.version_info[:3])
    assert record["observed"]["executable"] == sys.executable
    assert record["observed"]["virtualenv"] is (sys.prefix != sys.base_prefix)
    assert record["summary"] == "Python {}.{}.{} (>= 3.8)".format(*sys.version_info[:3])
    assert record["expected"] == {"min_version": "3.8"}


def test_repository_virtualenv_is_a_virtualenv(venv_python):
    record = check(dict(python=venv_python, min_version="3.10", require_virtualenv=True))
    assert record["id"] == f"python_runtime:{venv_python}"
    assert record["title"] == f"Python runtime {venv_python}"
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["virtualenv"] is True
    assert record["observed"]["executable"] == venv_python
    assert record["summary"] == "Python {} (>= 3.10); in a virtualenv".format(record["observed"]["version"])


def test_system_interpreter_is_not_a_virtualenv(system_python):
    version = subprocess.run([system_python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    record = check(dict(python=system_python, require_virtualenv=True))
    assert record["status"] == "fail"
    assert record["observed"]["virtualenv"] is False
    assert record["observed"]["version"] == version
    assert record["summary"].startswith("not a virtualenv (prefix ")
    assert check(dict(python=system_python, min_version=version.split(".")[0]))["status"] == "pass"


def test_interpreter_older_than_the_minimum_fails(venv_python):
    major, minor = sys.version_info[:2]
    record = check(dict(python=venv_python, min_version=f"{major}.{minor + 1}"))
    assert record["status"] == "fail"
    assert record["summary"] == f'Python {record["observed"]["version"]} is older than {major}.{minor + 1}'
    patch = check(dict(python=venv_python, min_version=f"{major}.{minor}.{sys.version_info[2] + 1}"))
    assert patch["status"] == "fail"


def test_throwaway_venv_without_packages(empty_venv, tmp_path):
    path = requirements(tmp_path, "jmespath=={}\n".format(installed("jmespath")))
    record = check(dict(python=empty_venv, require_virtualenv=True, requirements=path))
    assert record["status"] == "fail"
    assert record["observed"]["virtualenv"] is True
    assert record["observed"]["missing"] == ["jmespath"]
    assert record["summary"] == "not installed: jmespath"


def test_missing_interpreter_is_an_error(tmp_path):
    record = check(dict(python=str(tmp_path / "bin" / "python3")))
    assert record["status"] == "error"
    assert record["summary"] == f'no interpreter at {tmp_path / "bin" / "python3"}'


def test_things_that_are_not_interpreters_are_errors(tmp_path):
    text = tmp_path / "python"
    text.write_text("not a program\n")
    text.chmod(0o644)
    assert check(dict(python=str(text)))["summary"] == f"cannot execute {text}: permission denied"
    record = check(dict(python="/bin/true"))
    assert record["status"] == "error"
    assert record["summary"] == "/bin/true did not answer like a Python interpreter"
    record = check(dict(python="/bin/false"))
    assert record["status"] == "error"
    assert record["summary"] == "/bin/false is not a working Python interpreter (exit 1: no output)"


def test_hanging_interpreter_is_bounded_by_the_check_timeout(tmp_path):
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\nsleep 120\n")
    fake.chmod(0o755)
    started = time.monotonic()
    record = check(dict(python=str(fake)), timeout=1.0)
    assert time.monotonic() - started < 60  # the fake interpreter sleeps 120 s
    assert record["status"] == "error"
    assert record["summary"].startswith(f"{fake} did not answer: timed out after ")


# --- requirements --------------------------------------------------------------------------------

def test_requirements_pinned_to_what_is_installed_pass(venv_python, tmp_path):
    requirements(tmp_path, "netaddr=={}\n".format(installed("netaddr")), name="base.txt")
    path = requirements(tmp_path, """\
        # production pins
        -r base.txt
        --index-url https://pypi.org/simple
        Jmespath=={}  # PEP 503: compared case-insensitively
        pyyaml=={} \\
            --hash=sha256:0000000000000000000000000000000000000000000000000000000000000000
        typing.extensions=={} ; python_version >= "3.8"
        requests[socks] == {}
        golive-never-installed==1.0; python_version < "3.0"
        -e ./vendored/lib

        """.format(installed("jmespath"), installed("PyYAML"), installed("typing_extensions"), installed("requests")))
    record = check(dict(python=venv_python, requirements=path, require_virtualenv=True))
    assert record["status"] == "pass", record["summary"]
    observed = record["observed"]
    assert observed["requirements_checked"] == {"value": 5, "unit": "count"}
    assert observed["missing"] == [] and observed["mismatched"] == [] and observed["unpinned"] == []
    assert observed["notes"] == []
    assert record["summary"].endswith("5 requirements installed as pinned")
    assert record["expected"]["pinned"] is True


def test_pin_with_fewer_release_parts_matches(venv_python, tmp_path):
    version = installed("jmespath")
    shortest = version
    while shortest.endswith(".0"):
        shortest = shortest[:-2]
    path = requirements(tmp_path, "jmespath=={}\njmespath==={}\n".format(shortest, version + ".0"))
    assert check(dict(python=venv_python, requirements=path))["status"] == "pass"


def test_wrong_pin_and_missing_package_fail(venv_python, tmp_path):
    path = requirements(tmp_path, f"jmespath==0.0.1\nrequests=={installed('requests')}\ngolive-never-installed==1.0\n")
    record = check(dict(python=venv_python, requirements=path))
    assert record["status"] == "fail"
    assert record["observed"]["mismatched"] == [
        dict(name="jmespath", wanted="0.0.1", installed=installed("jmespath"))]
    assert record["observed"]["missing"] == ["golive-never-installed"]
    assert record["summary"] == ("not installed: golive-never-installed; "
                                 f"version mismatch: jmespath {installed('jmespath')} (wanted 0.0.1)")


def test_unpinned_requirements_fail_by_default_or_warn(venv_python, tmp_path):
    path = requirements(tmp_path, "jmespath=={}\nrequests>=2.0\nnetaddr\n".format(installed("jmespath")))
    record = check(dict(python=venv_python, requirements=path))
    assert record["status"] == "fail"
    assert record["observed"]["unpinned"] == ["requests", "netaddr"]
    assert record["summary"] == "not pinned with ==: requests, netaddr"
    assert check(dict(python=venv_python, requirements=path, unpinned_status="warn"))["status"] == "warn"
    relaxed = check(dict(python=venv_python, requirements=path, require_pinned=False))
    assert relaxed["status"] == "pass"
    assert "pinned" not in relaxed["expected"]


def test_unpinned_requirement_that_is_not_installed_is_missing(venv_python, tmp_path):
    path = requirements(tmp_path, "golive-never-installed>=1.0\n")
    record = check(dict(python=venv_python, requirements=path, require_pinned=False))
    assert record["status"] == "fail"
    assert record["observed"]["missing"] == ["golive-never-installed"]


def test_markers_that_cannot_be_evaluated_are_skipped_with_a_note(venv_python, tmp_path):
    path = requirements(tmp_path, """\
        golive-never-installed==1.0; extra == "dev"
        golive-never-installed-either==1.0; (python_version >= "3.8" and os_name == "posix")
        jmespath==0.0.1; os_name == "nt" or sys_platform == "win32"
        !!! not a requirement
        """)
    record = check(dict(python=venv_python, requirements=path))
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["requirements_checked"] == {"value": 0, "unit": "count"}
    assert record["observed"]["notes"] == [
        "requirements.txt:4: not understood, skipped",
        "requirements.txt:1: marker 'extra == \"dev\"' not evaluated, golive-never-installed skipped",
        "requirements.txt:2: marker '(python_version >= \"3.8\" and os_name == \"posix\")' not evaluated, "
        "golive-never-installed-either skipped",
    ]


def test_include_cycles_are_followed_once(venv_python, tmp_path):
    requirements(tmp_path, "-r b.txt\njmespath=={}\n".format(installed("jmespath")), name="a.txt")
    requirements(tmp_path, "--requirement=a.txt\nnetaddr=={}\n".format(installed("netaddr")), name="b.txt")
    record = check(dict(python=venv_python, requirements=str(tmp_path / "a.txt")))
    assert record["status"] == "pass"
    assert record["observed"]["requirements_checked"] == {"value": 2, "unit": "count"}


def test_own_interpreter_checks_requirements_too(tmp_path):
    path = requirements(tmp_path, "pytest=={}\npytest==0.0.1\n".format(installed("pytest")))
    record = check(dict(requirements=path))
    assert record["status"] == "fail"
    assert record["observed"]["mismatched"] == [dict(name="pytest", wanted="0.0.1", installed=installed("pytest"))]


def test_missing_requirements_file_or_include_is_an_error(venv_python, tmp_path):
    record = check(dict(python=venv_python, requirements=str(tmp_path / "absent.txt")))
    assert record["status"] == "error"
    assert record["summary"] == f'cannot read requirements {tmp_path / "absent.txt"}: No such file or directory'
    path = requirements(tmp_path, "-r missing-include.txt\n")
    record = check(dict(python=venv_python, requirements=path))
    assert record["status"] == "error"
    include = tmp_path / "missing-include.txt"
    assert record["summary"] == f"cannot read requirements {include}: No such file or directory"


# --- options and helpers -------------------------------------------------------------------------

@pytest.mark.parametrize("item, message", [
    (dict(min_version="3.x"), "min_version: '3.x' is not a version like 3.10 or 3.11.4"),
    (dict(min_version="latest"), "min_version: 'latest' is not a version like 3.10 or 3.11.4"),
    (dict(min_version="3.10.1.2"), "min_version: '3.10.1.2' is not a version like 3.10 or 3.11.4"),
    (dict(min_version=""), "min_version: '' is not a version like 3.10 or 3.11.4"),
    (dict(min_version=3.10), 'min_version: give the version as a quoted string ("3.10"), not the number 3.1'),
    (dict(min_version=True), "min_version: True is not a version like 3.10 or 3.11.4"),
    (dict(min_version=[3, 10]), "min_version: [3, 10] is not a version like 3.10 or 3.11.4"),
    (dict(python="bin/python"), "python: 'bin/python' must be an absolute path"),
    (dict(requirements="requirements.txt"), "requirements: 'requirements.txt' must be an absolute path"),
    (dict(require_pinned=True), "require_pinned: only applies with requirements"),
])
def test_bad_options_name_the_option(item, message):
    with pytest.raises(OptionError) as caught:
        python_runtime.prepare(validated(item))
    assert str(caught.value) == message


def test_min_version_as_string_or_whole_number():
    assert python_runtime.prepare(validated(dict(min_version="3.10")))["min_version"] == (3, 10)
    assert python_runtime.prepare(validated(dict(min_version=" 3.11.4 ")))["min_version"] == (3, 11, 4)
    assert python_runtime.prepare(validated(dict(min_version=3)))["min_version"] == (3,)


@pytest.mark.parametrize("name, normalized", [
    ("PyYAML", "pyyaml"), ("typing_extensions", "typing-extensions"), ("zope.interface", "zope-interface"),
    ("Foo__Bar--baz", "foo-bar-baz"),
])
def test_names_are_normalized_per_pep_503(name, normalized):
    assert python_runtime.normalize_name(name) == normalized


@pytest.mark.parametrize("wanted, have, equal", [
    ("2.31", "2.31.0", True), ("2.31.0", "2.31", True), ("1.0", "1.0+ubuntu1", True),
    ("1.0+ubuntu1", "1.0", False), ("1.0rc1", "1.0.0-RC1", True), ("1.0", "1.0.1", False),
    ("2.0.post1", "2.0-1", False), ("2.0.post1", "2.0.rev1", True), ("v1.2", "1.2", True), ("1.0a1", "1.0alpha1", True),
])
def test_pep_440_equality_of_usual_forms(wanted, have, equal):
    assert python_runtime.versions_equal(wanted, have) is equal


@pytest.mark.parametrize("marker, result", [
    ('python_version >= "3.8"', True), ("python_version < '3.0'", False), ('"3.8" <= python_version', True),
    ('python_full_version == "3.11.7"', True), ('python_version == "3.11" and os_name == "posix"', True),
    ('os_name == "nt" or sys_platform == "linux"', True), ('platform_system != "Linux"', False),
    ('sys_platform in "linux darwin"', True), ('implementation_name == "cpython"', True),
    ('extra == "dev"', None), ('(python_version > "3")', None), ('python_version ~= "3.8"', None),
])
def test_simple_markers_are_evaluated(marker, result):
    info = dict(version=[3, 11, 7], implementation="cpython", sys_platform="linux", platform_system="Linux",
                platform_machine="x86_64", os_name="posix")
    assert python_runtime.evaluate_marker(marker, info) is result


def test_own_interpreter_is_inspected_in_process(monkeypatch):
    def no_subprocess(*args, **kwargs):
        raise AssertionError("the module's own interpreter was asked through a subprocess")

    monkeypatch.setattr(python_runtime.subprocess, "Popen", no_subprocess)
    record = check({"python": sys.executable, "min_version": "3.8"})
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["executable"] == sys.executable
