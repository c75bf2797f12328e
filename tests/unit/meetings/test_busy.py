"""busy_intervals: merging, tentative and declined meetings, all-day events, the viewer's day."""

from __future__ import annotations

import datetime as dt

import pytest

from processors.meetings import UnknownTimeZone, busy_intervals
from schemas.models import Address, EventStatus, ResponseStatus
from tests.unit.meetings.samples import BERLIN, LOS_ANGELES, ME, T0, all_day, delete, local, me, meeting, stored

DAY = dt.date(2026, 11, 10)


def _at(hour: int, minute: int = 0) -> dt.datetime:
    return local(BERLIN, 2026, 11, 10, hour, minute)


def _spans(intervals) -> list[tuple[str, str, bool]]:
    return [(i.start.strftime("%H:%M"), i.end.strftime("%H:%M"), i.tentative) for i in intervals]


def test_overlapping_meetings_merge_into_one_interval_naming_both():
    contexts = stored(meeting("a", _at(9)), meeting("b", _at(9, 30), minutes=90))
    (interval,) = busy_intervals(contexts, DAY, BERLIN)
    assert (interval.start, interval.end) == (_at(9), _at(11))
    assert interval.meeting_ids == ("a", "b")


def test_touching_meetings_merge_and_separate_ones_stay_apart():
    contexts = stored(meeting("a", _at(9)), meeting("b", _at(10)), meeting("c", _at(14), minutes=30))
    assert _spans(busy_intervals(contexts, DAY, BERLIN)) == [("09:00", "11:00", False), ("14:00", "14:30", False)]


def test_meeting_inside_another_adds_nothing():
    contexts = stored(meeting("long", _at(9), minutes=180), meeting("short", _at(10)))
    assert _spans(busy_intervals(contexts, DAY, BERLIN)) == [("09:00", "12:00", False)]


def test_declined_meeting_is_not_busy():
    contexts = stored(meeting("a", _at(9), attendees=[me(ResponseStatus.declined)]), meeting("b", _at(14)))
    assert _spans(busy_intervals(contexts, DAY, BERLIN, user_emails=[ME])) == [("14:00", "15:00", False)]


def test_user_addresses_match_case_insensitively():
    contexts = stored(meeting("a", _at(9), attendees=[me(ResponseStatus.declined)]))
    assert busy_intervals(contexts, DAY, BERLIN, user_emails=[ME.upper()]) == []


def test_without_the_users_addresses_a_declined_meeting_still_counts():
    contexts = stored(meeting("a", _at(9), attendees=[me(ResponseStatus.declined)]))
    assert _spans(busy_intervals(contexts, DAY, BERLIN)) == [("09:00", "10:00", False)]


def test_meeting_the_user_organizes_is_busy():
    contexts = stored(meeting("a", _at(9), organizer=Address(email=ME), attendees=[]))
    assert _spans(busy_intervals(contexts, DAY, BERLIN, user_emails=[ME])) == [("09:00", "10:00", False)]


@pytest.mark.parametrize(
    "overrides",
    [{"attendees": [me(ResponseStatus.tentative)]}, {"status": EventStatus.tentative}],
    ids=["tentative-answer", "tentative-meeting"],
)
def test_tentative_meeting_is_busy_but_flagged(overrides):
    contexts = stored(meeting("a", _at(9), **overrides))
    assert _spans(busy_intervals(contexts, DAY, BERLIN, user_emails=[ME])) == [("09:00", "10:00", True)]


def test_firm_meeting_overrides_a_tentative_one_where_they_overlap():
    contexts = stored(
        meeting("maybe", _at(9), minutes=120, status=EventStatus.tentative), meeting("firm", _at(10), minutes=120)
    )
    assert _spans(busy_intervals(contexts, DAY, BERLIN)) == [("09:00", "10:00", True), ("10:00", "12:00", False)]


def test_cancelled_and_deleted_meetings_are_not_busy():
    cancelled, doomed = stored(meeting("c", _at(9), status=EventStatus.cancelled), meeting("d", _at(11)))
    gone = delete(doomed, "d", T0 + dt.timedelta(minutes=1))
    assert gone is not None
    assert busy_intervals([cancelled, gone.record], DAY, BERLIN) == []


def test_meeting_across_midnight_is_cut_into_each_local_day():
    contexts = stored(meeting("late", _at(23), minutes=120))
    assert _spans(busy_intervals(contexts, DAY, BERLIN)) == [("23:00", "00:00", False)]
    assert _spans(busy_intervals(contexts, DAY + dt.timedelta(days=1), BERLIN)) == [("00:00", "01:00", False)]


def test_meeting_falls_on_the_viewers_local_day_not_the_organizers():
    contexts = stored(meeting("early", local(BERLIN, 2026, 11, 10, 8)))
    (interval,) = busy_intervals(contexts, dt.date(2026, 11, 9), LOS_ANGELES)
    assert (interval.start, interval.end) == (local(LOS_ANGELES, 2026, 11, 9, 23), local(LOS_ANGELES, 2026, 11, 10, 0))
    assert str(interval.start.tzinfo) == LOS_ANGELES
    assert busy_intervals(contexts, dt.date(2026, 11, 10), LOS_ANGELES) == []


def test_all_day_event_is_free_by_default():
    contexts = stored(all_day("holiday", DAY), meeting("a", _at(9)))
    assert _spans(busy_intervals(contexts, DAY, BERLIN)) == [("09:00", "10:00", False)]


@pytest.mark.parametrize("tz", [BERLIN, LOS_ANGELES])
def test_all_day_event_counted_as_busy_covers_the_viewers_whole_local_day(tz):
    contexts = stored(all_day("offsite", DAY, days=2))
    for day in (DAY, DAY + dt.timedelta(days=1)):
        (interval,) = busy_intervals(contexts, day, tz, all_day_busy=True)
        assert (interval.start, interval.end) == (
            local(tz, day.year, day.month, day.day),
            local(tz, day.year, day.month, day.day + 1),
        )
    assert busy_intervals(contexts, DAY + dt.timedelta(days=2), tz, all_day_busy=True) == []


def test_unknown_viewer_time_zone_is_refused():
    with pytest.raises(UnknownTimeZone, match="Mars/Olympus_Mons"):
        busy_intervals([], DAY, "Mars/Olympus_Mons")
