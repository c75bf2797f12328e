"""Recurrence parsing and the skip-ahead that keeps long-running series cheap to expand."""

from __future__ import annotations

import datetime as dt
from itertools import takewhile

import pytest

from processors.meetings import InvalidRecurrence
from processors.meetings.recurrence import occurrence_starts, series_rule_set
from tests.unit.meetings.samples import BERLIN, local, series, stored

WINDOW = dt.timedelta(days=60)


@pytest.mark.parametrize(
    "lines",
    [
        ["RRULE:FREQ=DAILY"],
        ["RRULE:FREQ=DAILY;INTERVAL=3"],
        ["RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH"],
        ["RRULE:FREQ=WEEKLY;INTERVAL=3;BYDAY=TU,FR;WKST=SU"],
        ["RRULE:FREQ=WEEKLY;BYDAY=WE", "EXRULE:FREQ=WEEKLY;INTERVAL=4;BYDAY=WE"],
        [
            "RRULE:FREQ=DAILY;INTERVAL=2",
            "RRULE:FREQ=WEEKLY;INTERVAL=3;BYDAY=SA",
            "EXDATE;TZID=Europe/Berlin:20260401T090000",
        ],
        ["RRULE:FREQ=DAILY;UNTIL=20260415T070000Z"],
        ["RRULE:FREQ=DAILY;COUNT=1921"],  # the 1921st instance is on 2026-04-10, inside the window
        ["RRULE:FREQ=MONTHLY;BYDAY=2TU"],
    ],
    ids=lambda lines: " / ".join(lines),
)
@pytest.mark.parametrize("since", [local(BERLIN, 2026, 3, 20), local(BERLIN, 2026, 3, 27)], ids=["mar-20", "mar-27"])
def test_skipping_ahead_yields_the_same_instances_as_expanding_from_the_first(lines, since):
    """Windows a week apart: a skip of the wrong length lands off the rule's period in one of them."""
    (master,) = stored(series("old", local(BERLIN, 2021, 1, 6, 9), *lines))
    until = since + WINDOW  # spans Berlin's spring-forward
    from_the_first = series_rule_set(master).between(since, until, inc=True)
    skipped_ahead = list(takewhile(lambda start: start <= until, occurrence_starts(master, since)))
    assert from_the_first and skipped_ahead == from_the_first


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("RRULE:FREQ=WEEKLY;BYDAY=XX", "BYDAY"),
        ("RDATE;VALUE=PERIOD:20261109T100000Z/PT1H", "PERIOD"),
        ("X-WR-RULE:FREQ=DAILY", "unsupported property X-WR-RULE"),
        ("EXDATE:yesterday", "EXDATE:yesterday"),
        ("RRULE:FREQ=DAILY;INTERVAL=two", "INTERVAL=two"),
    ],
)
def test_lines_that_cannot_be_expanded_are_refused(line, reason):
    with pytest.raises(InvalidRecurrence, match=reason):
        stored(series("bad", local(BERLIN, 2026, 11, 2, 10), "RRULE:FREQ=WEEKLY", line))


def test_folded_lines_are_joined_before_parsing():
    (master,) = stored(series("folded", local(BERLIN, 2026, 11, 2, 10), "RRULE:FREQ=WEEKLY;\n BYDAY=MO,WE"))
    starts = series_rule_set(master).between(local(BERLIN, 2026, 11, 2), local(BERLIN, 2026, 11, 8), inc=True)
    assert [s.strftime("%a %H:%M") for s in starts] == ["Mon 10:00", "Wed 10:00"]
