"""One item fetched again from its provider, normalized as the crawls and syncs normalize it: what
the bridge's content endpoint serves when a ``PayloadRef``'s Redis copy has expired.

The record is read the way the backfill read it (Graph: the same ``$select`` and attachment
metadata, folder names from the folder tree, occurrences completed from their series master;
Google: Gmail ``full`` format, Calendar ``events.get`` on the crawled calendar, People
``people.get`` with the same person fields), so an unchanged item gives the very bytes the
reference's hash names. An item changed since gives other bytes: the consumer refuses them
(hash mismatch) and dead-letters the old event, while the change itself arrives as its own
update event. None means the provider no longer has the item.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from connectors.google.changes import Deletion
from connectors.google.exceptions import RequestRejected
from connectors.google.normalize_calendar import normalize_calendar_event
from connectors.google.normalize_gmail import normalize_gmail_message
from connectors.google.normalize_people import normalize_person
from connectors.microsoft import delta
from connectors.microsoft.exceptions import GraphNotFound
from connectors.microsoft.graph_client import GraphClient
from connectors.microsoft.normalize import RemovedItem, normalize
from connectors.microsoft.occurrences import SeriesMasters, calendar_records
from producers.backfill.providers import ProviderCrawlers
from producers.integrations.state import Integration
from schemas.models import AvroModel, DocType, Provider


class ContentFetcher:
    def __init__(self, providers: ProviderCrawlers) -> None:
        self._providers = providers

    async def fetch(self, integration: Integration, doc_type: DocType, doc_id: str) -> AvroModel | None:
        """``doc_id`` of ``integration``'s user, as a canonical record; None when it is gone."""
        if integration.provider is Provider.microsoft:
            return await self._from_graph(integration.user_id, doc_type, doc_id)
        return await asyncio.to_thread(self._from_google, integration.user_id, doc_type, doc_id)

    async def _from_graph(self, mailbox: str, doc_type: DocType, doc_id: str) -> AvroModel | None:
        client = self._providers.graph_client()
        collection = {DocType.email: "messages", DocType.calendar_event: "events", DocType.contact: "contacts"}[doc_type]
        path = f"users/{quote(mailbox, safe='@')}/{collection}/{quote(doc_id, safe='')}"
        try:
            if doc_type is DocType.email:
                return await _graph_message(client, mailbox, path)
            if doc_type is DocType.calendar_event:
                payload = await client.get_json(mailbox, path)
                [record] = await calendar_records([payload], SeriesMasters(client, mailbox))
                return None if isinstance(record, RemovedItem) else record
            record = normalize("contact", await client.get_json(mailbox, path, params={"$select": delta.CONTACT_SELECT}))
        except GraphNotFound:
            return None
        return None if isinstance(record, RemovedItem) else record

    def _from_google(self, user: str, doc_type: DocType, doc_id: str) -> AvroModel | None:
        account = self._providers.google_account(user)
        try:
            if doc_type is DocType.email:
                fetched = account.gmail.get_messages([doc_id])
                payload = fetched.messages.get(doc_id)
                return normalize_gmail_message(payload) if payload is not None else None
            if doc_type is DocType.calendar_event:
                record: Any = normalize_calendar_event(account.calendar.get_event(doc_id),
                                                       calendar_id=account.calendar.calendar_id)
            else:
                record = normalize_person(account.people.get_person(doc_id))
        except RequestRejected as exc:
            if exc.status in (404, 410):
                return None
            raise
        return None if isinstance(record, Deletion) else record


async def _graph_message(client: GraphClient, mailbox: str, path: str) -> AvroModel:
    payload = await client.get_json(mailbox, path, params={"$select": delta.MESSAGE_SELECT,
                                                           "$expand": delta.ATTACHMENTS_EXPAND})
    folders, _, _ = await delta.read_round(client, mailbox, delta.mail_folders(mailbox))
    record = normalize("email", payload, folder_names=delta.folder_names(folders))
    assert not isinstance(record, RemovedItem)  # a GET answers an item or 404, never a removal
    return record
