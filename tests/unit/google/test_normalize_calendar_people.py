"""Calendar events and People persons → canonical CalendarEvent / Contact, or a Deletion."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from connectors.google.changes import Deletion
from connectors.google.exceptions import NormalizationError
from connectors.google.normalize import normalize
from schemas.models import (
    Address,
    AttendeeType,
    CalendarEvent,
    Contact,
    ContactEmail,
    ContactPhone,
    EventKind,
    EventStatus,
    EventTime,
    ResponseStatus,
)
from tests.unit.google.payloads import (
    all_day_event,
    cancelled_all_day_instance,
    cancelled_instance,
    deleted_event,
    deleted_person,
    html_description_event,
    person_from_two_sources,
    person_with_several_addresses,
    recurring_exception,
    recurring_master,
)


def test_all_day_event_uses_dates_and_maps_attendee_roles() -> None:
    event = normalize("event", all_day_event())
    assert isinstance(event, CalendarEvent)
    assert event.is_all_day is True
    assert event.start == EventTime(date=date(2026, 11, 5))
    assert event.end == EventTime(date=date(2026, 11, 6))
    assert event.kind is EventKind.single
    assert event.organizer == Address(email="grace@contoso.example", name="Grace Hopper")
    assert [(a.address.email, a.type, a.response) for a in event.attendees] == [
        ("grace@contoso.example", AttendeeType.required, ResponseStatus.organizer),
        ("ada@contoso.example", AttendeeType.required, ResponseStatus.none),
        ("room-tahoe@resource.calendar.google.com", AttendeeType.resource, ResponseStatus.accepted),
    ]
    assert event.version_marker == "\"3181161784712000\""
    assert event.updated_at == datetime(2026, 10, 2, 8, 30, tzinfo=UTC)


def test_timed_master_keeps_zone_recurrence_and_meet_link() -> None:
    event = normalize("event", recurring_master())
    assert event.start == EventTime(at=datetime(2026, 11, 2, 9, 0, tzinfo=UTC), time_zone="Europe/Berlin")
    assert event.kind is EventKind.series_master
    assert event.recurrence == ["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=10", "EXDATE;TZID=Europe/Berlin:20261116T100000"]
    assert event.online_meeting_url == "https://meet.google.com/abc-defg-hij"
    assert event.status is EventStatus.confirmed


def test_moved_instance_is_an_exception_linked_to_its_master() -> None:
    event = normalize("event", recurring_exception())
    assert event.kind is EventKind.exception
    assert event.series_master_id == "weekly0sync1abc"
    assert event.original_start == EventTime(at=datetime(2026, 11, 9, 9, 0, tzinfo=UTC), time_zone="Europe/Berlin")
    assert event.start.at == datetime(2026, 11, 9, 11, 0, tzinfo=UTC)
    assert event.online_meeting_url == "https://meet.google.com/xyz"
    assert event.attendees[0].type is AttendeeType.optional
    assert event.attendees[0].response is ResponseStatus.tentative


def test_unmoved_instance_is_an_occurrence() -> None:
    payload = recurring_exception()
    payload["start"] = dict(payload["originalStartTime"])
    payload["end"] = {"dateTime": "2026-11-09T11:00:00+01:00", "timeZone": "Europe/Berlin"}
    assert normalize("event", payload).kind is EventKind.occurrence


def test_cancelled_instance_without_times_is_a_cancelled_exception_at_its_original_start() -> None:
    event = normalize("event", cancelled_instance())
    original = EventTime(at=datetime(2026, 11, 16, 9, 0, tzinfo=UTC), time_zone="Europe/Berlin")
    assert isinstance(event, CalendarEvent)
    assert (event.id, event.kind, event.status) == ("weekly0sync1abc_20261116T090000Z", EventKind.exception, EventStatus.cancelled)
    assert event.series_master_id == "weekly0sync1abc"
    assert event.original_start == event.start == event.end == original
    assert (event.is_all_day, event.title, event.version_marker) == (False, None, "\"3181161784712003\"")


def test_cancelled_instance_of_an_all_day_series_sits_on_its_original_date() -> None:
    event = normalize("event", cancelled_all_day_instance())
    assert isinstance(event, CalendarEvent) and event.is_all_day
    assert event.original_start == event.start == event.end == EventTime(date=date(2026, 11, 18))
    assert (event.kind, event.series_master_id) == (EventKind.exception, "gym0days")


def test_cancelled_instance_that_carries_its_times_keeps_them() -> None:
    """On the organizer's calendar a cancelled instance may still carry its details."""
    detailed = {**recurring_exception(), "status": "cancelled"}
    event = normalize("event", detailed)
    assert (event.kind, event.status) == (EventKind.exception, EventStatus.cancelled)
    assert event.start.at == datetime(2026, 11, 9, 11, 0, tzinfo=UTC)
    assert event.original_start.at == datetime(2026, 11, 9, 9, 0, tzinfo=UTC)


def test_cancelled_event_without_times_is_a_deletion() -> None:
    assert normalize("event", deleted_event()) == Deletion(kind="event", id="gone0event", version_marker="\"3181161784712004\"")


def test_a_cancelled_single_event_that_still_carries_its_details_is_a_deletion() -> None:
    """``showDeleted`` listings (and some incremental ones) send a deleted event with its fields;
    "cancelled" on an event that is no instance of a series means deleted all the same."""
    detailed = {**html_description_event(), "status": "cancelled"}
    assert "start" in detailed and "recurringEventId" not in detailed
    deletion = normalize("event", detailed)
    assert isinstance(deletion, Deletion) and deletion.id == detailed["id"]


def test_cancelled_event_naming_a_series_but_no_original_start_is_a_deletion() -> None:
    """It cannot be placed in its series, so all that is known is that this id is gone."""
    payload = {**cancelled_instance()}
    del payload["originalStartTime"]
    assert normalize("event", payload) == Deletion(
        kind="event", id="weekly0sync1abc_20261116T090000Z", version_marker="\"3181161784712003\"")


def test_naive_date_time_is_read_in_the_event_time_zone() -> None:
    payload = recurring_master()
    payload["start"] = {"dateTime": "2026-07-01T10:00:00", "timeZone": "Europe/Berlin"}
    payload["end"] = {"dateTime": "2026-07-01T11:00:00", "timeZone": "Europe/Berlin"}
    assert normalize("event", payload).start.at == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"start": {"dateTime": "2026-07-01T10:00:00"}}, "start.dateTime has no offset"),
        ({"start": {"dateTime": "next monday"}}, "start.dateTime is not an RFC 3339"),
        ({"end": {}}, "end has neither date nor dateTime"),
        ({"start": {"date": "2026-11-05"}}, "is_all_day must be true exactly when"),
        ({"start": {"dateTime": "2026-07-01T10:00:00", "timeZone": "Mars/Olympus"}}, "unknown time zone 'Mars/Olympus'"),
        ({"attendees": ["ada@contoso.example"]}, r"attendees\[0\]: expected a JSON object, got a string"),
    ],
)
def test_an_unreadable_event_raises_normalization_error(change: dict, says: str) -> None:
    with pytest.raises(NormalizationError, match=says):
        normalize("event", {**recurring_master(), **change})


def test_person_keeps_every_address_and_phone_with_the_primary_marked() -> None:
    contact = normalize("contact", person_with_several_addresses())
    assert isinstance(contact, Contact)
    assert contact.id == "people/c1234567890"
    assert (contact.display_name, contact.given_name, contact.family_name) == ("Grace Hopper", "Grace", "Hopper")
    assert contact.emails == [
        ContactEmail(address="grace@home.example", label="home"),
        ContactEmail(address="grace@fabrikam.example", label="work", is_primary=True),
    ]
    assert contact.phones == [ContactPhone(number="+1 425-555-0100", label="mobile"),
                              ContactPhone(number="(425) 555-0199", label="work")]
    assert (contact.organization, contact.job_title) == ("Fabrikam", "Rear Admiral")
    assert contact.version_marker == "%EgUBAi43PRoEAQIFByIMQk5HTEU4VnFLQkE9"
    assert contact.updated_at == datetime(2026, 10, 1, 12, tzinfo=UTC)


def test_the_contact_source_update_time_is_the_change_time_not_a_linked_profiles() -> None:
    person = person_with_several_addresses()
    person["metadata"]["sources"] = [
        {"type": "PROFILE", "id": "p1", "updateTime": "2026-11-20T08:00:00.123456789Z"},
        {"type": "CONTACT", "id": "1a2b3c", "updateTime": "2026-10-01T12:00:00.5Z"},
    ]
    contact = normalize("contact", person)
    assert isinstance(contact, Contact)
    assert contact.updated_at == datetime(2026, 10, 1, 12, 0, 0, 500000, tzinfo=UTC)
    person["metadata"]["sources"] = [{"type": "PROFILE", "id": "p1", "updateTime": "yesterday"}]
    with pytest.raises(NormalizationError, match="updateTime"):
        normalize("contact", person)


def test_deleted_person_is_a_deletion() -> None:
    assert normalize("contact", deleted_person()) == Deletion(kind="contact", id="people/c999", version_marker="%EgUBAi43")


def test_person_without_resource_name_or_with_misshapen_fields_is_refused() -> None:
    with pytest.raises(NormalizationError, match="resourceName"):
        normalize("contact", {"names": []})
    with pytest.raises(NormalizationError, match=r"people/c1.emailAddresses\[0\]: expected a JSON object, got a string"):
        normalize("contact", {"resourceName": "people/c1", "emailAddresses": ["grace@fabrikam.example"]})


def test_an_html_description_becomes_the_plain_text_body() -> None:
    """Google Calendar's editor writes descriptions as HTML; the record's body is plain text,
    converted as Graph bodies are."""
    event = normalize("event", html_description_event())
    assert isinstance(event, CalendarEvent)
    assert event.body == "Agenda\nPlease read the plan first.\n\nBudget & hiring\nRoadmap"


def test_a_plain_text_description_is_kept_as_written() -> None:
    description = "Bring:\n- laptop\n- ideas <3 & snacks (a < b)"
    event = normalize("event", {**all_day_event(), "description": description})
    assert isinstance(event, CalendarEvent) and event.body == description


def test_an_address_or_phone_from_two_sources_is_listed_once_as_the_primary_has_it() -> None:
    """The contact and the person's Google profile both list the address (spelled with other
    capitals) and the phone (formatted otherwise): one entry each, the primary one."""
    contact = normalize("contact", person_from_two_sources())
    assert isinstance(contact, Contact)
    assert contact.emails == [
        ContactEmail(address="alan.turing@contoso.example", label="work", is_primary=True),
        ContactEmail(address="alan@home.example", label="home"),
    ]
    assert contact.phones == [ContactPhone(number="+44 20 7946 0018", label="mobile"),
                              ContactPhone(number="+44 20 7946 0999", label="work")]
