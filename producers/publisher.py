"""The one publish path of every producer: typed events, stamped, encoded, embedded or
referenced, keyed by ``user_id``, delivered (or failing loudly).

- Events are Avro in the Confluent wire format through the schemas serde (TopicRecordNameStrategy
  subjects; schemas registered beforehand with ``officestream schemas register``).
- ``metadata`` is stamped by the producer's ``MetadataStamper``; the W3C ``traceparent`` header
  travels beside the event.
- Records that would make an event larger than ``OFFICESTREAM_PRODUCER_EMBED_MAX_BYTES`` go to
  Redis and are published as ``PayloadRef``s (``embedding.py``); 0 publishes references only.
- Every delivery is checked: ``submit_*`` returns a future that fails with ``PublishFailed``
  (topic, user hash, reason) when the brokers did not take the record; ``publish_*`` waits for
  it. ``close`` reports what never got an answer. Calls made in order land in order per user.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from connectors import tracing
from connectors.kafka.settings import KafkaSettings
from connectors.redis.exceptions import PayloadStoreError
from connectors.redis.payload_store import PayloadStore
from producers.delivery import Delivered, KafkaSender
from producers.embedding import BATCHES, UPDATES, to_reference
from producers.exceptions import PublishFailed
from producers.settings import ProducerSettings
from producers.stamping import MetadataStamper, TraceContext
from schemas.exceptions import SchemasError
from schemas.models import AvroModel, ChangeType, DocType, Event, PayloadRef, Provider
from schemas.redaction import user_ref
from schemas.serde import AvroEventSerde

log = logging.getLogger("officestream.producers")


class Publisher:
    """Publishes officestream events. ``start`` it inside the event loop; ``close`` it at the end."""

    def __init__(
        self, *, kafka: KafkaSettings, settings: ProducerSettings, serde: AvroEventSerde, payloads: PayloadStore,
        stamper: MetadataStamper, now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._kafka = kafka
        self._settings = settings
        self._serde = serde
        self._payloads = payloads
        self.stamper = stamper
        self._now = now
        config = kafka.producer_config()
        overrides = settings.librdkafka_overrides()
        overrides["batch.size"] = min(overrides["batch.size"], config["batch.size"])  # a batch fits the topics' limit
        self._sender = KafkaSender(
            {**config, **overrides},
            max_pending_records=settings.max_pending_records, max_pending_bytes=settings.max_pending_bytes,
        )
        #: (topic, event type) pairs encoded before: their registry lookup is cached in the serde.
        self._encoded: set[tuple[str, str]] = set()

    async def start(self) -> None:
        await self._sender.start()

    async def close(self) -> None:
        """Wait for what is in flight (``OFFICESTREAM_PRODUCER_FLUSH_TIMEOUT_S``); raises
        ``UndeliveredOnClose`` if anything never got an answer."""
        await self._sender.close(self._settings.flush_timeout_s)

    @property
    def pending(self) -> int:
        return self._sender.pending

    @property
    def producer_config(self) -> dict[str, Any]:
        """The librdkafka configuration it produces with (a copy: what a benchmark's raw
        producer is given, to compare like with like)."""
        return self._sender.config

    # -- updates and batches ---------------------------------------------------------------

    async def submit_update(
        self, *, user_id: str, provider: Provider, doc_type: DocType, change: ChangeType, doc_id: str,
        record: AvroModel | None, occurred_at: dt.datetime, correlation_id: str | None = None,
        trace: TraceContext | None = None,
    ) -> asyncio.Future[Delivered]:
        """One item created, updated (with its ``record``) or deleted (``record`` None), in the
        trace ``trace`` continues (a new one when None)."""
        item = dict(user_id=user_id, provider=provider, doc_type=doc_type, change=change, doc_id=doc_id, record=record,
                    occurred_at=occurred_at, correlation_id=correlation_id)
        return await _in_publish_span(UPDATES[doc_type].topic, trace,
                                      lambda trace, span_id: self._submit_update(**item, trace=trace, span_id=span_id))

    async def _submit_update(
        self, *, user_id: str, provider: Provider, doc_type: DocType, change: ChangeType, doc_id: str,
        record: AvroModel | None, occurred_at: dt.datetime, correlation_id: str | None, trace: TraceContext | None,
        span_id: str | None,
    ) -> asyncio.Future[Delivered]:
        shape = UPDATES[doc_type]
        metadata = self.stamper.metadata(shape.event.__name__, user_id=user_id, provider=provider, occurred_at=occurred_at,
                                         correlation_id=correlation_id, trace=trace, span_id=span_id)
        fields: dict[str, object] = {"metadata": metadata, "change_type": change, shape.id_field: doc_id}
        if record is not None:
            fields[shape.item_field] = record
        event = shape.event(**fields)
        topic = self._kafka.topic(shape.topic)
        limit = self._settings.embed_max_bytes
        value = await self._encode(topic, event) if limit or record is None else b""
        if record is not None and to_reference([record], encoded_size=len(value), limit=limit):
            [ref] = await self._store([record], user_id, doc_type)
            fields.pop(shape.item_field)
            event = shape.event(**fields, **{shape.ref_field: ref})
            value = await self._encode(topic, event)
        return await self._send(topic, event, value)

    async def submit_batch(
        self, *, user_id: str, provider: Provider, doc_type: DocType, records: Sequence[AvroModel], batch_index: int,
        is_last_batch: bool, occurred_at: dt.datetime, job_id: str | None = None, correlation_id: str | None = None,
        trace: TraceContext | None = None,
    ) -> asyncio.Future[Delivered]:
        """One page of records (a backfill page, a resync), in the trace ``trace`` continues."""
        page = dict(user_id=user_id, provider=provider, doc_type=doc_type, records=records, batch_index=batch_index,
                    is_last_batch=is_last_batch, occurred_at=occurred_at, job_id=job_id, correlation_id=correlation_id)
        return await _in_publish_span(BATCHES[doc_type].topic, trace,
                                      lambda trace, span_id: self._submit_batch(**page, trace=trace, span_id=span_id))

    async def _submit_batch(
        self, *, user_id: str, provider: Provider, doc_type: DocType, records: Sequence[AvroModel], batch_index: int,
        is_last_batch: bool, occurred_at: dt.datetime, job_id: str | None, correlation_id: str | None,
        trace: TraceContext | None, span_id: str | None,
    ) -> asyncio.Future[Delivered]:
        shape = BATCHES[doc_type]
        metadata = self.stamper.metadata(shape.event.__name__, user_id=user_id, provider=provider, occurred_at=occurred_at,
                                         correlation_id=correlation_id or job_id, trace=trace, span_id=span_id)
        embedded = list(records)
        fields: dict[str, object] = {"metadata": metadata, "job_id": job_id, "batch_index": batch_index,
                                     "is_last_batch": is_last_batch}
        topic = self._kafka.topic(shape.topic)
        event = shape.event(**fields, **{shape.items_field: embedded})
        limit = self._settings.embed_max_bytes
        value = await self._encode(topic, event) if limit or not embedded else b""
        moved = set(to_reference(embedded, encoded_size=len(value), limit=limit))
        if moved:
            refs = await self._store([embedded[i] for i in sorted(moved)], user_id, doc_type)
            kept = [record for index, record in enumerate(embedded) if index not in moved]
            event = shape.event(**fields, **{shape.items_field: kept, shape.refs_field: refs})
            value = await self._encode(topic, event)
        return await self._send(topic, event, value)

    async def submit_event(self, topic_name: str, event: Event) -> asyncio.Future[Delivered]:
        """An event the caller built whole (progress, completion, integration lifecycle), on
        the canonical topic ``topic_name`` (prefix applied here)."""
        topic = self._kafka.topic(topic_name)
        return await self._send(topic, event, await self._encode(topic, event))

    async def submit_record(
        self, topic_name: str, key: bytes, value: bytes, headers: Sequence[tuple[str, bytes]] = (),
    ) -> asyncio.Future[Delivered]:
        """Bytes the caller encoded (a state topic's JSON, a dead letter) on the canonical topic
        ``topic_name``. Too large for the topics, the value is cut and the cut said in headers."""
        topic = self._kafka.topic(topic_name)
        if not self._kafka.fits_in_a_message(key, value, list(headers)):
            room = max(0, self._kafka.max_message_bytes - len(key) - 4096)
            headers = [*headers, ("officestream.truncated.original_size", str(len(value)).encode())]
            value = value[:room]
        return await self._sender.send(topic, key=key, value=value, headers=headers)

    async def publish_record(self, topic_name: str, key: bytes, value: bytes, headers: Sequence[tuple[str, bytes]] = ()) -> Delivered:
        return await (await self.submit_record(topic_name, key, value, headers))

    async def publish_update(self, **kwargs: object) -> Delivered:
        return await (await self.submit_update(**kwargs))  # type: ignore[arg-type]

    async def publish_batch(self, **kwargs: object) -> Delivered:
        return await (await self.submit_batch(**kwargs))  # type: ignore[arg-type]

    async def publish_event(self, topic_name: str, event: Event) -> Delivered:
        return await (await self.submit_event(topic_name, event))

    # -- encoding, storing, sending ----------------------------------------------------------

    async def _encode(self, topic: str, event: Event) -> bytes:
        """The event's wire-format bytes; the first of its kind per topic looks its schema up in
        the registry (blocking HTTP: in a thread, off the loop)."""
        kind = (topic, event.avro_name)
        try:
            if kind in self._encoded:
                return self._serde.encode(topic, event)
            value = await asyncio.to_thread(self._serde.encode, topic, event)
        except SchemasError as exc:
            raise PublishFailed(f"cannot encode {event.avro_name}: {exc}", topic=topic, user_ref=user_ref(event.user_id),
                                retriable=exc.retriable) from exc
        self._encoded.add(kind)
        return value

    async def _store(self, records: list[AvroModel], user_id: str, doc_type: DocType) -> list[PayloadRef]:
        ttl = dt.timedelta(seconds=self._settings.payload_ttl_s)
        try:
            return list(await asyncio.gather(
                *(self._payloads.put(user_id, doc_type, record, ttl=ttl, now=self._now()) for record in records)
            ))
        except PayloadStoreError as exc:
            raise PublishFailed(f"cannot store a referenced {doc_type.value}: {exc}", topic="redis",
                                user_ref=user_ref(user_id), retriable=exc.retriable) from exc

    async def _send(self, topic: str, event: Event, value: bytes) -> asyncio.Future[Delivered]:
        metadata = event.metadata
        return await self._sender.send(
            topic, key=metadata.user_id.encode(), value=value,
            headers=[("traceparent", metadata.traceparent().encode())], user_ref=user_ref(metadata.user_id),
        )


async def _in_publish_span(
    topic_name: str, trace: TraceContext | None,
    submit: Callable[[TraceContext | None, str | None], Awaitable[asyncio.Future[Delivered]]],
) -> asyncio.Future[Delivered]:
    """``submit(trace, span_id)`` in a ``publish`` span when spans are exported: the event's
    ``span_id`` is then that span's id, so a consumer's span (the child of the event's
    ``traceparent``) hangs under it. Without export, the stamper draws the span id itself."""
    spans = tracing.active()
    if not spans.exporting:
        return await submit(trace, None)
    with spans.span(f"publish {topic_name}", parent=trace, kind="producer") as own:
        return await submit(own, own.parent_span_id)
