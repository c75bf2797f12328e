"""DST days: series keep the organizer's wall clock, local days are 23 or 25 hours long.

Europe/Berlin springs forward on 2026-03-29 and falls back on 2026-10-25; America/Los_Angeles
springs forward on 2026-03-08 and falls back on 2026-11-01.
"""

from __future__ import annotations

import datetime as dt

import pytest

from processors.meetings import busy_intervals
from tests.unit.meetings.samples import BERLIN, LOS_ANGELES, local, meeting, series, stored


def _only(contexts, day: dt.date, tz: str):
    (interval,) = busy_intervals(contexts, day, tz)
    return interval


@pytest.mark.parametrize(
    ("tz", "before", "change_day", "after"),
    [
        (BERLIN, dt.date(2026, 3, 28), dt.date(2026, 3, 29), dt.date(2026, 3, 30)),
        (BERLIN, dt.date(2026, 10, 24), dt.date(2026, 10, 25), dt.date(2026, 10, 26)),
        (LOS_ANGELES, dt.date(2026, 3, 7), dt.date(2026, 3, 8), dt.date(2026, 3, 9)),
        (LOS_ANGELES, dt.date(2026, 10, 31), dt.date(2026, 11, 1), dt.date(2026, 11, 2)),
    ],
)
def test_daily_series_keeps_its_wall_clock_across_the_change(tz, before, change_day, after):
    contexts = stored(
        series("standup", local(tz, before.year, before.month, before.day, 9), "RRULE:FREQ=DAILY", minutes=15, tz=tz)
    )
    starts = [_only(contexts, day, tz).start for day in (before, change_day, after)]
    assert [s.strftime("%H:%M") for s in starts] == ["09:00", "09:00", "09:00"]
    assert starts[0].utcoffset() != starts[2].utcoffset()


@pytest.mark.parametrize(
    ("tz", "day", "hours"),
    [
        (BERLIN, dt.date(2026, 3, 29), 23),
        (BERLIN, dt.date(2026, 10, 25), 25),
        (LOS_ANGELES, dt.date(2026, 3, 8), 23),
        (LOS_ANGELES, dt.date(2026, 11, 1), 25),
    ],
)
def test_meeting_spanning_the_change_day_is_busy_for_its_true_length(tz, day, hours):
    eve = day - dt.timedelta(days=1)
    offsite = meeting("offsite", local(tz, eve.year, eve.month, eve.day, 12), minutes=48 * 60, tz=tz)
    interval = _only(stored(offsite), day, tz)
    assert interval.start == local(tz, day.year, day.month, day.day)
    assert interval.duration == dt.timedelta(hours=hours)


def test_instance_at_a_skipped_local_time_moves_forward_by_the_gap():
    nightly = series(
        "backup-review", local(LOS_ANGELES, 2026, 3, 6, 2, 30), "RRULE:FREQ=DAILY", minutes=30, tz=LOS_ANGELES
    )
    interval = _only(stored(nightly), dt.date(2026, 3, 8), LOS_ANGELES)
    assert (interval.start.strftime("%H:%M"), interval.end.strftime("%H:%M")) == ("03:30", "04:00")


def test_berlin_series_seen_from_los_angeles_shifts_while_only_one_side_is_on_summer_time():
    weekly = series("emea-sync", local(BERLIN, 2026, 3, 2, 17), "RRULE:FREQ=WEEKLY;BYDAY=MO", tz=BERLIN)
    contexts = stored(weekly)
    mondays = [dt.date(2026, 3, 2), dt.date(2026, 3, 9), dt.date(2026, 3, 23), dt.date(2026, 3, 30)]
    hours = [_only(contexts, monday, LOS_ANGELES).start.strftime("%H:%M") for monday in mondays]
    assert hours == ["08:00", "09:00", "09:00", "08:00"]
