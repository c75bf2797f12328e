"""Publishing one sync's steps, then storing its cursors: the delivery half of a live sync.

Every change becomes one ``*-updates`` event, submitted in the order the query yielded it (the
idempotent producer keeps that order per partition, and a user's events share a partition);
a complete listing becomes batch events of ``batch_size`` records, the last one flagged
``is_last_batch``, under one correlation id per resync. Payloads that would not normalize go to
``office-bridge-dlq``. Only when *every* event of the sync is acknowledged are the cursors
stored: a crash before that repeats the query, and consumers absorb the repeated events (same
item versions).

Cursors are stored onto the integration as it is *now* (another part of the bridge may have
saved it meanwhile: renewed a watch, changed its status), and only those the sync started from
and nobody changed since (a cursor handed over by a new backfill wins over this sync's).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from producers.dead_letters import TOPIC as DEAD_LETTERS
from producers.integrations.state import Integration
from producers.integrations.store import IntegrationNotFound
from producers.live.changes import Advance, Changes, ItemChange, Listing, Step, SyncContext
from producers.publisher import Publisher
from schemas.models import AvroModel, ChangeType
from schemas.redaction import user_ref

log = logging.getLogger("officestream.producers.live")

#: Called once every event of a sync is acknowledged, before its cursors are stored (tests
#: stop a sync there to show that a crash in between loses nothing).
BeforeCommit = Callable[[SyncContext], Awaitable[None]]


class IntegrationStates(Protocol):
    """What the live side needs of the integration store (``producers/integrations/store.py``)."""

    def get(self, key: str) -> Integration | None: ...

    def all(self) -> list[Integration]: ...

    async def update(self, key: str, change: Callable[[Integration], Integration]) -> Integration: ...


@dataclass
class Published:
    """What one sync put on Kafka, and which cursors it stored."""

    updates: int = 0
    deletes: int = 0
    listed: int = 0
    batches: int = 0
    dead_letters: int = 0
    resynced: bool = False
    stored: dict[str, str | None] = field(default_factory=dict)


class SyncPublisher:
    def __init__(self, publisher: Publisher, store: IntegrationStates, *, batch_size: int,
                 now: Callable[[], dt.datetime], before_commit: BeforeCommit | None = None) -> None:
        self._publisher = publisher
        self._store = store
        self._batch_size = batch_size
        self._now = now
        self._before_commit = before_commit

    async def run(self, context: SyncContext, steps: AsyncIterator[Step]) -> Published:
        done = Published()
        deliveries: list[asyncio.Future] = []
        listing = _Batches(self._publisher, context, self._batch_size)
        advance: Advance | None = None
        async for step in steps:
            if isinstance(step, Changes):
                for item in step.items:
                    deliveries.append(await self._submit(context, item))
                    done.deletes += item.deleted
                    done.updates += not item.deleted
            elif isinstance(step, Listing):
                done.resynced = True
                deliveries += await listing.add(step.records)
                done.listed += len(step.records)
            else:
                advance = step
            deliveries += await self._dead_letters(context, done)
        if advance is None:
            raise RuntimeError("a live query ended without its cursors")
        if done.resynced:
            deliveries += await listing.finish()
        done.batches = listing.published
        await _delivered(deliveries)
        if self._before_commit is not None:
            await self._before_commit(context)
        done.stored = await self._commit(context, advance.cursors)
        return done

    async def _submit(self, context: SyncContext, item: ItemChange) -> asyncio.Future:
        integration = context.integration
        return await self._publisher.submit_update(
            user_id=integration.user_id, provider=integration.provider, doc_type=context.doc_type,
            change=ChangeType.deleted if item.deleted else ChangeType.updated, doc_id=item.doc_id, record=item.record,
            occurred_at=item.changed_at or context.detected_at, trace=context.trace,
        )

    async def _dead_letters(self, context: SyncContext, done: Published) -> list[asyncio.Future]:
        futures = []
        for letter in context.take_dead_letters():
            log.warning("provider payload dead-lettered live=%s type=%s item=%s reason=%s", context.integration.provider.value,
                        letter.doc_type.value, letter.item_id, letter.reason[:200])
            futures.append(await self._publisher.submit_record(DEAD_LETTERS, letter.user_id.encode(), letter.value(),
                                                               letter.headers()))
            done.dead_letters += 1
        return futures

    async def _commit(self, context: SyncContext, cursors: dict[str, str | None]) -> dict[str, str | None]:
        began = context.integration
        stored: dict[str, str | None] = {}

        def store_cursors(latest: Integration) -> Integration:
            # Under the store's lock, onto the latest version: a writer that saved meanwhile
            # (a renewed watch, a status, a hand-off's cursor) keeps its change.
            stored.clear()
            for name, value in cursors.items():
                if latest.cursors.get(name) != began.cursors.get(name):
                    log.info("cursor changed during the sync, kept user=%s cursor=%s", user_ref(began.user_id),
                             name.split(":")[0])
                    continue
                if latest.cursors.get(name) != value:
                    latest = latest.with_cursor(name, value, now=self._now())
                    stored[name] = value
            return latest

        try:
            await self._store.update(began.key, store_cursors)
        except IntegrationNotFound:
            log.info("integration gone before its cursors were stored user=%s", user_ref(began.user_id))
            return {}
        return dict(stored)


class _Batches:
    """A resync's listing as batch events; the last chunk is held back until the listing ends,
    so it can say ``is_last_batch``."""

    def __init__(self, publisher: Publisher, context: SyncContext, size: int) -> None:
        self._publisher = publisher
        self._context = context
        self._size = size
        self._held: list[AvroModel] = []
        self._correlation_id = f"resync-{uuid.uuid4().hex}"
        self.published = 0

    async def add(self, records: list[AvroModel]) -> list[asyncio.Future]:
        self._held += records
        futures = []
        while len(self._held) > self._size:
            chunk, self._held = self._held[:self._size], self._held[self._size:]
            futures.append(await self._submit(chunk, last=False))
        return futures

    async def finish(self) -> list[asyncio.Future]:
        chunk, self._held = self._held, []
        return [await self._submit(chunk, last=True)]

    async def _submit(self, records: list[AvroModel], *, last: bool) -> asyncio.Future:
        integration = self._context.integration
        future = await self._publisher.submit_batch(
            user_id=integration.user_id, provider=integration.provider, doc_type=self._context.doc_type, records=records,
            batch_index=self.published, is_last_batch=last, occurred_at=self._context.detected_at,
            correlation_id=self._correlation_id, trace=self._context.trace,
        )
        self.published += 1
        return future


async def _delivered(futures: list[asyncio.Future]) -> None:
    """Wait for every delivery; raise the first failure (after all have settled, so none is
    left unobserved)."""
    outcomes = await asyncio.gather(*futures, return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
