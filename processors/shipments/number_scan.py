"""Find strings in plain text that read as tracking numbers, with where they stand.

Carriers print numbers as one token (``1Z999AA10123456784``) or in blocks separated by single
spaces or hyphens (``9400 1112 0108 0805 4830 16``, ``420 22153 9101...``). A stretch of such
blocks is read whole first, and block by block when the whole does not read, so two numbers
side by side are both found. Reading only the whole stretch or single blocks (never an
arbitrary slice of a longer digit run) keeps fragments of account or card numbers from passing
a check digit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from processors.shipments.formats import NumberReading, identify

_DIGIT_BLOCK = r"[A-Za-z]*[0-9][A-Za-z0-9]*"
#: Maximal stretches of blocks that hold a digit, joined by one space or hyphen, not inside a word.
_STRETCH = re.compile(rf"(?<![A-Za-z0-9]){_DIGIT_BLOCK}(?:[ \-]{_DIGIT_BLOCK})*(?![A-Za-z0-9])")
_BLOCK = re.compile(r"[A-Za-z0-9]+")
#: A block of capitals that may stand before or after the digits: TBA, JJD, EA ... US.
_AFFIX = re.compile(r"[A-Z]{2,3}")
_WORD_CHAR = re.compile(r"[A-Za-z0-9]")
#: A stretch from its first digit to its end (what ``_STRETCH`` matches, less the letters the
#: first block may start with).
_FROM_DIGIT = re.compile(r"[0-9][A-Za-z0-9]*(?:[ \-][A-Za-z]*[0-9][A-Za-z0-9]*)*")
#: ``_FROM_DIGIT`` on the shape of the text (see ``_readable_stretches``).
_SHAPE_FROM_DIGIT = re.compile(rb"0[a0]*(?:[ \-]a*0[a0]*)*")
_SHAPE_LETTER = ord("a")
_SHAPE = bytes(
    ord("0") if chr(b).isdigit() and b < 128 else ord("a") if chr(b).isalpha() and b < 128 else b if b in b" -" else ord(".")
    for b in range(256)
)
_MIN_LENGTH, _MAX_LENGTH = 10, 40
_MAX_BLOCKS = 12
#: Every format ``identify`` accepts holds at least 9 digits (S10 and JJD 9, Amazon 12, digit
#: formats 10 or more) except UPS 1Z, whose 18 characters carry no letter affix (it starts with
#: ``1`` and ends with its check digit). Affixes are letters, so a stretch with fewer digits and
#: fewer characters cannot read, whole or block by block: most digit runs in mail (years,
#: prices, times) are such stretches, and rejecting them here skips building their affix spans.
_MIN_DIGITS, _MIN_LETTERED_LENGTH = 9, 18


@dataclass(frozen=True, kw_only=True)
class NumberOccurrence:
    """A place in the text that reads as at least one carrier's tracking number."""

    readings: tuple[NumberReading, ...]
    start: int
    end: int
    #: The text as printed, separators included (phone-number shapes are judged on it).
    raw: str


@dataclass(frozen=True)
class _Block:
    text: str
    start: int
    end: int


def find_numbers(text: str) -> list[NumberOccurrence]:
    """Every non-overlapping occurrence of a tracking-number shape with a valid check digit."""
    found: list[NumberOccurrence] = []
    for stretch in _readable_stretches(text):
        offset = stretch.start()
        blocks = [_Block(m.group(), offset + m.start(), offset + m.end()) for m in _BLOCK.finditer(stretch.group())]
        found += _read_stretch(text, blocks)
    return found


def _readable_stretches(text: str) -> Iterator[re.Match[str]]:
    """The stretches of ``text`` (what ``_STRETCH.finditer`` yields) that ``_may_read``, in order.

    ``_FROM_DIGIT`` is a stretch from its first digit on, found by a C scan for a digit. A
    stretch is that match plus the letters its first block starts with, so when both together
    are shorter than ``_MIN_DIGITS`` the stretch cannot read (``_may_read`` needs at least that
    many characters) and costs no more than the scan; only the others (years and prices rarely
    qualify) are matched whole."""
    # Scanned as a shape, one byte per character (``encode`` with "replace" keeps offsets):
    # digits become "0", ASCII letters "a", space and hyphen stay, all else ".". A pattern that
    # starts with a literal lets ``re`` look for it byte by byte; one that starts with a class
    # tests the class at every character, several times slower on prose.
    shape = _one_byte_per_character(text).translate(_SHAPE)
    for match in _SHAPE_FROM_DIGIT.finditer(shape):
        start, end = match.span()
        while start and shape[start - 1] == _SHAPE_LETTER:  # the letters the first block starts with
            start -= 1
        if end - start < _MIN_DIGITS:  # the whole stretch is [start, end): too short to read
            continue
        stretch = _STRETCH.match(text, start)
        if stretch is not None and _may_read(stretch.group()):
            yield stretch


def _one_byte_per_character(text: str) -> bytes:
    """``text`` as bytes at the same offsets, ASCII kept (``_SHAPE`` makes every other byte a
    "."). A text whose characters are all below U+0100 (ASCII, most Western mail) is stored so
    by CPython and copied as it is; the "replace" handler is called per run of other characters."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("ascii", "replace")


def may_hold_numbers(text: str) -> bool:
    """False when ``find_numbers`` cannot find anything in ``text``, nor in any text that has
    the same characters with some separators or markup between them removed (joining can only
    lengthen a stretch, and a stretch too short to read stays so when it is cut)."""
    return next(_readable_stretches(text), None) is not None


def _may_read(stretch: str) -> bool:
    """False when no span of the stretch (with affixes, or any one block) can be a tracking number."""
    if len(stretch) < _MIN_DIGITS:
        return False
    return sum(map(str.isdigit, stretch)) >= _MIN_DIGITS or len(stretch) - stretch.count(" ") - stretch.count(
        "-"
    ) >= _MIN_LETTERED_LENGTH


def _read_stretch(text: str, blocks: list[_Block]) -> list[NumberOccurrence]:
    """The whole stretch (with a letter affix on either side, if any), else its blocks one by one."""
    if len(blocks) <= _MAX_BLOCKS:
        for start, end in _spans_with_affixes(text, blocks[0].start, blocks[-1].end):
            occurrence = _read(text, start, end)
            if occurrence:
                return [occurrence]
    if len(blocks) == 1:
        return []
    singles = (_read(text, block.start, block.end) for block in blocks)
    return [occurrence for occurrence in singles if occurrence]


def _spans_with_affixes(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Spans to read, longest first: with both affixes, the left one, the right one, none."""
    left = _affix_before(text, start)
    right = _affix_after(text, end)
    spans = [(left, right), (left, end), (start, right), (start, end)]
    return list(dict.fromkeys(spans))


def _affix_before(text: str, start: int) -> int:
    """Where a capitals block ending one separator before ``start`` begins (else ``start``)."""
    if start < 1 or text[start - 1] not in " -":
        return start
    for match in _AFFIX.finditer(text, max(0, start - 4), start - 1):
        if match.end() == start - 1 and not (match.start() > 0 and _WORD_CHAR.match(text, match.start() - 1)):
            return match.start()
    return start


def _affix_after(text: str, end: int) -> int:
    """Where a capitals block starting one separator after ``end`` ends (else ``end``)."""
    if end >= len(text) or text[end] not in " -":
        return end
    match = _AFFIX.match(text, end + 1)
    if match and not _WORD_CHAR.match(text, match.end()):
        return match.end()
    return end


def _read(text: str, start: int, end: int) -> NumberOccurrence | None:
    raw = text[start:end]
    joined = raw.replace(" ", "").replace("-", "")
    if not _MIN_LENGTH <= len(joined) <= _MAX_LENGTH:
        return None
    readings = identify(joined.upper())
    if not readings:
        return None
    return NumberOccurrence(readings=tuple(readings), start=start, end=end, raw=raw)
