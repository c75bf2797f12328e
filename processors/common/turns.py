"""Giving the event loop a turn while an agent works through a fetched batch.

faust hands an agent the records of a fetch one after another without the agent ever waiting,
so nothing else on the loop runs until the batch is done: at 2,000 events/s, after any pause
(a collection, a CPU taken by another process) the notifier's fetches hold hundreds of records,
and every SSE connection woken by them wrote only when the whole batch had been handled. That,
not the work itself, made most of the notifier's p99 (bench/README.md). ``LoopTurns`` lets the
loop run what is ready (the woken connections' writes) once ``turn_s`` of handling has passed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class LoopTurns:
    """``await turns()`` after each record: yields to the loop once ``turn_s`` has passed since the last time."""

    def __init__(self, turn_s: float, *, clock: Callable[[], float] = time.perf_counter) -> None:
        if turn_s <= 0:
            raise ValueError("turn_s must be positive")
        self._turn_s = turn_s
        self._clock = clock
        self._since = clock()
        self.yielded = 0

    async def __call__(self) -> None:
        if self._clock() - self._since < self._turn_s:
            return
        await asyncio.sleep(0)  # the loop runs every callback already ready, then resumes us
        self.yielded += 1
        self._since = self._clock()
