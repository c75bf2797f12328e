"""The fast address and date parsers agree with the stdlib on what they accept, and hand
everything else to it."""

from __future__ import annotations

from datetime import UTC
from email.utils import getaddresses, parsedate_to_datetime

import pytest

from connectors.google.addresses import parse_addresses
from connectors.google.normalize_gmail import _date

HEADERS = [
    "ada@contoso.example",
    "Ada Lovelace <ada@contoso.example>",
    "\"Turing, Alan\" <alan@contoso.example>, grace@contoso.example",
    "\"Quote \\\"inside\\\"\" <q@contoso.example>",
    "<bare@contoso.example>",
    "Team: ada@contoso.example, grace@contoso.example;",  # a group: stdlib path
    "ada@contoso.example (Ada Lovelace)",  # a comment: stdlib path
    "  Grace Hopper <grace@fabrikam.example> ,  edsger@contoso.example  ",
]


@pytest.mark.parametrize("header", HEADERS)
def test_addresses_match_the_stdlib(header: str) -> None:
    expected = [{"email": address, "name": name or None} for name, address in getaddresses([header]) if "@" in address]
    assert parse_addresses(header) == expected


def test_encoded_word_names_are_decoded() -> None:
    assert parse_addresses("=?iso-8859-1?q?Fran=E7ois?= <f@fabrikam.example>") == [
        {"email": "f@fabrikam.example", "name": "François"}]


@pytest.mark.parametrize("header", [
    "Mon, 2 Nov 2026 10:00:00 +0100",
    "Mon, 02 Nov 2026 10:00:00 -0800 (PST)",
    "2 Nov 2026 10:00 +0000",
    "Tue, 10 Feb 2026 23:59:59 -0000",
    "Mon, 2 Nov 2026 10:00:00 GMT",  # a zone name: stdlib path
    "Monday, November 2, 2026",  # unreadable: absent
    "Mon, 30 Feb 2026 10:00:00 +0100",  # no such day: absent
])
def test_dates_match_the_stdlib(header: str) -> None:
    try:
        expected = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        expected = None
    if expected is not None and expected.tzinfo is None:
        expected = expected.replace(tzinfo=UTC)
    assert _date(header) == expected
