"""Live syncs of a Microsoft 365 mailbox's calendar and contacts through Graph delta queries
(mail, with its folders and moves, is ``microsoft_mail.py``).

- Calendar: the ``calendarView`` delta from the stored link, occurrence stubs completed from
  their series masters (``occurrences.calendar_records``, one ``SeriesMasters`` per sync), and
  the masters themselves published beside them (only a master carries the recurrence, and a
  calendarView lists none). A fresh round covers ``calendar_past_days`` back to
  ``calendar_future_days`` ahead of now (``OFFICESTREAM_MICROSOFT_*``).
- Contacts: the contacts delta from the stored link.

A link Graph no longer knows (410) restarts the round (``delta.delta_round``): its pages say
``resync`` and are published as a listing; ``@removed`` entries are deletes either way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from connectors.microsoft import delta
from connectors.microsoft.exceptions import NormalizationError
from connectors.microsoft.graph_client import GraphClient
from connectors.microsoft.normalize import RemovedItem, normalize
from connectors.microsoft.occurrences import SeriesMasters, calendar_records
from producers.live.changes import Advance, Changes, Listing, Step, SyncContext, deleted, updated
from schemas.models import AvroModel


def on_error(context: SyncContext) -> Callable[[dict[str, Any], NormalizationError], None]:
    """The connectors' unreadable-entry callback: the payload is dead-lettered, the sync goes on."""

    def unreadable(entry: dict[str, Any], exc: NormalizationError) -> None:
        context.unreadable(str(entry.get("id", "?")) if isinstance(entry, dict) else "?", entry, str(exc))

    return unreadable


def steps_of(records: Sequence[AvroModel | RemovedItem], *, listing: bool) -> list[Step]:
    """Records and delete markers as steps: changes in order, or a listing plus its deletes."""
    if not listing:
        return [Changes([deleted(r.id) if isinstance(r, RemovedItem) else updated(r) for r in records])]
    live = [r for r in records if not isinstance(r, RemovedItem)]
    gone = [deleted(r.id) for r in records if isinstance(r, RemovedItem)]
    return [Listing(live), *([Changes(gone)] if gone else [])]


async def graph_calendar_steps(client: GraphClient, context: SyncContext) -> AsyncIterator[Step]:
    mailbox, link = context.integration.user_id, context.integration.cursors.get("calendar")
    settings = client.settings
    start, end = delta.calendar_window(context.detected_at, past_days=settings.calendar_past_days,
                                       future_days=settings.calendar_future_days)
    masters = SeriesMasters(client, mailbox)
    seen: set[str] = set()
    listing, following = link is None, None
    async for page in delta.delta_round(client, mailbox, delta.calendar_view(mailbox, start, end), link):
        records = await calendar_records(page.entries, masters, on_error=on_error(context))
        seen |= {record.id for record in records}
        listing = listing or page.resync
        for step in steps_of(records, listing=listing):
            yield step
        following = page.delta_link or following
    for step in steps_of(_masters(masters, seen, context), listing=listing):
        yield step
    yield Advance({"calendar": following or link})


def _masters(masters: SeriesMasters, seen: set[str], context: SyncContext) -> list[AvroModel]:
    """The series masters this sync completed occurrences from, and not already in its round."""
    records: list[AvroModel] = []
    for payload in masters.found:
        if str(payload.get("id")) in seen:
            continue
        try:
            record = normalize("event", payload)
        except NormalizationError as exc:
            on_error(context)(payload, exc)
            continue
        if not isinstance(record, RemovedItem):
            records.append(record)
    return records


async def graph_contact_steps(client: GraphClient, context: SyncContext) -> AsyncIterator[Step]:
    mailbox, link = context.integration.user_id, context.integration.cursors.get("contacts")
    listing, following = link is None, None
    async for page in delta.delta_round(client, mailbox, delta.contacts(mailbox), link):
        listing = listing or page.resync
        for step in steps_of(page.normalized(on_error=on_error(context)), listing=listing):
            yield step
        following = page.delta_link or following
    yield Advance({"contacts": following or link})
