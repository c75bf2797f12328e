"""Push notifications when a mailbox advances: Gmail's through Cloud Pub/Sub push
subscriptions (a JSON envelope whose ``message.data`` is the base64 of
``{"emailAddress", "historyId"}``), Calendar's straight to each channel's address (an empty
POST described by ``X-Goog-*`` headers). People has no push.

Control: ``POST /_emulator/google/pubsub {"topic", "push_endpoint", "subscription"?}`` creates
a push subscription, which is what ``users.watch`` needs its topic to have. Deliveries that
fail are dropped (Pub/Sub would retry; tests await the delivery instead).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
from email.utils import format_datetime

import aiohttp
from aiohttp import web

from connectors.emulator.google.state import GOOGLE, Channel, GoogleState
from connectors.emulator.server import WORLD
from connectors.emulator.world import Change

log = logging.getLogger(__name__)


def add_push_routes(app: web.Application) -> None:
    app.router.add_post("/_emulator/google/pubsub", _subscribe)


async def _subscribe(request: web.Request) -> web.Response:
    body = await request.json()
    topic = body["topic"]
    name = body.get("subscription") or f"projects/{topic.split('/')[1]}/subscriptions/officestream-push"
    request.app[GOOGLE].subscriptions.setdefault(topic, []).append((name, body["push_endpoint"]))
    return web.json_response({"subscription": name})


async def on_advance(app: web.Application, user: str, changes: list[Change]) -> None:
    kinds = {change.kind for change in changes}
    if "email" in kinds:
        await push_gmail(app, user)
    if "event" in kinds:
        for channel in [c for c in app[GOOGLE].channels.values() if c.user == user]:
            await notify_channel(app, channel, "exists")


async def push_gmail(app: web.Application, user: str) -> None:
    state = app[GOOGLE]
    topic = state.watches.get(user)
    if topic is None:
        return
    data = json.dumps({"emailAddress": user, "historyId": app[WORLD].mailbox(user).seq}).encode()
    for subscription, endpoint in state.subscriptions.get(topic, []):
        state.pushes_sent += 1
        published = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        message = {"data": base64.b64encode(data).decode(), "messageId": str(state.pushes_sent),
                   "message_id": str(state.pushes_sent), "publishTime": published, "publish_time": published,
                   "attributes": {}}
        await _post(state, endpoint, json.dumps({"message": message, "subscription": subscription}).encode(),
                    {"Content-Type": "application/json"})


async def notify_channel(app: web.Application, channel: Channel, resource_state: str) -> None:
    expires = dt.datetime.fromtimestamp(channel.expiration_ms / 1000, dt.UTC)
    headers = {
        "X-Goog-Channel-ID": channel.id,
        "X-Goog-Channel-Expiration": format_datetime(expires, usegmt=True),
        "X-Goog-Resource-ID": channel.resource_id,
        "X-Goog-Resource-URI": "https://www.googleapis.com/calendar/v3/calendars/primary/events?alt=json",
        "X-Goog-Resource-State": resource_state,
        "X-Goog-Message-Number": str(channel.next_number()),
    }
    if channel.token:
        headers["X-Goog-Channel-Token"] = channel.token
    await _post(app[GOOGLE], channel.address, b"", headers)


async def _post(state: GoogleState, url: str, body: bytes, headers: dict[str, str]) -> None:
    try:
        session = await state.http()
        async with session.post(url, data=body, headers=headers) as answer:
            await answer.read()
    except (aiohttp.ClientError, TimeoutError) as exc:
        host = url.split("/")[2] if "//" in url else url
        log.warning("google push delivery failed url_host=%s error=%s", host, type(exc).__name__)
