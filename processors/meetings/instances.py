"""One user's meetings laid out on the timeline: singles, series expanded, exceptions applied.

Rules for series:
- a master's rule gives its slots; an occurrence or exception stored under its own id takes the
  slot at its ``original_start`` (an occurrence without one sits at its own start), so a moved
  exception appears at its new time only and a stored occurrence is never counted twice;
- a cancelled exception, or a deleted occurrence whose slot is known, removes that slot (Google
  sends a cancelled instance without times: its record sits at its original start, start = end);
- a cancelled or deleted master takes every instance of the series with it; instances whose
  master is merely absent (not yet received) still show;
- all-day dates are floating: they become the viewer's local midnights.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from processors.meetings.context import MeetingContext, MeetingTombstone
from processors.meetings.recurrence import occurrence_starts
from schemas.models import EventStatus, EventTime, ResponseStatus

Slot = dt.datetime | dt.date


class Attendance(StrEnum):
    """How the user stands towards one instance."""

    busy = "busy"
    tentative = "tentative"
    declined = "declined"


class MeetingInstance(BaseModel):
    """One meeting on the timeline. ``meeting`` is the master for instances its rule generated."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    meeting: MeetingContext
    start: dt.datetime
    end: dt.datetime
    original_start: dt.datetime | None = None
    attendance: Attendance = Attendance.busy

    @property
    def event_id(self) -> str:
        return self.meeting.event_id


def user_response(meeting: MeetingContext, user_emails: Collection[str]) -> ResponseStatus | None:
    """The user's own response, found by their addresses; None when they are not listed.

    The canonical record has no "this attendee is me" flag, hence the addresses.
    """
    mine = {email.lower() for email in user_emails}
    if meeting.organizer is not None and meeting.organizer.email.lower() in mine:
        return ResponseStatus.organizer
    for attendee in meeting.attendees:
        if attendee.address.email.lower() in mine:
            return attendee.response
    return None


def attendance(meeting: MeetingContext, user_emails: Collection[str]) -> Attendance:
    """Declined frees the time; a tentative answer or a tentative meeting holds it, flagged."""
    response = user_response(meeting, user_emails)
    if response is ResponseStatus.declined:
        return Attendance.declined
    if response is ResponseStatus.tentative or meeting.status is EventStatus.tentative:
        return Attendance.tentative
    return Attendance.busy


def local_midnight(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    """The first instant of ``day`` in ``zone``, in UTC (days are 23 or 25 hours on DST days)."""
    return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC)


def expand_instances(
    records: Iterable[MeetingContext | MeetingTombstone],
    *,
    start: dt.datetime,
    end: dt.datetime,
    zone: dt.tzinfo,
    user_emails: Collection[str] = (),
) -> Iterator[MeetingInstance]:
    """Instances overlapping ``[start, end)``, ordered by start, lazily (series are unbounded).

    Cancelled meetings are left out; declined ones are kept with ``Attendance.declined``.
    """
    if start.utcoffset() is None or end.utcoffset() is None:
        raise ValueError("the window's start and end must be timezone-aware")
    calendar = _Calendar.of(records)
    window = _Window(start=start.astimezone(dt.UTC), end=end.astimezone(dt.UTC), zone=zone, user_emails=user_emails)
    streams: list[Iterable[MeetingInstance]] = [
        _series_instances(master, calendar.taken_slots[master.event_id], window) for master in calendar.masters
    ]
    streams.append(sorted(_standalone_instances(calendar.standalone, window), key=_order))
    return heapq.merge(*streams, key=_order)


@dataclass(frozen=True, kw_only=True)
class _Window:
    start: dt.datetime
    end: dt.datetime
    zone: dt.tzinfo
    user_emails: Collection[str]

    def instance(
        self, meeting: MeetingContext, start: dt.datetime, end: dt.datetime, slot: dt.datetime | None
    ) -> MeetingInstance | None:
        if start >= self.end or end <= self.start:
            return None
        return MeetingInstance(
            meeting=meeting, start=start, end=end, original_start=slot, attendance=attendance(meeting, self.user_emails)
        )


@dataclass
class _Calendar:
    """One user's records sorted into live masters, stand-alone meetings and taken slots."""

    masters: list[MeetingContext] = field(default_factory=list)
    standalone: list[MeetingContext] = field(default_factory=list)
    taken_slots: defaultdict[str, set[Slot]] = field(default_factory=lambda: defaultdict(set))

    @classmethod
    def of(cls, records: Iterable[MeetingContext | MeetingTombstone]) -> _Calendar:
        calendar = cls()
        instances: list[MeetingContext] = []
        ended: set[str] = set()
        for record in records:
            if isinstance(record, MeetingTombstone):
                ended.add(record.event_id)
                calendar._take(record.series_master_id, record.original_start)
            elif record.is_series_master and record.is_cancelled:
                ended.add(record.event_id)
            elif record.is_series_master:
                calendar.masters.append(record)
            elif record.is_series_instance:
                instances.append(record)
            else:
                calendar.standalone.append(record)
        for instance in instances:
            if instance.series_master_id not in ended:
                calendar._take(instance.series_master_id, instance.original_start or instance.start)
                calendar.standalone.append(instance)
        return calendar

    def _take(self, master_id: str | None, original_start: EventTime | None) -> None:
        if master_id is not None and original_start is not None:
            self.taken_slots[master_id].add(_slot(original_start))


def _slot(moment: EventTime) -> Slot:
    """The key a series slot is known by: its UTC instant to the second, or its date."""
    if moment.date is not None:
        return moment.date
    assert moment.at is not None
    return moment.at.astimezone(dt.UTC).replace(microsecond=0)


def _series_instances(master: MeetingContext, taken: set[Slot], window: _Window) -> Iterator[MeetingInstance]:
    if master.start.date is not None and master.end.date is not None:
        yield from _all_day_series_instances(master, taken, window)
        return
    assert master.start.at is not None and master.end.at is not None
    duration = max(master.end.at - master.start.at, dt.timedelta(0))  # exact, per RFC 5545 DTEND
    for wall_clock in occurrence_starts(master, window.start - duration):
        start = wall_clock.astimezone(dt.UTC)
        if start >= window.end:
            return
        if start not in taken and (instance := window.instance(master, start, start + duration, start)):
            yield instance


def _all_day_series_instances(master: MeetingContext, taken: set[Slot], window: _Window) -> Iterator[MeetingInstance]:
    assert master.start.date is not None and master.end.date is not None
    days = max(master.end.date - master.start.date, dt.timedelta(days=1))
    first_day = window.start.astimezone(window.zone).date() - days
    for occurrence in occurrence_starts(master, dt.datetime.combine(first_day, dt.time())):
        start = local_midnight(occurrence.date(), window.zone)
        if start >= window.end:
            return
        if occurrence.date() in taken:
            continue
        if instance := window.instance(master, start, local_midnight(occurrence.date() + days, window.zone), start):
            yield instance


def _standalone_instances(meetings: Iterable[MeetingContext], window: _Window) -> Iterator[MeetingInstance]:
    for meeting in meetings:
        if meeting.is_cancelled:
            continue
        start, end = _placed(meeting.start, window.zone), _placed(meeting.end, window.zone)
        slot = _placed(meeting.original_start or meeting.start, window.zone) if meeting.is_series_instance else None
        if instance := window.instance(meeting, start, max(start, end), slot):
            yield instance


def _placed(moment: EventTime, zone: dt.tzinfo) -> dt.datetime:
    if moment.date is not None:
        return local_midnight(moment.date, zone)
    assert moment.at is not None
    return moment.at.astimezone(dt.UTC)


def _order(instance: MeetingInstance) -> tuple[dt.datetime, dt.datetime, str]:
    return instance.start, instance.end, instance.event_id
