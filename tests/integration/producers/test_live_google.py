"""The live sync of a Google account against the emulator (real google-auth and
google-api-python-client, in a thread per integration) onto the real stack, with the real
integration store and publisher: Gmail history, Calendar and People sync tokens; changes arrive
as update events per user in order and the items the events imply are the account's; expired
cursors resync without a loss; the People poller needs no notification; a revoked grant pauses
the integration."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from pydantic import SecretStr

from connectors.emulator.google import CLIENT_SECRET, refresh_token_for
from connectors.emulator.google.calendar_render import instance_id
from producers.backfill.providers import ProviderCrawlers, StaticGoogleTokens
from producers.bridge.settings import BridgeSettings
from producers.live.providers import ConnectorClients
from schemas.models import ContactBatchEvent, DocType, Provider
# Imported into this module (not ``pytest_plugins``): the Microsoft harness has the same names.
from tests.integration.google.fixtures import emulator, pristine_world  # noqa: F401
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
    from tests.integration.google.fixtures import RunningEmulator

SYNCED = {"mail": "synced", "calendar": "synced", "contacts": "synced"}


def expected(emulator: RunningEmulator) -> dict[DocType, set[str]]:
    """The account's items as the sync reads them: a cancelled instance of a series is kept (a
    cancelled exception), any other cancelled event was deleted (Google: "cancelled (deleted)")."""
    box = emulator.world.mailbox(emulator.user)
    events = {e.id if not e.series_master_id else instance_id(e.series_master_id, e.original_start)
              for e in box.events.values() if e.series_master_id or not e.cancelled}
    return {DocType.email: set(box.emails), DocType.calendar_event: events,
            DocType.contact: {f"people/{c.id}" for c in box.contacts.values()}}


def settings_for(emulator: RunningEmulator):
    return emulator.settings(page_size=7, backoff_initial_s=0.01, backoff_max_s=0.02)


async def connected(emulator: RunningEmulator, publisher, kafka, store, **fields: object):
    grant = SecretStr(refresh_token_for(emulator.user))
    crawlers = ProviderCrawlers(google=settings_for(emulator), google_tokens=StaticGoogleTokens({emulator.user: grant}))
    job = await backfill(publisher, kafka, crawlers.crawler, emulator.user, Provider.google)
    integration = new_integration(emulator.user, Provider.google, refresh_token=grant, **fields)
    return await store.save(handed_off(integration, job))


def advance(emulator: RunningEmulator) -> list[dict]:
    return emulator.control("/_emulator/advance", {"user": emulator.user})["changes"]


async def test_changes_arrive_as_updates_in_order_and_match_the_account_after_each_round(
        emulator, kafka, serde, payloads, publisher, store):
    integration = await connected(emulator, publisher, kafka, store)
    clients = ConnectorClients(google=settings_for(emulator))
    loop_thread = threading.get_ident()
    threads: set[int] = set()
    real_google = clients.google

    def google(integration):  # where the blocking clients are built (and so called): never the loop's thread
        threads.add(threading.get_ident())
        return real_google(integration)

    clients.google = google  # type: ignore[method-assign]
    live = live_sync(store, publisher, clients)
    box = emulator.world.mailbox(emulator.user)
    for round_ in range(3):
        emails_before = len((await downstream(kafka, serde, payloads, emulator.user)).updates.get(DocType.email, []))
        changes = [c for c in advance(emulator) if c["kind"] == "email"]
        if round_ == 1:  # a deleted contact and event, which the world's rounds never make
            gone = sorted(box.contacts)[0]
            del box.contacts[gone]
            box.record("contact", "deleted", gone)
            del box.events["evt-offsite"]
            box.record("event", "deleted", "evt-offsite")
        assert await sync_all(live, integration.key) == SYNCED
        seen = await downstream(kafka, serde, payloads, emulator.user)
        for doc_type in ALL:
            assert seen.live(doc_type) == expected(emulator)[doc_type], (round_, doc_type)
        seen.assert_in_order()
        created, read, moved, removed = (c["item_id"] for c in changes)
        round_updates = seen.update_ids(DocType.email, emails_before)
        assert {created, read, moved} <= set(round_updates) and seen.deleted_ids(DocType.email, emails_before) == [removed]
        if round_ == 1:
            assert f"people/{gone}" in seen.deleted_ids(DocType.contact)
            assert "evt-offsite" in seen.deleted_ids(DocType.calendar_event)
    assert threads and loop_thread not in threads
    await live.stop()


async def test_expired_cursors_resync_every_resource_with_no_item_lost(emulator, kafka, serde, payloads, publisher, store):
    integration = await connected(emulator, publisher, kafka, store)
    live = live_sync(store, publisher, ConnectorClients(google=settings_for(emulator)))
    backfilled = (await downstream(kafka, serde, payloads, emulator.user)).live(DocType.email)
    deleted_meanwhile = {c["item_id"] for c in advance(emulator) if c["change"] == "deleted"} & backfilled
    emulator.control("/_emulator/expire", {"user": emulator.user})
    assert await sync_all(live, integration.key) == {"mail": "resynced", "calendar": "resynced", "contacts": "resynced"}
    seen = await downstream(kafka, serde, payloads, emulator.user)
    for doc_type in ALL:
        assert expected(emulator)[doc_type] <= seen.live(doc_type), doc_type
    # What a resync cannot know (README): the mail deleted while the history id was expired.
    assert seen.live(DocType.email) - expected(emulator)[DocType.email] == deleted_meanwhile
    listing = [e for e in seen.events if isinstance(e, ContactBatchEvent) and e.metadata.correlation_id.startswith("resync-")]
    assert {c.id for e in listing for c in e.contacts} == expected(emulator)[DocType.contact] and listing[-1].is_last_batch
    fresh = store.get(integration.key).cursors
    assert all(fresh[name] != integration.cursors[name] for name in ("gmail", "calendar", "contacts"))
    # The emulator's Google face still refuses a cursor handed out at the very position of the
    # expiry (it tells cursors apart by position only), so the next round may resync once more;
    # either way nothing is lost.
    advance(emulator)
    await sync_all(live, integration.key)
    seen = await downstream(kafka, serde, payloads, emulator.user)
    assert all(expected(emulator)[doc_type] <= seen.live(doc_type) for doc_type in ALL)
    await live.stop()


async def test_the_people_poller_syncs_contacts_without_any_notification(emulator, kafka, serde, payloads, publisher, store):
    await connected(emulator, publisher, kafka, store)
    live = live_sync(store, publisher, ConnectorClients(google=settings_for(emulator)),
                     settings=BridgeSettings.from_env({}, people_poll_interval_s=0.2))
    await live.start()
    new_contacts = {f"people/{c['item_id']}" for c in advance(emulator) if c["kind"] == "contact"}
    metric = live.metrics.value
    await eventually(lambda: metric("officestream_bridge_events_published_total", provider="google", resource="contacts",
                                    kind="update") >= 1, what="a People poll with the new contacts")
    await live.drain()
    seen = await downstream(kafka, serde, payloads, emulator.user)
    assert new_contacts <= set(seen.update_ids(DocType.contact))
    # Only contacts are polled (the backstop's first round at start aside).
    assert metric("officestream_bridge_syncs_total", provider="google", resource="mail", outcome="synced") <= 1
    await live.stop()


async def test_a_revoked_grant_calls_the_hook_and_pauses_the_integration_without_logging_a_token(
        emulator, kafka, publisher, store, caplog):
    caplog.set_level(logging.DEBUG)
    integration = await connected(emulator, publisher, kafka, store)
    hook = ReauthRecorder()
    live = live_sync(store, publisher, ConnectorClients(google=settings_for(emulator)), on_reauth=hook)
    assert (await live.sync_now(integration.key, "mail")).outcome == "synced"
    emulator.control("/_emulator/google/revoke", {"user": emulator.user})
    assert (await live.sync_now(integration.key, "calendar")).outcome == "reauth"
    assert hook.calls == [(integration.key, "invalid_grant")]
    assert (await live.sync_now(integration.key, "contacts")).outcome == "skipped"  # paused
    await live.stop()
    logged = caplog.text
    for secret in (refresh_token_for(emulator.user), CLIENT_SECRET):
        assert secret not in logged
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("officestream.producers")]
    assert ours and not any(emulator.user in line for line in ours)
