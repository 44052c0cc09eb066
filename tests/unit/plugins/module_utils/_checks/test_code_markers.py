"""code_markers: real source trees on disk, a real third-party package checked against GNU grep, caps and options."""

from __future__ import annotations

import os
import shutil
import subprocess

import jmespath
import pytest

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._checks import code_markers
from ansible_collections.golive.readiness.plugins.module_utils._runner import CheckContext

from ._kind_runner import prepared
from ._kind_runner import run_item as run_kind_item

# A live-looking key in a TODO line: shown masked, never whole.
PLANTED_KEY = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"


def check(item, timeout=20.0):
    return run_kind_item(code_markers, item, timeout)


def write(root, relpath, text, mode="w"):
    path = os.path.join(str(root), relpath)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as handle:
        handle.write(text)
    return path


@pytest.fixture
def app(tmp_path):
    """An application tree with markers in its code, and in places that are not its code."""
    root = tmp_path / "shop"
    write(root, "shop/cart.py", "def total(lines):\n    # TODO: round per line, not per order\n    return sum(lines)\n")
    write(root, "shop/pay.py", f"TIMEOUT = 60  # FIXME too long\nKEY = None  # TODO rotate {PLANTED_KEY}\n")
    write(root, "shop/words.py", "TODOS = ['mastodon', 'todo', 'XXXL', 'HACKER', 'FIXMES']  # none of these\n")
    write(root, "templates/base.html", "<!-- XXX: remove the banner -->\n")
    write(root, ".git/HEAD", "TODO\n")
    write(root, "node_modules/left-pad/index.js", "// TODO\n")
    write(root, "shop/__pycache__/cart.txt", "TODO\n")
    write(root, "venv/pyvenv.cfg", "home = /usr/bin\n")
    write(root, "venv/lib/site.py", "# TODO not ours\n")
    write(root, "static/logo.png", "\x89PNG\r\n\x00\x00 TODO", mode="w")
    return str(root)


def tree_state(root):
    """Every path under root with its mtime and size: what a read-only check must leave as it was."""
    state = {}
    for directory, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(directory, name)
            st = os.lstat(path)
            state[os.path.relpath(path, root)] = (st.st_mtime_ns, st.st_size)
    return state


def test_markers_in_the_code_fail_with_counts_and_first_locations(app):
    before = tree_state(app)
    record = check(dict(paths=[app]))
    assert record["id"] == f"code_markers:{app}"
    assert record["title"] == f"Code markers in {app}"
    assert (record["section"], record["severity"]) == ("application", "medium")
    assert record["status"] == "fail", record["summary"]
    observed = record["observed"]
    assert observed["count"] == {"value": 4, "unit": "count"}
    assert dict((m, c["value"]) for m, c in observed["by_marker"].items()) == dict(TODO=2, FIXME=1, XXX=1, HACK=0)
    assert [(loc["file"][len(app) + 1:], loc["line"], loc["marker"]) for loc in observed["locations"]] == [
        ("shop/cart.py", 2, "TODO"), ("shop/pay.py", 1, "FIXME"), ("shop/pay.py", 2, "TODO"),
        ("templates/base.html", 1, "XXX")]
    assert observed["locations"][0]["text"] == "# TODO: round per line, not per order"
    assert observed["files_searched"] == {"value": 4, "unit": "count"}
    assert observed["skipped"]["binary"] == {"value": 1, "unit": "count"}
    assert record["expected"] == {"markers": ["TODO", "FIXME", "XXX", "HACK"],
                                  "count": {"fail": {"above": 0}, "unit": "count"}}
    assert record["summary"].startswith(
        f"markers 4 (fail > 0); TODO 2, FIXME 1, XXX 1, first at {app}/shop/cart.py:2, {app}/shop/pay.py:1, ")
    assert tree_state(app) == before


def test_a_secret_in_a_marker_line_is_shown_masked(app):
    record = check(dict(paths=[app]))
    assert PLANTED_KEY not in str(record)
    assert record["observed"]["locations"][2]["text"] == "KEY = None  # TODO rotate sk_live_\u2026p7dc"


def test_long_lines_are_cut_to_200_characters(tmp_path):
    path = write(tmp_path, "gen.py", "x = 1  # TODO " + "y" * 50 + " z" * 400 + "\n")
    [location] = check(dict(paths=[path]))["observed"]["locations"]
    assert len(location["text"]) == 200 and location["text"].endswith("\u2026")


def test_clean_tree_passes(tmp_path):
    write(tmp_path, "app/main.py", "print('ready')\n")
    record = check(dict(paths=[str(tmp_path / "app")]))
    assert record["status"] == "pass", record["summary"]
    assert record["summary"] == "markers 0 (fail > 0); 1 file(s) searched"


def test_levels_ignore_case_markers_include_exclude_and_name(app):
    assert check(dict(paths=[app], count_fail_above=10))["status"] == "pass"
    warned = check(dict(paths=[app], count_warn_above=3, count_fail_above=10))
    assert warned["status"] == "warn" and warned["summary"].startswith("markers 4 (warn > 3, fail > 10); ")
    python_only = check(dict(paths=[app], include=["*.py"], exclude=["pay.py"]))
    assert python_only["observed"]["count"]["value"] == 1
    hacks = check(dict(paths=[app], markers=["HACK"]))
    assert hacks["status"] == "pass" and hacks["observed"]["by_marker"] == {"HACK": {"value": 0, "unit": "count"}}
    any_case = check(dict(paths=[app], markers=["TODO"], ignore_case=True, name="shop", max_locations=1))
    assert any_case["id"] == "code_markers:shop"
    # 'todo' quoted in words.py counts now; 'TODOS' and 'mastodon' still do not.
    assert any_case["observed"]["by_marker"] == {"TODO": {"value": 3, "unit": "count"}}
    assert len(any_case["observed"]["locations"]) == 1


def test_files_and_globs_named_directly(app):
    record = check(dict(paths=[os.path.join(app, "shop", "*.py"), os.path.join(app, "templates", "base.html")]))
    assert record["observed"]["count"]["value"] == 4
    assert record["observed"]["files_searched"]["value"] == 4


def test_agrees_with_grep_on_a_real_third_party_package(tmp_path):
    # jmespath's own sources, as pip installed them: the count must equal GNU grep's whole-word count.
    package = os.path.dirname(jmespath.__file__)
    if shutil.which("grep") is None:
        pytest.skip("no grep")
    markers = ["TODO", "FIXME", "XXX", "HACK", "self", "token"]
    record = check(dict(paths=[package], include=["*.py"], markers=markers, max_locations=100))
    for marker in markers:
        argv = ["grep", "-r", "-o", "-w", "--include=*.py", "--exclude-dir=__pycache__", marker, package]
        grep = subprocess.run(argv, capture_output=True, text=True, check=False)
        assert record["observed"]["by_marker"][marker]["value"] == len(grep.stdout.splitlines()), marker
    assert record["observed"]["by_marker"]["self"]["value"] > 100


def test_missing_path_and_empty_glob_are_errors_not_passes(tmp_path):
    missing = str(tmp_path / "gone")
    record = check(dict(paths=[missing, str(tmp_path / "*.none")]))
    assert record["status"] == "error"
    assert record["summary"] == (f"1 path(s) could not be read, so the search is incomplete: {missing} "
                                 f"(No such file or directory); nothing matches {tmp_path}/*.none")


def test_file_count_and_byte_caps_make_an_error(app, monkeypatch):
    monkeypatch.setattr(code_markers, "MAX_FILES", 3)
    record = check(dict(paths=[app]))
    assert record["status"] == "error"
    assert record["summary"] == ("more than the cap MAX_FILES (3) files to search; name fewer paths or exclude some")
    monkeypatch.setattr(code_markers, "MAX_FILES", 100)
    monkeypatch.setattr(code_markers, "MAX_READ_BYTES", 100)
    record = check(dict(paths=[app]))
    assert record["status"] == "error"
    assert "MAX_READ_BYTES (100 B)" in record["summary"]


def test_a_file_over_the_file_cap_is_named_not_searched(tmp_path, monkeypatch):
    monkeypatch.setattr(code_markers, "MAX_FILE_BYTES", 64)
    big = write(tmp_path, "big.py", "# TODO\n" * 20)
    write(tmp_path, "small.py", "# fine\n")
    record = check(dict(paths=[str(tmp_path)]))
    assert record["status"] == "pass"
    assert record["observed"]["skipped"]["too_large"] == [big]
    assert f"1 file(s) over MAX_FILE_BYTES (64 B) not searched: {big}" in record["summary"]


def test_no_time_left_is_an_error(app):
    # A limit below the reserve stops the search before the first file. Run without the runner, whose own
    # timer would race the check's on a loaded machine ("timed out after ..." is the runner's message).
    outcome = code_markers.run(prepared(code_markers, dict(paths=[app])), CheckContext(0.2))
    assert outcome.status == "error"
    assert "time limit reached during" in outcome.summary and "(raise timeout)" in outcome.summary


@pytest.mark.parametrize("item, message", [
    (dict(paths=["shop"]), "paths: 'shop' must be an absolute path or glob"),
    (dict(paths=[]), "paths: name at least one file, directory or glob"),
    (dict(paths=["/srv"], markers=[]), "markers: name at least one marker"),
    (dict(paths=["/srv"], markers=[" TODO"]), "markers: ' TODO' must be a word without surrounding spaces"),
    (dict(paths=["/srv"], include=["/abs/*.py"]),
     "include: '/abs/*.py' must be a non-empty glob relative to each path"),
    (dict(paths=["/srv"], max_locations=101), "max_locations: must be 0 to 100, got 101"),
    (dict(paths=["/srv"], count_warn_above=5, count_fail_above=2),
     "count_warn_above/count_fail_above: the warn level (5) must be below the fail level (2)"),
    (dict(paths=["/srv"], count_fail_above="many"), "count_fail_above: 'many' is not a number"),
])
def test_bad_options_name_the_option(item, message):
    with pytest.raises(OptionError) as caught:
        prepared(code_markers, item)
    assert str(caught.value) == message
