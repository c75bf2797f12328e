"""meetings: calendar changes into meeting contexts and ``meeting-updates``.

``meeting-updates`` carries one ``MeetingUpdateEvent`` (``created``, ``updated``, ``cancelled``
with the meeting context, ``deleted`` with its tombstone) per change from ``CalendarUpdateEvent``,
and one ``MeetingsSyncedEvent`` (counts by kind) per ``CalendarBatchEvent``
(``processors/meetings/handling.py``): registered Avro, like every other event.

Run with ``faust -A processors.meetings.app worker -l info`` (or ``officestream worker meetings``).
The meeting records themselves carry the version and tombstone rules, so they are this
service's idempotence state: an older change, or a duplicate of a change another event stored,
changes nothing and emits nothing; a redelivery (or a replay after a crash) of the event that
stored the current record announces it again, with the same event id (``handling.store_change``).
The attendee index and busy intervals are functions of these records, computed when read
(``officestream meetings attendees | busy``, ``processors/meetings/state.py``): kept as tables
of their own they would be a second copy of the same facts, and the attendee index alone cost
~4.5 changelog records per calendar event (bench/processors_bench.py).

A deleted meeting's tombstone is dropped once kept for
``OFFICESTREAM_PROCESSOR_MEETINGS_TOMBSTONE_RETENTION_DAYS``, on the user's next calendar message
(``processors/meetings/expiry.py``).
"""

from __future__ import annotations

import datetime as dt
import logging

from connectors.kafka.settings import KafkaSettings
from connectors.kafka.topics import CALENDAR_UPDATES, MEETING_UPDATES, MEETINGS
from processors.common.faust_wiring import (
    attach_agent,
    build_processor,
    create_app,
    create_payload_store,
    json_table,
)
from processors.common.derived_sender import derived_sender
from processors.common.inbound import InboundRecord
from processors.common.items import item_changes
from processors.common.kill_switch import with_kill_switch
from processors.common.settings import ProcessorSettings
from processors.meetings.expiry import TombstoneIndex
from processors.meetings.handling import handle_calendar_message
from processors.meetings.state import MEETINGS_TABLE
from schemas.models import Event

log = logging.getLogger("officestream.processors.meetings")
kafka = KafkaSettings.from_env()
settings = ProcessorSettings.from_env()

app = create_app(MEETINGS, kafka, settings)
meetings = json_table(app, MEETINGS_TABLE, encoded=True)
send_update = with_kill_switch(app, settings, derived_sender(app, kafka.topic(MEETING_UPDATES)))
payloads = create_payload_store(settings)
tombstones = TombstoneIndex()
tombstone_retention = dt.timedelta(days=settings.meetings_tombstone_retention_days) or None


@app.on_partitions_assigned.connect
async def _partitions_changed(app: object, assigned: object, **kwargs: object) -> None:
    tombstones.invalidate()  # the table holds other partitions now: read it again when next used
    log.info("meetings: partitions assigned; the tombstone index is read again on the next message")


async def on_event(event: Event, record: InboundRecord) -> None:
    changes = await item_changes(event, payloads)
    await handle_calendar_message(
        event, changes.items, table=meetings, send=send_update, unreadable=changes.unreadable,
        tombstones=tombstones, tombstone_retention=tombstone_retention,
    )


attach_agent(
    app,
    [kafka.topic(CALENDAR_UPDATES)],
    build_processor(app, MEETINGS, kafka, settings, on_event),
)
