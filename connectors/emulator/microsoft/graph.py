"""Graph request plumbing every resource handler runs behind: bearer-token authentication,
mailbox resolution (``/users/{id or UPN}`` or ``/me``), Outlook's per-mailbox concurrency
limit (more than 4 concurrent requests answer 429 MailboxConcurrency) and injected latency."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from connectors.emulator.microsoft.state import (
    MAILBOX_CONCURRENCY,
    IssuedToken,
    state_of,
)
from connectors.emulator.microsoft.wire import graph_error, user_object_id
from connectors.emulator.server import WORLD
from connectors.emulator.world import Mailbox, World

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MailboxHandler = Callable[[web.Request, Mailbox], Awaitable[web.StreamResponse]]


def graph(inner: MailboxHandler) -> Handler:
    """Authenticate, resolve the mailbox, apply Outlook's per-mailbox concurrency limit."""

    async def handler(request: web.Request) -> web.StreamResponse:
        state = state_of(request)
        state.graph_requests += 1
        caller = authenticate(request)
        if isinstance(caller, web.Response):
            return caller
        box = _mailbox(request, caller)
        if isinstance(box, web.Response):
            return box
        if state.in_flight[box.user] >= MAILBOX_CONCURRENCY:
            state.throttled += 1
            return graph_error(429, "ApplicationThrottled", "Application is over its MailboxConcurrency limit.",
                               {"Retry-After": "1"})
        state.in_flight[box.user] += 1
        state.max_in_flight[box.user] = max(state.max_in_flight[box.user], state.in_flight[box.user])
        try:
            if state.latency_s:
                await asyncio.sleep(state.latency_s)
            return await inner(request, box)
        finally:
            state.in_flight[box.user] -= 1

    return handler


def authenticate(request: web.Request) -> IssuedToken | web.Response:
    """The token the ``Authorization: Bearer`` header carries, or Graph's 401 answer."""
    state = state_of(request)
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    issued = state.access_tokens.get(token) if scheme.lower() == "bearer" else None
    if issued is None or token in state.revoked:
        return graph_error(401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
    if issued.expires < time.time():
        return graph_error(401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.")
    return issued


def _mailbox(request: web.Request, caller: IssuedToken) -> Mailbox | web.Response:
    world: World = request.app[WORLD]
    wanted = request.match_info.get("user") or caller.user
    if wanted is None:
        return graph_error(400, "BadRequest", "/me request is only valid with delegated authentication flow.")
    found = next((box for address, box in world.mailboxes.items()
                  if wanted.lower() in (address.lower(), user_object_id(address))), None)
    if found is None:
        return graph_error(404, "ErrorInvalidUser", "The requested user is invalid.")
    if caller.user is not None and caller.user.lower() != found.user.lower():
        return graph_error(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
    return found
