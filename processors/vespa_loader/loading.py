"""Feeding item changes to Vespa in batches that span messages: the vespa-loader's logic, without faust.

Each message's new item versions are mapped to operations and gathered into a batch; a batch
is fed in one call once it holds ``batch_size`` operations, when its oldest operation has
waited ``linger_s``, or when ``flush`` is called (the worker calls it before every offset
commit, so a committed offset never covers an operation that is not in Vespa or the fsynced
feed file). While one batch is fed the next one fills: feeding (an fsync, or Vespa's answers)
overlaps the decoding and mapping of the following messages, and in HTTP mode a call has more
operations to spread over the connection's concurrency than one message brings.

What holds per item, as when every message was fed on its own:
- An item already in the ledger at that version is not fed again; one is recorded in the ledger
  only once Vespa (or the feed file) accepted it, in the context of the message it came from
  (a faust table writes to that message's partition).
- Operations on one document are never in flight together: an item whose document waits in a
  batch sends that batch first and is judged against the ledger once it is answered.
- A message whose items cannot be mapped or are refused is dead-lettered once, naming them; its
  other items still land. When nothing of the message is left waiting, the refusal is raised
  at once (``PoisonMessage``) for the record processor to dead-letter, as before batching.
- Transient failures (Vespa unavailable, the feed file unwritable) are retried with backoff
  without limit; the agent waits when the next batch is full. Other errors are retried up to
  the policy's attempts, then every message of the batch is dead-lettered with the error.
- A failure that cannot be dead-lettered is reported to ``on_failure`` (the worker crashes its
  app) and raised by every later ``load`` and ``flush`` as ``WorkerMustStop``: nothing is
  committed past it.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from connectors.vespa.feed import FeedClient
from connectors.vespa.operations import FeedOperation, FeedResult
from processors.common.exceptions import PoisonMessage, WorkerMustStop
from processors.common.idempotence import VersionLedger
from processors.common.inbound import InboundRecord
from processors.common.items import ItemChange, not_applied
from processors.common.processor import is_transient
from processors.common.retry import RetryPolicy, retry
from processors.vespa_loader.documents import operation_for_change

log = logging.getLogger("officestream.processors.vespa_loader")

DeadLetterer = Callable[[InboundRecord, BaseException], Awaitable[None]]


@dataclass(eq=False)
class _Origin:
    """A message with operations waiting in a batch."""

    record: InboundRecord
    #: The context ``load`` ran in: ledger writes run in it (faust's current event lives there).
    context: contextvars.Context
    #: Something the context refers to weakly (faust holds its current event so), kept alive
    #: until the message is settled.
    keep_alive: object
    fresh: int = 0
    waiting: int = 0
    #: All of the message's items are in a batch (``load`` has returned).
    complete: bool = False
    refused: list[str] = field(default_factory=list)
    #: Referenced items of the message's batch that could not be read (``Changes.unreadable``).
    unreadable: list[str] = field(default_factory=list)
    error: BaseException | None = None


@dataclass(frozen=True)
class _Entry:
    origin: _Origin
    item: ItemChange
    operation: FeedOperation


class VespaLoader:
    """Gathers operations of successive messages into batches and feeds them."""

    def __init__(
        self,
        *,
        feed: Callable[[], FeedClient],
        ledger: VersionLedger,
        namespace: str,
        dead_letter: DeadLetterer,
        policy: RetryPolicy,
        batch_size: int,
        linger_s: float,
        on_failure: Callable[[BaseException], None] = lambda exc: None,
    ) -> None:
        if batch_size < 1 or linger_s < 0:
            raise ValueError(f"batch_size must be >= 1 and linger_s >= 0, got {batch_size} and {linger_s}")
        self._feed = feed
        self._ledger = ledger
        self._namespace = namespace
        self._dead_letter = dead_letter
        self._policy = policy
        self._batch_size = batch_size
        self._linger_s = linger_s
        self._batch: list[_Entry] = []
        #: Idempotence keys of the items in the filling batch and in the one being fed.
        self._waiting_keys: set[str] = set()
        self._in_flight: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._linger_task: asyncio.Future[None] | None = None  # referenced: a bare task may be collected
        self._send_lock = asyncio.Lock()
        self._failure: WorkerMustStop | None = None
        self._on_failure = on_failure

    @property
    def waiting(self) -> int:
        """Operations not answered yet (filling batch and in flight)."""
        return len(self._waiting_keys)

    async def load(
        self, items: list[ItemChange], record: InboundRecord, *, keep_alive: object = None, unreadable: Sequence[str] = ()
    ) -> None:
        """Queue the new versions among ``items`` (of the message ``record``) for feeding.

        Raises ``PoisonMessage`` when items of the message cannot be mapped (or ``unreadable``
        names referenced items its batch could not read) and none of its items is left waiting
        (the caller dead-letters the message); otherwise refusals are dead-lettered when the
        message's last operation is answered."""
        self._raise_failure()
        origin = _Origin(record=record, context=contextvars.copy_context(), keep_alive=keep_alive,
                         unreadable=list(unreadable))
        for item in items:
            if item.key in self._waiting_keys:
                await self.flush()  # the document's earlier operation first, then judge this one
            if not self._ledger.should_apply(item):
                continue
            origin.fresh += 1
            try:
                operation = operation_for_change(item, namespace=self._namespace)
            except PoisonMessage as exc:
                origin.refused.append(f"{item.doc_id}: {exc}")
                continue
            origin.waiting += 1
            self._waiting_keys.add(item.key)
            self._batch.append(_Entry(origin, item, operation))
            if len(self._batch) >= self._batch_size:
                await self._send()
        origin.complete = True
        if origin.waiting == 0:
            _raise_refusals(origin)  # nothing of it waits: fails now (the processor dead-letters it), or done
        elif self._batch and self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self._linger_s, self._on_linger)

    async def flush(self) -> None:
        """Feed what waits and wait for every answer; raises a failure that must stop the worker."""
        await self._send()
        in_flight = self._in_flight
        if in_flight is not None:
            await in_flight
        self._raise_failure()

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    def _on_linger(self) -> None:
        self._timer = None
        if self._batch:
            self._linger_task = asyncio.ensure_future(self._send())

    async def _send(self) -> None:
        """Start feeding the filling batch, once the previous one is answered."""
        async with self._send_lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._in_flight is not None:
                await self._in_flight  # one batch at a time: documents stay in order
                self._in_flight = None
            if not self._batch:
                return
            batch, self._batch = self._batch, []
            self._in_flight = asyncio.ensure_future(self._feed_batch(batch))

    async def _feed_batch(self, batch: list[_Entry]) -> None:
        try:
            try:
                results = await self._feed_with_retries([entry.operation for entry in batch])
            except Exception as exc:  # not transient, and still failing after the policy's attempts
                for entry in batch:
                    entry.origin.error = entry.origin.error or exc
                results = None
            settled: dict[int, _Origin] = {}
            for index, entry in enumerate(batch):
                self._apply(entry, results[index] if results is not None else None)
                self._waiting_keys.discard(entry.item.key)
                origin = entry.origin
                origin.waiting -= 1
                if origin.complete and origin.waiting == 0:
                    settled[id(origin)] = origin
            for origin in settled.values():
                await self._settle(origin)
        except Exception as exc:  # noqa: BLE001 - kept for load/flush to raise: the worker must stop
            if self._failure is None:
                self._failure = WorkerMustStop(f"a batch of {len(batch)} operations failed: {type(exc).__name__}: {exc}")
                self._failure.__cause__ = exc
                log.error("vespa-loader: %s; stopping before the next commit", self._failure)
                self._on_failure(self._failure)

    async def _feed_with_retries(self, operations: list[FeedOperation]) -> list[FeedResult]:
        def on_retry(exc: BaseException, number: int, wait: float) -> None:
            log.warning(
                "retrying a batch of %d operations: attempt=%d wait_s=%.2f error=%s: %s",
                len(operations), number, wait, type(exc).__name__, exc,
            )

        async def attempt() -> list[FeedResult]:
            return await self._feed().feed(operations)

        return await retry(attempt, policy=self._policy, is_transient=is_transient, on_retry=on_retry)

    def _apply(self, entry: _Entry, result: FeedResult | None) -> None:
        if result is None:
            return
        if result.ok:
            entry.origin.context.run(self._ledger.record, entry.item)
        else:
            entry.origin.refused.append(f"{entry.item.doc_id}: {result.error()}")

    async def _settle(self, origin: _Origin) -> None:
        """Every operation of a complete message is answered: dead-letter it if any was refused."""
        error = origin.error or _refusal(origin)
        if error is not None:
            await self._dead_letter(origin.record, error)
        origin.keep_alive = None


def _refusal(origin: _Origin) -> PoisonMessage | None:
    return not_applied(origin.refused, origin.fresh, "documents refused by Vespa", origin.unreadable)


def _raise_refusals(origin: _Origin) -> None:
    if origin.error is not None:
        raise origin.error
    refusal = _refusal(origin)
    if refusal is not None:
        raise refusal
