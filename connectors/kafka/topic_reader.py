"""Reading a topic from its first kept record to its end, with no consumer group.

No committed offsets, no group membership: operator tools (the compacted state readers, the
dead-letter tools) read this way and never disturb the services.
"""

from __future__ import annotations

import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Message, TopicPartition

from connectors.backoff import Backoff
from connectors.kafka.exceptions import KafkaUnavailable
from connectors.kafka.records import KafkaRecord
from connectors.kafka.settings import KafkaSettings

#: What a partition answers while its leader is being elected or is loading its log (a topic
#: created a moment ago, a broker restarting): asked again until the read's timeout.
_LEADER_NOT_SERVING = frozenset({KafkaError.NOT_LEADER_FOR_PARTITION, KafkaError.LEADER_NOT_AVAILABLE})
_LEADER_BACKOFF = Backoff(initial_s=0.05, max_s=1.0, retry_after_max_s=1.0)


def read_records(settings: KafkaSettings, topic: str, *, timeout_s: float = 30.0) -> list[KafkaRecord]:
    """Every record ``topic`` holds now, partition by partition in offset order ([] when the
    topic does not exist)."""
    consumer = Consumer(settings.librdkafka_config(**{"group.id": "officestream-reader", "enable.auto.commit": False}))
    try:
        metadata = consumer.list_topics(topic, timeout=10)
        if topic not in metadata.topics or metadata.topics[topic].error is not None:
            return []
        partitions = list(metadata.topics[topic].partitions)
        deadline = time.monotonic() + timeout_s
        ends = {p: _end_offset(consumer, TopicPartition(topic, p), deadline) for p in partitions}
        pending = {p for p, end in ends.items() if end > 0}
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in pending])
        records = _read_until(consumer, ends, pending, deadline)
    except KafkaException as exc:
        raise KafkaUnavailable(f"cannot read {topic} from {settings.bootstrap_servers}: {exc.args[0].str()}") from exc
    finally:
        consumer.close()
    return sorted(records, key=lambda r: (r.partition, r.offset))


def _end_offset(consumer: Consumer, partition: TopicPartition, deadline: float) -> int:
    """The partition's high watermark, asked again while its leader is not serving yet."""
    attempt = 0
    while True:
        try:
            return consumer.get_watermark_offsets(partition, timeout=10)[1]
        except KafkaException as exc:
            attempt += 1
            if exc.args[0].code() not in _LEADER_NOT_SERVING or time.monotonic() > deadline:
                raise
            time.sleep(_LEADER_BACKOFF.delay(attempt))


def _read_until(consumer: Consumer, ends: dict[int, int], pending: set[int], deadline: float) -> list[KafkaRecord]:
    records: list[KafkaRecord] = []
    while pending:
        if time.monotonic() > deadline:
            raise KafkaUnavailable(f"timed out reading partitions {sorted(pending)} to their end")
        message = consumer.poll(0.5)
        if message is None or message.error() is not None:
            continue
        records.append(_stored(message))
        if message.offset() + 1 >= ends[message.partition()]:
            pending.discard(message.partition())
    return records


def _stored(message: Message) -> KafkaRecord:
    return KafkaRecord(
        topic=message.topic(), partition=message.partition(), offset=message.offset(),
        key=message.key(), value=message.value(), headers=list(message.headers() or []),
        timestamp_ms=message.timestamp()[1],
    )
