"""What every generator shares: the collection importable by its name, and writing or checking a file."""

from __future__ import annotations

import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, ".collections"))


def check_requested(argv: list[str]) -> bool:
    return "--check" in argv


def write_or_check(path: str, text: str, check: bool) -> bool:
    """Write ``text`` to ``path`` (relative to the checkout); with ``check``, only say whether it differs.
    Returns True when the file is (or now is) up to date."""
    full = os.path.join(REPO, path)
    try:
        with open(full, encoding="utf-8") as handle:
            current = handle.read()
    except FileNotFoundError:
        current = None
    if current == text:
        return True
    if check:
        print(f"{path}: out of date; run scripts/generate", file=sys.stderr)
        return False
    with open(full, "w", encoding="utf-8") as handle:
        handle.write(text)
    print(f"{path}: written")
    return True
