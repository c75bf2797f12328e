"""Calendar API calls for one user: ``events.list`` pages (full, or incremental from a
``syncToken``; 410 → ``CursorExpired``), ``events.get`` (one event by id: what the bridge's
content endpoint serves), ``events.watch`` channels and ``channels.stop``.

Blocking (httplib2): call from a worker thread, one client per thread.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from connectors.google.calls import Caller
from connectors.google.push import channel_token
from connectors.google.services import GoogleServices
from connectors.google.sync_tokens import TokenPage


@dataclass(frozen=True, slots=True)
class CalendarChannel:
    id: str
    resource_id: str
    token: str
    expiration: dt.datetime | None


class CalendarClient:
    def __init__(self, services: GoogleServices, caller: Caller, *, calendar_id: str = "primary",
                 single_events: bool = False, page_size: int = 250) -> None:
        self._events = services.calendar.events()
        self._channels = services.calendar.channels()
        self._caller = caller
        self.calendar_id = calendar_id
        #: Whether recurring series come expanded into instances. A sync token is only valid
        #: with the same choice, so it is fixed per client.
        self.single_events = single_events
        self._page_size = page_size

    def _call(self, request: Any, what: str, *, with_cursor: bool = False) -> Any:
        return self._caller.call(request.execute, api="calendar", cost=1, what=f"calendar {what}", with_cursor=with_cursor)

    def list_events(self, *, sync_token: str | None = None, page_token: str | None = None) -> TokenPage:
        """One page of events: everything (no ``sync_token``) or what changed since it."""
        request = self._events.list(calendarId=self.calendar_id, singleEvents=self.single_events,
                                    maxResults=self._page_size, syncToken=sync_token, pageToken=page_token)
        answer = self._call(request, "events.list", with_cursor=sync_token is not None)
        return TokenPage(answer.get("items", []), answer.get("nextPageToken"), answer.get("nextSyncToken"))

    def get_event(self, event_id: str) -> dict[str, Any]:
        """One event (``RequestRejected`` with status 404 when Google has no such event)."""
        return self._call(self._events.get(calendarId=self.calendar_id, eventId=event_id), "events.get")

    def watch(self, address: str, *, secret: SecretStr, ttl_s: int | None = None) -> CalendarChannel:
        """Open a push channel to ``address``. Its id is random and its token derived from the
        id with ``secret``, so any instance can verify a notification without a lookup."""
        channel_id = str(uuid.uuid4())
        token = channel_token(secret, channel_id)
        body: dict[str, Any] = {"id": channel_id, "type": "web_hook", "address": address, "token": token}
        if ttl_s is not None:
            body["params"] = {"ttl": str(ttl_s)}
        answer = self._call(self._events.watch(calendarId=self.calendar_id, body=body), "events.watch")
        expiration = answer.get("expiration")
        return CalendarChannel(
            id=answer["id"], resource_id=answer["resourceId"], token=token,
            expiration=dt.datetime.fromtimestamp(int(expiration) / 1000, dt.UTC) if expiration else None,
        )

    def stop_channel(self, channel_id: str, resource_id: str) -> None:
        self._call(self._channels.stop(body={"id": channel_id, "resourceId": resource_id}), "channels.stop")
