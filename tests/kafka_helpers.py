"""Producing to and consuming from the real broker in tests, without sleeping."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from confluent_kafka import Consumer, Message, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from connectors.kafka.event_subjects import event_subjects
from connectors.kafka.settings import KafkaSettings
from connectors.kafka.topics import MEETING_UPDATES, SHIPMENT_UPDATES, TOPICS
from schemas.avsc import load_event_schemas
from schemas.models import EVENT_MODELS, Event
from schemas.registry_admin import SchemaRegistrar, register_all


def create_topic(settings: KafkaSettings, name: str, *, partitions: int = 1, config: dict[str, str] | None = None) -> None:
    admin = AdminClient(settings.librdkafka_config())
    futures = admin.create_topics([NewTopic(name, partitions, 1, config=config or {})], operation_timeout=15)
    for future in futures.values():
        future.result()


def produce(settings: KafkaSettings, topic: str, records: Iterable[tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]]) -> int:
    """Produce (key, value, headers) records and wait until all are acknowledged."""
    producer = Producer(settings.producer_config())
    count = 0
    for key, value, headers in records:
        producer.produce(topic, value=value, key=key, headers=headers)
        count += 1
    remaining = producer.flush(30)
    assert remaining == 0, f"{remaining} messages not acknowledged"
    return count


def consume(settings: KafkaSettings, topic: str, count: int, *, group: str, timeout_s: float = 60.0) -> list[Message]:
    """The first ``count`` messages of ``topic`` (from the earliest offset), in partition order."""
    consumer = Consumer(settings.librdkafka_config(**{"group.id": group, "auto.offset.reset": "earliest"}))
    consumer.subscribe([topic])
    messages: list[Message] = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(messages) < count and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                messages.append(message)
    finally:
        consumer.close()
    assert len(messages) == count, f"got {len(messages)} of {count} messages from {topic}"
    return messages


def values_for_key(settings: KafkaSettings, topic: str, key: bytes, *, group: str) -> list[bytes | None]:
    """Every value written under ``key`` to ``topic`` (a table's changelog, say), in offset
    order per partition, read from the beginning up to the end offsets as they are now."""
    consumer = Consumer(settings.librdkafka_config(**{"group.id": group, "auto.offset.reset": "earliest"}))
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        values: list[bytes | None] = []
        for partition in partitions:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
            if high <= low:
                continue
            consumer.assign([TopicPartition(topic, partition, low)])
            read = 0
            while read < high - low:
                message = consumer.poll(5)
                if message is None:
                    break
                read += 1
                if message.error() is None and message.key() == key:
                    values.append(message.value())
        return values
    finally:
        consumer.close()


def read_to_end(settings: KafkaSettings, topic: str, *, timeout_s: float = 30.0) -> list[Message]:
    """Every message of ``topic`` up to its end offsets as they are now, partition by partition."""
    consumer = Consumer(settings.librdkafka_config(**{"group.id": "tests-read-to-end", "enable.auto.commit": False}))
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        messages: list[Message] = []
        for partition in sorted(partitions):
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
            consumer.assign([TopicPartition(topic, partition, low)])
            deadline = time.monotonic() + timeout_s
            while high > low and time.monotonic() < deadline:
                message = consumer.poll(0.5)
                if message is None or message.error() is not None:
                    continue
                messages.append(message)
                if message.offset() + 1 >= high:
                    break
        return messages
    finally:
        consumer.close()


def consume_until(
    settings: KafkaSettings, topic: str, done: Callable[[list[Message]], bool], *, timeout_s: float = 60.0
) -> list[Message]:
    """Every message of ``topic`` (from the earliest offset, in partition order) once ``done``
    holds for those read so far; fails after ``timeout_s`` naming what was read."""
    consumer = Consumer(settings.librdkafka_config(**{"group.id": f"read-{uuid.uuid4().hex}", "auto.offset.reset": "earliest"}))
    consumer.subscribe([topic])
    messages: list[Message] = []
    deadline = time.monotonic() + timeout_s
    try:
        while not done(messages):
            if time.monotonic() > deadline:
                raise AssertionError(f"{topic}: gave up after {timeout_s:.0f}s with {[m.value() for m in messages]}")
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                messages.append(message)
    finally:
        consumer.close()
    return messages


def register_derived_schemas(settings: KafkaSettings, registry: SchemaRegistryClient) -> None:
    """Register the subjects of the derived topics (``meeting-updates``, ``shipment-updates``)
    under ``settings``' topic prefix, as ``officestream schemas register`` does: the meetings and
    shipments workers write only with registered schemas."""
    derived = [spec for spec in TOPICS if spec.name in (MEETING_UPDATES, SHIPMENT_UPDATES)]
    reports = register_all(SchemaRegistrar(registry), event_subjects(settings, load_event_schemas(), specs=derived).subjects)
    assert all(r.status in ("registered", "unchanged") for r in reports), [r.describe() for r in reports]


def read_plainly(registry: SchemaRegistryClient, messages: list[Message]) -> list[Event]:
    """``messages`` decoded as a consumer in another language would: confluent-kafka's own
    ``AvroDeserializer`` with the registry alone (the writer's schema, none of the project's
    files), each datum typed by the ``metadata.event_type`` it carries."""
    plain = AvroDeserializer(registry)
    events: list[Event] = []
    for message in messages:
        datum: Any = plain(message.value(), SerializationContext(message.topic(), MessageField.VALUE))
        events.append(EVENT_MODELS[f"io.officestream.{datum['metadata']['event_type']}"].from_avro(datum))
    return events


def deduplicated(events: list[Event]) -> list[Event]:
    """What a reader that drops the event ids it has seen keeps of derived events."""
    seen: set[uuid.UUID] = set()
    return [e for e in events if not (e.metadata.event_id in seen or seen.add(e.metadata.event_id))]
