"""Time zone names Graph uses (Windows names such as "Pacific Standard Time", IANA names, and
``tzone://Microsoft/...`` markers) to IANA zones.

The Windows→IANA table is tzlocal's ``windows_tz.win_tz``, generated from the Unicode CLDR
``windowsZones.xml`` (the ``001`` territory, i.e. each Windows zone's primary IANA zone); tzlocal
regenerates it with each CLDR release, so we do not ship a copy of our own.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tzlocal.windows_tz import tz_win, win_tz

from connectors.payload_fields import shown

#: Graph's markers for UTC (``originalStartTimeZone`` of events created in UTC).
_UTC_NAMES = frozenset({"utc", "tzone://microsoft/utc", "etc/utc", "gmt", "z"})


class UnknownTimeZone(ValueError):
    """Neither a Windows zone in CLDR's table nor an IANA zone (e.g. "Customized Time Zone")."""


@lru_cache(maxsize=512)
def iana_zone(name: str) -> str:
    """The IANA name for a Graph time zone name."""
    cleaned = name.strip()
    if cleaned.lower() in _UTC_NAMES:
        return "UTC"
    if cleaned in win_tz:
        return win_tz[cleaned]
    try:
        ZoneInfo(cleaned)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: a name too long for a file name
        raise UnknownTimeZone(f"unknown time zone {shown(cleaned)} (neither a CLDR Windows zone nor an IANA zone)") from exc
    return cleaned


def zone_info(name: str) -> ZoneInfo:
    return ZoneInfo(iana_zone(name))


def windows_zone(iana: str) -> str:
    """The Windows name Outlook shows for an IANA zone (the emulator renders events with it)."""
    if iana.upper() == "UTC":
        return "UTC"
    return tz_win.get(iana, iana)


def local_to_utc(local: dt.datetime, zone_name: str) -> dt.datetime:
    """A wall-clock time in ``zone_name`` as a UTC instant (``fold=0`` for repeated times)."""
    return local.replace(tzinfo=zone_info(zone_name)).astimezone(dt.UTC)


def all_day_date(local: dt.datetime, zone_name: str, event_zone: str | None) -> dt.date:
    """The day of an all-day bound Graph wrote as wall-clock ``local`` in ``zone_name``.

    Graph writes all-day events midnight to midnight whatever the zone, so midnight is the day as
    written. Any other time is an instant (an ``originalStart`` in UTC, say): its day is the one
    it falls on in the event's own zone, when that zone is known.
    """
    if local.time() == dt.time() or not event_zone:
        return local.date()
    try:
        return local_to_utc(local, zone_name).astimezone(zone_info(event_zone)).date()
    except UnknownTimeZone:  # a zone nobody can map: the date as written is all there is
        return local.date()
