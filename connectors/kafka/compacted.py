"""Reading a compacted topic to its end: the latest value of every key is the state.

Used by command-line readers of service state (faust table changelogs): no consumer group and
no committed offsets, so reading never disturbs the services.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Message, TopicPartition

from connectors.kafka.exceptions import KafkaUnavailable
from connectors.kafka.settings import KafkaSettings


def read_compacted(settings: KafkaSettings, topic: str, *, timeout_s: float = 30.0) -> dict[bytes, bytes]:
    """The latest value per key in ``topic`` (keys whose latest record is a tombstone are gone)."""
    state: dict[bytes, bytes] = {}

    def keep(message: Message) -> None:
        key = message.key() or b""
        if message.value() is None:
            state.pop(key, None)
        else:
            state[key] = message.value()

    _scan(settings, topic, keep, timeout_s=timeout_s)
    return state


def read_values(settings: KafkaSettings, topic: str, *, timeout_s: float = 60.0) -> list[bytes]:
    """Every value in ``topic`` up to its end now (tombstones left out), partition by partition."""
    values: list[bytes] = []
    _scan(settings, topic, lambda message: values.append(message.value()) if message.value() is not None else None,
          timeout_s=timeout_s)
    return values


def _scan(settings: KafkaSettings, topic: str, on_message: Callable[[Message], None], *, timeout_s: float) -> None:
    """``on_message`` for every record of ``topic`` from its start to its end now."""
    consumer = Consumer(settings.librdkafka_config(**{"group.id": "officestream-reader", "enable.auto.commit": False}))
    try:
        metadata = consumer.list_topics(topic, timeout=10)
        if topic not in metadata.topics or metadata.topics[topic].error is not None:
            return
        partitions = list(metadata.topics[topic].partitions)
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in partitions}
        pending = {p for p, end in ends.items() if end > 0}
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in pending])
        _read_until(consumer, ends, pending, time.monotonic() + timeout_s, on_message)
    except KafkaException as exc:
        raise KafkaUnavailable(f"cannot read {topic} from {settings.bootstrap_servers}: {exc.args[0].str()}") from exc
    finally:
        consumer.close()


def _read_until(consumer: Consumer, ends: dict[int, int], pending: set[int], deadline: float,
                on_message: Callable[[Message], None]) -> None:
    while pending:
        if time.monotonic() > deadline:
            raise KafkaUnavailable(f"timed out reading partitions {sorted(pending)} to their end")
        message = consumer.poll(0.5)
        if message is None or message.error() is not None:
            continue
        on_message(message)
        if message.offset() + 1 >= ends[message.partition()]:
            pending.discard(message.partition())
