"""Update and batch events, flattened into per-item changes that services apply one by one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from connectors.redis.payload_store import PayloadStore
from processors.common.exceptions import PoisonMessage
from schemas.models import (
    AvroModel,
    CalendarBatchEvent,
    CalendarUpdateEvent,
    ChangeType,
    ContactBatchEvent,
    ContactUpdateEvent,
    DocType,
    EmailBackfillEvent,
    EmailUpdateEvent,
    Event,
    PayloadRef,
)

Change = Literal["upsert", "delete"]


@dataclass(frozen=True)
class ItemChange:
    """One document to upsert (with its record) or delete (id only)."""

    user_id: str
    doc_type: DocType
    doc_id: str
    change: Change
    record: AvroModel | None
    #: The provider change time of the event (the ordering clock, epoch millis).
    occurred_at_ms: int
    event_id: str
    version_marker: str | None

    @property
    def key(self) -> str:
        """``{user_id}:{doc_type}:{doc_id}``: the idempotence key."""
        return f"{self.user_id}:{self.doc_type.value}:{self.doc_id}"


_UPDATES = {
    EmailUpdateEvent: (DocType.email, "email_id", "email"),
    CalendarUpdateEvent: (DocType.calendar_event, "calendar_event_id", "calendar_event"),
    ContactUpdateEvent: (DocType.contact, "contact_id", "contact"),
}
_BATCHES = {
    EmailBackfillEvent: (DocType.email, "emails"),
    CalendarBatchEvent: (DocType.calendar_event, "calendar_events"),
    ContactBatchEvent: (DocType.contact, "contacts"),
}


async def item_changes(event: Event, payloads: PayloadStore) -> list[ItemChange]:
    """The items an event changes, referenced records fetched and verified. Other events
    (lifecycle, progress) change no item: empty list."""
    if type(event) in _UPDATES:
        doc_type, id_field, item_field = _UPDATES[type(event)]
        source = _Source.of(event)
        if event.change_type is ChangeType.deleted:  # type: ignore[attr-defined]
            return [source.change(doc_type, getattr(event, id_field), "delete", None)]
        record = getattr(event, item_field) or await payloads.get(getattr(event, f"{item_field}_ref"))
        return [source.change(doc_type, getattr(event, id_field), "upsert", record)]
    if type(event) in _BATCHES:
        doc_type, items_field = _BATCHES[type(event)]
        source = _Source.of(event)
        embedded = list(getattr(event, items_field))
        refs: list[PayloadRef] = getattr(event, f"{items_field}_refs")
        fetched = [await payloads.get(ref) for ref in refs]
        return [source.change(doc_type, record.id, "upsert", record) for record in embedded + fetched]  # type: ignore[attr-defined]
    return []


@dataclass(frozen=True, slots=True)
class _Source:
    """What every item of one event shares, worked out once per event (a batch has 50 items)."""

    user_id: str
    occurred_at_ms: int
    event_id: str

    @classmethod
    def of(cls, event: Event) -> _Source:
        metadata = event.metadata
        return cls(metadata.user_id, int(metadata.occurred_at.timestamp() * 1000), str(metadata.event_id))

    def change(self, doc_type: DocType, doc_id: str, change: Change, record: AvroModel | None) -> ItemChange:
        return ItemChange(
            user_id=self.user_id,
            doc_type=doc_type,
            doc_id=doc_id,
            change=change,
            record=record,
            occurred_at_ms=self.occurred_at_ms,
            event_id=self.event_id,
            version_marker=getattr(record, "version_marker", None) if record is not None else None,
        )


async def apply_each(items: list[ItemChange], apply_one: Callable[[ItemChange], Awaitable[None]]) -> None:
    """Apply every item; items that are poison are skipped so the others still take effect, then
    the message is dead-lettered naming them (a replay after a fix is harmless: idempotent)."""
    failed: list[str] = []
    for item in items:
        try:
            await apply_one(item)
        except PoisonMessage as exc:
            failed.append(f"{item.doc_id}: {exc}")
    if failed:
        raise PoisonMessage(f"{len(failed)} of {len(items)} items refused: " + "; ".join(failed))
