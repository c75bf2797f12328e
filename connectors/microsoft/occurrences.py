"""Occurrences of a series as ``calendarView/delta`` sends them, completed from their master.

Graph's calendarView delta returns each occurrence of a recurring series as a stub,
``{@odata.type, @odata.etag, id, type: "occurrence", seriesMasterId, start, end}``: no subject,
isAllDay, organizer, attendees, location, body or join link (long-standing and widely reported;
``/calendarView`` and ``/events/{id}`` return whole events). Read as it is, a stub is an untitled
timed event, and an all-day series' occurrences are 24-hour meetings. So every stub is
completed from its series master: the master's content with the occurrence's own id, start
and end. Exceptions come whole and are left as they are.

``calendar_records`` is the one call for this, for the crawl and the streaming bridge alike: a
page of calendarView delta entries in, canonical records and delete markers out, in order.
``SeriesMasters`` lives for one sync: a master is fetched at most once (``GET events/{id}``),
or taken from the round when the round itself holds it (an ``events/delta`` round does).

A master Graph no longer has (404) means the series was deleted: its stubs become
``RemovedItem``s (reason ``seriesMasterNotFound``) rather than being dropped, because a
consumer may hold that occurrence from an earlier sync and must let it go; Graph reports the
occurrences ``@removed`` in a later round too, and a second delete changes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast
from urllib.parse import quote

from connectors.microsoft.exceptions import GraphNotFound, NormalizationError
from connectors.microsoft.graph_client import GraphClient
from connectors.microsoft.normalize import RemovedItem, is_removed, normalize
from connectors.microsoft.normalize_calendar import is_occurrence_stub
from connectors.microsoft.payload import text
from schemas.models import CalendarEvent

#: ``RemovedItem.reason`` of an occurrence whose series master is gone.
SERIES_GONE = "seriesMasterNotFound"
#: What an occurrence has of its own; the rest of its event comes from the master. (The rule,
#: the master's iCalUId, which Graph gives each occurrence its own of, and the master's
#: ``originalStart``, which it has none of, would be wrong on an occurrence.)
_OWN_FIELDS = frozenset({"id", "type", "seriesMasterId", "start", "end", "changeKey", "iCalUId", "recurrence", "originalStart"})

OnError = Callable[[dict[str, Any], NormalizationError], None]


class SeriesMasters:
    """The series masters one sync needs, each fetched at most once per sync."""

    def __init__(self, client: GraphClient, mailbox: str) -> None:
        self._client = client
        self._mailbox = mailbox
        #: master id → its payload, or None when Graph answered 404 (the series is gone).
        self._masters: dict[str, dict[str, Any] | None] = {}

    def note(self, entries: Iterable[object]) -> None:
        """Keep the masters that came in the round itself (they are as new as it is)."""
        for entry in entries:
            if isinstance(entry, Mapping) and entry.get("type") == "seriesMaster" and isinstance(entry.get("id"), str):
                self._masters[entry["id"]] = dict(entry)

    async def load(self, master_ids: Iterable[str]) -> None:
        """Fetch the masters among ``master_ids`` this sync has not seen yet (concurrently; the
        client bounds requests per mailbox). Other Graph errors than 404 are raised."""
        missing = sorted(set(master_ids) - self._masters.keys())
        for master_id, master in zip(missing, await asyncio.gather(*(self._fetch(m) for m in missing)), strict=True):
            self._masters[master_id] = master

    def get(self, master_id: str) -> dict[str, Any] | None:
        """A loaded master, or None when it is gone."""
        return self._masters[master_id]

    @property
    def found(self) -> list[dict[str, Any]]:
        """Every master seen or fetched in this sync, by id (for callers that publish masters:
        only they carry the rule, and calendarView returns none)."""
        return [master for _, master in sorted(self._masters.items()) if master is not None]

    async def _fetch(self, master_id: str) -> dict[str, Any] | None:
        path = f"users/{quote(self._mailbox, safe='@')}/events/{quote(master_id, safe='')}"
        try:
            return await self._client.get_json(self._mailbox, path)
        except GraphNotFound:
            return None


async def calendar_records(entries: Iterable[dict[str, Any]], masters: SeriesMasters, *,
                           on_error: OnError | None = None) -> list[CalendarEvent | RemovedItem]:
    """A page of calendarView delta entries as canonical records and delete markers, in order,
    occurrence stubs completed from their masters. Without ``on_error`` an unreadable entry
    raises ``NormalizationError``; with it, the entry is handed over (to dead-letter) and skipped."""
    entries = list(entries)
    masters.note(entries)
    await masters.load(_master_id(entry) for entry in entries if _is_stub(entry))
    records: list[CalendarEvent | RemovedItem] = []
    for entry in entries:
        try:
            records.append(_record(entry, masters))
        except NormalizationError as exc:
            if on_error is None:
                raise
            on_error(entry, exc)
    return records


def hydrate_occurrence(stub: Mapping[str, Any], master: Mapping[str, Any]) -> dict[str, Any]:
    """The event an occurrence stub stands for: its master's fields under the stub's own.

    Its version marker joins the stub's etag and the master's changeKey, so an edit of either
    is a new version; its change time is the master's. With the master's ``isAllDay`` and zone,
    an all-day series' occurrences are read as dates in that zone (``timezones.all_day_date``).
    """
    inherited = {key: value for key, value in master.items() if key not in _OWN_FIELDS and not key.startswith("@")}
    hydrated: dict[str, Any] = {**inherited, **stub}
    etag = (text(stub, "@odata.etag", "event") or "").removeprefix("W/").strip('"')
    hydrated["changeKey"] = ":".join(marker for marker in (etag, text(master, "changeKey", "event master")) if marker) or None
    return hydrated


def _is_stub(entry: object) -> bool:
    return isinstance(entry, Mapping) and not is_removed(entry) and is_occurrence_stub(entry) and bool(_master_id(entry))


def _master_id(entry: Mapping[str, Any]) -> str:
    master_id = entry.get("seriesMasterId")
    return master_id if isinstance(master_id, str) else ""


def _record(entry: dict[str, Any], masters: SeriesMasters) -> CalendarEvent | RemovedItem:
    if not _is_stub(entry):
        return cast(CalendarEvent | RemovedItem, normalize("event", entry))
    master = masters.get(_master_id(entry))
    if master is None:
        return RemovedItem(kind="event", id=text(entry, "id", "event", required=True) or "", reason=SERIES_GONE)
    return cast(CalendarEvent, normalize("event", hydrate_occurrence(entry, master)))


__all__ = ["SERIES_GONE", "SeriesMasters", "calendar_records", "hydrate_occurrence"]
