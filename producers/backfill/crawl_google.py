"""Backfill crawls of a Google account through the Google connectors (blocking clients, run off
the event loop in a thread of the crawl's own, one call at a time).

- Gmail: ``messages.list`` pages (``q`` limited to ``since``/``until``) and batched
  ``messages.get``. The mailbox's ``historyId`` is read *before* the first page and kept in the
  cursor, also across a resume: it is where the live side's ``history.list`` continues, so a
  change made during the crawl shows up there rather than being missed.
- Calendar: ``events.list`` pages of the whole calendar (Google only issues a sync token for an
  unfiltered listing, so the date range does not apply), ending with the sync token.
- Contacts: People ``connections.list`` pages, ending with the sync token.

A page token Google refuses on resume (expired, or the listing changed under it) restarts that
doc type's crawl from scratch, once: its items are published again, nothing is lost.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from connectors.google.account import GoogleAccount
from connectors.google.changes import Deletion
from connectors.google.exceptions import CursorExpired, NormalizationError, RequestRejected
from connectors.google.gmail import date_query
from connectors.google.normalize_calendar import normalize_calendar_event
from connectors.google.normalize_gmail import normalize_gmail_message
from connectors.google.normalize_people import normalize_person
from connectors.google.sync_tokens import TokenPage
from producers.backfill.crawl import CrawlPage, Unreadable, decode_cursor, encode_cursor
from schemas.models import AvroModel, DocType

T = TypeVar("T")


class _GoogleCrawler:
    doc_type: DocType

    def __init__(self, account: GoogleAccount, *, unreadable: Unreadable, since: dt.datetime | None = None,
                 until: dt.datetime | None = None) -> None:
        self._account = account
        self._unreadable = unreadable
        self._since = since
        self._until = until
        # The clients hold one httplib2 transport: one thread, one call at a time.
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="officestream-google-crawl")

    async def _run(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, lambda: call(*args, **kwargs))

    def _normalized(self, payloads: list[dict[str, Any]], normalize: Callable[[dict[str, Any]], Any], id_key: str) -> list[AvroModel]:
        records: list[AvroModel] = []
        for payload in payloads:
            try:
                record = normalize(payload)
            except NormalizationError as exc:
                self._unreadable(self.doc_type, str(payload.get(id_key, "?")) if isinstance(payload, dict) else "?",
                                 payload, str(exc))
                continue
            if not isinstance(record, Deletion):  # a full listing's deleted items: nothing to backfill
                records.append(record)
        return records

    async def pages(self, cursor: str | None) -> AsyncIterator[CrawlPage]:
        state, restarted = decode_cursor(cursor), False
        try:
            async for page in self._pages(state, restarted):
                yield page
                restarted = False
        except (CursorExpired, RequestRejected) as exc:
            if state is None or not state.get("page_token") or getattr(exc, "status", None) not in (400, 404, 410):
                raise
            async for page in self._pages(None, True):  # a refused page token: the crawl starts over
                yield page
        finally:
            self._thread.shutdown(wait=False)

    def _pages(self, state: dict[str, Any] | None, restarted: bool) -> AsyncIterator[CrawlPage]:
        raise NotImplementedError


class GmailCrawler(_GoogleCrawler):
    doc_type = DocType.email

    async def _pages(self, state: dict[str, Any] | None, restarted: bool) -> AsyncIterator[CrawlPage]:
        gmail = self._account.gmail
        if state is None:
            profile = await self._run(gmail.profile)
            state = {"history_id": str(profile["historyId"]), "page_token": None, "estimated": profile.get("messagesTotal")}
        query = date_query(self._since, self._until)
        while True:
            listing = await self._run(gmail.list_message_ids, page_token=state["page_token"], query=query)
            fetched = await self._run(gmail.get_messages, listing.ids)
            payloads = [fetched.messages[i] for i in listing.ids if i in fetched.messages]  # missing: deleted since
            state = {**state, "page_token": listing.next_page_token}
            last = listing.next_page_token is None
            yield CrawlPage(
                self._normalized(payloads, normalize_gmail_message, "id"), cursor=None if last else encode_cursor(state),
                sync_cursor=encode_cursor({"history_id": state["history_id"]}) if last else None,
                restarted=restarted, estimated_total=state.get("estimated"),
            )
            restarted = False
            if last:
                return


class _TokenListingCrawler(_GoogleCrawler):
    """A listing that ends in a sync token (Calendar events, People connections)."""

    id_key = "id"

    def _list(self, page_token: str | None) -> TokenPage:
        raise NotImplementedError

    def _normalize(self, payload: dict[str, Any]) -> Any:
        raise NotImplementedError

    async def _pages(self, state: dict[str, Any] | None, restarted: bool) -> AsyncIterator[CrawlPage]:
        state = state or {"page_token": None}
        while True:
            listing = await self._run(self._list, state["page_token"])
            state = {"page_token": listing.next_page_token}
            last = listing.next_page_token is None
            yield CrawlPage(
                self._normalized(listing.items, self._normalize, self.id_key), cursor=None if last else encode_cursor(state),
                sync_cursor=encode_cursor({"sync_token": listing.next_sync_token}) if last else None, restarted=restarted,
            )
            restarted = False
            if last:
                return


class GoogleCalendarCrawler(_TokenListingCrawler):
    doc_type = DocType.calendar_event

    def _list(self, page_token: str | None) -> TokenPage:
        return self._account.calendar.list_events(page_token=page_token)

    def _normalize(self, payload: dict[str, Any]) -> Any:
        return normalize_calendar_event(payload, calendar_id=self._account.calendar.calendar_id)


class GoogleContactCrawler(_TokenListingCrawler):
    doc_type = DocType.contact
    id_key = "resourceName"

    def _list(self, page_token: str | None) -> TokenPage:
        return self._account.people.list_connections(page_token=page_token)

    def _normalize(self, payload: dict[str, Any]) -> Any:
        return normalize_person(payload)
