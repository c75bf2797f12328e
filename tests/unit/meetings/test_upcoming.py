"""upcoming: the next meetings from an injected "now", series expanded."""

from __future__ import annotations

import datetime as dt

import pytest

from processors.meetings import Attendance, upcoming
from schemas.models import EventStatus, ResponseStatus
from tests.unit.meetings.samples import BERLIN, ME, all_day, exception, local, me, meeting, series, stored

NOW = local(BERLIN, 2026, 11, 10, 9, 30)
MASTER = series("sync", local(BERLIN, 2026, 11, 2, 10), "RRULE:FREQ=WEEKLY;BYDAY=TU")


def _listing(instances) -> list[tuple[str, str]]:
    return [(i.event_id, i.start.astimezone(NOW.tzinfo).strftime("%m-%d %H:%M")) for i in instances]


def test_next_meetings_come_in_start_order_with_series_expanded():
    contexts = stored(
        MASTER, meeting("lunch", local(BERLIN, 2026, 11, 10, 12)), meeting("past", local(BERLIN, 2026, 11, 9, 12))
    )
    assert _listing(upcoming(contexts, NOW, 4)) == [
        ("sync", "11-10 10:00"),
        ("lunch", "11-10 12:00"),
        ("sync", "11-17 10:00"),
        ("sync", "11-24 10:00"),
    ]


def test_meeting_in_progress_comes_first():
    contexts = stored(
        meeting("running", local(BERLIN, 2026, 11, 10, 9)), meeting("ended", local(BERLIN, 2026, 11, 10, 8))
    )
    assert _listing(upcoming(contexts, NOW, 5)) == [("running", "11-10 09:00")]


def test_cancelled_declined_and_replaced_instances_are_left_out_and_tentative_ones_flagged():
    contexts = stored(
        MASTER,
        exception(
            MASTER,
            "sync_1110",
            local(BERLIN, 2026, 11, 10, 10),
            local(BERLIN, 2026, 11, 10, 16),
            attendees=[me(ResponseStatus.tentative)],
        ),
        exception(
            MASTER,
            "sync_1117",
            local(BERLIN, 2026, 11, 17, 10),
            local(BERLIN, 2026, 11, 17, 10),
            status=EventStatus.cancelled,
        ),
        meeting("skip", local(BERLIN, 2026, 11, 10, 11), attendees=[me(ResponseStatus.declined)]),
    )
    result = upcoming(contexts, NOW, 2, user_emails=[ME])
    assert _listing(result) == [("sync_1110", "11-10 16:00"), ("sync", "11-24 10:00")]
    assert [i.attendance for i in result] == [Attendance.tentative, Attendance.busy]


def test_all_day_event_is_placed_on_the_viewers_day():
    contexts = stored(all_day("holiday", dt.date(2026, 11, 11)))
    (instance,) = upcoming(contexts, NOW, 3, tz="America/New_York")
    assert instance.start == local("America/New_York", 2026, 11, 11)


def test_nothing_beyond_the_horizon():
    contexts = stored(meeting("far", local(BERLIN, 2027, 6, 1, 10)))
    assert upcoming(contexts, NOW, 3) == []
    assert _listing(upcoming(contexts, NOW, 3, horizon=dt.timedelta(days=365))) == [("far", "06-01 10:00")]


def test_limit_bounds_the_answer():
    assert len(upcoming(stored(MASTER), NOW, 3)) == 3
    assert upcoming(stored(MASTER), NOW, 0) == []


def test_naive_now_is_refused():
    with pytest.raises(ValueError, match="must be timezone-aware"):
        upcoming([], NOW.replace(tzinfo=None), 3)
