"""The meetings service fed what the providers really send, through the real normalizers: the
consumer's result for payload shapes the providers' references (and their long-standing
quirks) document, not for convenient variants."""

from __future__ import annotations

import datetime as dt

from connectors.google.changes import Deletion
from connectors.google.normalize import normalize as normalize_google
from processors.meetings import MeetingContext, MeetingTombstone, busy_intervals, upcoming
from schemas.models import CalendarEvent
from tests.unit.google import payloads as google
from tests.unit.meetings.samples import BERLIN, T0, delete, local, upsert

MONDAYS = [dt.date(2026, 11, 2) + dt.timedelta(weeks=n) for n in range(4)]


def _table(*changes: CalendarEvent | Deletion) -> list[MeetingContext | MeetingTombstone]:
    """What the meetings table holds after each change was applied, as the worker applies them:
    a record as an upsert, a deletion as a delete of its id."""
    table: dict[str, MeetingContext | MeetingTombstone] = {}
    for offset, item in enumerate(changes):
        at = T0 + dt.timedelta(minutes=offset)
        change = delete(table.get(item.id), item.id, at) if isinstance(item, Deletion) else upsert(table.get(item.id), item, at)
        if change is not None:
            table[item.id] = change.record
    return list(table.values())


def _busy_hours(records: list, day: dt.date, tz: str = BERLIN) -> list[tuple[str, str]]:
    return [(i.start.strftime("%H:%M"), i.end.strftime("%H:%M")) for i in busy_intervals(records, day, tz)]


def _google_master_without_exdate() -> dict:
    """Google keeps a cancelled instance as a cancelled exception, not as an EXDATE of the rule."""
    return {**google.recurring_master(), "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=10"]}


def test_a_google_cancelled_instance_frees_its_slot_in_busy_time_and_upcoming() -> None:
    records = _table(normalize_google("event", _google_master_without_exdate()), normalize_google("event", google.cancelled_instance()))
    assert [_busy_hours(records, monday) for monday in MONDAYS] == [[("10:00", "11:00")], [("10:00", "11:00")], [], [("10:00", "11:00")]]
    after_the_second = local(BERLIN, 2026, 11, 9, 12)
    assert [i.start.date() for i in upcoming(records, after_the_second, 2, tz=BERLIN)] == [MONDAYS[3], MONDAYS[3] + dt.timedelta(weeks=1)]


def test_a_google_cancelled_instance_arriving_before_its_master_still_frees_the_slot() -> None:
    records = _table(normalize_google("event", google.cancelled_instance()), normalize_google("event", _google_master_without_exdate()))
    assert _busy_hours(records, MONDAYS[2]) == []
    assert _busy_hours(records, MONDAYS[1]) == [("10:00", "11:00")]


def test_a_google_cancelled_instance_of_an_all_day_series_is_left_out_of_upcoming() -> None:
    records = _table(normalize_google("event", google.all_day_series_master()), normalize_google("event", google.cancelled_all_day_instance()))
    days = [i.start.astimezone(dt.UTC).date() for i in upcoming(records, dt.datetime(2026, 11, 5, tzinfo=dt.UTC), 3, tz="UTC")]
    assert days == [dt.date(2026, 11, 11), dt.date(2026, 11, 25), dt.date(2026, 12, 2)]
