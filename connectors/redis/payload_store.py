"""The Redis pointer model: records too large to embed are stored in Redis and referenced.

Key: ``payload_key(user_id, doc_type, doc_id)``, i.e. ``office:{user_id}:{doc_type}:{doc_id}``
with each part escaped; producers and consumers build keys only with it, and nothing parses a
key back. Value: the record in Avro binary (schemaless, with the project's schema of that
record), so the stored bytes are exactly as typed as the events. The reference carries the
bytes' sha256 and size; readers verify both. When the key has expired, readers fall back to
the producer's internal content endpoint (a setting), which serves the same bytes at
``{endpoint}/content/{user_id}/{doc_type}/{doc_id}`` (each part URL-quoted).

A reference is only good for the event that carries it: ``get`` takes the event's user, doc
type and (for a single update) document id, and refuses a reference that does not lead to
exactly that key, or that claims more than ``max_payload_bytes``, before fetching anything.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from functools import cache
from typing import Any
from urllib.parse import quote

import fastavro
import httpx
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from connectors.key_parts import escape_part
from connectors.redis.exceptions import PayloadCorrupt, PayloadMissing, PayloadRefused, PayloadStoreUnavailable
from connectors.redis.failures import redis_failure
from connectors.redis.settings import DEFAULT_MAX_PAYLOAD_BYTES
from schemas.avsc import project_schema
from schemas.models import AvroModel, CalendarEvent, Contact, DocType, Email, PayloadRef

RECORD_TYPES: dict[DocType, type[AvroModel]] = {
    DocType.email: Email,
    DocType.calendar_event: CalendarEvent,
    DocType.contact: Contact,
}


def payload_key(user_id: str, doc_type: DocType, doc_id: str) -> str:
    """The Redis key of a referenced record: the one place keys are built.

    Each part is escaped (``%`` as ``%25``, then ``:`` as ``%3A``), so a user or document id
    holding ``:`` cannot make one user's key equal another's: ``("a:b", email, "c")`` and
    ``("a", email, "b:c")`` are different keys. The rule is injective; keys are never parsed."""
    return "office:" + ":".join(escape_part(part) for part in (user_id, doc_type.value, doc_id))


def content_type(doc_type: DocType) -> str:
    return f"application/vnd.officestream.{doc_type.value}+avro"


@cache
def _parsed(record_name: str) -> Any:
    return fastavro.parse_schema(project_schema(record_name))


def encode_record(record: AvroModel) -> bytes:
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, _parsed(record.avro_name), record.to_avro())
    return buffer.getvalue()


def decode_record(doc_type: DocType, data: bytes) -> AvroModel:
    model = RECORD_TYPES[doc_type]
    try:
        return model.from_avro(fastavro.schemaless_reader(io.BytesIO(data), _parsed(model.avro_name)))
    except Exception as exc:  # any failure to decode verified bytes means they are not this record
        raise PayloadCorrupt(f"stored {doc_type.value} does not decode: {type(exc).__name__}: {exc}") from exc


def check_reference(ref: PayloadRef, *, user_id: str, doc_type: DocType, doc_id: str | None, max_bytes: int) -> None:
    """Refuse (``PayloadRefused``) a reference that is not ``user_id``'s ``doc_type`` document
    (``doc_id`` when the event names one), or that claims more than ``max_bytes``."""
    if ref.doc_type is not doc_type:
        raise PayloadRefused(f"{ref.key}: a reference of doc type {ref.doc_type.value!r} in an event of {doc_type.value!r} documents")
    if doc_id is not None and ref.doc_id != doc_id:
        raise PayloadRefused(f"{ref.key}: the reference names document {ref.doc_id!r}, the event {doc_id!r}")
    if ref.key != payload_key(user_id, doc_type, ref.doc_id):
        raise PayloadRefused(f"{ref.key}: not the key of this event's user's {doc_type.value} {ref.doc_id!r}")
    if ref.size_bytes > max_bytes:
        raise PayloadRefused(f"{ref.key}: {ref.size_bytes} bytes, over the limit of {max_bytes} (OFFICESTREAM_REDIS_MAX_PAYLOAD_BYTES)")


class PayloadStore:
    """Writes and reads referenced records. Owns no connection: the caller passes the clients."""

    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        content_endpoint: str | None = None,
        http: httpx.AsyncClient | None = None,
        max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES,
    ) -> None:
        self._redis = redis
        self._endpoint = content_endpoint.rstrip("/") if content_endpoint else None
        self._http = http
        self._max_bytes = max_payload_bytes

    async def put(self, user_id: str, doc_type: DocType, record: AvroModel, *, ttl: dt.timedelta | None, now: dt.datetime) -> PayloadRef:
        """Store ``record`` and return the reference to publish instead of it. A record over
        the size limit is refused (``PayloadRefused``): its readers would refuse it."""
        data = encode_record(record)
        key = payload_key(user_id, doc_type, record.id)  # type: ignore[attr-defined]
        if len(data) > self._max_bytes:
            raise PayloadRefused(f"{doc_type.value} of {len(data)} bytes is over the {self._max_bytes}-byte payload limit")
        try:
            await self._redis.set(key, data, px=int(ttl.total_seconds() * 1000) if ttl else None)
        except RedisError as exc:
            raise redis_failure(f"cannot store {key}", exc) from exc
        return PayloadRef(
            key=key,
            doc_type=doc_type,
            doc_id=record.id,  # type: ignore[attr-defined]
            sha256=hashlib.sha256(data).hexdigest(),
            size_bytes=len(data),
            content_type=content_type(doc_type),
            expires_at=now + ttl if ttl else None,
        )

    async def get(self, ref: PayloadRef, *, user_id: str, doc_type: DocType, doc_id: str | None = None) -> AvroModel:
        """The record ``ref`` leads to, for an event of ``user_id`` about ``doc_type`` documents
        (``doc_id``: the document a single update names; a batch names none). Refused before
        fetching unless the reference is exactly that; verified against its hash and size, and
        refused if the record found is another document."""
        check_reference(ref, user_id=user_id, doc_type=doc_type, doc_id=doc_id, max_bytes=self._max_bytes)
        data = await self._from_redis(ref)
        if data is None:
            data = await self._from_endpoint(ref, user_id)
        digest = hashlib.sha256(data).hexdigest()
        if digest != ref.sha256 or len(data) != ref.size_bytes:
            raise PayloadCorrupt(
                f"{ref.key}: got {len(data)} bytes with sha256 {digest[:12]}..., "
                f"reference says {ref.size_bytes} bytes, {ref.sha256[:12]}..."
            )
        record = decode_record(doc_type, data)
        if record.id != ref.doc_id:  # type: ignore[attr-defined]
            raise PayloadRefused(f"{ref.key}: holds document {record.id!r}, not the referenced {ref.doc_id!r}")  # type: ignore[attr-defined]
        return record

    async def _from_redis(self, ref: PayloadRef) -> bytes | None:
        try:
            return await self._redis.get(ref.key)
        except RedisError as exc:
            raise redis_failure(f"cannot read {ref.key}", exc) from exc

    async def _from_endpoint(self, ref: PayloadRef, user_id: str) -> bytes:
        if self._endpoint is None or self._http is None:
            raise PayloadMissing(f"{ref.key} expired and no content endpoint is configured")
        parts = (user_id, ref.doc_type.value, ref.doc_id)
        url = f"{self._endpoint}/content/" + "/".join(quote(part, safe="") for part in parts)
        try:
            response = await self._http.get(url)
        except httpx.TransportError as exc:
            raise PayloadStoreUnavailable(f"content endpoint unreachable for {ref.key}: {type(exc).__name__}") from exc
        if response.status_code in (404, 410):
            raise PayloadMissing(f"{ref.key} expired and the content endpoint answered {response.status_code}")
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise PayloadStoreUnavailable(f"content endpoint answered {response.status_code} for {ref.key}")
        if response.status_code != 200:
            raise PayloadMissing(f"content endpoint answered {response.status_code} for {ref.key}")
        return response.content
