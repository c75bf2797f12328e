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
from connectors.google.account import GoogleAccount
from connectors.google.exceptions import ReauthRequired as GoogleReauthRequired
from connectors.microsoft.graph_client import GraphClient
from producers.backfill.lease import JobLeases, LeaseSettings
from producers.backfill.providers import ConfigurationMissing, ProviderCrawlers
from producers.backfill.service import BackfillService
from producers.backfill.store import CancelWatch, JobStore
from producers.bridge.app import Bridge, LiveService, NoLiveSync
from producers.bridge.intake import WebhookIntake
from producers.bridge.push_oidc import PushTokenVerifier
from producers.bridge.renewals import Renewals
from producers.bridge.settings import BridgeSettings
from producers.bridge.webhooks import WebhookRoutes
from producers.integrations.content import ContentFetcher
from producers.integrations.reauth import ReauthGate
from producers.integrations.secret_box import SecretBox
from producers.integrations.state import Integration
from producers.integrations.store import IntegrationStore
from producers.integrations.tokens import IntegrationTokens, StoreGoogleTokens
from producers.integrations.watches import WatchRegistrar, check_webhook_settings
from producers.live.exceptions import ProviderNotConfigured
from producers.live.sync import LiveSync
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
#: the provider clients and the re-authorization gate); default ``live_sync``.
LiveFactory = Callable[[Bridge], LiveService]


def build_bridge(
    *, settings: BridgeSettings, kafka: KafkaSettings, serde: AvroEventSerde, redis: aioredis.Redis,
    redis_settings: RedisSettings, producer: ProducerSettings, microsoft: MicrosoftSettings, google: GoogleSettings,
    live: LiveFactory | None = None, now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    lease: LeaseSettings | None = None,
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
                               redis=redis, cancel_watch=CancelWatch(kafka, jobs.topic),
                               leases=JobLeases(redis, ttl_s=(lease or LeaseSettings.from_env()).lease_ttl_s))
    reauth = ReauthGate(integrations, publisher, now=now)
    watches = WatchRegistrar(providers, bridge=settings, microsoft=microsoft, google=google, now=now)
    orchestrator = Orchestrator(integrations=integrations, jobs=jobs, publisher=publisher, watches=watches,
                                tokens=tokens, reauth=reauth, live=NoLiveSync(), now=now)
    tokens.on_cache_changed = orchestrator.store_token_cache
    tokens.on_reauth = reauth.required
    bridge = Bridge(settings=settings, backfill=backfill, integrations=integrations, tokens=tokens, watches=watches,
                    reauth=reauth, orchestrator=orchestrator, content=ContentFetcher(providers), live=NoLiveSync(),
                    stale_after_s=settings.backfill_stale_after_s)
    bridge.live = orchestrator.live = (live or live_sync)(bridge)
    bridge.renewals = Renewals(integrations=integrations, watches=watches, orchestrator=orchestrator, reauth=reauth,
                               live=lambda: bridge.live, check_interval_s=settings.renew_check_interval_s,
                               fraction=microsoft.subscription_renew_fraction, now=now)
    oidc = (PushTokenVerifier(settings.google_push_audience, service_account=settings.google_push_service_account)
            if settings.google_push_audience else None)
    bridge.webhooks = WebhookRoutes(
        intake=WebhookIntake(integrations, push_secret=google.push_token_secret, push_max_bytes=google.push_max_bytes),
        live=bridge.live, renewals=bridge.renewals, max_body_bytes=settings.max_body_bytes, oidc=oidc)
    return bridge


class BridgeLiveClients:
    """The live side's provider clients: the bridge's own (``ProviderCrawlers``), so a mailbox
    has one Graph token source (msal's rotating cache, stored again when it rotates) and one
    request budget, whoever reads it: backfill, live sync, registrations."""

    def __init__(self, providers: ProviderCrawlers) -> None:
        self._providers = providers

    def graph(self, integration: Integration) -> GraphClient:
        return self._providers.graph_client()

    def google(self, integration: Integration) -> GoogleAccount:
        try:
            return self._providers.google_account(integration.user_id)
        except ConfigurationMissing as exc:
            if integration.refresh_token is None:
                raise GoogleReauthRequired("no_grant", "the integration holds no refresh token",
                                           user=integration.user_id) from None
            raise ProviderNotConfigured(str(exc)) from exc

    def forget(self, integration: Integration) -> None:
        return None  # the grants follow the stored integration (IntegrationTokens, StoreGoogleTokens)

    async def aclose(self) -> None:
        return None  # the bridge's backfill service closes the provider clients


def live_sync(bridge: Bridge) -> LiveSync:
    """The live side of ``bridge`` (its store, publisher and provider clients)."""

    async def on_reauth(integration: Integration, reason: str) -> None:
        await bridge.reauth.required(integration.key, None, detail=f"a live sync was refused: {reason}")

    return LiveSync(store=bridge.integrations, publisher=bridge.backfill.publisher,
                    clients=BridgeLiveClients(bridge.backfill.crawlers), on_reauth=on_reauth, settings=bridge.settings)


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
