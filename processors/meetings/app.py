"""meetings: calendar changes into meeting contexts and ``meeting-updates``.

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
import hashlib
import json

from connectors.kafka.settings import KafkaSettings
from connectors.kafka.topics import CALENDAR_UPDATES, MEETING_UPDATES, MEETINGS
from processors.common.derived import derived_event, encode_derived
from processors.common.exceptions import PoisonMessage
from processors.common.faust_wiring import (
    attach_agent,
    build_processor,
    create_app,
    create_payload_store,
    json_table,
    json_topic,
)
from processors.common.inbound import InboundRecord
from processors.common.items import ItemChange, apply_each, item_changes
from processors.common.settings import ProcessorSettings
from processors.meetings.changes import MeetingChange, apply_calendar_change
from processors.meetings.context import dump_meeting_record, load_meeting_record, meeting_key
from processors.meetings.exceptions import MeetingsError
from processors.meetings.state import MEETINGS_TABLE
from schemas.models import CalendarUpdateEvent, ChangeType, Event

kafka = KafkaSettings.from_env()
settings = ProcessorSettings.from_env()

app = create_app(MEETINGS, kafka, settings)
meetings = json_table(app, MEETINGS_TABLE, encoded=True)
meeting_updates = json_topic(app, kafka.topic(MEETING_UPDATES))
payloads = create_payload_store(settings)


def _change_type(event: Event, item: ItemChange) -> ChangeType:
    if item.change == "delete":
        return ChangeType.deleted
    return event.change_type if isinstance(event, CalendarUpdateEvent) else ChangeType.updated


async def on_event(event: Event, record: InboundRecord) -> None:
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
        if change is not None:
            await _store_and_emit(change, event, item)

    await apply_each(await item_changes(event, payloads), apply_one)


async def _store_and_emit(change: MeetingChange, event: Event, item: ItemChange) -> None:
    # Encoded once (pydantic, in Rust): the table value, the payload and its fingerprint.
    record_json = dump_meeting_record(change.record)
    meetings[change.key] = record_json
    update = derived_event(
        kind=f"meeting.{change.kind.value}",
        user_id=item.user_id,
        payload=json.loads(record_json),
        occurred_at=event.metadata.occurred_at,
        source_service=MEETINGS,
        caused_by=f"{event.metadata.event_id}:{item.doc_id}",
        now=dt.datetime.now(dt.UTC),
        fingerprint=hashlib.sha256(record_json).hexdigest(),
    )
    await meeting_updates.send(key=item.user_id.encode(), value=encode_derived(update))


attach_agent(
    app,
    [kafka.topic(CALENDAR_UPDATES)],
    build_processor(app, MEETINGS, kafka, settings, on_event),
)
