"""The producers' side of a benchmark run: the publisher as a backfill runs it, on the run's stack."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis.asyncio as aioredis
from harness.stack import Stack

from connectors.kafka.topics import BACKFILL_JOBS, BACKFILL_PROGRESS, EMAIL_BACKFILL, OFFICE_BRIDGE, dead_letter_topic
from connectors.redis.payload_store import PayloadStore
from producers.publisher import Publisher
from producers.settings import ProducerSettings
from producers.stamping import MetadataStamper
from schemas.registry_client import registry_client
from schemas.serde import AvroEventSerde

#: What an email backfill writes to: its batches, the job, progress, dead letters.
BACKFILL_TOPICS = frozenset({EMAIL_BACKFILL, BACKFILL_JOBS, BACKFILL_PROGRESS, dead_letter_topic(OFFICE_BRIDGE)})


@asynccontextmanager
async def run_publisher(stack: Stack, *, source_service: str = "office-backfill") -> AsyncIterator[Publisher]:
    """A started ``Publisher`` with the production settings (``OFFICESTREAM_PRODUCER_*``), its
    schemas registered under the run's prefix as it goes; closed (and Redis released) at the end."""
    redis_client = aioredis.Redis.from_url(stack.redis.url, **stack.redis.client_kwargs())
    publisher = Publisher(kafka=stack.kafka, settings=ProducerSettings.from_env(),
                          serde=AvroEventSerde(registry_client(stack.registry), auto_register=True),
                          payloads=PayloadStore(redis_client),
                          stamper=MetadataStamper(source_service=source_service, source_version="bench"))
    try:
        await publisher.start()
        yield publisher
    finally:
        try:
            await publisher.close()
        finally:
            await redis_client.aclose()
