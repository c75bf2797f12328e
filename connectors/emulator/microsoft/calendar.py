"""Graph's calendar resources: ``events`` and ``events/{id}`` (singles and series masters) and
``calendarView/delta`` over a window, which expands each series into its occurrences and, as
Graph does, sends each occurrence as a stub (id, seriesMasterId, start, end) that only its
master completes. Events render in UTC unless ``Prefer: outlook.timezone``."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from dateutil.rrule import rrulestr

from connectors.emulator.microsoft.delta import changed_since, delta, list_round
from connectors.emulator.microsoft.options import prefer_zone
from connectors.emulator.microsoft.render import render_event, render_occurrence_stub
from connectors.emulator.microsoft.wire import graph_error
from connectors.emulator.world import EventItem, Mailbox

Shown = dict[str, tuple[EventItem, tuple[str, dt.datetime] | None]]


def _instances(box: Mailbox, start: dt.datetime, end: dt.datetime) -> Shown:
    """What a calendarView shows in [start, end): single events, exceptions, and the occurrences
    of each series (expanded in the series' own time zone, minus those an exception replaced)."""
    shown: Shown = {}
    replaced = {(e.series_master_id, e.original_start) for e in box.events.values() if e.series_master_id}
    for item in box.events.values():
        if item.recurrence and not item.series_master_id:
            for at in _occurrences(item, end):
                if (item.id, at) not in replaced and at < end and at + (item.end - item.start) > start:
                    occurrence_id = f"{item.id}_{at.astimezone(dt.UTC):%Y%m%dT%H%M}"
                    shown[occurrence_id] = (item, (occurrence_id, at))
        elif item.start < end and item.end > start:
            shown[item.id] = (item, None)
    return shown


def _occurrences(master: EventItem, until: dt.datetime) -> list[dt.datetime]:
    # An aware dtstart in the series' zone: dateutil steps the wall clock, so DST is honoured.
    local = master.start.astimezone(ZoneInfo(master.time_zone))
    rule = rrulestr(master.recurrence[0].removeprefix("RRULE:"), dtstart=local)
    found: list[dt.datetime] = []
    for at in rule:
        instant = at.astimezone(dt.UTC)
        if instant >= until or len(found) >= 1000:
            break
        found.append(instant)
    return found


def _window(options: dict[str, str]) -> tuple[dt.datetime, dt.datetime] | None:
    try:
        return (dt.datetime.fromisoformat(options["startDateTime"]).astimezone(dt.UTC),
                dt.datetime.fromisoformat(options["endDateTime"]).astimezone(dt.UTC))
    except (KeyError, ValueError):
        return None


async def calendar_delta(request: web.Request, box: Mailbox) -> web.Response:
    if "$skiptoken" not in request.query and "$deltatoken" not in request.query and _window(dict(request.query)) is None:
        return graph_error(400, "ErrorInvalidParameter", "startDateTime and endDateTime are required (ISO 8601).")
    zone = prefer_zone(request)

    def shown(options: dict[str, str]) -> Shown:
        window = _window(options)
        return _instances(box, *window) if window else {}

    def changes(options: dict[str, str], seq: int) -> list[tuple[str, bool]]:
        now_shown, found = shown(options), []
        for item_id, change in changed_since(box, "event", seq):
            ids = [key for key, (item, _) in now_shown.items() if item.id == item_id]
            found += [(key, False) for key in ids] or [(item_id, True)]
        return found

    def render(options: dict[str, str], instance_id: str) -> dict[str, Any] | None:
        entry = shown(options).get(instance_id)
        if entry is None:
            return None
        item, occurrence = entry
        if occurrence is not None:
            return render_occurrence_stub(item, *occurrence, zone=zone)
        return render_event(box.user, item, zone=zone)

    return await delta(request, box, "event", ("startDateTime", "endDateTime"), lambda options: list(shown(options)),
                       changes, render)


async def events_list(request: web.Request, box: Mailbox) -> web.Response:
    zone = prefer_zone(request)
    ids = [e.id for e in box.events.values() if not e.series_master_id]  # /events: singles and series masters
    return list_round(request, box, ids, lambda item_id: render_event(box.user, box.events[item_id], zone=zone))


async def event_get(request: web.Request, box: Mailbox) -> web.Response:
    item = box.events.get(request.match_info["item"])
    if item is None:
        return graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
    return web.json_response(render_event(box.user, item, zone=prefer_zone(request)))
