"""meetings: calendar changes into meeting contexts and ``meeting-updates``.

``meeting-updates`` carries one ``meeting.<created|updated|cancelled|deleted>`` event (payload:
the meeting context) per change from ``CalendarUpdateEvent``, and one ``meeting.synced`` event
(payload: counts by kind) per ``CalendarBatchEvent``.

Run with ``faust -A processors.meetings.app worker -l info`` (or ``officestream worker meetings``).
The meeting records themselves carry the version and tombstone rules, so they are this
service's idempotence state: a redelivered or older change returns no change and emits nothing.
The attendee index and busy intervals are functions of these records, computed when read
(``officestream meetings attendees | busy``, ``processors/meetings/state.py``): kept as tables
of their own they would be a second copy of the same facts, and the attendee index alone cost
~4.5 changelog records per calendar event (bench/processors_bench.py).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from connectors.kafka.settings import KafkaSettings
from connectors.kafka.topics import CALENDAR_UPDATES, MEETING_UPDATES, MEETINGS
from processors.common.derived import derived_event, encode_derived, encode_derived_with_payload
from processors.common.exceptions import PoisonMessage
from processors.common.faust_wiring import (
    attach_agent,
    build_processor,
    create_app,
    create_payload_store,
    derived_sender,
    json_table,
)
from processors.common.inbound import InboundRecord
from processors.common.items import ItemChange, apply_each, item_changes
from processors.common.settings import ProcessorSettings
from processors.meetings.changes import apply_calendar_change
from processors.meetings.context import dump_meeting_record, load_meeting_record, meeting_key
from processors.meetings.exceptions import MeetingsError
from processors.meetings.state import MEETINGS_TABLE
from schemas.models import CalendarBatchEvent, CalendarUpdateEvent, ChangeType, Event

kafka = KafkaSettings.from_env()
settings = ProcessorSettings.from_env()

app = create_app(MEETINGS, kafka, settings)
meetings = json_table(app, MEETINGS_TABLE, encoded=True)
send_update = derived_sender(app, kafka.topic(MEETING_UPDATES))
payloads = create_payload_store(settings)


def _change_type(event: Event, item: ItemChange) -> ChangeType:
    if item.change == "delete":
        return ChangeType.deleted
    return event.change_type if isinstance(event, CalendarUpdateEvent) else ChangeType.updated


async def on_event(event: Event, record: InboundRecord) -> None:
    # One calendar change is announced on its own; a batch (backfill, resync) is announced once,
    # as counts: 50 "meeting created" notifications per batch would bury the user, and every
    # context is in the meetings table's changelog for whoever needs them all.
    batched = isinstance(event, CalendarBatchEvent)
    kinds: Counter[str] = Counter()

    async def apply_one(item: ItemChange) -> None:
        key = meeting_key(item.user_id, item.doc_id)
        stored = meetings.get(key)
        try:
            change = apply_calendar_change(
                load_meeting_record(stored) if stored else None,
                item.user_id, _change_type(event, item), item.record, item.doc_id,  # type: ignore[arg-type]
                event.metadata.occurred_at,
            )
        except MeetingsError as exc:
            raise PoisonMessage(str(exc)) from exc
        if change is None:
            return
        # Encoded once (pydantic, in Rust): the table value and the update's payload.
        record_json = dump_meeting_record(change.record)
        meetings[change.key] = record_json
        if batched:
            kinds[change.kind.value] += 1
            return
        await send_update(item.user_id.encode(), encode_derived_with_payload(
            kind=f"meeting.{change.kind.value}", user_id=item.user_id, payload_json=record_json,
            occurred_at=event.metadata.occurred_at, source_service=MEETINGS,
            caused_by=f"{event.metadata.event_id}:{item.doc_id}", now=dt.datetime.now(dt.UTC),
        ))

    try:
        await apply_each(await item_changes(event, payloads), apply_one)
    finally:
        if kinds:  # what was applied is announced even when other items of the batch failed
            await send_update(event.metadata.user_id.encode(), _batch_summary(event, kinds))


def _batch_summary(event: Event, kinds: Counter[str]) -> bytes:
    summary = {"batch_index": getattr(event, "batch_index", None), "count": sum(kinds.values()), "kinds": dict(sorted(kinds.items()))}
    return encode_derived(derived_event(
        kind="meeting.synced", user_id=event.metadata.user_id, payload=summary, occurred_at=event.metadata.occurred_at,
        source_service=MEETINGS, caused_by=str(event.metadata.event_id), now=dt.datetime.now(dt.UTC),
    ))


attach_agent(
    app,
    [kafka.topic(CALENDAR_UPDATES)],
    build_processor(app, MEETINGS, kafka, settings, on_event),
)
