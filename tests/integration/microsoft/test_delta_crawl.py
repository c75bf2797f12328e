"""Delta crawls against the emulator through the real msal and httpx: full rounds with paging,
incremental rounds after mailbox activity, resuming mid-round, and resync after 410."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest_asyncio

from connectors.microsoft import delta
from connectors.microsoft.auth import AppCredentials
from connectors.microsoft.graph_client import GraphClient
from connectors.microsoft.normalize import RemovedItem
from schemas.models import CalendarEvent, Contact, Email, EventKind, EventStatus

if TYPE_CHECKING:
    from tests.integration.microsoft.harness import Emulator

pytest_plugins = ("tests.integration.microsoft.harness",)

PAGE = 7


@pytest_asyncio.fixture
async def client(emulator: Emulator) -> AsyncIterator[GraphClient]:
    settings = emulator.settings(max_page_size=PAGE)
    async with GraphClient(settings, AppCredentials(settings)) as graph:
        yield graph


async def _round(client: GraphClient, user: str, resource: delta.DeltaResource, link: str | None = None,
                 names: dict[str, str] | None = None) -> tuple[list[delta.DeltaPage], dict[str, object]]:
    pages = [page async for page in delta.delta_round(client, user, resource, link)]
    records = {record.id: record for page in pages for record in page.normalized(folder_names=names)}
    return pages, records


async def test_full_message_round_pages_through_every_inbox_message(emulator: Emulator, client: GraphClient) -> None:
    inbox = {m.id for m in emulator.world.mailbox(emulator.user).emails.values() if m.folder == "inbox"}
    pages, records = await _round(client, emulator.user, delta.messages_in_folder(emulator.user, "inbox"))
    assert len(pages) == math.ceil(len(inbox) / PAGE)
    assert all(len(page.entries) <= PAGE for page in pages)
    assert [page.is_last for page in pages] == [False] * (len(pages) - 1) + [True]
    assert set(records) == inbox
    assert all(isinstance(record, Email) and record.subject for record in records.values())


async def test_round_resumes_from_a_checkpointed_next_link(emulator: Emulator, client: GraphClient) -> None:
    resource = delta.messages_in_folder(emulator.user, "inbox")
    seen: set[str] = set()
    async for page in delta.delta_round(client, emulator.user, resource):
        seen |= {entry["id"] for entry in page.entries}
        checkpoint = page.next_link
        break
    rest, _ = await _round(client, emulator.user, resource, link=checkpoint)
    seen |= {entry["id"] for page in rest for entry in page.entries}
    assert seen == set(emulator.world.mailbox(emulator.user).emails)


async def test_incremental_round_reports_new_read_moved_and_deleted_messages(emulator: Emulator, client: GraphClient) -> None:
    user = emulator.user
    folders, _, _ = await delta.read_round(client, user, delta.mail_folders(user))
    names = delta.folder_names(folders)
    inbox_pages, _ = await _round(client, user, delta.messages_in_folder(user, "inbox"))
    archive_pages, archived = await _round(client, user, delta.messages_in_folder(user, "archive"))
    assert archived == {}
    changes = (await emulator.post("/_emulator/advance", {"user": user}))["changes"]
    box = emulator.world.mailbox(user)
    email_changes = [c for c in changes if c["kind"] == "email"]
    created = next(c["item_id"] for c in email_changes if c["change"] == "created")
    deleted = next(c["item_id"] for c in email_changes if c["change"] == "deleted")
    moved = next(c["item_id"] for c in email_changes if c["change"] == "updated" and box.emails[c["item_id"]].folder == "archive")
    read = next(c["item_id"] for c in email_changes if c["change"] == "updated" and c["item_id"] != moved)

    _, inbox = await _round(client, user, delta.messages_in_folder(user, "inbox"), inbox_pages[-1].delta_link, names)
    assert inbox[created].folder == "Inbox"  # type: ignore[attr-defined]
    assert inbox[read].is_read is True  # type: ignore[attr-defined]
    assert inbox[moved] == RemovedItem(kind="email", id=moved)
    assert inbox[deleted] == RemovedItem(kind="email", id=deleted)
    _, archive = await _round(client, user, delta.messages_in_folder(user, "archive"), archive_pages[-1].delta_link, names)
    assert set(archive) == {moved} and archive[moved].folder == "Archive"  # type: ignore[attr-defined]


async def test_incremental_round_with_no_activity_is_empty(emulator: Emulator, client: GraphClient) -> None:
    pages, _ = await _round(client, emulator.user, delta.messages_in_folder(emulator.user, "inbox"))
    again, records = await _round(client, emulator.user, delta.messages_in_folder(emulator.user, "inbox"), pages[-1].delta_link)
    assert records == {} and again[-1].delta_link


async def test_expired_delta_link_triggers_a_full_resync(emulator: Emulator, client: GraphClient) -> None:
    resource = delta.messages_in_folder(emulator.user, "inbox")
    pages, _ = await _round(client, emulator.user, resource)
    await emulator.post("/_emulator/advance", {"user": emulator.user})
    await emulator.post("/_emulator/expire", {"user": emulator.user})
    resynced, records = await _round(client, emulator.user, resource, pages[-1].delta_link)
    inbox = {m.id for m in emulator.world.mailbox(emulator.user).emails.values() if m.folder == "inbox"}
    assert all(page.resync for page in resynced)
    assert set(records) == inbox
    after, more = await _round(client, emulator.user, resource, resynced[-1].delta_link)  # the new link works
    assert more == {} and not after[0].resync


async def test_calendar_view_round_with_series_masters_and_incremental_changes(emulator: Emulator, client: GraphClient) -> None:
    user = emulator.user
    start, end = delta.calendar_window(emulator.world.now, past_days=7, future_days=120)
    resource = delta.calendar_view(user, start, end)
    pages, events = await _round(client, user, resource)
    kinds = sorted(e.kind.value for e in events.values() if isinstance(e, CalendarEvent))
    assert kinds == ["exception"] * 2 + ["occurrence"] * 8 + ["single"]
    entries = [entry for page in pages for entry in page.entries]
    masters = await delta.series_masters(client, user, entries, known=set())
    assert [m["id"] for m in masters] == ["evt-weekly"]
    master = delta.DeltaPage(resource, masters).normalized()[0]
    assert isinstance(master, CalendarEvent) and master.recurrence == ["RRULE:FREQ=WEEKLY;BYDAY=MO;WKST=SU;COUNT=10"]
    offsite = events["evt-offsite"]
    assert isinstance(offsite, CalendarEvent) and offsite.is_all_day and offsite.start.time_zone == "America/Los_Angeles"

    await emulator.post("/_emulator/advance", {"user": user})
    _, changed = await _round(client, user, resource, pages[-1].delta_link)
    occurrences = [e for e in changed.values() if isinstance(e, CalendarEvent) and e.kind is EventKind.occurrence]
    assert len(occurrences) == 8 and {e.title for e in occurrences} == {"Weekly sync v2"}
    assert changed["evt-offsite"].status is EventStatus.cancelled  # type: ignore[union-attr]


async def test_contacts_round_then_new_and_updated_contacts(emulator: Emulator, client: GraphClient) -> None:
    resource = delta.contacts(emulator.user)
    pages, contacts = await _round(client, emulator.user, resource)
    assert len(contacts) == 12 and all(isinstance(c, Contact) and c.emails for c in contacts.values())
    await emulator.post("/_emulator/advance", {"user": emulator.user})
    _, changed = await _round(client, emulator.user, resource, pages[-1].delta_link)
    assert len(changed) == 2
    assert "Contoso" in {c.organization for c in changed.values()}  # type: ignore[union-attr]

