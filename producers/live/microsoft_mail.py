"""Live sync of a Microsoft 365 mailbox's mail: every mail folder's message delta, with the
folder tree followed by its own delta (``mail-folders``).

- Folders: the ``mail-folders`` delta from its stored link says which folders appeared and
  which went away. A new folder's messages start fresh (an initial round, its messages
  published as changes; with no folder cursor at all, the whole mailbox is a listing); a
  removed folder's cursor is dropped. The first mail sync of a process reads the whole tree
  (the folder names are kept in memory: ``Email.folder`` is the folder's name, as the backfill
  writes it), and so does a sync without a ``mail-folders`` cursor (right after the backfill's
  hand-off).
- Messages: each folder's round from its ``mail:<folder>`` link, several folders read at once
  (the Graph client bounds the requests per mailbox) and consumed in folder order.
- Moves: Graph's message delta is per folder, so a move shows as ``@removed`` in one folder and
  as a new item in another; ids are immutable, so it is one item. All folders are read before
  any delete is published: a removed id seen live elsewhere in the same sync is no delete (its
  update is published from its new folder). A removed id seen nowhere is looked up once
  (``GET messages/{id}``): it may have moved into a folder already read; found, it is an update,
  404, a delete. That keeps a move from ever being a delete after the create.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from connectors.microsoft import delta
from connectors.microsoft.exceptions import GraphNotFound, NormalizationError
from connectors.microsoft.graph_client import GraphClient
from connectors.microsoft.normalize import RemovedItem, normalize
from producers.live.changes import Advance, Changes, ItemChange, Step, SyncContext, deleted, updated
from producers.live.microsoft import on_error, steps_of

FOLDERS = "mail-folders"
PREFIX = "mail:"
#: Removed ids looked up per sync; past it (a mass delete) the rest are published as deletes.
MOVE_LOOKUPS = 100
#: Pages read ahead per folder while an earlier folder is being consumed.
READ_AHEAD = 2


@dataclass(frozen=True, slots=True)
class _Tree:
    #: Folder id → its stored link (None: a new folder, read from scratch).
    folders: dict[str, str | None]
    names: dict[str, str]
    #: Cursor changes for the tree: its new link, the dropped folders' links removed.
    cursors: dict[str, str | None]
    #: No folder had a cursor: the whole mailbox is read from scratch, a listing.
    from_scratch: bool


class GraphMail:
    """Mail syncs of every Microsoft integration, with the folder names each has (in memory)."""

    def __init__(self) -> None:
        self._names: dict[str, dict[str, str]] = {}

    def forget(self, key: str) -> None:
        self._names.pop(key, None)

    async def steps(self, client: GraphClient, context: SyncContext) -> AsyncIterator[Step]:
        mailbox = context.integration.user_id
        tree = await self._tree(client, context)
        live: set[str] = set()
        removed: dict[str, None] = {}
        cursors = dict(tree.cursors)
        async for folder, page in _read_ahead(client, mailbox, tree.folders):
            records = page.normalized(folder_names=tree.names, on_error=on_error(context))
            live |= {r.id for r in records if not isinstance(r, RemovedItem)}
            removed.update((r.id, None) for r in records if isinstance(r, RemovedItem))
            listing = page.resync or tree.from_scratch
            for step in steps_of([r for r in records if not isinstance(r, RemovedItem)], listing=listing):
                yield step
            if page.is_last:
                cursors[PREFIX + folder] = page.delta_link
        gone = [doc_id for doc_id in removed if doc_id not in live]
        yield Changes(await _moved_or_deleted(client, mailbox, gone, tree.names, context))
        yield Advance(cursors)

    async def _tree(self, client: GraphClient, context: SyncContext) -> _Tree:
        integration = context.integration
        link = integration.cursors.get(FOLDERS)
        known = {name[len(PREFIX):]: value for name, value in integration.cursors.items() if name.startswith(PREFIX)}
        names = self._names.get(integration.key)
        whole = link is None or names is None
        resource = delta.mail_folders(integration.user_id)
        entries, following, resynced = await delta.read_round(client, integration.user_id, resource, None if whole else link)
        whole = whole or resynced
        names = {} if whole or names is None else dict(names)
        present = {str(e["id"]) for e in entries if e.get("id") and "@removed" not in e}
        gone = {str(e["id"]) for e in entries if e.get("id") and "@removed" in e}
        for folder in gone:
            names.pop(folder, None)
        names.update(delta.folder_names(e for e in entries if str(e.get("id")) in present))
        dropped = (set(known) - present) if whole else (gone & set(known))
        folders = sorted(present | set(known) - dropped) if not whole else sorted(present)
        self._names[integration.key] = names
        cursors: dict[str, str | None] = {PREFIX + folder: None for folder in dropped}
        cursors[FOLDERS] = following or link
        return _Tree({folder: known.get(folder) for folder in folders}, names, cursors, from_scratch=not known)


async def _read_ahead(client: GraphClient, mailbox: str,
                      folders: dict[str, str | None]) -> AsyncIterator[tuple[str, delta.DeltaPage]]:
    """Every folder's round, page by page, in folder order; later folders are read meanwhile
    (at most ``READ_AHEAD`` pages each held in memory)."""
    queues = {folder: asyncio.Queue[Any](READ_AHEAD) for folder in folders}

    async def pump(folder: str, link: str | None) -> None:
        queue = queues[folder]
        try:
            async for page in delta.delta_round(client, mailbox, delta.messages_in_folder(mailbox, folder), link):
                await queue.put(page)
        except Exception as exc:  # noqa: BLE001 - handed to the consumer, which raises it in order
            await queue.put(exc)
            return
        await queue.put(None)

    tasks = [asyncio.create_task(pump(folder, link)) for folder, link in folders.items()]
    try:
        for folder, queue in queues.items():
            while (page := await queue.get()) is not None:
                if isinstance(page, Exception):
                    raise page
                yield folder, page
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _moved_or_deleted(client: GraphClient, mailbox: str, ids: list[str], names: dict[str, str],
                            context: SyncContext) -> list[ItemChange]:
    """Removed ids seen live nowhere in this sync: each looked up, an update where it still is."""
    looked_up, rest = ids[:MOVE_LOOKUPS], ids[MOVE_LOOKUPS:]
    found = await asyncio.gather(*(_message(client, mailbox, doc_id) for doc_id in looked_up))
    changes: list[ItemChange] = []
    for doc_id, payload in zip(looked_up, found, strict=True):
        if payload is None:
            changes.append(deleted(doc_id))
            continue
        try:
            record = normalize("email", payload, folder_names=names)
        except NormalizationError as exc:
            on_error(context)(payload, exc)
            continue
        changes.append(deleted(doc_id) if isinstance(record, RemovedItem) else updated(record))
    return changes + [deleted(doc_id) for doc_id in rest]


async def _message(client: GraphClient, mailbox: str, doc_id: str) -> dict[str, Any] | None:
    path = f"users/{quote(mailbox, safe='@')}/messages/{quote(doc_id, safe='')}"
    try:
        return await client.get_json(mailbox, path, params={"$select": delta.MESSAGE_SELECT,
                                                             "$expand": delta.ATTACHMENTS_EXPAND})
    except GraphNotFound:
        return None
