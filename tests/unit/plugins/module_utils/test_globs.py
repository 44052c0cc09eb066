"""Globs where a directory that cannot be listed is an error rather than 'nothing matches'."""

from __future__ import annotations

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._check import CheckError
from ansible_collections.golive.readiness.plugins.module_utils._globs import glob_matches, is_glob, literal_directory


@pytest.mark.parametrize("pattern, directory", [
    ("/var/backups/*/db-*.gz", "/var/backups"),
    ("/var/backups/db-*.gz", "/var/backups"),
    ("/srv/app/log/app.log", "/srv/app/log"),
    ("/*.log", "/"),
    ("relative/*.log", "relative"),
])
def test_literal_directory_stops_at_the_first_wildcard(pattern, directory):
    assert literal_directory(pattern) == directory


def test_is_glob_knows_the_wildcards():
    assert is_glob("/a/*.gz") and is_glob("/a/b?.gz") and is_glob("/a/[ab].gz")
    assert not is_glob("/a/b.gz")


def test_matches_are_sorted_and_a_missing_directory_has_none(tmp_path):
    for name in ("b.gz", "a.gz", "c.txt"):
        (tmp_path / name).write_text("x")
    assert glob_matches(str(tmp_path / "*.gz")) == [str(tmp_path / "a.gz"), str(tmp_path / "b.gz")]
    assert glob_matches(str(tmp_path / "missing" / "*.gz")) == []
    assert glob_matches(str(tmp_path / "c.txt" / "*.gz")) == []  # a path through a file: not there


def test_a_directory_that_cannot_be_listed_is_an_error(tmp_path):
    unlistable = str(tmp_path / ("x" * 300))  # ENAMETOOLONG: fails for root too, unlike a mode of 000
    with pytest.raises(CheckError, match="cannot list"):
        glob_matches(unlistable + "/*.gz")
