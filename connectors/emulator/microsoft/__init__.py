"""The Microsoft face of the emulator: Azure AD (v2.0 token endpoint and the OpenID discovery
document msal reads) and the Microsoft Graph subset the connector uses, over the world's mailboxes.

Azure AD (``oauth``)
- ``GET /{tenant}/v2.0/.well-known/openid-configuration``: what msal fetches for an authority
  it does not validate (``validate_authority=False, instance_discovery=False``).
- ``POST /{tenant}/oauth2/v2.0/token``: ``client_credentials`` (app-only) and ``refresh_token``
  (delegated; rotates the refresh token, returns an id_token and client_info so msal's cache
  holds an account); a revoked grant answers 400 ``invalid_grant`` (AADSTS50173).
- The device-code flow (``device``): ``POST /{tenant}/oauth2/v2.0/devicecode`` and the
  device-code grant, signed in through ``POST /_emulator/microsoft/device {"user_code", "user"}``.
msal only accepts an https authority: serve this face with ``start_https`` (a self-signed
certificate from ``self_signed_tls``, both in ``connectors.emulator.tls``) and trust the
certificate in the client.

Graph (``/v1.0/users/{id or UPN}/...`` and ``/v1.0/me/...``, bearer token required; ``graph``)
- ``mailFolders``, ``mailFolders/delta``, ``mailFolders/{id}/messages``, ``mailFolders/{id}/messages/delta``,
  ``messages``, ``messages/{id}`` (``mail``), ``events``, ``events/{id}``, ``calendarView/delta``
  (``calendar``), ``contacts/delta``, ``contacts/{id}`` (``contacts``); ``POST/PATCH/DELETE
  /v1.0/subscriptions`` (``subscriptions``). Items render as Graph JSON in ``render``.
- Pages honour ``Prefer: odata.maxpagesize`` (default 10) with ``@odata.nextLink``; delta rounds
  end with ``@odata.deltaLink``, whose token is the mailbox change-log sequence (410
  ``syncStateNotFound`` once ``/_emulator/expire`` ran; ``delta``). ``$select`` and
  ``$expand=attachments`` are honoured; events render in UTC unless ``Prefer: outlook.timezone``.
- More than 4 concurrent requests for one mailbox answer 429 (Outlook's MailboxConcurrency).
- Subscriptions: creation validates each URL (``?validationToken=``, echo required within
  10 s); mailbox changes made through ``/_emulator/advance`` are POSTed to subscribers.

Control API (not Graph; ``control``): ``POST /_emulator/microsoft/grant {"user"}`` (a consented
user's refresh token), ``/revoke {"user"}``, ``/lifecycle {"subscription_id", "event"}``,
``/latency {"seconds"}``; ``GET /_emulator/microsoft/stats``.
"""

from __future__ import annotations

from aiohttp import web

from connectors.emulator.microsoft.calendar import (
    calendar_delta,
    event_get,
    events_list,
)
from connectors.emulator.microsoft.contacts import contact_get, contacts_delta
from connectors.emulator.microsoft.control import add_control_routes
from connectors.emulator.microsoft.delta import DeltaQuery
from connectors.emulator.microsoft.device import add_device_routes
from connectors.emulator.microsoft.graph import Handler, graph
from connectors.emulator.microsoft.mail import (
    FOLDERS,
    folders_delta,
    folders_list,
    message_get,
    messages_delta,
    messages_list,
)
from connectors.emulator.microsoft.oauth import add_oauth_routes
from connectors.emulator.microsoft.render import (
    INDEX,
    RESPONSES,
    WEEKDAYS,
    render_contact,
    render_event,
    render_message,
    rrule_to_pattern,
)
from connectors.emulator.microsoft.state import (
    ACCESS_TOKEN_LIFETIME_S,
    DEFAULT_PAGE_SIZE,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_TENANT,
    MAILBOX_CONCURRENCY,
    MAX_SUBSCRIPTION_MINUTES,
    MS_STATE,
    Cursor,
    IssuedToken,
    MicrosoftState,
)
from connectors.emulator.microsoft.subscriptions import (
    add_subscription_routes,
    close_session,
    notify_subscribers,
)
from connectors.emulator.microsoft.wire import folder_id, user_object_id
from connectors.emulator.server import ON_ADVANCE
from connectors.emulator.tls import self_signed_tls, start_https

__all__ = [
    "ACCESS_TOKEN_LIFETIME_S", "DEFAULT_PAGE_SIZE", "DEMO_CLIENT_ID", "DEMO_CLIENT_SECRET", "DEMO_TENANT", "FOLDERS",
    "INDEX", "MAILBOX_CONCURRENCY", "MAX_SUBSCRIPTION_MINUTES", "MS_STATE", "RESPONSES", "WEEKDAYS", "Cursor",
    "DeltaQuery", "Handler", "IssuedToken", "MicrosoftState", "folder_id", "microsoft_face", "render_contact",
    "render_event", "render_message", "rrule_to_pattern", "self_signed_tls", "start_https", "user_object_id",
]


def microsoft_face(app: web.Application, *, clients: dict[str, str] | None = None) -> None:
    """Register the Azure AD and Graph routes (``clients``: client id -> secret)."""
    app[MS_STATE] = MicrosoftState(clients=dict(clients or {DEMO_CLIENT_ID: DEMO_CLIENT_SECRET}))
    app[ON_ADVANCE].append(notify_subscribers)
    app.on_cleanup.append(close_session)
    add_oauth_routes(app)
    add_device_routes(app)
    _add_graph_routes(app)
    add_subscription_routes(app)
    add_control_routes(app)


def _add_graph_routes(app: web.Application) -> None:
    # Order matters where a literal segment and a variable one compete: ``contacts/delta`` is
    # registered before ``contacts/{item}``.
    router = app.router
    for owner in ("/v1.0/users/{user}", "/v1.0/me"):
        router.add_get(f"{owner}/mailFolders/delta", graph(folders_delta))
        router.add_get(f"{owner}/mailFolders", graph(folders_list))
        router.add_get(f"{owner}/mailFolders/{{folder}}/messages/delta", graph(messages_delta))
        router.add_get(f"{owner}/mailFolders/{{folder}}/messages", graph(messages_list))
        router.add_get(f"{owner}/messages", graph(messages_list))
        router.add_get(f"{owner}/messages/{{item}}", graph(message_get))
        router.add_get(f"{owner}/events", graph(events_list))
        router.add_get(f"{owner}/events/{{item}}", graph(event_get))
        router.add_get(f"{owner}/calendarView/delta", graph(calendar_delta))
        router.add_get(f"{owner}/contacts/delta", graph(contacts_delta))
        router.add_get(f"{owner}/contacts/{{item}}", graph(contact_get))
