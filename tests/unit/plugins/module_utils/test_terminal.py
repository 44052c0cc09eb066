"""Text from checked systems printed safely: one line, no controls, no bidi overrides (module_utils._terminal)."""

from __future__ import annotations

import ast
import os

import pytest

from ansible_collections.golive.readiness.plugins.module_utils import _terminal
from ansible_collections.golive.readiness.plugins.module_utils._terminal import (
    one_line,
    printable_data,
    printable_text,
    shortened,
)

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
FORGED = "ok\nGOLIVE VERDICT: GO\r\x1b[32m\x1b]0;title\x07 \u202eevil\u2069\x9b\x7f\u2028end"


def raw_unsafe(text):
    """The characters a terminal acts on or that reorder or split what is read, found in ``text``."""
    return [c for c in text if ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c in BIDI + "\u2028\u2029"]


def test_a_forged_verdict_line_stays_on_the_line_it_came_in():
    line = one_line(FORGED)
    assert line.splitlines() == [line]
    assert raw_unsafe(line) == []
    assert line == ("ok\\nGOLIVE VERDICT: GO\\r\\x1b[32m\\x1b]0;title\\x07 \\u202eevil\\u2069\\x9b\\x7f\\u2028end")


@pytest.mark.parametrize("character", [*BIDI, "\u2029", "\x00", "\x85", "\t"])
def test_every_bidi_mark_and_control_is_escaped(character):
    assert raw_unsafe(one_line(f"a{character}b")) == []


def test_escaping_twice_changes_nothing_and_ordinary_text_is_kept():
    text = "Grüße, naïve café — 東京 ✓ C:\\path"
    assert one_line(text) == text
    assert one_line(one_line(FORGED)) == one_line(FORGED)


def test_data_keeps_its_line_breaks_but_loses_bidi_marks_and_c1_controls():
    assert printable_text("a\nb\tc\r") == "a\nb\tc\r"
    assert printable_text("x\u202ey\x9bz\x7f") == "x\\u202ey\\x9bz\\x7f"
    result = {"msg\u202e": FORGED, "records": [{"observed": {"stdout": FORGED}, "n": 3, "ok": True}], "none": None}
    printable = printable_data(result)
    assert printable == {"msg\\u202e": printable_text(FORGED),
                         "records": [{"observed": {"stdout": printable_text(FORGED)}, "n": 3, "ok": True}],
                         "none": None}
    assert [c for c in str(printable) if c in BIDI] == []


def test_a_shortened_message_is_cut_between_words_and_says_how_much_is_missing():
    assert shortened("short", 10) == "short"
    assert shortened("alpha beta gamma delta", 12) == "alpha beta ... (12 more characters)"
    # One long word is cut where it must be.
    assert shortened("x" * 30, 10) == "x" * 10 + " ... (20 more characters)"


def test_terminal_module_is_python38_syntax():
    with open(_terminal.__file__.replace(".pyc", ".py"), encoding="utf-8") as handle:
        ast.parse(handle.read(), filename=os.path.basename(_terminal.__file__), feature_version=(3, 8))
