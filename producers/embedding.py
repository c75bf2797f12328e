"""Embed or reference: which records an event carries itself and which go to Redis.

An event whose serialized size would pass ``embed_max_bytes`` carries some records as
``PayloadRef``s instead (a batch: its largest ones first, until it fits), their bytes stored in
Redis under ``payload_key(user, doc type, doc id)`` (``connectors/redis/payload_store.py``).
With ``embed_max_bytes = 0`` every record goes by reference: events then hold only ids and
references, no body or other personal data.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.redis.payload_store import encode_record
from schemas.models import (
    AvroModel,
    CalendarBatchEvent,
    CalendarUpdateEvent,
    ContactBatchEvent,
    ContactUpdateEvent,
    DocType,
    EmailBackfillEvent,
    EmailUpdateEvent,
    Event,
)

#: What a reference adds to an event's Avro body, about (key, ids, sha256, content type, times).
REF_OVERHEAD_BYTES = 320


@dataclass(frozen=True, slots=True)
class UpdateShape:
    """The update event of one doc type: its class, and the fields naming the item."""

    event: type[Event]
    topic: str
    id_field: str
    item_field: str

    @property
    def ref_field(self) -> str:
        return f"{self.item_field}_ref"


@dataclass(frozen=True, slots=True)
class BatchShape:
    """The batch event of one doc type (a backfill page, a resync)."""

    event: type[Event]
    topic: str
    items_field: str

    @property
    def refs_field(self) -> str:
        return f"{self.items_field}_refs"


UPDATES: dict[DocType, UpdateShape] = {
    DocType.email: UpdateShape(EmailUpdateEvent, "email-updates", "email_id", "email"),
    DocType.calendar_event: UpdateShape(CalendarUpdateEvent, "calendar-updates", "calendar_event_id", "calendar_event"),
    DocType.contact: UpdateShape(ContactUpdateEvent, "contact-updates", "contact_id", "contact"),
}
BATCHES: dict[DocType, BatchShape] = {
    DocType.email: BatchShape(EmailBackfillEvent, "email-backfill", "emails"),
    DocType.calendar_event: BatchShape(CalendarBatchEvent, "calendar-updates", "calendar_events"),
    DocType.contact: BatchShape(ContactBatchEvent, "contact-updates", "contacts"),
}


def to_reference(records: list[AvroModel], *, encoded_size: int, limit: int) -> list[int]:
    """Indexes of the records to move to Redis so that an event of ``encoded_size`` bytes
    embedding all of ``records`` fits in ``limit`` (largest first; all of them when ``limit``
    is 0 or cannot be reached)."""
    if limit == 0:
        return list(range(len(records)))
    if encoded_size <= limit:
        return []
    sizes = sorted(((len(encode_record(record)), index) for index, record in enumerate(records)), reverse=True)
    moved: list[int] = []
    estimate = encoded_size
    for size, index in sizes:
        if estimate <= limit:
            break
        moved.append(index)
        estimate += REF_OVERHEAD_BYTES - size
    return moved
