"""The collection tarball leaves out what a demo run generates: the demo shop's secrets, database and backups."""

from __future__ import annotations

import fnmatch
import os

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def ignored_by(path: str, patterns: list[str]) -> bool:
    """Whether ansible-galaxy's build_ignore leaves ``path`` out: a pattern matches it or one of its directories."""
    parts = path.split("/")
    prefixes = ["/".join(parts[:end]) for end in range(1, len(parts) + 1)]
    return any(fnmatch.fnmatch(prefix, pattern) for prefix in prefixes for pattern in patterns)


def test_every_generated_demo_file_is_left_out_of_the_build():
    with open(os.path.join(REPO, ".gitignore"), encoding="utf-8") as handle:
        generated = [line.strip().rstrip("/") for line in handle if line.startswith("demo/")]
    with open(os.path.join(REPO, "galaxy.yml"), encoding="utf-8") as handle:
        ignored = yaml.safe_load(handle)["build_ignore"]
    assert "demo/shop/.env.production" in generated
    assert [path for path in generated if not ignored_by(path, ignored)] == []
