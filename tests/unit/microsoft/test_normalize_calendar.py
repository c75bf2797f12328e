"""Graph events become canonical CalendarEvents: Windows zones, all-day, series, exceptions."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from dateutil.rrule import rrulestr

from connectors.microsoft.exceptions import NormalizationError
from connectors.microsoft.normalize import RemovedItem, normalize
from schemas.models import (
    Address,
    Attendee,
    AttendeeType,
    CalendarEvent,
    EventKind,
    EventStatus,
    EventTime,
    Provider,
    ResponseStatus,
)
from tests.unit.microsoft.graph_samples import (
    CANCELLED_OCCURRENCE,
    EVENT_ALL_DAY,
    EVENT_PACIFIC,
    EXCEPTION,
    HOLIDAY_EXCEPTION,
    SERIES_MASTER,
)


def _event(payload: dict) -> CalendarEvent:
    record = normalize("event", payload)
    assert isinstance(record, CalendarEvent)
    return record


def test_event_in_pacific_standard_time_becomes_utc_instants_with_the_iana_zone() -> None:
    expected = CalendarEvent(
        id="AAMkAGI1AAAt8AHjAAA=",
        provider=Provider.microsoft,
        ical_uid=EVENT_PACIFIC["iCalUId"],
        title="Let's go brunch",
        body="Does noon work for you?",
        location="Harry's Bar",
        start=EventTime(at=dt.datetime(2017, 4, 15, 19, 0, tzinfo=dt.UTC), time_zone="America/Los_Angeles"),
        end=EventTime(at=dt.datetime(2017, 4, 15, 21, 0, tzinfo=dt.UTC), time_zone="America/Los_Angeles"),
        kind=EventKind.single,
        status=EventStatus.confirmed,
        organizer=Address(email="danas@contoso.onmicrosoft.com", name="Dana Swope"),
        attendees=[
            Attendee(address=Address(email="samanthab@contoso.onmicrosoft.com", name="Samantha Booth"),
                     type=AttendeeType.required, response=ResponseStatus.tentative),
            Attendee(address=Address(email="danas@contoso.onmicrosoft.com", name="Dana Swope"),
                     type=AttendeeType.optional, response=ResponseStatus.none),
            Attendee(address=Address(email="conf1@contoso.onmicrosoft.com", name="Conf Room 1"),
                     type=AttendeeType.resource, response=ResponseStatus.accepted),
        ],
        online_meeting_url="https://teams.microsoft.com/l/meetup-join/19%3ameeting_brunch",
        updated_at=dt.datetime(2017, 4, 15, 3, 0, 51, 245000, tzinfo=dt.UTC),
        version_marker="ZlnW4RIAV06KYYwlrfNZvQAALfZeRQ==",
    )
    assert _event(EVENT_PACIFIC) == expected


def test_same_event_rendered_in_utc_keeps_the_instant_and_the_organizers_zone() -> None:
    in_utc = copy.deepcopy(EVENT_PACIFIC)
    in_utc["start"] = {"dateTime": "2017-04-15T19:00:00.0000000", "timeZone": "UTC"}
    in_utc["end"] = {"dateTime": "2017-04-15T21:00:00.0000000", "timeZone": "UTC"}
    assert _event(in_utc).start == _event(EVENT_PACIFIC).start


def test_daylight_saving_is_applied_by_the_mapped_zone() -> None:
    winter = copy.deepcopy(EVENT_PACIFIC)
    winter["start"] = {"dateTime": "2017-01-15T12:00:00.0000000", "timeZone": "Pacific Standard Time"}
    assert _event(winter).start.at == dt.datetime(2017, 1, 15, 20, 0, tzinfo=dt.UTC)


def test_all_day_event_keeps_dates_and_the_exclusive_end() -> None:
    event = _event(EVENT_ALL_DAY)
    assert event.is_all_day
    assert event.start == EventTime(date=dt.date(2026, 12, 24), time_zone="Europe/Berlin")
    assert event.end == EventTime(date=dt.date(2026, 12, 26), time_zone="Europe/Berlin")


def test_series_master_pattern_becomes_an_rrule_that_expands_to_the_same_days() -> None:
    event = _event(SERIES_MASTER)
    assert event.kind is EventKind.series_master
    assert event.start.time_zone == "America/New_York"
    assert event.recurrence == ["RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;WKST=SU;UNTIL=20180101T045959Z"]
    rule = rrulestr(event.recurrence[0], dtstart=event.start.at)
    dates = [at.date() for at in rule]
    assert dates[:4] == [dt.date(2017, 9, 4), dt.date(2017, 9, 6), dt.date(2017, 9, 18), dt.date(2017, 9, 20)]
    assert dates[-1] == dt.date(2017, 12, 27)


def test_exception_links_to_its_master_and_original_start() -> None:
    event = _event(EXCEPTION)
    assert event.kind is EventKind.exception
    assert event.series_master_id == "AAMkADSeriesMaster="
    assert event.original_start == EventTime(at=dt.datetime(2017, 9, 18, 16, 0, tzinfo=dt.UTC), time_zone="America/New_York")
    assert event.recurrence == []


@pytest.mark.parametrize("original", ["2026-11-20T08:00:00Z", "2026-11-20T00:00:00Z"])
def test_exception_of_an_all_day_series_replaces_a_date_as_its_masters_slots_are(original: str) -> None:
    """Midnight in the series' zone as a UTC instant, or midnight as written: the same day."""
    event = _event({**HOLIDAY_EXCEPTION, "originalStart": original})
    assert event.original_start == EventTime(date=dt.date(2026, 11, 20), time_zone="America/Los_Angeles")
    assert (event.start.date, event.end.date) == (dt.date(2026, 11, 19), dt.date(2026, 11, 20))


def test_cancelled_occurrence_is_status_cancelled() -> None:
    event = _event(CANCELLED_OCCURRENCE)
    assert (event.kind, event.status) == (EventKind.occurrence, EventStatus.cancelled)
    assert event.start.time_zone == "UTC"


def test_removed_event_becomes_a_delete_marker() -> None:
    payload = {"id": "AAMkADOccurrence=", "@removed": {"reason": "changed"}}
    assert normalize("event", payload) == RemovedItem(kind="event", id="AAMkADOccurrence=", reason="changed")


def test_unmappable_original_zone_falls_back_to_the_rendered_zone() -> None:
    custom = copy.deepcopy(EVENT_PACIFIC)
    custom["originalStartTimeZone"] = custom["originalEndTimeZone"] = "tzone://Microsoft/Custom"
    assert _event(custom).start.time_zone == "America/Los_Angeles"


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda e: e["start"].update(timeZone="Mars Standard Time"), "unknown time zone 'Mars Standard Time'"),
        (lambda e: e.pop("end"), r"event.end: expected a JSON object"),
        (lambda e: e.update(type="sometimes"), "unknown type 'sometimes'"),
        (lambda e: e.update(type="occurrence"), "needs series_master_id"),
        (lambda e: e.update(isAllDay=True, start={"dateTime": "x", "timeZone": "UTC"}), "not an ISO 8601"),
    ],
)
def test_unreadable_event_raises_normalization_error(change, complaint: str) -> None:
    payload = copy.deepcopy(EVENT_PACIFIC)
    change(payload)
    with pytest.raises(NormalizationError, match=complaint):
        normalize("event", payload)


def test_unknown_recurrence_pattern_is_refused() -> None:
    payload = copy.deepcopy(SERIES_MASTER)
    payload["recurrence"]["pattern"]["type"] = "fortnightly"
    with pytest.raises(NormalizationError, match="unknown type 'fortnightly'"):
        normalize("event", payload)
