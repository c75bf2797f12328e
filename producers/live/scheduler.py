"""Coalescing: at most one run per key at a time, and at most one more behind it.

A webhook burst (fifty notifications for one mailbox in a second) must not become fifty delta
queries: the first request starts a run; every request that arrives while it runs only marks
the key again, and one more run follows the current one, which reads everything the burst
changed. A request is never dropped: the run that follows starts after it arrived.

A run of a key waits until ``min_interval_s`` has passed since the key's previous run started
(a key quiet for longer runs at once). Under a steady flood a key then runs at
most once per interval instead of back to back: a busy mailbox does not turn into a delta query
every few milliseconds (Graph throttles per mailbox), and the syncs leave the event loop to the
webhooks (``bench/bridge_bench.py``: intake). A change that arrives while a run is going is
published at most that much later; a change after a quiet spell is synced at once.

A request may carry a note (the live side's: the trace of the notification that asked); each
run is handed the notes of the requests it answers, in the order they came, those that arrived
before it started and after the previous run started.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")
N = TypeVar("N")

log = logging.getLogger("officestream.producers.live")


@dataclass(eq=False)
class _Slot(Generic[R, N]):
    task: asyncio.Task[None] | None = None
    #: The notes of the requests the next run answers.
    notes: list[N] = field(default_factory=list)
    #: Requested again while running: one more run follows.
    again: bool = False
    #: Futures of callers waiting for the next run to start and finish.
    waiters: list[asyncio.Future[R]] = field(default_factory=list)


class Coalescer(Generic[K, R, N]):
    """Runs ``run(key, notes)`` on request, coalescing requests per key. Use it inside the event loop."""

    def __init__(
        self, run: Callable[[K, list[N]], Awaitable[R]], *, min_interval_s: float = 0.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._run = run
        self._min_interval_s = min_interval_s
        self._sleep = sleep
        #: When each key's last run started (loop time): kept after its slot is freed, so
        #: requests that each arrive after the previous run ended are spaced out too. One float
        #: per key; keys are (integration, resource) pairs.
        self._last_start: dict[K, float] = {}
        self._slots: dict[K, _Slot[R, N]] = {}
        self._stopped = False

    def request(self, key: K, note: N | None = None) -> bool:
        """Make sure a run of ``key`` starts after this call; False when it was merged into one
        already queued (the key was running and is now marked to run once more)."""
        if self._stopped:
            return False
        slot = self._slots.get(key)
        if slot is not None and note is not None:
            slot.notes.append(note)
        if slot is None:
            slot = self._slots[key] = _Slot(notes=[] if note is None else [note])
            slot.task = asyncio.get_running_loop().create_task(self._drive(key, slot), name="live-sync")
            slot.task.add_done_callback(lambda _: self._finished(key, slot))
            return True
        merged = slot.again
        slot.again = True
        return not merged

    async def run_next(self, key: K) -> R:
        """Request ``key`` and wait for the result of a run that started after this call."""
        if self._stopped:
            raise RuntimeError("the live sync is stopped")
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self.request(key)
        # The slot exists now; a new one's task has not started, a running one runs again.
        self._slots[key].waiters.append(future)
        return await future

    def running(self, key: K) -> bool:
        return key in self._slots

    async def idle(self) -> None:
        """Wait until no key is running or queued."""
        while self._slots:
            tasks = [slot.task for slot in list(self._slots.values()) if slot.task is not None]
            await asyncio.gather(*tasks, return_exceptions=True)
            await asyncio.sleep(0)  # their done callbacks free the slots

    async def stop(self) -> None:
        """Cancel every run (a run cancelled before its cursor is stored is repeated later)."""
        self._stopped = True
        tasks = [slot.task for slot in self._slots.values() if slot.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.sleep(0)

    async def _drive(self, key: K, slot: _Slot[R, N]) -> None:
        loop = asyncio.get_running_loop()
        while True:
            previous = self._last_start.get(key)
            if previous is not None and (wait := previous + self._min_interval_s - loop.time()) > 0:
                await self._sleep(wait)  # requests meanwhile only mark ``again``: this run reads them
            self._last_start[key] = loop.time()
            slot.again = False
            waiters, slot.waiters = slot.waiters, []
            notes, slot.notes = slot.notes, []
            try:
                result = await self._run(key, notes)
            except Exception as exc:  # noqa: BLE001 - the run's own bug: its waiters hear of it, the key runs on
                log.exception("live sync run crashed key=%s", _safe(key))
                _fail(waiters, exc)
            except BaseException as exc:
                _fail(waiters, exc)
                raise  # cancelled: stopping
            else:
                _succeed(waiters, result)
            if not slot.again:
                return

    def _finished(self, key: K, slot: _Slot[R, N]) -> None:
        """The slot's task ended (even cancelled before it began): the key is free again."""
        _fail(slot.waiters, asyncio.CancelledError())
        if self._slots.get(key) is slot:
            del self._slots[key]


def _succeed(waiters: list[asyncio.Future[R]], result: R) -> None:
    for waiter in waiters:
        if not waiter.done():
            waiter.set_result(result)


def _fail(waiters: list[asyncio.Future[R]], exc: BaseException) -> None:
    for waiter in waiters:
        if waiter.done():
            continue
        if isinstance(exc, asyncio.CancelledError):
            waiter.cancel()
        else:
            waiter.set_exception(exc)


def _safe(key: object) -> object:
    """Keys name users (``microsoft:ada@...``): logged through their ``ref`` when they have one."""
    return getattr(key, "ref", "?")
