"""Wiring a backfill runner from the environment (``bootstrap``), checking first that it can work.

Everything a job needs is checked before a job is written (``preflight``): Kafka reachable and
the topics there, the registry reachable with the events' schemas registered, Redis reachable,
the provider configured for the user. Each problem is one line naming what to fix.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from connectors.google.settings import GoogleSettings
from connectors.kafka.admin import ensure_topics
from connectors.kafka.settings import KafkaSettings
from connectors.kafka.topics import BACKFILL_JOBS, BACKFILL_PROGRESS, OFFICE_BRIDGE, TOPICS, dead_letter_topic
from connectors.microsoft.settings import MicrosoftSettings
from connectors.redis.payload_store import PayloadStore
from connectors.redis.settings import RedisSettings
from producers.backfill.job import BackfillJob
from producers.backfill.lease import JobLeases, LeaseSettings
from producers.backfill.providers import GoogleTokens, ProviderCrawlers
from producers.backfill.runner import BackfillRunner
from producers.backfill.store import CancelWatch, JobStore
from producers.embedding import BATCHES
from producers.exceptions import ProducerError
from producers.publisher import Publisher
from producers.settings import ProducerSettings
from producers.stamping import MetadataStamper
from schemas.exceptions import SchemasError
from schemas.models import BackfillCompletedEvent, BackfillProgressEvent, DocType, Provider
from schemas.registry_client import registry_client
from schemas.registry_settings import RegistrySettings
from schemas.serde import AvroEventSerde

SOURCE_SERVICE = "office-backfill"
SOURCE_VERSION = "0.1.0"


class NotReady(ProducerError):
    """Something a backfill needs is missing or unreachable; the message says what to do."""


@dataclass
class BackfillService:
    """Everything a backfill needs, built from the environment; ``start`` inside the loop."""

    kafka: KafkaSettings
    publisher: Publisher
    store: JobStore
    crawlers: ProviderCrawlers
    serde: AvroEventSerde
    redis: aioredis.Redis
    cancel_watch: CancelWatch
    leases: JobLeases

    async def start(self) -> None:
        await self.publisher.start()
        await self.cancel_watch.start()

    async def close(self) -> None:
        await self.cancel_watch.stop()
        await self.crawlers.aclose()
        try:
            await self.publisher.close()
        finally:
            await self.redis.aclose()

    def runner(self, *, on_update: Callable[[BackfillJob], None] = lambda job: None) -> BackfillRunner:
        return BackfillRunner(publisher=self.publisher, store=self.store, crawlers=self.crawlers.crawler,
                              cancel_watch=self.cancel_watch, on_update=on_update, leases=self.leases)

    async def preflight(self, provider: Provider, user_id: str, doc_types: tuple[DocType, ...]) -> None:
        """Raise ``NotReady`` (or the provider's ``ConfigurationMissing``) unless a job can run."""
        self.crawlers.check(provider, user_id)
        await asyncio.to_thread(self._kafka_ready)
        await asyncio.to_thread(self._schemas_ready, doc_types)
        try:
            await self.redis.ping()
        except RedisError as exc:
            raise NotReady(f"Redis is unreachable ({type(exc).__name__}): start it or set OFFICESTREAM_REDIS_URL") from None

    def _kafka_ready(self) -> None:
        wanted = {BACKFILL_JOBS, BACKFILL_PROGRESS, dead_letter_topic(OFFICE_BRIDGE), *(s.topic for s in BATCHES.values())}
        plan = ensure_topics(self.kafka, specs=[spec for spec in TOPICS if spec.name in wanted], dry_run=True)
        missing = [action.topic for action in plan if action.kind == "create"]
        if missing:
            raise NotReady(f"topics missing: {', '.join(missing)}; run `officestream topics create`")

    def _schemas_ready(self, doc_types: tuple[DocType, ...]) -> None:
        wanted = [(BATCHES[t].topic, BATCHES[t].event.avro_name) for t in doc_types]
        wanted += [(BACKFILL_PROGRESS, BackfillProgressEvent.avro_name), (BACKFILL_PROGRESS, BackfillCompletedEvent.avro_name)]
        try:
            for topic, record_name in wanted:
                self.serde.writer_schema_id(self.kafka.topic(topic), record_name)
        except SchemasError as exc:
            hint = "" if exc.retriable is False else " (is it up? set OFFICESTREAM_REGISTRY_URL)"
            raise NotReady(f"{exc}{hint}") from None


def bootstrap(*, google_tokens: GoogleTokens | None = None, now: Callable[[], dt.datetime] | None = None) -> BackfillService:
    """A backfill service from the ``OFFICESTREAM_*`` environment (no network yet)."""
    kafka = KafkaSettings.from_env()
    redis_settings = RedisSettings.from_env()
    redis = aioredis.Redis.from_url(redis_settings.url, **redis_settings.client_kwargs())
    serde = AvroEventSerde(registry_client(RegistrySettings.from_env()))
    publisher = Publisher(
        kafka=kafka, settings=ProducerSettings.from_env(), serde=serde,
        payloads=PayloadStore(redis, max_payload_bytes=redis_settings.max_payload_bytes),
        stamper=MetadataStamper(source_service=SOURCE_SERVICE, source_version=SOURCE_VERSION),
        **({"now": now} if now else {}),
    )
    # Every provider field has a default; a malformed one is refused here, naming the variable.
    crawlers = ProviderCrawlers(microsoft=MicrosoftSettings.from_env(), google=GoogleSettings.from_env(),
                                google_tokens=google_tokens)
    store = JobStore(kafka, publisher)
    return BackfillService(kafka=kafka, publisher=publisher, store=store, crawlers=crawlers, serde=serde, redis=redis,
                           cancel_watch=CancelWatch(kafka, store.topic),
                           leases=JobLeases(redis, ttl_s=LeaseSettings.from_env().lease_ttl_s))

