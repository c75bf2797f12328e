"""What a provider holds for one integration: every item id with its version marker, read by
the same crawl the backfill runs (``ProviderCrawlers``), so the ids and markers are exactly the
ones the events carry. ``officestream reconcile`` compares it with what each sink holds.

A crawl publishes nothing here: its pages are only read. Payloads that do not normalize are
listed as ``unreadable`` (the backfill dead-letters those, so no sink holds them either).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from producers.backfill.job import BackfillJob
from producers.backfill.providers import ProviderCrawlers
from producers.backfill.runner import CrawlHooks
from producers.integrations.state import Integration
from schemas.models import DocType


@dataclass
class Inventory:
    #: doc type → item id → version marker (None when the provider gives none).
    items: dict[DocType, dict[str, str | None]] = field(default_factory=dict)
    #: doc type → ids whose payload did not normalize.
    unreadable: dict[DocType, list[str]] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {
            "items": {t.value: ids for t, ids in self.items.items()},
            "unreadable": {t.value: ids for t, ids in self.unreadable.items()},
        }


async def inventory(crawlers: ProviderCrawlers, integration: Integration, doc_types: tuple[DocType, ...],
                    *, now: dt.datetime) -> Inventory:
    """Crawl ``doc_types`` of ``integration``'s mailbox from the start; record ids and markers."""
    job = BackfillJob.new(user_id=integration.user_id, provider=integration.provider, doc_types=doc_types, now=now)
    found = Inventory()
    for doc_type in doc_types:
        hooks = CrawlHooks(job)
        ids: dict[str, str | None] = {}
        async for page in crawlers.crawler(job, doc_type, hooks).pages(None):
            if page.restarted:
                ids.clear()  # the provider restarted the listing: what came before comes again
            for record in page.records:
                ids[record.id] = getattr(record, "version_marker", None)  # type: ignore[attr-defined]
        found.items[doc_type] = ids
        found.unreadable[doc_type] = [letter.item_id for letter in hooks.dead_letters]
    return found
