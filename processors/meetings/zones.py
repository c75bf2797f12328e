"""Time zone lookups: strict for the zone a caller views in, lenient for zones inside events."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from processors.meetings.exceptions import UnknownTimeZone


def viewer_zone(name: str) -> ZoneInfo:
    """The IANA zone a user's day is cut in; a wrong name is the caller's bug, so it raises."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UnknownTimeZone(f"not an IANA time zone: {name!r}") from exc


def event_zone(name: str | None, *, default: dt.tzinfo = dt.UTC) -> dt.tzinfo:
    """The zone an event was scheduled in, or ``default`` when it is missing or not IANA.

    Falling back instead of failing keeps the meeting: its instant (``EventTime.at``) is exact
    either way; only a series' wall clock across a DST change depends on the zone.
    """
    if not name:
        return default
    try:
        return ZoneInfo(name.strip('"'))
    except (ZoneInfoNotFoundError, ValueError):
        return default
