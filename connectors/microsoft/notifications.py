"""Graph change notifications and lifecycle notifications: the validation handshake, parsing
into typed objects, and the ``clientState`` check.

A webhook handler stays thin: ``validation_reply(query)`` first (Graph's handshake: echo the
``validationToken`` as text/plain within 10 seconds), else ``parse_notifications(body)`` and
``verify_client_state`` per notification against the secret stored with its subscription.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from connectors.microsoft.exceptions import ClientStateMismatch, MicrosoftError

ChangeType = Literal["created", "updated", "deleted"]
LifecycleEvent = Literal["reauthorizationRequired", "subscriptionRemoved", "missed"]


class InvalidNotification(MicrosoftError):
    """The body is not a Graph notification collection (answer 400; Graph never sends that)."""


class _GraphModel(BaseModel):
    model_config = ConfigDict(populate_by_name=True, frozen=True, extra="ignore")


class ResourceData(_GraphModel):
    odata_type: str | None = Field(default=None, alias="@odata.type")
    odata_id: str | None = Field(default=None, alias="@odata.id")
    odata_etag: str | None = Field(default=None, alias="@odata.etag")
    id: str


class ChangeNotification(_GraphModel):
    """One item changed under a subscription's resource. Basic notifications carry the item's
    id only: the bridge runs a delta query (or a GET) to learn what changed."""

    id: str | None = None
    subscription_id: str = Field(alias="subscriptionId")
    subscription_expiration: dt.datetime | None = Field(default=None, alias="subscriptionExpirationDateTime")
    client_state: str | None = Field(default=None, alias="clientState", repr=False)
    change_type: ChangeType = Field(alias="changeType")
    resource: str
    tenant_id: str | None = Field(default=None, alias="tenantId")
    resource_data: ResourceData | None = Field(default=None, alias="resourceData")

    @property
    def item_id(self) -> str:
        """The changed item's id (from resourceData, else the resource path's last segment)."""
        if self.resource_data is not None:
            return self.resource_data.id
        return self.resource.rstrip("/").rsplit("/", 1)[-1]


class LifecycleNotification(_GraphModel):
    """Graph telling us about the subscription itself:
    ``reauthorizationRequired`` (renew it, or reauthorize, before it lapses),
    ``subscriptionRemoved`` (gone: create a new one and run a delta to catch up),
    ``missed`` (notifications were dropped: run a delta to catch up)."""

    lifecycle_event: LifecycleEvent = Field(alias="lifecycleEvent")
    subscription_id: str = Field(alias="subscriptionId")
    subscription_expiration: dt.datetime | None = Field(default=None, alias="subscriptionExpirationDateTime")
    client_state: str | None = Field(default=None, alias="clientState", repr=False)
    tenant_id: str | None = Field(default=None, alias="tenantId")
    resource: str | None = None


Notification = ChangeNotification | LifecycleNotification


@dataclass(frozen=True)
class PlainTextReply:
    status: int
    body: str
    content_type: str = "text/plain"


def validation_reply(query: Mapping[str, str]) -> PlainTextReply | None:
    """Graph's validation handshake: a request with ``?validationToken=...`` must be answered
    200 with the (URL-decoded) token as text/plain within 10 s. None for any other request."""
    token = query.get("validationToken")
    if token is None:
        return None
    return PlainTextReply(200, token)


def parse_notifications(body: bytes | str | Mapping[str, Any]) -> list[Notification]:
    """A POSTed ``{"value": [...]}`` collection as typed notifications (change or lifecycle)."""
    try:
        document = json.loads(body) if isinstance(body, (bytes, str)) else body
    except ValueError as exc:
        raise InvalidNotification("notification body is not JSON") from exc
    if not isinstance(document, Mapping) or not isinstance(document.get("value"), list):
        raise InvalidNotification("notification body must be an object with a 'value' list")
    parsed: list[Notification] = []
    for index, entry in enumerate(document["value"]):
        try:
            model = LifecycleNotification if isinstance(entry, Mapping) and "lifecycleEvent" in entry else ChangeNotification
            parsed.append(model.model_validate(entry))
        except ValidationError as exc:
            fields = ", ".join(".".join(str(p) for p in error["loc"]) for error in exc.errors())
            raise InvalidNotification(f"notification value[{index}] is malformed: {fields}") from exc
    return parsed


def verify_client_state(notification: Notification, expected: str | None) -> None:
    """Raise ``ClientStateMismatch`` unless the notification carries the subscription's secret.
    Constant-time compare: the secret is the only proof the POST came from Graph."""
    presented = notification.client_state or ""
    if not expected or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise ClientStateMismatch(f"clientState does not match subscription {notification.subscription_id}")


def accept_verified(notifications: list[Notification], secret_for: Callable[[str], str | None]
                    ) -> tuple[list[Notification], list[Notification]]:
    """(verified, refused): ``secret_for(subscription_id)`` is the stored clientState or None
    for a subscription we do not know (refused as well)."""
    verified, refused = [], []
    for notification in notifications:
        try:
            verify_client_state(notification, secret_for(notification.subscription_id))
        except ClientStateMismatch:
            refused.append(notification)
        else:
            verified.append(notification)
    return verified, refused
