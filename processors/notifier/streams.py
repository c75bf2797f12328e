"""The two live transports, ``GET /events`` (SSE) and ``GET /ws`` (WebSocket), over one hub.

Both do the same: authorize, subscribe (receiving the replay for ``Last-Event-ID`` atomically),
send the replay, then live notifications and a heartbeat whenever ``heartbeat_s`` passes without
one. A connection ends when the hub drops it (slow consumer) or shuts down, when its token
expires (the client reconnects and must present a fresh one), or when a write fails or takes
longer than ``write_timeout_s`` — the last is how vanished clients are found and cleaned up.

A connection over the hub's limits is refused before the stream starts (before the WebSocket
upgrade): 429 when the user holds ``max_connections_per_user`` already, 503 when the instance
holds ``max_connections``, each with ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Final

from aiohttp import WSMsgType, web

from processors.notifier import sse
from processors.notifier.announced import AnnouncedVersions
from processors.notifier.assignment import AssignmentWatch
from processors.notifier.auth import authorize
from processors.notifier.exceptions import (
    ConnectionLimitReached,
    InvalidResumeToken,
    SubscriptionClosed,
    UserConnectionLimitReached,
)
from processors.notifier.hub import NotificationHub, Subscription, user_ref
from processors.notifier.notifications import Notification
from processors.notifier.resume_token import MAX_TOKEN_CHARS
from processors.notifier.ring import Buffered
from processors.notifier.settings import NotifierSettings
from processors.notifier.tokens import StreamTokens, VerifiedToken

log = logging.getLogger(__name__)

MAX_LAST_EVENT_ID_CHARS = MAX_TOKEN_CHARS


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """A quiet interval; with ``event_id`` (a checkpoint: ``Subscription.checkpoint``) the client
    records how far it has read without an event (an ``id:``-only SSE frame dispatches nothing)."""

    event_id: str | None = None


class _Resync:
    pass


@dataclass(frozen=True, slots=True)
class Framed:
    """A notification with the ``id`` this connection sends it under (``Subscription.event_id``)."""

    entry: Buffered
    event_id: str

    @property
    def notification(self) -> Notification:
        return self.entry.notification


HEARTBEAT: Final = Heartbeat()
RESYNC: Final = _Resync()
Outgoing = Framed | Heartbeat | _Resync


@dataclass(frozen=True, slots=True)
class StreamServices:
    """What the stream handlers need, stored on the application under ``SERVICES``."""

    hub: NotificationHub
    tokens: StreamTokens
    settings: NotifierSettings
    #: The worker's partition coverage (``/healthz``); ``None`` when served without a consumer (tests).
    assignment: AssignmentWatch | None = None
    #: The versions the worker has announced (``/healthz``); ``None`` without a consumer (tests).
    announced: AnnouncedVersions | None = None


SERVICES: Final = web.AppKey("notifier_services", StreamServices)


def last_event_id(request: web.Request) -> str | None:
    """``Last-Event-ID`` (sent by EventSource on reconnect) wins over ``?last_event_id=``."""
    value = request.headers.get("Last-Event-ID") or request.query.get("last_event_id") or None
    if value is not None and len(value) > MAX_LAST_EVENT_ID_CHARS:
        raise web.HTTPBadRequest(text=f"last event id longer than {MAX_LAST_EVENT_ID_CHARS} characters")
    return value


async def outgoing(subscription: Subscription, *, heartbeat_s: float, seconds_left: float) -> AsyncIterator[Outgoing]:
    """What one connection sends, in order: resync marker, replay, then live items and heartbeats.

    Ends when the subscription is closed or ``seconds_left`` (the token's lifetime) runs out.
    """
    if not subscription.replay.exact:
        yield RESYNC
    for entry in subscription.replay.entries:
        yield Framed(entry, subscription.event_id(entry))
    if (checkpoint := subscription.checkpoint()) is not None:  # a client that reconnects before any notification resumes too
        yield Heartbeat(checkpoint)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds_left
    while (left := deadline - loop.time()) > 0:
        try:
            live = await subscription.next_entry(timeout=min(heartbeat_s, left))
        except SubscriptionClosed:
            return
        if live is not None:
            if not subscription.sent_already(live):  # an instance behind the one the client came from
                yield Framed(live, subscription.event_id(live))
        elif loop.time() < deadline:  # a quiet interval, not the token running out
            yield Heartbeat(subscription.checkpoint())


def subscribe(request: web.Request, services: StreamServices, verified: VerifiedToken) -> Subscription:
    """The connection's subscription, or a 429 / 503 with ``Retry-After`` over a limit (module docstring)."""
    resume_from = last_event_id(request)
    try:
        subscription = services.hub.subscribe(verified.user_id, last_event_id=resume_from)
    except InvalidResumeToken as exc:
        raise web.HTTPBadRequest(text=str(exc)) from exc
    except ConnectionLimitReached as exc:
        refusal = web.HTTPTooManyRequests if isinstance(exc, UserConnectionLimitReached) else web.HTTPServiceUnavailable
        raise refusal(
            headers={"Retry-After": str(services.settings.retry_after_s)},
            text=json.dumps({"error": "too_many_connections", "detail": str(exc)}),
            content_type="application/json",
        ) from exc
    subscription.on_drop = lambda: _abort(request)
    return subscription


def _abort(request: web.Request) -> None:
    transport = request.transport
    if transport is not None:
        transport.abort()


async def _pump(
    request: web.Request,
    services: StreamServices,
    subscription: Subscription,
    seconds_left: float,
    send: Callable[[Outgoing], Awaitable[None]],
) -> str:
    """Send everything ``outgoing`` yields; returns why the stream ended, for the log."""
    settings = services.settings
    try:
        async for item in outgoing(subscription, heartbeat_s=settings.heartbeat_s, seconds_left=seconds_left):
            async with asyncio.timeout(settings.write_timeout_s):
                await send(item)
    except TimeoutError:
        _abort(request)
        return "write_timeout"
    except ConnectionError:
        _abort(request)
        return subscription.closed_reason or "client_gone"
    return subscription.closed_reason or "token_expired"


def _log_end(transport: str, subscription: Subscription, reason: str) -> None:
    log.info(
        "notifier stream ended transport=%s subscription=%d user=%s reason=%s",
        transport, subscription.id, user_ref(subscription.user_id), reason,
    )


async def stream_events(request: web.Request) -> web.StreamResponse:
    """``GET /events``: the user's notifications as server-sent events."""
    services = request.app[SERVICES]
    verified = authorize(request, services.tokens)
    response = web.StreamResponse(
        headers={"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no"},
    )
    response.content_type = "text/event-stream"
    with subscribe(request, services, verified) as subscription:
        try:
            await response.prepare(request)
            await response.write(sse.retry(services.settings.client_retry_ms))
        except ConnectionError:  # gone before the stream started: nothing to clean up but the subscription
            _log_end("sse", subscription, "client_gone")
            return response

        async def send(item: Outgoing) -> None:
            await response.write(_sse_bytes(item))

        reason = await _pump(request, services, subscription, services.tokens.seconds_left(verified), send)
    _log_end("sse", subscription, reason)
    return response


def _sse_bytes(item: Outgoing) -> bytes:
    if isinstance(item, Framed):
        return sse.notification_frame(item.entry.json, event_id=item.event_id)
    if isinstance(item, _Resync):
        return sse.frame(event=sse.RESYNC_EVENT, data=json.dumps({"reason": "last_event_id_not_buffered"}))
    return sse.comment("heartbeat", event_id=item.event_id)


def _ws_message(item: Outgoing) -> str:
    if isinstance(item, Framed):  # resume with ?last_event_id=<last_event_id>
        # The notification's JSON is spliced in as made once at publish, not parsed and dumped again.
        return f'{{"type": "notification", "notification": {item.entry.json}, "last_event_id": {json.dumps(item.event_id)}}}'
    if isinstance(item, _Resync):
        return json.dumps({"type": "resync", "reason": "last_event_id_not_buffered"})
    return json.dumps({"type": "heartbeat"} | ({"last_event_id": item.event_id} if item.event_id else {}))


async def stream_websocket(request: web.Request) -> web.WebSocketResponse:
    """``GET /ws``: the same stream as JSON messages; resume with ``?last_event_id=``.

    Auth and the connection limits are checked before the upgrade, so refusals are plain
    401/403/429/503 responses. Besides the JSON heartbeats (visible to page scripts),
    aiohttp's ping/pong heartbeat finds dead peers.
    """
    services = request.app[SERVICES]
    verified = authorize(request, services.tokens)
    settings = services.settings
    ws = web.WebSocketResponse(heartbeat=settings.heartbeat_s, timeout=settings.write_timeout_s, max_msg_size=4096)
    with subscribe(request, services, verified) as subscription:
        await ws.prepare(request)

        async def send(item: Outgoing) -> None:
            await ws.send_str(_ws_message(item))

        sender = asyncio.create_task(_pump(request, services, subscription, services.tokens.seconds_left(verified), send))
        receiver = asyncio.create_task(_until_closed_by_client(ws))
        done, _ = await asyncio.wait({sender, receiver}, return_when=asyncio.FIRST_COMPLETED)
        reason = sender.result() if sender in done else "client_closed"
        for task in (sender, receiver):
            task.cancel()
        await asyncio.gather(sender, receiver, return_exceptions=True)
        await ws.close()
    _log_end("ws", subscription, reason)
    return ws


async def _until_closed_by_client(ws: web.WebSocketResponse) -> None:
    # The stream is one-way; reading still matters, it is how close frames and pongs arrive.
    async for message in ws:
        if message.type is WSMsgType.ERROR:
            return
