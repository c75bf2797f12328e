"""Many SSE clients ("tabs") in a few client processes, for the notifier scale benchmark.

One Python process holding a thousand streams can itself be the bottleneck (every frame is a few
``readline`` calls, a JSON parse and a regex on one event loop), so the tabs are split over
``ClientFleet.processes`` processes, started with ``spawn`` (the parent runs librdkafka threads,
which ``fork`` would copy half-alive). The parent reads each process's CPU time from ``/proc``.

Each process opens its tabs (``GET /events``, waits for the ``retry:`` frame), then records every
notification: warm-up ones (email id ``warm-*``) are only counted, measured ones are kept as
(email id, the frame's user id, produce-to-frame ms). Counters shared with the parent say how
many tabs are connected, how many have seen a warm-up frame and how many measured frames arrived;
on ``stop`` each process sends its records back through a queue.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import time
from dataclasses import dataclass, field
from multiprocessing.sharedctypes import Synchronized
from typing import Any

import aiohttp
from harness.cpu import process_cpu_seconds, process_run_queue_wait_seconds
from harness.latency import SENT_NS
from harness.sse_client import SseStream, open_events

WARM_PREFIX = "warm-"
CONNECT_CONCURRENCY = 50


@dataclass(frozen=True)
class Tab:
    """One browser tab: its own ``/events`` connection for ``user`` on the notifier at ``port``."""

    tab: int
    user: str
    port: int
    token: str


@dataclass
class TabLog:
    """What one tab received; ``ended`` says why its stream stopped before the end, if it did."""

    frames: list[tuple[str, str, float]] = field(default_factory=list)  # email id, frame's user, ms
    warm: int = 0
    ended: str | None = None


@dataclass
class _Shared:
    connected: Synchronized
    warm_tabs: Synchronized
    frames: Synchronized
    stop: Any  # multiprocessing.Event


def _note(log: TabLog, notification: dict[str, Any], received_ns: int, shared: _Shared) -> None:
    payload = notification.get("payload") or {}
    email_id = str(payload.get("email_id") or "")
    if email_id.startswith(WARM_PREFIX):
        if log.warm == 0:
            with shared.warm_tabs.get_lock():
                shared.warm_tabs.value += 1
        log.warm += 1
        return
    sent = SENT_NS.search((payload.get("subject") or "").encode())
    latency_ms = (received_ns - int(sent.group(1))) / 1e6 if sent else float("nan")
    log.frames.append((email_id, str(notification.get("user_id")), latency_ms))
    with shared.frames.get_lock():
        shared.frames.value += 1


async def _read(stream: SseStream, log: TabLog, shared: _Shared) -> None:
    try:
        async for received in stream.frames():
            if received.frame.event == "notification":
                _note(log, received.frame.json(), received.received_ns, shared)
    except (EOFError, aiohttp.ClientError) as exc:
        log.ended = f"{type(exc).__name__}: {exc}"
    finally:
        stream.response.close()


async def _open(http: aiohttp.ClientSession, tab: Tab, gate: asyncio.Semaphore, shared: _Shared) -> SseStream:
    async with gate:
        stream = await open_events(http, tab.port, tab.token, timeout=60)
    with shared.connected.get_lock():
        shared.connected.value += 1
    return stream


async def _run(tabs: list[Tab], shared: _Shared) -> dict[int, TabLog]:
    logs = {tab.tab: TabLog() for tab in tabs}
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=None)) as http:
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
        readers = []
        for tab, opened in zip(tabs, await asyncio.gather(*(_open(http, t, gate, shared) for t in tabs)), strict=True):
            readers.append(asyncio.create_task(_read(opened, logs[tab.tab], shared)))
        while not shared.stop.is_set():
            await asyncio.sleep(0.1)
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
    return logs


def _client_main(tabs: list[Tab], shared: _Shared, results: Any) -> None:
    """A client process: ``(logs, None)`` on the queue when stopped, ``(None, error)`` on failure."""
    try:
        results.put((asyncio.run(_run(tabs, shared)), None))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which fails the run
        results.put((None, f"{type(exc).__name__}: {exc}"))


class ClientFleet:
    """``processes`` client processes sharing ``tabs`` round-robin; use as a context manager."""

    def __init__(self, tabs: list[Tab], processes: int) -> None:
        self._ctx = mp.get_context("spawn")
        self.tabs = tabs
        self._shared = _Shared(self._ctx.Value("i", 0), self._ctx.Value("i", 0), self._ctx.Value("q", 0), self._ctx.Event())
        self._results = self._ctx.Queue()
        self._procs = [
            self._ctx.Process(target=_client_main, name=f"sse-clients-{i}", daemon=True,
                              args=(tabs[i::processes], self._shared, self._results))
            for i in range(processes)
        ]

    def __enter__(self) -> ClientFleet:
        for proc in self._procs:
            proc.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._shared.stop.set()
        for proc in self._procs:
            proc.join(10)
            if proc.is_alive():
                proc.kill()

    @property
    def connected(self) -> int:
        return self._shared.connected.value

    @property
    def warm_tabs(self) -> int:
        return self._shared.warm_tabs.value

    @property
    def frames(self) -> int:
        return self._shared.frames.value

    def wait_connected(self, timeout_s: float) -> float:
        """Seconds until every tab is subscribed; ``RuntimeError`` after ``timeout_s`` or if a
        client process died."""
        started = time.monotonic()
        while self.connected < len(self.tabs):
            if time.monotonic() - started > timeout_s or not all(p.is_alive() for p in self._procs):
                raise RuntimeError(f"{self.connected} of {len(self.tabs)} SSE clients connected; "
                                   f"client processes alive: {[p.is_alive() for p in self._procs]}")
            time.sleep(0.1)
        return time.monotonic() - started

    def cpu_seconds(self) -> list[float]:
        return [process_cpu_seconds(p.pid) if p.pid else float("nan") for p in self._procs]

    def run_queue_wait_seconds(self) -> list[float]:
        return [process_run_queue_wait_seconds(p.pid) if p.pid else float("nan") for p in self._procs]

    def collect(self, timeout_s: float = 60.0) -> dict[int, TabLog]:
        """Stop the processes and gather every tab's log (read before joining: a big result would
        otherwise block a child on the queue's pipe)."""
        self._shared.stop.set()
        logs: dict[int, TabLog] = {}
        for _ in self._procs:
            part, error = self._results.get(timeout=timeout_s)
            if error is not None:
                raise RuntimeError(f"an SSE client process failed: {error}")
            logs.update(part)
        return logs

