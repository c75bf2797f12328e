"""One entry point from a Google payload to a canonical record, for the sync code and the
``officestream normalize`` CLI: ``normalize("email" | "event" | "contact", payload)``.

A payload of another kind than the one asked for is refused rather than read as a half-empty
record: Calendar resources say what they are (``kind: calendar#event``), Gmail messages
(``threadId``, ``payload`` / ``raw``) and People persons (``resourceName: people/...``) by
their fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.google.changes import Deletion, Kind
from connectors.google.exceptions import NormalizationError
from connectors.google.normalize_calendar import normalize_calendar_event
from connectors.google.normalize_gmail import normalize_gmail_message
from connectors.google.normalize_people import normalize_person
from connectors.payload_fields import shown, telling_kind
from schemas.models import CalendarEvent, Contact, Email

__all__ = [
    "Deletion", "NormalizationError", "check_kind", "normalize", "normalize_calendar_event", "normalize_gmail_message", "normalize_person",
]


#: The ``kind`` a resource carries (Calendar writes one; Gmail messages and People persons do not).
_DECLARED = {"event": "calendar#event"}
#: Fields only one kind of resource has, to tell a payload of another kind without ``kind``.
_TELLING_FIELDS: dict[str, frozenset[str]] = {
    "email": frozenset({"threadId", "labelIds", "payload", "raw", "historyId", "internalDate", "sizeEstimate"}),
    "event": frozenset({
        "start", "end", "summary", "iCalUID", "recurringEventId", "originalStartTime", "attendees", "organizer",
        "htmlLink", "hangoutLink", "conferenceData", "eventType",
    }),
    "contact": frozenset({"resourceName", "names", "emailAddresses", "phoneNumbers", "organizations"}),
}
_NOUNS = {"email": "a Gmail message", "event": "a Calendar event", "contact": "a People person"}


def normalize(kind: Kind, payload: Mapping[str, Any]) -> Email | CalendarEvent | Contact | Deletion:
    """A Gmail message (full or raw format), a Calendar event or a People person → its record.
    ``NormalizationError`` says what is wrong with a payload it cannot read, or of another kind."""
    if kind not in _TELLING_FIELDS:
        raise NormalizationError(f"unknown kind {shown(kind)}: expected email, event or contact")
    if isinstance(payload, Mapping):
        check_kind(kind, payload)
    if kind == "email":
        return normalize_gmail_message(payload)
    if kind == "event":
        return normalize_calendar_event(payload)
    return normalize_person(payload)


def check_kind(kind: Kind, payload: Mapping[str, Any]) -> None:
    """Refuse a payload that is not a resource of ``kind``: by its ``kind`` field when it has
    one (``calendar#event``), else by the fields only another kind of resource has."""
    declared = payload.get("kind")
    if isinstance(declared, str) and "#" in declared:
        if declared != _DECLARED.get(kind):
            raise NormalizationError(f"{kind}: the payload's kind is {shown(declared)}, not {_NOUNS[kind]}")
        return
    other = telling_kind(kind, payload, _TELLING_FIELDS)
    if other is not None:
        raise NormalizationError(f"{kind}: the payload is {_NOUNS[other[0]]}, not {_NOUNS[kind]} (it has {', '.join(other[1][:3])})")
