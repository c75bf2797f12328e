"""Mail text from bytes in a labelled charset, as mail clients read it.

Mail labelled ``iso-8859-1`` (or ``us-ascii``) very often holds windows-1252 bytes: curly quotes,
the euro sign and dashes at 0x80-0x9F, where ISO-8859-1 has invisible C1 control characters.
Mail clients, and the WHATWG Encoding Standard every browser follows, read those labels as
windows-1252, and so do we, in bodies and in RFC 2047 encoded words alike. windows-1252 agrees
with ISO-8859-1 and ASCII on every byte those charsets define, so honest text is unchanged.
"""

from __future__ import annotations

import binascii
import codecs
import re

#: Python's names for the labels the WHATWG Encoding Standard maps to windows-1252.
_WINDOWS_1252_LABELS = frozenset({"ascii", "iso8859-1", "cp1252"})
#: windows-1252 as the WHATWG table has it: the five bytes the Python codec leaves undefined
#: (0x81, 0x8D, 0x8F, 0x90, 0x9D) map to the code point of the same number, so decoding never fails.
_WINDOWS_1252 = "".join(
    bytes([byte]).decode("cp1252", "ignore") or chr(byte) for byte in range(256)
)
#: An RFC 2047 encoded word: =?charset(*language)?Q|B?text?=
_ENCODED_WORD = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([QqBb])\?([^?\s]*)\?=")


def decode_text(raw: bytes, charset: str | None) -> str:
    """``raw`` as text in ``charset`` (none or unknown: UTF-8); undecodable bytes become U+FFFD."""
    name = _codec_name(charset or "utf-8")
    if name in _WINDOWS_1252_LABELS:
        return codecs.charmap_decode(raw, "strict", _WINDOWS_1252)[0]
    try:
        return raw.decode(name or "utf-8", "replace")
    except (LookupError, UnicodeError):  # not a text codec ("base64"), or one that ignores "replace" ("idna")
        return raw.decode("utf-8", "replace")


def _codec_name(charset: str) -> str | None:
    try:
        return codecs.lookup(charset.strip().strip('"')).name
    except (LookupError, ValueError):  # a charset Python does not know, or a label with a NUL
        return None


def decode_words(value: str) -> str:
    """``value`` with its RFC 2047 encoded words decoded. The whitespace between two adjacent
    encoded words is not text (RFC 2047 §6.2), and adjacent words in one charset are decoded
    together, so a character split across two of them comes out whole."""
    if "=?" not in value:
        return value
    pieces: list[str] = []
    pending, pending_charset, position = b"", "", 0
    for match in _ENCODED_WORD.finditer(value):
        between, raw = value[position:match.start()], _word_bytes(match)
        if raw is None:  # not decodable: it stays as written
            continue
        adjacent = position > 0 and not between.strip()
        if not (adjacent and match[1].lower() == pending_charset):
            pieces.append(decode_text(pending, pending_charset) if pending_charset else "")
            pieces.append("" if adjacent else between)
            pending, pending_charset = b"", match[1].lower()
        pending += raw
        position = match.end()
    pieces.append(decode_text(pending, pending_charset) if pending_charset else "")
    return "".join(pieces) + value[position:]


def _word_bytes(match: re.Match[str]) -> bytes | None:
    encoding, text = match[2].upper(), match[3]
    if not text.isascii():
        return None
    try:
        if encoding == "Q":
            return binascii.a2b_qp(text.encode("ascii"), header=True)  # header=True: "_" is a space
        return binascii.a2b_base64(text + "=" * (-len(text) % 4), strict_mode=True)
    except binascii.Error:
        return None


__all__ = ["decode_text", "decode_words"]
