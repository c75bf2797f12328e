"""Calendar events and meeting state for the meetings tests: one user, local times made easy."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from processors.meetings import MeetingChange, MeetingContext, MeetingTombstone, apply_calendar_change
from schemas.models import (
    Address,
    Attendee,
    AttendeeType,
    CalendarEvent,
    ChangeType,
    EventKind,
    EventTime,
    ResponseStatus,
)
from tests import factories

USER = "user-1"
ME = "me@example.com"
T0 = factories.T0
BERLIN = "Europe/Berlin"
LOS_ANGELES = "America/Los_Angeles"


def local(tz: str, *args: int) -> dt.datetime:
    """An aware wall-clock time, e.g. ``local(BERLIN, 2026, 3, 29, 10)``."""
    return dt.datetime(*args, tzinfo=ZoneInfo(tz))  # type: ignore[misc]


def me(response: ResponseStatus) -> Attendee:
    return Attendee(address=Address(email=ME), type=AttendeeType.required, response=response)


def meeting(
    event_id: str, start: dt.datetime, *, minutes: int = 60, tz: str = BERLIN, **overrides: Any
) -> CalendarEvent:
    """A timed single meeting starting at ``start`` (aware) scheduled in ``tz``."""
    fields: dict[str, Any] = {
        "start": EventTime(at=start, time_zone=tz),
        "end": EventTime(at=start + dt.timedelta(minutes=minutes), time_zone=tz),
        "kind": EventKind.single,
        "recurrence": [],
        "version_marker": None,
    }
    fields.update(overrides)
    return factories.calendar_event(event_id, **fields)


def series(
    event_id: str,
    start: dt.datetime,
    rule: str,
    *extra_lines: str,
    minutes: int = 60,
    tz: str = BERLIN,
    **overrides: Any,
) -> CalendarEvent:
    """A series master whose first instance starts at ``start``."""
    return meeting(
        event_id,
        start,
        minutes=minutes,
        tz=tz,
        kind=EventKind.series_master,
        recurrence=[rule, *extra_lines],
        **overrides,
    )


def exception(
    master: CalendarEvent,
    event_id: str,
    original: dt.datetime,
    start: dt.datetime,
    *,
    minutes: int = 60,
    **overrides: Any,
) -> CalendarEvent:
    """An exception of ``master`` that replaces the instance at ``original``."""
    tz = master.start.time_zone or "UTC"
    return meeting(
        event_id,
        start,
        minutes=minutes,
        tz=tz,
        kind=EventKind.exception,
        series_master_id=master.id,
        original_start=EventTime(at=original, time_zone=tz),
        **overrides,
    )


def all_day(event_id: str, first: dt.date, days: int = 1, **overrides: Any) -> CalendarEvent:
    fields: dict[str, Any] = {
        "start": EventTime(date=first),
        "end": EventTime(date=first + dt.timedelta(days=days)),
        "version_marker": None,
    }
    fields.update(overrides)
    return factories.all_day_event(event_id, **fields)


def upsert(
    existing: MeetingContext | MeetingTombstone | None, event: CalendarEvent, occurred_at: dt.datetime = T0
) -> MeetingChange | None:
    return apply_calendar_change(existing, USER, ChangeType.updated, event, event.id, occurred_at)


def delete(
    existing: MeetingContext | MeetingTombstone | None, event_id: str, occurred_at: dt.datetime
) -> MeetingChange | None:
    return apply_calendar_change(existing, USER, ChangeType.deleted, None, event_id, occurred_at)


def stored(*events: CalendarEvent, occurred_at: dt.datetime = T0) -> list[MeetingContext]:
    """The contexts the table holds after each event was applied once."""
    contexts = []
    for event in events:
        change = upsert(None, event, occurred_at)
        assert change is not None and isinstance(change.record, MeetingContext)
        contexts.append(change.record)
    return contexts
