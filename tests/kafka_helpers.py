"""Producing to and consuming from the real broker in tests, without sleeping."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from connectors.kafka.admin import ensure_topics
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


def _consumer(kafka: KafkaSettings, group: str) -> Consumer:
    return Consumer(kafka.librdkafka_config(**{"group.id": group, "enable.auto.commit": False}))


def _partitions(consumer: Consumer, topic: str) -> list[TopicPartition]:
    metadata = consumer.list_topics(topic, timeout=10).topics.get(topic)
    if metadata is None or metadata.error is not None:
        return []
    return [TopicPartition(topic, p) for p in metadata.partitions]


#: Errors a fresh client's metadata gives while a partition's leader is not known to it yet.
_LEADERLESS = frozenset({KafkaError.NOT_LEADER_FOR_PARTITION, KafkaError.LEADER_NOT_AVAILABLE,
                         KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError._TIMED_OUT, KafkaError.REQUEST_TIMED_OUT})


def watermarks(consumer: Consumer, tp: TopicPartition, *, attempts: int = 20) -> tuple[int, int]:
    """``get_watermark_offsets``, asked again while the broker answers with a retriable error
    (a fresh client's metadata can name no leader yet: NOT_LEADER_FOR_PARTITION failed a
    test once on a loaded machine, right after the topic had been written)."""
    for attempt in range(attempts):
        try:
            return consumer.get_watermark_offsets(tp, timeout=10)
        except KafkaException as exc:
            if not (exc.args[0].retriable() or exc.args[0].code() in _LEADERLESS) or attempt == attempts - 1:
                raise
            time.sleep(0.5)
    raise AssertionError("unreachable")


def record_count(kafka: KafkaSettings, topic: str) -> int:
    """Records in ``topic`` (0 before it exists); exact while nothing was compacted or expired."""
    consumer = _consumer(kafka, "tests-record-counter")
    try:
        return sum(high - low for low, high in (watermarks(consumer, tp) for tp in _partitions(consumer, topic)))
    except KafkaException:
        return 0
    finally:
        consumer.close()


def read_all(kafka: KafkaSettings, topic: str) -> list[Message]:
    """Every record of ``topic``, partition by partition, in offset order."""
    consumer = _consumer(kafka, "tests-topic-reader")
    messages: list[Message] = []
    try:
        for tp in _partitions(consumer, topic):
            low, high = watermarks(consumer, tp)
            if high <= low:
                continue
            consumer.assign([TopicPartition(topic, tp.partition, low)])
            while not messages or messages[-1].partition() != tp.partition or messages[-1].offset() < high - 1:
                message = consumer.poll(10)
                assert message is not None, f"{topic}[{tp.partition}] ended before offset {high - 1}"
                if message.error() is None:
                    messages.append(message)
    finally:
        consumer.close()
    return messages


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


def committed_offsets(kafka: KafkaSettings, group: str, topic: str) -> dict[int, tuple[int, int]]:
    """``group``'s committed offset and the end offset of each partition of ``topic``."""
    consumer = _consumer(kafka, group)
    try:
        committed = consumer.committed(_partitions(consumer, topic), timeout=10)
        return {tp.partition: (max(tp.offset, 0), watermarks(consumer, tp)[1]) for tp in committed}
    finally:
        consumer.close()


def committed_total(kafka: KafkaSettings, group: str, topic: str) -> int:
    """The sum of ``group``'s committed offsets on ``topic``: messages counted as processed."""
    return sum(committed for committed, _ in committed_offsets(kafka, group, topic).values())


def prepared(stack: Any, topic_prefix: str) -> KafkaSettings:
    """Topics and the derived topics' subjects, as `officestream topics create` and
    `officestream schemas register` leave them: the workers announce only with registered schemas."""
    kafka = KafkaSettings.from_env({}, bootstrap_servers=stack.kafka.bootstrap_servers, topic_prefix=topic_prefix)
    ensure_topics(kafka)
    register_derived_schemas(kafka, SchemaRegistryClient(stack.registry.client_config()))
    return kafka
