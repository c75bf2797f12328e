"""Derived events (``meeting-updates``, ``shipment-updates``): a small JSON envelope.

The services emit what they derived as JSON rather than Avro: the payloads (meeting contexts,
packages) are the services' own models and still move quickly. The envelope carries the same
identity and timing as Avro events' metadata, so consumers deduplicate and order them alike.
"""

from __future__ import annotations

import datetime as dt
import hashlib
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
    caused_by: str | None, now: dt.datetime, fingerprint: str | None = None,
) -> DerivedEvent:
    """A new derived event. Its id is derived from what caused it, so a replayed cause yields
    the same id and consumers can drop the duplicate. ``fingerprint`` stands for the payload in
    that id when the caller has a cheaper one than the payload's canonical JSON (a digest of
    bytes it already encoded); it must change whenever the payload does."""
    content = fingerprint if fingerprint is not None else json.dumps(payload, sort_keys=True, default=str)
    seed = f"{source_service}:{kind}:{caused_by}:{content}"
    return DerivedEvent(
        event_id=str(uuid.uuid5(uuid.NAMESPACE_URL, seed)) if caused_by else str(uuid.uuid4()),
        kind=kind, user_id=user_id, occurred_at=occurred_at, produced_at=now,
        source_service=source_service, caused_by=caused_by, payload=payload,
    )


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
    the payload, which is then put in place as it is, so it is neither parsed nor encoded again.
    The id's fingerprint is the payload's sha256."""
    envelope = derived_event(
        kind=kind, user_id=user_id, payload={}, occurred_at=occurred_at, source_service=source_service,
        caused_by=caused_by, now=now, fingerprint=hashlib.sha256(payload_json).hexdigest(),
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
