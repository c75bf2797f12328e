"""Coalescing: at most one run per key at a time and one more behind it, never a request lost."""

from __future__ import annotations

import asyncio

import pytest

from producers.live.scheduler import Coalescer


class Runs:
    """A run that takes as long as the test says (each run waits for its own release)."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.notes: list[list[str]] = []
        self.releases: list[asyncio.Event] = []

    async def __call__(self, key: str, notes: list[str]) -> int:
        self.started.append(key)
        self.notes.append(notes)
        release = asyncio.Event()
        self.releases.append(release)
        await release.wait()
        return len(self.started)

    async def release_all(self) -> None:
        while any(not release.is_set() for release in self.releases):
            for release in self.releases:
                release.set()
            await asyncio.sleep(0)


async def test_a_burst_during_a_run_costs_exactly_one_more_run() -> None:
    runs = Runs()
    slots: Coalescer[str, int, str] = Coalescer(runs)
    assert slots.request("a") is True
    await asyncio.sleep(0)
    merged = [slots.request("a") for _ in range(49)]
    assert merged[0] is True and not any(merged[1:])  # the first queues one more run, the rest join it
    for _ in range(3):
        await runs.release_all()
    await slots.idle()
    assert runs.started == ["a", "a"]


async def test_keys_run_side_by_side() -> None:
    runs = Runs()
    slots: Coalescer[str, int, str] = Coalescer(runs)
    slots.request("a")
    slots.request("b")
    await asyncio.sleep(0)
    assert sorted(runs.started) == ["a", "b"]
    await runs.release_all()
    await slots.idle()


async def test_run_next_waits_for_a_run_that_started_after_the_call() -> None:
    runs = Runs()
    slots: Coalescer[str, int, str] = Coalescer(runs)
    slots.request("a")
    await asyncio.sleep(0)
    waiting = asyncio.ensure_future(slots.run_next("a"))
    await asyncio.sleep(0)
    runs.releases[0].set()  # the run that was going when run_next was called ends...
    await asyncio.sleep(0.01)
    assert not waiting.done() and runs.started == ["a", "a"]  # ...and the caller waits for the next one
    await runs.release_all()
    assert await waiting == 2


async def test_a_crashing_run_does_not_swallow_the_request_behind_it() -> None:
    calls: list[str] = []

    async def run(key: str, notes: list[str]) -> str:
        calls.append(key)
        await asyncio.sleep(0.01)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return "ok"

    slots: Coalescer[str, str, str] = Coalescer(run)
    first = asyncio.ensure_future(slots.run_next("a"))
    await asyncio.sleep(0)
    second = asyncio.ensure_future(slots.run_next("a"))
    with pytest.raises(RuntimeError):
        await first
    assert await second == "ok" and calls == ["a", "a"]


async def test_stop_cancels_runs_and_their_waiters() -> None:
    runs = Runs()
    slots: Coalescer[str, int, str] = Coalescer(runs)
    waiting = asyncio.ensure_future(slots.run_next("a"))
    await asyncio.sleep(0)
    await slots.stop()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert slots.request("a") is False and not slots.running("a")


class Timed:
    """A quick run that records when it started (loop time)."""

    def __init__(self) -> None:
        self.starts: list[float] = []

    async def __call__(self, key: str, notes: list[str]) -> int:
        self.starts.append(asyncio.get_running_loop().time())
        await asyncio.sleep(0.005)
        return len(self.starts)


async def test_a_steady_flood_runs_a_key_at_most_once_per_interval_and_loses_no_request() -> None:
    runs = Timed()
    slots: Coalescer[str, int, str] = Coalescer(runs, min_interval_s=0.1)
    loop = asyncio.get_running_loop()
    flood_started = loop.time()
    while loop.time() - flood_started < 0.45:  # a request every 2 ms: ~225 of them
        slots.request("a")
        await asyncio.sleep(0.002)
    last_request = loop.time()
    await slots.idle()
    gaps = [later - earlier for earlier, later in zip(runs.starts, runs.starts[1:], strict=False)]
    assert gaps and min(gaps) >= 0.1 - 0.002  # back to back, a 5 ms run would have run ~80 times
    assert len(runs.starts) <= 6
    assert runs.starts[-1] >= last_request  # the flood's last request got a run that started after it


async def test_the_first_run_after_a_quiet_spell_starts_at_once() -> None:
    runs = Timed()
    slots: Coalescer[str, int, str] = Coalescer(runs, min_interval_s=10.0)
    loop = asyncio.get_running_loop()
    asked = loop.time()
    slots.request("a")
    await slots.idle()
    slots.request("b")  # another key is not held back by a's interval
    await slots.idle()
    assert len(runs.starts) == 2 and runs.starts[0] - asked < 0.5 and runs.starts[1] - asked < 1.0


async def test_requests_that_each_arrive_after_the_last_run_ended_are_spaced_too() -> None:
    runs = Timed()
    slots: Coalescer[str, int, str] = Coalescer(runs, min_interval_s=0.1)
    loop = asyncio.get_running_loop()
    slots.request("a")
    await slots.idle()  # its 5 ms run is over: the key is idle again
    second = loop.time()
    slots.request("a")  # a new run of an idle key, 0.1 s after the first started at the earliest
    await asyncio.sleep(0.02)
    slots.request("a")  # joins the waiting run
    await slots.idle()
    assert len(runs.starts) == 2
    assert runs.starts[1] - runs.starts[0] >= 0.1 - 0.002 and runs.starts[1] > second


async def test_each_run_gets_the_notes_of_the_requests_it_answers_in_their_order() -> None:
    runs = Runs()
    slots: Coalescer[str, int, str] = Coalescer(runs)
    slots.request("a", "first")
    slots.request("a", "joins-the-first-run")  # before the run started: it answers both
    await asyncio.sleep(0)
    slots.request("a", "second")
    slots.request("a")  # no note (a backstop tick)
    slots.request("a", "third")
    for _ in range(3):
        await runs.release_all()
    await slots.idle()
    assert runs.notes == [["first", "joins-the-first-run"], ["second", "third"]]
