"""The notifier's ``/events`` stream for the benchmarks: frames as EventSource reads them
(``processors.notifier.sse.read_frame``, which the tests use too), each stamped with the
wall-clock time its last line arrived."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from typing import Any
from dataclasses import dataclass

import aiohttp

from processors.notifier.sse import Frame, read_frame


@dataclass(frozen=True)
class Received:
    frame: Frame
    #: ``time.time_ns()`` when the frame's blank line arrived.
    received_ns: int


class SseStream:
    """Frames off a streaming aiohttp response; comment-only frames (heartbeats) are skipped."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response

    async def frame(self, timeout: float) -> Received:
        """The next frame; ``TimeoutError`` if none completes within ``timeout`` seconds."""
        async with asyncio.timeout(timeout):
            return await self._next()

    async def frames(self) -> AsyncIterator[Received]:
        """Every frame until the stream ends (``EOFError``); no timer per frame, for many streams."""
        while True:
            yield await self._next()

    async def _next(self) -> Received:
        while True:
            frame = await read_frame(self.response.content.readline)
            if frame.is_event:
                return Received(frame, time.time_ns())


async def open_events(http: aiohttp.ClientSession, port: int, token: str, *, timeout: float = 10.0) -> SseStream:
    """``GET /events`` on the local notifier, once its ``retry:`` frame (sent right after the hub
    subscribed the connection) has arrived; ``RuntimeError`` on any status but 200."""
    response = await http.get(f"http://127.0.0.1:{port}/events", params={"token": token})
    try:
        if response.status != 200:
            raise RuntimeError(f"GET /events answered {response.status}: {await response.text()}")
        stream = SseStream(response)
        await stream.frame(timeout=timeout)
    except BaseException:
        response.close()
        raise
    return stream


def hub_counters(port: int) -> dict[str, Any]:
    """The local notifier's ``/healthz`` (connections, published, drops), or the error reaching it."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return json.load(response)
    except urllib.error.HTTPError as answer:  # 503 (incomplete_assignment) carries the same counters
        with answer:
            return json.load(answer)
    except OSError as exc:
        return {"error": str(exc)}
