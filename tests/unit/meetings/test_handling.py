"""One calendar message through the meetings logic, with a dict for the table and a list for
``meeting-updates``: single changes are announced with their context, a batch once with counts,
a bad item does not stop the others. Redeliveries and replays after a crash: see
test_reannouncing.py."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from processors.common.derived import derived_event_id
from processors.common.exceptions import PoisonMessage
from processors.common.items import ItemChange
from processors.meetings.context import load_meeting_record
from processors.meetings.handling import handle_calendar_message
from schemas.models import CalendarBatchEvent, CalendarUpdateEvent, ChangeType, DocType, EventKind
from tests import factories
from tests.unit.doubles import through_avro
from tests.unit.meetings.samples import BERLIN, T0, USER, local, meeting

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)


def _items(event, records) -> list[ItemChange]:
    return [
        ItemChange(user_id=USER, doc_type=DocType.calendar_event, doc_id=r.id, change="upsert", record=r,
                   occurred_at_ms=int(event.metadata.occurred_at.timestamp() * 1000),
                   event_id=str(event.metadata.event_id), version_marker=r.version_marker)
        for r in records
    ]


async def _run(event, records, table, sent):
    async def send(update) -> None:
        sent.append(through_avro(update))

    await handle_calendar_message(event, _items(event, records), table=table, send=send, now=lambda: NOW)


async def test_a_single_change_is_stored_and_announced_with_its_context_once():
    standup = meeting("standup", local(BERLIN, 2026, 11, 30, 9), title="Standup", version_marker="ck-1")
    event = CalendarUpdateEvent(metadata=factories.metadata("CalendarUpdateEvent", user_id=USER, occurred_at=T0),
                                change_type=ChangeType.created, calendar_event_id="standup", calendar_event=standup)
    table: dict[str, bytes] = {}
    sent: list = []
    await _run(event, [standup], table, sent)

    assert load_meeting_record(table[f"{USER}:standup"]).title == "Standup"
    [update] = sent
    assert update.metadata.user_id == USER and update.tombstone is None
    assert (update.kind.value, update.context.title, update.context.event_id) == ("created", "Standup", "standup")
    assert update.context.applied.model_dump() == {"event_id": str(event.metadata.event_id), "kind": "created"}
    # Nothing of the stored record is lost to the schema: the event's context is the table's JSON.
    assert {"record_type": "meeting", **update.context.model_dump(mode="json")} == json.loads(table[f"{USER}:standup"])
    cause = f"{event.metadata.event_id}:standup"
    assert (update.caused_by, update.metadata.event_id) == (cause, derived_event_id("meetings", USER, "meeting.created", cause))
    assert (update.metadata.occurred_at, update.metadata.trace_id) == (T0, event.metadata.trace_id)


async def test_a_batch_is_announced_once_with_counts_and_a_bad_item_spares_the_others():
    good = [meeting(f"m{i}", local(BERLIN, 2026, 12, 1, 9 + i), title=f"M{i}", kind=EventKind.single) for i in range(3)]
    # A series whose rule cannot be expanded: the meetings rules refuse it.
    bad = meeting("broken", local(BERLIN, 2026, 12, 1, 15), kind=EventKind.series_master, recurrence=["RRULE:FREQ=SOMETIMES"])
    event = CalendarBatchEvent(metadata=factories.metadata("CalendarBatchEvent", user_id=USER, occurred_at=T0),
                               batch_index=4, calendar_events=[*good[:2], bad, good[2]])
    table: dict[str, bytes] = {}
    sent: list = []
    with pytest.raises(PoisonMessage, match="broken"):
        await _run(event, event.calendar_events, table, sent)

    assert sorted(table) == [f"{USER}:m0", f"{USER}:m1", f"{USER}:m2"]
    [summary] = sent
    assert (summary.batch_index, summary.count, [(k.kind.value, k.count) for k in summary.kinds]) == (4, 3, [("created", 3)])
    cause = str(event.metadata.event_id)
    assert (summary.caused_by, summary.metadata.event_id) == (cause, derived_event_id("meetings", USER, "meeting.synced", cause))


async def test_a_batch_with_unreadable_references_applies_and_announces_the_rest_then_fails():
    good = [meeting(f"r{i}", local(BERLIN, 2026, 12, 2, 9 + i), title=f"R{i}", kind=EventKind.single) for i in range(2)]
    event = CalendarBatchEvent(metadata=factories.metadata("CalendarBatchEvent", user_id=USER, occurred_at=T0),
                               batch_index=1, calendar_events=good)
    table: dict[str, bytes] = {}
    sent: list = []

    async def send(update) -> None:
        sent.append(through_avro(update))

    with pytest.raises(PoisonMessage, match=r"^1 referenced items unreadable: r9 \(office:k\): payload missing$"):
        await handle_calendar_message(event, _items(event, good), table=table, send=send, now=lambda: NOW,
                                      unreadable=["r9 (office:k): payload missing"])
    assert sorted(table) == [f"{USER}:r0", f"{USER}:r1"]
    [summary] = sent
    assert summary.count == 2
