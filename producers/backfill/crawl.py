"""What a backfill crawls: pages of canonical records, each with the cursor that resumes after it.

A crawler walks one doc type of one mailbox through the provider's connector
(``connectors/microsoft``, ``connectors/google``). Its cursor is its own JSON string, opaque to
the runner, which stores it only once the page before it is on Kafka. The last page says what
the live side continues from (``sync_cursor``: Graph delta links, the Gmail history id, a
Calendar or People sync token), so history and live streaming meet without a gap: anything that
changes during the crawl shows up again in the first live sync after it.

A provider payload that cannot be normalized is handed to ``Unreadable`` (the runner
dead-letters it on ``office-bridge-dlq`` with the reason) and skipped: one bad item never stops
a mailbox.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from schemas.models import AvroModel, DocType

#: ``(doc type, item id, raw payload, reason)`` of a payload that could not be normalized.
Unreadable = Callable[[DocType, str, Any, str], None]


@dataclass(frozen=True, slots=True)
class CrawlPage:
    records: list[AvroModel]
    #: Resumes the crawl after this page; None on the last page.
    cursor: str | None
    #: On the last page: what the live side continues from.
    sync_cursor: str | None = None
    #: The crawl started over with this page (a cursor the provider no longer knows): what was
    #: published before is published again, and the counts start again.
    restarted: bool = False
    #: How many items the provider says there are, when it says.
    estimated_total: int | None = None
    skipped: list[str] = field(default_factory=list)

    @property
    def is_last(self) -> bool:
        return self.cursor is None


class Crawler(Protocol):
    doc_type: DocType

    def pages(self, cursor: str | None) -> AsyncIterator[CrawlPage]:
        """The pages from ``cursor`` (None: from the start) to the end of the crawl."""
        ...


def encode_cursor(state: dict[str, Any]) -> str:
    return json.dumps(state, separators=(",", ":"), sort_keys=True)


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    """A cursor this version wrote, or None (no cursor, or one it cannot read: start over)."""
    if not cursor:
        return None
    try:
        state = json.loads(cursor)
    except ValueError:
        return None
    return state if isinstance(state, dict) else None


class Lookahead:
    """The crawler's pages, one read ahead in a task of its own (the crawl goes on while the
    runner publishes the page before)."""

    def __init__(self, crawler: Crawler, cursor: str | None) -> None:
        self._pages = crawler.pages(cursor)
        self._next: asyncio.Task[CrawlPage] | None = None

    async def next(self) -> CrawlPage:
        task = self._next or asyncio.ensure_future(self._pages.__anext__())
        page = await task
        self._next = None if page.is_last else asyncio.ensure_future(self._pages.__anext__())
        return page

    async def close(self) -> None:
        if self._next is not None:
            self._next.cancel()
            try:
                await self._next
            except (asyncio.CancelledError, StopAsyncIteration, Exception):  # noqa: BLE001 - abandoned read-ahead
                pass
        await self._pages.aclose()
