"""Delta queries: messages per mail folder, the mail folder tree, a calendarView window, and
contacts. A *round* is the pages of one delta query, ending with the ``@odata.deltaLink`` that
starts the next round; checkpoint ``DeltaPage.next_link`` to resume a round mid-way.

A saved link Graph no longer knows (410 Gone, ``syncStateNotFound`` / ``resyncRequired``) turns
into a full resync of that resource: the round restarts from the initial query and its pages
say ``resync=True``, so the caller can reconcile (anything it holds that the resync does not
return was deleted meanwhile). Never a gap: a resync is a superset of what was missed.

Calendar pages are read with ``occurrences.calendar_records``: calendarView delta sends the
occurrences of a series as stubs that only their series master completes.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote

from connectors.microsoft.exceptions import (
    DeltaTokenExpired,
    NormalizationError,
    mailbox_ref,
)
from connectors.microsoft.graph_client import GraphClient
from connectors.microsoft.normalize import Record, RemovedItem, is_removed, normalize

log = logging.getLogger("officestream.microsoft.delta")

ResourceKind = Literal["email", "event", "contact", "folder"]

#: The message fields the normalizer reads (smaller pages, and internetMessageHeaders only
#: comes when selected).
MESSAGE_FIELDS = (
    "id", "changeKey", "conversationId", "parentFolderId", "subject", "bodyPreview", "body", "from", "sender",
    "toRecipients", "ccRecipients", "bccRecipients", "replyTo", "receivedDateTime", "sentDateTime", "isRead",
    "categories", "internetMessageId", "internetMessageHeaders", "hasAttachments", "lastModifiedDateTime",
)
MESSAGE_SELECT = ",".join(MESSAGE_FIELDS)
#: Attachment metadata only, never the bytes (contentBytes is left out of the select).
ATTACHMENTS_EXPAND = "attachments($select=id,name,contentType,size,isInline)"
CONTACT_SELECT = "id,changeKey,lastModifiedDateTime,displayName,givenName,surname,emailAddresses,businessPhones,homePhones,mobilePhone,companyName,jobTitle"
FOLDER_SELECT = "id,displayName,parentFolderId,childFolderCount,totalItemCount"


@dataclass(frozen=True)
class DeltaResource:
    """What one delta round tracks: a kind of item and its initial query."""

    kind: ResourceKind
    path: str
    params: Mapping[str, str] = field(default_factory=dict)


def _user(mailbox: str) -> str:
    return f"users/{quote(mailbox, safe='@')}"


def messages_in_folder(mailbox: str, folder_id: str) -> DeltaResource:
    return DeltaResource("email", f"{_user(mailbox)}/mailFolders/{quote(folder_id, safe='')}/messages/delta",
                         {"$select": MESSAGE_SELECT, "$expand": ATTACHMENTS_EXPAND})


def mail_folders(mailbox: str) -> DeltaResource:
    return DeltaResource("folder", f"{_user(mailbox)}/mailFolders/delta", {"$select": FOLDER_SELECT})


def calendar_view(mailbox: str, start: dt.datetime, end: dt.datetime) -> DeltaResource:
    """Events (single instances, occurrences, exceptions) in [start, end). calendarView delta
    takes no $select; the window is encoded in the links Graph returns."""
    window = {"startDateTime": _iso(start), "endDateTime": _iso(end)}
    return DeltaResource("event", f"{_user(mailbox)}/calendarView/delta", window)


def contacts(mailbox: str) -> DeltaResource:
    return DeltaResource("contact", f"{_user(mailbox)}/contacts/delta", {"$select": CONTACT_SELECT})


def calendar_window(now: dt.datetime, *, past_days: int, future_days: int) -> tuple[dt.datetime, dt.datetime]:
    day = now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - dt.timedelta(days=past_days), day + dt.timedelta(days=future_days)


def _iso(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class DeltaPage:
    """One page of a round: raw Graph entries (live items and ``@removed`` entries)."""

    resource: DeltaResource
    entries: list[dict[str, Any]]
    next_link: str | None = None
    delta_link: str | None = None
    resync: bool = False

    @property
    def is_last(self) -> bool:
        return self.delta_link is not None

    @property
    def removed_ids(self) -> list[str]:
        return [str(entry.get("id")) for entry in self.entries if is_removed(entry)]

    def normalized(
        self,
        *,
        folder_names: Mapping[str, str] | None = None,
        on_error: Callable[[dict[str, Any], NormalizationError], None] | None = None,
    ) -> list[Record | RemovedItem]:
        """The page as canonical records and delete markers. Without ``on_error`` an unreadable
        entry raises; with it, the entry is handed over (to dead-letter) and skipped."""
        if self.resource.kind == "folder":
            raise ValueError("mail folders are not records; use the entries")
        if self.resource.kind == "event":
            raise ValueError("calendar pages hold occurrence stubs: read them with occurrences.calendar_records")
        records: list[Record | RemovedItem] = []
        for entry in self.entries:
            try:
                records.append(normalize(self.resource.kind, entry, folder_names=folder_names))
            except NormalizationError as exc:
                if on_error is None:
                    raise
                on_error(entry, exc)
        return records


async def delta_round(client: GraphClient, mailbox: str, resource: DeltaResource,
                      link: str | None = None) -> AsyncIterator[DeltaPage]:
    """The pages of one round, from ``link`` (a saved nextLink or deltaLink) or from the initial
    query. An expired ``link`` restarts the round as a resync (once)."""
    try:
        async for page in _pages(client, mailbox, resource, link, resync=False):
            yield page
    except DeltaTokenExpired as exc:
        if link is None:
            raise  # even a fresh round expired: Graph is unwell, let the caller retry later
        log.warning("delta link expired, resyncing kind=%s code=%s mailbox=%s", resource.kind, exc.code, mailbox_ref(mailbox))
        async for page in resync(client, mailbox, resource):
            yield page


async def resync(client: GraphClient, mailbox: str, resource: DeltaResource) -> AsyncIterator[DeltaPage]:
    """A full round from the initial query, its pages marked ``resync``."""
    async for page in _pages(client, mailbox, resource, None, resync=True):
        yield page


async def _pages(client: GraphClient, mailbox: str, resource: DeltaResource, link: str | None, *,
                 resync: bool) -> AsyncIterator[DeltaPage]:
    start, params = (link, None) if link else (resource.path, dict(resource.params))
    async for body in client.pages(mailbox, start, params=params):
        entries = body.get("value")
        if not isinstance(entries, list):
            raise NormalizationError(f"{resource.kind} delta page has no 'value' list")
        yield DeltaPage(resource, entries, body.get("@odata.nextLink"), body.get("@odata.deltaLink"), resync)


async def read_round(client: GraphClient, mailbox: str, resource: DeltaResource,
                     link: str | None = None) -> tuple[list[dict[str, Any]], str | None, bool]:
    """A whole round at once: (entries, the deltaLink for the next round, whether it resynced).
    For small resources (the folder tree, contacts); crawl big ones page by page."""
    entries: list[dict[str, Any]] = []
    delta_link, resynced = None, False
    async for page in delta_round(client, mailbox, resource, link):
        if page.resync and not resynced:
            entries, resynced = [], True  # pages before the expiry are superseded
        entries.extend(page.entries)
        delta_link = page.delta_link or delta_link
    return entries, delta_link, resynced


def folder_names(folders: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """parentFolderId → display name, for ``normalize_message``."""
    return {str(folder["id"]): str(folder.get("displayName") or folder["id"])
            for folder in folders if not is_removed(folder) and folder.get("id")}
