"""A calendar message that comes again (redelivered, or replayed after the worker died between
its state write and its ``meeting-updates`` event) announces again what it announced, with the
same event id, and writes the same state again; older, superseded and other events' duplicates
announce nothing. A dict stands for the table, a list for the topic."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from processors.common.items import ItemChange
from processors.meetings.handling import handle_calendar_message
from processors.meetings.context import load_meeting_record
from schemas.models import CalendarBatchEvent, CalendarEvent, CalendarUpdateEvent, ChangeType, DocType, Event
from tests import factories
from tests.unit.doubles import Crash, RecordingTable, per_emission_removed, through_avro
from tests.unit.meetings.samples import BERLIN, T0, USER, local, meeting

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(hours=1)


def change(event: CalendarUpdateEvent | CalendarBatchEvent, record: CalendarEvent | None, doc_id: str | None = None) -> ItemChange:
    return ItemChange(
        user_id=USER, doc_type=DocType.calendar_event, doc_id=record.id if record else doc_id, change="upsert" if record else "delete",
        record=record, occurred_at_ms=int(event.metadata.occurred_at.timestamp() * 1000),
        event_id=str(event.metadata.event_id), version_marker=record.version_marker if record else None,
    )


def single(record: CalendarEvent, *, at: dt.datetime = T0, change_type: ChangeType = ChangeType.created) -> CalendarUpdateEvent:
    return CalendarUpdateEvent(
        metadata=factories.metadata("CalendarUpdateEvent", user_id=USER, occurred_at=at),
        change_type=change_type, calendar_event_id=record.id, calendar_event=record,
    )


def deletion(doc_id: str, *, at: dt.datetime) -> CalendarUpdateEvent:
    return CalendarUpdateEvent(
        metadata=factories.metadata("CalendarUpdateEvent", user_id=USER, occurred_at=at),
        change_type=ChangeType.deleted, calendar_event_id=doc_id, calendar_event=None,
    )


def items_of(event: CalendarUpdateEvent | CalendarBatchEvent) -> list[ItemChange]:
    if isinstance(event, CalendarBatchEvent):
        return [change(event, record) for record in event.calendar_events]
    return [change(event, event.calendar_event, event.calendar_event_id)]


async def run(event: Any, table: RecordingTable, *, now: dt.datetime = NOW, crash: bool = False) -> list[Any]:
    """The ``meeting-updates`` events of one pass (each through its Avro schema); with
    ``crash``, the pass dies at its first send."""
    sent: list[Any] = []

    async def send(update: Event) -> None:
        if crash:
            raise Crash
        assert update.metadata.user_id == USER
        sent.append(through_avro(update))

    if crash:
        with pytest.raises(Crash):
            await handle_calendar_message(event, items_of(event), table=table, send=send, now=lambda: now)
    else:
        await handle_calendar_message(event, items_of(event), table=table, send=send, now=lambda: now)
    return sent


def without_produced_at(update: Event) -> dict:
    return per_emission_removed(update)


def standup(marker: str | None = "ck-1", title: str = "Standup") -> CalendarEvent:
    return meeting("standup", local(BERLIN, 2026, 11, 30, 9), title=title, version_marker=marker)


async def test_a_crash_between_the_state_write_and_the_event_is_announced_once_on_replay():
    event = single(standup())
    table = RecordingTable()
    assert await run(event, table, crash=True) == []
    assert f"{USER}:standup" in table  # the state write happened, its event did not

    [replayed] = await run(event, table, now=LATER)
    [uncrashed] = await run(event, RecordingTable())
    assert without_produced_at(replayed) == without_produced_at(uncrashed)  # same id, kind, payload
    assert replayed.kind.value == "created" and replayed.metadata.produced_at != uncrashed.metadata.produced_at


async def test_a_redelivery_announces_again_with_the_same_id_and_rewrites_the_same_bytes():
    event = single(standup())
    table = RecordingTable()
    [first] = await run(event, table)
    stored = table[f"{USER}:standup"]
    [again] = await run(event, table, now=LATER)
    assert without_produced_at(again) == without_produced_at(first)
    # Written again as it was: a RocksDB store ahead of its changelog gets the record back.
    assert table.writes == [(f"{USER}:standup", stored), (f"{USER}:standup", stored)]


async def test_a_replayed_delete_announces_the_tombstone_it_stored_not_a_new_one():
    table = RecordingTable()
    await run(single(standup()), table)
    delete = deletion("standup", at=T0 + dt.timedelta(minutes=5))
    [first] = await run(delete, table, now=NOW)
    [again] = await run(delete, table, now=LATER)  # a new tombstone would say stored_at=LATER
    assert first.kind.value == again.kind.value == "deleted"
    assert without_produced_at(again) == without_produced_at(first)
    assert again.tombstone.stored_at == NOW and again.context is None


async def test_the_same_deletion_found_again_by_a_later_sync_is_not_announced_twice():
    # The bridge killed after publishing a deletion and before storing its cursor finds it again:
    # a new event, later. The tombstone moves on, still naming the announced delete, silently.
    table = RecordingTable()
    await run(single(standup()), table)
    first_delete = deletion("standup", at=T0 + dt.timedelta(minutes=5))
    [first] = await run(first_delete, table, now=NOW)
    found_again = deletion("standup", at=T0 + dt.timedelta(minutes=7))
    assert await run(found_again, table, now=LATER) == []
    stored = load_meeting_record(table[f"{USER}:standup"])
    assert stored.deleted_at == T0 + dt.timedelta(minutes=7) and stored.stored_at == LATER
    assert stored.applied.event_id == str(first_delete.metadata.event_id)
    assert await run(found_again, table) == []  # nor its redelivery
    [replayed] = await run(first_delete, table)  # the announced delete, replayed: the same event again
    assert replayed.metadata.event_id == first.metadata.event_id


async def test_older_superseded_and_other_events_duplicates_announce_nothing():
    table = RecordingTable()
    v1 = single(standup("ck-1"), at=T0)
    v2 = single(standup("ck-2", title="Standup moved"), at=T0 + dt.timedelta(minutes=1), change_type=ChangeType.updated)
    await run(v1, table)
    [updated] = await run(v2, table)
    writes = len(table.writes)
    assert await run(v1, table) == []  # superseded by v2: v2's event carries the state
    assert await run(single(standup("ck-2", title="Standup moved"), at=T0 + dt.timedelta(minutes=1)), table) == []  # same version, another event
    assert await run(single(standup("ck-0"), at=T0 - dt.timedelta(minutes=1)), table) == []  # older
    assert len(table.writes) == writes  # and nothing written
    [again] = await run(v2, table)
    assert again.metadata.event_id == updated.metadata.event_id and again.kind.value == "updated"


async def test_the_same_content_from_another_event_without_a_version_marker_is_still_a_duplicate():
    table = RecordingTable()
    await run(single(standup(marker=None)), table)
    assert await run(single(standup(marker=None)), table) == []


async def test_a_replayed_batch_announces_its_summary_again_with_the_same_id():
    records = [meeting(f"m{i}", local(BERLIN, 2026, 12, 1, 9 + i), title=f"M{i}") for i in range(3)]
    batch = CalendarBatchEvent(metadata=factories.metadata("CalendarBatchEvent", user_id=USER, occurred_at=T0),
                               batch_index=2, calendar_events=records)
    table = RecordingTable()
    assert await run(batch, table, crash=True) == []  # all three stored, the summary lost
    [replayed] = await run(batch, table, now=LATER)
    [uncrashed] = await run(batch, RecordingTable())
    assert without_produced_at(replayed) == without_produced_at(uncrashed)
    assert (replayed.batch_index, replayed.count, [(k.kind.value, k.count) for k in replayed.kinds]) == (2, 3, [("created", 3)])
    # One item changed since by another event: the summary counts what is still the batch's own,
    # under the same id, which a reader that saw the first summary drops.
    await run(single(meeting("m0", local(BERLIN, 2026, 12, 1, 10), title="M0 moved"), at=T0 + dt.timedelta(minutes=1)), table)
    [later] = await run(batch, table)
    assert later.metadata.event_id == replayed.metadata.event_id and later.count == 2


async def test_a_record_stored_before_records_named_their_event_is_not_announced_again():
    event = single(standup())
    table = RecordingTable()
    await run(event, table)
    legacy = json.loads(table[f"{USER}:standup"])
    del legacy["applied"]
    table[f"{USER}:standup"] = json.dumps(legacy).encode()
    assert await run(event, table) == []
