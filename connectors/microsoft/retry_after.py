"""Reading a Retry-After header: delta-seconds or an HTTP-date (RFC 9110 §10.2.3)."""

from __future__ import annotations

import datetime as dt
from email.utils import parsedate_to_datetime


def parse_retry_after(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait, or None when absent or unreadable (then backoff decides)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())
