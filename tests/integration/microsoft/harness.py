"""Fixtures for the Microsoft connector tests: the emulator's Microsoft face over TLS (msal only
talks to an https authority), settings pointing the real msal and httpx at it, and a webhook
server that answers Graph's validation handshake and collects notifications.

Test modules load it with ``pytest_plugins`` (no conftest of our own).
"""

from __future__ import annotations

import asyncio
import copy
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from aiohttp import web

from connectors.emulator import microsoft as ms_face
from connectors.emulator.server import create_app, start
from connectors.emulator.world import World
from connectors.microsoft.notifications import (
    Notification,
    parse_notifications,
    validation_reply,
)
from connectors.microsoft.settings import MicrosoftSettings


@dataclass
class Emulator:
    world: World
    base_url: str
    ca_file: Path
    control: httpx.AsyncClient

    @property
    def user(self) -> str:
        return min(self.world.mailboxes)

    @property
    def other_user(self) -> str:
        return sorted(self.world.mailboxes)[1]

    def settings(self, **overrides: Any) -> MicrosoftSettings:
        values: dict[str, Any] = {
            "tenant_id": ms_face.DEMO_TENANT, "client_id": ms_face.DEMO_CLIENT_ID,
            "client_secret": ms_face.DEMO_CLIENT_SECRET, "authority_url": self.base_url,
            "graph_url": f"{self.base_url}/v1.0", "validate_authority": False, "ca_bundle": self.ca_file,
            "backoff_initial_s": 0.01, "backoff_max_s": 0.05,
        }
        return MicrosoftSettings(**{**values, **overrides})

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        response = await self.control.post(path, json=body)
        response.raise_for_status()
        return response.json()

    async def stats(self) -> dict[str, Any]:
        return (await self.control.get("/_emulator/microsoft/stats")).json()

    async def refresh_token(self, user: str) -> str:
        return str((await self.post("/_emulator/microsoft/grant", {"user": user}))["refresh_token"])


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, Path]:
    return ms_face.self_signed_tls(tmp_path_factory.mktemp("emulator-tls"))


@pytest.fixture(scope="session")
def pristine_world() -> World:
    """Generated once (the stdlib email package makes generation slow); each test gets a copy."""
    return World(users=2, emails_per_user=60)


@pytest_asyncio.fixture
async def emulator(tls: tuple[ssl.SSLContext, Path], pristine_world: World) -> AsyncIterator[Emulator]:
    world = copy.deepcopy(pristine_world)
    app = create_app(world, faces=[ms_face.microsoft_face])
    runner, base_url = await ms_face.start_https(app, tls[0])
    verify = ssl.create_default_context(cafile=str(tls[1]))
    async with httpx.AsyncClient(base_url=base_url, verify=verify) as control:
        yield Emulator(world, base_url, tls[1], control)
    await runner.cleanup()


@dataclass
class Webhook:
    """Our side of Graph's webhooks, as a thin handler would be written with the connector."""

    url: str
    notifications: asyncio.Queue[Notification] = field(default_factory=asyncio.Queue)
    validations: list[str] = field(default_factory=list)
    echo_validation: bool = True

    async def handle(self, request: web.Request) -> web.Response:
        reply = validation_reply(request.query)
        if reply is not None:
            self.validations.append(reply.body)
            body = reply.body if self.echo_validation else "not the token"
            return web.Response(status=reply.status, text=body, content_type=reply.content_type)
        for notification in parse_notifications(await request.read()):
            self.notifications.put_nowait(notification)
        return web.Response(status=202)

    async def next(self, timeout_s: float = 5.0) -> Notification:
        return await asyncio.wait_for(self.notifications.get(), timeout_s)


@pytest_asyncio.fixture
async def webhook() -> AsyncIterator[Webhook]:
    app = web.Application()
    hook = Webhook(url="")
    app.router.add_post("/graph/notifications", hook.handle)
    app.router.add_post("/graph/lifecycle", hook.handle)
    runner, base_url = await start(app)
    hook.url = base_url
    yield hook
    await runner.cleanup()
