"""The canonical Office records: Email, CalendarEvent (with Attendee) and Contact."""

from __future__ import annotations

from typing import Self

from pydantic import model_validator

from schemas.models.base import AvroModel
from schemas.models.common import (
    Address,
    Attachment,
    AttendeeType,
    ContactEmail,
    ContactPhone,
    EventKind,
    EventStatus,
    EventTime,
    NonEmpty,
    Timestamp,
    Provider,
    ResponseStatus,
)


class Email(AvroModel):
    id: NonEmpty
    provider: Provider = Provider.unknown
    thread_id: str | None = None
    folder: str | None = None
    labels: list[str] = []
    from_address: Address | None = None
    reply_to: list[Address] = []
    to: list[Address] = []
    cc: list[Address] = []
    bcc: list[Address] = []
    subject: str | None = None
    sent_at: Timestamp | None = None
    received_at: Timestamp | None = None
    snippet: str | None = None
    body_text: str | None = None
    body_html: str | None = None
    attachments: list[Attachment] = []
    is_read: bool = False
    internet_message_id: str | None = None
    in_reply_to: str | None = None
    references: list[str] = []
    version_marker: str | None = None
    updated_at: Timestamp | None = None
    has_attachments: bool | None = None


class Attendee(AvroModel):
    address: Address
    type: AttendeeType = AttendeeType.unknown
    response: ResponseStatus = ResponseStatus.unknown


class CalendarEvent(AvroModel):
    id: NonEmpty
    provider: Provider = Provider.unknown
    ical_uid: str | None = None
    calendar_id: str | None = None
    title: str | None = None
    body: str | None = None
    location: str | None = None
    start: EventTime
    end: EventTime
    is_all_day: bool = False
    kind: EventKind = EventKind.unknown
    recurrence: list[str] = []
    series_master_id: str | None = None
    original_start: EventTime | None = None
    status: EventStatus = EventStatus.unknown
    organizer: Address | None = None
    attendees: list[Attendee] = []
    online_meeting_url: str | None = None
    updated_at: Timestamp | None = None
    version_marker: str | None = None

    @model_validator(mode="after")
    def _all_day_uses_dates(self) -> Self:
        uses_dates = self.start.date is not None and self.end.date is not None
        if self.is_all_day != uses_dates:
            raise ValueError("is_all_day must be true exactly when start and end are dates")
        if self.kind in (EventKind.occurrence, EventKind.exception) and not self.series_master_id:
            raise ValueError(f"a {self.kind.value} needs series_master_id")
        return self


class Contact(AvroModel):
    id: NonEmpty
    provider: Provider = Provider.unknown
    display_name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    emails: list[ContactEmail] = []
    phones: list[ContactPhone] = []
    organization: str | None = None
    job_title: str | None = None
    version_marker: str | None = None
    updated_at: Timestamp | None = None
