"""A Google payload of another kind, or malformed, ends in a NormalizationError naming what is
wrong: never a half-empty record, never another exception."""

from __future__ import annotations

import pytest

from connectors.google.changes import Deletion
from connectors.google.exceptions import NormalizationError
from connectors.google.normalize import normalize
from schemas.models import CalendarEvent, Contact, Email
from tests.unit.google.payloads import (
    all_day_event,
    b64url,
    deleted_event,
    deleted_person,
    gmail_full_message,
    gmail_raw_message,
    person_with_several_addresses,
)


@pytest.mark.parametrize(("kind", "payload", "says"), [
    ("email", all_day_event(), "email: the payload's kind is 'calendar#event', not a Gmail message"),
    ("contact", deleted_event(), "the payload's kind is 'calendar#event', not a People person"),
    ("event", gmail_full_message(), "event: the payload is a Gmail message, not a Calendar event"),
    ("contact", gmail_raw_message(), "contact: the payload is a Gmail message, not a People person"),
    ("email", person_with_several_addresses(), "email: the payload is a People person, not a Gmail message"),
    ("event", deleted_person(), "event: the payload is a People person, not a Calendar event"),
])
def test_a_payload_of_another_kind_is_refused(kind: str, payload: dict, says: str) -> None:
    with pytest.raises(NormalizationError, match=says):
        normalize(kind, payload)  # type: ignore[arg-type]


@pytest.mark.parametrize(("kind", "payload", "record"), [
    ("email", gmail_full_message(), Email), ("email", gmail_raw_message(), Email),
    ("event", all_day_event(), CalendarEvent), ("event", deleted_event(), Deletion),
    ("contact", person_with_several_addresses(), Contact), ("contact", deleted_person(), Deletion),
])
def test_a_payload_of_the_kind_asked_for_is_read(kind: str, payload: dict, record: type) -> None:
    assert isinstance(normalize(kind, payload), record)  # type: ignore[arg-type]


@pytest.mark.parametrize(("change", "says"), [
    ({"metadata": "deleted"}, r"people/c1234567890.metadata: expected a JSON object, got a string"),
    ({"metadata": {"deleted": "yes"}}, r"metadata: field 'deleted' must be true or false"),
    ({"metadata": {"sources": {"type": "CONTACT"}}}, r"metadata: field 'sources' must be a list, got an object"),
    ({"names": [{"displayName": ["Grace"]}]}, r"names: field 'displayName' must be a string, got a list"),
    ({"phoneNumbers": [{"value": "+1 425", "canonicalForm": 1425}]}, r"phoneNumbers\[0\]: field 'canonicalForm'"),
    ({"emailAddresses": [{"value": "g@x.example", "metadata": {"primary": "yes"}}]},
     r"emailAddresses\[0\].metadata: field 'primary' must be true or false"),
])
def test_a_malformed_person_is_refused_naming_the_field(change: dict, says: str) -> None:
    with pytest.raises(NormalizationError, match=says):
        normalize("contact", {**person_with_several_addresses(), **change})


@pytest.mark.parametrize(("change", "says"), [
    ({"description": {"html": "<b>x</b>"}}, "field 'description' must be a string, got an object"),
    ({"status": ["cancelled"]}, "field 'status' must be a string, got a list"),
    ({"organizer": "grace@contoso.example"}, r"organizer: expected a JSON object, got a string"),
    ({"attendees": [{"email": "a@x.example", "optional": "no"}]}, r"attendees\[0\]: field 'optional' must be true or false"),
    ({"start": {"date": 20261105}}, "start: field 'date' must be a string, got a number"),
    ({"conferenceData": {"entryPoints": [{"entryPointType": "video", "uri": 7}]}},
     r"conferenceData.entryPoints\[0\]: field 'uri' must be a string"),
    ({"start": {"dateTime": "2026-11-05T10:00:00", "timeZone": "Europe/" + "x" * 300}}, "unknown time zone"),
])
def test_a_malformed_event_is_refused_naming_the_field(change: dict, says: str) -> None:
    with pytest.raises(NormalizationError, match=says):
        normalize("event", {**all_day_event(), **change})


@pytest.mark.parametrize(("mutate", "says"), [
    (lambda m: m.update(snippet=["x"]), "snippet must be a string"),
    (lambda m: m.update(historyId={"id": 1}), "historyId must be a string of digits"),
    (lambda m: m["payload"]["parts"][1].update(filename=["agenda.pdf"]), r"payload.parts\[1\]: partId and filename must be strings"),
    (lambda m: m["payload"]["headers"][0].update(value=["x"]), "payload.headers has an entry that is not"),
])
def test_a_malformed_gmail_message_is_refused_naming_the_field(mutate, says: str) -> None:
    message = gmail_full_message()
    mutate(message)
    with pytest.raises(NormalizationError, match=says):
        normalize("email", message)


def _nested(value: object, depth: int) -> object:
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(("kind", "payload", "field"), [
    ("email", {**gmail_full_message(), "snippet": _nested("x", 100_000)}, "snippet"),
    ("event", {**all_day_event(), "summary": _nested("x", 100_000)}, "summary"),
    ("contact", {**person_with_several_addresses(), "metadata": {"sources": _nested({}, 100_000)}}, "metadata"),
])
def test_a_value_nested_100000_deep_is_refused_naming_the_field(kind: str, payload: dict, field: str) -> None:
    with pytest.raises(NormalizationError) as caught:
        normalize(kind, payload)  # type: ignore[arg-type]
    message = str(caught.value)
    assert field in message and "\n" not in message and len(message) < 300


@pytest.mark.parametrize("depth", [40, 3000])
def test_raw_multiparts_nested_past_32_levels_are_refused(depth: int) -> None:
    """The stdlib MIME parser recurses per level: 3000 levels would end in a RecursionError."""
    nesting = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (level, level) for level in range(depth))
    raw = b"From: a@fabrikam.example\r\nSubject: deep\r\n" + nesting + b"Content-Type: text/plain\r\n\r\nhi\r\n"
    with pytest.raises(NormalizationError, match=r"^raw: .*(nests|nest) deeper than"):
        normalize("email", {"id": "18c1f0a2b3d4e5f9", "threadId": "18c1f0a2b3d4e5f9", "raw": b64url(raw)})
