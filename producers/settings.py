"""Settings of the producers' Kafka publisher (``OFFICESTREAM_PRODUCER_*``).

Beside the adapter they configure (``producers/publisher.py``); where the brokers are and how to
authenticate is ``OFFICESTREAM_KAFKA_*`` (``connectors/kafka/settings.py``), and Redis, where
records too large to embed go, is ``OFFICESTREAM_REDIS_*``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from schemas.envsettings import EnvSettings

Compression = Literal["none", "gzip", "snappy", "lz4", "zstd"]


class ProducerSettings(EnvSettings):
    model_config = SettingsConfigDict(env_prefix="OFFICESTREAM_PRODUCER_", extra="forbid", frozen=True)

    #: How long librdkafka gathers records into one request. Every wait for a delivery costs
    #: about this much, and a backfill waits twice per page (its batches, then its checkpoint):
    #: at 20 ms it ran at 0.4 of its bare crawl, at 5 ms 0.75, at 0 ms 0.9
    #: (``bench/backfill_bench.py``), while pipelined publishing ran as fast at 0 as at 5 ms:
    #: records queued while a request is in flight still go out together.
    linger_ms: int = Field(default=0, ge=0, le=5000)
    #: The most bytes one partition's batch gathers (librdkafka ``batch.size``).
    batch_size_bytes: int = Field(default=1_000_000, ge=1024)
    compression: Compression = "lz4"
    #: An event whose serialized size would pass this is published with some (batches: the
    #: largest) records moved to Redis and referenced by ``PayloadRef``. Well below the topics'
    #: ``max.message.bytes`` (1 MiB). ``0``: references only — no record (no body, no personal
    #: data) in any event, only ids and ``PayloadRef``s.
    embed_max_bytes: int = Field(default=262_144, ge=0, le=900_000)
    #: How long a referenced record stays in Redis. Consumers reading it later (a replay) fall
    #: back to the producer's content endpoint. Default: the event topics' retention.
    payload_ttl_s: int = Field(default=14 * 86_400, ge=60)
    #: librdkafka's ``delivery.timeout.ms``: how long it retries a record before reporting it
    #: undelivered (the caller gets ``PublishFailed``; nothing is dropped silently).
    delivery_timeout_ms: int = Field(default=120_000, ge=1_000)
    #: How long closing waits for records still in flight before it reports them undelivered.
    flush_timeout_s: float = Field(default=30.0, gt=0)
    #: Unacknowledged records (and bytes) above which publishing waits for the broker
    #: (back-pressure, without blocking the event loop).
    max_pending_records: int = Field(default=20_000, ge=1)
    max_pending_bytes: int = Field(default=256 * 1024 * 1024, ge=1024 * 1024)

    def librdkafka_overrides(self) -> dict[str, Any]:
        """What these settings add to ``KafkaSettings.producer_config`` (idempotent, acks=all)."""
        return {
            "linger.ms": self.linger_ms,
            "batch.size": self.batch_size_bytes,
            "compression.type": self.compression,
            "delivery.timeout.ms": self.delivery_timeout_ms,
        }
