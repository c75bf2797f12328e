"""``LiveSync``: the bridge's live side. Anything that learns a resource may have changed (a
webhook, the orchestrator's backfill hand-off, the People poller, the reconciliation backstop)
calls ``request(key, resource, reason=...)``; the sync of that (integration, resource) then
runs from the stored cursor, publishes one update event per changed item, and stores the new
cursor only after every event is acknowledged.

- Coalesced (``scheduler.py``): at most one sync per (integration, resource) at a time and one
  more behind it, so a burst of notifications costs one or two queries.
- Held while the doc type's backfill runs (``Integration.backfilling``): the request only marks
  the resource dirty; the orchestrator requests it again after the hand-off and the sync runs
  from the backfill's cursor, so the live side never publishes an older version after a newer one.
- Retried, never dropped: throttling, provider outages, Kafka or Redis down (anything but a
  revoked grant) are retried with backoff (``connectors/backoff.py``), logged and counted.
- A revoked grant (``invalid_grant``) calls the ``ReauthHook`` and pauses the integration until
  it is saved again (reconnected).
- ``start`` runs the People poller (Google contacts have no push) and the reconciliation
  backstop (every resource of every live integration, notification or not).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from pydantic import SecretStr

from connectors import tracing
from connectors.backoff import Backoff
from connectors.google.exceptions import ReauthRequired as GoogleReauthRequired
from connectors.microsoft.exceptions import ReauthRequired as MicrosoftReauthRequired
from connectors.tracing import TraceContext
from producers.bridge.settings import BridgeSettings
from producers.integrations.state import Integration, IntegrationStatus
from producers.live.changes import Step, SyncContext
from producers.live.google import GoogleWorkers, google_steps
from producers.live.metrics import METRICS, LiveMetrics
from producers.live.microsoft import graph_calendar_steps, graph_contact_steps
from producers.live.microsoft_mail import GraphMail
from producers.live.providers import LiveClients, ReauthHook
from producers.live.publishing import BeforeCommit, IntegrationStates, Published, SyncPublisher
from producers.live.scheduler import Coalescer
from producers.live.sync_trace import sync_trace
from producers.publisher import Publisher
from schemas.models import DocType, Provider
from schemas.redaction import user_ref

log = logging.getLogger("officestream.producers.live")

#: The resources ``request`` takes, and the doc type each syncs.
RESOURCES: dict[str, DocType] = {"mail": DocType.email, "calendar": DocType.calendar_event, "contacts": DocType.contact}
#: Records per batch event of a resync's listing (as a backfill page's default batch size).
RESYNC_BATCH_SIZE = 50
_SYNCING = (IntegrationStatus.live, IntegrationStatus.backfilling)
_REAUTH = (MicrosoftReauthRequired, GoogleReauthRequired)


@dataclass(frozen=True, slots=True)
class SyncKey:
    key: str
    resource: str

    @property
    def ref(self) -> str:
        """How logs name it (the key holds the user's address)."""
        provider, _, user = self.key.partition(":")
        return f"{provider}:{user_ref(user)}/{self.resource}"


@dataclass(frozen=True, slots=True)
class SyncResult:
    key: str
    resource: str
    #: synced, resynced (an expired cursor: a full listing), held (the backfill runs),
    #: skipped (not syncing: unknown, paused, disconnected, doc type not wanted), reauth.
    outcome: str
    published: Published | None = None


class LiveSync:
    def __init__(
        self, *, store: IntegrationStates, publisher: Publisher, clients: LiveClients, on_reauth: ReauthHook,
        settings: BridgeSettings, metrics: LiveMetrics | None = None,
        backoff: Backoff = Backoff(initial_s=1.0, max_s=60.0, retry_after_max_s=300.0),
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep, before_commit: BeforeCommit | None = None,
    ) -> None:
        self._store = store
        self._clients = clients
        self._on_reauth = on_reauth
        self._settings = settings
        self.metrics = metrics or METRICS
        self._backoff = backoff
        self._now = now
        self._sleep = sleep
        self._publishing = SyncPublisher(publisher, store, batch_size=RESYNC_BATCH_SIZE, now=now, before_commit=before_commit)
        self._slots: Coalescer[SyncKey, SyncResult, TraceContext] = Coalescer(
            self._run, min_interval_s=settings.sync_min_interval_ms / 1000)
        self._google = GoogleWorkers(clients)
        self._mail = GraphMail()
        #: Resources requested while their doc type's backfill ran.
        self._held: set[SyncKey] = set()
        #: Integrations whose grant was refused, with that grant.
        self._paused: dict[str, SecretStr | None] = {}
        self._tasks: list[asyncio.Task[None]] = []

    # -- the contract --------------------------------------------------------------------

    def request(self, key: str, resource: str, *, reason: str, trace: TraceContext | None = None) -> None:
        """Make sure a sync of (``key``, ``resource``) runs after this call (non-blocking); its
        events continue ``trace`` (a webhook's span) by the rule of ``sync_trace.py``."""
        slot = SyncKey(key, _resource(resource))
        integration = self._store.get(key)
        disposition = self._disposition(slot, integration)
        if disposition == "scheduled" and not self._slots.request(slot, trace):
            disposition = "coalesced"
        provider = integration.provider.value if integration else "unknown"
        self.metrics.requested(provider, slot.resource, disposition)
        log.debug("sync requested %s reason=%s disposition=%s trace_id=%s", slot.ref, reason, disposition,
                  trace.trace_id if trace else "-")

    async def sync_now(self, key: str, resource: str) -> SyncResult:
        """Sync (``key``, ``resource``) now (after the one running, if any) and return how it ended."""
        slot = SyncKey(key, _resource(resource))
        disposition = self._disposition(slot, self._store.get(key))
        if disposition != "scheduled":
            return SyncResult(key, slot.resource, "held" if disposition == "held" else "skipped")
        return await self._slots.run_next(slot)

    @property
    def held(self) -> set[tuple[str, str]]:
        """(key, resource) pairs requested while their backfill ran and not synced since."""
        return {(slot.key, slot.resource) for slot in self._held}

    async def start(self) -> None:
        """Start the People poller and the reconciliation backstop; a first round of the
        backstop right away catches up with what changed while the bridge was down."""
        self._reconcile()
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._every(self._settings.people_poll_interval_s, self._poll_people), name="people-poller"),
            loop.create_task(self._every(self._settings.reconcile_interval_s, self._reconcile), name="live-backstop"),
        ]

    async def drain(self) -> None:
        """Wait until no sync is running or queued."""
        await self._slots.idle()

    async def stop(self) -> None:
        """Stop the timers and every sync in progress (their cursors stay where they were)."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._slots.stop()
        self._google.close()

    # -- timers --------------------------------------------------------------------------

    async def _every(self, interval_s: float, tick: Callable[[], None]) -> None:
        while True:
            await asyncio.sleep(interval_s)  # the real clock: ``sleep`` is the retries' (tests skip those waits)
            try:
                tick()
            except Exception:  # noqa: BLE001 - a timer outlives one bad tick, loudly
                log.exception("live sync timer tick failed")

    def _poll_people(self) -> None:
        for integration in self._store.all():
            if integration.provider is Provider.google and integration.status in _SYNCING:
                self.request(integration.key, "contacts", reason="people-poll")

    def _reconcile(self) -> None:
        for integration in self._store.all():
            if integration.status not in _SYNCING:
                self._paused.pop(integration.key, None)
                self._forget(integration.key)  # its worker thread and folder names, until it syncs again
            else:
                for resource, doc_type in RESOURCES.items():
                    if doc_type in integration.doc_types:
                        self.request(integration.key, resource, reason="reconcile")

    # -- one sync ------------------------------------------------------------------------

    def _disposition(self, slot: SyncKey, integration: Integration | None) -> str:
        """scheduled, held or ignored (and the hold remembered)."""
        if integration is None or integration.status not in _SYNCING:
            self._paused.pop(slot.key, None)  # the orchestrator has it (needs-reauth, disconnected)
            return "ignored"
        if RESOURCES[slot.resource] not in integration.doc_types or self._still_paused(integration):
            return "ignored"
        if integration.backfilling(RESOURCES[slot.resource]):
            self._held.add(slot)
            return "held"
        self._held.discard(slot)
        return "scheduled"

    def _still_paused(self, integration: Integration) -> bool:
        """Paused after a revoked grant, until the integration holds another grant (reconnected)
        or the orchestrator took it out of syncing (and back)."""
        if integration.key not in self._paused:
            return False
        if integration.refresh_token == self._paused[integration.key]:
            return True
        del self._paused[integration.key]
        return False

    async def _run(self, slot: SyncKey, traces: list[TraceContext]) -> SyncResult:
        """One sync, retried until it is done (or the grant is gone), in the trace of the first
        request that carried one (``sync_trace.py``); every attempt is a span of its own."""
        parent, links = sync_trace(traces)
        attempt = 0
        while True:
            integration = self._store.get(slot.key)
            disposition = self._disposition(slot, integration)
            if disposition != "scheduled" or integration is None:
                outcome = "held" if disposition == "held" else "skipped"
                self.metrics.finished(integration.provider.value if integration else "unknown", slot.resource, outcome)
                return SyncResult(slot.key, slot.resource, outcome)
            try:
                return await self._sync(slot, integration, parent, links)
            except _REAUTH as exc:
                return await self._reauth(slot, integration, exc)
            except Exception as exc:  # noqa: BLE001 - everything else is waited out and tried again
                attempt += 1
                delay = self._backoff.delay(attempt, retry_after_s=getattr(exc, "retry_after_s", None))
                self.metrics.retried(integration.provider.value, slot.resource, exc)
                log.warning("live sync failed, retrying %s attempt=%d wait_s=%.1f error=%s: %s", slot.ref, attempt, delay,
                            type(exc).__name__, exc)
                await self._sleep(delay)

    async def _sync(self, slot: SyncKey, integration: Integration, parent: TraceContext | None,
                    links: list[TraceContext]) -> SyncResult:
        started = time.monotonic()
        with tracing.active().span(f"live sync {slot.resource}", parent=parent, links=links,
                                   attributes={"officestream.provider": integration.provider.value}) as trace:
            context = SyncContext(integration, slot.resource, RESOURCES[slot.resource], self._now(), trace=trace)
            published = await self._publishing.run(context, self._steps(context))
        outcome = "resynced" if published.resynced else "synced"
        seconds = time.monotonic() - started
        provider = integration.provider.value
        self.metrics.finished(provider, slot.resource, outcome, seconds)
        self.metrics.published(provider, slot.resource, updates=published.updates, deletes=published.deletes,
                               batches=published.batches)
        log.info("live sync %s %s updates=%d deletes=%d listed=%d dead_letters=%d cursors=%d seconds=%.3f trace_id=%s "
                 "links=%s", outcome, slot.ref, published.updates, published.deletes, published.listed,
                 published.dead_letters, len(published.stored), seconds, trace.trace_id,
                 ",".join(link.trace_id for link in links) or "-")
        return SyncResult(slot.key, slot.resource, outcome, published)

    def _steps(self, context: SyncContext) -> AsyncIterator[Step]:
        integration = context.integration
        if integration.provider is Provider.google:
            return google_steps(self._google, context)
        client = self._clients.graph(integration)
        if context.resource == "mail":
            return self._mail.steps(client, context)
        if context.resource == "calendar":
            return graph_calendar_steps(client, context)
        return graph_contact_steps(client, context)

    def _forget(self, key: str) -> None:
        """Drop an integration's worker thread and folder names, unless one of its syncs runs."""
        if not any(self._slots.running(SyncKey(key, resource)) for resource in RESOURCES):
            self._google.forget(key)
            self._mail.forget(key)

    async def _reauth(self, slot: SyncKey, integration: Integration, exc: Exception) -> SyncResult:
        reason = str(getattr(exc, "reason", None) or "invalid_grant")
        log.warning("grant revoked, integration paused %s reason=%s", slot.ref, reason)
        self._paused[slot.key] = integration.refresh_token
        self._google.forget(slot.key)  # built with the refused grant
        self._mail.forget(slot.key)
        self._clients.forget(integration)
        self.metrics.finished(integration.provider.value, slot.resource, "reauth")
        await self._on_reauth(integration, reason)
        return SyncResult(slot.key, slot.resource, "reauth")


def _resource(resource: str) -> str:
    if resource not in RESOURCES:
        raise ValueError(f"unknown resource {resource!r}: use {', '.join(RESOURCES)}")
    return resource
