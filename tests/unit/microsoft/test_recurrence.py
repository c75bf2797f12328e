"""Graph recurrence patterns to RRULEs, checked by expanding both sides with dateutil."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr

from connectors.emulator.microsoft import rrule_to_pattern
from connectors.microsoft.exceptions import NormalizationError
from connectors.microsoft.recurrence import recurrence_to_rrule


def _rule(pattern: dict, range_: dict | None = None, *, all_day: bool = False) -> str:
    [rule] = recurrence_to_rrule({"pattern": pattern, "range": range_ or {"type": "noEnd"}}, all_day=all_day,
                                 fallback_zone="UTC")
    return rule


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"type": "daily", "interval": 3}, "RRULE:FREQ=DAILY;INTERVAL=3"),
        ({"type": "absoluteMonthly", "interval": 1, "dayOfMonth": 15}, "RRULE:FREQ=MONTHLY;BYMONTHDAY=15"),
        ({"type": "relativeMonthly", "interval": 2, "daysOfWeek": ["thursday"], "index": "last"},
         "RRULE:FREQ=MONTHLY;INTERVAL=2;BYDAY=TH;BYSETPOS=-1"),
        ({"type": "absoluteYearly", "interval": 1, "month": 6, "dayOfMonth": 1}, "RRULE:FREQ=YEARLY;BYMONTH=6;BYMONTHDAY=1"),
        ({"type": "relativeYearly", "interval": 1, "month": 11, "daysOfWeek": ["thursday"], "index": "fourth"},
         "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=TH;BYSETPOS=4"),
    ],
)
def test_patterns(pattern: dict, expected: str) -> None:
    assert _rule(pattern) == expected


def test_numbered_range_becomes_count_and_all_day_end_date_a_date() -> None:
    weekly = {"type": "weekly", "interval": 1, "daysOfWeek": ["friday"]}
    assert _rule(weekly, {"type": "numbered", "numberOfOccurrences": 5}) == "RRULE:FREQ=WEEKLY;BYDAY=FR;COUNT=5"
    assert _rule(weekly, {"type": "endDate", "endDate": "2026-12-31"}, all_day=True) == "RRULE:FREQ=WEEKLY;BYDAY=FR;UNTIL=20261231"


def test_thanksgiving_rule_expands_to_fourth_thursdays() -> None:
    rule = _rule({"type": "relativeYearly", "month": 11, "daysOfWeek": ["thursday"], "index": "fourth"},
                 {"type": "numbered", "numberOfOccurrences": 3})
    dates = [at.date() for at in rrulestr(rule, dtstart=dt.datetime(2026, 1, 1))]
    assert dates == [dt.date(2026, 11, 26), dt.date(2027, 11, 25), dt.date(2028, 11, 23)]


@pytest.mark.parametrize("rule", ["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=10", "RRULE:FREQ=DAILY;INTERVAL=2;COUNT=4",
                                  "RRULE:FREQ=MONTHLY;BYMONTHDAY=3;COUNT=6", "RRULE:FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20270131T225959Z"])
def test_emulator_patterns_expand_to_the_same_instants_as_the_original_rule(rule: str) -> None:
    zone = ZoneInfo("Europe/Berlin")
    start = dt.datetime(2026, 11, 2, 10, 0, tzinfo=zone)
    recurrence = rrule_to_pattern(rule, start, "Europe/Berlin")
    [back] = recurrence_to_rrule(recurrence, all_day=False, fallback_zone="Europe/Berlin")
    expand = lambda r: [at for at, _ in zip(rrulestr(r.removeprefix("RRULE:"), dtstart=start), range(60))]
    assert expand(back) == expand(rule)


@pytest.mark.parametrize(
    ("recurrence", "complaint"),
    [
        ({"pattern": {"type": "weekly", "daysOfWeek": []}}, "daysOfWeek is required"),
        ({"pattern": {"type": "weekly", "daysOfWeek": ["funday"]}}, "unknown day 'funday'"),
        ({"pattern": {"type": "daily", "interval": 0}}, "interval must be an integer >= 1"),
        ({"pattern": {"type": "daily"}, "range": {"type": "endDate", "endDate": "someday"}}, "endDate is not a date"),
        ({"pattern": {"type": "daily"}, "range": {"type": "forever"}}, "unknown type 'forever'"),
    ],
)
def test_unreadable_recurrences_are_refused(recurrence: dict, complaint: str) -> None:
    with pytest.raises(NormalizationError, match=complaint):
        recurrence_to_rrule(recurrence, all_day=False, fallback_zone="UTC")
