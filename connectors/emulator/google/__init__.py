"""The Google face of the emulator: OAuth token endpoint, Gmail (with its batch endpoint and
Pub/Sub push), Calendar (with push channels) and People, on the world's mailboxes.

Paths mirror Google's so ``googleapiclient`` reaches them with ``client_options.api_endpoint``
set to the emulator (see ``connectors.google.services`` for how each API composes it):
``/token``; ``/gmail/v1/users/{userId}/...`` and ``/batch/gmail/v1``;
``/calendar/v3/calendars/{calendarId}/events[/watch]`` and ``/calendar/v3/channels/stop``;
``/v1/people/me/connections``. Control endpoints live under ``/_emulator/google/``, among them
an opt-in Gmail quota (``quota.py``: units per method, 429 past a user's limit per minute).
"""

from __future__ import annotations

import json

from aiohttp import web

from connectors.emulator.google.batch import add_batch_routes
from connectors.emulator.google.calendar import add_calendar_routes
from connectors.emulator.google.errors import bad_request, respond
from connectors.emulator.google.gmail import gmail_answer, remember_threads
from connectors.emulator.google.oauth import add_oauth_routes, authenticate, unauthenticated
from connectors.emulator.google.people import add_people_routes
from connectors.emulator.google.push import add_push_routes, on_advance
from connectors.emulator.google.quota import add_quota_routes
from connectors.emulator.google.state import CLIENT_ID, CLIENT_SECRET, GOOGLE, GoogleState, refresh_token_for
from connectors.emulator.server import ON_ADVANCE, WORLD

__all__ = ["CLIENT_ID", "CLIENT_SECRET", "GOOGLE", "google_face", "refresh_token_for"]


def google_face(app: web.Application) -> None:
    """Register the Google routes and push hooks on the emulator ``app``."""
    state = GoogleState()
    app[GOOGLE] = state
    for box in app[WORLD].mailboxes.values():
        remember_threads(state, box)
    add_oauth_routes(app)
    app.router.add_route("*", "/gmail/v1/users/{user_id}/{tail:.+}", _gmail)
    add_batch_routes(app)
    add_calendar_routes(app)
    add_people_routes(app)
    add_push_routes(app)
    add_quota_routes(app)
    app[ON_ADVANCE].append(on_advance)
    app.on_cleanup.append(_close_session)


async def _gmail(request: web.Request) -> web.Response:
    state = request.app[GOOGLE]
    user = authenticate(state, request.headers.get("Authorization"))
    if user is None:
        return unauthenticated()
    raw = await request.read()
    try:
        body = json.loads(raw) if raw.strip() else None
    except ValueError:
        return respond(bad_request("Invalid JSON payload received."))
    query = {name: request.query.getall(name) for name in request.query}
    return respond(gmail_answer(request.app[WORLD], state, user, request.method, request.path, query, body))


async def _close_session(app: web.Application) -> None:
    session = app[GOOGLE].session
    if session is not None:
        await session.close()

