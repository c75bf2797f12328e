"""Errors of the meetings logic, split into retriable and fatal.

The logic is pure, so nothing it raises is worth retrying: every error here means the calendar
change itself can never be applied, and the consumer should dead-letter it with the reason.
``retriable`` is kept so the wiring can treat every package's errors the same way.
"""

from __future__ import annotations


class MeetingsError(Exception):
    """Base of every error raised by ``processors.meetings``."""

    retriable = False

    def __init__(self, message: str, *, event_id: str | None = None) -> None:
        super().__init__(message)
        self.event_id = event_id


class InvalidCalendarChange(MeetingsError):
    """A change that contradicts itself: an upsert without an event, or ids that disagree."""


class InvalidRecurrence(MeetingsError):
    """A series master's RRULE / EXDATE / RDATE lines cannot be expanded."""


class UnknownTimeZone(MeetingsError, ValueError):
    """A caller asked for a view in a time zone that is not an IANA name."""
