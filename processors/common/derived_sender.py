"""Derived events onto their topics: encoded by the schemas serde, sent by the worker's producer.

The meetings and shipments services announce what they derived (``processors/common/derived.py``)
through ``derived_sender``. The events are encoded like every other officestream event (the
Confluent wire format, ``schemas/serde.py``), under subjects ``officestream schemas register``
registers from the topic catalogue; the workers never register schemas themselves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import faust

from processors.common import faust_transport
from processors.common.derived import Send
from processors.common.exceptions import WorkerMustStop
from processors.common.faust_wiring import raw_topic
from schemas.exceptions import SchemaNotRegistered
from schemas.models import AvroModel, Event
from schemas.registry_client import registry_client
from schemas.registry_settings import RegistrySettings
from schemas.serde import AvroEventSerde


def derived_sender(app: faust.App, name: str) -> Send:
    """``send(event)`` for derived events on topic ``name``: encoded by the schemas serde (the
    Confluent wire format, under the topic's subject, which ``officestream schemas register``
    registers), keyed by ``metadata.user_id``, and handed to the worker's librdkafka producer at
    once, without faust's message machinery (faust flushes that producer before it commits
    offsets, so the event is on the broker before the record that caused it counts as
    processed); through faust's topic when the producer is another one. An event the producer
    refuses (larger than the topics accept) raises ``RecordRefused``, and a schema that is not
    registered ``WorkerMustStop``: the worker stops before any commit past the message that
    caused it. The registry down is transient: the message is retried, and announces again."""
    topic = raw_topic(app, name)
    encode = avro_encoder(name)

    async def send(event: Event) -> None:
        key, value = event.metadata.user_id.encode(), await encode(event)
        producer = app.producer
        if isinstance(producer, faust_transport.LibrdkafkaProducer) and producer.sends_directly and not app.in_transaction:
            producer.send_record(name, key, value, None, on_delivered=_delivered)
        else:
            await topic.send(key=key, value=value)

    return send


def _delivered(topic: str, partition: int, offset: int) -> None:
    """Nothing to record once a derived event is on the broker (failures stop the worker)."""


def avro_encoder(topic: str) -> Callable[[AvroModel], Awaitable[bytes]]:
    """The schemas serde's ``encode`` for ``topic`` on the configured registry, never
    registering (production writers only use registered schemas). Each event type's first
    encode looks its schema up in a thread (blocking HTTP must not stall the event loop); the
    serde caches the id, so later ones encode inline."""
    serde = AvroEventSerde(registry_client(RegistrySettings.from_env()))
    known: set[str] = set()

    async def encode(event: AvroModel) -> bytes:
        if event.avro_name not in known:
            try:
                await asyncio.to_thread(serde.writer_schema_id, topic, event.avro_name)
            except SchemaNotRegistered as exc:
                raise WorkerMustStop(f"cannot announce on {topic}: {exc}") from exc
            known.add(event.avro_name)
        return serde.encode(topic, event)

    return encode
