"""The flush barrier and the room wait of the workers' producer (processors/common/in_flight.py),
without Kafka: a barrier waits for the records handed over before it and for nothing else, a
failure fails it, and room opens once enough is acknowledged."""

from __future__ import annotations

import asyncio

import pytest

from processors.common.in_flight import InFlightRecords


def tracker(*, max_records: int = 100, max_bytes: int = 10_000) -> InFlightRecords:
    return InFlightRecords(max_records=max_records, max_bytes=max_bytes)


async def settle(records: InFlightRecords, *epochs_and_sizes: tuple[int, int]) -> None:
    """Settle deliveries as the producer's poller hands them over, then let waiters run."""
    for epoch, size in epochs_and_sizes:
        records.settled(epoch, size)
    records.wake()
    await asyncio.sleep(0)


async def test_a_barrier_with_nothing_in_flight_returns_at_once():
    await asyncio.wait_for(tracker().barrier(), timeout=1)


async def test_records_sent_during_a_flush_do_not_hold_its_barrier():
    records = tracker()
    before = records.handed_over(10)
    barrier = asyncio.ensure_future(records.barrier())
    await asyncio.sleep(0)
    during = [records.handed_over(10) for _ in range(3)]  # steady traffic while the flush waits
    assert not barrier.done()
    await settle(records, (before, 10))
    assert barrier.done() and barrier.exception() is None
    assert records.records == 3 and all(epoch > before for epoch in during)


async def test_a_barrier_waits_for_every_earlier_record_whatever_order_they_are_acknowledged_in():
    records = tracker()
    first, second = records.handed_over(1), records.handed_over(1)  # e.g. two partitions
    earlier_barrier = asyncio.ensure_future(records.barrier())
    await asyncio.sleep(0)
    third = records.handed_over(1)
    later_barrier = asyncio.ensure_future(records.barrier())
    await settle(records, (third, 1), (second, 1))  # the later partition answers first
    assert not earlier_barrier.done() and not later_barrier.done()
    await settle(records, (first, 1))
    assert earlier_barrier.done() and later_barrier.done()


async def test_a_failure_before_the_barrier_fails_it():
    records = tracker()
    epoch = records.handed_over(5)
    records.fail(RuntimeError("broker refused the record"))
    records.settled(epoch, 5)
    with pytest.raises(RuntimeError, match="broker refused"):
        await records.barrier()


async def test_a_failure_while_the_barrier_waits_fails_it_at_once():
    records = tracker()
    failed = records.handed_over(5)
    records.handed_over(5)
    barrier = asyncio.ensure_future(records.barrier())
    await asyncio.sleep(0)
    records.fail(RuntimeError("not delivered"))
    await settle(records, (failed, 5))  # the other record is still outstanding
    with pytest.raises(RuntimeError, match="not delivered"):
        await barrier


async def test_room_opens_once_enough_is_acknowledged():
    records = tracker(max_records=2, max_bytes=1_000)
    epochs = [records.handed_over(100), records.handed_over(100)]
    assert not records.has_room()
    waiting = asyncio.ensure_future(records.room())
    await asyncio.sleep(0)
    assert not waiting.done()
    await settle(records, (epochs[0], 100))
    assert waiting.done() and records.has_room()


async def test_room_counts_bytes_too_and_fails_with_the_worker():
    records = tracker(max_records=100, max_bytes=1_000)
    records.handed_over(1_000)
    waiting = asyncio.ensure_future(records.room())
    await asyncio.sleep(0)
    records.fail(RuntimeError("not delivered"))
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="not delivered"):
        await waiting
