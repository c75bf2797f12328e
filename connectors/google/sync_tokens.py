"""Sync by token (Calendar events, People connections): page through a listing; the last page
carries the next sync token. From a stored token only changes come back; when the token has
expired the listing starts over without it and says so (``full_resync``), never leaving a gap.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from connectors.google.changes import ChangeBatch, Deletion, R
from connectors.google.exceptions import CursorExpired, NormalizationError

log = logging.getLogger(__name__)

#: Called with the item id and the error for a payload that cannot be normalized; the default
#: (None) raises. A policy that logs and skips keeps one bad item from stalling a mailbox.
OnUnreadable = Callable[[str, NormalizationError], None] | None


@dataclass(frozen=True, slots=True)
class TokenPage:
    """One page of a listing that ends in a sync token."""

    items: list[dict[str, Any]]
    next_page_token: str | None
    next_sync_token: str | None


def token_sync(
    list_page: Callable[[str | None, str | None], TokenPage],
    normalize: Callable[[dict[str, Any]], R | Deletion],
    cursor: str | None,
    *,
    id_of: Callable[[dict[str, Any]], str],
    on_unreadable: OnUnreadable = None,
) -> Iterator[ChangeBatch[R]]:
    """Batches of changes since ``cursor`` (None: everything). ``list_page(sync_token,
    page_token)`` fetches one page; the final batch carries the next cursor."""
    full = cursor is None
    try:
        first = list_page(cursor, None)
    except CursorExpired:
        log.info("google sync cursor expired; full resync")
        full, cursor, first = True, None, list_page(None, None)
    page = first
    while True:
        yield to_batch(page.items, normalize, id_of=id_of, full_resync=full, on_unreadable=on_unreadable,
                       next_page_token=page.next_page_token, cursor=page.next_sync_token)
        if page.next_page_token is None:
            return
        page = list_page(cursor, page.next_page_token)


def to_batch(items: list[dict[str, Any]], normalize: Callable[[dict[str, Any]], R | Deletion], *,
             id_of: Callable[[dict[str, Any]], str], full_resync: bool, on_unreadable: OnUnreadable,
             next_page_token: str | None, cursor: str | None) -> ChangeBatch[R]:
    records: list[R] = []
    deleted: list[str] = []
    for item in items:
        try:
            record = normalize(item)
        except NormalizationError as exc:
            if on_unreadable is None:
                raise
            on_unreadable(id_of(item), exc)
            continue
        if isinstance(record, Deletion):
            deleted.append(record.id)
        else:
            records.append(record)
    return ChangeBatch(records=records, deleted_ids=deleted, full_resync=full_resync,
                       next_page_token=next_page_token, cursor=cursor)


def item_id(key: str) -> Callable[[dict[str, Any]], str]:
    return lambda item: str(item.get(key, "?")) if isinstance(item, dict) else "?"
