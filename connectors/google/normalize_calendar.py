"""A Google Calendar ``Event`` resource → canonical ``CalendarEvent``.

Times: ``dateTime`` (RFC 3339, offset required unless ``timeZone`` is given) becomes a UTC
instant kept with its IANA zone; ``date`` marks an all-day event. ``recurrence`` makes a series
master; ``recurringEventId`` + ``originalStartTime`` mark an instance. Google has no flag for a
modified instance, so an instance that moved or was cancelled is an ``exception`` and any other
an ``occurrence``. A cancelled event that carries no times (what incremental sync returns for a
deleted event) becomes a ``Deletion``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from connectors.google.changes import Deletion
from connectors.google.exceptions import NormalizationError
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

_RESPONSES = {
    "needsAction": ResponseStatus.none,
    "accepted": ResponseStatus.accepted,
    "tentative": ResponseStatus.tentative,
    "declined": ResponseStatus.declined,
}
_STATUSES = {"confirmed": EventStatus.confirmed, "tentative": EventStatus.tentative, "cancelled": EventStatus.cancelled}


def normalize_calendar_event(event: Mapping[str, Any], *, calendar_id: str | None = None) -> CalendarEvent | Deletion:
    """The canonical record for one Calendar event (or its deletion)."""
    if not isinstance(event, Mapping):
        raise NormalizationError("a Calendar event must be a JSON object")
    event_id = event.get("id")
    if not isinstance(event_id, str) or not event_id:
        raise NormalizationError("Calendar event has no id")
    if event.get("status") == "cancelled" and "start" not in event:
        return Deletion(kind="event", id=event_id, version_marker=event.get("etag"))
    try:
        return _event(event, event_id, calendar_id)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(map(str, problem["loc"])) or "event"
        raise NormalizationError(f"Calendar event {event_id}: {where}: {problem['msg']}") from None
    except (AttributeError, TypeError, KeyError):
        raise NormalizationError(f"Calendar event {event_id}: a field has the wrong shape") from None


def _event(event: Mapping[str, Any], event_id: str, calendar_id: str | None) -> CalendarEvent:
    start = event_time(event.get("start"), f"Calendar event {event_id}: start")
    end = event_time(event.get("end"), f"Calendar event {event_id}: end")
    original = event.get("originalStartTime")
    original_start = event_time(original, f"Calendar event {event_id}: originalStartTime") if original else None
    return CalendarEvent(
        id=event_id,
        provider=Provider.google,
        ical_uid=event.get("iCalUID"),
        calendar_id=calendar_id,
        title=event.get("summary"),
        body=event.get("description"),
        location=event.get("location"),
        start=start,
        end=end,
        is_all_day=start.date is not None,
        kind=_kind(event, start, original_start),
        recurrence=list(event.get("recurrence") or []),
        series_master_id=event.get("recurringEventId"),
        original_start=original_start,
        status=_STATUSES.get(str(event.get("status")), EventStatus.unknown),
        organizer=_person(event.get("organizer")),
        attendees=[_attendee(attendee) for attendee in event.get("attendees") or [] if attendee.get("email")],
        online_meeting_url=_meeting_url(event),
        updated_at=_instant(event["updated"], f"Calendar event {event_id}: updated") if event.get("updated") else None,
        version_marker=event.get("etag"),
    )


def event_time(value: object, what: str) -> EventTime:
    """``{"date"}`` (all-day) or ``{"dateTime", "timeZone"}`` as an ``EventTime``."""
    if not isinstance(value, Mapping):
        raise NormalizationError(f"{what} must be an object with date or dateTime")
    zone = value.get("timeZone")
    if value.get("date"):
        try:
            return EventTime(date=date.fromisoformat(value["date"]), time_zone=zone)
        except ValueError:
            raise NormalizationError(f"{what}.date is not YYYY-MM-DD") from None
    if not value.get("dateTime"):
        raise NormalizationError(f"{what} has neither date nor dateTime")
    return EventTime(at=_instant(value["dateTime"], f"{what}.dateTime", zone), time_zone=zone)


def _instant(value: str, what: str, zone: str | None = None) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise NormalizationError(f"{what} is not an RFC 3339 date-time") from None
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    if not zone:
        raise NormalizationError(f"{what} has no offset and the event no timeZone")
    try:
        return moment.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    except (ZoneInfoNotFoundError, ValueError):
        raise NormalizationError(f"{what}: unknown time zone {zone!r}") from None


def _kind(event: Mapping[str, Any], start: EventTime, original_start: EventTime | None) -> EventKind:
    if event.get("recurrence"):
        return EventKind.series_master
    if not event.get("recurringEventId"):
        return EventKind.single
    moved = original_start is not None and (original_start.at, original_start.date) != (start.at, start.date)
    return EventKind.exception if moved or event.get("status") == "cancelled" else EventKind.occurrence


def _person(value: object) -> Address | None:
    if not isinstance(value, Mapping) or not value.get("email"):
        return None
    return Address(email=value["email"], name=value.get("displayName"))


def _attendee(value: Mapping[str, Any]) -> Attendee:
    kind = AttendeeType.required
    if value.get("resource"):
        kind = AttendeeType.resource
    elif value.get("optional"):
        kind = AttendeeType.optional
    response = _RESPONSES.get(str(value.get("responseStatus")), ResponseStatus.unknown)
    if value.get("organizer"):
        response = ResponseStatus.organizer
    return Attendee(address=Address(email=value["email"], name=value.get("displayName")), type=kind, response=response)


def _meeting_url(event: Mapping[str, Any]) -> str | None:
    if event.get("hangoutLink"):
        return event["hangoutLink"]
    entry_points = (event.get("conferenceData") or {}).get("entryPoints") or []
    return next((entry.get("uri") for entry in entry_points if entry.get("entryPointType") == "video" and entry.get("uri")), None)
