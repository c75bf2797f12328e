"""Graph change-notification subscriptions: create (each with its own secret ``clientState``
and a lifecycle notification URL), renew before expiry, delete.

Outlook resources (messages, events, contacts) live at most 10,080 minutes; we ask for the
configured maximum and renew once ``subscription_renew_fraction`` of the lifetime has passed,
so a failed renewal leaves time for another before the subscription lapses.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from connectors.microsoft.exceptions import (
    GraphNotFound,
    GraphRequestError,
    SubscriptionValidationFailed,
    mailbox_ref,
)
from connectors.microsoft.graph_client import GraphClient
from connectors.microsoft.payload import parse_iso
from connectors.microsoft.settings import MicrosoftSettings, ResourceKind

log = logging.getLogger("officestream.microsoft.subscriptions")

Clock = Callable[[], dt.datetime]
ALL_CHANGES = ("created", "updated", "deleted")


class Subscription(BaseModel):
    """A subscription as we keep it: Graph's id plus the secret we must see in notifications."""

    model_config = ConfigDict(frozen=True)

    id: str
    mailbox: str
    kind: ResourceKind
    resource: str
    change_types: tuple[str, ...]
    notification_url: str
    lifecycle_notification_url: str | None = None
    client_state: str = Field(repr=False)
    renewed_at: dt.datetime
    expires_at: dt.datetime

    def renew_at(self, fraction: float) -> dt.datetime:
        return self.renewed_at + (self.expires_at - self.renewed_at) * fraction

    def needs_renewal(self, now: dt.datetime, fraction: float) -> bool:
        return now >= self.renew_at(fraction)


def new_client_state() -> str:
    """A fresh secret per subscription (Graph allows up to 128 characters)."""
    return secrets.token_urlsafe(48)


def resource_for(kind: ResourceKind, mailbox: str) -> str:
    return f"users/{quote(mailbox, safe='@')}/{kind}"


def _graph_time(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class SubscriptionManager:
    """Create, renew and delete subscriptions through the Graph client."""

    def __init__(self, client: GraphClient, settings: MicrosoftSettings, *, clock: Clock | None = None) -> None:
        if not settings.notification_url:
            raise ValueError("OFFICESTREAM_MICROSOFT_NOTIFICATION_URL is required for subscriptions")
        self._client = client
        self._settings = settings
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))

    def _expiry(self, kind: ResourceKind, now: dt.datetime) -> dt.datetime:
        return now + dt.timedelta(minutes=self._settings.subscription_max_minutes(kind))

    async def create(self, mailbox: str, kind: ResourceKind, *, change_types: Sequence[str] = ALL_CHANGES) -> Subscription:
        """Graph validates the notification URLs (the handshake) before it answers 201."""
        now, client_state = self._clock(), new_client_state()
        body: dict[str, Any] = {
            "changeType": ",".join(change_types),
            "notificationUrl": self._settings.notification_url,
            "resource": resource_for(kind, mailbox),
            "expirationDateTime": _graph_time(self._expiry(kind, now)),
            "clientState": client_state,
            "latestSupportedTlsVersion": "v1_2",
        }
        if self._settings.lifecycle_notification_url:
            body["lifecycleNotificationUrl"] = self._settings.lifecycle_notification_url
        try:
            response = await self._client.request("POST", mailbox, "subscriptions", json=body)
        except GraphRequestError as exc:
            if exc.http_status == 400 and exc.code == "ValidationError":
                raise SubscriptionValidationFailed("Graph could not validate the notification URL", mailbox=mailbox,
                                                   http_status=400, code=exc.code) from exc
            raise
        created = response.json()
        log.info("subscription created id=%s kind=%s mailbox=%s", created["id"], kind, mailbox_ref(mailbox))
        return Subscription(
            id=created["id"], mailbox=mailbox, kind=kind, resource=body["resource"], change_types=tuple(change_types),
            notification_url=body["notificationUrl"], lifecycle_notification_url=body.get("lifecycleNotificationUrl"),
            client_state=client_state, renewed_at=now, expires_at=_parse_time(created["expirationDateTime"]),
        )

    async def renew(self, subscription: Subscription) -> Subscription:
        now = self._clock()
        body = {"expirationDateTime": _graph_time(self._expiry(subscription.kind, now))}
        response = await self._client.request("PATCH", subscription.mailbox, f"subscriptions/{subscription.id}", json=body)
        expires = _parse_time(response.json()["expirationDateTime"])
        log.info("subscription renewed id=%s mailbox=%s", subscription.id, mailbox_ref(subscription.mailbox))
        return subscription.model_copy(update={"renewed_at": now, "expires_at": expires})

    async def renew_due(self, subscriptions: Sequence[Subscription]) -> list[Subscription]:
        """Renew those past their renewal point; returns every subscription, updated."""
        now, fraction = self._clock(), self._settings.subscription_renew_fraction
        return [await self.renew(s) if s.needs_renewal(now, fraction) else s for s in subscriptions]

    async def delete(self, subscription: Subscription) -> None:
        """Delete; one that is already gone (expired, removed) counts as deleted."""
        try:
            await self._client.request("DELETE", subscription.mailbox, f"subscriptions/{subscription.id}")
        except GraphNotFound:
            pass


def _parse_time(raw: str) -> dt.datetime:
    parsed = parse_iso(raw, "subscription.expirationDateTime")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
