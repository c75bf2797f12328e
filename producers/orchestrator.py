"""The orchestrator: connects and disconnects integrations, and hands each finished backfill over
to the live side. ``officestream connect`` and ``POST /internal/integrations`` both end in
``Orchestrator.connect`` inside the bridge process, the one owner of the integrations.

Connecting, in this order, so that no change made while the history is crawled is lost:

1. the integration is stored (``backfilling``, its grant sealed, the backfill job's id reserved);
2. the push registrations are created and stored (Graph subscriptions, Gmail watch, Calendar
   channel): from here on every change is notified, and the live side holds a doc type's
   changes until its backfill is done;
3. ``IntegrationConnectedEvent`` is published on ``integration-events``;
4. the backfill job is queued (the bridge's backfill queue runs it).

When a doc type's backfill completes, its sync cursor becomes the integration's cursors and the
doc type is marked backfilled in the same write (``live`` once all are); then the live side is
asked to sync it, from exactly where the crawl's listing ended. Every step is safe to repeat,
and ``catch_up`` repeats what a crash interrupted: at start, an integration still
``backfilling`` whose job completed doc types gets them handed off, and one whose job was never
queued (the bridge died mid-connect) has its registrations removed and is ``disconnected``
(connect again). A registration created just before such a crash and not yet stored is left to
expire at the provider; its notifications name nothing the bridge knows.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from pydantic import SecretStr

from connectors.kafka.topics import INTEGRATION_EVENTS
from connectors.tracing import TraceContext
from producers.backfill.job import BackfillJob, JobStatus
from producers.backfill.store import JobStore
from producers.exceptions import ProducerError
from producers.integrations.cursors import handoff_cursors
from producers.integrations.reauth import ReauthGate
from producers.integrations.state import RESOURCES, Integration, IntegrationStatus, Watch, integration_key
from producers.integrations.store import IntegrationNotFound, IntegrationStore
from producers.integrations.tokens import IntegrationTokens
from producers.integrations.watches import WatchRegistrar, pushed_resources
from producers.publisher import Publisher
from schemas.models import DocType, IntegrationConnectedEvent, Provider
from schemas.redaction import user_ref

log = logging.getLogger("officestream.producers.orchestrator")

ALL_DOC_TYPES = (DocType.email, DocType.calendar_event, DocType.contact)


class LiveSide(Protocol):
    """What the orchestrator needs of the live side (``producers/live``'s ``LiveSync``)."""

    def request(self, key: str, resource: str, *, reason: str, trace: TraceContext | None = None) -> None: ...


class AlreadyConnected(ProducerError):
    """The integration is connected (backfilling or live): disconnect it first."""


class ConnectFailed(ProducerError):
    """A push registration could not be created; nothing of the connect is left at the provider."""

    def __init__(self, message: str, *, retriable: bool) -> None:
        super().__init__(message)
        self.retriable = retriable


@dataclass(frozen=True, kw_only=True)
class ConnectRequest:
    provider: Provider
    user_id: str
    doc_types: tuple[DocType, ...] = ALL_DOC_TYPES
    #: The user's delegated grant (msal token cache or refresh token; a Google refresh token);
    #: None: app-only (Microsoft) or domain-wide delegation (Google).
    grant: SecretStr | None = None
    account_email: str | None = None
    scopes: tuple[str, ...] = ()
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    batch_size: int = 50


class Orchestrator:
    def __init__(self, *, integrations: IntegrationStore, jobs: JobStore, publisher: Publisher, watches: WatchRegistrar,
                 tokens: IntegrationTokens, reauth: ReauthGate, live: LiveSide,
                 now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> None:
        self._integrations = integrations
        self._jobs = jobs
        self._publisher = publisher
        self._watches = watches
        self._tokens = tokens
        self._reauth = reauth
        self.live = live
        self.now = self._now = now
        #: One connect / disconnect / re-registration per integration at a time.
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    def lock(self, key: str) -> asyncio.Lock:
        """The lock every change of ``key``'s registrations holds (renewals take it too)."""
        return self._locks[key]

    # -- connect and disconnect ---------------------------------------------------------------

    async def connect(self, request: ConnectRequest) -> tuple[Integration, BackfillJob]:
        key = integration_key(request.provider, request.user_id)
        async with self._locks[key]:
            previous = self._integrations.get(key)
            if previous is not None and previous.active:
                raise AlreadyConnected(f"{request.provider.value} is already connected for this user "
                                       f"({previous.status.value}): disconnect first")
            now = self._now()
            job = BackfillJob.new(user_id=request.user_id, provider=request.provider, doc_types=request.doc_types,
                                  now=now, since=request.since, until=request.until, batch_size=request.batch_size)
            integration = Integration(user_id=request.user_id, provider=request.provider, doc_types=request.doc_types,
                                      account_email=request.account_email, refresh_token=request.grant,
                                      backfill_job_id=job.job_id, created_at=now, updated_at=now)
            self._watches.check(integration)
            if previous is not None:
                await self._remove_watches(previous, previous.watches)
                await self._cancel_backfill(previous)
            await self._integrations.save(integration)
            self._tokens.register(integration)
            integration = await self._register(integration)
            try:
                await self._announce(integration, request, job)
                await self._jobs.save(job)
            except Exception as exc:  # the caller may connect again at once
                await self._undo(integration, f"connect failed before its backfill was queued: {type(exc).__name__}")
                raise
        log.info("integration connected provider=%s user=%s job=%s watches=%d", request.provider.value,
                 user_ref(request.user_id), job.job_id, len(integration.watches))
        return integration, job

    async def disconnect(self, provider: Provider, user_id: str) -> Integration:
        """Stop streaming: registrations removed, backfill cancelled, grant forgotten."""
        key = integration_key(provider, user_id)
        async with self._locks[key]:
            integration = self._integrations.get(key)
            if integration is None:
                raise IntegrationNotFound(key)
            problem = await self._remove_watches(integration, integration.watches)
            await self._cancel_backfill(integration)
            self._tokens.forget(user_id)
            gone = await self._integrations.update(key, lambda current: current.model_copy(update={
                "status": IntegrationStatus.disconnected, "watches": (), "refresh_token": None, "cursors": {},
                "backfilled": (), "updated_at": self._now(), "last_error": problem}))
        log.info("integration disconnected provider=%s user=%s", provider.value, user_ref(user_id))
        return gone

    async def recreate_watch(self, key: str, watch_id: str) -> Watch:
        """A registration the provider dropped (Graph ``subscriptionRemoved``): a new one for the
        same resource replaces it. The caller then asks the live side to sync the resource."""
        async with self._locks[key]:
            integration = self._integrations.get(key)
            if integration is None:
                raise IntegrationNotFound(key)
            old = next((watch for watch in integration.watches if watch.id == watch_id), None)
            if old is None:
                raise IntegrationNotFound(key)
            new = await self._watches.create(integration, old.resource)
            await self._integrations.update(key, lambda current: current.with_watches(
                tuple(new if watch.id == watch_id else watch for watch in current.watches), now=self._now()))
        return new

    async def _register(self, integration: Integration) -> Integration:
        created: list[Watch] = []
        try:
            for resource in pushed_resources(integration):
                created.append(await self._watches.create(integration, resource))
        except Exception as exc:
            await self._remove_watches(integration, created)
            if self._reauth.is_reauth(exc):
                await self._reauth.required(integration.key, exc)
            else:
                await self._integrations.update(integration.key, lambda current: current.with_status(
                    IntegrationStatus.disconnected, now=self._now(), error=f"connect failed: {type(exc).__name__}"))
            raise ConnectFailed(f"push registration failed: {type(exc).__name__}: {exc}",
                                retriable=bool(getattr(exc, "retriable", False))) from exc
        return await self._integrations.update(integration.key,
                                               lambda current: current.with_watches(tuple(created), now=self._now()))

    async def _remove_watches(self, integration: Integration, watches: Iterable[Watch]) -> str | None:
        """Remove ``watches`` at the provider; a failure is logged and said in the answer (the
        registration then lapses at its expiry), never raised."""
        failed = []
        for watch in watches:
            try:
                await self._watches.stop(integration, watch)
            except Exception as exc:  # noqa: BLE001 - best effort: the registration expires by itself
                failed.append(watch.kind)
                log.warning("registration not removed kind=%s user=%s error=%s", watch.kind,
                            user_ref(integration.user_id), type(exc).__name__)
        return f"not removed at the provider (they expire): {', '.join(failed)}" if failed else None

    async def _cancel_backfill(self, integration: Integration) -> None:
        job = await asyncio.to_thread(self._jobs.get, integration.backfill_job_id) if integration.backfill_job_id else None
        if job is not None and not job.status.finished:
            await self._jobs.save(job.with_status(JobStatus.cancelled, now=self._now(), error="integration disconnected"))

    async def _announce(self, integration: Integration, request: ConnectRequest, job: BackfillJob) -> None:
        metadata = self._publisher.stamper.metadata("IntegrationConnectedEvent", user_id=integration.user_id,
                                                    provider=integration.provider, occurred_at=self._now(),
                                                    correlation_id=job.job_id)
        await self._publisher.publish_event(INTEGRATION_EVENTS, IntegrationConnectedEvent(
            metadata=metadata, integration_id=integration.key, account_email=integration.account_email,
            scopes=list(request.scopes), doc_types=list(integration.doc_types), backfill_since=request.since))

    # -- the hand-off from backfill to live ---------------------------------------------------

    async def hand_off(self, job: BackfillJob) -> None:
        """Hand every doc type ``job`` completed to the live side (idempotent); a job refused
        for a revoked grant pauses its integration."""
        key = integration_key(job.provider, job.user_id)
        integration = self._integrations.get(key)
        if integration is None or integration.backfill_job_id != job.job_id:
            return
        if integration.status is IntegrationStatus.backfilling:
            handed: list[DocType] = []
            await self._integrations.update(key, lambda current: self._backfilled(current, job, handed))
            for doc_type in handed:
                trace = TraceContext.of_job(job.job_id)  # the catch-up sync is the job's last step
                log.info("backfill handed off job=%s type=%s user=%s trace_id=%s", job.job_id, doc_type.value,
                         user_ref(job.user_id), trace.trace_id)
                self.live.request(key, RESOURCES[doc_type], reason="backfill-completed", trace=trace)
        if job.status is JobStatus.failed:
            await self._backfill_failed(key, job)

    def _backfilled(self, current: Integration, job: BackfillJob, handed: list[DocType]) -> Integration:
        handed.clear()
        for doc_type in current.doc_types:
            progress = job.doc(doc_type)
            if current.status is not IntegrationStatus.backfilling or not progress.done or doc_type in current.backfilled:
                continue
            cursors = handoff_cursors(job.provider, doc_type, progress.sync_cursor)
            if not cursors:
                log.warning("backfill ended without a sync cursor job=%s type=%s: the live side resyncs it",
                            job.job_id, doc_type.value)
            current = current.with_backfilled(doc_type, cursors, now=self._now())
            handed.append(doc_type)
        return current

    async def _backfill_failed(self, key: str, job: BackfillJob) -> None:
        if (job.last_error or "").startswith("ReauthRequired"):
            await self._reauth.required(key, None, detail="the backfill was refused by the provider")
            return
        error = f"backfill {job.job_id} failed: {job.last_error}"
        await self._integrations.update(key, lambda current: current.model_copy(
            update={"last_error": error, "updated_at": self._now()}) if current.last_error != error else current)

    async def catch_up(self, jobs: Iterable[BackfillJob], *, at_start: bool = False) -> None:
        """Hand off what ``jobs`` completed; ``at_start``, also undo connects a crash cut short."""
        by_id = {job.job_id: job for job in jobs}
        for integration in self._integrations.all():
            if integration.status is not IntegrationStatus.backfilling or integration.backfill_job_id is None:
                continue
            job = by_id.get(integration.backfill_job_id)
            if job is not None:
                await self.hand_off(job)
            elif at_start:
                await self._interrupted(integration)

    async def _interrupted(self, integration: Integration) -> None:
        async with self._locks[integration.key]:
            await self._undo(integration, "connect was interrupted before its backfill was queued: connect again")
        log.warning("interrupted connect undone provider=%s user=%s", integration.provider.value,
                    user_ref(integration.user_id))

    async def _undo(self, integration: Integration, error: str) -> None:
        """A connect that did not queue its backfill: registrations removed, ``disconnected``."""
        await self._remove_watches(integration, integration.watches)
        await self._integrations.update(integration.key, lambda current: current.model_copy(update={
            "status": IntegrationStatus.disconnected, "watches": (), "updated_at": self._now(), "last_error": error}))

    async def store_token_cache(self, key: str, cache: SecretStr) -> None:
        """msal rotated a user's tokens: keep the new cache (sealed) for the next start."""
        try:
            await self._integrations.update(key, lambda current: current.model_copy(
                update={"refresh_token": cache, "updated_at": self._now()})
                if current.status is not IntegrationStatus.disconnected else current)
        except IntegrationNotFound:
            return
