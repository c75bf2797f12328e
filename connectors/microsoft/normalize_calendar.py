"""Graph ``event`` JSON to the canonical ``CalendarEvent``.

Times: Graph writes ``start`` / ``end`` as a wall-clock ``dateTime`` in a ``timeZone`` (UTC by
default, or the zone asked for with ``Prefer: outlook.timezone``), in Windows zone names such
as "Pacific Standard Time" or IANA names. The record keeps the UTC instant plus the IANA zone
the organizer scheduled in (``originalStartTimeZone`` when Graph gives one we can map).
All-day events are floating dates: midnight to midnight, end exclusive.

``calendarView/delta`` sends the occurrences of a series as stubs without subject or isAllDay
(``occurrences.py``); read alone, one would be an untitled timed event, so a stub is refused
here and must be completed from its series master first (``occurrences.calendar_records``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.microsoft.exceptions import NormalizationError
from connectors.microsoft.payload import (
    building,
    email_address,
    flag,
    instant,
    objects,
    parse_iso,
    require_object,
    required_text,
    text,
)
from connectors.microsoft.recurrence import recurrence_to_rrule
from connectors.microsoft.timezones import UnknownTimeZone, all_day_date, iana_zone, local_to_utc
from connectors.payload_fields import shown
from connectors.plain_text import html_to_text
from schemas.models import (
    Address,
    Attendee,
    AttendeeType,
    CalendarEvent,
    EventKind,
    EventStatus,
    EventTime,
    Provider,
    ResponseStatus,
)

WHAT = "event"
KINDS = {
    "singleInstance": EventKind.single, "seriesMaster": EventKind.series_master,
    "occurrence": EventKind.occurrence, "exception": EventKind.exception,
}
RESPONSES = {
    "none": ResponseStatus.none, "notResponded": ResponseStatus.none, "organizer": ResponseStatus.organizer,
    "accepted": ResponseStatus.accepted, "tentativelyAccepted": ResponseStatus.tentative,
    "declined": ResponseStatus.declined,
}
ATTENDEE_TYPES = {"required": AttendeeType.required, "optional": AttendeeType.optional, "resource": AttendeeType.resource}


def is_occurrence_stub(event: Mapping[str, Any]) -> bool:
    """An occurrence as calendarView delta sends it: without the content every whole event has."""
    return event.get("type") == "occurrence" and "subject" not in event and "isAllDay" not in event


def normalize_event(payload: object) -> CalendarEvent:
    event = require_object(payload, WHAT)
    if is_occurrence_stub(event):
        raise NormalizationError(
            f"{WHAT}: an occurrence stub (id, seriesMasterId, start and end only, as calendarView delta sends it) "
            "is read with its series master: connectors.microsoft.occurrences.calendar_records")
    all_day = flag(event, "isAllDay", WHAT)
    start = _event_time(event, "start", ("originalStartTimeZone",), all_day)
    end = _event_time(event, "end", ("originalEndTimeZone", "originalStartTimeZone"), all_day)
    kind = _kind(event)
    with building(WHAT):
        return CalendarEvent(
            id=required_text(event, "id", WHAT),
            provider=Provider.microsoft,
            ical_uid=text(event, "iCalUId", WHAT),
            title=text(event, "subject", WHAT),
            body=_body(event),
            location=_location(event),
            start=start,
            end=end,
            is_all_day=all_day,
            kind=kind,
            recurrence=recurrence_to_rrule(event.get("recurrence"), all_day=all_day, fallback_zone=start.time_zone)
            if kind is EventKind.series_master else [],
            series_master_id=text(event, "seriesMasterId", WHAT),
            original_start=_original_start(event, start.time_zone, all_day),
            status=EventStatus.cancelled if flag(event, "isCancelled", WHAT) else EventStatus.confirmed,
            organizer=_organizer(event),
            attendees=_attendees(event),
            online_meeting_url=_join_url(event),
            updated_at=instant(event, "lastModifiedDateTime", WHAT),
            version_marker=text(event, "changeKey", WHAT),
        )


def _event_time(event: Mapping[str, Any], key: str, zone_keys: tuple[str, ...], all_day: bool) -> EventTime:
    what = f"{WHAT}.{key}"
    value = require_object(event.get(key), what)
    local = parse_iso(text(value, "dateTime", what, required=True) or "", f"{what}.dateTime").replace(tzinfo=None)
    zone_name = text(value, "timeZone", what) or "UTC"
    originals = (_mappable(text(event, zone_key, WHAT)) for zone_key in zone_keys)
    display_zone = next((zone for zone in originals if zone), None) or _mappable(zone_name)
    if all_day:
        return EventTime(date=all_day_date(local, zone_name, display_zone), time_zone=display_zone)
    try:
        at = local_to_utc(local, zone_name)
    except UnknownTimeZone as exc:
        raise NormalizationError(f"{what}.timeZone: {exc}") from exc
    except OverflowError:
        raise NormalizationError(f"{what}.dateTime: out of range in {shown(zone_name)}") from None
    return EventTime(at=at, time_zone=display_zone)


def _mappable(zone_name: str | None) -> str | None:
    """The IANA zone for a name, or None when Graph sent one nobody can map
    (e.g. "tzone://Microsoft/Custom" or "Customized Time Zone")."""
    if not zone_name:
        return None
    try:
        return iana_zone(zone_name)
    except UnknownTimeZone:
        return None


def _kind(event: Mapping[str, Any]) -> EventKind:
    raw = text(event, "type", WHAT) or "singleInstance"
    if raw not in KINDS:
        raise NormalizationError(f"{WHAT}: unknown type {shown(raw)} (expected one of {', '.join(KINDS)})")
    return KINDS[raw]


def _original_start(event: Mapping[str, Any], zone: str | None, all_day: bool) -> EventTime | None:
    """The slot an exception replaces: a date in an all-day series, as its master's slots are."""
    at = instant(event, "originalStart", WHAT)
    if at is None:
        return None
    if all_day:
        return EventTime(date=all_day_date(at.replace(tzinfo=None), "UTC", zone), time_zone=zone)
    return EventTime(at=at, time_zone=zone)


def _body(event: Mapping[str, Any]) -> str | None:
    body = event.get("body")
    if not body:
        return text(event, "bodyPreview", WHAT)
    body = require_object(body, f"{WHAT}.body")
    content = text(body, "content", f"{WHAT}.body")
    if content and (text(body, "contentType", f"{WHAT}.body") or "").lower() == "html":
        return html_to_text(content) or None
    return content


def _location(event: Mapping[str, Any]) -> str | None:
    location = event.get("location")
    if not location:
        return None
    return text(require_object(location, f"{WHAT}.location"), "displayName", f"{WHAT}.location")


def _organizer(event: Mapping[str, Any]) -> Address | None:
    organizer = event.get("organizer")
    return email_address(require_object(organizer, f"{WHAT}.organizer"), f"{WHAT}.organizer") if organizer else None


def _attendees(event: Mapping[str, Any]) -> list[Attendee]:
    found = []
    for index, item in enumerate(objects(event, "attendees", WHAT)):
        what = f"{WHAT}.attendees[{index}]"
        address = email_address(item, what)
        if address is None:
            continue
        status = require_object(item.get("status") or {}, f"{what}.status")
        response = text(status, "response", f"{what}.status") or "none"
        found.append(Attendee(
            address=address,
            type=ATTENDEE_TYPES.get(text(item, "type", what) or "", AttendeeType.unknown),
            response=RESPONSES.get(response, ResponseStatus.unknown),
        ))
    return found


def _join_url(event: Mapping[str, Any]) -> str | None:
    meeting = event.get("onlineMeeting")
    if meeting:
        url = text(require_object(meeting, f"{WHAT}.onlineMeeting"), "joinUrl", f"{WHAT}.onlineMeeting")
        if url:
            return url
    return text(event, "onlineMeetingUrl", WHAT)


__all__ = ["is_occurrence_stub", "normalize_event"]
