"""Enums and small records shared by emails, calendar events, contacts and events."""

from __future__ import annotations

import secrets
import datetime as dt
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Self

from pydantic import AfterValidator, AwareDatetime, NonNegativeInt, StringConstraints, field_validator, model_validator

from schemas.models.base import AvroModel

NonEmpty = Annotated[str, StringConstraints(min_length=1)]


def _to_utc_millis(value: datetime) -> datetime:
    """Avro's timestamp-millis keeps milliseconds; normalizing here makes round trips exact."""
    if value.tzinfo is UTC and not value.microsecond % 1000:
        return value  # as fastavro decodes every timestamp: nothing to normalize
    value = value.astimezone(UTC)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


#: An aware datetime (naive ones are refused), stored as UTC with millisecond precision.
Timestamp = Annotated[AwareDatetime, AfterValidator(_to_utc_millis)]


class Provider(StrEnum):
    unknown = "unknown"
    microsoft = "microsoft"
    google = "google"


class ChangeType(StrEnum):
    unknown = "unknown"
    created = "created"
    updated = "updated"
    deleted = "deleted"


class DocType(StrEnum):
    unknown = "unknown"
    email = "email"
    calendar_event = "calendar_event"
    contact = "contact"


class AttendeeType(StrEnum):
    unknown = "unknown"
    required = "required"
    optional = "optional"
    resource = "resource"


class ResponseStatus(StrEnum):
    unknown = "unknown"
    none = "none"
    organizer = "organizer"
    accepted = "accepted"
    tentative = "tentative"
    declined = "declined"


class EventStatus(StrEnum):
    unknown = "unknown"
    confirmed = "confirmed"
    tentative = "tentative"
    cancelled = "cancelled"


class EventKind(StrEnum):
    unknown = "unknown"
    single = "single"
    series_master = "series_master"
    occurrence = "occurrence"
    exception = "exception"


class BackfillStatus(StrEnum):
    unknown = "unknown"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


class EventMetadata(AvroModel):
    event_id: uuid.UUID
    event_type: NonEmpty
    occurred_at: Timestamp
    produced_at: Timestamp
    trace_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
    span_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{16}$")]
    correlation_id: str | None = None
    user_id: NonEmpty
    provider: Provider = Provider.unknown
    source_service: NonEmpty
    source_version: NonEmpty
    sequence: NonNegativeInt | None = None

    @field_validator("trace_id", "span_id")
    @classmethod
    def _not_all_zero(cls, value: str) -> str:
        if not value.strip("0"):
            raise ValueError("an all-zero W3C trace or span id is invalid")
        return value

    @classmethod
    def create(
        cls,
        *,
        event_type: str,
        user_id: str,
        provider: Provider,
        source_service: str,
        source_version: str,
        occurred_at: datetime,
        now: datetime | None = None,
        correlation_id: str | None = None,
        trace_id: str | None = None,
        sequence: int | None = None,
        event_id: uuid.UUID | None = None,
        span_id: str | None = None,
    ) -> Self:
        """New metadata with a fresh event id and span; ``trace_id`` continues a trace when given.
        ``event_id`` and ``span_id`` are for producers that draw their random ids in bulk."""
        return cls(
            event_id=event_id or uuid.uuid4(),
            event_type=event_type,
            occurred_at=occurred_at,
            produced_at=now or datetime.now(UTC),
            trace_id=trace_id or secrets.token_hex(16),
            span_id=span_id or secrets.token_hex(8),
            correlation_id=correlation_id,
            user_id=user_id,
            provider=provider,
            source_service=source_service,
            source_version=source_version,
            sequence=sequence,
        )

    def traceparent(self) -> str:
        """The W3C ``traceparent`` header value that travels beside the event in Kafka."""
        return f"00-{self.trace_id}-{self.span_id}-01"


class Address(AvroModel):
    email: NonEmpty
    name: str | None = None


class Attachment(AvroModel):
    attachment_id: NonEmpty
    filename: str | None = None
    content_type: str | None = None
    size_bytes: NonNegativeInt = 0
    is_inline: bool = False
    content_id: str | None = None


class PayloadRef(AvroModel):
    key: NonEmpty
    doc_type: DocType = DocType.unknown
    doc_id: NonEmpty
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    size_bytes: NonNegativeInt
    content_type: NonEmpty
    expires_at: Timestamp | None = None


class EventTime(AvroModel):
    at: Timestamp | None = None
    time_zone: str | None = None
    date: dt.date | None = None

    @model_validator(mode="after")
    def _instant_or_date(self) -> Self:
        if (self.at is None) == (self.date is None):
            raise ValueError("an EventTime has either an instant ('at') or an all-day 'date', not both or neither")
        return self


class ContactEmail(AvroModel):
    address: NonEmpty
    label: str | None = None
    is_primary: bool = False


class ContactPhone(AvroModel):
    number: NonEmpty
    label: str | None = None

