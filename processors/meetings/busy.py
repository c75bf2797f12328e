"""A user's busy time on one local day: meetings merged into non-overlapping intervals.

Decisions:
- the day is the user's local day in their IANA zone (23 or 25 hours on DST days); meetings
  crossing midnight are cut at the day's edges;
- declined meetings free the time; tentative ones (the user's answer or the meeting's status)
  hold it but are flagged; where a tentative and a firm meeting overlap, the overlap is firm;
- all-day events are not busy by default: the record has no show-as / transparency field, and
  both Outlook and Google mark new all-day events free (holidays, birthdays, "working from
  home"). ``all_day_busy=True`` counts them as the whole local day;
- meetings that touch (10:00-11:00, 11:00-12:00) merge into one interval.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from itertools import pairwise

from pydantic import BaseModel, ConfigDict

from processors.meetings.context import MeetingContext, MeetingTombstone
from processors.meetings.instances import Attendance, MeetingInstance, expand_instances, local_midnight
from processors.meetings.zones import viewer_zone


class Interval(BaseModel):
    """Busy time in the viewer's zone; ``tentative`` when only tentative meetings cover it.

    Python subtracts two datetimes of the same zone on the wall clock (a DST day looks 24 hours
    long), so use ``duration`` rather than ``end - start``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: dt.datetime
    end: dt.datetime
    tentative: bool = False
    meeting_ids: tuple[str, ...] = ()

    @property
    def duration(self) -> dt.timedelta:
        return self.end.astimezone(dt.UTC) - self.start.astimezone(dt.UTC)


@dataclass(frozen=True)
class _Piece:
    start: dt.datetime
    end: dt.datetime
    tentative: bool
    meeting_id: str


def busy_intervals(
    contexts: Iterable[MeetingContext | MeetingTombstone],
    day: dt.date,
    tz: str,
    *,
    user_emails: Collection[str] = (),
    all_day_busy: bool = False,
) -> list[Interval]:
    """Merged busy intervals of one user's meetings on ``day`` in zone ``tz``, in order.

    ``contexts`` are that user's table values (tombstones welcome: a deleted master or
    occurrence is honoured). ``user_emails`` are the user's own addresses; without them a
    declined meeting cannot be told apart and counts as busy.
    """
    zone = viewer_zone(tz)
    day_start, day_end = local_midnight(day, zone), local_midnight(day + dt.timedelta(days=1), zone)
    instances = expand_instances(contexts, start=day_start, end=day_end, zone=zone, user_emails=user_emails)
    pieces = [
        _Piece(max(i.start, day_start), min(i.end, day_end), i.attendance is Attendance.tentative, i.event_id)
        for i in instances
        if _counts(i, all_day_busy=all_day_busy)
    ]
    return [_in_zone(interval, zone) for interval in _merged(pieces)]


def _in_zone(interval: Interval, zone: dt.tzinfo) -> Interval:
    return interval.model_copy(update={"start": interval.start.astimezone(zone), "end": interval.end.astimezone(zone)})


def _counts(instance: MeetingInstance, *, all_day_busy: bool) -> bool:
    if instance.attendance is Attendance.declined or instance.end <= instance.start:
        return False
    return all_day_busy or not instance.meeting.is_all_day


def _merged(pieces: list[_Piece]) -> list[Interval]:
    """Sweep the elementary segments between all edges; a segment is firm if any cover is firm.

    Quadratic in the meetings of one day, which are tens at most; simpler than an event sweep.
    """
    edges = sorted({piece.start for piece in pieces} | {piece.end for piece in pieces})
    merged: list[Interval] = []
    for seg_start, seg_end in pairwise(edges):
        covering = [piece for piece in pieces if piece.start < seg_end and piece.end > seg_start]
        if not covering:
            continue
        tentative = all(piece.tentative for piece in covering)
        ids = tuple(piece.meeting_id for piece in covering)
        last = merged[-1] if merged else None
        if last is not None and last.end == seg_start and last.tentative == tentative:
            merged[-1] = Interval(
                start=last.start, end=seg_end, tentative=tentative, meeting_ids=_union(last.meeting_ids, ids)
            )
        else:
            merged.append(Interval(start=seg_start, end=seg_end, tentative=tentative, meeting_ids=_union((), ids)))
    return merged


def _union(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(first + second))
