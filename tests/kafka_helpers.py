"""Producing to and consuming from the real broker in tests, without sleeping."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from confluent_kafka import Consumer, Message, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from connectors.kafka.settings import KafkaSettings


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


def deduplicated(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a reader that drops the event ids it has seen keeps of derived events (JSON)."""
    seen: set[str] = set()
    return [e for e in events if not (e["event_id"] in seen or seen.add(e["event_id"]))]
