# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Text from checked systems made safe to print: no line breaks, controls or bidi overrides (private).

Two strengths. ``one_line`` is for a line printed as is (the verdict summary, a task's ``msg``, a
warning): every line break and control character becomes a visible escape, so no text can start a
line of its own (a forged ``GOLIVE VERDICT: GO``), move the cursor, recolour or retitle the terminal.
``printable_data`` is for values that Ansible prints as JSON or YAML (module results at ``-v``):
those formats already escape line breaks and C0 controls, but not DEL, C1 controls or the Unicode
bidirectional overrides that reorder what the operator reads, so only those are escaped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# Unicode bidirectional marks, embeddings, overrides and isolates, and the line/paragraph separators
# that str.splitlines() and some terminals treat as line breaks.
_INVISIBLE_FORMAT = "\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
# DEL and C1 controls (U+009B is a one-character CSI on 8-bit terminals), plus the above.
_UNSAFE_IN_DATA = re.compile(f"[\x7f-\x9f{_INVISIBLE_FORMAT}]")
# Everything unsafe in data plus every C0 control, the line feed included.
_UNSAFE_IN_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_INVISIBLE_FORMAT}]")
# C0 controls that data may carry (multi-line output, tab-separated columns); JSON and YAML escape them.
_KEPT_IN_DATA = "\n\r\t"
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match) -> str:
    character = match.group()
    if character in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[character]
    code = ord(character)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def one_line(text: object) -> str:
    """``text`` as one printable line: line breaks, controls and bidi marks shown as escapes (``\\n``, ``\\x1b``)."""
    return _UNSAFE_IN_LINE.sub(_escape, str(text))


def printable_text(text: str) -> str:
    """A string kept as data (its line breaks and tabs stay) with DEL, C1 controls and bidi marks escaped."""
    return _UNSAFE_IN_DATA.sub(_escape, text)


def printable_data(value: object) -> object:
    """A copy of a result (dicts, lists, strings) whose every string, keys included, went through printable_text."""
    if isinstance(value, str):
        return printable_text(value)
    if isinstance(value, Mapping):
        return dict((printable_data(key), printable_data(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [printable_data(item) for item in value]
    return value


def shortened(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most about ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit + 1)
    if cut < limit // 2:
        cut = limit
    kept = text[:cut].rstrip()
    return f"{kept} ... ({len(text) - len(kept)} more characters)"
