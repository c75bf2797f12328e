"""``LoopTurns``: an agent working through a batch lets the loop run what is ready every turn."""

from __future__ import annotations

import asyncio
import time

import pytest

from processors.common.turns import LoopTurns


async def handle_batch(records: int, per_record_s: float, turns: LoopTurns | None) -> list[int]:
    """Handle a batch whose every record wakes a connection (a ready callback, as ``hub.publish``
    does); returns, per connection, how many more records were handled before it could write."""
    loop = asyncio.get_running_loop()
    handled = 0
    waited: list[int] = []
    for _ in range(records):
        deadline = time.perf_counter() + per_record_s
        while time.perf_counter() < deadline:  # the CPU work of one record: no await inside
            pass
        handled += 1
        loop.call_soon(lambda woken_at=handled: waited.append(handled - woken_at))
        if turns is not None:
            await turns()
    await asyncio.sleep(0)  # the end of the batch: the loop runs what is still ready
    return waited


def test_without_turns_the_connections_write_only_after_the_whole_batch() -> None:
    waited = asyncio.run(handle_batch(200, 0.001, None))
    assert len(waited) == 200 and waited[0] == 199


def test_with_turns_every_connection_writes_within_a_turn() -> None:
    turns = LoopTurns(0.005)
    waited = asyncio.run(handle_batch(200, 0.001, turns))
    # A record takes at least 1 ms of wall time (more if the process is descheduled), so a 5 ms
    # turn ends after at most 5 records.
    assert len(waited) == 200 and max(waited) <= 5 and turns.yielded >= 10


def test_a_turn_is_not_taken_before_its_time() -> None:
    now = [0.0]
    turns = LoopTurns(0.005, clock=lambda: now[0])

    async def run() -> None:
        await turns()
        now[0] = 0.004
        await turns()
        now[0] = 0.006
        await turns()

    asyncio.run(run())
    assert turns.yielded == 1


def test_a_turn_must_be_positive() -> None:
    with pytest.raises(ValueError):
        LoopTurns(0)
