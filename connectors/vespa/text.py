"""Vespa's rule for which characters a string field or document id may hold.

Vespa refuses a document whose strings contain a code point that is not a "text character"
(``com.yahoo.text.Text.isTextCharacter``: ASCII control characters other than tab, newline
and carriage return; surrogates; U+FDD0..U+FDDF; the last two code points of every plane).
Email bodies do carry such bytes (stray NULs, form feeds), and one of them would turn a valid
email into a 400 and a dead letter, so the mapping strips them first.
"""

from __future__ import annotations

import re

_PLANE_ENDS = "".join(f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(17))
_NON_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufdd0-\ufddf" + re.escape(_PLANE_ENDS) + "]")


def strip_non_text(value: str) -> str:
    """``value`` without the code points Vespa refuses in strings."""
    return _NON_TEXT.sub("", value)


def first_non_text(value: str) -> str | None:
    """The first code point of ``value`` that Vespa refuses, or None when there is none."""
    found = _NON_TEXT.search(value)
    return found.group() if found else None
