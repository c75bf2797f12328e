"""The meetings service fed what the providers really send, through the real normalizers: the
consumer's result for payload shapes the providers' references (and their long-standing
quirks) document, not for convenient variants."""

from __future__ import annotations

import datetime as dt

from connectors.google.changes import Deletion
from connectors.google.normalize import normalize as normalize_google
from connectors.microsoft.normalize import normalize as normalize_graph
from connectors.microsoft.occurrences import hydrate_occurrence
from processors.meetings import MeetingContext, MeetingTombstone, busy_intervals, upcoming
from schemas.models import CalendarEvent
from tests.unit.google import payloads as google
from tests.unit.meetings.samples import BERLIN, LOS_ANGELES, T0, delete, local, upsert
from tests.unit.microsoft import graph_samples as graph

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


def _graph_occurrence(stub: dict, master: dict, day: int) -> CalendarEvent:
    """The stub of another day of the series, completed from its master as the crawl does."""
    shift = dt.timedelta(days=day - int(stub["start"]["dateTime"][8:10]))
    dated = {**stub, "id": f"{stub['id']}-{day}"}
    for key in ("start", "end"):
        moved = dt.datetime.fromisoformat(stub[key]["dateTime"][:19]) + shift
        dated[key] = {**stub[key], "dateTime": f"{moved.isoformat()}.0000000"}
    record = normalize_graph("event", hydrate_occurrence(dated, master))
    assert isinstance(record, CalendarEvent)
    return record


def test_graph_occurrences_of_an_all_day_series_are_all_day_not_busy_and_titled() -> None:
    """Read alone, these stubs were untitled 24-hour meetings in UTC: busy time all over the day."""
    occurrences = [_graph_occurrence(graph.HOLIDAY_STUB, graph.HOLIDAY_MASTER, day) for day in (13, 20)]
    records = _table(*occurrences)
    assert busy_intervals(records, dt.date(2026, 11, 13), LOS_ANGELES) == []
    assert busy_intervals(records, dt.date(2026, 11, 12), LOS_ANGELES) == []
    soon = upcoming(records, local(LOS_ANGELES, 2026, 11, 12, 12), 2, tz=LOS_ANGELES)
    assert [(i.meeting.title, i.meeting.is_all_day, i.start, i.end) for i in soon] == [
        ("Remote Friday", True, local(LOS_ANGELES, 2026, 11, day), local(LOS_ANGELES, 2026, 11, day + 1)) for day in (13, 20)]


def test_graph_occurrences_and_their_published_master_are_one_meeting_per_slot() -> None:
    master = normalize_graph("event", graph.TEAM_SYNC_MASTER)
    occurrence = _graph_occurrence(graph.TEAM_SYNC_STUB, graph.TEAM_SYNC_MASTER, 16)
    records = _table(master, occurrence)
    assert [i.meeting_ids for i in busy_intervals(records, dt.date(2026, 11, 16), BERLIN)] == [(occurrence.id,)]
    assert _busy_hours(records, dt.date(2026, 11, 16)) == [("10:00", "10:30")]
    soon = upcoming(records, local(BERLIN, 2026, 11, 10), 3, tz=BERLIN)
    assert [(i.event_id, i.meeting.title, i.start.date()) for i in soon] == [
        (occurrence.id, "Team sync", dt.date(2026, 11, 16)),
        (master.id, "Team sync", dt.date(2026, 11, 23)),
        (master.id, "Team sync", dt.date(2026, 11, 30)),
    ]
    assert soon[0].meeting.online_meeting_url == "https://teams.microsoft.com/l/meetup-join/19%3ameeting_teamsync"


def test_a_graph_exception_of_an_all_day_series_takes_the_place_of_its_date() -> None:
    records = _table(normalize_graph("event", graph.HOLIDAY_MASTER), normalize_graph("event", graph.HOLIDAY_EXCEPTION))
    soon = upcoming(records, local(LOS_ANGELES, 2026, 11, 16), 3, tz=LOS_ANGELES)
    assert [(i.meeting.title, i.start.date()) for i in soon] == [
        ("Remote Thursday (moved)", dt.date(2026, 11, 19)), ("Remote Friday", dt.date(2026, 11, 27)),
        ("Remote Friday", dt.date(2026, 12, 4))]
