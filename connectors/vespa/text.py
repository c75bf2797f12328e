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
#: The same rule within the Basic Multilingual Plane. A class that lists code points above
#: U+FFFF sends ``re`` down a slow path (~8x slower on a 3 KB string, whatever the string
#: holds), so the full class is used only for the rare string holding a refused astral one.
_BMP_NON_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufdd0-\ufddf\ufffe\uffff]")
#: Any code point above U+FFFF: one range, which ``re`` tests fast.
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


#: Every UTF-8 byte that cannot start or be part of a refused code point: tab, newline, carriage
#: return, printable ASCII and DEL, continuation bytes and the lead bytes of two- and three-byte
#: sequences other than ED (surrogates) and EF (U+F000..U+FFFF, where the noncharacters are).
#: What is left after deleting them (C0 controls, ED, EF, the four-byte leads F0..F4) may hide a
#: refused character; most text has none of these bytes.
_INNOCENT_BYTES = bytes([0x09, 0x0A, 0x0D, *range(0x20, 0xED), 0xEE])


#: Latin-1 bytes (one per code point below U+0100) that are not refused control characters.
_INNOCENT_LATIN_1 = bytes([0x09, 0x0A, 0x0D, *range(0x20, 0x100)])


def _surely_text(value: str) -> bool:
    """True when ``value`` certainly holds no refused code point, found in C: its encoding holds
    none of the bytes one would need (the class scans below cost ~8 ns per character, several
    times more on a 3 KB body). False means "look closer"."""
    try:
        # One byte per code point, copied as stored when all are below U+0100 (ASCII and most
        # Western mail); only controls can be refused there.
        return not value.encode("latin-1").translate(None, _INNOCENT_LATIN_1)
    except UnicodeEncodeError:
        return not value.encode("utf-8", "surrogatepass").translate(None, _INNOCENT_BYTES)


def strip_non_text(value: str) -> str:
    """``value`` without the code points Vespa refuses in strings."""
    if _surely_text(value):
        return value
    return (_NON_TEXT if _has_astral_non_text(value) else _BMP_NON_TEXT).sub("", value)


def is_text(value: str) -> bool:
    """Whether Vespa accepts every code point of ``value`` (``strip_non_text`` would keep it whole)."""
    return _surely_text(value) or first_non_text(value) is None


def first_non_text(value: str) -> str | None:
    """The first code point of ``value`` that Vespa refuses, or None when there is none."""
    found = (_NON_TEXT if _has_astral_non_text(value) else _BMP_NON_TEXT).search(value)
    return found.group() if found else None


def _has_astral_non_text(value: str) -> bool:
    """Whether ``value`` holds the last code point but one or the last of a plane above the first.

    UTF-16 spends 4 bytes only on code points above U+FFFF, so a length check on its encoding
    (surrogatepass: lone surrogates, which we strip, take 2 bytes) rules out nearly every string
    in microseconds; only strings with emoji and the like have their astral characters looked at."""
    if value.isascii() or len(value.encode("utf-16-le", "surrogatepass")) == 2 * len(value):
        return False
    return any(ord(found.group()) & 0xFFFE == 0xFFFE for found in _ASTRAL.finditer(value))
