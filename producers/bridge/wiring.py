"""Building the bridge: ``bootstrap_bridge()`` from the ``OFFICESTREAM_*`` environment, or
``build_bridge(...)`` from explicit settings (tests). No network until ``Bridge.start``.

Refused at once, one line naming the setting: no ``OFFICESTREAM_BRIDGE_INTERNAL_TOKEN`` (or one
too short), no or a malformed ``OFFICESTREAM_BRIDGE_STATE_KEY``, connector webhook URLs that
disagree with the bridge's own.

The pieces share what must be shared: one publisher (its events say ``office-bridge``), one
Graph client whose tokens come from each integration's grant (``IntegrationTokens``) for the
backfill, the registrations and the content endpoint alike, one Google quota pacer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import redis.asyncio as aioredis

from connectors.google.settings import GoogleSettings
from connectors.kafka.settings import KafkaSettings
from connectors.microsoft.settings import MicrosoftSettings
from connectors.redis.payload_store import PayloadStore
from connectors.redis.settings import RedisSettings
from producers.backfill.providers import ProviderCrawlers
from producers.backfill.service import BackfillService
from producers.backfill.store import CancelWatch, JobStore
from producers.bridge.app import Bridge, LiveService, NoLiveSync
from producers.bridge.settings import BridgeSettings
from producers.integrations.content import ContentFetcher
from producers.integrations.reauth import ReauthGate
from producers.integrations.secret_box import SecretBox
from producers.integrations.store import IntegrationStore
from producers.integrations.tokens import IntegrationTokens, StoreGoogleTokens
from producers.integrations.watches import WatchRegistrar, check_webhook_settings
from producers.orchestrator import Orchestrator
from producers.publisher import Publisher
from producers.settings import ProducerSettings
from producers.stamping import MetadataStamper
from schemas.registry_client import registry_client
from schemas.registry_settings import RegistrySettings
from schemas.serde import AvroEventSerde

SOURCE_SERVICE = "office-bridge"
SOURCE_VERSION = "0.1.0"

#: Builds the live side once the rest of the bridge exists (it needs the store, the publisher,
#: the provider clients and the re-authorization gate).
LiveFactory = Callable[[Bridge], LiveService]


def build_bridge(
    *, settings: BridgeSettings, kafka: KafkaSettings, serde: AvroEventSerde, redis: aioredis.Redis,
    redis_settings: RedisSettings, producer: ProducerSettings, microsoft: MicrosoftSettings, google: GoogleSettings,
    live: LiveFactory | None = None, now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> Bridge:
    settings.require_internal_token()
    box = SecretBox(settings.state_key)
    check_webhook_settings(settings, microsoft, google)
    publisher = Publisher(
        kafka=kafka, settings=producer, serde=serde,
        payloads=PayloadStore(redis, max_payload_bytes=redis_settings.max_payload_bytes),
        stamper=MetadataStamper(source_service=SOURCE_SERVICE, source_version=SOURCE_VERSION), now=now,
    )
    integrations = IntegrationStore(kafka, publisher, box)
    tokens = IntegrationTokens(microsoft)
    providers = ProviderCrawlers(microsoft=microsoft, google=google, google_tokens=StoreGoogleTokens(integrations),
                                 graph_tokens=tokens)
    jobs = JobStore(kafka, publisher)
    backfill = BackfillService(kafka=kafka, publisher=publisher, store=jobs, crawlers=providers, serde=serde,
                               redis=redis, cancel_watch=CancelWatch(kafka, jobs.topic))
    reauth = ReauthGate(integrations, publisher, now=now)
    watches = WatchRegistrar(providers, bridge=settings, microsoft=microsoft, google=google, now=now)
    orchestrator = Orchestrator(integrations=integrations, jobs=jobs, publisher=publisher, watches=watches,
                                tokens=tokens, reauth=reauth, live=NoLiveSync(), now=now)
    tokens.on_cache_changed = orchestrator.store_token_cache
    tokens.on_reauth = reauth.required
    bridge = Bridge(settings=settings, backfill=backfill, integrations=integrations, tokens=tokens, watches=watches,
                    reauth=reauth, orchestrator=orchestrator, content=ContentFetcher(providers), live=NoLiveSync())
    if live is not None:
        bridge.live = orchestrator.live = live(bridge)
    return bridge


def bootstrap_bridge(settings: BridgeSettings | None = None, *, live: LiveFactory | None = None) -> Bridge:
    """The bridge from the environment (``settings``: ``OFFICESTREAM_BRIDGE_*`` already read)."""
    settings = settings or BridgeSettings.from_env()
    redis_settings = RedisSettings.from_env()
    return build_bridge(
        settings=settings, kafka=KafkaSettings.from_env(),
        serde=AvroEventSerde(registry_client(RegistrySettings.from_env())),
        redis=aioredis.Redis.from_url(redis_settings.url, **redis_settings.client_kwargs()),
        redis_settings=redis_settings, producer=ProducerSettings.from_env(), microsoft=MicrosoftSettings.from_env(),
        google=GoogleSettings.from_env(), live=live,
    )
