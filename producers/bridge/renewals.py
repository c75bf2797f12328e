"""Keeping every push registration alive: ``Renewals`` checks each active integration's watches
every ``OFFICESTREAM_BRIDGE_RENEW_CHECK_INTERVAL_S`` and renews those past
``OFFICESTREAM_MICROSOFT_SUBSCRIPTION_RENEW_FRACTION`` of their lifetime (half, by default:
one failed renewal still leaves time for several more before the registration lapses).

- Graph subscriptions are PATCHed to a new expiry (their maximum lifetime per resource is
  ``OFFICESTREAM_MICROSOFT_SUBSCRIPTION_MAX_MINUTES_*``); one Graph no longer has (404) is
  created again. A ``reauthorizationRequired`` lifecycle notification renews at once.
- The Gmail watch is called again; a Calendar channel is replaced by a new one (stored first,
  then the old one stopped, so there is no moment without a channel).
- ``subscriptionRemoved`` (``recreate``): the orchestrator creates a new registration for the
  resource (``Orchestrator.recreate_watch``), then the live side syncs the resource, catching up
  with whatever changed while there was none.

Each renewal runs under the orchestrator's lock of its integration (no race with a disconnect)
and stores the result with ``IntegrationStore.update``; a failure is logged, counted and retried
with backoff (``connectors/backoff.py``) until it succeeds or the registration is gone; a
revoked grant pauses the integration (``ReauthGate``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from connectors.backoff import Backoff
from connectors.microsoft.exceptions import GraphNotFound
from producers.bridge.metrics import METRICS, BridgeMetrics
from producers.integrations.reauth import ReauthGate
from producers.integrations.state import Integration, Watch
from producers.integrations.store import IntegrationStore
from producers.integrations.watches import WatchRegistrar
from producers.orchestrator import LiveSide, Orchestrator
from schemas.redaction import user_ref

log = logging.getLogger("officestream.producers.bridge")

RENEW, RECREATE = "renew", "recreate"


def renewal_due(watch: Watch, now: dt.datetime, fraction: float) -> bool:
    return now >= watch.renewed_at + (watch.expires_at - watch.renewed_at) * fraction


def _find(integration: Integration | None, kind: str, watch_id: str) -> Watch | None:
    if integration is None or not integration.active:
        return None
    return next((w for w in integration.watches if w.kind == kind and w.id == watch_id), None)


class Renewals:
    def __init__(self, *, integrations: IntegrationStore, watches: WatchRegistrar, orchestrator: Orchestrator,
                 reauth: ReauthGate, live: Callable[[], LiveSide], check_interval_s: float, fraction: float,
                 metrics: BridgeMetrics = METRICS, backoff: Backoff = Backoff(initial_s=2.0, max_s=300.0, retry_after_max_s=300.0),
                 now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._integrations = integrations
        self._watches = watches
        self._orchestrator = orchestrator
        self._reauth = reauth
        self._live = live
        self._check_interval_s = check_interval_s
        self._fraction = fraction
        self.metrics = metrics
        self._backoff = backoff
        self._now = now
        self._sleep = sleep
        self._running: dict[tuple[str, str, str], asyncio.Task[None]] = {}
        self._timer: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._timer = asyncio.create_task(self._every(), name="officestream-renewals")

    async def stop(self) -> None:
        tasks = [t for t in (self._timer, *self._running.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._running.clear()

    async def _every(self) -> None:
        while True:
            try:
                self.check()
            except Exception:  # noqa: BLE001 - the timer outlives one bad round, loudly
                log.exception("renewal check failed")
            await asyncio.sleep(self._check_interval_s)

    def check(self, *, now: dt.datetime | None = None) -> None:
        """Start the renewal of every watch past its renewal point (at ``now``: tests)."""
        now = now or self._now()
        for integration in self._integrations.all():
            if integration.active:
                for watch in integration.watches:
                    if renewal_due(watch, now, self._fraction):
                        self.start_work(integration.key, watch, RENEW)

    def start_work(self, key: str, watch: Watch, action: str) -> None:
        """Renew or recreate ``watch`` in the background, retried until done (one at a time per watch)."""
        slot = (key, watch.kind, watch.id)
        if slot in self._running:
            return
        task = asyncio.create_task(self._retrying(key, watch, action), name=f"officestream-{action}")
        self._running[slot] = task
        task.add_done_callback(lambda _: self._running.pop(slot, None))

    async def idle(self) -> None:
        """Wait until no renewal runs (tests)."""
        while self._running:
            await asyncio.gather(*list(self._running.values()), return_exceptions=True)

    async def _retrying(self, key: str, watch: Watch, action: str) -> None:
        attempt = 0
        provider, _, user = key.partition(":")
        where = f"kind={watch.kind} resource={watch.resource} user={provider}:{user_ref(user)}"
        while _find(self._integrations.get(key), watch.kind, watch.id) is not None:
            try:
                done = await (self._recreate(key, watch) if action == RECREATE else self._renew(key, watch))
            except Exception as exc:  # noqa: BLE001 - retried below, or the integration paused
                if self._reauth.is_reauth(exc):
                    self.metrics.renewal(watch.kind, action, "reauth")
                    await self._reauth.required(key, exc)
                    return
                attempt += 1
                delay = self._backoff.delay(attempt, retry_after_s=getattr(exc, "retry_after_s", None))
                self.metrics.renewal(watch.kind, action, "failed")
                log.warning("registration %s failed, retrying %s attempt=%d wait_s=%.1f error=%s", action, where, attempt,
                            delay, type(exc).__name__)
                await self._sleep(delay)
                continue
            if done is not None:
                self.metrics.renewal(watch.kind, action, "ok")
                log.info("registration %s %s expires_at=%s", "renewed" if action == RENEW else "recreated", where,
                         done.expires_at.isoformat(timespec="seconds"))
            return

    async def _renew(self, key: str, watch: Watch) -> Watch | None:
        async with self._orchestrator.lock(key):
            integration = self._integrations.get(key)
            if integration is None or _find(integration, watch.kind, watch.id) is None:
                return None
            try:
                new = await self._watches.renew(integration, watch)
            except GraphNotFound:
                new = None
        if new is None:  # Graph dropped it meanwhile: a new one, then a sync for what it missed
            return await self._recreate(key, watch)
        await self._integrations.update(key, lambda current: current.with_watches(
            tuple(new if (w.kind, w.id) == (watch.kind, watch.id) else w for w in current.watches), now=self._now()))
        if new.id != watch.id:  # a Calendar channel: the new one is stored, the old one goes
            try:
                await self._watches.stop(integration, watch)
            except Exception as exc:  # noqa: BLE001 - it expires by itself; its notifications are ignored
                log.warning("replaced channel not stopped kind=%s error=%s", watch.kind, type(exc).__name__)
        return new

    async def _recreate(self, key: str, watch: Watch) -> Watch:
        new = await self._orchestrator.recreate_watch(key, watch.id)
        self._live().request(key, watch.resource, reason="registration-recreated")
        return new
