"""What the fault tests of real workers share: a mail the shipments worker acts on, and reading
what a worker left behind (dead letters, committed offsets, its /metrics)."""

from __future__ import annotations

import datetime as dt

import httpx
from confluent_kafka import Consumer, TopicPartition

from connectors.kafka.settings import KafkaSettings
from schemas.models import Email
from tests.unit.shipments import numbers
from tests.unit.shipments.mails import mail


def ups_mail(email_id: str, at: dt.datetime, *, subject: str = "UPS Update: shipped") -> Email:
    text = f"Your package is on its way.\nUPS tracking number: {numbers.UPS}\n"
    return mail(sender="mcinfo@ups.com", name="UPS", subject=subject, text=text, email_id=email_id).model_copy(
        update={"sent_at": at, "received_at": at}
    )


def high_watermark(kafka: KafkaSettings, topic: str) -> int:
    """How many records ``topic`` ever received (all partitions)."""
    consumer = Consumer(kafka.librdkafka_config(**{"group.id": "watermarks"}))
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        return sum(consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in partitions)
    finally:
        consumer.close()


def committed_offset(kafka: KafkaSettings, group: str, topic: str) -> int:
    """``group``'s committed offsets on ``topic``, summed over partitions (0 where none)."""
    consumer = Consumer(kafka.librdkafka_config(**{"group.id": group}))
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        committed = consumer.committed([TopicPartition(topic, p) for p in partitions], timeout=10)
        return sum(max(tp.offset, 0) for tp in committed)
    finally:
        consumer.close()


def metric_value(web_port: int, name: str, **labels: str) -> float | None:
    """The first sample of ``name`` with ``labels`` on the worker's /metrics, or None."""
    text = httpx.get(f"http://127.0.0.1:{web_port}/metrics", timeout=5).text
    wanted = [f'{key}="{value}"' for key, value in labels.items()]
    for line in text.splitlines():
        if line.startswith(name + "{") and all(label in line for label in wanted):
            return float(line.rsplit(" ", 1)[1])
    return None
