"""A real notifier web server on 127.0.0.1 for the tests, and a small SSE reader for its streams."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from processors.notifier.announced import AnnouncedVersions
from processors.notifier.assignment import AssignmentWatch
from processors.notifier.hub import NotificationHub
from processors.notifier.notifications import Notification, notification_id
from processors.notifier.presentation import display_for
from processors.notifier.resume_token import notification_id_of
from processors.notifier.settings import NotifierSettings
from processors.notifier.sse import Frame, read_frame
from processors.notifier.tokens import StreamTokens
from processors.notifier.web import bound_port, create_web_app, start_web_server

SECRET = "integration-test-secret-of-enough-length"
T0 = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)


@dataclass
class Served:
    """One running notifier: its URL, hub and token issuer."""

    base_url: str
    hub: NotificationHub
    tokens: StreamTokens
    settings: NotifierSettings
    runner: web.AppRunner

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"


Serve = Callable[..., Awaitable[Served]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """Start notifier servers with setting overrides (port 0); all are stopped after the test."""
    runners: list[web.AppRunner] = []

    async def start(*, tokens: StreamTokens | None = None, assignment: AssignmentWatch | None = None,
                    announced: AnnouncedVersions | None = None, **overrides: Any) -> Served:
        values: dict[str, Any] = {"host": "127.0.0.1", "port": 0, "token_secret": SECRET, "heartbeat_s": 5.0} | overrides
        settings = NotifierSettings.from_env({}, **values)
        hub = NotificationHub.from_settings(settings)
        tokens = tokens or StreamTokens.from_settings(settings)
        runner = await start_web_server(create_web_app(hub, settings, tokens=tokens, assignment=assignment, announced=announced), settings)
        runners.append(runner)
        return Served(f"http://127.0.0.1:{bound_port(runner)}", hub, tokens, settings, runner)

    yield start
    for runner in runners:
        await runner.cleanup()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        yield session


def note(user_id: str, n: int, **payload: Any) -> Notification:
    created = T0 + dt.timedelta(seconds=n)
    body = {"n": n, **payload}
    return Notification(
        id=notification_id(created, f"{user_id}-{n}"), user_id=user_id, kind="email.created",
        payload=body, created_at=created, display=display_for("email.created", body),
    )


class SseReader:
    """Reads frames off a streaming aiohttp response, as EventSource would (``sse.read_frame``)."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response
        self.last_event_id: str | None = None

    async def frame(self, timeout: float = 5.0) -> Frame:
        async with asyncio.timeout(timeout):
            return await read_frame(self.response.content.readline)

    async def notification(self, timeout: float = 5.0) -> dict[str, Any]:
        """The next notification's JSON, skipping heartbeats; its SSE id must name its own id
        (a resume token starts with it); the last one is kept as ``last_event_id``."""
        while True:
            frame = await self.frame(timeout)
            if frame.event == "notification":
                body = frame.json()
                assert frame.id is not None and notification_id_of(frame.id) == body["id"]
                self.last_event_id = frame.id
                return body


OpenStream = Callable[..., Awaitable[SseReader]]


@pytest.fixture
async def streams(http: aiohttp.ClientSession) -> AsyncIterator[OpenStream]:
    """Open SSE streams (released after the test); each is subscribed once it returns."""
    responses: list[aiohttp.ClientResponse] = []

    async def open_stream(url: str, **kwargs: Any) -> SseReader:
        response = await http.get(url, **kwargs)
        responses.append(response)
        assert response.status == 200, await response.text()
        assert response.content_type == "text/event-stream"
        reader = SseReader(response)
        assert (await reader.frame()).retry is not None  # sent after subscribing
        return reader

    yield open_stream
    for response in responses:
        response.close()


async def eventually(probe: Callable[[], Any], *, timeout_s: float = 10.0, what: str) -> Any:
    """Poll ``probe`` on the loop until truthy; fails naming ``what``. For readiness, not for sleeping."""
    deadline = time.monotonic() + timeout_s
    while not (value := probe()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        await asyncio.sleep(0.02)
    return value
