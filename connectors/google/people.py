"""People API calls for one user: ``people.connections.list`` pages with ``requestSyncToken``
or from a ``syncToken`` (400 EXPIRED_SYNC_TOKEN → ``CursorExpired``), and ``people.get`` (one
contact by resource name: what the bridge's content endpoint serves). People has no push:
contacts are polled with sync tokens.

Blocking (httplib2): call from a worker thread, one client per thread.
"""

from __future__ import annotations

from typing import Any

from connectors.google.calls import Caller
from connectors.google.services import GoogleServices
from connectors.google.sync_tokens import TokenPage

PERSON_FIELDS = "names,emailAddresses,phoneNumbers,organizations,metadata"


class PeopleClient:
    def __init__(self, services: GoogleServices, caller: Caller, *, page_size: int = 100) -> None:
        self._people = services.people.people()
        self._connections = self._people.connections()
        self._caller = caller
        self._page_size = page_size

    def list_connections(self, *, sync_token: str | None = None, page_token: str | None = None) -> TokenPage:
        """One page of contacts: all of them (asking for a sync token at the end) or what
        changed since ``sync_token``, deleted ones with ``metadata.deleted``."""
        request = self._connections.list(
            resourceName="people/me", personFields=PERSON_FIELDS, pageSize=self._page_size,
            requestSyncToken=True, syncToken=sync_token, pageToken=page_token,
        )
        answer: dict[str, Any] = self._caller.call(request.execute, api="people", cost=1,
                                                   what="people connections.list", with_cursor=sync_token is not None)
        return TokenPage(answer.get("connections", []), answer.get("nextPageToken"), answer.get("nextSyncToken"))

    def get_person(self, resource_name: str) -> dict[str, Any]:
        """One contact, ``people/<id>`` (``RequestRejected`` with status 404 when it is gone)."""
        request = self._people.get(resourceName=resource_name, personFields=PERSON_FIELDS)
        return self._caller.call(request.execute, api="people", cost=1, what="people get")
