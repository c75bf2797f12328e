"""Recurring series on the timeline: exceptions, EXDATE, cancelled and deleted instances, rule ends."""

from __future__ import annotations

import datetime as dt

import pytest

from processors.meetings import MeetingContext, busy_intervals, expand_instances
from processors.meetings.instances import local_midnight
from processors.meetings.zones import viewer_zone
from schemas.models import EventKind, EventStatus, EventTime
from tests.unit.meetings.samples import (
    BERLIN,
    T0,
    USER,
    all_day,
    delete,
    exception,
    local,
    meeting,
    series,
    stored,
    upsert,
)

MONDAY = dt.date(2026, 11, 2)
WEEK = dt.timedelta(days=7)
WEEKLY = "RRULE:FREQ=WEEKLY;BYDAY=MO"
MASTER = series("sync", local(BERLIN, 2026, 11, 2, 10), WEEKLY)


def _busy_hours(contexts, day: dt.date, tz: str = BERLIN) -> list[tuple[str, str]]:
    return [(i.start.strftime("%H:%M"), i.end.strftime("%H:%M")) for i in busy_intervals(contexts, day, tz)]


def _instances(contexts, day: dt.date, tz: str = BERLIN):
    zone = viewer_zone(tz)
    return list(
        expand_instances(
            contexts, start=local_midnight(day, zone), end=local_midnight(day + dt.timedelta(days=1), zone), zone=zone
        )
    )


def test_weekly_series_is_busy_on_its_weekday_only():
    contexts = stored(MASTER)
    assert _busy_hours(contexts, MONDAY + 2 * WEEK) == [("10:00", "11:00")]
    assert _busy_hours(contexts, MONDAY + 2 * WEEK + dt.timedelta(days=1)) == []
    assert _busy_hours(contexts, MONDAY - WEEK) == []


def test_exception_moved_to_another_day_replaces_the_instance_at_its_original_start():
    moved = exception(MASTER, "sync_1116", local(BERLIN, 2026, 11, 16, 10), local(BERLIN, 2026, 11, 17, 14))
    contexts = stored(MASTER, moved)
    assert _busy_hours(contexts, MONDAY + 2 * WEEK) == []
    assert [i.event_id for i in _instances(contexts, MONDAY + 2 * WEEK + dt.timedelta(days=1))] == ["sync_1116"]
    assert _busy_hours(contexts, MONDAY + 2 * WEEK + dt.timedelta(days=1)) == [("14:00", "15:00")]
    assert _busy_hours(contexts, MONDAY + 3 * WEEK) == [("10:00", "11:00")]


def test_exception_moved_within_the_day_shows_at_its_new_time_only():
    moved = exception(MASTER, "sync_1109", local(BERLIN, 2026, 11, 9, 10), local(BERLIN, 2026, 11, 9, 15), minutes=30)
    assert _busy_hours(stored(MASTER, moved), MONDAY + WEEK) == [("15:00", "15:30")]


def test_cancelled_exception_removes_that_instance_only():
    cancelled = exception(
        MASTER,
        "sync_1109",
        local(BERLIN, 2026, 11, 9, 10),
        local(BERLIN, 2026, 11, 9, 10),
        status=EventStatus.cancelled,
    )
    contexts = stored(MASTER, cancelled)
    assert _busy_hours(contexts, MONDAY + WEEK) == []
    assert _busy_hours(contexts, MONDAY + 2 * WEEK) == [("10:00", "11:00")]


@pytest.mark.parametrize(
    "exdate",
    [
        "EXDATE;TZID=Europe/Berlin:20261109T100000",
        "EXDATE:20261109T090000Z",
        "EXDATE;VALUE=DATE:20261109",
        "EXDATE:20261109T100000",
    ],
    ids=["tzid", "utc", "date", "floating"],
)
def test_exdate_removes_the_instance_whatever_its_form(exdate):
    contexts = stored(series("sync", local(BERLIN, 2026, 11, 2, 10), WEEKLY, exdate))
    assert _busy_hours(contexts, MONDAY + WEEK) == []
    assert _busy_hours(contexts, MONDAY + 2 * WEEK) == [("10:00", "11:00")]


def test_stored_occurrence_takes_its_slot_instead_of_doubling_it():
    occurrence = meeting(
        "sync_occ_1109",
        local(BERLIN, 2026, 11, 9, 10),
        kind=EventKind.occurrence,
        series_master_id="sync",
        title="Weekly sync (Nov 9)",
    )
    instances = _instances(stored(MASTER, occurrence), MONDAY + WEEK)
    assert [i.event_id for i in instances] == ["sync_occ_1109"]


def test_deleted_occurrence_frees_its_slot():
    occurrence = meeting(
        "sync_occ_1109", local(BERLIN, 2026, 11, 9, 10), kind=EventKind.occurrence, series_master_id="sync"
    )
    (stored_occurrence,) = stored(occurrence)
    gone = delete(stored_occurrence, occurrence.id, T0 + dt.timedelta(minutes=5))
    assert gone is not None
    contexts = [*stored(MASTER), gone.record]
    assert _busy_hours(contexts, MONDAY + WEEK) == []
    assert _busy_hours(contexts, MONDAY + 2 * WEEK) == [("10:00", "11:00")]


def test_cancelled_master_takes_its_exceptions_with_it():
    moved = exception(MASTER, "sync_1116", local(BERLIN, 2026, 11, 16, 10), local(BERLIN, 2026, 11, 17, 14))
    contexts = stored(MASTER.model_copy(update={"status": EventStatus.cancelled}), moved)
    assert _busy_hours(contexts, MONDAY + WEEK) == []
    assert _busy_hours(contexts, MONDAY + 2 * WEEK + dt.timedelta(days=1)) == []


def test_deleted_master_takes_its_exceptions_with_it():
    moved = exception(MASTER, "sync_1116", local(BERLIN, 2026, 11, 16, 10), local(BERLIN, 2026, 11, 17, 14))
    (master_context, moved_context) = stored(MASTER, moved)
    gone = delete(master_context, "sync", T0 + dt.timedelta(minutes=5))
    assert gone is not None
    assert _busy_hours([gone.record, moved_context], MONDAY + 2 * WEEK + dt.timedelta(days=1)) == []


def test_exception_whose_master_has_not_arrived_yet_still_shows():
    moved = exception(MASTER, "sync_1116", local(BERLIN, 2026, 11, 16, 10), local(BERLIN, 2026, 11, 17, 14))
    assert _busy_hours(stored(moved), MONDAY + 2 * WEEK + dt.timedelta(days=1)) == [("14:00", "15:00")]


@pytest.mark.parametrize(
    "rule",
    [
        "RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20261116T090000Z",
        "RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20261116",
        "RRULE:FREQ=WEEKLY;COUNT=3",
    ],
    ids=["until-utc", "until-date", "count"],
)
def test_series_ends_where_its_rule_says(rule):
    contexts = stored(series("sync", local(BERLIN, 2026, 11, 2, 10), rule))
    assert _busy_hours(contexts, MONDAY + 2 * WEEK) == [("10:00", "11:00")]
    assert _busy_hours(contexts, MONDAY + 3 * WEEK) == []


def test_first_instance_counts_even_when_the_rule_does_not_match_it():
    tuesday_start = series("sync", local(BERLIN, 2026, 11, 3, 10), WEEKLY)
    contexts = stored(tuesday_start)
    assert _busy_hours(contexts, MONDAY + dt.timedelta(days=1)) == [("10:00", "11:00")]
    assert _busy_hours(contexts, MONDAY + WEEK) == [("10:00", "11:00")]


def test_instance_that_started_the_day_before_is_cut_at_midnight():
    late = series("night", local(BERLIN, 2026, 11, 2, 23), "RRULE:FREQ=DAILY", minutes=120)
    assert _busy_hours(stored(late), MONDAY + dt.timedelta(days=3)) == [("00:00", "01:00"), ("23:00", "00:00")]


def test_all_day_weekly_series_with_a_date_exdate():
    holiday = all_day(
        "friday-off",
        dt.date(2026, 11, 6),
        kind=EventKind.series_master,
        recurrence=["RRULE:FREQ=WEEKLY", "EXDATE;VALUE=DATE:20261113"],
    )
    contexts = stored(holiday)
    days = [d for d in (dt.date(2026, 11, 6) + dt.timedelta(days=n) for n in range(21)) if _instances(contexts, d)]
    assert days == [dt.date(2026, 11, 6), dt.date(2026, 11, 20)]


def test_series_with_a_windows_time_zone_name_still_expands_on_its_instant():
    master = series("sync", local(BERLIN, 2026, 11, 2, 10), WEEKLY, tz="W. Europe Standard Time")
    change = upsert(None, master)
    assert change is not None and isinstance(change.record, MeetingContext)
    assert _busy_hours([change.record], MONDAY + WEEK) == [("10:00", "11:00")]


def test_exception_keeps_its_own_attendees_and_title():
    moved = exception(
        MASTER, "sync_1109", local(BERLIN, 2026, 11, 9, 10), local(BERLIN, 2026, 11, 9, 12), title="Sync (moved)"
    )
    (instance,) = _instances(stored(MASTER, moved), MONDAY + WEEK)
    assert instance.meeting.title == "Sync (moved)"
    assert instance.original_start == EventTime(at=local(BERLIN, 2026, 11, 9, 10)).at
    assert instance.meeting.user_id == USER
