"""Calendar (syncToken, 410, singleEvents) and People (syncToken, EXPIRED_SYNC_TOKEN,
metadata.deleted) sync against the emulator."""

from __future__ import annotations

import datetime as dt

import pytest

from connectors.emulator.google.calendar_render import instance_id as google_instance_id
from connectors.google import sync_contacts, sync_events
from connectors.google.exceptions import CursorExpired
from schemas.models import EventKind, EventStatus
from tests.integration.google.fixtures import RecordingSleep, RunningEmulator, account_for, emulator, pristine_world, sleep

__all__ = ["emulator", "pristine_world", "sleep"]  # fixtures


def test_calendar_full_sync_returns_series_exceptions_and_a_sync_token(emulator: RunningEmulator,
                                                                        sleep: RecordingSleep) -> None:
    account = account_for(emulator, sleep)
    batches = list(sync_events(account.calendar, None))
    records = {r.id: r for b in batches for r in b.records}
    assert batches[-1].cursor and all(b.full_resync for b in batches)
    assert records["evt-weekly"].kind is EventKind.series_master
    moved = next(r for r in records.values() if r.title == "Weekly sync (moved)")
    assert moved.kind is EventKind.exception and moved.series_master_id == "evt-weekly"
    cancelled = next(r for r in records.values() if r.series_master_id and r.status is EventStatus.cancelled)
    assert cancelled.kind is EventKind.exception
    assert records["evt-offsite"].is_all_day


def test_calendar_single_events_expands_the_series_into_instances(emulator: RunningEmulator, sleep: RecordingSleep) -> None:
    account = account_for(emulator, sleep)
    account.calendar.single_events = True
    records = [r for b in sync_events(account.calendar, None) for r in b.records]
    instances = [r for r in records if r.series_master_id == "evt-weekly"]
    assert len(instances) == 9  # COUNT=10, the cancelled one left out of a full listing
    assert all(r.kind in (EventKind.occurrence, EventKind.exception) for r in instances)
    assert sum(r.kind is EventKind.exception for r in instances) == 1
    assert len({r.start.at for r in instances}) == 9


def test_calendar_incremental_sync_returns_only_changed_events(emulator: RunningEmulator, sleep: RecordingSleep) -> None:
    account = account_for(emulator, sleep)
    cursor = list(sync_events(account.calendar, None))[-1].cursor
    emulator.control("/_emulator/advance", {"user": emulator.user})
    batches = list(sync_events(account.calendar, cursor))
    records = {r.id: r for b in batches for r in b.records}
    assert set(records) == {"evt-weekly"}
    assert records["evt-weekly"].title == "Weekly sync v2"
    # The offsite, cancelled (a single event: Google's "cancelled (deleted)"), is a deletion.
    assert [i for b in batches for i in b.deleted_ids] == ["evt-offsite"]
    assert not any(b.full_resync for b in batches) and batches[-1].cursor != cursor


def test_calendar_incremental_sync_sends_a_cancelled_instance_as_google_does_and_keeps_it(
        emulator: RunningEmulator, sleep: RecordingSleep) -> None:
    account = account_for(emulator, sleep)
    cursor = list(sync_events(account.calendar, None))[-1].cursor
    master = emulator.world.mailbox(emulator.user).events["evt-weekly"]
    emulator.world.cancel_instance(emulator.user, "evt-weekly", master.start + dt.timedelta(weeks=3))
    instance_id = google_instance_id("evt-weekly", master.start + dt.timedelta(weeks=3))
    page = account.calendar.list_events(sync_token=cursor)
    [raw] = [item for item in page.items if item["id"] == instance_id]
    assert set(raw) == {"kind", "etag", "id", "status", "recurringEventId", "originalStartTime"}  # no start, no end
    batches = list(sync_events(account.calendar, cursor))
    records = {r.id: r for b in batches for r in b.records}
    assert all(instance_id not in b.deleted_ids for b in batches)
    cancelled = records[instance_id]
    assert (cancelled.kind, cancelled.status, cancelled.series_master_id) == (EventKind.exception, EventStatus.cancelled, "evt-weekly")
    assert cancelled.original_start == cancelled.start == cancelled.end
    assert cancelled.original_start.at == master.start + dt.timedelta(weeks=3)


def test_calendar_full_listing_keeps_cancelled_instances_in_the_sparse_shape(emulator: RunningEmulator,
                                                                            sleep: RecordingSleep) -> None:
    account = account_for(emulator, sleep)
    items = account.calendar.list_events().items
    [raw] = [item for item in items if item.get("status") == "cancelled"]  # singleEvents=false lists it
    assert "start" not in raw and "end" not in raw and raw["recurringEventId"] == "evt-weekly"


def test_calendar_gone_sync_token_means_full_sync(emulator: RunningEmulator, sleep: RecordingSleep) -> None:
    account = account_for(emulator, sleep)
    cursor = list(sync_events(account.calendar, None))[-1].cursor
    emulator.control("/_emulator/expire", {"user": emulator.user})
    with pytest.raises(CursorExpired) as raised:
        account.calendar.list_events(sync_token=cursor)
    assert raised.value.status == 410
    batches = list(sync_events(account.calendar, cursor))
    assert all(b.full_resync for b in batches)
    assert len([r for b in batches for r in b.records]) == 4


def test_people_sync_token_returns_new_changed_and_deleted_contacts(emulator: RunningEmulator, sleep: RecordingSleep) -> None:
    account = account_for(emulator, sleep)
    first = list(sync_contacts(account.people, None))
    assert len([r for b in first for r in b.records]) == 12
    box = emulator.world.mailbox(emulator.user)
    emulator.control("/_emulator/advance", {"user": emulator.user})
    box.contacts.pop("c0005")  # the world never deletes contacts by itself
    box.record("contact", "deleted", "c0005")
    batches = list(sync_contacts(account.people, first[-1].cursor))
    assert {r.id for b in batches for r in b.records} == {"people/c0000", "people/c0112"}
    assert [i for b in batches for i in b.deleted_ids] == ["people/c0005"]
    assert next(r for b in batches for r in b.records if r.id == "people/c0000").organization == "Contoso"


def test_people_expired_sync_token_means_full_sync(emulator: RunningEmulator, sleep: RecordingSleep) -> None:
    account = account_for(emulator, sleep)
    cursor = list(sync_contacts(account.people, None))[-1].cursor
    emulator.control("/_emulator/expire", {"user": emulator.user})
    with pytest.raises(CursorExpired) as raised:
        account.people.list_connections(sync_token=cursor)
    assert (raised.value.status, raised.value.reason) == (400, "EXPIRED_SYNC_TOKEN")
    batches = list(sync_contacts(account.people, cursor))
    assert all(b.full_resync for b in batches) and len([r for b in batches for r in b.records]) == 12
