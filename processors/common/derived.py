"""Derived events (``meeting-updates``, ``shipment-updates``): a small JSON envelope.

The services emit what they derived as JSON rather than Avro: the payloads (meeting contexts,
packages) are the services' own models and still move quickly. The envelope carries the same
identity and timing as Avro events' metadata, so consumers deduplicate and order them alike.

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
and ``caused_by`` (the source event id and the item), never on ``produced_at`` or the payload,
which a re-emission rebuilds from stored state at another time. One cause makes one event of a
kind; callers name causes precisely enough for that.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from processors.common.exceptions import PoisonMessage


class DerivedEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: str
    #: e.g. ``meeting.created``, ``shipment.delivered``.
    kind: str = Field(pattern=r"^[a-z_]+\.[a-z_]+$")
    user_id: str = Field(min_length=1)
    occurred_at: AwareDatetime
    produced_at: AwareDatetime
    source_service: str
    #: The event this was derived from: correlates the chain across services.
    caused_by: str | None = None
    payload: dict[str, Any]


def derived_event(
    *, kind: str, user_id: str, payload: dict[str, Any], occurred_at: dt.datetime, source_service: str,
    caused_by: str | None, now: dt.datetime,
) -> DerivedEvent:
    """A new derived event. Its id is derived from what caused it (module docstring), so a
    replayed cause yields the same id and consumers drop the duplicate; without a cause, a
    random id."""
    return DerivedEvent(
        event_id=derived_event_id(source_service, user_id, kind, caused_by) if caused_by else str(uuid.uuid4()),
        kind=kind, user_id=user_id, occurred_at=occurred_at, produced_at=now,
        source_service=source_service, caused_by=caused_by, payload=payload,
    )


def derived_event_id(source_service: str, user_id: str, kind: str, caused_by: str) -> str:
    """The id of the ``kind`` event ``source_service`` derives for ``user_id`` from ``caused_by``:
    the same on every emission, whatever the payload or the time."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, json.dumps([source_service, user_id, kind, caused_by])))


def encode_derived(event: DerivedEvent) -> bytes:
    """The message value of a derived event (UTF-8 JSON, what ``decode_derived`` reads)."""
    return event.model_dump_json().encode()


_EMPTY_PAYLOAD_TAIL = b'"payload":{}}'


def encode_derived_with_payload(
    *, kind: str, user_id: str, payload_json: bytes, occurred_at: dt.datetime, source_service: str,
    caused_by: str | None, now: dt.datetime,
) -> bytes:
    """``encode_derived(derived_event(...))`` for a payload the caller has already encoded as a
    JSON object (a record's ``model_dump_json``): the envelope is validated and encoded without
    the payload, which is then put in place as it is, so it is neither parsed nor encoded again."""
    envelope = derived_event(
        kind=kind, user_id=user_id, payload={}, occurred_at=occurred_at, source_service=source_service,
        caused_by=caused_by, now=now,
    )
    encoded = encode_derived(envelope)
    # ``payload`` is the model's last field, so its empty object closes the envelope.
    assert encoded.endswith(_EMPTY_PAYLOAD_TAIL), "DerivedEvent.payload must stay the last field"
    if not (payload_json.startswith(b"{") and payload_json.endswith(b"}")):
        raise ValueError("payload_json must be one JSON object")
    return encoded[: -len(_EMPTY_PAYLOAD_TAIL)] + b'"payload":' + payload_json + b"}"


async def decode_derived(value: bytes | None) -> DerivedEvent:
    """Parse a derived event; anything else is a PoisonMessage with the reason."""
    if value is None:
        raise PoisonMessage("empty message where a derived event was expected")
    try:
        return DerivedEvent.model_validate_json(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "message"
        raise PoisonMessage(f"not a derived event: {where}: {first['msg']}") from exc
