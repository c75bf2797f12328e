"""A Graph payload of another kind, or malformed, ends in a NormalizationError naming what is
wrong: never a half-empty record, never another exception."""

from __future__ import annotations

import copy

import pytest

from connectors.microsoft.exceptions import NormalizationError
from connectors.microsoft.normalize import normalize
from schemas.models import CalendarEvent, Contact, Email
from tests.unit.microsoft.graph_samples import CONTACT, EVENT_PACIFIC, MESSAGE_HTML, RELATIVE_MONTHLY_MASTER, SERIES_MASTER


@pytest.mark.parametrize(("kind", "payload", "says"), [
    ("contact", MESSAGE_HTML, "contact: the payload is a message, not a contact"),
    ("email", EVENT_PACIFIC, "email: the payload is an event, not a message"),
    ("event", CONTACT, "event: the payload is a contact, not an event"),
    ("contact", {**CONTACT, "@odata.type": "#microsoft.graph.message"}, "'@odata.type' is '#microsoft.graph.message', not a contact"),
    ("email", {"@odata.type": "#microsoft.graph.event", "id": "AAMk="}, "'@odata.type' is '#microsoft.graph.event', not a message"),
    ("event", {"@odata.type": "#microsoft.graph.todoTask", "id": "AAMk="}, "'@odata.type' is '#microsoft.graph.todoTask'"),
])
def test_a_payload_of_another_kind_is_refused(kind: str, payload: dict, says: str) -> None:
    with pytest.raises(NormalizationError, match=says):
        normalize(kind, payload)  # type: ignore[arg-type]


@pytest.mark.parametrize(("kind", "payload", "record"), [
    ("email", {**MESSAGE_HTML, "@odata.type": "#microsoft.graph.message"}, Email),
    # meeting requests, responses and cancellations are messages (derived from message)
    ("email", {**MESSAGE_HTML, "@odata.type": "#microsoft.graph.eventMessageRequest", "meetingMessageType": "meetingRequest",
               "isAllDay": False, "type": "singleInstance"}, Email),
    ("email", {**MESSAGE_HTML, "@odata.type": "microsoft.graph.eventMessageResponse"}, Email),
    ("email", {**MESSAGE_HTML, "@odata.type": "#Microsoft.Graph.Message"}, Email),  # as change notifications write it
    ("event", {**EVENT_PACIFIC, "@odata.type": "#microsoft.graph.event"}, CalendarEvent),
    ("contact", {**CONTACT, "@odata.type": "#microsoft.graph.contact"}, Contact),
    ("contact", {"id": "AAMkAGI2THk0AAA="}, Contact),  # too thin to tell: read as asked
])
def test_a_payload_of_the_kind_asked_for_is_read(kind: str, payload: dict, record: type) -> None:
    assert isinstance(normalize(kind, payload), record)  # type: ignore[arg-type]


@pytest.mark.parametrize(("change", "says"), [
    (lambda p: p.update(index=["first"]), "event.recurrence.pattern: field 'index' must be a string, got a list"),
    (lambda p: p.update(index=2), "event.recurrence.pattern: field 'index' must be a string, got a number"),
    (lambda p: p.update(type="weekly", firstDayOfWeek=0), "field 'firstDayOfWeek' must be a string, got a number"),
    (lambda p: p.update(daysOfWeek="thursday"), "field 'daysOfWeek' must be a list of strings"),
])
def test_a_malformed_recurrence_pattern_is_refused_naming_the_field(change, says: str) -> None:
    payload = copy.deepcopy(RELATIVE_MONTHLY_MASTER)
    change(payload["recurrence"]["pattern"])
    with pytest.raises(NormalizationError, match=says):
        normalize("event", payload)


def test_the_relative_monthly_fixture_reads_as_its_rule() -> None:
    event = normalize("event", RELATIVE_MONTHLY_MASTER)
    assert isinstance(event, CalendarEvent)
    assert event.recurrence == ["RRULE:FREQ=MONTHLY;BYDAY=TH;BYSETPOS=2;COUNT=12"]


@pytest.mark.parametrize(("change", "says"), [
    (lambda e: e["start"].update(dateTime="0001-01-01T00:00:00.0000000", timeZone="Tokyo Standard Time"),
     "event.start.dateTime: out of range"),
    (lambda e: e.update(lastModifiedDateTime="0001-01-01T00:00:00+14:00"), "'lastModifiedDateTime' is out of range"),
    (lambda e: e["start"].update(timeZone="Europe/" + "x" * 300), "unknown time zone 'Europe/xxx"),
])
def test_times_outside_what_a_clock_holds_are_refused_naming_the_field(change, says: str) -> None:
    payload = copy.deepcopy(EVENT_PACIFIC)
    change(payload)
    with pytest.raises(NormalizationError, match=says) as caught:
        normalize("event", payload)
    assert len(str(caught.value)) < 300


def test_an_end_date_past_the_last_utc_instant_means_no_end() -> None:
    payload = copy.deepcopy(SERIES_MASTER)
    payload["recurrence"]["range"].update(endDate="9999-12-31", recurrenceTimeZone="Pacific Standard Time")
    event = normalize("event", payload)
    assert isinstance(event, CalendarEvent)
    assert event.recurrence == ["RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;WKST=SU"]


def _nested(value: object, depth: int) -> object:
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(("kind", "payload", "field"), [
    ("email", {**MESSAGE_HTML, "isRead": _nested(True, 100_000)}, "isRead"),
    ("email", {**MESSAGE_HTML, "@removed": _nested({}, 100_000)}, "@removed"),
    ("event", {**SERIES_MASTER, "recurrence": {"pattern": {"type": _nested("daily", 100_000)}}}, "type"),
    ("contact", {**CONTACT, "emailAddresses": [{"address": _nested("x", 100_000)}]}, "address"),
])
def test_a_value_nested_100000_deep_is_refused_naming_the_field(kind: str, payload: dict, field: str) -> None:
    with pytest.raises(NormalizationError) as caught:
        normalize(kind, payload)  # type: ignore[arg-type]
    message = str(caught.value)
    assert field in message and "\n" not in message and len(message) < 300
