"""The webhook routes of the bridge: thin aiohttp handlers over ``intake.py``.

- ``POST /webhooks/microsoft``: Graph's validation handshake (``?validationToken=`` echoed as
  text/plain, 200), else a notification collection: change notifications request a sync,
  lifecycle notifications renew (``reauthorizationRequired``), recreate then sync
  (``subscriptionRemoved``) or sync (``missed``). Answered 202 once the work is queued.
- ``POST /webhooks/google/gmail``: a Pub/Sub push (``?token=``, optional OIDC bearer).
- ``POST /webhooks/google/calendar``: a Calendar channel notification (``X-Goog-*`` headers).

Answers: 202 accepted (or acknowledged and ignored: unknown registration, duplicate, paused
integration), 200 for Graph's handshake and a channel's ``sync``, 400 malformed, 401 a missing
or wrong OIDC token, 403 a wrong clientState / push token / channel token, 413 a body over
``OFFICESTREAM_BRIDGE_MAX_BODY_BYTES`` (refused from its Content-Length, before it is read).
Nothing of a refused request is acted on. Every request is counted by outcome; log lines name
the outcome and ids, never a token, clientState or body.

Tracing: each request is a span, the child of the request's ``traceparent`` when it carries a
valid one (a gateway in front of the bridge may send it; Graph and Pub/Sub do not), else the
root of a new trace. The syncs it requests continue that trace (``producers/live/sync_trace.py``
for coalesced ones), and its log lines name it as ``trace_id=``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from connectors import tracing
from connectors.google.exceptions import PushRejected
from connectors.microsoft.notifications import validation_reply
from connectors.tracing import TraceContext
from producers.bridge.intake import Intake, WebhookIntake
from producers.bridge.metrics import METRICS, BridgeMetrics
from producers.bridge.push_oidc import PushTokenVerifier
from producers.bridge.renewals import RECREATE, Renewals
from producers.orchestrator import LiveSide

#: A webhook handler: the request and its span (``_timed``).
Handler = Callable[[web.Request, TraceContext], Awaitable[web.StreamResponse]]
Route = Callable[[web.Request], Awaitable[web.StreamResponse]]

log = logging.getLogger("officestream.producers.bridge.webhooks")


@dataclass
class WebhookRoutes:
    intake: WebhookIntake
    live: LiveSide
    renewals: Renewals
    max_body_bytes: int
    oidc: PushTokenVerifier | None = None
    metrics: BridgeMetrics = METRICS

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/webhooks/microsoft", self._timed("microsoft", self.microsoft))
        app.router.add_post("/webhooks/google/gmail", self._timed("gmail", self.gmail))
        app.router.add_post("/webhooks/google/calendar", self._timed("calendar", self.calendar))

    def _timed(self, provider: str, handler: Handler) -> Route:
        async def timed(request: web.Request) -> web.StreamResponse:
            started = time.perf_counter()
            caller = TraceContext.parse(request.headers.get("traceparent"))
            try:
                with tracing.active().span(f"webhook {provider}", parent=caller, kind="server") as trace:
                    return await handler(request, trace)
            finally:
                self.metrics.answered(provider, time.perf_counter() - started)

        return timed

    async def microsoft(self, request: web.Request, trace: TraceContext) -> web.StreamResponse:
        reply = validation_reply(request.query)
        if reply is not None:
            self.metrics.webhook("microsoft", "handshake")
            return web.Response(status=reply.status, text=reply.body, content_type=reply.content_type)
        body = await self._body(request, "microsoft", trace)
        if isinstance(body, web.Response):
            return body
        return self._act(trace, "microsoft", self.intake.graph(body))

    async def gmail(self, request: web.Request, trace: TraceContext) -> web.StreamResponse:
        if self.oidc is not None:
            try:
                await self.oidc.verify(request.headers.get("Authorization"))
            except PushRejected as exc:
                return self._act(trace, "gmail", Intake(401, ["forged"], detail=str(exc)))
        body = await self._body(request, "gmail", trace)
        if isinstance(body, web.Response):
            return body
        return self._act(trace, "gmail", self.intake.gmail(body, url_token=request.query.get("token")))

    async def calendar(self, request: web.Request, trace: TraceContext) -> web.StreamResponse:
        body = await self._body(request, "calendar", trace)  # empty for real notifications; read so the connection is reusable
        if isinstance(body, web.Response):
            return body
        return self._act(trace, "calendar", self.intake.calendar(request.headers))

    async def _body(self, request: web.Request, provider: str, trace: TraceContext) -> bytes | web.Response:
        length = request.content_length
        if length is not None and length > self.max_body_bytes:
            return self._act(trace, provider, Intake(413, ["oversized"], detail=f"body of {length} bytes"))
        try:
            return await request.read()  # the app's client_max_size stops a body without a length
        except web.HTTPRequestEntityTooLarge:
            return self._act(trace, provider, Intake(413, ["oversized"], detail="body over the limit"))

    def _act(self, trace: TraceContext, provider: str, intake: Intake) -> web.Response:
        trace_id = trace.trace_id
        for key, resource, reason in intake.syncs:
            self.live.request(key, resource, reason=reason, trace=trace)
        if intake.syncs:
            log.info("webhook accepted provider=%s syncs=%d trace_id=%s", provider, len(intake.syncs), trace_id)
        for key, watch, action in intake.lifecycle:
            self.renewals.start_work(key, watch, action)
            log.info("webhook lifecycle provider=%s action=%s kind=%s resource=%s", provider,
                     "recreate" if action == RECREATE else action, watch.kind, watch.resource)
        for outcome in set(intake.outcomes):
            self.metrics.webhook(provider, outcome, intake.outcomes.count(outcome))
        if intake.status >= 400 or intake.detail:
            level = logging.WARNING if intake.status >= 400 else logging.INFO
            log.log(level, "webhook %s provider=%s status=%d outcomes=%s trace_id=%s detail=%s",
                    "refused" if intake.status >= 400 else "ignored in part", provider, intake.status,
                    ",".join(sorted(set(intake.outcomes))), trace_id, intake.detail.strip())
        return web.Response(status=intake.status)
