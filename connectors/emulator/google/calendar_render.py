"""World ``EventItem``s rendered as Calendar API v3 ``Event`` resources, with recurring
series expanded into instances for ``singleEvents=true``.

Instance ids follow Google's ``{masterId}_{originalStartUTC:%Y%m%dT%H%M%SZ}``; an exception
(a moved or cancelled instance) is rendered under the id of the instance it replaces. A
cancelled instance is rendered as Google lists it (incremental sync, ``singleEvents=false``):
``kind``, ``etag``, ``id``, ``status``, ``recurringEventId`` and ``originalStartTime`` only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from connectors.emulator.world import EventItem, Mailbox

ETAG_BASE = 3181161784712000


def instance_id(master_id: str, original_start: dt.datetime) -> str:
    return f"{master_id}_{original_start.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}"


def render_event(item: EventItem, box: Mailbox, seq: int, *, start: dt.datetime | None = None) -> dict[str, Any]:
    """``item`` as an Event; ``start`` renders it as the instance starting then instead."""
    if item.cancelled and item.series_master_id and item.original_start:
        return _cancelled_instance(item, seq)
    duration = item.end - item.start
    begins = start or item.start
    event: dict[str, Any] = {
        "kind": "calendar#event",
        "etag": f'"{ETAG_BASE + seq}"',
        "id": item.id,
        "status": "cancelled" if item.cancelled else "confirmed",
        "summary": item.title,
        "description": item.description,
        "updated": f"{_updated_at(seq):%Y-%m-%dT%H:%M:%S}.000Z",
        "creator": {"email": item.organizer},
        "organizer": {"email": item.organizer, **({"self": True} if item.organizer == box.user else {})},
        "start": _time(begins, item),
        "end": _time(begins + duration, item),
        "iCalUID": f"{item.series_master_id or item.id}@emulator.google.com",
        "sequence": item.version - 1,
        "eventType": "default",
    }
    if item.location:
        event["location"] = item.location
    if item.recurrence and start is None:
        event["recurrence"] = list(item.recurrence)
    if item.series_master_id and item.original_start:
        event["id"] = instance_id(item.series_master_id, item.original_start)
        event["recurringEventId"] = item.series_master_id
        event["originalStartTime"] = _time(item.original_start, item)
    if item.attendees:
        event["attendees"] = [{"email": item.organizer, "organizer": True, "responseStatus": "accepted"}] + [
            {"email": address, "responseStatus": response, **({"self": True} if address == box.user else {})}
            for address, response in item.attendees
        ]
    if item.online_meeting_url:
        event["conferenceData"] = {"entryPoints": [{"entryPointType": "video", "uri": item.online_meeting_url,
                                                    "label": item.online_meeting_url.split("//", 1)[-1]}],
                                   "conferenceSolution": {"key": {"type": "addOn"}, "name": "Video meeting"}}
    return event


def _cancelled_instance(item: EventItem, seq: int) -> dict[str, Any]:
    assert item.series_master_id is not None and item.original_start is not None
    return {
        "kind": "calendar#event",
        "etag": f'"{ETAG_BASE + seq}"',
        "id": instance_id(item.series_master_id, item.original_start),
        "status": "cancelled",
        "recurringEventId": item.series_master_id,
        "originalStartTime": _time(item.original_start, item),
    }


def _updated_at(seq: int) -> dt.datetime:
    """A modification time that grows with the item's last change (the world keeps none)."""
    return dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=seq)


def _time(moment: dt.datetime, item: EventItem) -> dict[str, str]:
    zone = ZoneInfo(item.time_zone)
    if item.all_day:
        return {"date": moment.astimezone(dt.UTC).date().isoformat()}
    return {"dateTime": moment.astimezone(zone).isoformat(), "timeZone": item.time_zone}


def instance_starts(master: EventItem) -> list[dt.datetime]:
    """Start instants of a series' instances, stepping in the series' own time zone."""
    zone = ZoneInfo(master.time_zone)
    local_start = master.start.astimezone(zone)
    rules = "\n".join(line for line in master.recurrence if line.startswith(("RRULE", "EXDATE", "RDATE")))
    rule = rrulestr(rules, dtstart=local_start, forceset=True)  # aware: steps keep the wall-clock time
    return [moment.astimezone(dt.UTC) for moment in rule]


def expand(items: list[EventItem], box: Mailbox, seq_of: dict[str, int], *, show_deleted: bool) -> list[dict[str, Any]]:
    """The events as ``singleEvents=true`` lists them: instances instead of series masters."""
    exceptions = {(e.series_master_id, e.original_start): e for e in box.events.values() if e.series_master_id}
    rendered = []
    for item in items:
        if item.series_master_id:
            continue  # exceptions appear in their master's expansion
        if not item.recurrence:
            rendered.append(render_event(item, box, seq_of.get(item.id, 0)))
            continue
        for start in instance_starts(item):
            exception = exceptions.get((item.id, start))
            if exception is not None:
                rendered.append(render_event(exception, box, seq_of.get(exception.id, 0)))
            else:
                instance = render_event(item, box, seq_of.get(item.id, 0), start=start)
                instance.update(id=instance_id(item.id, start), recurringEventId=item.id,
                                originalStartTime=instance["start"])
                rendered.append(instance)
    return [event for event in rendered if show_deleted or event["status"] != "cancelled"]
