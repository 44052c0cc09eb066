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


# --- compile and imports ---------------------------------------------------------------------------

def write(root, relpath, text, mode="w"):
    path = os.path.join(str(root), relpath)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as handle:
        handle.write(text)
    return path


def tree_state(root):
    """Every path under root with its mtime and size: compiling and importing must leave it as it was."""
    state = {}
    for directory, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(directory, name)
            st = os.lstat(path)
            state[os.path.relpath(path, root)] = (st.st_mtime_ns, st.st_size)
    return state


@pytest.fixture
def app(tmp_path):
    """A release: a package that compiles and imports, with a bad file, a virtualenv and tests beside it."""
    root = tmp_path / "release"
    write(root, "shop/__init__.py", "VERSION = '1.4.0'\n")
    write(root, "shop/wsgi.py", "from shop import settings\napplication = settings.NAME\n")
    write(root, "shop/settings.py", "import json\nNAME = json.dumps('shop')\nprint('settings loaded')\n")
    write(root, "venv/pyvenv.cfg", "home = /usr/bin\n")
    write(root, "venv/lib/old.py", "print 'python 2'\n")
    write(root, "shop/migrations/0001_old.py", "exec 'python 2'\n")
    # PEP 263: compiled from its bytes, the declared encoding is honoured.
    write(root, "shop/latin.py", "# -*- coding: latin-1 -*-\nNAME = 'caf\xe9'\n".encode("latin-1"), mode="wb")
    return str(root)


@pytest.fixture(params=["venv", "system"])
def interpreter(request):
    python = VENV_PYTHON if request.param == "venv" else SYSTEM_PYTHON
    if not os.access(python, os.X_OK):
        pytest.skip(f"no interpreter at {python}")
    return python


def test_release_compiles_and_imports_and_nothing_is_written(app, interpreter):
    before = tree_state(app)
    record = check(dict(python=interpreter, compile=[app], compile_exclude=["migrations"],
                        imports=["shop.wsgi", "shop.settings", "json"], chdir=app))
    assert record["status"] == "pass", record["summary"]
    compiled = record["observed"]["compile"]
    assert compiled["files"] == {"value": 4, "unit": "count"}  # the venv and migrations are not the release's code
    assert compiled["error_count"] == {"value": 0, "unit": "count"} and compiled["errors"] == []
    assert record["observed"]["imports"] == [dict(module=m, ok=True, error=None)
                                             for m in ("shop.wsgi", "shop.settings", "json")]
    assert record["summary"].endswith("; 4 file(s) compile; 3 module(s) import")
    assert record["expected"]["compile"] == [app] and record["expected"]["imports"] == ["shop.wsgi", "shop.settings",
                                                                                        "json"]
    assert tree_state(app) == before


def test_the_tree_comparison_would_see_a_plain_import_write_bytecode(app):
    # The control for the test above: the same import, run plainly, writes __pycache__ into the tree.
    before = tree_state(app)
    subprocess.run([SYSTEM_PYTHON, "-c", "import shop.wsgi"], cwd=app, check=True, timeout=60,
                   env=dict(os.environ, PYTHONDONTWRITEBYTECODE="", PYTHONPYCACHEPREFIX=""))
    after = tree_state(app)
    assert sorted(set(after) - set(before)) == sorted(
        ["shop/__pycache__"] + [f"shop/__pycache__/{m}.cpython-{sys.version_info[0]}{_minor(SYSTEM_PYTHON)}.pyc"
                                for m in ("__init__", "settings", "wsgi")])


def _minor(python):
    return subprocess.run([python, "-c", "import sys; print(sys.version_info[1])"], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_syntax_errors_are_listed_with_file_line_and_message(app, interpreter):
    broken = write(app, "shop/cart.py", "def total(lines:\n    return sum(lines)\n")
    indented = write(app, "shop/views.py", "def index():\nreturn 'ok'\n")
    record = check(dict(python=interpreter, compile=[os.path.join(app, "shop")]))
    assert record["status"] == "fail"
    compiled = record["observed"]["compile"]
    assert compiled["error_count"] == {"value": 3, "unit": "count"}  # with migrations/0001_old.py
    by_file = dict((e["file"], (e["line"], e["message"].split(":")[0])) for e in compiled["errors"])
    assert by_file[broken][1] == "SyntaxError" and by_file[broken][0] in (1, 2)
    assert by_file[indented] == (2, "IndentationError")
    assert record["summary"].startswith("3 file(s) do not compile: ")
    assert f"{indented}:2: IndentationError: expected an indented block" in record["summary"]


def test_listed_errors_are_bounded_and_all_counted(tmp_path):
    for number in range(python_runtime.SHOWN_ERRORS + 5):
        write(tmp_path, f"bad{number:02}.py", "def (\n")
    record = check(dict(compile=[str(tmp_path)]))
    assert record["observed"]["compile"]["error_count"]["value"] == python_runtime.SHOWN_ERRORS + 5
    assert len(record["observed"]["compile"]["errors"]) == python_runtime.SHOWN_ERRORS


def test_a_real_installed_package_compiles(interpreter):
    package = os.path.dirname(metadata.distribution("jmespath").locate_file("jmespath/__init__.py"))
    record = check(dict(python=interpreter, compile=[os.path.join(package, "*.py")]))
    assert record["status"] == "pass", record["summary"]
    expected = len([name for name in os.listdir(package) if name.endswith(".py")])
    assert record["observed"]["compile"]["files"]["value"] == expected > 3


def test_failing_imports_show_their_last_line_with_passwords_masked(app, interpreter):
    write(app, "shop/db.py", "raise RuntimeError('cannot reach postgresql://shop:Hk27vQpX93Lm@db01/shop')\n")
    write(app, "shop/exits.py", "import sys\nsys.exit(3)\n")
    record = check(dict(python=interpreter, imports=["shop.db", "shop.missing", "shop.exits", "shop"], chdir=app))
    assert record["status"] == "fail"
    assert record["observed"]["imports"] == [
        dict(module="shop.db", ok=False, error="RuntimeError: cannot reach postgresql://shop:****@db01/shop"),
        dict(module="shop.missing", ok=False, error="ModuleNotFoundError: No module named 'shop.missing'"),
        dict(module="shop.exits", ok=False, error="SystemExit: 3"),
        dict(module="shop", ok=True, error=None),
    ]
    assert "Hk27vQpX93Lm" not in str(record)
    assert record["summary"] == ("import shop.db failed: RuntimeError: cannot reach postgresql://shop:****@db01/shop; "
                                 "import shop.missing failed: ModuleNotFoundError: No module named 'shop.missing'; "
                                 "import shop.exits failed: SystemExit: 3")


def test_imports_search_chdir_and_pythonpath_only(app, tmp_path):
    # Without chdir the children run in /, where the release's package is not found.
    assert check(dict(imports=["shop"]))["status"] == "fail"
    library = write(tmp_path, "lib/vendored_tool.py", "NAME = 'tool'\n")
    record = check(dict(imports=["vendored_tool", "shop"], chdir=app, pythonpath=[os.path.dirname(library)]))
    assert record["status"] == "pass", record["summary"]


def test_an_import_leaving_a_thread_running_still_ends(app):
    write(app, "shop/worker.py", "import threading, time\nthreading.Thread(target=time.sleep, args=(600,)).start()\n")
    started = time.monotonic()
    record = check(dict(imports=["shop.worker"], chdir=app), timeout=60)
    assert record["status"] == "pass", record["summary"]
    assert time.monotonic() - started < 60  # the thread sleeps 600 s; the child exits without waiting for it


def test_a_hanging_import_is_an_error_bounded_by_the_timeout(app):
    write(app, "shop/hangs.py", "import time\ntime.sleep(600)\n")
    started = time.monotonic()
    record = check(dict(imports=["shop.hangs", "shop"], chdir=app), timeout=2.0)
    assert time.monotonic() - started < 120
    assert record["status"] == "error"
    [hung, after] = record["observed"]["imports"]
    assert hung["module"] == "shop.hangs" and hung["error"].startswith("timed out after ")
    assert after == dict(module="shop", ok=False, error="not tried: the check's time limit was reached")


def test_compile_caps_make_an_error(app, monkeypatch):
    monkeypatch.setattr(python_runtime, "COMPILE_MAX_FILES", 2)
    record = check(dict(compile=[app]))
    assert record["status"] == "error"
    assert record["summary"] == ("compile: more than the cap COMPILE_MAX_FILES (2) files; "
                                 "name fewer paths or exclude some")
    monkeypatch.setattr(python_runtime, "COMPILE_MAX_FILES", 100)
    monkeypatch.setattr(python_runtime, "COMPILE_FILE_CAP", 20)
    record = check(dict(compile=[os.path.join(app, "shop", "settings.py")]))
    assert record["status"] == "error"
    assert record["summary"].endswith("compile: 1 file(s) over the cap COMPILE_FILE_CAP (20 B) not compiled: "
                                      f"{os.path.join(app, 'shop', 'settings.py')}")
    monkeypatch.setattr(python_runtime, "COMPILE_FILE_CAP", 1000)
    monkeypatch.setattr(python_runtime, "COMPILE_READ_CAP", 40)
    record = check(dict(compile=[os.path.join(app, "shop")], compile_exclude=["migrations"]))
    assert record["status"] == "error"
    assert "the files hold more than the cap COMPILE_READ_CAP (40 B); compiling stopped there" in record["summary"]


def test_compile_paths_that_cannot_be_read_are_errors(tmp_path):
    missing = str(tmp_path / "gone")
    record = check(dict(compile=[missing, str(tmp_path / "*.py")]))
    assert record["status"] == "error"
    assert record["summary"] == (f"compile: 1 path(s) could not be read: {missing} "
                                 f"(No such file or directory); compile: nothing matches {tmp_path}/*.py")


def test_compile_with_a_missing_interpreter_is_an_error(app, tmp_path):
    record = check(dict(python=str(tmp_path / "bin" / "python3"), compile=[app]))
    assert record["status"] == "error"
    assert record["summary"] == f'no interpreter at {tmp_path / "bin" / "python3"}'


@pytest.mark.parametrize("item, message", [
    (dict(compile=["src"]), "compile: 'src' must be an absolute path or glob"),
    (dict(compile=[]), "compile: name at least one file, directory or glob"),
    (dict(compile_exclude=["tests"]), "compile_exclude: only applies with compile"),
    (dict(compile=["/srv"], compile_exclude=["/srv/tests"]),
     "compile_exclude: '/srv/tests' must be a non-empty glob relative to each directory"),
    (dict(imports=["shop-web"]), "imports: 'shop-web' is not a module name like app.settings"),
    (dict(imports=[]), "imports: name at least one module"),
    (dict(chdir="/srv/shop"), "chdir: only applies with imports"),
    (dict(pythonpath=["/srv/lib"]), "pythonpath: only applies with imports"),
    (dict(imports=["shop"], pythonpath=["lib"]), "pythonpath: 'lib' must be an absolute path without ':'"),
    (dict(imports=["shop"], chdir="srv"), "chdir: 'srv' must be an absolute path without ':'"),
])
def test_bad_code_options_name_the_option(item, message):
    with pytest.raises(OptionError) as caught:
        python_runtime.prepare(validated(item))
    assert str(caught.value) == message
