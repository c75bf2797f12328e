"""The notifier's ``/events`` stream for the benchmarks: frames as EventSource reads them
(``processors.notifier.sse.read_frame``, which the tests use too), each stamped with the
wall-clock time its last line arrived."""

from __future__ import annotations

import asyncio
import time
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
            while True:
                frame = await read_frame(self.response.content.readline)
                if frame.is_event:
                    return Received(frame, time.time_ns())
