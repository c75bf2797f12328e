"""Publishing a sync's steps: in order, and the cursors stored only once every event of the sync
is acknowledged, onto the integration as it is then."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest

from producers.exceptions import PublishFailed
from producers.integrations.state import CALENDAR_CHANNEL, Watch
from producers.live.changes import Advance, Changes, Listing, Step, SyncContext, deleted, updated
from producers.live.publishing import SyncPublisher
from schemas.models import ChangeType, Contact, DocType, Provider
from tests.unit.producers.live_doubles import MemoryStore, SlowPublisher, integration

NOW = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)
CHANGED = dt.datetime(2026, 11, 1, 8, tzinfo=dt.UTC)


def contact(doc_id: str, changed_at: dt.datetime | None = None) -> Contact:
    return Contact(id=doc_id, display_name=doc_id, updated_at=changed_at)


async def steps_of(*steps: Step) -> AsyncIterator[Step]:
    for step in steps:
        yield step


def context_for(store: MemoryStore) -> SyncContext:
    return SyncContext(store.get("microsoft:ada@contoso.example"), "contacts", DocType.contact, NOW)


async def test_changes_go_out_in_order_and_the_cursor_is_stored_only_after_every_delivery() -> None:
    store = MemoryStore(integration(Provider.microsoft, {"contacts": "link-1"}))
    publisher = SlowPublisher()
    sync = SyncPublisher(publisher, store, batch_size=2, now=lambda: NOW)  # type: ignore[arg-type]
    running = asyncio.ensure_future(sync.run(context_for(store), steps_of(
        Changes([updated(contact("c1", CHANGED)), deleted("c2"), updated(contact("c3"))]), Advance({"contacts": "link-2"}),
    )))
    await asyncio.sleep(0.01)
    sent = [(s["doc_id"], s["change"], s["occurred_at"]) for s in publisher.sent]
    assert sent == [("c1", ChangeType.updated, CHANGED), ("c2", ChangeType.deleted, NOW), ("c3", ChangeType.updated, NOW)]
    assert not running.done() and store.saved == []  # nothing acknowledged yet: no cursor
    publisher.deliver_all()
    done = await running
    assert store.get("microsoft:ada@contoso.example").cursors == {"contacts": "link-2"}
    assert (done.updates, done.deletes, done.stored) == (2, 1, {"contacts": "link-2"})


async def test_a_failed_delivery_stores_no_cursor() -> None:
    store = MemoryStore(integration(Provider.microsoft, {"contacts": "link-1"}))
    publisher = SlowPublisher()
    sync = SyncPublisher(publisher, store, batch_size=2, now=lambda: NOW)  # type: ignore[arg-type]
    running = asyncio.ensure_future(sync.run(context_for(store), steps_of(
        Changes([updated(contact("c1")), updated(contact("c2"))]), Advance({"contacts": "link-2"}))))
    await asyncio.sleep(0.01)
    publisher.futures[0].set_exception(PublishFailed("not delivered", topic="contact-updates"))
    publisher.futures[1].set_result(None)
    with pytest.raises(PublishFailed):
        await running
    assert store.saved == []


async def test_a_listing_becomes_batches_under_one_correlation_id_the_last_one_flagged() -> None:
    store = MemoryStore(integration(Provider.microsoft, {}))
    publisher = SlowPublisher()
    sync = SyncPublisher(publisher, store, batch_size=2, now=lambda: NOW)  # type: ignore[arg-type]
    running = asyncio.ensure_future(sync.run(context_for(store), steps_of(
        Listing([contact("c1"), contact("c2"), contact("c3")]), Listing([contact("c4")]), Advance({"contacts": "link-1"}))))
    await asyncio.sleep(0.01)
    publisher.deliver_all()
    done = await running
    batches = [s for s in publisher.sent if s["kind"] == "batch"]
    assert [[r.id for r in b["records"]] for b in batches] == [["c1", "c2"], ["c3", "c4"]]
    assert [(b["batch_index"], b["is_last_batch"]) for b in batches] == [(0, False), (1, True)]
    assert len({b["correlation_id"] for b in batches}) == 1 and batches[0]["correlation_id"].startswith("resync-")
    assert done.resynced and done.listed == 4


async def test_cursors_are_stored_onto_the_integration_as_it_is_now_and_a_cursor_changed_meanwhile_wins() -> None:
    store = MemoryStore(integration(Provider.microsoft, {"mail:inbox": "a-1", "mail:archive": "b-1"}))
    publisher = SlowPublisher()
    sync = SyncPublisher(publisher, store, batch_size=2, now=lambda: NOW)  # type: ignore[arg-type]
    context = SyncContext(store.get("microsoft:ada@contoso.example"), "mail", DocType.email, NOW)
    # Meanwhile the orchestrator saved the integration: a new backfill cursor for the archive, a status.
    meanwhile = context.integration.model_copy(update={"cursors": {"mail:inbox": "a-1", "mail:archive": "b-9"},
                                                       "last_error": "kept"})
    store.integrations[meanwhile.key] = meanwhile
    done = await sync.run(context, steps_of(Advance({"mail:inbox": "a-2", "mail:archive": "b-2"})))
    latest = store.get(meanwhile.key)
    assert latest.cursors == {"mail:inbox": "a-2", "mail:archive": "b-9"} and latest.last_error == "kept"
    assert done.stored == {"mail:inbox": "a-2"}


async def test_cursors_stored_while_another_writer_saves_keep_that_writers_change() -> None:
    """The live side and the orchestrator (a renewed watch) write one integration at once: the
    cursors go onto the version the other writer is storing, not onto the one read before it."""
    store = MemoryStore(integration(Provider.google, {"contacts": "sync-1"}))
    key = "google:ada@contoso.example"
    watch = Watch(kind=CALENDAR_CHANNEL, id="channel-2", resource="calendar", renewed_at=NOW, expires_at=NOW)
    store.write_gate = asyncio.Event()
    renewing = asyncio.ensure_future(store.update(key, lambda current: current.with_watches((watch,), now=NOW)))
    await asyncio.sleep(0)  # the renewal holds the store's lock; the brokers have not acknowledged it yet
    sync = SyncPublisher(SlowPublisher(), store, batch_size=2, now=lambda: NOW)  # type: ignore[arg-type]
    context = SyncContext(store.get(key), "contacts", DocType.contact, NOW)
    committing = asyncio.ensure_future(sync.run(context, steps_of(Advance({"contacts": "sync-2"}))))
    for _ in range(5):
        await asyncio.sleep(0)
    store.write_gate.set()
    await renewing
    done = await committing
    latest = store.get(key)
    assert latest.watches == (watch,), "the renewed watch was overwritten by the cursor's write"
    assert latest.cursors == {"contacts": "sync-2"} and done.stored == {"contacts": "sync-2"}
