"""Microsoft 365 settings (``OFFICESTREAM_MICROSOFT_*``): Azure AD app, Graph endpoint, limits.

The authority and the Graph base URL are settings so the provider emulator can stand in for
login.microsoftonline.com and graph.microsoft.com. msal only talks to an https authority and
validates it against Microsoft's instance discovery; for an authority it does not know (the
emulator), set ``OFFICESTREAM_MICROSOFT_VALIDATE_AUTHORITY=false`` and, for a self-signed
certificate, ``OFFICESTREAM_MICROSOFT_CA_BUNDLE``.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from schemas.envsettings import EnvSettings

DEFAULT_AUTHORITY = "https://login.microsoftonline.com"
DEFAULT_GRAPH_URL = "https://graph.microsoft.com/v1.0"
#: Graph's documented maximum for Outlook messages, events and contacts is 10,080 minutes
#: (7 days); a few minutes less keeps clock skew from turning a create into a 400.
OUTLOOK_MAX_LIFETIME_MIN = 10_070

ResourceKind = Literal["messages", "events", "contacts"]


class MicrosoftSettings(EnvSettings):
    """The Azure AD application and how hard the connector may push Graph."""

    model_config = SettingsConfigDict(env_prefix="OFFICESTREAM_MICROSOFT_", extra="forbid", frozen=True)

    #: Directory (tenant) id or domain; ``organizations`` for a multi-tenant app's user tokens.
    tenant_id: str = "organizations"
    client_id: str = ""
    client_secret: SecretStr = SecretStr("")
    authority_url: str = DEFAULT_AUTHORITY
    graph_url: str = DEFAULT_GRAPH_URL
    #: False for an authority msal does not know (the emulator): no instance discovery.
    validate_authority: bool = True
    #: Extra CA certificates (PEM) to trust for the authority and Graph: a TLS-inspecting
    #: proxy, or the emulator's self-signed certificate.
    ca_bundle: Path | None = None
    #: App-only tokens ask for the resource's ``.default`` scope (the app's granted permissions).
    app_scope: str = "https://graph.microsoft.com/.default"
    #: Delegated scopes, space separated (msal adds openid, profile and offline_access itself).
    delegated_scopes: str = "Mail.Read Calendars.Read Contacts.Read"
    #: ``Prefer: odata.maxpagesize``: items per page of a list or delta query.
    max_page_size: int = Field(default=100, ge=1, le=1000)
    #: Outlook answers 429 (MailboxConcurrency) beyond 4 concurrent requests per app and mailbox.
    mailbox_concurrency: int = Field(default=4, ge=1, le=4)
    request_timeout_s: float = Field(default=30.0, gt=0)
    #: Attempts of one request on 429 / 502 / 503 / 504 / connection errors before giving up.
    max_attempts: int = Field(default=6, ge=1, le=50)
    backoff_initial_s: float = Field(default=0.5, gt=0)
    backoff_max_s: float = Field(default=30.0, gt=0)
    #: A Retry-After is honoured up to this many seconds (beyond it the request fails retriably).
    retry_after_max_s: float = Field(default=300.0, gt=0)
    #: Where Graph POSTs change notifications (https; http only on a loopback address).
    notification_url: str | None = None
    #: Where Graph POSTs lifecycle notifications (reauthorizationRequired, subscriptionRemoved, missed).
    lifecycle_notification_url: str | None = None
    subscription_max_minutes_messages: int = Field(default=OUTLOOK_MAX_LIFETIME_MIN, ge=45)
    subscription_max_minutes_events: int = Field(default=OUTLOOK_MAX_LIFETIME_MIN, ge=45)
    subscription_max_minutes_contacts: int = Field(default=OUTLOOK_MAX_LIFETIME_MIN, ge=45)
    #: Renew when this fraction of a subscription's lifetime has passed (half: one missed
    #: renewal still leaves time for the next).
    subscription_renew_fraction: float = Field(default=0.5, gt=0, lt=1)
    #: The calendarView window a calendar delta tracks, around now.
    calendar_past_days: int = Field(default=365, ge=0)
    calendar_future_days: int = Field(default=365, ge=1)

    @field_validator("authority_url", "graph_url")
    @classmethod
    def _https_base(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError(f"must be an https:// URL (msal and Graph require TLS), got {value!r}")
        return value.rstrip("/")

    @field_validator("notification_url", "lifecycle_notification_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme == "https" and parts.hostname:
            return value
        if parts.scheme == "http" and _is_loopback(parts.hostname):
            return value
        raise ValueError(f"must be an https:// URL Graph can reach (http only on loopback), got {value!r}")

    @model_validator(mode="after")
    def _lifecycle_needs_notifications(self) -> Self:
        if self.lifecycle_notification_url and not self.notification_url:
            raise ValueError("OFFICESTREAM_MICROSOFT_LIFECYCLE_NOTIFICATION_URL needs OFFICESTREAM_MICROSOFT_NOTIFICATION_URL")
        return self

    @property
    def authority(self) -> str:
        """The msal authority: the authority host plus the tenant."""
        return f"{self.authority_url}/{self.tenant_id}"

    def delegated_scope_list(self) -> list[str]:
        return self.delegated_scopes.split()

    def subscription_max_minutes(self, kind: ResourceKind) -> int:
        return {
            "messages": self.subscription_max_minutes_messages,
            "events": self.subscription_max_minutes_events,
            "contacts": self.subscription_max_minutes_contacts,
        }[kind]


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False
