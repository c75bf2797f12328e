"""A minimal server-sent-events reader for the notifier's ``/events`` stream (benchmarks only):
it stamps each frame with the wall-clock time its last line arrived."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp


@dataclass
class Frame:
    """One SSE frame (event, id, data lines, retry) and when it was fully received (ns)."""

    received_ns: int = 0
    event: str | None = None
    id: str | None = None
    data: list[str] = field(default_factory=list)
    retry: int | None = None

    def json(self) -> Any:
        return json.loads("\n".join(self.data))


class SseStream:
    """Frames off a streaming aiohttp response, as EventSource parses them (comments skipped)."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response

    async def frame(self, timeout: float) -> Frame:
        """The next frame; ``TimeoutError`` if none completes within ``timeout`` seconds."""
        frame = Frame()
        async with asyncio.timeout(timeout):
            while True:
                raw = await self.response.content.readline()
                if not raw:
                    raise EOFError("the notifier closed the stream")
                line = raw.decode().rstrip("\n")
                if line == "":
                    if frame.event or frame.data or frame.retry is not None:
                        frame.received_ns = time.time_ns()
                        return frame
                    continue  # a comment (heartbeat) ends here
                name, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if name == "data":
                    frame.data.append(value)
                elif name == "id":
                    frame.id = value
                elif name == "event":
                    frame.event = value
                elif name == "retry":
                    frame.retry = int(value)
