"""Calendar API v3: ``events.list`` (full listing, paging, ``syncToken`` increments, 410 once
a token has expired), ``events.get``, ``events.watch`` push channels and ``channels.stop``.

Sync tokens carry the mailbox's change-log sequence number. Following Google, a full listing
leaves out cancelled events unless ``showDeleted`` (cancelled instances still show when
``singleEvents`` is false), while an incremental listing always includes them: a deleted event
comes back as ``{"id", "status": "cancelled"}`` only.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from aiohttp import web

from connectors.emulator.google.calendar_render import expand, render_event
from connectors.emulator.google.errors import Answer, bad_request, error, not_found, respond
from connectors.emulator.google.gmail import last_change
from connectors.emulator.google.oauth import authenticate, unauthenticated
from connectors.emulator.google.paging import bool_param, decode_token, encode_token, int_param, page
from connectors.emulator.google.push import notify_channel
from connectors.emulator.google.state import GOOGLE, Channel
from connectors.emulator.server import WORLD
from connectors.emulator.world import Mailbox

_NOT_WITH_SYNC_TOKEN = ("timeMin", "timeMax", "orderBy", "q", "updatedMin", "iCalUID", "privateExtendedProperty")
_CHANNEL_TTL_S = 7 * 86_400


def add_calendar_routes(app: web.Application) -> None:
    app.router.add_get("/calendar/v3/calendars/{calendar_id}/events", _events_list)
    app.router.add_post("/calendar/v3/calendars/{calendar_id}/events/watch", _events_watch)
    app.router.add_get("/calendar/v3/calendars/{calendar_id}/events/{event_id}", _events_get)
    app.router.add_post("/calendar/v3/channels/stop", _channels_stop)


def _mailbox(request: web.Request) -> Mailbox | web.Response:
    user = authenticate(request.app[GOOGLE], request.headers.get("Authorization"))
    if user is None:
        return unauthenticated()
    if request.match_info.get("calendar_id", "primary") not in ("primary", user):
        return respond(not_found())
    return request.app[WORLD].mailbox(user)


async def _events_list(request: web.Request) -> web.Response:
    box = _mailbox(request)
    if isinstance(box, web.Response):
        return box
    query = {name: request.query.getall(name) for name in request.query}
    return respond(events_answer(box, query))


def events_answer(box: Mailbox, query: dict[str, list[str]]) -> Answer:
    paging = decode_token(query.get("pageToken", [None])[0], "cal-page") or {}
    sync_token = query.get("syncToken", [None])[0]
    if sync_token and any(name in query for name in _NOT_WITH_SYNC_TOKEN):
        return bad_request("Sync token cannot be used with the query parameters given.", reason="invalid")
    if sync_token:
        since = (decode_token(sync_token, "cal-sync") or {}).get("s", -1)
        changes = box.changes_since(since, "event") if since >= 0 else None
        if changes is None:
            return error(410, "Sync token is no longer valid, a full sync is required.", reason="fullSyncRequired")
        items = _changed(box, [c.item_id for c in changes], single=bool_param(query, "singleEvents"))
    else:
        items = _listing(box, query)
    snapshot = paging.get("s", box.seq)
    chunk, following = page(items, paging.get("o", 0), int_param(query, "maxResults", 250, 2500))
    answer: dict[str, Any] = {"kind": "calendar#events", "etag": f'"{snapshot}"', "summary": box.user,
                              "timeZone": "UTC", "accessRole": "owner", "items": chunk}
    if following is not None:
        answer["nextPageToken"] = encode_token(k="cal-page", o=following, s=snapshot)
    else:
        answer["nextSyncToken"] = encode_token(k="cal-sync", s=snapshot)
    return 200, answer


def _listing(box: Mailbox, query: dict[str, list[str]]) -> list[dict[str, Any]]:
    seq_of = {item_id: last_change(box, item_id) for item_id in box.events}
    show_deleted = bool_param(query, "showDeleted")
    if bool_param(query, "singleEvents"):
        return expand(list(box.events.values()), box, seq_of, show_deleted=show_deleted)
    rendered = [render_event(item, box, seq_of[item.id]) for item in box.events.values()]
    return [e for e in rendered if show_deleted or e["status"] != "cancelled" or "recurringEventId" in e]


def _changed(box: Mailbox, item_ids: list[str], *, single: bool) -> list[dict[str, Any]]:
    rendered: list[dict[str, Any]] = []
    for item_id in item_ids:
        item = box.events.get(item_id)
        seq = last_change(box, item_id)
        if item is None:
            rendered.append({"kind": "calendar#event", "etag": f'"{seq}"', "id": item_id, "status": "cancelled"})
        elif single and item.recurrence:
            rendered.extend(expand([item], box, {item_id: seq}, show_deleted=True))
        else:
            rendered.append(render_event(item, box, seq))
    return rendered


async def _events_get(request: web.Request) -> web.Response:
    """One event as a listing shows it; a deleted one is 404 here (Google answers a recently
    deleted event with its cancelled shell, which the connector reads as a deletion too)."""
    box = _mailbox(request)
    if isinstance(box, web.Response):
        return box
    item = box.events.get(request.match_info["event_id"])
    if item is None:
        return respond(not_found())
    return respond((200, render_event(item, box, last_change(box, item.id))))


async def _events_watch(request: web.Request) -> web.Response:
    box = _mailbox(request)
    if isinstance(box, web.Response):
        return box
    body = await request.json()
    if body.get("type") not in ("web_hook", "webhook") or not body.get("id") or not body.get("address"):
        return respond(bad_request("A channel needs id, type web_hook and address", reason="required"))
    state = request.app[GOOGLE]
    if body["id"] in state.channels:
        return respond(error(400, f"Channel id {body['id']} not unique", reason="channelIdNotUnique"))
    ttl = int((body.get("params") or {}).get("ttl", _CHANNEL_TTL_S))
    channel = Channel(id=body["id"], resource_id=secrets.token_urlsafe(18), user=box.user, address=body["address"],
                      token=body.get("token"), expiration_ms=int((time.time() + ttl) * 1000))
    state.channels[channel.id] = channel
    await notify_channel(request.app, channel, "sync")
    return respond((200, {"kind": "api#channel", "id": channel.id, "resourceId": channel.resource_id,
                          "resourceUri": f"{request.url.origin()}/calendar/v3/calendars/primary/events?alt=json",
                          **({"token": channel.token} if channel.token else {}),
                          "expiration": str(channel.expiration_ms)}))


async def _channels_stop(request: web.Request) -> web.Response:
    state = request.app[GOOGLE]
    if authenticate(state, request.headers.get("Authorization")) is None:
        return unauthenticated()
    body = await request.json()
    channel = state.channels.get(body.get("id", ""))
    if channel is None or channel.resource_id != body.get("resourceId"):
        return respond(not_found(f"Channel '{body.get('id')}' not found for project"))
    del state.channels[channel.id]
    return respond((204, None))
