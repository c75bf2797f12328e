"""The Microsoft face's control API (not Graph), for tests, benches and the demo.

``POST /_emulator/microsoft/grant {"user"}`` (a consented user's refresh token),
``/revoke {"user"}``, ``/lifecycle {"subscription_id", "event"}``, ``/latency {"seconds"}``;
``GET /_emulator/microsoft/stats``.
"""

from __future__ import annotations

from aiohttp import web

from connectors.emulator.microsoft.oauth import issue_refresh
from connectors.emulator.microsoft.state import state_of
from connectors.emulator.microsoft.subscriptions import (
    LIFECYCLE_EVENTS,
    notify_lifecycle,
)
from connectors.emulator.server import WORLD


def add_control_routes(app: web.Application) -> None:
    app.router.add_post("/_emulator/microsoft/grant", _grant)
    app.router.add_post("/_emulator/microsoft/revoke", _revoke)
    app.router.add_post("/_emulator/microsoft/lifecycle", _lifecycle)
    app.router.add_post("/_emulator/microsoft/latency", _latency)
    app.router.add_get("/_emulator/microsoft/stats", _stats)


async def _grant(request: web.Request) -> web.Response:
    """What the authorization-code flow would leave behind: a consented user's refresh token."""
    user = str((await request.json())["user"])
    if user not in request.app[WORLD].mailboxes:
        return web.json_response({"error": f"no mailbox {user}"}, status=404)
    return web.json_response({"refresh_token": issue_refresh(state_of(request), user)})


async def _revoke(request: web.Request) -> web.Response:
    """The user revoked consent (or an admin revoked sessions): every token they hold dies."""
    state, user = state_of(request), str((await request.json())["user"]).lower()
    state.revoked |= {t for t, owner in state.refresh_tokens.items() if owner.lower() == user}
    state.revoked |= {t for t, issued in state.access_tokens.items() if (issued.user or "").lower() == user}
    return web.json_response({"ok": True})


async def _lifecycle(request: web.Request) -> web.Response:
    state, body = state_of(request), await request.json()
    subscription = state.subscriptions.get(str(body["subscription_id"]))
    event = str(body["event"])
    if subscription is None or event not in LIFECYCLE_EVENTS:
        return web.json_response({"error": "unknown subscription or lifecycle event"}, status=400)
    return web.json_response({"delivered": await notify_lifecycle(state, subscription, event)})


async def _latency(request: web.Request) -> web.Response:
    state_of(request).latency_s = float((await request.json())["seconds"])
    return web.json_response({"ok": True})


async def _stats(request: web.Request) -> web.Response:
    state = state_of(request)
    return web.json_response({
        "graph_requests": state.graph_requests, "throttled": state.throttled, "grants": dict(state.grants),
        "max_in_flight": dict(state.max_in_flight), "subscriptions": len(state.subscriptions),
        "deliveries": dict(state.deliveries),
    })
