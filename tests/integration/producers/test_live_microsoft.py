"""The live sync of a Microsoft 365 mailbox against the emulator (real msal and httpx) onto the
real stack, with the real integration store and publisher: after a backfill and its hand-off,
emulator changes arrive as update events, per user in order, and the items the events imply are
the mailbox's; a move is one update; an expired delta link resyncs without a loss; a burst is
one or two queries; a crash between publishing and storing the cursor loses nothing."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import TYPE_CHECKING

import pytest
from pydantic import SecretStr

from connectors.emulator.microsoft import DEMO_CLIENT_SECRET
from connectors.emulator.microsoft.calendar import _instances
from connectors.microsoft import delta
from producers.backfill.providers import ProviderCrawlers
from producers.bridge.settings import BridgeSettings
from producers.integrations.store import IntegrationStore
from producers.live.providers import ConnectorClients
from schemas.models import DocType, EmailBackfillEvent, Provider
# Imported into this module (not ``pytest_plugins``): the Google fixtures have the same names.
from tests.integration.microsoft.harness import emulator, pristine_world, tls  # noqa: F401
from tests.integration.producers.live_helpers import (  # noqa: F401
    ALL,
    ReauthRecorder,
    backfill,
    box,
    downstream,
    eventually,
    handed_off,
    kafka,
    live_sync,
    new_integration,
    payloads,
    publisher,
    store,
    sync_all,
)

if TYPE_CHECKING:
    from tests.integration.microsoft.harness import Emulator

SYNCED = {"mail": "synced", "calendar": "synced", "contacts": "synced"}


def expected(emulator: Emulator) -> dict[DocType, set[str]]:
    """What the mailbox holds, as the backfill and the live side read it (the calendar through
    the calendarView window around now, with the series masters)."""
    box = emulator.world.mailbox(emulator.user)
    settings = emulator.settings()
    start, end = delta.calendar_window(dt.datetime.now(dt.UTC), past_days=settings.calendar_past_days,
                                       future_days=settings.calendar_future_days)
    shown = _instances(box, start, end)
    masters = {item.id for item, occurrence in shown.values() if occurrence is not None}
    masters |= {item.series_master_id for item, _ in shown.values() if item.series_master_id}
    return {DocType.email: set(box.emails), DocType.calendar_event: set(shown) | masters,
            DocType.contact: set(box.contacts)}


async def connected(emulator: Emulator, publisher, kafka, store: IntegrationStore, **fields: object):
    """A backfilled integration, handed over to the live side."""
    crawlers = ProviderCrawlers(microsoft=emulator.settings(max_page_size=7))
    job = await backfill(publisher, kafka, crawlers.crawler, emulator.user, Provider.microsoft)
    await crawlers.aclose()
    return await store.save(handed_off(new_integration(emulator.user, Provider.microsoft, **fields), job))


async def test_changes_arrive_as_updates_in_order_and_match_the_mailbox_after_each_round(
        emulator, kafka, serde, payloads, publisher, store):
    integration = await connected(emulator, publisher, kafka, store)
    clients = ConnectorClients(microsoft=emulator.settings(max_page_size=7))
    live = live_sync(store, publisher, clients)
    box = emulator.world.mailbox(emulator.user)
    seen = await downstream(kafka, serde, payloads, emulator.user)
    for round_ in range(3):
        emails_before = len(seen.updates.get(DocType.email, []))
        changes = [c for c in (await emulator.post("/_emulator/advance", {"user": emulator.user}))["changes"]
                   if c["kind"] == "email"]
        if round_ == 1:  # deletes of an event and a contact, which the world's rounds never make
            del box.events["evt-offsite"]
            box.record("event", "deleted", "evt-offsite")
            gone_contact = sorted(box.contacts)[0]
            del box.contacts[gone_contact]
            box.record("contact", "deleted", gone_contact)
        assert await sync_all(live, integration.key) == SYNCED
        seen = await downstream(kafka, serde, payloads, emulator.user)
        for doc_type in ALL:
            assert seen.live(doc_type) == expected(emulator)[doc_type], (round_, doc_type)
        seen.assert_in_order()
        created, read, moved, removed = (c["item_id"] for c in changes)
        assert box.emails[moved].folder == "archive"
        round_updates = seen.update_ids(DocType.email, emails_before)
        # The move: one update (from its new folder), never a delete, whatever Graph's per-folder delta says.
        assert round_updates.count(moved) == 1 and moved not in seen.deleted_ids(DocType.email, emails_before)
        assert {created, read} <= set(round_updates) and removed in seen.deleted_ids(DocType.email, emails_before)
        if round_ == 1:
            assert "evt-offsite" in seen.deleted_ids(DocType.calendar_event)
            assert gone_contact in seen.deleted_ids(DocType.contact)
    assert live.metrics.value("officestream_bridge_events_published_total", provider="microsoft", resource="mail",
                              kind="delete") == 3
    await live.stop()
    await clients.aclose()


async def test_an_expired_delta_link_resyncs_the_resource_with_no_item_lost(emulator, kafka, serde, payloads, publisher, store):
    integration = await connected(emulator, publisher, kafka, store)
    clients = ConnectorClients(microsoft=emulator.settings(max_page_size=7))
    live = live_sync(store, publisher, clients)
    backfilled = (await downstream(kafka, serde, payloads, emulator.user)).live(DocType.email)
    changes = (await emulator.post("/_emulator/advance", {"user": emulator.user}))["changes"]
    deleted_meanwhile = {c["item_id"] for c in changes if c["change"] == "deleted"} & backfilled
    await emulator.post("/_emulator/expire", {"user": emulator.user})
    assert await sync_all(live, integration.key) == {"mail": "resynced", "calendar": "resynced", "contacts": "resynced"}
    seen = await downstream(kafka, serde, payloads, emulator.user)
    for doc_type in ALL:
        assert expected(emulator)[doc_type] <= seen.live(doc_type), doc_type  # nothing lost
    # What a resync cannot know (README): an item deleted while the link was expired stays downstream.
    assert seen.live(DocType.email) - expected(emulator)[DocType.email] == deleted_meanwhile
    resync = [e for e in seen.events if isinstance(e, EmailBackfillEvent) and e.metadata.correlation_id.startswith("resync-")]
    assert resync and resync[-1].is_last_batch and not any(e.is_last_batch for e in resync[:-1])
    # The fresh links were stored: the next round is incremental again.
    await emulator.post("/_emulator/advance", {"user": emulator.user})
    assert await sync_all(live, integration.key) == SYNCED
    seen = await downstream(kafka, serde, payloads, emulator.user)
    assert expected(emulator)[DocType.email] <= seen.live(DocType.email)
    await live.stop()
    await clients.aclose()


async def test_a_burst_of_fifty_requests_runs_at_most_two_queries(emulator, kafka, publisher, store):
    integration = await connected(emulator, publisher, kafka, store)
    clients = ConnectorClients(microsoft=emulator.settings())
    live = live_sync(store, publisher, clients)
    assert (await live.sync_now(integration.key, "contacts")).outcome == "synced"  # the token is fetched
    await emulator.post("/_emulator/microsoft/latency", {"seconds": 1.0})  # each query takes a while
    before = (await emulator.stats())["graph_requests"]
    live.request(integration.key, "contacts", reason="notification")
    while (await emulator.stats())["graph_requests"] == before:  # until the first query is at Graph
        await asyncio.sleep(0.01)
    for _ in range(49):  # the rest of the burst, while it runs
        live.request(integration.key, "contacts", reason="notification")
        await asyncio.sleep(0.002)
    await live.drain()
    queries = (await emulator.stats())["graph_requests"] - before
    metric = live.metrics.value
    assert queries <= 2, f"{queries} contacts delta queries for one burst"
    assert metric("officestream_bridge_syncs_total", provider="microsoft", resource="contacts", outcome="synced") == 1 + 2
    requests = {disposition: metric("officestream_bridge_sync_requests_total", provider="microsoft", resource="contacts",
                                    disposition=disposition) for disposition in ("scheduled", "coalesced")}
    assert requests == {"scheduled": 2, "coalesced": 48}
    await live.stop()
    await clients.aclose()


async def test_a_crash_between_publishing_and_storing_the_cursor_loses_no_change(
        emulator, kafka, serde, payloads, publisher, store, box):
    integration = await connected(emulator, publisher, kafka, store)
    clients = ConnectorClients(microsoft=emulator.settings(max_page_size=7))
    created = (await emulator.post("/_emulator/advance", {"user": emulator.user}))["changes"][0]["item_id"]
    reached = asyncio.Event()

    async def killed_before_the_save(context) -> None:
        # Every event of the sync is acknowledged by now: already readable downstream.
        seen = await downstream(kafka, serde, payloads, emulator.user)
        assert created in seen.update_ids(DocType.email)
        reached.set()
        await asyncio.Event().wait()  # the process dies here

    live = live_sync(store, publisher, clients, before_commit=killed_before_the_save)
    live.request(integration.key, "mail", reason="notification")
    await asyncio.wait_for(reached.wait(), 60)
    await live.stop()
    restarted = IntegrationStore(kafka, publisher, box)
    await restarted.load()
    assert restarted.get(integration.key).cursors == integration.cursors  # never stored
    live = live_sync(restarted, publisher, clients)
    result = await live.sync_now(integration.key, "mail")
    assert result.outcome == "synced" and result.published.updates >= 3  # the same changes, again
    assert restarted.get(integration.key).cursors != integration.cursors
    seen = await downstream(kafka, serde, payloads, emulator.user)
    assert seen.live(DocType.email) == expected(emulator)[DocType.email]
    assert seen.update_ids(DocType.email).count(created) == 2  # published twice, applied once
    await live.stop()
    await clients.aclose()


async def test_a_resource_held_during_its_backfill_syncs_from_the_backfills_cursor_after_the_hand_off(
        emulator, kafka, serde, payloads, publisher, store):
    integration = await store.save(new_integration(emulator.user, Provider.microsoft))  # backfilling
    clients = ConnectorClients(microsoft=emulator.settings(max_page_size=7))
    live = live_sync(store, publisher, clients)
    live.request(integration.key, "mail", reason="notification")
    assert (await live.sync_now(integration.key, "mail")).outcome == "held"
    assert (integration.key, "mail") in live.held
    crawlers = ProviderCrawlers(microsoft=emulator.settings(max_page_size=7))
    job = await backfill(publisher, kafka, crawlers.crawler, emulator.user, Provider.microsoft)
    await crawlers.aclose()
    assert not (await downstream(kafka, serde, payloads, emulator.user)).updates  # nothing live while held
    created = (await emulator.post("/_emulator/advance", {"user": emulator.user}))["changes"][0]["item_id"]
    await store.save(handed_off(store.get(integration.key), job, doc_types=(DocType.email,)))
    live.request(integration.key, "mail", reason="backfill-done")
    await live.drain()
    assert (integration.key, "mail") not in live.held
    seen = await downstream(kafka, serde, payloads, emulator.user)
    assert created in seen.update_ids(DocType.email)
    assert seen.live(DocType.email) == expected(emulator)[DocType.email]
    assert (await live.sync_now(integration.key, "calendar")).outcome == "held"  # its backfill is not handed over
    await live.stop()
    await clients.aclose()


async def test_a_revoked_grant_calls_the_hook_pauses_the_integration_and_never_logs_a_token(
        emulator, kafka, publisher, store, caplog):
    caplog.set_level(logging.DEBUG)
    grant = await emulator.refresh_token(emulator.user)
    integration = await connected(emulator, publisher, kafka, store, refresh_token=SecretStr(grant))
    clients = ConnectorClients(microsoft=emulator.settings())
    hook = ReauthRecorder()
    live = live_sync(store, publisher, clients, on_reauth=hook)
    assert (await live.sync_now(integration.key, "mail")).outcome == "synced"  # the user's own (delegated) token
    await emulator.post("/_emulator/microsoft/revoke", {"user": emulator.user})
    assert (await live.sync_now(integration.key, "calendar")).outcome == "reauth"
    assert hook.calls == [(integration.key, "invalid_grant")]
    before = (await emulator.stats())["graph_requests"]
    live.request(integration.key, "mail", reason="notification")
    await live.drain()
    assert (await emulator.stats())["graph_requests"] == before and len(hook.calls) == 1  # paused: no query, no token
    assert live.metrics.value("officestream_bridge_sync_requests_total", provider="microsoft", resource="mail",
                              disposition="ignored") == 1
    regrant = await emulator.refresh_token(emulator.user)  # the user reconnects
    await store.save(store.get(integration.key).model_copy(update={"refresh_token": SecretStr(regrant),
                                                                   "updated_at": dt.datetime.now(dt.UTC)}))
    assert (await live.sync_now(integration.key, "calendar")).outcome == "synced"
    await live.stop()
    await clients.aclose()
    logged = caplog.text
    assert "live sync synced" in logged and "grant revoked" in logged
    for secret in (grant, regrant, DEMO_CLIENT_SECRET):
        assert secret not in logged
    assert "eyJ0eXAi." not in logged and "0.ARw" not in logged  # no access or refresh token the emulator issued
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("officestream.producers")]
    assert ours and not any(emulator.user in line for line in ours)  # users by reference only


async def test_provider_outages_are_retried_until_the_sync_is_done(emulator, kafka, serde, payloads, publisher, store):
    integration = await connected(emulator, publisher, kafka, store)
    clients = ConnectorClients(microsoft=emulator.settings(max_attempts=2))
    live = live_sync(store, publisher, clients)
    await emulator.post("/_emulator/advance", {"user": emulator.user})
    # More 503s than the connector's attempts, twice over: the live sync itself waits and retries.
    await emulator.post("/_emulator/faults", {"path_prefix": f"/v1.0/users/{emulator.user}/contacts", "status": 503, "times": 5})
    assert (await live.sync_now(integration.key, "contacts")).outcome == "synced"
    assert live.metrics.value("officestream_bridge_sync_retries_total", provider="microsoft", resource="contacts",
                              error_class="GraphUnavailable") >= 2
    seen = await downstream(kafka, serde, payloads, emulator.user)
    assert seen.live(DocType.contact) == expected(emulator)[DocType.contact]
    await live.stop()
    await clients.aclose()


async def test_the_backstop_syncs_without_any_notification(emulator, kafka, serde, payloads, publisher, store):
    await connected(emulator, publisher, kafka, store)
    clients = ConnectorClients(microsoft=emulator.settings())
    live = live_sync(store, publisher, clients, settings=BridgeSettings.from_env({}, reconcile_interval_s=0.3))
    await live.start()
    created = (await emulator.post("/_emulator/advance", {"user": emulator.user}))["changes"][0]["item_id"]
    metric = live.metrics.value
    # The first round at start finds nothing new; a later one finds the advance.
    await eventually(lambda: metric("officestream_bridge_events_published_total", provider="microsoft", resource="mail",
                                    kind="update") >= 1, what="a backstop sync with the new mail")
    await live.drain()
    assert created in (await downstream(kafka, serde, payloads, emulator.user)).update_ids(DocType.email)
    await live.stop()
    await clients.aclose()
