"""What a webhook asks of the bridge, decided without HTTP: ``WebhookIntake`` turns a request's
body or headers into an ``Intake`` (the status to answer, one outcome per notification, the
syncs to request and the lifecycle work to start). The handlers (``webhooks.py``) only read the
request, call it, act on the answer and count it.

Verification, each secret compared in constant time with ``hmac.compare_digest``:

- Microsoft: each notification's ``clientState`` against the one sealed with its subscription
  (``Watch.client_state``); one wrong ``clientState`` refuses the whole POST (403) and nothing
  of it is acted on: Graph never mixes subscriptions it does not hold in one POST.
- Gmail: the push URL's ``?token=`` (``pubsub_push_token``), then the envelope
  (``decode_gmail_push``); the optional OIDC bearer is checked before (``push_oidc.py``).
- Calendar: ``X-Goog-Channel-Token`` against the channel's derived token (``channel_token``),
  and the channel must be one of ours with the same ``X-Goog-Resource-ID``.

A notification naming no registration of ours (a subscription left at the provider by a connect
cut short, a channel already replaced by its renewal) is acknowledged (202) and ignored: the
providers retry any other answer for hours (Graph) or days (Pub/Sub), and an error would not
make them stop. Duplicates cost nothing: a sync request is coalesced with the one already
queued and runs from the stored cursor, so a second delivery finds nothing new; Gmail pushes at
or below the stored history id and Calendar message numbers already seen are not even requested.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import SecretStr

from connectors.google.exceptions import PushRejected
from connectors.google.push import channel_token, decode_gmail_push, parse_channel_headers, pubsub_push_token
from connectors.microsoft.notifications import (
    ChangeNotification,
    InvalidNotification,
    LifecycleNotification,
    parse_notifications,
)
from producers.integrations.state import CALENDAR_CHANNEL, GMAIL_WATCH, GRAPH_SUBSCRIPTION, Integration, Watch
from schemas.models import Provider

#: What a Graph lifecycle event asks for: the renewal, the re-creation (then a sync), a sync.
LIFECYCLE_ACTIONS = {"reauthorizationRequired": "renew", "subscriptionRemoved": "recreate", "missed": "sync"}


class IntegrationReader(Protocol):
    def get(self, key: str) -> Integration | None: ...

    def all(self) -> list[Integration]: ...


@dataclass
class Intake:
    status: int
    #: One per notification (a refused request: one for the request).
    outcomes: list[str] = field(default_factory=list)
    #: (integration key, resource, reason) for ``LiveSync.request``.
    syncs: list[tuple[str, str, str]] = field(default_factory=list)
    #: (integration key, watch, action: renew or recreate).
    lifecycle: list[tuple[str, Watch, str]] = field(default_factory=list)
    #: Why it was refused or ignored, for the log line (ids and reasons only, never a secret).
    detail: str = ""


def _same(presented: str | None, expected: str) -> bool:
    return presented is not None and hmac.compare_digest(presented.encode(), expected.encode())


def _ref(value: str) -> str:
    """An id the sender chose, fit for a log line: escaped (no forged lines) and cut short."""
    return value.encode("unicode_escape").decode("ascii")[:64]


class WatchIndex:
    """Registrations by id, from the store's integrations (a cache of ids checked on every hit)."""

    def __init__(self, integrations: IntegrationReader) -> None:
        self._integrations = integrations
        self._keys: dict[tuple[str, str], str] = {}

    def find(self, kind: str, watch_id: str) -> tuple[Integration, Watch] | None:
        key = self._keys.get((kind, watch_id))
        found = self._holding(self._integrations.get(key), kind, watch_id) if key else None
        if found is None:
            found = next((f for i in self._integrations.all() if (f := self._holding(i, kind, watch_id))), None)
            if found is not None:
                self._keys[(kind, watch_id)] = found[0].key
        return found

    @staticmethod
    def _holding(integration: Integration | None, kind: str, watch_id: str) -> tuple[Integration, Watch] | None:
        if integration is None:
            return None
        watch = next((w for w in integration.watches if w.kind == kind and w.id == watch_id), None)
        return (integration, watch) if watch is not None else None

    def gmail(self, address: str) -> tuple[Integration, Watch] | None:
        integration = self._integrations.get(f"{Provider.google.value}:{address}")
        if integration is None:  # addresses are case-insensitive; keys keep the case connected with
            integration = next((i for i in self._integrations.all() if i.provider is Provider.google
                                and i.user_id.lower() == address.lower()), None)
        return self._holding(integration, GMAIL_WATCH, "")


class WebhookIntake:
    def __init__(self, integrations: IntegrationReader, *, push_secret: SecretStr | None, push_max_bytes: int) -> None:
        self._index = WatchIndex(integrations)
        self._push_secret = push_secret
        self._push_max_bytes = push_max_bytes
        #: The highest X-Goog-Message-Number seen per channel.
        self._channel_numbers: dict[str, int] = {}

    # -- Microsoft Graph -------------------------------------------------------------------

    def graph(self, body: bytes) -> Intake:
        try:
            notifications = parse_notifications(body)
        except InvalidNotification as exc:
            return Intake(400, ["malformed"], detail=str(exc))
        intake = Intake(202)
        known = []
        for notification in notifications:
            found = self._index.find(GRAPH_SUBSCRIPTION, notification.subscription_id)
            if found is None:
                intake.outcomes.append("unknown")
                intake.detail += f" unknown subscription={_ref(notification.subscription_id)}"
                continue
            secret = found[1].client_state
            if secret is None or not _same(notification.client_state, secret.get_secret_value()):
                return Intake(403, ["forged"], detail=f"clientState mismatch subscription={_ref(notification.subscription_id)}")
            known.append((notification, *found))
        for notification, integration, watch in known:
            intake.outcomes.append(self._graph_one(intake, notification, integration, watch))
        return intake

    @staticmethod
    def _graph_one(intake: Intake, notification: ChangeNotification | LifecycleNotification, integration: Integration,
                   watch: Watch) -> str:
        if not integration.active:
            return "inactive"
        if isinstance(notification, ChangeNotification):
            intake.syncs.append((integration.key, watch.resource, "graph-notification"))
            return "accepted"
        action = LIFECYCLE_ACTIONS[notification.lifecycle_event]
        if action == "sync":
            intake.syncs.append((integration.key, watch.resource, "graph-missed"))
        else:
            intake.lifecycle.append((integration.key, watch, action))
        return "lifecycle"

    # -- Gmail through Pub/Sub push --------------------------------------------------------

    def gmail(self, body: bytes, *, url_token: str | None) -> Intake:
        secret = self._push_secret
        if secret is None or not _same(url_token, pubsub_push_token(secret)):
            return Intake(403, ["forged"], detail="push URL token missing or wrong")
        if len(body) > self._push_max_bytes:
            return Intake(413, ["oversized"], detail=f"push body of {len(body)} bytes")
        try:
            push = decode_gmail_push(body, url_token=url_token, secret=secret, max_bytes=self._push_max_bytes)
        except PushRejected as exc:
            return Intake(400, ["malformed"], detail=str(exc))
        found = self._index.gmail(push.email_address)
        if found is None:
            return Intake(202, ["unknown"], detail=f"no Gmail watch for the pushed mailbox message={_ref(push.message_id)}")
        integration = found[0]
        if not integration.active:
            return Intake(202, ["inactive"])
        cursor = integration.cursors.get("gmail", "")
        if cursor.isdigit() and push.history_id <= int(cursor):
            return Intake(202, ["duplicate"], detail=f"history already synced message={_ref(push.message_id)}")
        return Intake(202, ["accepted"], syncs=[(integration.key, "mail", "gmail-push")])

    # -- Calendar channels -----------------------------------------------------------------

    def calendar(self, headers: Mapping[str, str]) -> Intake:
        secret = self._push_secret
        headers = {name.lower(): value for name, value in headers.items()}
        channel_id = headers.get("x-goog-channel-id", "")
        if not channel_id:
            return Intake(400, ["malformed"], detail="missing X-Goog-Channel-ID")
        if secret is None or not _same(headers.get("x-goog-channel-token"), channel_token(secret, channel_id)):
            return Intake(403, ["forged"], detail=f"channel token missing or wrong channel={_ref(channel_id)}")
        try:
            notification = parse_channel_headers(headers, secret=secret)
        except PushRejected as exc:
            return Intake(400, ["malformed"], detail=str(exc))
        found = self._index.find(CALENDAR_CHANNEL, channel_id)
        if found is None or found[1].resource_id not in (None, notification.resource_id):
            return Intake(202, ["unknown"], detail=f"unknown channel={_ref(channel_id)}")
        integration = found[0]
        if notification.resource_state == "sync":
            return Intake(200, ["sync"])
        if notification.message_number <= self._channel_numbers.get(channel_id, 0):
            return Intake(202, ["duplicate"], detail=f"message number already seen channel={_ref(channel_id)}")
        self._channel_numbers[channel_id] = notification.message_number
        if not integration.active:
            return Intake(202, ["inactive"])
        return Intake(202, ["accepted"], syncs=[(integration.key, "calendar", "calendar-push")])
