"""The vespa-loader's batching rules as unit tests (processors/vespa_loader/loading.py): batches
across messages, new versions fed once, failures dead-lettered per message, the ledger written in
each message's own context.

No I/O: the feed is in memory, a dict stands for the ledger's faust table (noting the message
context each write ran in, which is what faust's table goes by) and a list for the dead-letter
topic. The same paths on the real stack, through the worker: tests/e2e/test_vespa_loader_worker.py
(rejections to the real dead-letter topic, ledger entries in the changelog partition of their
message, a replay that feeds nothing), tests/e2e/test_vespa_loader_rejections.py (a refused
document left out of the real changelog) and tests/e2e/test_worker_crashes.py (a crash)."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Sequence

import pytest

from connectors.vespa.exceptions import VespaUnavailable
from connectors.vespa.feed import FeedClient
from connectors.vespa.operations import FeedOperation, FeedOutcome, FeedResult
from processors.common.exceptions import PoisonMessage, WorkerMustStop
from processors.common.idempotence import VersionLedger
from processors.common.inbound import InboundRecord
from processors.common.items import ItemChange
from processors.common.retry import RetryPolicy
from processors.vespa_loader.loading import VespaLoader
from schemas.models import DocType
from tests import factories

#: Which message a ledger write belongs to, as faust's current event tells its tables.
MESSAGE: contextvars.ContextVar[int] = contextvars.ContextVar("message")
FAST = RetryPolicy(base_s=0.001, max_s=0.002, max_attempts=2)


def upsert(doc_id: str, at: int = 1) -> ItemChange:
    return ItemChange(user_id="u1", doc_type=DocType.email, doc_id=doc_id, change="upsert", record=factories.email(doc_id),
                      occurred_at_ms=at, event_id=f"e-{doc_id}-{at}", version_marker=f"v{at}")


def unmappable(doc_id: str) -> ItemChange:
    return ItemChange(user_id="u1", doc_type=DocType.email, doc_id=doc_id, change="upsert", record=None,
                      occurred_at_ms=1, event_id=f"e-{doc_id}", version_marker=None)


def record(offset: int) -> InboundRecord:
    return InboundRecord(topic="email-backfill", partition=offset % 3, offset=offset, key=b"u1", value=b"v%d" % offset)


class ContextLedgerTable(dict):
    """A ledger table that notes which message each write ran for."""

    def __init__(self) -> None:
        super().__init__()
        self.written_for: dict[str, int | None] = {}

    def __setitem__(self, key: str, value: object) -> None:
        self.written_for[key] = MESSAGE.get(None)
        super().__setitem__(key, value)


class MemoryFeed:
    """A feed client keeping every call; ``fail_with`` makes the next calls raise."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.fail_with: list[BaseException] = []
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.release.set()

    async def feed(self, operations: Sequence[FeedOperation]) -> list[FeedResult]:
        self.started.set()
        await self.release.wait()
        if self.fail_with:
            raise self.fail_with.pop(0)
        self.calls.append([operation.doc_id.local_id for operation in operations])
        return [FeedResult(operation=op, outcome=FeedOutcome.applied) for op in operations]

    async def aclose(self) -> None:
        pass


class DeadLetters:
    def __init__(self) -> None:
        self.letters: list[tuple[int, str]] = []

    async def __call__(self, inbound: InboundRecord, error: BaseException) -> None:
        self.letters.append((inbound.offset, str(error)))


def make_loader(feed: FeedClient, table: dict, dead: DeadLetters, *, batch_size: int = 100, linger_s: float = 60.0) -> VespaLoader:
    return VespaLoader(feed=lambda: feed, ledger=VersionLedger(table), namespace="officestream", dead_letter=dead,
                       policy=FAST, batch_size=batch_size, linger_s=linger_s)


async def load_as(loader: VespaLoader, offset: int, items: list[ItemChange]) -> None:
    """``loader.load`` run for message ``offset`` in its own context, as faust runs each event."""
    async def run() -> None:
        MESSAGE.set(offset)
        await loader.load(items, record(offset))

    await asyncio.get_running_loop().create_task(run(), context=contextvars.copy_context())


async def test_operations_of_several_messages_are_fed_in_one_call_once_the_batch_is_full() -> None:
    feed, table, dead = MemoryFeed(), ContextLedgerTable(), DeadLetters()
    loader = make_loader(feed, table, dead, batch_size=4)
    await load_as(loader, 1, [upsert("a"), upsert("b")])
    await load_as(loader, 2, [upsert("c")])
    assert feed.calls == [] and loader.waiting == 3  # nothing fed before the batch is full
    await load_as(loader, 3, [upsert("d"), upsert("e")])
    await loader.flush()
    assert feed.calls == [["a", "b", "c", "d"], ["e"]]
    assert loader.waiting == 0 and dead.letters == []


async def test_each_ledger_entry_is_written_in_the_context_of_its_own_message() -> None:
    feed, table, dead = MemoryFeed(), ContextLedgerTable(), DeadLetters()
    loader = make_loader(feed, table, dead, batch_size=3)
    await load_as(loader, 7, [upsert("a"), upsert("b")])
    await load_as(loader, 8, [upsert("c")])  # fills the batch: fed while message 8 runs
    await loader.flush()
    assert table.written_for == {"u1:email:a": 7, "u1:email:b": 7, "u1:email:c": 8}


async def test_a_redelivered_item_is_not_fed_again_even_while_its_first_copy_waits() -> None:
    feed, table, dead = MemoryFeed(), ContextLedgerTable(), DeadLetters()
    loader = make_loader(feed, table, dead)
    await load_as(loader, 1, [upsert("a"), upsert("b")])
    await load_as(loader, 2, [upsert("a")])  # waits in the batch: answered first, then judged
    await loader.flush()
    assert feed.calls == [["a", "b"]]


async def test_a_newer_version_of_a_waiting_document_is_fed_after_the_older_one() -> None:
    feed, table, dead = MemoryFeed(), ContextLedgerTable(), DeadLetters()
    loader = make_loader(feed, table, dead)
    await load_as(loader, 1, [upsert("a", at=1)])
    await load_as(loader, 2, [upsert("a", at=2), upsert("b")])
    await loader.flush()
    assert feed.calls == [["a"], ["a", "b"]]
    assert VersionLedger(table).should_apply(upsert("a", at=2)) is False


async def test_a_lone_operation_is_fed_after_the_linger_without_a_flush() -> None:
    feed, table, dead = MemoryFeed(), ContextLedgerTable(), DeadLetters()
    loader = make_loader(feed, table, dead, linger_s=0.01)
    await load_as(loader, 1, [upsert("a")])
    for _ in range(200):
        if feed.calls and loader.waiting == 0:
            break
        await asyncio.sleep(0.01)
    assert feed.calls == [["a"]] and "u1:email:a" in table


async def test_the_next_batch_fills_while_one_is_fed_and_waits_when_full() -> None:
    feed, table, dead = MemoryFeed(), ContextLedgerTable(), DeadLetters()
    loader = make_loader(feed, table, dead, batch_size=2)
    feed.release.clear()  # the first call hangs until released
    await load_as(loader, 1, [upsert("a"), upsert("b")])
    await asyncio.wait_for(feed.started.wait(), 5)
    await load_as(loader, 2, [upsert("c")])  # fills the next batch meanwhile
    full = asyncio.ensure_future(load_as(loader, 3, [upsert("d")]))  # the next batch is full: waits
    await asyncio.sleep(0.05)
    assert not full.done() and feed.calls == []
    feed.release.set()
    await asyncio.wait_for(full, 5)
    await loader.flush()
    assert feed.calls == [["a", "b"], ["c", "d"]]


async def test_transient_failures_are_retried_and_nothing_is_dead_lettered() -> None:
    feed, table, dead = MemoryFeed(), ContextLedgerTable(), DeadLetters()
    feed.fail_with = [VespaUnavailable("503"), VespaUnavailable("503"), VespaUnavailable("503")]  # > max_attempts
    loader = make_loader(feed, table, dead)
    await load_as(loader, 1, [upsert("a")])
    await loader.flush()
    assert feed.calls == [["a"]] and dead.letters == [] and "u1:email:a" in table


async def test_a_batch_that_keeps_failing_dead_letters_each_of_its_messages_once() -> None:
    feed, table, dead = MemoryFeed(), ContextLedgerTable(), DeadLetters()
    feed.fail_with = [RuntimeError("broken"), RuntimeError("broken")]
    loader = make_loader(feed, table, dead)
    await load_as(loader, 1, [upsert("a"), upsert("b")])
    await load_as(loader, 2, [upsert("c")])
    await loader.flush()
    assert sorted(dead.letters) == [(1, "broken"), (2, "broken")]
    assert table == {}  # nothing recorded: a replay feeds them again


async def test_an_unmappable_item_alone_fails_at_once_for_the_processor_to_dead_letter() -> None:
    feed, table, dead = MemoryFeed(), ContextLedgerTable(), DeadLetters()
    loader = make_loader(feed, table, dead)
    with pytest.raises(PoisonMessage, match=r"1 of 1 documents refused by Vespa: x: .*needs its email record"):
        await loader.load([unmappable("x")], record(1))
    assert loader.waiting == 0 and dead.letters == []


async def test_an_unmappable_item_beside_good_ones_is_dead_lettered_once_they_are_answered() -> None:
    feed, table, dead = MemoryFeed(), ContextLedgerTable(), DeadLetters()
    loader = make_loader(feed, table, dead)
    await loader.load([upsert("a"), unmappable("x")], record(4))
    assert dead.letters == []
    await loader.flush()
    assert dead.letters == [(4, "1 of 2 documents refused by Vespa: x: email 'x': an upsert needs its email record")]
    assert "u1:email:a" in table


async def test_a_failure_to_dead_letter_stops_the_next_load_and_flush() -> None:
    feed, table = MemoryFeed(), ContextLedgerTable()

    async def broken_dead_letter(inbound: InboundRecord, error: BaseException) -> None:
        raise RuntimeError("the dead-letter topic is gone")

    reported: list[BaseException] = []
    loader = VespaLoader(feed=lambda: feed, ledger=VersionLedger(table), namespace="officestream",
                         dead_letter=broken_dead_letter, policy=FAST, batch_size=100, linger_s=60,
                         on_failure=reported.append)
    feed.fail_with = [RuntimeError("broken"), RuntimeError("broken")]
    await loader.load([upsert("a")], record(1))
    with pytest.raises(WorkerMustStop, match="dead-letter topic is gone"):
        await loader.flush()
    with pytest.raises(WorkerMustStop, match="dead-letter topic is gone"):
        await loader.load([upsert("b")], record(2))
    assert len(reported) == 1 and isinstance(reported[0], WorkerMustStop)


async def test_unreadable_references_are_named_once_with_the_messages_other_refusals() -> None:
    feed, table, dead = MemoryFeed(), ContextLedgerTable(), DeadLetters()
    loader = make_loader(feed, table, dead)
    await loader.load([upsert("a"), unmappable("x")], record(5), unreadable=["gone (office:u1:email:gone): missing"])
    await loader.flush()
    assert dead.letters == [(5, "1 of 2 documents refused by Vespa: x: email 'x': an upsert needs its email record; "
                                "1 referenced items unreadable: gone (office:u1:email:gone): missing")]
    assert "u1:email:a" in table


async def test_a_message_with_only_unreadable_references_fails_at_once() -> None:
    feed, table, dead = MemoryFeed(), ContextLedgerTable(), DeadLetters()
    loader = make_loader(feed, table, dead)
    with pytest.raises(PoisonMessage, match=r"^1 referenced items unreadable: gone"):
        await loader.load([], record(6), unreadable=["gone (k): missing"])
    assert dead.letters == [] and feed.calls == []
