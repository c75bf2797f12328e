"""Retry-After in seconds or as an HTTP-date."""

from __future__ import annotations

import datetime as dt

import pytest

from connectors.microsoft.retry_after import parse_retry_after

NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("120", 120.0), (" 5 ", 5.0), ("Mon, 02 Nov 2026 09:00:30 GMT", 30.0), ("Mon, 02 Nov 2026 08:59:00 GMT", 0.0),
     (None, None), ("", None), ("soon", None)],
)
def test_retry_after_values(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == seconds
