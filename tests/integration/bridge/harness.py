"""The bridge on the real stack, served on a local port, with an HTTP client that holds the
internal token, and readers for what it published (integration events, the raw state topic)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import redis.asyncio as aioredis
from cryptography.fernet import Fernet

from connectors.google.settings import GoogleSettings
from connectors.kafka.admin import ensure_topics
from connectors.kafka.settings import KafkaSettings
from connectors.kafka.compacted import read_compacted
from connectors.kafka.exceptions import KafkaUnavailable
from connectors.kafka.topics import (
    BACKFILL_JOBS,
    CALENDAR_UPDATES,
    CONTACT_UPDATES,
    EMAIL_BACKFILL,
    INTEGRATION_EVENTS,
    INTEGRATION_STATE,
)
from connectors.microsoft.settings import MicrosoftSettings
from connectors.redis.payload_store import PayloadStore
from producers.bridge.app import Bridge, run_bridge
from producers.bridge.settings import BridgeSettings
from producers.bridge.wiring import build_bridge
from producers.settings import ProducerSettings
from schemas.models import DocType
from schemas.serde import AvroEventSerde
from tests.kafka_helpers import read_all
from tests.stack import StackEndpoints
from tests.waiting import wait_for

INTERNAL_TOKEN = "internal-token-for-tests-0123456789"
#: Where the backfill's references of each doc type are, and in which field.
REFS = {DocType.email: (EMAIL_BACKFILL, "emails_refs"), DocType.calendar_event: (CALENDAR_UPDATES, "calendar_events_refs"),
        DocType.contact: (CONTACT_UPDATES, "contacts_refs")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RecordingLive:
    """The live side as the orchestrator sees it: the sync requests it received."""

    requests: list[tuple[str, str, str]] = field(default_factory=list)

    def request(self, key: str, resource: str, *, reason: str, trace: object = None) -> None:
        self.requests.append((key, resource, reason))

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


@dataclass
class RunningBridge:
    bridge: Bridge
    url: str
    http: httpx.AsyncClient
    kafka: KafkaSettings
    serde: AvroEventSerde
    redis: aioredis.Redis
    #: ``RecordingLive``, or the bridge's real ``LiveSync`` (``live_side=True``).
    live: Any

    async def connect(self, **body: Any) -> httpx.Response:
        return await self.http.post("/internal/integrations", json=body)

    async def integration(self, provider: str, user: str) -> dict[str, Any]:
        response = await self.http.get(f"/internal/integrations/{provider}/{user}")
        response.raise_for_status()
        return response.json()

    async def wait_for_status(self, provider: str, user: str, status: str, timeout_s: float = 60) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            found = await self.integration(provider, user)
            if found["status"] == status:
                return found
            assert asyncio.get_running_loop().time() < deadline, f"status stayed {found['status']}: {found['last_error']}"
            await asyncio.sleep(0.1)

    async def wait_for_job(self, job_id: str, status: str = "completed", timeout_s: float = 60) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            response = await self.http.get(f"/internal/backfill/{job_id}")
            if response.status_code == 200 and response.json()["status"] == status:
                return response.json()
            assert asyncio.get_running_loop().time() < deadline, f"job {job_id}: {response.text}"
            await asyncio.sleep(0.2)

    async def integration_events(self, count: int = 1, timeout_s: float = 30) -> list[Any]:
        """The events on ``integration-events`` once there are ``count`` (the loop keeps running
        meanwhile: the bridge publishes on it)."""
        topic = self.kafka.topic(INTEGRATION_EVENTS)
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            messages = await asyncio.to_thread(read_all, self.kafka, topic)
            if len(messages) >= count:
                return [self.serde.decode(m.value()) for m in messages]
            assert asyncio.get_running_loop().time() < deadline, f"{len(messages)} integration events, not {count}"
            await asyncio.sleep(0.1)

    async def expired_references_are_served_again(
            self, user: str, *, usable: Callable[[DocType, str], bool] = lambda doc_type, doc_id: True,
            payloads: PayloadStore | None = None) -> None:
        """One referenced record of each doc type (``usable`` picks by id), its Redis copy
        expired, read back through the bridge's content endpoint as consumers read it
        (``payloads``: the consumers' store; default one on this Redis): ``PayloadStore``
        checks the size and the hash."""
        headers = {"Authorization": f"Bearer {INTERNAL_TOKEN}"}
        async with httpx.AsyncClient(headers=headers) as http:
            payloads = payloads or PayloadStore(self.redis, content_endpoint=f"{self.url}/internal", http=http)
            for doc_type, (topic, field) in REFS.items():
                events = [self.serde.decode(m.value()) for m in read_all(self.kafka, self.kafka.topic(topic))]
                ref = next(ref for event in events for ref in getattr(event, field, []) if usable(doc_type, ref.doc_id))
                original = await payloads.get(ref, user_id=user, doc_type=doc_type)
                await self.redis.pexpire(ref.key, 1)  # its TTL runs out
                while await self.redis.exists(ref.key):
                    await asyncio.sleep(0.01)
                assert await payloads.get(ref, user_id=user, doc_type=doc_type) == original, doc_type
            gone = await http.get(f"{self.url}/internal/content/{user}/email/no-such-message")
            assert gone.status_code == 404

    def raw_state(self) -> list[bytes]:
        return [m.value() for m in read_all(self.kafka, self.kafka.topic(INTEGRATION_STATE)) if m.value()]


def _readable(kafka: KafkaSettings, topic: str) -> bool:
    try:
        read_compacted(kafka, kafka.topic(topic), timeout_s=5)
    except KafkaUnavailable:
        return False  # a topic just created may have no leader yet
    return True


@contextlib.asynccontextmanager
async def running_bridge(stack: StackEndpoints, topic_prefix: str, serde: AvroEventSerde, *,
                         microsoft: MicrosoftSettings | None = None, google: GoogleSettings | None = None,
                         state_key: str | None = None, live_side: bool = False, port: int | None = None,
                         bridge_settings: dict[str, Any] | None = None, **producer: Any) -> AsyncIterator[RunningBridge]:
    """A bridge on the topics of ``topic_prefix``; the same prefix, ``state_key`` and ``port``
    make a restart of an earlier one. ``live_side``: the real ``LiveSync`` (the webhooks' tests),
    else a ``RecordingLive`` that only records the sync requests."""
    kafka = KafkaSettings.from_env({}, bootstrap_servers=stack.kafka.bootstrap_servers, topic_prefix=topic_prefix)
    ensure_topics(kafka)
    wait_for(lambda: all(_readable(kafka, topic) for topic in (INTEGRATION_STATE, BACKFILL_JOBS)),
             what="the new topics' leaders")
    port = port or free_port()
    settings = BridgeSettings.from_env({}, host="127.0.0.1", port=port, internal_token=INTERNAL_TOKEN,
                                       state_key=state_key or Fernet.generate_key().decode(), **(bridge_settings or {}))
    redis = aioredis.Redis.from_url(stack.redis.url, **stack.redis.client_kwargs())
    live = RecordingLive()
    bridge = build_bridge(settings=settings, kafka=kafka, serde=serde, redis=redis, redis_settings=stack.redis,
                          producer=ProducerSettings.from_env({}, **producer), microsoft=microsoft or MicrosoftSettings(),
                          google=google or GoogleSettings.from_env({}), live=None if live_side else lambda _: live)
    bridge.queue_poll_s = 0.2
    stop, ready = asyncio.Event(), asyncio.get_running_loop().create_future()
    task = asyncio.create_task(run_bridge(bridge, host="127.0.0.1", port=port, stop=stop, on_ready=ready.set_result))
    done, _ = await asyncio.wait([task, ready], timeout=60, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        task.result()  # raises what stopped it
    url = ready.result()
    headers = {"Authorization": f"Bearer {INTERNAL_TOKEN}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
        try:
            yield RunningBridge(bridge, url, http, kafka, serde, redis, bridge.live if live_side else live)
        finally:
            stop.set()
            await task
            await redis.aclose()
