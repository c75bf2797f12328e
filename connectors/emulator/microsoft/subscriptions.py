"""Graph change-notification subscriptions (``POST/PATCH/DELETE /v1.0/subscriptions``).

Creation validates each URL (``?validationToken=``, echo required within 10 s); mailbox changes
made through ``/_emulator/advance`` are POSTed to the subscribers that asked for that resource
and change type; lifecycle notifications go to ``lifecycleNotificationUrl`` (or, without one,
``notificationUrl``).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any
from urllib.parse import quote

import aiohttp
from aiohttp import web

from connectors.emulator.microsoft.graph import authenticate
from connectors.emulator.microsoft.state import (
    DEMO_CLIENT_ID,
    DEMO_TENANT,
    MAX_SUBSCRIPTION_MINUTES,
    MS_STATE,
    MicrosoftState,
    state_of,
)
from connectors.emulator.microsoft.wire import (
    base_url,
    graph_error,
    precise,
    user_object_id,
)
from connectors.emulator.server import WORLD
from connectors.emulator.world import World

LIFECYCLE_EVENTS = ("reauthorizationRequired", "subscriptionRemoved", "missed")

_RESOURCE = re.compile(r"^/?(?:users/(?P<user>[^/]+)|me)/(?:mailFolders\('?[^/)']+'?\)/)?(?P<kind>messages|events|contacts)$",
                       re.IGNORECASE)
_KINDS = {"email": ("messages", "Message"), "event": ("events", "Event"), "contact": ("contacts", "Contact")}


def add_subscription_routes(app: web.Application) -> None:
    app.router.add_post("/v1.0/subscriptions", _subscription_create)
    app.router.add_patch("/v1.0/subscriptions/{id}", _subscription_renew)
    app.router.add_delete("/v1.0/subscriptions/{id}", _subscription_delete)


async def _session(state: MicrosoftState) -> aiohttp.ClientSession:
    if state.session is None:
        state.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
    return state.session


async def close_session(app: web.Application) -> None:
    session = app[MS_STATE].session
    if session is not None:
        await session.close()


async def _validate_url(state: MicrosoftState, url: str) -> bool:
    """Graph's handshake: POST url?validationToken=..., expect 200 and the token back as text."""
    token = f"Validation: Testing client application reachability for subscription Request-Id: {uuid.uuid4()}"
    session = await _session(state)
    try:
        async with session.post(f"{url}{'&' if '?' in url else '?'}validationToken={quote(token)}",
                                headers={"Content-Type": "text/plain; charset=utf-8"}) as response:
            return response.status == 200 and (await response.text()).strip() == token
    except (TimeoutError, aiohttp.ClientError):
        return False


def _expiry(body: dict[str, Any]) -> dt.datetime | web.Response:
    try:
        expires = dt.datetime.fromisoformat(str(body["expirationDateTime"])).astimezone(dt.UTC)
    except (KeyError, ValueError):
        return graph_error(400, "ExtensionError", "expirationDateTime is required (ISO 8601).")
    now = dt.datetime.now(dt.UTC)
    if expires <= now or expires > now + dt.timedelta(minutes=MAX_SUBSCRIPTION_MINUTES):
        return graph_error(400, "ExtensionError", "Subscription expiration can only be 10080 minutes in the future.")
    return expires


async def _subscription_create(request: web.Request) -> web.Response:
    state = state_of(request)
    caller = authenticate(request)
    if isinstance(caller, web.Response):
        return caller
    body = await request.json()
    match = _RESOURCE.match(str(body.get("resource", "")))
    if match is None or not body.get("notificationUrl") or not body.get("changeType"):
        return graph_error(400, "InvalidRequest", "resource, notificationUrl and changeType are required.")
    user = match.group("user") or caller.user
    world: World = request.app[WORLD]
    box = next((b for a, b in world.mailboxes.items() if user and user.lower() in (a.lower(), user_object_id(a))), None)
    if box is None or (caller.user is not None and caller.user.lower() != box.user.lower()):
        return graph_error(403, "ExtensionError", "Operation: Create; Exception: [Status Code: Forbidden; Reason: Access denied]")
    expires = _expiry(body)
    if isinstance(expires, web.Response):
        return expires
    for url in filter(None, (body["notificationUrl"], body.get("lifecycleNotificationUrl"))):
        if not await _validate_url(state, url):
            return graph_error(400, "ValidationError", "Subscription validation request failed. "
                               "Notification endpoint must respond with 200 OK to validation request.")
    subscription = {
        "id": str(uuid.uuid4()), "resource": body["resource"], "applicationId": DEMO_CLIENT_ID,
        "changeType": body["changeType"], "clientState": body.get("clientState"),
        "notificationUrl": body["notificationUrl"], "lifecycleNotificationUrl": body.get("lifecycleNotificationUrl"),
        "expirationDateTime": precise(expires), "creatorId": user_object_id(box.user), "includeResourceData": False,
        "latestSupportedTlsVersion": body.get("latestSupportedTlsVersion", "v1_2"), "notificationUrlAppId": None,
    }
    state.subscriptions[subscription["id"]] = {**subscription, "_user": box.user, "_kind": match.group("kind").lower()}
    return web.json_response({"@odata.context": f"{base_url(request)}/v1.0/$metadata#subscriptions/$entity", **subscription},
                             status=201)


def _public(subscription: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in subscription.items() if not key.startswith("_")}


async def _subscription_renew(request: web.Request) -> web.Response:
    caller = authenticate(request)
    if isinstance(caller, web.Response):
        return caller
    subscription = state_of(request).subscriptions.get(request.match_info["id"])
    if subscription is None:
        return graph_error(404, "ResourceNotFound", "The object was not found.")
    expires = _expiry(await request.json())
    if isinstance(expires, web.Response):
        return expires
    subscription["expirationDateTime"] = precise(expires)
    return web.json_response(_public(subscription))


async def _subscription_delete(request: web.Request) -> web.Response:
    caller = authenticate(request)
    if isinstance(caller, web.Response):
        return caller
    if state_of(request).subscriptions.pop(request.match_info["id"], None) is None:
        return graph_error(404, "ResourceNotFound", "The object was not found.")
    return web.Response(status=204)


async def notify_subscribers(app: web.Application, user: str, changes: list[Any]) -> None:
    """After ``advance``: one POST per subscription with the changes it asked for."""
    state = app[MS_STATE]
    for subscription in list(state.subscriptions.values()):
        if subscription["_user"] != user:
            continue
        wanted = {c.strip() for c in subscription["changeType"].split(",")}
        value = [_notification(subscription, user, change) for change in changes
                 if _KINDS[change.kind][0] == subscription["_kind"] and change.change in wanted]
        if value:
            await _deliver(state, subscription["notificationUrl"], {"value": value})


def _notification(subscription: dict[str, Any], user: str, change: Any) -> dict[str, Any]:
    collection, type_name = _KINDS[change.kind]
    resource = f"Users/{user_object_id(user)}/{collection.title()}/{change.item_id}"
    data: dict[str, Any] = {"@odata.type": f"#Microsoft.Graph.{type_name}", "@odata.id": resource, "id": change.item_id}
    return {"subscriptionId": subscription["id"], "subscriptionExpirationDateTime": subscription["expirationDateTime"],
            "changeType": change.change, "resource": resource, "resourceData": data,
            "clientState": subscription["clientState"], "tenantId": DEMO_TENANT}


async def notify_lifecycle(state: MicrosoftState, subscription: dict[str, Any], event: str) -> int | None:
    """Send one lifecycle notification (``event`` in LIFECYCLE_EVENTS); ``subscriptionRemoved``
    drops the subscription first. Returns the subscriber's HTTP status (None: unreachable)."""
    url = subscription["lifecycleNotificationUrl"] or subscription["notificationUrl"]
    if event == "subscriptionRemoved":
        del state.subscriptions[subscription["id"]]
    return await _deliver(state, url, {"value": [{
        "subscriptionId": subscription["id"], "subscriptionExpirationDateTime": subscription["expirationDateTime"],
        "tenantId": DEMO_TENANT, "clientState": subscription["clientState"], "lifecycleEvent": event}]})


async def _deliver(state: MicrosoftState, url: str, body: dict[str, Any]) -> int | None:
    session = await _session(state)
    try:
        async with session.post(url, json=body) as response:
            state.deliveries[str(response.status)] += 1
            return response.status
    except (TimeoutError, aiohttp.ClientError):
        state.deliveries["failed"] += 1
        return None
