"""One calendar message through the meetings service: its logic without faust or Kafka.

Each item change is applied to the stored meeting record (``changes.apply_calendar_change``
keeps the version and tombstone rules), the new record is stored, and the change announced:
a ``CalendarUpdateEvent``'s change as a ``MeetingUpdateEvent`` (``meeting.<kind>``) with the
meeting context or tombstone, a ``CalendarBatchEvent`` (backfill, resync) once, as a
``MeetingsSyncedEvent`` (``meeting.synced``) with counts by kind —
50 "meeting created" notifications per batch would bury the user, and every context is in
the meetings table's changelog for whoever needs them all.

Each stored record names the event that stored it and the kind it was announced as
(``context.AppliedChange``), so a redelivery or a replay after a crash of that event announces
it again with the same derived event id (``store_change``); a batch's replay counts those
items again, so its summary comes out again too.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable, MutableMapping, Sequence

from connectors.kafka.topics import MEETINGS
from processors.common.derived import Send, derived_metadata
from processors.common.exceptions import PoisonMessage
from processors.common.items import ItemChange, apply_each
from processors.meetings.changes import apply_calendar_change
from processors.meetings.context import (
    AppliedChange,
    MeetingRecord,
    MeetingTombstone,
    dump_meeting_record,
    load_meeting_record,
    meeting_key,
)
from processors.meetings.exceptions import MeetingsError
from processors.meetings.expiry import TombstoneIndex, drop_expired_tombstones
from schemas.models import (
    CalendarBatchEvent,
    CalendarUpdateEvent,
    ChangeType,
    Event,
    MeetingKindCount,
    MeetingsSyncedEvent,
    MeetingUpdateEvent,
)

log = logging.getLogger("officestream.processors.meetings")


async def handle_calendar_message(
    event: Event, changes: list[ItemChange], *, table: MutableMapping[str, bytes], send: Send,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC), unreadable: Sequence[str] = (),
    tombstones: TombstoneIndex | None = None, tombstone_retention: dt.timedelta | None = None,
) -> None:
    """Apply ``changes`` (the items of ``event``) to ``table`` and announce them through ``send``.
    Items that are poison are skipped and named in the PoisonMessage raised at the end, with the
    ``unreadable`` references of the batch; what was applied is announced all the same. With
    ``tombstones`` and a ``tombstone_retention``, the user's tombstones older than that are
    dropped from ``table`` (``expiry.py``)."""
    batched = isinstance(event, CalendarBatchEvent)
    kinds: Counter[str] = Counter()

    async def apply_one(item: ItemChange) -> None:
        announced = store_change(event, item, table=table, now=now(), tombstones=tombstones)
        if announced is None:
            return
        kind, record = announced
        if batched:
            kinds[kind] += 1
            return
        await send(meeting_update(event, item, kind, record, now()))

    try:
        await apply_each(changes, apply_one, unreadable=unreadable)
    finally:
        if kinds:
            await send(_batch_summary(event, kinds, now()))
        if tombstones is not None and tombstone_retention:
            _drop_expired(table, tombstones, event.metadata.user_id, now(), tombstone_retention)


def store_change(
    event: Event, item: ItemChange, *, table: MutableMapping[str, bytes], now: dt.datetime,
    tombstones: TombstoneIndex | None = None,
) -> tuple[str, MeetingRecord] | None:
    """Apply one item of ``event`` to ``table``: the change kind to announce and the stored
    record, or None when there is nothing to announce (an older or superseded version, or
    a duplicate of a change another event stored).

    A redelivery or replay of the event that stored the current record is announced again, and
    the same bytes written again: the derived event and the state write are separate records,
    and a crash between them must not lose the announcement (processors/common/derived.py)."""
    key = meeting_key(item.user_id, item.doc_id)
    stored = table[key] if key in table else None  # a faust table's ``get`` costs ~6x more on a miss
    existing = load_meeting_record(stored) if stored else None
    cause = str(event.metadata.event_id)
    try:
        change = apply_calendar_change(
            existing, item.user_id, _change_type(event, item), item.record, item.doc_id,  # type: ignore[arg-type]
            event.metadata.occurred_at, event.metadata.sequence,
        )
    except MeetingsError as exc:
        raise PoisonMessage(str(exc)) from exc
    if change is None:
        if stored is None or existing is None or existing.applied is None or existing.applied.event_id != cause:
            return None
        table[key] = stored  # a compacted, idempotent write: the changelog gets it back if lost
        return existing.applied.kind, existing
    if not change.announce:  # a tombstone moved on: it keeps naming the delete that was announced
        applied = existing.applied if existing is not None else None
        record = _as_applied(change.record, applied, now)
    else:
        record = _as_applied(change.record, AppliedChange(event_id=cause, kind=change.kind.value), now)
    table[change.key] = dump_meeting_record(record)
    if tombstones is not None:
        tombstones.note(change.key, record)
    return (change.kind.value, record) if change.announce else None


def meeting_update(event: Event, item: ItemChange, kind: str, record: MeetingRecord, now: dt.datetime) -> MeetingUpdateEvent:
    """The ``meeting-updates`` event announcing ``record``, stored as a ``kind`` change by item
    ``item`` of ``event``: the same id on every emission (processors/common/derived.py)."""
    caused_by = f"{event.metadata.event_id}:{item.doc_id}"
    metadata = derived_metadata(
        event_type="MeetingUpdateEvent", kind=f"meeting.{kind}", cause=event.metadata, caused_by=caused_by,
        source_service=MEETINGS, now=now, user_id=item.user_id,
    )
    carried = {"tombstone": record} if isinstance(record, MeetingTombstone) else {"context": record}
    # Read from the record's attributes: its nested records are already the schemas' own models.
    return MeetingUpdateEvent.model_validate(
        {"metadata": metadata, "kind": kind, "caused_by": caused_by, **carried}, from_attributes=True
    )


def _as_applied(record: MeetingRecord, applied: AppliedChange | None, now: dt.datetime) -> MeetingRecord:
    """``record`` as stored: naming the change that stores it, and a tombstone's age for expiry
    counting from ``now`` (expiry.py)."""
    stored_at = {"stored_at": now} if isinstance(record, MeetingTombstone) else {}
    return record.model_copy(update={"applied": applied, **stored_at})


def _drop_expired(
    table: MutableMapping[str, bytes], tombstones: TombstoneIndex, user_id: str, now: dt.datetime, retention: dt.timedelta
) -> None:
    """Housekeeping must never cost the message: a failure is logged, the message goes on."""
    try:
        drop_expired_tombstones(table, tombstones, user_id, now=now, retention=retention)
    except Exception as exc:  # noqa: BLE001
        log.warning("meetings: expired tombstones not dropped this time: %s: %s", type(exc).__name__, exc)


def _change_type(event: Event, item: ItemChange) -> ChangeType:
    if item.change == "delete":
        return ChangeType.deleted
    return event.change_type if isinstance(event, CalendarUpdateEvent) else ChangeType.updated


def _batch_summary(event: Event, kinds: Counter[str], now: dt.datetime) -> MeetingsSyncedEvent:
    caused_by = str(event.metadata.event_id)
    return MeetingsSyncedEvent(
        metadata=derived_metadata(
            event_type="MeetingsSyncedEvent", kind="meeting.synced", cause=event.metadata, caused_by=caused_by,
            source_service=MEETINGS, now=now,
        ),
        caused_by=caused_by,
        batch_index=getattr(event, "batch_index", None),
        count=sum(kinds.values()),
        kinds=[MeetingKindCount(kind=kind, count=count) for kind, count in sorted(kinds.items())],  # type: ignore[arg-type]
    )
