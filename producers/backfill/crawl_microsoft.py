"""Backfill crawls of a Microsoft 365 mailbox through Graph delta queries (``connectors/microsoft/delta.py``).

- Email: every mail folder's ``messages/delta`` round, folder after folder (Graph has no
  mailbox-wide message delta). The cursor holds the folder list, the folder being crawled, its
  ``@odata.nextLink``, and the delta links of the folders already done; the sync cursor is the
  delta link of every folder, from which the live side continues. Graph's message delta cannot
  filter by date (only the newest ``$top`` or everything), so ``since``/``until`` are applied
  here on ``receivedDateTime``; the crawl still reads the whole mailbox.
- Calendar: one ``calendarView/delta`` round over ``since`` (default: the connector's
  ``calendar_past_days``) to ``calendar_future_days`` ahead, and the series masters its
  occurrences and exceptions point to (only a master carries the recurrence).
- Contacts: one ``contacts/delta`` round.

A saved link Graph no longer knows (410) restarts that round from scratch (``delta_round``
resyncs by itself): the folder's or resource's items are published again, nothing is lost.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from typing import Any

from connectors.microsoft import delta
from connectors.microsoft.exceptions import NormalizationError
from connectors.microsoft.graph_client import GraphClient
from connectors.microsoft.normalize import RemovedItem, normalize
from connectors.microsoft.occurrences import SeriesMasters, calendar_records
from producers.backfill.crawl import CrawlPage, Unreadable, decode_cursor, encode_cursor
from schemas.models import AvroModel, DocType, Email

Clock = Callable[[], dt.datetime]


class _GraphCrawler:
    def __init__(self, client: GraphClient, mailbox: str, *, unreadable: Unreadable,
                 since: dt.datetime | None = None, until: dt.datetime | None = None,
                 now: Clock = lambda: dt.datetime.now(dt.UTC)) -> None:
        self._client = client
        self._mailbox = mailbox
        self._unreadable = unreadable
        self._since = since
        self._until = until
        self._now = now

    def _records(self, page: delta.DeltaPage, doc_type: DocType, names: dict[str, str] | None = None) -> list[AvroModel]:
        def on_error(entry: dict[str, Any], exc: NormalizationError) -> None:
            self._unreadable(doc_type, str(entry.get("id", "?")), entry, str(exc))

        normalized = page.normalized(folder_names=names, on_error=on_error)
        return [record for record in normalized if not isinstance(record, RemovedItem)]  # type: ignore[misc]


class _RestartFlag:
    """Marks the first page of a round that ``delta_round`` restarted (its saved link expired)."""

    def __init__(self, *, resumed: bool) -> None:
        self.resumed = resumed
        self.flagged = False

    def first_resync(self, page: delta.DeltaPage) -> bool:
        if page.resync and self.resumed and not self.flagged:
            self.flagged = True
            return True
        return False


class _Restart(Exception):
    """A saved link expired: the mail crawl starts over (every folder)."""


class GraphMailCrawler(_GraphCrawler):
    doc_type = DocType.email

    async def pages(self, cursor: str | None) -> AsyncIterator[CrawlPage]:
        state = decode_cursor(cursor) or await self._fresh_state()
        restarted = False
        while True:
            try:
                async for page in self._folders(state, restarted):
                    yield page
                    restarted = False
                return
            except _Restart:
                state, restarted = await self._fresh_state(), True

    async def _folders(self, state: dict[str, Any], restarted: bool) -> AsyncIterator[CrawlPage]:
        folders: list[str] = state["folders"]
        if not folders:
            yield CrawlPage([], cursor=None, sync_cursor=encode_cursor({"delta_links": {}}), restarted=restarted,
                            estimated_total=0)
        while state["index"] < len(folders):
            folder, link = folders[state["index"]], state["link"]
            resource = delta.messages_in_folder(self._mailbox, folder)
            async for page in delta.delta_round(self._client, self._mailbox, resource, link):
                if page.resync and link is not None:
                    raise _Restart  # the folder's saved link expired: every folder again, from scratch
                records = [r for r in self._records(page, DocType.email, state["names"]) if self._in_range(r)]
                if page.is_last:
                    state = {**state, "index": state["index"] + 1, "link": None,
                             "delta_links": {**state["delta_links"], folder: page.delta_link}}
                else:
                    state = {**state, "link": page.next_link}
                done = state["index"] >= len(folders)
                yield CrawlPage(
                    records, cursor=None if done else encode_cursor(state),
                    sync_cursor=encode_cursor({"delta_links": state["delta_links"]}) if done else None,
                    restarted=restarted, estimated_total=state.get("estimated"),
                )
                restarted = False

    async def _fresh_state(self) -> dict[str, Any]:
        entries, _, _ = await delta.read_round(self._client, self._mailbox, delta.mail_folders(self._mailbox))
        live = [entry for entry in entries if entry.get("id") and "@removed" not in entry]
        total = sum(int(entry.get("totalItemCount") or 0) for entry in live)
        return {"folders": sorted(str(entry["id"]) for entry in live), "names": delta.folder_names(live), "index": 0,
                "link": None, "delta_links": {}, "estimated": total}

    def _in_range(self, record: AvroModel) -> bool:
        received = record.received_at if isinstance(record, Email) else None
        if received is None:
            return True
        return (self._since is None or received >= self._since) and (self._until is None or received < self._until)


class GraphCalendarCrawler(_GraphCrawler):
    doc_type = DocType.calendar_event

    async def pages(self, cursor: str | None) -> AsyncIterator[CrawlPage]:
        state = decode_cursor(cursor)
        settings = self._client.settings
        if state is None:
            start, end = delta.calendar_window(self._now(), past_days=settings.calendar_past_days,
                                               future_days=settings.calendar_future_days)
            state = {"start": (self._since or start).isoformat(), "end": (self._until or end).isoformat(), "link": None,
                     "masters": []}
        resource = delta.calendar_view(self._mailbox, dt.datetime.fromisoformat(state["start"]),
                                       dt.datetime.fromisoformat(state["end"]))
        masters = SeriesMasters(self._client, self._mailbox)  # each master fetched once per crawl
        published: set[str] = set(state["masters"])
        flag = _RestartFlag(resumed=state["link"] is not None)
        async for page in delta.delta_round(self._client, self._mailbox, resource, state["link"]):
            if flag.first_resync(page):
                published.clear()  # a resync lists every instance again: their masters too
                restarted = True
            else:
                restarted = False
            records = await self._calendar_records(page, masters)
            # Only masters carry the recurrence, and a calendarView returns none: publish each
            # master its occurrences were completed from, once per crawl.
            fresh = [m for m in masters.found if str(m.get("id")) not in published]
            published |= {str(m.get("id")) for m in fresh}
            records = self._masters(fresh) + records
            state = {**state, "link": page.next_link, "masters": sorted(published)}
            yield CrawlPage(records, cursor=None if page.is_last else encode_cursor(state), restarted=restarted,
                            sync_cursor=encode_cursor({"delta_link": page.delta_link}) if page.is_last else None)

    async def _calendar_records(self, page: delta.DeltaPage, masters: SeriesMasters) -> list[AvroModel]:
        def on_error(entry: dict[str, Any], exc: NormalizationError) -> None:
            self._unreadable(DocType.calendar_event, str(entry.get("id", "?")), entry, str(exc))

        records = await calendar_records(page.entries, masters, on_error=on_error)
        return [record for record in records if not isinstance(record, RemovedItem)]

    def _masters(self, payloads: list[dict[str, Any]]) -> list[AvroModel]:
        records: list[AvroModel] = []
        for payload in payloads:
            try:
                record = normalize("event", payload)
            except NormalizationError as exc:
                self._unreadable(DocType.calendar_event, str(payload.get("id", "?")), payload, str(exc))
                continue
            if not isinstance(record, RemovedItem):
                records.append(record)
        return records


class GraphContactCrawler(_GraphCrawler):
    doc_type = DocType.contact

    async def pages(self, cursor: str | None) -> AsyncIterator[CrawlPage]:
        state = decode_cursor(cursor) or {"link": None}
        flag = _RestartFlag(resumed=state["link"] is not None)
        async for page in delta.delta_round(self._client, self._mailbox, delta.contacts(self._mailbox), state["link"]):
            restarted = flag.first_resync(page)
            state = {"link": page.next_link}
            yield CrawlPage(self._records(page, DocType.contact), cursor=None if page.is_last else encode_cursor(state),
                            restarted=restarted,
                            sync_cursor=encode_cursor({"delta_link": page.delta_link}) if page.is_last else None)
