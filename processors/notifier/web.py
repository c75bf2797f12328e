"""The notifier's web application: routes, security headers, and a server that keeps tokens out of logs.

Routes: ``GET /events`` (SSE), ``GET /ws`` (WebSocket), ``GET /`` (live page) with its
``GET /notifier.js`` and ``GET /notifier.css``, ``GET /healthz``. The faust wiring builds the
hub, publishes into it, and serves this app with ``start_web_server`` on the same event loop.
"""

from __future__ import annotations

import logging
import re

import aiohttp_cors
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from processors.notifier.announced import AnnouncedVersions
from processors.notifier.assignment import AssignmentWatch
from processors.notifier.hub import NotificationHub
from processors.notifier.page import PAGE_ASSETS
from processors.notifier.settings import NotifierSettings
from processors.notifier.streams import SERVICES, StreamServices, stream_events, stream_websocket
from processors.notifier.tokens import StreamTokens

log = logging.getLogger(__name__)
access_log = logging.getLogger("processors.notifier.access")

_SECRET_QUERY = re.compile(r"(?i)([?&](?:token|access_token)=)[^&#]*")
# The page's own script and styles only; no framing (clickjacking), no referrer (it would carry ?token=).
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def redact(path_qs: str) -> str:
    """A request target with token query values replaced by ``***``."""
    return _SECRET_QUERY.sub(r"\1***", path_qs)


class RedactingAccessLogger(AbstractAccessLogger):
    """aiohttp's access log, minus tokens: EventSource forces ``?token=`` into the request line."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            "notifier access method=%s path=%s status=%d duration_s=%.3f",
            request.method, redact(request.path_qs), response.status, time,
        )


def create_web_app(
    hub: NotificationHub, settings: NotifierSettings, *, tokens: StreamTokens | None = None,
    assignment: AssignmentWatch | None = None, announced: AnnouncedVersions | None = None,
) -> web.Application:
    """The application; ``tokens`` defaults to one built from ``settings`` (tests inject a clock);
    ``assignment`` is the worker's partition coverage and ``announced`` the versions it has
    announced, both reported by ``/healthz``."""
    app = web.Application()
    app[SERVICES] = StreamServices(
        hub=hub, tokens=tokens or StreamTokens.from_settings(settings), settings=settings, assignment=assignment,
        announced=announced,
    )
    for path in PAGE_ASSETS:
        app.router.add_get(path, page_asset)
    events = app.router.add_get("/events", stream_events)
    app.router.add_get("/ws", stream_websocket)
    app.router.add_get("/healthz", healthz)
    app.on_shutdown.append(_close_streams)
    _allow_cross_origin_streams(app, events, settings.allowed_origins)
    return app


def _allow_cross_origin_streams(app: web.Application, events: web.AbstractRoute, origins: tuple[str, ...]) -> None:
    """Let pages on ``origins`` read ``/events`` (EventSource is subject to CORS; WebSockets are not).

    No credentials (cookies) are allowed: the token in the request is the only credential.
    """
    if not origins:
        return
    options = aiohttp_cors.ResourceOptions(allow_credentials=False, allow_headers=("Authorization", "Last-Event-ID"), max_age=600)
    cors = aiohttp_cors.setup(app, defaults={origin: options for origin in origins})
    cors.add(events)


async def _close_streams(app: web.Application) -> None:
    # Long-lived streams would otherwise hold graceful shutdown for its whole timeout.
    app[SERVICES].hub.close_all()


async def page_asset(request: web.Request) -> web.Response:
    asset = PAGE_ASSETS[request.path]
    return web.Response(text=asset.body, content_type=asset.content_type, headers=_PAGE_HEADERS)


async def healthz(request: web.Request) -> web.Response:
    """Counters, and 503 while the instance does not read every partition (``assignment.py``):
    clients connected to it would miss some users' events."""
    services = request.app[SERVICES]
    hub, covered = services.hub, services.assignment.current if services.assignment is not None else None
    partial = covered is not None and not covered.complete
    return web.json_response(
        {
            "status": "incomplete_assignment" if partial else "ok",
            "partitions": covered.as_json() if covered is not None else None,
            "connections": hub.connections(),
            "buffered_users": hub.buffered_users(),
            "published": hub.published,
            "duplicates_skipped": hub.duplicates,
            "stale_changes_skipped": services.announced.skipped if services.announced is not None else 0,
            "dropped_slow_connections": hub.dropped,
            "refused_connections": {"user_limit": hub.refused_user_limit, "server_limit": hub.refused_server_limit},
            "buffered_bytes": hub.buffered_bytes(),
            "evicted_notifications": hub.evicted(),
        },
        status=503 if partial else 200,
    )


async def start_web_server(app: web.Application, settings: NotifierSettings) -> web.AppRunner:
    """Serve ``app`` on ``settings.host:settings.port`` with the redacting access log.

    Returns the runner; ``await runner.cleanup()`` stops it (streams are closed first). With
    port 0 the bound port is ``bound_port(runner)``.
    """
    runner = web.AppRunner(
        app,
        access_log_class=RedactingAccessLogger,
        access_log=access_log,
        shutdown_timeout=settings.shutdown_timeout_s,
    )
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    log.info("notifier web server listening host=%s port=%d", settings.host, bound_port(runner))
    return runner


def bound_port(runner: web.AppRunner) -> int:
    """The TCP port the runner's first site listens on (useful when configured with port 0)."""
    return int(runner.addresses[0][1])
