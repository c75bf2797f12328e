"""Delta crawls against the emulator through the real msal and httpx: full rounds with paging,
incremental rounds after mailbox activity, resuming mid-round, and resync after 410."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import pytest_asyncio

from connectors.emulator.world import EventItem
from connectors.microsoft import delta
from connectors.microsoft.auth import AppCredentials
from connectors.microsoft.graph_client import GraphClient
from connectors.microsoft.normalize import RemovedItem, normalize
from connectors.microsoft.occurrences import SERIES_GONE, SeriesMasters, calendar_records
from schemas.models import CalendarEvent, Contact, Email, EventKind, EventStatus

if TYPE_CHECKING:
    from tests.integration.microsoft.harness import Emulator

pytest_plugins = ("tests.integration.microsoft.harness",)

PAGE = 7
#: Every property Graph's calendarView delta sends for an occurrence of a series.
STUB_FIELDS = frozenset({"@odata.type", "@odata.etag", "id", "type", "seriesMasterId", "start", "end"})


@pytest_asyncio.fixture
async def client(emulator: Emulator) -> AsyncIterator[GraphClient]:
    settings = emulator.settings(max_page_size=PAGE)
    async with GraphClient(settings, AppCredentials(settings)) as graph:
        yield graph


def _counting_master_fetches(client: GraphClient) -> list[str]:
    """The ids of the events fetched one by one (``GET events/{id}``) through ``client``."""
    fetched: list[str] = []
    get_json = client.get_json

    async def counting(mailbox: str, path: str, **kwargs: Any) -> dict[str, Any]:
        if "/events/" in path:
            fetched.append(path.rsplit("/", 1)[-1])
        return await get_json(mailbox, path, **kwargs)

    client.get_json = counting  # type: ignore[method-assign]
    return fetched


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


async def _calendar_round(client: GraphClient, user: str, resource: delta.DeltaResource, link: str | None = None,
                          ) -> tuple[list[delta.DeltaPage], dict[str, CalendarEvent | RemovedItem], SeriesMasters]:
    """A calendarView round read as the crawl reads it: one SeriesMasters for the round."""
    masters = SeriesMasters(client, user)
    pages = [page async for page in delta.delta_round(client, user, resource, link)]
    records = {r.id: r for page in pages for r in await calendar_records(page.entries, masters)}
    return pages, records, masters


async def test_calendar_view_round_sends_occurrences_as_stubs_that_their_master_completes(emulator: Emulator,
                                                                                         client: GraphClient) -> None:
    user = emulator.user
    start, end = delta.calendar_window(emulator.world.now, past_days=7, future_days=120)
    resource = delta.calendar_view(user, start, end)
    fetched = _counting_master_fetches(client)
    pages, events, masters = await _calendar_round(client, user, resource)
    stubs = [entry for page in pages for entry in page.entries if entry.get("type") == "occurrence"]
    assert len(stubs) == 8 and len(pages) > 1  # over several pages, one master fetch
    assert {frozenset(stub) for stub in stubs} == {STUB_FIELDS}
    assert fetched == ["evt-weekly"]
    kinds = sorted(e.kind.value for e in events.values() if isinstance(e, CalendarEvent))
    assert kinds == ["exception"] * 2 + ["occurrence"] * 8 + ["single"]
    occurrences = [e for e in events.values() if isinstance(e, CalendarEvent) and e.kind is EventKind.occurrence]
    master = emulator.world.mailbox(user).events["evt-weekly"]
    assert {(e.title, e.online_meeting_url, e.start.time_zone, e.organizer.email) for e in occurrences} == {  # type: ignore[union-attr]
        ("Weekly sync", master.online_meeting_url, "Europe/Berlin", master.organizer)}
    assert all(e.attendees and e.end.at - e.start.at == master.end - master.start for e in occurrences)  # type: ignore[operator]
    [found] = masters.found
    series = normalize("event", found)
    assert isinstance(series, CalendarEvent) and series.recurrence == ["RRULE:FREQ=WEEKLY;BYDAY=MO;WKST=SU;COUNT=10"]
    offsite = events["evt-offsite"]
    assert isinstance(offsite, CalendarEvent) and offsite.is_all_day and offsite.start.time_zone == "America/Los_Angeles"

    await emulator.post("/_emulator/advance", {"user": user})
    _, changed, _ = await _calendar_round(client, user, resource, pages[-1].delta_link)
    occurrences = [e for e in changed.values() if isinstance(e, CalendarEvent) and e.kind is EventKind.occurrence]
    assert len(occurrences) == 8 and {e.title for e in occurrences} == {"Weekly sync v2"}  # a new sync: fetched again
    assert fetched == ["evt-weekly", "evt-weekly"]
    assert changed["evt-offsite"].status is EventStatus.cancelled  # type: ignore[union-attr]


async def test_all_day_series_occurrences_stay_all_day_dates(emulator: Emulator, client: GraphClient) -> None:
    user = emulator.user
    box = emulator.world.mailbox(user)
    first_friday = emulator.world.now.replace(hour=0, minute=0) + dt.timedelta(days=4)
    box.events["evt-remote"] = EventItem(
        id="evt-remote", title="Remote Friday", start=first_friday, end=first_friday + dt.timedelta(days=1),
        time_zone="America/Los_Angeles", organizer=user, attendees=[], all_day=True,
        recurrence=["RRULE:FREQ=WEEKLY;COUNT=3"],
    )
    box.record("event", "created", "evt-remote")
    start, end = delta.calendar_window(emulator.world.now, past_days=0, future_days=30)
    _, events, _ = await _calendar_round(client, user, delta.calendar_view(user, start, end))
    remote = sorted((e for e in events.values() if isinstance(e, CalendarEvent) and e.series_master_id == "evt-remote"),
                    key=lambda e: e.start.date or dt.date.min)
    assert [(e.title, e.is_all_day, e.start.date, e.end.date, e.start.time_zone) for e in remote] == [
        ("Remote Friday", True, (first_friday + dt.timedelta(weeks=n)).date(), (first_friday + dt.timedelta(weeks=n, days=1)).date(),
         "America/Los_Angeles") for n in range(3)]


async def test_occurrences_of_a_series_deleted_since_the_round_are_deleted(emulator: Emulator, client: GraphClient) -> None:
    user = emulator.user
    start, end = delta.calendar_window(emulator.world.now, past_days=7, future_days=120)
    pages = [page async for page in delta.delta_round(client, user, delta.calendar_view(user, start, end))]
    del emulator.world.mailbox(user).events["evt-weekly"]  # before the master is fetched: Graph answers 404
    masters = SeriesMasters(client, user)
    records = [r for page in pages for r in await calendar_records(page.entries, masters)]
    gone = [r for r in records if isinstance(r, RemovedItem)]
    assert len(gone) == 8 and {r.reason for r in gone} == {SERIES_GONE}
    assert masters.found == []


async def test_contacts_round_then_new_and_updated_contacts(emulator: Emulator, client: GraphClient) -> None:
    resource = delta.contacts(emulator.user)
    pages, contacts = await _round(client, emulator.user, resource)
    assert len(contacts) == 12 and all(isinstance(c, Contact) and c.emails for c in contacts.values())
    await emulator.post("/_emulator/advance", {"user": emulator.user})
    _, changed = await _round(client, emulator.user, resource, pages[-1].delta_link)
    assert len(changed) == 2
    assert "Contoso" in {c.organization for c in changed.values()}  # type: ignore[union-attr]

