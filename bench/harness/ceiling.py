"""The ceiling a service is compared with: a plain confluent-kafka consumer that decodes every
message of the topic with the project's serde and does nothing else, timed from the first
message decoded to the last (the same window as the workers' rates)."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass

from confluent_kafka import Consumer

from connectors.kafka.settings import KafkaSettings
from processors.common.settings import ProcessorSettings
from schemas.models import Event
from schemas.registry_client import registry_client
from schemas.registry_settings import RegistrySettings
from schemas.serde import AvroEventSerde


@dataclass(frozen=True)
class Rate:
    """Work done in a measured window: ``messages`` carrying ``items`` records in ``seconds``."""

    messages: int
    items: int
    seconds: float

    @property
    def items_per_s(self) -> float:
        return self.items / self.seconds if self.seconds > 0 else float("nan")

    @property
    def messages_per_s(self) -> float:
        return self.messages / self.seconds if self.seconds > 0 else float("nan")

    def as_dict(self) -> dict[str, float | int]:
        return {"messages": self.messages, "items": self.items, "seconds": self.seconds,
                "items_per_s": self.items_per_s, "messages_per_s": self.messages_per_s}


def decode_ceiling(kafka: KafkaSettings, registry: RegistrySettings, topic: str, *, group: str, messages: int,
                   items_of: Callable[[Event], int], timeout_s: float) -> Rate:
    """Consume ``messages`` messages of ``topic`` from the start (group ``group``) and decode each
    with ``AvroEventSerde.decode``. The first message (schema lookup, group join) opens the
    window and is not counted in it."""
    serde = AvroEventSerde(registry_client(registry))
    # The workers' collector setting (OFFICESTREAM_PROCESSOR_GC_THRESHOLD) applies here too: it
    # speeds decoding up by itself (~20%), and the ceiling is the best plain loop, not a slower one.
    threshold = gc.get_threshold()
    gc.set_threshold(ProcessorSettings.from_env().gc_threshold, *threshold[1:])
    consumer = Consumer(kafka.librdkafka_config(**{
        "group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": False,
    }))
    consumer.subscribe([topic])
    seen, items, opened = 0, 0, None
    deadline = time.monotonic() + timeout_s
    try:
        while seen < messages and time.monotonic() < deadline:
            for message in consumer.consume(num_messages=100, timeout=0.5):
                if message.error() is not None:
                    continue
                count = items_of(serde.decode(message.value()))
                seen += 1
                if opened is None:
                    opened = time.perf_counter()
                else:
                    items += count
        closed = time.perf_counter()
    finally:
        consumer.close()
        gc.set_threshold(*threshold)
    if seen < messages or opened is None:
        raise RuntimeError(f"ceiling consumer read {seen} of {messages} messages of {topic} in {timeout_s:.0f}s")
    return Rate(messages=seen - 1, items=items, seconds=closed - opened)
