"""Feeding one message's item changes to Vespa: the vespa-loader's logic, without faust.

Items the ledger has already applied are skipped; an item is recorded in the ledger only once
Vespa (or the feed file) accepted it. Items that cannot be mapped or that Vespa rejects do not
stop the others: the message is then dead-lettered naming them (a replay is harmless).
"""

from __future__ import annotations

from connectors.vespa.feed import FeedClient
from connectors.vespa.operations import FeedOperation
from processors.common.exceptions import PoisonMessage
from processors.common.idempotence import VersionLedger
from processors.common.items import ItemChange
from processors.vespa_loader.documents import operation_for_change


async def load_items(items: list[ItemChange], *, feed: FeedClient, ledger: VersionLedger, namespace: str) -> None:
    """Feed the new versions among ``items`` in one call; raise PoisonMessage for refused ones."""
    fresh = [item for item in items if ledger.should_apply(item)]
    refused: list[str] = []
    pending: list[tuple[ItemChange, FeedOperation]] = []
    for item in fresh:
        try:
            pending.append((item, operation_for_change(item, namespace=namespace)))
        except PoisonMessage as exc:
            refused.append(f"{item.doc_id}: {exc}")
    results = await feed.feed([operation for _, operation in pending]) if pending else []
    for (item, _), result in zip(pending, results, strict=True):
        if result.ok:
            ledger.record(item)
        else:
            refused.append(f"{item.doc_id}: {result.error()}")
    if refused:
        raise PoisonMessage(f"{len(refused)} of {len(fresh)} documents refused by Vespa: " + "; ".join(refused))
