"""Latency bookkeeping for the notifier benchmark: percentiles, and the Kafka-only baseline (a
plain consumer timing the same events straight off the topic, without the notifier)."""

from __future__ import annotations

import re
import threading
import time
import uuid

from confluent_kafka import OFFSET_END, Consumer, TopicPartition

from connectors.kafka.settings import KafkaSettings

#: The send time each event carries in its email subject (found in the raw Avro bytes too).
SENT_NS = re.compile(rb"sent_ns=(\d+)")


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of already sorted values."""
    rank = max(1, min(len(sorted_values), -(-q * len(sorted_values) // 100)))
    return sorted_values[int(rank) - 1]


def summary(values: list[float]) -> dict[str, float | None]:
    ordered = sorted(values)
    if not ordered:
        return {"count": 0, "p50": None, "p95": None, "p99": None, "max": None}
    return {"count": len(ordered), "p50": percentile(ordered, 50), "p95": percentile(ordered, 95),
            "p99": percentile(ordered, 99), "max": ordered[-1]}


#: The quantiles a latency distribution is written with: enough for a chart of its shape.
CURVE_QUANTILES = (1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 97, 98, 99, 99.5, 99.9, 100)


def distribution(values: list[float]) -> dict[str, object]:
    """``summary`` plus ``percentiles``: ``[q, value]`` pairs for ``CURVE_QUANTILES`` (the chart's
    distribution; raw samples would make the JSON large at thousands of events a second)."""
    ordered = sorted(values)
    curve = [[q, percentile(ordered, q)] for q in CURVE_QUANTILES] if ordered else []
    return summary(ordered) | {"percentiles": curve}


class BaselineConsumer(threading.Thread):
    """Reads the topic from its end (no group: partitions assigned directly) and notes, per
    event id, produce -> poll-returned latency in ms. The producer, broker and machine are the
    same as the notifier's; the difference is what the notifier (faust, decode, SSE) adds."""

    def __init__(self, kafka: KafkaSettings, topic: str, partitions: list[int]) -> None:
        super().__init__(name="kafka-baseline", daemon=True)
        self._consumer = Consumer(kafka.librdkafka_config(**{
            "group.id": f"bench-baseline-{uuid.uuid4().hex[:8]}", "enable.auto.commit": False,
        }))
        self._consumer.assign([TopicPartition(topic, p, OFFSET_END) for p in partitions])
        self.latency_ms: dict[int, float] = {}  # by sent_ns
        self._stop_reading = threading.Event()

    def run(self) -> None:
        try:
            while not self._stop_reading.is_set():
                # poll, not consume(n): consume waits for n messages or its timeout.
                message = self._consumer.poll(0.2)
                received_ns = time.time_ns()
                if message is None or message.error() is not None:
                    continue
                found = SENT_NS.search(message.value() or b"")
                if found:
                    sent_ns = int(found.group(1))
                    self.latency_ms[sent_ns] = (received_ns - sent_ns) / 1e6
        finally:
            self._consumer.close()

    def stop(self) -> None:
        self._stop_reading.set()
        self.join(10)
