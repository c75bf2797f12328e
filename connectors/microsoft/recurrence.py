"""Graph's ``patternedRecurrence`` to an RFC 5545 RRULE (the form the canonical record and Google
use), so consumers expand one kind of recurrence whatever the provider.

Graph splits a rule into a *pattern* (how often) and a *range* (how long); see the
``recurrencePattern`` and ``recurrenceRange`` resources in the Graph reference.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from connectors.microsoft.exceptions import NormalizationError
from connectors.microsoft.payload import require_object, strings, text
from connectors.microsoft.timezones import UnknownTimeZone, zone_info
from connectors.payload_fields import shown

DAYS = {"sunday": "SU", "monday": "MO", "tuesday": "TU", "wednesday": "WE", "thursday": "TH", "friday": "FR", "saturday": "SA"}
#: ``weekIndex`` to BYSETPOS: which of the matching days in the month.
WEEK_INDEX = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
FREQUENCY = {
    "daily": "DAILY", "weekly": "WEEKLY", "absoluteMonthly": "MONTHLY", "relativeMonthly": "MONTHLY",
    "absoluteYearly": "YEARLY", "relativeYearly": "YEARLY",
}


def recurrence_to_rrule(recurrence: Mapping[str, Any] | None, *, all_day: bool, fallback_zone: str | None) -> list[str]:
    """``["RRULE:..."]`` for a series master's ``recurrence``; ``[]`` when it has none."""
    if recurrence is None:
        return []
    recurrence = require_object(recurrence, "event.recurrence")
    pattern = require_object(recurrence.get("pattern"), "event.recurrence.pattern")
    rule = _pattern_parts(pattern)
    rule += _range_parts(require_object(recurrence.get("range") or {}, "event.recurrence.range"), all_day, fallback_zone)
    return ["RRULE:" + ";".join(rule)]


def _pattern_parts(pattern: Mapping[str, Any]) -> list[str]:
    kind = text(pattern, "type", "event.recurrence.pattern", required=True)
    if kind not in FREQUENCY:
        raise NormalizationError(f"event.recurrence.pattern: unknown type {shown(kind)}")
    parts = [f"FREQ={FREQUENCY[kind]}"]
    interval = _number(pattern, "interval", default=1)
    if interval > 1:
        parts.append(f"INTERVAL={interval}")
    if kind in ("absoluteYearly", "relativeYearly"):
        parts.append(f"BYMONTH={_number(pattern, 'month', default=0, minimum=1)}")
    if kind in ("weekly", "relativeMonthly", "relativeYearly"):
        parts.append("BYDAY=" + ",".join(_days(pattern)))
    if kind in ("absoluteMonthly", "absoluteYearly"):
        parts.append(f"BYMONTHDAY={_number(pattern, 'dayOfMonth', default=0, minimum=1)}")
    if kind in ("relativeMonthly", "relativeYearly"):
        index = text(pattern, "index", "event.recurrence.pattern") or "first"
        if index not in WEEK_INDEX:
            raise NormalizationError(f"event.recurrence.pattern: unknown index {shown(index)}")
        parts.append(f"BYSETPOS={WEEK_INDEX[index]}")
    first_day = text(pattern, "firstDayOfWeek", "event.recurrence.pattern")
    if kind == "weekly" and first_day:
        parts.append(f"WKST={_day(first_day)}")
    return parts


def _range_parts(recurrence_range: Mapping[str, Any], all_day: bool, fallback_zone: str | None) -> list[str]:
    kind = text(recurrence_range, "type", "event.recurrence.range") or "noEnd"
    if kind == "noEnd":
        return []
    if kind == "numbered":
        return [f"COUNT={_number(recurrence_range, 'numberOfOccurrences', default=0, minimum=1)}"]
    if kind != "endDate":
        raise NormalizationError(f"event.recurrence.range: unknown type {shown(kind)}")
    raw_end = text(recurrence_range, "endDate", "event.recurrence.range", required=True)
    try:
        end = dt.date.fromisoformat(raw_end or "")
    except ValueError as exc:
        raise NormalizationError(f"event.recurrence.range: endDate is not a date: {shown(raw_end)}") from exc
    if all_day:
        return [f"UNTIL={end:%Y%m%d}"]
    # RFC 5545: with a date-time DTSTART, UNTIL is a UTC date-time; Graph's endDate is inclusive
    # in the recurrence's time zone, so the rule runs to the end of that local day.
    zone_name = text(recurrence_range, "recurrenceTimeZone", "event.recurrence.range") or fallback_zone or "UTC"
    try:
        zone = zone_info(zone_name)
    except UnknownTimeZone as exc:
        raise NormalizationError(f"event.recurrence.range: {exc}") from exc
    try:
        last = dt.datetime.combine(end, dt.time(23, 59, 59), tzinfo=zone).astimezone(dt.UTC)
    except OverflowError:  # 9999-12-31 west of UTC: past the last instant there is, so no end at all
        return []
    return [f"UNTIL={last:%Y%m%dT%H%M%SZ}"]


def _days(pattern: Mapping[str, Any]) -> list[str]:
    days = strings(pattern, "daysOfWeek", "event.recurrence.pattern")
    if not days:
        raise NormalizationError("event.recurrence.pattern: daysOfWeek is required for this pattern type")
    return [_day(day) for day in days]


def _day(name: str) -> str:
    if name.lower() not in DAYS:
        raise NormalizationError(f"event.recurrence.pattern: unknown day {shown(name)}")
    return DAYS[name.lower()]


def _number(payload: Mapping[str, Any], key: str, *, default: int, minimum: int = 1) -> int:
    value = payload.get(key, default)
    if value is None:
        value = default
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise NormalizationError(f"event.recurrence: {key} must be an integer >= {minimum}, got {shown(value)}")
    return value

