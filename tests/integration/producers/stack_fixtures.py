"""Fixtures every producers test on the stack shares: Kafka settings with the test's own topic
prefix (topics created), and a payload store on the test Redis. Test modules import them (no
conftest: the emulator fixtures the modules import have clashing names across providers)."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis

from connectors.kafka.admin import ensure_topics
from connectors.kafka.settings import KafkaSettings
from connectors.redis.payload_store import PayloadStore


@pytest.fixture
def kafka(stack, topic_prefix) -> KafkaSettings:
    settings = KafkaSettings.from_env({}, bootstrap_servers=stack.kafka.bootstrap_servers, topic_prefix=topic_prefix)
    ensure_topics(settings)
    return settings


@pytest.fixture
async def payloads(stack):
    client = aioredis.Redis.from_url(stack.redis.url, **stack.redis.client_kwargs())
    yield PayloadStore(client)
    await client.aclose()
