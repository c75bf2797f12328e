"""Live syncs of a Google account: Gmail history from the history id, Calendar events and People
connections from their sync tokens (``connectors/google/*_sync.py``).

The Google clients block (httplib2) and hold one transport each, so every integration gets one
worker thread and one ``GoogleAccount`` used only there, one call at a time; the event loop
never waits on Google. The connectors answer an expired cursor (Gmail 404, Calendar 410,
People ``EXPIRED_SYNC_TOKEN``) with a complete listing flagged ``full_resync``: that listing is
published as batch events, and the deletions it still knows (People tombstones, deleted
Calendar events) as deletes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

from pydantic import SecretStr

from connectors.google.account import GoogleAccount
from connectors.google.calendar_sync import sync_events
from connectors.google.changes import ChangeBatch
from connectors.google.exceptions import NormalizationError
from connectors.google.gmail_sync import sync_changes
from connectors.google.people_sync import sync_contacts
from producers.integrations.state import Integration
from producers.live.changes import Advance, Changes, Listing, Step, SyncContext, deleted, updated
from producers.live.providers import LiveClients

T = TypeVar("T")
_END = object()

#: Cursor name of each resource (``producers/integrations/state.py``).
CURSORS = {"mail": "gmail", "calendar": "calendar", "contacts": "contacts"}


class _Worker:
    def __init__(self) -> None:
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="officestream-live-google")
        self.account: GoogleAccount | None = None
        self.grant: SecretStr | None = None

    async def run(self, call: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.thread, partial(call, *args))


class GoogleWorkers:
    """One thread and one account per Google integration."""

    def __init__(self, clients: LiveClients) -> None:
        self._clients = clients
        self._workers: dict[str, _Worker] = {}

    async def iterate(self, integration: Integration, sync: Callable[[GoogleAccount], Iterator[T]]) -> AsyncIterator[T]:
        """The items of the blocking iterator ``sync(account)``, each produced in the integration's thread."""
        worker = self._workers.get(integration.key) or self._workers.setdefault(integration.key, _Worker())
        iterator = await worker.run(self._start, worker, integration, sync)
        try:
            while (item := await worker.run(next, iterator, _END)) is not _END:
                yield item
        finally:
            await asyncio.shield(worker.run(_close, iterator))

    def _start(self, worker: _Worker, integration: Integration, sync: Callable[[GoogleAccount], Iterator[T]]) -> Iterator[T]:
        if worker.account is None or worker.grant != integration.refresh_token:
            worker.account, worker.grant = self._clients.google(integration), integration.refresh_token
        return sync(worker.account)

    def forget(self, key: str) -> None:
        worker = self._workers.pop(key, None)
        if worker is not None:
            worker.thread.shutdown(wait=False)

    def close(self) -> None:
        for key in list(self._workers):
            self.forget(key)


def _close(iterator: Iterator[Any]) -> None:
    close = getattr(iterator, "close", None)
    if close is not None:
        close()


async def google_steps(workers: GoogleWorkers, context: SyncContext) -> AsyncIterator[Step]:
    """The steps of one sync of ``context.resource`` from its stored cursor."""
    integration, name = context.integration, CURSORS[context.resource]
    cursor = integration.cursors.get(name)

    def unreadable(item_id: str, exc: NormalizationError) -> None:
        context.unreadable(item_id, None, str(exc))

    def sync(account: GoogleAccount) -> Iterator[ChangeBatch[Any]]:
        if context.resource == "mail":
            return sync_changes(account.gmail, cursor, user=integration.user_id, on_unreadable=unreadable)
        if context.resource == "calendar":
            return sync_events(account.calendar, cursor, on_unreadable=unreadable)
        return sync_contacts(account.people, cursor, on_unreadable=unreadable)

    following = None
    async for batch in workers.iterate(integration, sync):
        if batch.full_resync:
            yield Listing(list(batch.records))
            if batch.deleted_ids:
                yield Changes([deleted(doc_id) for doc_id in batch.deleted_ids])
        else:
            yield Changes([updated(record) for record in batch.records] + [deleted(doc_id) for doc_id in batch.deleted_ids])
        following = batch.cursor or following
    # A listing that ended without a cursor (the provider gave none) keeps the stored one.
    yield Advance({name: following or cursor})
