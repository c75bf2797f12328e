"""Update and batch events, flattened into per-item changes that services apply one by one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from connectors.redis.exceptions import PayloadUnusable
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
    #: ``metadata.occurred_at`` of the event, epoch millis.
    occurred_at_ms: int
    event_id: str
    version_marker: str | None
    #: The provider's change time of the item (``record.updated_at``), epoch millis, if known.
    changed_at_ms: int | None = None
    #: ``metadata.sequence`` of the event. With the others, the version order of
    #: ``processors.common.versions``.
    sequence: int | None = None

    @property
    def key(self) -> str:
        """``{user_id}:{doc_type}:{doc_id}``: the idempotence key."""
        return f"{self.user_id}:{self.doc_type.value}:{self.doc_id}"


#: The single-update events: the doc type, the field naming the item and the field embedding its record.
SINGLE_UPDATES: dict[type, tuple[DocType, str, str]] = {
    EmailUpdateEvent: (DocType.email, "email_id", "email"),
    CalendarUpdateEvent: (DocType.calendar_event, "calendar_event_id", "calendar_event"),
    ContactUpdateEvent: (DocType.contact, "contact_id", "contact"),
}
_BATCHES = {
    EmailBackfillEvent: (DocType.email, "emails"),
    CalendarBatchEvent: (DocType.calendar_event, "calendar_events"),
    ContactBatchEvent: (DocType.contact, "contacts"),
}


@dataclass(frozen=True)
class Changes:
    """The item changes of one message, and the referenced items that could not be read."""

    items: list[ItemChange]
    #: ``"<doc_id> (<payload key>): <why>"`` per reference of a batch whose payload is missing
    #: or corrupt, or that this event may not use (another user's key, another doc type, over
    #: the size limit): poison, retrying cannot bring it back. The other items still apply; the
    #: message is then dead-lettered naming these, and a replay once they are readable is
    #: harmless (idempotent).
    unreadable: list[str] = field(default_factory=list)


async def item_changes(event: Event, payloads: PayloadStore) -> Changes:
    """The items an event changes, referenced records fetched and verified. Other events
    (lifecycle, progress) change no item. A reference must be the event's own: its user's key
    for the event's doc type (and, in a single update, the document it names). A single update
    whose referenced record cannot be used raises (nothing else in it could apply); a batch
    reports such references in ``unreadable`` and keeps its other items. Every other store
    error raises: unavailable (retried), misconfigured (the worker stops), unexpected."""
    if type(event) in SINGLE_UPDATES:
        doc_type, id_field, item_field = SINGLE_UPDATES[type(event)]
        source = _Source.of(event)
        if event.change_type is ChangeType.deleted:  # type: ignore[attr-defined]
            return Changes([source.change(doc_type, getattr(event, id_field), "delete", None)])
        doc_id = getattr(event, id_field)
        record = getattr(event, item_field) or await payloads.get(
            getattr(event, f"{item_field}_ref"), user_id=source.user_id, doc_type=doc_type, doc_id=doc_id
        )
        return Changes([source.change(doc_type, doc_id, "upsert", record)])
    if type(event) in _BATCHES:
        doc_type, items_field = _BATCHES[type(event)]
        source = _Source.of(event)
        records = list(getattr(event, items_field))
        unreadable: list[str] = []
        ref: PayloadRef
        for ref in getattr(event, f"{items_field}_refs"):
            try:
                records.append(await payloads.get(ref, user_id=source.user_id, doc_type=doc_type))
            except PayloadUnusable as exc:  # missing, corrupt, or refused: never usable
                unreadable.append(f"{ref.doc_id} ({ref.key}): {exc}")
        return Changes([source.change(doc_type, record.id, "upsert", record) for record in records], unreadable)  # type: ignore[attr-defined]
    return Changes([])


@dataclass(frozen=True, slots=True)
class _Source:
    """What every item of one event shares, worked out once per event (a batch has 50 items)."""

    user_id: str
    occurred_at_ms: int
    event_id: str
    sequence: int | None

    @classmethod
    def of(cls, event: Event) -> _Source:
        metadata = event.metadata
        return cls(metadata.user_id, millis(metadata.occurred_at), str(metadata.event_id), metadata.sequence)

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
            changed_at_ms=_changed_at_ms(record),
            sequence=self.sequence,
        )


def millis(at: dt.datetime) -> int:
    """Epoch milliseconds of ``at``: the unit of the version order (``versions.py``)."""
    return int(at.timestamp() * 1000)


def _changed_at_ms(record: AvroModel | None) -> int | None:
    updated_at = getattr(record, "updated_at", None) if record is not None else None
    return millis(updated_at) if updated_at is not None else None


async def apply_each(
    items: list[ItemChange], apply_one: Callable[[ItemChange], Awaitable[None]], *, unreadable: Sequence[str] = ()
) -> None:
    """Apply every item; items that are poison are skipped so the others still take effect, then
    the message is dead-lettered naming them and the ``unreadable`` references of its batch (a
    replay after a fix is harmless: idempotent)."""
    failed: list[str] = []
    for item in items:
        try:
            await apply_one(item)
        except PoisonMessage as exc:
            failed.append(f"{item.doc_id}: {exc}")
    problem = not_applied(failed, len(items), "items refused", unreadable)
    if problem is not None:
        raise problem


def not_applied(failed: Sequence[str], tried: int, what: str, unreadable: Sequence[str]) -> PoisonMessage | None:
    """The dead-letter reason of a message some of whose items did not apply, or None."""
    parts = []
    if failed:
        parts.append(f"{len(failed)} of {tried} {what}: " + "; ".join(failed))
    if unreadable:
        parts.append(f"{len(unreadable)} referenced items unreadable: " + "; ".join(unreadable))
    return PoisonMessage("; ".join(parts)) if parts else None
