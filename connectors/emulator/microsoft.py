"""The Microsoft face of the emulator: Azure AD (v2.0 token endpoint and the OpenID discovery
document msal reads) and the Microsoft Graph subset the connector uses, over the world's mailboxes.

Azure AD
- ``GET /{tenant}/v2.0/.well-known/openid-configuration``: what msal fetches for an authority
  it does not validate (``validate_authority=False, instance_discovery=False``).
- ``POST /{tenant}/oauth2/v2.0/token``: ``client_credentials`` (app-only) and ``refresh_token``
  (delegated; rotates the refresh token, returns an id_token and client_info so msal's cache
  holds an account); a revoked grant answers 400 ``invalid_grant`` (AADSTS50173).
msal only accepts an https authority: serve this face with ``start_https`` (a self-signed
certificate from ``self_signed_tls``) and trust the certificate in the client.

Graph (``/v1.0/users/{id or UPN}/...`` and ``/v1.0/me/...``, bearer token required)
- ``mailFolders``, ``mailFolders/delta``, ``mailFolders/{id}/messages``, ``mailFolders/{id}/messages/delta``,
  ``messages``, ``messages/{id}``, ``events``, ``events/{id}``, ``calendarView/delta``,
  ``contacts/delta``, ``contacts/{id}``; ``POST/PATCH/DELETE /v1.0/subscriptions``.
- Pages honour ``Prefer: odata.maxpagesize`` (default 10) with ``@odata.nextLink``; delta rounds
  end with ``@odata.deltaLink``, whose token is the mailbox change-log sequence (410
  ``syncStateNotFound`` once ``/_emulator/expire`` ran). ``$select`` and
  ``$expand=attachments`` are honoured; events render in UTC unless ``Prefer: outlook.timezone``.
- More than 4 concurrent requests for one mailbox answer 429 (Outlook's MailboxConcurrency).
- Subscriptions: creation validates each URL (``?validationToken=``, echo required within
  10 s); mailbox changes made through ``/_emulator/advance`` are POSTed to subscribers.

Control API (not Graph): ``POST /_emulator/microsoft/grant {"user"}`` (a consented user's
refresh token), ``/revoke {"user"}``, ``/lifecycle {"subscription_id", "event"}``,
``/latency {"seconds"}``; ``GET /_emulator/microsoft/stats``.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import json
import re
import secrets
import ssl
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web
from dateutil.rrule import rrulestr

from connectors.emulator.server import ON_ADVANCE, WORLD
from connectors.emulator.world import ContactItem, EventItem, Mailbox, MailItem, World
from connectors.microsoft.timezones import iana_zone, windows_zone

DEMO_TENANT = "7f3c2b9e-0c4d-4a56-9f7e-6d1e2a3b4c5d"
DEMO_CLIENT_ID = "0c8f1e3a-5b7d-4e2f-9a1c-3d5e7f9b1c2e"
DEMO_CLIENT_SECRET = "emulator-client-secret"
ACCESS_TOKEN_LIFETIME_S = 3599
MAILBOX_CONCURRENCY = 4
DEFAULT_PAGE_SIZE = 10
MAX_SUBSCRIPTION_MINUTES = 10_080
FOLDERS = [("inbox", "Inbox"), ("archive", "Archive"), ("sentitems", "Sent Items"), ("drafts", "Drafts"),
           ("deleteditems", "Deleted Items")]
RESPONSES = {"accepted": "accepted", "declined": "declined", "tentative": "tentativelyAccepted", "needsAction": "notResponded"}
WEEKDAYS = {"MO": "monday", "TU": "tuesday", "WE": "wednesday", "TH": "thursday", "FR": "friday", "SA": "saturday", "SU": "sunday"}
INDEX = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# -- state --------------------------------------------------------------------------------

@dataclass
class IssuedToken:
    user: str | None  # None: an app-only token
    expires: float


@dataclass
class Cursor:
    """A delta or list round in progress: what is left to hand out, page by page."""

    user: str
    entries: list[tuple[str, bool]]  # (item id, removed)
    render: Callable[[str], dict[str, Any] | None]
    delta_token: str | None  # None: a plain list, no deltaLink at the end
    path: str
    epoch: int


@dataclass
class MicrosoftState:
    clients: dict[str, str]
    access_tokens: dict[str, IssuedToken] = field(default_factory=dict)
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # token -> user
    revoked: set[str] = field(default_factory=set)  # refresh and access tokens
    grants: Counter[str] = field(default_factory=Counter)
    graph_requests: int = 0
    in_flight: Counter[str] = field(default_factory=Counter)
    max_in_flight: Counter[str] = field(default_factory=Counter)
    throttled: int = 0
    latency_s: float = 0.0
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    deliveries: Counter[str] = field(default_factory=Counter)
    cursors: dict[str, Cursor] = field(default_factory=dict)
    folder_history: dict[str, dict[str, list[tuple[int, str | None]]]] = field(default_factory=dict)
    observed_seq: dict[str, int] = field(default_factory=dict)
    rendered: dict[tuple[str, str, int], dict[str, Any]] = field(default_factory=dict)
    session: aiohttp.ClientSession | None = None


MS_STATE = web.AppKey("microsoft_state", MicrosoftState)


def microsoft_face(app: web.Application, *, clients: dict[str, str] | None = None) -> None:
    """Register the Azure AD and Graph routes (``clients``: client id -> secret)."""
    app[MS_STATE] = MicrosoftState(clients=dict(clients or {DEMO_CLIENT_ID: DEMO_CLIENT_SECRET}))
    app[ON_ADVANCE].append(_notify_subscribers)
    app.on_cleanup.append(_close_session)
    router = app.router
    router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", _openid_configuration)
    router.add_post("/{tenant}/oauth2/v2.0/token", _token)
    for owner in ("/v1.0/users/{user}", "/v1.0/me"):
        router.add_get(f"{owner}/mailFolders/delta", _graph(_folders_delta))
        router.add_get(f"{owner}/mailFolders", _graph(_folders_list))
        router.add_get(f"{owner}/mailFolders/{{folder}}/messages/delta", _graph(_messages_delta))
        router.add_get(f"{owner}/mailFolders/{{folder}}/messages", _graph(_messages_list))
        router.add_get(f"{owner}/messages", _graph(_messages_list))
        router.add_get(f"{owner}/messages/{{item}}", _graph(_message_get))
        router.add_get(f"{owner}/events", _graph(_events_list))
        router.add_get(f"{owner}/events/{{item}}", _graph(_event_get))
        router.add_get(f"{owner}/calendarView/delta", _graph(_calendar_delta))
        router.add_get(f"{owner}/contacts/delta", _graph(_contacts_delta))
        router.add_get(f"{owner}/contacts/{{item}}", _graph(_contact_get))
    router.add_post("/v1.0/subscriptions", _subscription_create)
    router.add_patch("/v1.0/subscriptions/{id}", _subscription_renew)
    router.add_delete("/v1.0/subscriptions/{id}", _subscription_delete)
    router.add_post("/_emulator/microsoft/grant", _control_grant)
    router.add_post("/_emulator/microsoft/revoke", _control_revoke)
    router.add_post("/_emulator/microsoft/lifecycle", _control_lifecycle)
    router.add_post("/_emulator/microsoft/latency", _control_latency)
    router.add_get("/_emulator/microsoft/stats", _control_stats)


def _state(request: web.Request) -> MicrosoftState:
    return request.app[MS_STATE]


def _base(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


def _graph_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status, headers=headers)


def user_object_id(user: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"emulator:user:{user.lower()}"))


def _b64(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def _unb64(value: str) -> str:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()


# -- Azure AD -----------------------------------------------------------------------------

async def _openid_configuration(request: web.Request) -> web.Response:
    base, tenant = _base(request), request.match_info["tenant"]
    return web.json_response({
        "issuer": f"{base}/{DEMO_TENANT}/v2.0",
        "authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/authorize",
        "token_endpoint": f"{base}/{tenant}/oauth2/v2.0/token",
        "device_authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/devicecode",
        "jwks_uri": f"{base}/{tenant}/discovery/v2.0/keys",
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
    })


def _aad_error(status: int, error: str, code: int, description: str) -> web.Response:
    return web.json_response({
        "error": error, "error_description": f"AADSTS{code}: {description}", "error_codes": [code],
        "timestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ"),
        "trace_id": str(uuid.uuid4()), "correlation_id": str(uuid.uuid4()),
    }, status=status)


async def _token(request: web.Request) -> web.Response:
    state, form = _state(request), await request.post()
    client_id, secret = str(form.get("client_id", "")), str(form.get("client_secret", ""))
    if not client_id or state.clients.get(client_id) != secret or not secret:
        return _aad_error(401, "invalid_client", 7000215, "Invalid client secret provided.")
    grant_type = str(form.get("grant_type", ""))
    state.grants[grant_type] += 1
    if grant_type == "client_credentials":
        if not str(form.get("scope", "")).endswith("/.default"):
            return _aad_error(400, "invalid_scope", 1002012, "The provided value for scope is not valid; use /.default.")
        return web.json_response({"token_type": "Bearer", "expires_in": ACCESS_TOKEN_LIFETIME_S,
                                  "ext_expires_in": ACCESS_TOKEN_LIFETIME_S, "access_token": _issue_access(state, None)})
    if grant_type == "refresh_token":
        return _refresh(request, state, str(form.get("refresh_token", "")), str(form.get("scope", "")), client_id)
    return _aad_error(400, "unsupported_grant_type", 70003, f"The app requested an unsupported grant type '{grant_type}'.")


def _refresh(request: web.Request, state: MicrosoftState, refresh_token: str, scope: str, client_id: str) -> web.Response:
    user = state.refresh_tokens.get(refresh_token)
    if user is None or refresh_token in state.revoked:
        return _aad_error(400, "invalid_grant", 50173,
                          "The provided grant has expired due to it being revoked, a fresh auth token is needed.")
    return web.json_response({
        "token_type": "Bearer", "scope": scope, "expires_in": ACCESS_TOKEN_LIFETIME_S,
        "ext_expires_in": ACCESS_TOKEN_LIFETIME_S, "access_token": _issue_access(state, user),
        "refresh_token": _issue_refresh(state, user), "id_token": _id_token(request, user, client_id),
        "client_info": _b64(json.dumps({"uid": user_object_id(user), "utid": DEMO_TENANT})),
    })


def _issue_access(state: MicrosoftState, user: str | None) -> str:
    token = "eyJ0eXAi." + secrets.token_urlsafe(32)
    state.access_tokens[token] = IssuedToken(user, time.time() + ACCESS_TOKEN_LIFETIME_S)
    return token


def _issue_refresh(state: MicrosoftState, user: str) -> str:
    token = "0.ARw" + secrets.token_urlsafe(48)
    state.refresh_tokens[token] = user
    return token


def _id_token(request: web.Request, user: str, client_id: str) -> str:
    """An unsigned id_token: msal reads its claims to build the account, it does not verify it."""
    now = int(time.time())
    claims = {"aud": client_id, "iss": f"{_base(request)}/{DEMO_TENANT}/v2.0", "iat": now, "nbf": now,
              "exp": now + ACCESS_TOKEN_LIFETIME_S, "name": user.split("@")[0].replace(".", " ").title(),
              "oid": user_object_id(user), "preferred_username": user, "sub": _b64(user)[:43],
              "tid": DEMO_TENANT, "ver": "2.0"}
    return f"{_b64(json.dumps({'alg': 'none', 'typ': 'JWT'}))}.{_b64(json.dumps(claims))}."


# -- Graph plumbing: auth, mailbox resolution, concurrency --------------------------------

def _graph(inner: Callable[[web.Request, Mailbox], Awaitable[web.StreamResponse]]) -> Handler:
    """Authenticate, resolve the mailbox, apply Outlook's per-mailbox concurrency limit."""

    async def handler(request: web.Request) -> web.StreamResponse:
        state = _state(request)
        state.graph_requests += 1
        caller = _caller(request)
        if isinstance(caller, web.Response):
            return caller
        box = _mailbox(request, caller)
        if isinstance(box, web.Response):
            return box
        if state.in_flight[box.user] >= MAILBOX_CONCURRENCY:
            state.throttled += 1
            return _graph_error(429, "ApplicationThrottled", "Application is over its MailboxConcurrency limit.",
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


def _caller(request: web.Request) -> IssuedToken | web.Response:
    state = _state(request)
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    issued = state.access_tokens.get(token) if scheme.lower() == "bearer" else None
    if issued is None or token in state.revoked:
        return _graph_error(401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
    if issued.expires < time.time():
        return _graph_error(401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.")
    return issued


def _mailbox(request: web.Request, caller: IssuedToken) -> Mailbox | web.Response:
    world: World = request.app[WORLD]
    wanted = request.match_info.get("user") or caller.user
    if wanted is None:
        return _graph_error(400, "BadRequest", "/me request is only valid with delegated authentication flow.")
    found = next((box for address, box in world.mailboxes.items()
                  if wanted.lower() in (address.lower(), user_object_id(address))), None)
    if found is None:
        return _graph_error(404, "ErrorInvalidUser", "The requested user is invalid.")
    if caller.user is not None and caller.user.lower() != found.user.lower():
        return _graph_error(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
    return found


def _page_size(request: web.Request) -> int:
    match = re.search(r"odata\.maxpagesize=(\d+)", request.headers.get("Prefer", ""))
    if match:
        return max(1, int(match.group(1)))
    top = request.query.get("$top", "")
    return int(top) if top.isdigit() and int(top) > 0 else DEFAULT_PAGE_SIZE


def _prefer_zone(request: web.Request) -> str | None:
    match = re.search(r'outlook\.timezone="([^"]+)"', request.headers.get("Prefer", ""))
    return match.group(1) if match else None


def _preference_applied(request: web.Request) -> dict[str, str]:
    applied = [f"odata.maxpagesize={_page_size(request)}"]
    if "ImmutableId" in request.headers.get("Prefer", ""):
        applied.append('IdType="ImmutableId"')
    return {"Preference-Applied": ", ".join(applied)}


# -- paging and delta rounds --------------------------------------------------------------

@dataclass(frozen=True)
class DeltaQuery:
    """What a deltaLink encodes: the change-log position and the initial request's options."""

    seq: int
    epoch: int
    options: dict[str, str]

    def token(self) -> str:
        return _b64(json.dumps({"s": self.seq, "e": self.epoch, "o": self.options}))

    @classmethod
    def parse(cls, token: str) -> DeltaQuery:
        raw = json.loads(_unb64(token))
        return cls(int(raw["s"]), int(raw["e"]), dict(raw["o"]))


def _expired(box: Mailbox, epoch: int) -> bool:
    return epoch != box.retained_from


def _gone() -> web.Response:
    return _graph_error(410, "SyncStateNotFound", "The sync state generation is not found. Start a new sync round.")


def _changed_since(box: Mailbox, kind: str, seq: int) -> list[tuple[str, str]]:
    """(item id, change) of ``kind`` after ``seq``, latest per item, in log order."""
    latest: dict[str, tuple[int, str]] = {}
    for entry in box.log:
        if entry.seq > seq and entry.kind == kind:
            latest[entry.item_id] = (entry.seq, entry.change)
    return [(item_id, change) for item_id, (_, change) in sorted(latest.items(), key=lambda kv: kv[1][0])]


def _delta_options(request: web.Request, *keys: str) -> dict[str, str]:
    return {key: request.query[key] for key in keys if key in request.query}


async def _delta(request: web.Request, box: Mailbox, kind: str, option_keys: tuple[str, ...],
                 initial: Callable[[dict[str, str]], list[str]],
                 changes: Callable[[dict[str, str], int], list[tuple[str, bool]]],
                 render: Callable[[dict[str, str], str], dict[str, Any] | None]) -> web.Response:
    """One page of a delta round: continue a cursor ($skiptoken), start an incremental round
    ($deltatoken) or the initial full round."""
    state = _state(request)
    if "$skiptoken" in request.query:
        return _next_page(request, box, request.query["$skiptoken"])
    if "$deltatoken" in request.query:
        try:
            query = DeltaQuery.parse(request.query["$deltatoken"])
        except (ValueError, KeyError):
            return _graph_error(400, "BadRequest", "The delta token is malformed.")
        if _expired(box, query.epoch):
            return _gone()
        entries = changes(query.options, query.seq)
        options = query.options
    else:
        options = _delta_options(request, *option_keys)
        entries = [(item_id, False) for item_id in initial(options)]
    upto = DeltaQuery(box.seq, box.retained_from, options)
    token = secrets.token_urlsafe(12)
    state.cursors[token] = Cursor(box.user, entries, lambda item_id: render(options, item_id), upto.token(),
                                  request.path, box.retained_from)
    return _next_page(request, box, token)


def _list(request: web.Request, box: Mailbox, ids: list[str], render: Callable[[str], dict[str, Any] | None]) -> web.Response:
    token = secrets.token_urlsafe(12)
    _state(request).cursors[token] = Cursor(box.user, [(i, False) for i in ids], render, None, request.path, box.retained_from)
    return _next_page(request, box, token)


def _next_page(request: web.Request, box: Mailbox, token: str) -> web.Response:
    state = _state(request)
    cursor = state.cursors.get(token)
    if cursor is None or cursor.user != box.user:
        return _graph_error(400, "BadRequest", "The skip token is not valid.")
    if cursor.delta_token is not None and _expired(box, cursor.epoch):
        del state.cursors[token]
        return _gone()
    size = _page_size(request)
    batch, cursor.entries = cursor.entries[:size], cursor.entries[size:]
    value = [_entry(cursor, item_id, removed) for item_id, removed in batch]
    body: dict[str, Any] = {"@odata.context": f"{_base(request)}/v1.0/$metadata#Collection", "value": value}
    if cursor.entries:
        body["@odata.nextLink"] = f"{_base(request)}{cursor.path}?$skiptoken={token}"
    else:
        del state.cursors[token]
        if cursor.delta_token is not None:
            body["@odata.deltaLink"] = f"{_base(request)}{cursor.path}?$deltatoken={cursor.delta_token}"
    return web.json_response(body, headers=_preference_applied(request))


def _entry(cursor: Cursor, item_id: str, removed: bool) -> dict[str, Any]:
    rendered = None if removed else cursor.render(item_id)
    return rendered if rendered is not None else {"id": item_id, "@removed": {"reason": "deleted"}}


def _select(rendered: dict[str, Any], options: dict[str, str], always: Iterable[str] = ()) -> dict[str, Any]:
    if "$select" not in options:
        return {key: value for key, value in rendered.items() if key != "internetMessageHeaders"}
    keep = {field.strip() for field in options["$select"].split(",")} | {"id", "@odata.type", "@odata.etag", *always}
    return {key: value for key, value in rendered.items() if key in keep}


# -- mail ---------------------------------------------------------------------------------

def folder_id(user: str, name: str) -> str:
    digest = hashlib.sha256(f"{user.lower()}|{name}".encode()).digest()[:24]
    return "AQMkAD" + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _folder_name(box: Mailbox, wanted: str) -> str | None:
    for name, _ in FOLDERS:
        if wanted.lower() == name or wanted == folder_id(box.user, name):
            return name
    return None


def _render_folder(box: Mailbox, name: str, display: str) -> dict[str, Any]:
    items = [m for m in box.emails.values() if m.folder == name]
    return {"@odata.type": "#microsoft.graph.mailFolder", "id": folder_id(box.user, name), "displayName": display,
            "parentFolderId": folder_id(box.user, "msgfolderroot"), "childFolderCount": 0,
            "unreadItemCount": sum(not m.is_read for m in items), "totalItemCount": len(items), "isHidden": False}


async def _folders_list(request: web.Request, box: Mailbox) -> web.Response:
    folders = {name: display for name, display in FOLDERS}
    return _list(request, box, [name for name, _ in FOLDERS], lambda name: _render_folder(box, name, folders[name]))


async def _folders_delta(request: web.Request, box: Mailbox) -> web.Response:
    folders = {name: display for name, display in FOLDERS}
    # The world's folder tree never changes, so an incremental round is always empty.
    return await _delta(request, box, "folder", ("$select",), lambda options: [name for name, _ in FOLDERS],
                        lambda options, seq: [],
                        lambda options, name: _select(_render_folder(box, name, folders[name]), options))


def _observe_folders(state: MicrosoftState, box: Mailbox) -> dict[str, list[tuple[int, str | None]]]:
    """Record which folder each changed message is in, so a later delta knows where a message
    was at a token's position (a move is a delete in the old folder, a create in the new)."""
    history = state.folder_history.setdefault(box.user, {})
    seen = state.observed_seq.get(box.user, 0)
    for entry in box.log:
        if entry.seq > seen and entry.kind == "email":
            item = box.emails.get(entry.item_id)
            history.setdefault(entry.item_id, []).append((entry.seq, item.folder if item else None))
    state.observed_seq[box.user] = box.seq
    return history


def _folder_at(history: dict[str, list[tuple[int, str | None]]], item_id: str, seq: int) -> str | None:
    folder = None
    for at, name in history.get(item_id, []):
        if at > seq:
            break
        folder = name
    return folder


async def _messages_delta(request: web.Request, box: Mailbox) -> web.Response:
    state = _state(request)
    name = _folder_name(box, request.match_info["folder"])
    if name is None:
        return _graph_error(404, "ErrorItemNotFound", "The specified folder could not be found in the store.")
    history = _observe_folders(state, box)

    def changes(options: dict[str, str], seq: int) -> list[tuple[str, bool]]:
        found = []
        for item_id, _ in _changed_since(box, "email", seq):
            item = box.emails.get(item_id)
            if item is not None and item.folder == name:
                found.append((item_id, False))
            elif _folder_at(history, item_id, seq) == name:
                found.append((item_id, True))
        return found

    return await _delta(request, box, "email", ("$select", "$expand"),
                        lambda options: [m.id for m in box.emails.values() if m.folder == name], changes,
                        lambda options, item_id: _message_json(state, box, item_id, options))


async def _messages_list(request: web.Request, box: Mailbox) -> web.Response:
    state, folder = _state(request), request.match_info.get("folder")
    name = _folder_name(box, folder) if folder else None
    if folder and name is None:
        return _graph_error(404, "ErrorItemNotFound", "The specified folder could not be found in the store.")
    ids = [m.id for m in sorted(box.emails.values(), key=lambda m: m.received_at, reverse=True) if name in (None, m.folder)]
    options = _delta_options(request, "$select", "$expand")
    return _list(request, box, ids, lambda item_id: _message_json(state, box, item_id, options))


async def _message_get(request: web.Request, box: Mailbox) -> web.Response:
    rendered = _message_json(_state(request), box, request.match_info["item"], _delta_options(request, "$select", "$expand"))
    if rendered is None:
        return _graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
    return web.json_response(rendered)


def _message_json(state: MicrosoftState, box: Mailbox, item_id: str, options: dict[str, str]) -> dict[str, Any] | None:
    item = box.emails.get(item_id)
    if item is None:
        return None
    key = (box.user, item.id, item.version)
    full = state.rendered.get(key)
    if full is None:
        full = state.rendered[key] = render_message(box.user, item)
    selected = _select(full, options, always=("attachments",) if "attachments" in options.get("$expand", "") else ())
    if "attachments" not in options.get("$expand", ""):
        selected.pop("attachments", None)
    return selected


_PARSER = BytesParser(policy=compat32)  # compat32: ~8x faster than policy.default on this corpus


def render_message(user: str, item: MailItem) -> dict[str, Any]:
    """Graph's message JSON for a world message, read from its RFC 5322 bytes."""
    message = _PARSER.parsebytes(item.mime)
    html, text, attachments = _parts(item, message)
    change_key = _b64(f"{item.id}:{item.version}")
    preview = " ".join((text or _strip_tags(html or "")).split())[:255]
    sent = parsedate_to_datetime(message["Date"]) if message["Date"] else item.received_at
    return {
        "@odata.type": "#microsoft.graph.message", "@odata.etag": f'W/"{change_key}"', "id": item.id,
        "createdDateTime": _z(item.received_at), "lastModifiedDateTime": _z(item.received_at), "changeKey": change_key,
        "categories": [], "receivedDateTime": _z(item.received_at), "sentDateTime": _z(sent),
        "hasAttachments": any(not a["isInline"] for a in attachments),
        "internetMessageId": message["Message-ID"], "subject": _decoded(message["Subject"]), "bodyPreview": preview,
        "importance": "normal", "parentFolderId": folder_id(user, item.folder),
        "conversationId": "AAQkAD" + _b64(item.thread_id), "isRead": item.is_read, "isDraft": False,
        "body": {"contentType": "html", "content": html} if html is not None else {"contentType": "text", "content": text or ""},
        "sender": _first_recipient(message["From"]), "from": _first_recipient(message["From"]),
        "toRecipients": _recipients(message["To"]), "ccRecipients": _recipients(message["Cc"]),
        "bccRecipients": _recipients(message["Bcc"]), "replyTo": _recipients(message["Reply-To"]),
        "internetMessageHeaders": [{"name": name, "value": _decoded(value)} for name, value in message.items()],
        "attachments": attachments,
    }


def _parts(item: MailItem, message: Message) -> tuple[str | None, str | None, list[dict[str, Any]]]:
    html = text = None
    attachments: list[dict[str, Any]] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        payload = payload if isinstance(payload, bytes) else b""
        is_attachment = part.get_filename() is not None or part["Content-ID"] is not None
        kind = part.get_content_type()
        if not is_attachment and kind == "text/html" and html is None:
            html = payload.decode(part.get_content_charset() or "utf-8", "replace")
        elif not is_attachment and kind == "text/plain" and text is None:
            text = payload.decode(part.get_content_charset() or "utf-8", "replace")
        else:
            attachments.append({
                "@odata.type": "#microsoft.graph.fileAttachment", "id": f"{item.id}-att{len(attachments)}",
                "name": part.get_filename() or kind.replace("/", "."), "contentType": kind, "size": len(payload),
                "isInline": part["Content-ID"] is not None, "contentId": (part["Content-ID"] or "").strip("<>") or None,
            })
    return html, text, attachments


def _strip_tags(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def _decoded(value: str | None) -> str | None:
    return str(make_header(decode_header(value))) if value is not None else None


def _recipients(value: str | None) -> list[dict[str, Any]]:
    if not value:
        return []
    return [{"emailAddress": {"name": _decoded(name) or address, "address": address}}
            for name, address in getaddresses([value]) if address]


def _first_recipient(value: str | None) -> dict[str, Any] | None:
    found = _recipients(value)
    return found[0] if found else None


def _precise(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _z(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- calendar -----------------------------------------------------------------------------

def _local(at: dt.datetime, zone: str | None) -> dict[str, str]:
    """A dateTimeTimeZone: wall-clock time in ``zone`` (Windows or IANA name; UTC by default)."""
    name = zone or "UTC"
    local = at.astimezone(ZoneInfo(iana_zone(name)))
    return {"dateTime": local.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": name}


def _all_day(day: dt.date, zone: str | None) -> dict[str, str]:
    return {"dateTime": f"{day.isoformat()}T00:00:00.0000000", "timeZone": zone or "UTC"}


def render_event(user: str, item: EventItem, *, zone: str | None = None, kind: str | None = None,
                 occurrence: tuple[str, dt.datetime] | None = None) -> dict[str, Any]:
    """Graph's event JSON; ``occurrence`` = (id, original start) renders one instance of a series."""
    start, end, item_id = item.start, item.end, item.id
    if occurrence is not None:
        item_id, start = occurrence
        end = start + (item.end - item.start)
    kind = kind or ("exception" if item.series_master_id else "seriesMaster" if item.recurrence else "singleInstance")
    change_key = _b64(f"{item.id}:{item.version}")
    windows = windows_zone(item.time_zone)
    rendered: dict[str, Any] = {
        "@odata.type": "#microsoft.graph.event", "@odata.etag": f'W/"{change_key}"', "id": item_id,
        "createdDateTime": _z(item.start - dt.timedelta(days=30)), "lastModifiedDateTime": _z(item.start - dt.timedelta(days=1)),
        "changeKey": change_key, "originalStartTimeZone": windows, "originalEndTimeZone": windows,
        "iCalUId": "040000008200E00074C5B7101A82E008" + hashlib.sha256(item.id.encode()).hexdigest()[:48].upper(),
        "subject": item.title, "bodyPreview": item.description[:255],
        "body": {"contentType": "html", "content": f"<html><body><p>{item.description}</p></body></html>"},
        "isAllDay": item.all_day, "isCancelled": item.cancelled, "isOrganizer": item.organizer.lower() == user.lower(),
        "type": kind, "seriesMasterId": item.id if occurrence else item.series_master_id,
        "originalStart": _z(original) if (original := occurrence[1] if occurrence else item.original_start) else None,
        "start": _all_day(start.date(), zone) if item.all_day else _local(start, zone),
        "end": _all_day(end.date(), zone) if item.all_day else _local(end, zone),
        "location": {"displayName": item.location or "", "locationType": "default"},
        "recurrence": rrule_to_pattern(item.recurrence[0], item.start, item.time_zone) if kind == "seriesMaster" and item.recurrence else None,
        "organizer": {"emailAddress": {"name": item.organizer.split("@")[0], "address": item.organizer}},
        "attendees": [{"type": "required", "status": {"response": RESPONSES.get(response, "none"), "time": "0001-01-01T00:00:00Z"},
                       "emailAddress": {"name": address.split("@")[0], "address": address}}
                      for address, response in item.attendees],
        "isOnlineMeeting": item.online_meeting_url is not None,
        "onlineMeeting": {"joinUrl": item.online_meeting_url} if item.online_meeting_url else None,
    }
    return rendered


def rrule_to_pattern(rule: str, start: dt.datetime, zone: str) -> dict[str, Any]:
    """An RFC 5545 RRULE as Graph's patternedRecurrence (the subset the world uses and more)."""
    parts = dict(part.split("=", 1) for part in rule.removeprefix("RRULE:").split(";"))
    local_start = start.astimezone(ZoneInfo(zone))
    days = [WEEKDAYS[day[-2:]] for day in parts.get("BYDAY", "").split(",") if day]
    setpos = int(parts["BYSETPOS"]) if "BYSETPOS" in parts else None
    freq, by_month_day = parts["FREQ"], parts.get("BYMONTHDAY")
    kind = {"DAILY": "daily", "WEEKLY": "weekly"}.get(freq) or (
        ("absolute" if by_month_day else "relative") + ("Monthly" if freq == "MONTHLY" else "Yearly"))
    pattern = {"type": kind, "interval": int(parts.get("INTERVAL", 1)), "month": int(parts.get("BYMONTH", 0)),
               "dayOfMonth": int(by_month_day or 0), "daysOfWeek": days or ([WEEKDAYS[list(WEEKDAYS)[local_start.weekday()]]]
                                                                            if kind == "weekly" else []),
               "firstDayOfWeek": WEEKDAYS.get(parts.get("WKST", "SU"), "sunday"), "index": INDEX.get(setpos or 1, "first")}
    window: dict[str, Any] = {"type": "noEnd", "startDate": local_start.date().isoformat(), "endDate": "0001-01-01",
                              "recurrenceTimeZone": windows_zone(zone), "numberOfOccurrences": 0}
    if "COUNT" in parts:
        window.update(type="numbered", numberOfOccurrences=int(parts["COUNT"]))
    elif "UNTIL" in parts:
        until = dt.datetime.strptime(parts["UNTIL"][:8], "%Y%m%d").date()
        window.update(type="endDate", endDate=until.isoformat())
    return {"pattern": pattern, "range": window}


def _instances(box: Mailbox, start: dt.datetime, end: dt.datetime) -> dict[str, tuple[EventItem, tuple[str, dt.datetime] | None]]:
    """What a calendarView shows in [start, end): single events, exceptions, and the occurrences
    of each series (expanded in the series' own time zone, minus those an exception replaced)."""
    shown: dict[str, tuple[EventItem, tuple[str, dt.datetime] | None]] = {}
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


async def _calendar_delta(request: web.Request, box: Mailbox) -> web.Response:
    if "$skiptoken" not in request.query and "$deltatoken" not in request.query and _window(dict(request.query)) is None:
        return _graph_error(400, "ErrorInvalidParameter", "startDateTime and endDateTime are required (ISO 8601).")
    zone = _prefer_zone(request)

    def shown(options: dict[str, str]) -> dict[str, tuple[EventItem, tuple[str, dt.datetime] | None]]:
        window = _window(options)
        return _instances(box, *window) if window else {}

    def changes(options: dict[str, str], seq: int) -> list[tuple[str, bool]]:
        now_shown, found = shown(options), []
        for item_id, change in _changed_since(box, "event", seq):
            ids = [key for key, (item, _) in now_shown.items() if item.id == item_id]
            found += [(key, False) for key in ids] or [(item_id, True)]
        return found

    def render(options: dict[str, str], instance_id: str) -> dict[str, Any] | None:
        entry = shown(options).get(instance_id)
        if entry is None:
            return None
        item, occurrence = entry
        return render_event(box.user, item, zone=zone, kind="occurrence" if occurrence else None, occurrence=occurrence)

    return await _delta(request, box, "event", ("startDateTime", "endDateTime"), lambda options: list(shown(options)),
                        changes, render)


async def _events_list(request: web.Request, box: Mailbox) -> web.Response:
    zone = _prefer_zone(request)
    ids = [e.id for e in box.events.values() if not e.series_master_id]  # /events: singles and series masters
    return _list(request, box, ids, lambda item_id: render_event(box.user, box.events[item_id], zone=zone))


async def _event_get(request: web.Request, box: Mailbox) -> web.Response:
    item = box.events.get(request.match_info["item"])
    if item is None:
        return _graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
    return web.json_response(render_event(box.user, item, zone=_prefer_zone(request)))


# -- contacts -----------------------------------------------------------------------------

def render_contact(item: ContactItem) -> dict[str, Any]:
    change_key = _b64(f"{item.id}:{item.version}")
    phones = {label: [number for number, kind in item.phones if kind == label] for label in ("mobile", "work", "home")}
    return {
        "@odata.type": "#microsoft.graph.contact", "@odata.etag": f'W/"{change_key}"', "id": item.id, "changeKey": change_key,
        "displayName": f"{item.given_name} {item.family_name}", "givenName": item.given_name, "surname": item.family_name,
        "emailAddresses": [{"name": f"{item.given_name} {item.family_name}", "address": address} for address, _ in item.emails],
        "businessPhones": phones["work"], "homePhones": phones["home"],
        "mobilePhone": phones["mobile"][0] if phones["mobile"] else None,
        "companyName": item.organization, "jobTitle": None,
    }


async def _contacts_delta(request: web.Request, box: Mailbox) -> web.Response:
    def render(options: dict[str, str], item_id: str) -> dict[str, Any] | None:
        item = box.contacts.get(item_id)
        return _select(render_contact(item), options) if item else None

    return await _delta(request, box, "contact", ("$select",), lambda options: list(box.contacts),
                        lambda options, seq: [(i, c == "deleted") for i, c in _changed_since(box, "contact", seq)], render)


async def _contact_get(request: web.Request, box: Mailbox) -> web.Response:
    item = box.contacts.get(request.match_info["item"])
    if item is None:
        return _graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
    return web.json_response(render_contact(item))


# -- subscriptions and notifications --------------------------------------------------------

_RESOURCE = re.compile(r"^/?(?:users/(?P<user>[^/]+)|me)/(?:mailFolders\('?[^/)']+'?\)/)?(?P<kind>messages|events|contacts)$",
                       re.IGNORECASE)


async def _session(state: MicrosoftState) -> aiohttp.ClientSession:
    if state.session is None:
        state.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
    return state.session


async def _close_session(app: web.Application) -> None:
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
        return _graph_error(400, "ExtensionError", "expirationDateTime is required (ISO 8601).")
    now = dt.datetime.now(dt.UTC)
    if expires <= now or expires > now + dt.timedelta(minutes=MAX_SUBSCRIPTION_MINUTES):
        return _graph_error(400, "ExtensionError", "Subscription expiration can only be 10080 minutes in the future.")
    return expires


async def _subscription_create(request: web.Request) -> web.Response:
    state = _state(request)
    caller = _caller(request)
    if isinstance(caller, web.Response):
        return caller
    body = await request.json()
    match = _RESOURCE.match(str(body.get("resource", "")))
    if match is None or not body.get("notificationUrl") or not body.get("changeType"):
        return _graph_error(400, "InvalidRequest", "resource, notificationUrl and changeType are required.")
    user = match.group("user") or caller.user
    world: World = request.app[WORLD]
    box = next((b for a, b in world.mailboxes.items() if user and user.lower() in (a.lower(), user_object_id(a))), None)
    if box is None or (caller.user is not None and caller.user.lower() != box.user.lower()):
        return _graph_error(403, "ExtensionError", "Operation: Create; Exception: [Status Code: Forbidden; Reason: Access denied]")
    expires = _expiry(body)
    if isinstance(expires, web.Response):
        return expires
    for url in filter(None, (body["notificationUrl"], body.get("lifecycleNotificationUrl"))):
        if not await _validate_url(state, url):
            return _graph_error(400, "ValidationError", "Subscription validation request failed. "
                                "Notification endpoint must respond with 200 OK to validation request.")
    subscription = {
        "id": str(uuid.uuid4()), "resource": body["resource"], "applicationId": DEMO_CLIENT_ID,
        "changeType": body["changeType"], "clientState": body.get("clientState"),
        "notificationUrl": body["notificationUrl"], "lifecycleNotificationUrl": body.get("lifecycleNotificationUrl"),
        "expirationDateTime": _precise(expires), "creatorId": user_object_id(box.user), "includeResourceData": False,
        "latestSupportedTlsVersion": body.get("latestSupportedTlsVersion", "v1_2"), "notificationUrlAppId": None,
    }
    state.subscriptions[subscription["id"]] = {**subscription, "_user": box.user, "_kind": match.group("kind").lower()}
    return web.json_response({"@odata.context": f"{_base(request)}/v1.0/$metadata#subscriptions/$entity", **subscription},
                             status=201)


def _public(subscription: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in subscription.items() if not key.startswith("_")}


async def _subscription_renew(request: web.Request) -> web.Response:
    caller = _caller(request)
    if isinstance(caller, web.Response):
        return caller
    subscription = _state(request).subscriptions.get(request.match_info["id"])
    if subscription is None:
        return _graph_error(404, "ResourceNotFound", "The object was not found.")
    expires = _expiry(await request.json())
    if isinstance(expires, web.Response):
        return expires
    subscription["expirationDateTime"] = _precise(expires)
    return web.json_response(_public(subscription))


async def _subscription_delete(request: web.Request) -> web.Response:
    caller = _caller(request)
    if isinstance(caller, web.Response):
        return caller
    if _state(request).subscriptions.pop(request.match_info["id"], None) is None:
        return _graph_error(404, "ResourceNotFound", "The object was not found.")
    return web.Response(status=204)


_KINDS = {"email": ("messages", "Message"), "event": ("events", "Event"), "contact": ("contacts", "Contact")}


async def _notify_subscribers(app: web.Application, user: str, changes: list[Any]) -> None:
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


async def _deliver(state: MicrosoftState, url: str, body: dict[str, Any]) -> int | None:
    session = await _session(state)
    try:
        async with session.post(url, json=body) as response:
            state.deliveries[str(response.status)] += 1
            return response.status
    except (TimeoutError, aiohttp.ClientError):
        state.deliveries["failed"] += 1
        return None


# -- control API --------------------------------------------------------------------------

async def _control_grant(request: web.Request) -> web.Response:
    """What the authorization-code flow would leave behind: a consented user's refresh token."""
    user = str((await request.json())["user"])
    if user not in request.app[WORLD].mailboxes:
        return web.json_response({"error": f"no mailbox {user}"}, status=404)
    return web.json_response({"refresh_token": _issue_refresh(_state(request), user)})


async def _control_revoke(request: web.Request) -> web.Response:
    """The user revoked consent (or an admin revoked sessions): every token they hold dies."""
    state, user = _state(request), str((await request.json())["user"]).lower()
    state.revoked |= {t for t, owner in state.refresh_tokens.items() if owner.lower() == user}
    state.revoked |= {t for t, issued in state.access_tokens.items() if (issued.user or "").lower() == user}
    return web.json_response({"ok": True})


async def _control_lifecycle(request: web.Request) -> web.Response:
    state, body = _state(request), await request.json()
    subscription = state.subscriptions.get(str(body["subscription_id"]))
    event = str(body["event"])
    if subscription is None or event not in ("reauthorizationRequired", "subscriptionRemoved", "missed"):
        return web.json_response({"error": "unknown subscription or lifecycle event"}, status=400)
    url = subscription["lifecycleNotificationUrl"] or subscription["notificationUrl"]
    if event == "subscriptionRemoved":
        del state.subscriptions[subscription["id"]]
    status = await _deliver(state, url, {"value": [{
        "subscriptionId": subscription["id"], "subscriptionExpirationDateTime": subscription["expirationDateTime"],
        "tenantId": DEMO_TENANT, "clientState": subscription["clientState"], "lifecycleEvent": event}]})
    return web.json_response({"delivered": status})


async def _control_latency(request: web.Request) -> web.Response:
    _state(request).latency_s = float((await request.json())["seconds"])
    return web.json_response({"ok": True})


async def _control_stats(request: web.Request) -> web.Response:
    state = _state(request)
    return web.json_response({
        "graph_requests": state.graph_requests, "throttled": state.throttled, "grants": dict(state.grants),
        "max_in_flight": dict(state.max_in_flight), "subscriptions": len(state.subscriptions),
        "deliveries": dict(state.deliveries),
    })


# -- serving over TLS (msal insists on an https authority) ----------------------------------

def self_signed_tls(directory: Path, host: str = "127.0.0.1") -> tuple[ssl.SSLContext, Path]:
    """A throwaway certificate for ``host`` (and localhost): the server's SSL context and the
    PEM file a client trusts (``OFFICESTREAM_MICROSOFT_CA_BUNDLE``)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "officestream emulator")])
    now = dt.datetime.now(dt.UTC)
    public = key.public_key()
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(public)
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host)), x509.DNSName("localhost")]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), False)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_file, key_file = directory / "emulator-cert.pem", directory / "emulator-key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context, cert_file


async def start_https(app: web.Application, context: ssl.SSLContext, host: str = "127.0.0.1",
                      port: int = 0) -> tuple[web.AppRunner, str]:
    """Like ``server.start`` but over TLS; returns the runner and the https base URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, host, port, ssl_context=context)
    await site.start()
    return runner, f"https://{host}:{runner.addresses[0][1]}"
