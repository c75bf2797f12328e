"""The streaming bridge process (``officestream bridge serve``): one aiohttp application with the
internal API (``internal_api.py``) and the webhooks, and beside it the integration store, the
publisher, the backfill queue and the live side.

aiohttp, because the project already serves HTTP with it (the notifier, the provider emulator)
and its clients are async already: one HTTP stack, one event loop, no ASGI server to add.

``bootstrap_bridge()`` wires everything from the ``OFFICESTREAM_*`` environment (no network
yet); ``create_bridge_app(bridge)`` gives the application, which starts the bridge on startup
and stops it on cleanup. Starting reads ``integration-state`` to its end, registers every
integration's grant, catches up on hand-offs a crash interrupted (``Orchestrator.catch_up``),
then runs the backfill queue (jobs of every user, a few at a time), the live side (its People
poller and reconciliation backstop) and the renewals of push registrations. The webhooks
(``webhooks.py``) hand notifications to the live side; ``GET /metrics`` serves the process's
Prometheus metrics (webhooks, renewals, live syncs).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from connectors.microsoft.notifications import validation_reply
from connectors.tracing import TraceContext
from producers.backfill.job import BackfillJob
from producers.backfill.lease import JobHeldElsewhere, LeaseLost, LeaseUnavailable
from producers.backfill.queue import run_queue
from producers.backfill.service import BackfillService
from producers.bridge.internal_api import InternalApi, bearer_auth
from producers.bridge.renewals import Renewals
from producers.bridge.settings import BridgeSettings
from producers.bridge.webhooks import WebhookRoutes
from producers.integrations.content import ContentFetcher
from producers.integrations.reauth import ReauthGate
from producers.integrations.store import IntegrationStore
from producers.integrations.tokens import IntegrationTokens
from producers.integrations.watches import WatchRegistrar
from producers.orchestrator import Orchestrator

log = logging.getLogger("officestream.producers.bridge")

#: Seconds before a crashed queue loop is started again.
_QUEUE_RESTART_S = 5.0


class LiveService(Protocol):
    """The live side as the bridge runs it (``producers/live``'s ``LiveSync``)."""

    def request(self, key: str, resource: str, *, reason: str, trace: TraceContext | None = None) -> None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class NoLiveSync:
    """Stands in until the live side is wired: sync requests are only logged."""

    def request(self, key: str, resource: str, *, reason: str, trace: TraceContext | None = None) -> None:
        log.info("live sync requested (no live side wired) resource=%s reason=%s", resource, reason)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


@dataclass
class Bridge:
    settings: BridgeSettings
    backfill: BackfillService
    integrations: IntegrationStore
    tokens: IntegrationTokens
    watches: WatchRegistrar
    reauth: ReauthGate
    orchestrator: Orchestrator
    content: ContentFetcher
    live: LiveService
    #: Keeps the push registrations alive (``renewals.py``); None: nothing renews them.
    renewals: Renewals | None = None
    #: The webhook routes (``webhooks.py``); None: Graph's validation handshake only.
    webhooks: WebhookRoutes | None = None
    queue_concurrency: int = 4
    stale_after_s: float = 120.0
    queue_poll_s: float = 2.0
    _tasks: set[asyncio.Task[object]] = field(default_factory=set)
    _queue: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start everything, or (on failure) stop what had started and raise."""
        await self.backfill.start()
        try:
            for integration in (await self.integrations.load()).values():
                self.tokens.register(integration)
            jobs = await asyncio.to_thread(self.backfill.store.all)
            await self.orchestrator.catch_up(jobs, at_start=True)
            self._queue = asyncio.create_task(self._run_queue(asyncio.get_running_loop()),
                                              name="officestream-backfill-queue")
            await self.live.start()
            if self.renewals is not None:
                await self.renewals.start()
        except BaseException:
            await self.stop()
            raise
        log.info("bridge started integrations=%d", len(self.integrations.all()))

    async def stop(self) -> None:
        if self.renewals is not None:
            await self.renewals.stop()
        await self.live.stop()
        for task in [self._queue, *self._tasks]:
            if task is not None:
                task.cancel()
        await asyncio.gather(*(t for t in [self._queue, *self._tasks] if t is not None), return_exceptions=True)
        await self.backfill.close()

    async def _run_queue(self, loop: asyncio.AbstractEventLoop) -> None:
        def list_jobs() -> list[BackfillJob]:  # in a worker thread: hand-offs are caught up on the loop
            jobs = self.backfill.store.all()
            loop.call_soon_threadsafe(self._spawn, self.orchestrator.catch_up(jobs))
            return jobs

        while True:
            try:
                await run_queue(list_jobs, self._run_job, once=False, stale_after_s=self.stale_after_s,
                                concurrency=self.queue_concurrency, poll_s=self.queue_poll_s)
            except Exception as exc:  # noqa: BLE001 - the queue must outlive one bad round
                log.error("backfill queue failed, restarting error=%s: %s", type(exc).__name__, exc)
                await asyncio.sleep(_QUEUE_RESTART_S)

    async def _run_job(self, job: BackfillJob) -> BackfillJob:
        def on_update(updated: BackfillJob) -> None:
            if any(updated.doc(doc_type).done for doc_type in updated.doc_types):
                self._spawn(self.orchestrator.hand_off(updated))

        try:
            done = await self.backfill.runner(on_update=on_update).run(job)
            await self.orchestrator.hand_off(done)
            return done
        except (JobHeldElsewhere, LeaseLost, LeaseUnavailable):
            raise  # another runner has the job: the queue leaves it to that runner
        except Exception as exc:  # noqa: BLE001 - the job stays stored as it was: the queue retakes it when stale
            log.error("backfill job stopped job=%s error=%s: %s", job.job_id, type(exc).__name__, exc)
            return job

    def _spawn(self, work: object) -> None:
        task = asyncio.ensure_future(work)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[object]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            log.error("hand-off failed (retried at the next queue poll) error=%s: %s", type(exc).__name__, exc)


Webhooks = Callable[[web.Application, Bridge], None]


def graph_handshake_only(app: web.Application, bridge: Bridge) -> None:
    """``/webhooks/microsoft`` answering Graph's validation handshake, acknowledging the rest."""

    async def handshake(request: web.Request) -> web.Response:
        reply = validation_reply(request.query)
        if reply is None:
            return web.Response(status=202)
        return web.Response(status=reply.status, text=reply.body, content_type=reply.content_type)

    app.router.add_post("/webhooks/microsoft", handshake)


async def metrics_page(_: web.Request) -> web.Response:
    return web.Response(body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})


def create_bridge_app(bridge: Bridge, *, webhooks: Iterable[Webhooks] | None = None) -> web.Application:
    token = bridge.settings.internal_token
    assert token is not None  # checked by bootstrap_bridge
    app = web.Application(middlewares=[bearer_auth(token)], client_max_size=bridge.settings.max_body_bytes)
    InternalApi(orchestrator=bridge.orchestrator, integrations=bridge.integrations, backfill=bridge.backfill,
                content=bridge.content, reauth=bridge.reauth).add_routes(app)
    if webhooks is None:
        webhooks = [lambda app, bridge: bridge.webhooks.add_routes(app)] if bridge.webhooks else [graph_handshake_only]
    for add in webhooks:
        add(app, bridge)
    app.router.add_get("/metrics", metrics_page)

    async def start(_: web.Application) -> None:
        await bridge.start()

    async def stop(_: web.Application) -> None:
        await bridge.stop()

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    return app


class RouteAccessLogger(AbstractAccessLogger):
    """Access lines that name the route, not the path: paths hold user addresses and query
    strings hold tokens (Graph's validationToken, the Pub/Sub push URL's token)."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        route = request.match_info.route.resource if isinstance(request, web.Request) else None
        where = route.canonical if route is not None else "(no route)"
        self.logger.info("http %s %s status=%d ms=%.1f", request.method, where, response.status, time * 1000)


async def run_bridge(bridge: Bridge, *, host: str, port: int, stop: asyncio.Event | None = None,
                     on_ready: Callable[[str], None] = lambda url: None) -> None:
    """Serve ``bridge`` on ``host:port`` until ``stop`` is set (default: SIGINT / SIGTERM)."""
    runner = web.AppRunner(create_bridge_app(bridge), access_log_class=RouteAccessLogger)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0][1]
        if stop is None:
            stop = asyncio.Event()
            for sig in (signal.SIGINT, signal.SIGTERM):
                asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        log.info("bridge listening on http://%s:%d", host, bound)
        on_ready(f"http://{host}:{bound}")
        await stop.wait()
    finally:
        await runner.cleanup()
