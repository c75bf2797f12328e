"""A Google Calendar ``Event`` resource → canonical ``CalendarEvent``.

Times: ``dateTime`` (RFC 3339, offset required unless ``timeZone`` is given) becomes a UTC
instant kept with its IANA zone; ``date`` marks an all-day event. ``recurrence`` makes a series
master; ``recurringEventId`` + ``originalStartTime`` mark an instance. Google has no flag for a
modified instance, so an instance that moved or was cancelled is an ``exception`` and any other
an ``occurrence``. ``description`` is HTML when written in Google Calendar's editor: the
record's ``body`` is its plain text (``connectors.plain_text``, as for Graph).

``status: cancelled`` means two things (Events reference, ``status``):
- a cancelled instance of a series that goes on: incremental sync and ``singleEvents=false``
  listings send it as ``{kind, etag, id, status, recurringEventId, originalStartTime}`` only, and
  clients are to keep it for the lifetime of the series. It becomes a cancelled ``exception``
  linked to its series, at its original start: with no times of its own, ``start`` and ``end``
  are both that original start (a zero-length slot), which is what consumers need to take the
  slot out of the series' expansion;
- any other cancelled event was deleted ("The event is cancelled (deleted)"; listings show it
  only on incremental sync or with ``showDeleted``), with or without the times it had: it
  becomes a ``Deletion``. (Kept as a cancelled record, it would stay in every sink while a
  complete listing no longer has it: found by the demo's reconciliation.)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from connectors.google.changes import Deletion
from connectors.google.exceptions import NormalizationError
from connectors.google.fields import FIELDS, model_error
from connectors.payload_fields import nesting_guard, shown
from connectors.plain_text import text_of
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
    what = f"Calendar event {event_id}"
    with nesting_guard(event, what, NormalizationError):
        if FIELDS.text(event, "status", what) == "cancelled" and not _is_instance(event, what):
            return Deletion(kind="event", id=event_id, version_marker=FIELDS.text(event, "etag", what))
        try:
            return _event(event, event_id, calendar_id, what)
        except ValidationError as exc:
            raise model_error(what, exc) from None


def _is_instance(event: Mapping[str, Any], what: str) -> bool:
    """An instance of a series that can be placed in it (a cancelled one stays a slot to skip)."""
    return bool(FIELDS.text(event, "recurringEventId", what)) and event.get("originalStartTime") is not None


def _event(event: Mapping[str, Any], event_id: str, calendar_id: str | None, what: str) -> CalendarEvent:
    status = FIELDS.text(event, "status", what)
    original = event.get("originalStartTime")
    original_start = event_time(original, f"{what}: originalStartTime") if original else None
    start, end = _times(event, status, original_start, what)
    recurrence = FIELDS.strings(event, "recurrence", what)
    series_master_id = FIELDS.text(event, "recurringEventId", what)
    updated = FIELDS.text(event, "updated", what)
    return CalendarEvent(
        id=event_id,
        provider=Provider.google,
        ical_uid=FIELDS.text(event, "iCalUID", what),
        calendar_id=calendar_id,
        title=FIELDS.text(event, "summary", what),
        body=_description(event, what),
        location=FIELDS.text(event, "location", what),
        start=start,
        end=end,
        is_all_day=start.date is not None,
        kind=_kind(recurrence, series_master_id, status, start, original_start),
        recurrence=recurrence,
        series_master_id=series_master_id,
        original_start=original_start,
        status=_STATUSES.get(status or "", EventStatus.unknown),
        organizer=_person(FIELDS.child(event, "organizer", what), f"{what}.organizer"),
        attendees=_attendees(event, what),
        online_meeting_url=_meeting_url(event, what),
        updated_at=_instant(updated, f"{what}: updated") if updated else None,
        version_marker=FIELDS.text(event, "etag", what),
    )


def _times(event: Mapping[str, Any], status: str | None, original_start: EventTime | None,
           what: str) -> tuple[EventTime, EventTime]:
    """Start and end; a cancelled instance Google sent without times sits at its original start."""
    if status == "cancelled" and "start" not in event and original_start is not None:
        return original_start, original_start
    return event_time(event.get("start"), f"{what}: start"), event_time(event.get("end"), f"{what}: end")


def event_time(value: object, what: str) -> EventTime:
    """``{"date"}`` (all-day) or ``{"dateTime", "timeZone"}`` as an ``EventTime``."""
    if not isinstance(value, Mapping):
        raise NormalizationError(f"{what} must be an object with date or dateTime")
    zone = FIELDS.text(value, "timeZone", what)
    day = FIELDS.text(value, "date", what)
    if day:
        try:
            return EventTime(date=date.fromisoformat(day), time_zone=zone)
        except ValueError:
            raise NormalizationError(f"{what}.date is not YYYY-MM-DD") from None
    moment = FIELDS.text(value, "dateTime", what)
    if not moment:
        raise NormalizationError(f"{what} has neither date nor dateTime")
    return EventTime(at=_instant(moment, f"{what}.dateTime", zone), time_zone=zone)


def _instant(value: str, what: str, zone: str | None = None) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise NormalizationError(f"{what} is not an RFC 3339 date-time") from None
    if moment.tzinfo is None and not zone:
        raise NormalizationError(f"{what} has no offset and the event no timeZone")
    try:
        return (moment if moment.tzinfo is not None else moment.replace(tzinfo=ZoneInfo(zone or ""))).astimezone(UTC)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file name
        raise NormalizationError(f"{what}: unknown time zone {shown(zone)}") from None
    except OverflowError:
        raise NormalizationError(f"{what} is out of range") from None


def _description(event: Mapping[str, Any], what: str) -> str | None:
    """The description as plain text: Google Calendar's editor writes HTML (<b>, <br>, <a>,
    lists), the API and other clients plain text."""
    description = FIELDS.text(event, "description", what)
    return text_of(description) or None if description else None


def _kind(recurrence: list[str], series_master_id: str | None, status: str | None,
          start: EventTime, original_start: EventTime | None) -> EventKind:
    if recurrence:
        return EventKind.series_master
    if not series_master_id:
        return EventKind.single
    moved = original_start is not None and (original_start.at, original_start.date) != (start.at, start.date)
    return EventKind.exception if moved or status == "cancelled" else EventKind.occurrence


def _person(value: Mapping[str, Any], what: str) -> Address | None:
    email = FIELDS.text(value, "email", what)
    return Address(email=email, name=FIELDS.text(value, "displayName", what)) if email else None


def _attendees(event: Mapping[str, Any], what: str) -> list[Attendee]:
    found = []
    for index, value in enumerate(FIELDS.objects(event, "attendees", what)):
        where = f"{what}.attendees[{index}]"
        address = _person(value, where)
        if address is None:
            continue
        kind = AttendeeType.required
        if FIELDS.flag(value, "resource", where):
            kind = AttendeeType.resource
        elif FIELDS.flag(value, "optional", where):
            kind = AttendeeType.optional
        response = _RESPONSES.get(FIELDS.text(value, "responseStatus", where) or "", ResponseStatus.unknown)
        if FIELDS.flag(value, "organizer", where):
            response = ResponseStatus.organizer
        found.append(Attendee(address=address, type=kind, response=response))
    return found


def _meeting_url(event: Mapping[str, Any], what: str) -> str | None:
    hangout = FIELDS.text(event, "hangoutLink", what)
    if hangout:
        return hangout
    conference = FIELDS.child(event, "conferenceData", what)
    for index, entry in enumerate(FIELDS.objects(conference, "entryPoints", f"{what}.conferenceData")):
        where = f"{what}.conferenceData.entryPoints[{index}]"
        uri = FIELDS.text(entry, "uri", where)
        if FIELDS.text(entry, "entryPointType", where) == "video" and uri:
            return uri
    return None
