"""One entry point from a Google payload to a canonical record, for the sync code and the
``officestream normalize`` CLI: ``normalize("email" | "event" | "contact", payload)``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.google.changes import Deletion, Kind
from connectors.google.exceptions import NormalizationError
from connectors.google.normalize_calendar import normalize_calendar_event
from connectors.google.normalize_gmail import normalize_gmail_message
from connectors.google.normalize_people import normalize_person
from schemas.models import CalendarEvent, Contact, Email

__all__ = [
    "Deletion", "NormalizationError", "normalize", "normalize_calendar_event", "normalize_gmail_message", "normalize_person",
]


def normalize(kind: Kind, payload: Mapping[str, Any]) -> Email | CalendarEvent | Contact | Deletion:
    """A Gmail message (full or raw format), a Calendar event or a People person → its record.
    ``NormalizationError`` says what is wrong with a payload it cannot read."""
    if kind == "email":
        return normalize_gmail_message(payload)
    if kind == "event":
        return normalize_calendar_event(payload)
    if kind == "contact":
        return normalize_person(payload)
    raise NormalizationError(f"unknown kind {kind!r}: expected email, event or contact")
