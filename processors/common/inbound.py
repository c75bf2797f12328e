"""A Kafka record as it arrived, independent of the client library that read it
(``connectors/kafka/records.py``; the workers' name for it)."""

from __future__ import annotations

from connectors.kafka.records import KafkaRecord as InboundRecord

__all__ = ["InboundRecord"]
