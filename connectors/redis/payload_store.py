"""The Redis pointer model: records too large to embed are stored in Redis and referenced.

Key: ``office:{user_id}:{doc_type}:{doc_id}``. Value: the record in Avro binary (schemaless,
with the project's schema of that record), so the stored bytes are exactly as typed as the
events. The reference carries the bytes' sha256 and size; readers verify both. When the key has
expired, readers fall back to the producer's internal content endpoint (a setting), which
serves the same bytes at ``{endpoint}/content/{user_id}/{doc_type}/{doc_id}``.
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

from connectors.redis.exceptions import PayloadCorrupt, PayloadMissing, PayloadStoreUnavailable
from schemas.avsc import project_schema
from schemas.models import AvroModel, CalendarEvent, Contact, DocType, Email, PayloadRef

RECORD_TYPES: dict[DocType, type[AvroModel]] = {
    DocType.email: Email,
    DocType.calendar_event: CalendarEvent,
    DocType.contact: Contact,
}


def payload_key(user_id: str, doc_type: DocType, doc_id: str) -> str:
    return f"office:{user_id}:{doc_type.value}:{doc_id}"


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


class PayloadStore:
    """Writes and reads referenced records. Owns no connection: the caller passes the clients."""

    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        content_endpoint: str | None = None,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self._redis = redis
        self._endpoint = content_endpoint.rstrip("/") if content_endpoint else None
        self._http = http

    async def put(self, user_id: str, doc_type: DocType, record: AvroModel, *, ttl: dt.timedelta | None, now: dt.datetime) -> PayloadRef:
        """Store ``record`` and return the reference to publish instead of it."""
        data = encode_record(record)
        key = payload_key(user_id, doc_type, record.id)  # type: ignore[attr-defined]
        try:
            await self._redis.set(key, data, px=int(ttl.total_seconds() * 1000) if ttl else None)
        except RedisError as exc:
            raise PayloadStoreUnavailable(f"cannot store {key}: {type(exc).__name__}: {exc}") from exc
        return PayloadRef(
            key=key,
            doc_type=doc_type,
            doc_id=record.id,  # type: ignore[attr-defined]
            sha256=hashlib.sha256(data).hexdigest(),
            size_bytes=len(data),
            content_type=content_type(doc_type),
            expires_at=now + ttl if ttl else None,
        )

    async def get(self, ref: PayloadRef) -> AvroModel:
        """The referenced record, verified against the reference's hash and size."""
        data = await self._from_redis(ref)
        if data is None:
            data = await self._from_endpoint(ref)
        digest = hashlib.sha256(data).hexdigest()
        if digest != ref.sha256 or len(data) != ref.size_bytes:
            raise PayloadCorrupt(
                f"{ref.key}: got {len(data)} bytes with sha256 {digest[:12]}..., "
                f"reference says {ref.size_bytes} bytes, {ref.sha256[:12]}..."
            )
        return decode_record(ref.doc_type, data)

    async def _from_redis(self, ref: PayloadRef) -> bytes | None:
        try:
            return await self._redis.get(ref.key)
        except RedisError as exc:
            raise PayloadStoreUnavailable(f"cannot read {ref.key}: {type(exc).__name__}: {exc}") from exc

    async def _from_endpoint(self, ref: PayloadRef) -> bytes:
        if self._endpoint is None or self._http is None:
            raise PayloadMissing(f"{ref.key} expired and no content endpoint is configured")
        user_id = ref.key.split(":")[1]
        url = f"{self._endpoint}/content/{quote(user_id, safe='')}/{ref.doc_type.value}/{quote(ref.doc_id, safe='')}"
        try:
            response = await self._http.get(url)
        except httpx.TransportError as exc:
            raise PayloadStoreUnavailable(f"content endpoint unreachable for {ref.key}: {type(exc).__name__}") from exc
        if response.status_code in (404, 410):
            raise PayloadMissing(f"{ref.key} expired and the content endpoint answered {response.status_code}")
        if response.status_code >= 500 or response.status_code == 429:
            raise PayloadStoreUnavailable(f"content endpoint answered {response.status_code} for {ref.key}")
        if response.status_code != 200:
            raise PayloadMissing(f"content endpoint answered {response.status_code} for {ref.key}")
        return response.content
