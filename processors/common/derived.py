"""Derived events (``meeting-updates``, ``shipment-updates``): registered Avro events, like every
other officestream event.

The services announce what they derived as ``MeetingUpdateEvent`` / ``MeetingsSyncedEvent``
and ``ShipmentUpdateEvent`` (``schemas/avro/``), written in the Confluent wire format by the
schemas serde (``derived_sender.py``), so a consumer in any language reads them with
the registry alone. Their ``metadata`` is built here from the event that caused them: its
``occurred_at`` (unless the service dates the change itself), ``correlation_id``, provider and
trace (with a span of its own).

Crash safety: a derived event and the state write it announces (a table's changelog record, the
idempotence ledger) are separate records on separate partitions, so a worker that dies between
them, or whose derived send fails, can leave the state on the broker without its event. The
replayed message then finds its effect already applied. The services therefore **re-emit**: a
replayed or redelivered message whose effect is still the stored state (the record names the
event that stored it) announces it again, and writes the same state bytes again (an idempotent
write to a compacted topic, which gives a RocksDB store that ran ahead of its changelog its
changelog record back). A superseded effect (a later change is stored) is not re-announced:
that later change's own announcement, or its replay, carries the current state.

Why not Kafka transactions: the workers write through their own librdkafka producer
(``faust_transport.py``), which faust's transactions (aiokafka, one transactional producer per
partition) would bypass, at the throughput cost that producer was built to remove; and every
reader (the notifier, the CLI's changelog readers, whatever else subscribes) would have to read
with ``isolation.level=read_committed`` or see aborted events. Re-emission asks readers only for
what at-least-once delivery already asks of them: drop an event id they have seen.

That works because ids depend on the cause alone: ``uuid5`` of the service, the user, the kind
(``meeting.created``, ``shipment.delivered``...) and ``caused_by`` (the source event id and the
item), never on ``produced_at`` or the payload, which a re-emission rebuilds from
stored state at another time. One cause makes one event of a kind; callers name causes
precisely enough for that.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Awaitable, Callable
from importlib import metadata as distribution

from schemas.models import Event, EventMetadata

#: ``send(event)``: announce one derived event (``derived_sender.derived_sender``: encoded with
#: the serde, keyed by ``metadata.user_id``).
Send = Callable[[Event], Awaitable[None]]


def _source_version() -> str:
    try:
        return distribution.version("officestream")
    except distribution.PackageNotFoundError:  # run from a source tree that is not installed
        return "0+unknown"


#: ``metadata.source_version`` of the services' derived events: the installed officestream.
SOURCE_VERSION = _source_version()


def derived_metadata(
    *, event_type: str, kind: str, cause: EventMetadata, caused_by: str, source_service: str, now: dt.datetime,
    user_id: str | None = None, occurred_at: dt.datetime | None = None,
) -> EventMetadata:
    """The metadata of the ``kind`` event (``meeting.created``...) of type ``event_type`` that
    ``source_service`` derives from the event whose metadata is ``cause``, for the item named
    by ``caused_by``: its id follows from that cause alone (module docstring); the user,
    ``occurred_at``, correlation id, provider and trace are the cause's unless given."""
    user_id = user_id or cause.user_id
    event_id = derived_event_id(source_service, user_id, kind, caused_by)
    return EventMetadata(
        event_id=event_id,
        event_type=event_type,
        occurred_at=occurred_at or cause.occurred_at,
        produced_at=now,
        trace_id=cause.trace_id,
        # The span of announcing this event, as stable as its id (no random bytes per emission):
        # the id's last 64 bits, never all zero (they start with the UUID variant bits, 10xx).
        span_id=event_id.hex[16:],
        correlation_id=cause.correlation_id,
        user_id=user_id,
        provider=cause.provider,
        source_service=source_service,
        source_version=SOURCE_VERSION,
    )


def derived_event_id(source_service: str, user_id: str, kind: str, caused_by: str) -> uuid.UUID:
    """The id of the ``kind`` event ``source_service`` derives for ``user_id`` from ``caused_by``:
    the same on every emission, whatever the payload or the time."""
    return uuid.uuid5(uuid.NAMESPACE_URL, json.dumps([source_service, user_id, kind, caused_by]))
