"""Mail text decoded as mail clients decode it: windows-1252 for iso-8859-1 and us-ascii labels,
RFC 2047 encoded words in any header."""

from __future__ import annotations

import pytest

from connectors.google.charsets import decode_text, decode_words

PUNCTUATION = "\u20ac\u201a\u201e\u2026\u2018\u2019\u201c\u201d\u2013\u2014\u2122"  # € ‚ „ … ‘ ’ “ ” – — ™


@pytest.mark.parametrize("label", ["iso-8859-1", "ISO-8859-1", "latin1", "l1", "cp819", "us-ascii", "ascii",
                                   "ANSI_X3.4-1968", "windows-1252", '"iso-8859-1"'])
def test_labels_the_encoding_standard_maps_to_windows_1252_decode_as_windows_1252(label: str) -> None:
    assert decode_text(PUNCTUATION.encode("cp1252"), label) == PUNCTUATION


def test_the_five_bytes_windows_1252_leaves_undefined_decode_as_the_standard_says() -> None:
    assert decode_text(b"\x81\x8d\x8f\x90\x9d", "iso-8859-1") == "\x81\x8d\x8f\x90\x9d"


@pytest.mark.parametrize(("raw", "label", "text"), [
    ("caf\u00e9".encode(), None, "caf\u00e9"),
    ("caf\u00e9".encode(), "no-such-charset", "caf\u00e9"),
    (b"caf\xe9", "utf-8", "caf\ufffd"),
    ("\u0161".encode("iso-8859-2"), "iso-8859-2", "\u0161"),
    (b"plain", "base64", "plain"),  # a bytes codec, not a charset
])
def test_other_labels_keep_their_charset_and_unknown_ones_read_as_utf8(raw: bytes, label: str | None, text: str) -> None:
    assert decode_text(raw, label) == text


@pytest.mark.parametrize(("header", "text"), [
    ("=?iso-8859-1?Q?=93Budget=94_=96_Q3?=", "\u201cBudget\u201d \u2013 Q3"),
    ("=?UTF-8?B?Q2Fmw6k=?= menu", "Caf\u00e9 menu"),
    ("=?utf-8?q?Caf=C3=A9?= f\u00fcr alle", "Caf\u00e9 f\u00fcr alle"),  # beside text Gmail already decoded
    ("=?utf-8?q?a?=  \t =?utf-8?q?b?=", "ab"),  # whitespace between encoded words is not text
    ("=?utf-8?q?=C3?= =?utf-8?q?=A9?=", "\u00e9"),  # a character split over two words
    ("=?utf-8*en?q?hi?=", "hi"),  # RFC 2231 language tag
    ("=?utf-8?b?!!!?= x", "=?utf-8?b?!!!?= x"),  # undecodable: kept as written
    ("no words here", "no words here"),
])
def test_encoded_words_decode(header: str, text: str) -> None:
    assert decode_words(header) == text
