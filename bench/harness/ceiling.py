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
    #: CPU time spent in the window (all threads of the process doing the work), when measured.
    cpu_seconds: float | None = None

    @property
    def items_per_s(self) -> float:
        return self.items / self.seconds if self.seconds > 0 else float("nan")

    @property
    def messages_per_s(self) -> float:
        return self.messages / self.seconds if self.seconds > 0 else float("nan")

    @property
    def items_per_cpu_s(self) -> float | None:
        """Items per CPU-second: what the work costs, whatever else the machine was doing."""
        return self.items / self.cpu_seconds if self.cpu_seconds else None

    def as_dict(self) -> dict[str, float | int | None]:
        return {"messages": self.messages, "items": self.items, "seconds": self.seconds,
                "items_per_s": self.items_per_s, "messages_per_s": self.messages_per_s,
                "cpu_seconds": self.cpu_seconds, "items_per_cpu_s": self.items_per_cpu_s}


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
    seen, items, opened, opened_cpu = 0, 0, None, 0.0
    deadline = time.monotonic() + timeout_s
    try:
        while seen < messages and time.monotonic() < deadline:
            for message in consumer.consume(num_messages=100, timeout=0.5):
                if message.error() is not None:
                    continue
                count = items_of(serde.decode(message.value()))
                seen += 1
                if opened is None:
                    opened, opened_cpu = time.perf_counter(), time.process_time()
                else:
                    items += count
        closed, closed_cpu = time.perf_counter(), time.process_time()
    finally:
        consumer.close()
        gc.set_threshold(*threshold)
    if seen < messages or opened is None:
        raise RuntimeError(f"ceiling consumer read {seen} of {messages} messages of {topic} in {timeout_s:.0f}s")
    # process_time: this process only, the consumer's librdkafka threads included (no other
    # thread of the benchmark runs meanwhile).
    return Rate(messages=seen - 1, items=items, seconds=closed - opened, cpu_seconds=closed_cpu - opened_cpu)
