"""The emulator with its Google face, served from a background thread (the Google client
libraries block, so the server needs a loop of its own), plus a push receiver on that loop."""

from __future__ import annotations

import asyncio
import copy
import json
import queue
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from connectors.emulator.google import CLIENT_ID, CLIENT_SECRET, google_face, refresh_token_for
from connectors.emulator.server import create_app, start
from connectors.emulator.world import World
from connectors.google import GoogleSettings, open_account, quota_pacer, user_credentials
from connectors.google.account import GoogleAccount


@dataclass(frozen=True)
class Received:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class RunningEmulator:
    world: World
    url: str
    receiver_url: str
    received: queue.Queue[Received]
    loop: asyncio.AbstractEventLoop
    runners: list[web.AppRunner] = field(default_factory=list)

    @property
    def user(self) -> str:
        return sorted(self.world.mailboxes)[0]

    def control(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(f"{self.url}{path}", data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read() or b"{}")

    def next_push(self, timeout_s: float = 5.0) -> Received:
        return self.received.get(timeout=timeout_s)

    def settings(self, **overrides: Any) -> GoogleSettings:
        values: dict[str, Any] = {"api_endpoint": self.url, "token_uri": f"{self.url}/token", "client_id": CLIENT_ID,
                                  "client_secret": CLIENT_SECRET, "push_token_secret": "push-secret-for-tests",
                                  "max_retries": 3, **overrides}
        return GoogleSettings.from_env({}, **values)


class RecordingSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def _receiver(received: queue.Queue[Received]) -> web.Application:
    async def accept(request: web.Request) -> web.Response:
        received.put(Received(request.path, dict(request.query), dict(request.headers), await request.read()))
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/{tail:.*}", accept)
    return app


@pytest.fixture(scope="session")
def pristine_world() -> World:
    """Generating mailboxes takes a while; each test gets a deep copy to change at will."""
    return World(seed=7, users=2, emails_per_user=25)


@pytest.fixture
def emulator(pristine_world: World) -> Iterator[RunningEmulator]:
    world = copy.deepcopy(pristine_world)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="google-emulator", daemon=True)
    thread.start()
    received: queue.Queue[Received] = queue.Queue()

    async def serve() -> tuple[web.AppRunner, str, web.AppRunner, str]:
        runner, url = await start(create_app(world, faces=[google_face]))
        receiver_runner, receiver_url = await start(_receiver(received))
        return runner, url, receiver_runner, receiver_url

    runner, url, receiver_runner, receiver_url = asyncio.run_coroutine_threadsafe(serve(), loop).result(10)
    running = RunningEmulator(world, url, receiver_url, received, loop, [runner, receiver_runner])
    try:
        yield running
    finally:
        for each in running.runners:
            asyncio.run_coroutine_threadsafe(each.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


def account_for(emulator: RunningEmulator, sleep: RecordingSleep, user: str | None = None, **settings: Any) -> GoogleAccount:
    user = user or emulator.user
    config = emulator.settings(**settings)
    credentials = user_credentials(config, refresh_token_for(user))
    return open_account(config, credentials, user=user, pacer=quota_pacer(config), sleep=sleep)
