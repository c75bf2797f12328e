"""Push registrations at the providers, kept as ``Watch``es on the integration.

- Microsoft: one Graph subscription per resource (``messages`` for mail, ``events``,
  ``contacts``), each with its own secret ``clientState``; notifications and lifecycle
  notifications go to ``<bridge>/webhooks/microsoft``.
- Google: the Gmail watch (one per mailbox, to the Pub/Sub topic
  ``OFFICESTREAM_GOOGLE_GMAIL_PUSH_TOPIC``, whose push subscription delivers to
  ``<bridge>/webhooks/google/gmail``) and a Calendar channel to
  ``<bridge>/webhooks/google/calendar`` (its token derived from
  ``OFFICESTREAM_GOOGLE_PUSH_TOKEN_SECRET``). People has no push: contacts are polled.

Stopping a registration the provider no longer has (404: expired, removed) is not an error.
The webhook URLs are built from the bridge's address (``OFFICESTREAM_BRIDGE_PUBLIC_URL``);
the connectors' own URL settings, when set, must say the same (``check_webhook_settings``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from typing import cast

from pydantic import SecretStr

from connectors.google.exceptions import RequestRejected
from connectors.google.settings import GoogleSettings
from connectors.microsoft.settings import MicrosoftSettings, ResourceKind
from connectors.microsoft.subscriptions import ALL_CHANGES, Subscription, SubscriptionManager, resource_for
from producers.backfill.providers import ConfigurationMissing, ProviderCrawlers
from producers.bridge.settings import BridgeSettings
from producers.integrations.state import (
    CALENDAR_CHANNEL,
    GMAIL_WATCH,
    GRAPH_SUBSCRIPTION,
    RESOURCES,
    Integration,
    Watch,
)
from schemas.envsettings import SettingsError
from schemas.models import Provider
from schemas.redaction import user_ref

log = logging.getLogger("officestream.producers.integrations")

#: The Graph resource kind behind each live resource.
GRAPH_KINDS: dict[str, ResourceKind] = {"mail": "messages", "calendar": "events", "contacts": "contacts"}
#: The live resources each provider can push for (Google People cannot).
PUSHED = {Provider.microsoft: ("mail", "calendar", "contacts"), Provider.google: ("mail", "calendar")}


def webhook_urls(bridge: BridgeSettings) -> dict[str, str]:
    base = bridge.base_url()
    return {"microsoft": f"{base}/webhooks/microsoft", "gmail": f"{base}/webhooks/google/gmail",
            "calendar": f"{base}/webhooks/google/calendar"}


def check_webhook_settings(bridge: BridgeSettings, microsoft: MicrosoftSettings, google: GoogleSettings) -> None:
    """Refuse connector URL settings that disagree with the bridge's own webhook URLs."""
    urls = webhook_urls(bridge)
    pairs = [(MicrosoftSettings.env_name("notification_url"), microsoft.notification_url, urls["microsoft"]),
             (MicrosoftSettings.env_name("lifecycle_notification_url"), microsoft.lifecycle_notification_url,
              urls["microsoft"]),
             (GoogleSettings.env_name("calendar_push_address"), google.calendar_push_address, urls["calendar"])]
    for name, value, expected in pairs:
        if value is not None and value.rstrip("/") != expected:
            raise SettingsError(f"{name} is {value!r} but the bridge receives it at {expected!r} "
                                f"(from {BridgeSettings.env_name('public_url')}): unset it or make them agree")


def pushed_resources(integration: Integration) -> list[str]:
    wanted = [RESOURCES[doc_type] for doc_type in integration.doc_types]
    return [resource for resource in PUSHED[integration.provider] if resource in wanted]


def graph_subscription(watch: Watch, mailbox: str, notification_url: str) -> Subscription:
    """The connector's ``Subscription`` for a stored Graph watch (to renew or delete it)."""
    kind = GRAPH_KINDS[watch.resource]
    return Subscription(
        id=watch.id, mailbox=mailbox, kind=kind, resource=resource_for(kind, mailbox), change_types=ALL_CHANGES,
        notification_url=notification_url, lifecycle_notification_url=notification_url,
        client_state=watch.client_state.get_secret_value() if watch.client_state else "", renewed_at=watch.renewed_at,
        expires_at=watch.expires_at,
    )


class WatchRegistrar:
    """Creates and stops an integration's push registrations."""

    def __init__(self, providers: ProviderCrawlers, *, bridge: BridgeSettings, microsoft: MicrosoftSettings,
                 google: GoogleSettings, now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> None:
        self._providers = providers
        self._urls = webhook_urls(bridge)
        self._microsoft = microsoft.model_copy(update={"notification_url": self._urls["microsoft"],
                                                       "lifecycle_notification_url": self._urls["microsoft"]})
        self._google = google
        self._now = now

    def subscriptions(self) -> SubscriptionManager:
        return SubscriptionManager(self._providers.graph_client(), self._microsoft, clock=self._now)

    def check(self, integration: Integration) -> None:
        """``ConfigurationMissing`` unless every registration ``integration`` needs can be made."""
        if integration.provider is not Provider.google:
            self._providers.check(integration.provider, integration.user_id)  # the Azure AD app's settings
            return
        resources = pushed_resources(integration)
        if "mail" in resources and not self._google.gmail_push_topic:
            raise ConfigurationMissing(f"Gmail push needs {GoogleSettings.env_name('gmail_push_topic')} "
                                       "(projects/<project>/topics/<topic>)")
        if resources and self._google.push_token_secret is None:
            # Without it the bridge can check no push: every Gmail push (its URL token) and
            # Calendar message (its channel token) would be refused, and Pub/Sub retries for days.
            raise ConfigurationMissing(f"Google push needs {GoogleSettings.env_name('push_token_secret')} (it derives the "
                                       "Pub/Sub push URL's token and each Calendar channel's token)")

    async def create(self, integration: Integration, resource: str) -> Watch:
        if integration.provider is Provider.microsoft:
            subscription = await self.subscriptions().create(integration.user_id, GRAPH_KINDS[resource])
            return Watch(kind=GRAPH_SUBSCRIPTION, id=subscription.id, resource=resource,
                         client_state=SecretStr(subscription.client_state), renewed_at=subscription.renewed_at,
                         expires_at=subscription.expires_at)
        if resource == "mail":
            return await asyncio.to_thread(self._gmail_watch, integration.user_id)
        return await asyncio.to_thread(self._calendar_channel, integration.user_id)

    async def renew(self, integration: Integration, watch: Watch) -> Watch:
        """``watch`` extended: a Graph subscription PATCHed to a new expiry (``GraphNotFound``
        when Graph no longer has it), the Gmail watch called again (Google's advice: at least
        every 7 days), a Calendar channel replaced by a new one (channels cannot be extended;
        the caller stores the new one, then stops the old one)."""
        if watch.kind == GRAPH_SUBSCRIPTION:
            subscription = graph_subscription(watch, integration.user_id, self._urls["microsoft"])
            renewed = await self.subscriptions().renew(subscription)
            return watch.model_copy(update={"renewed_at": renewed.renewed_at, "expires_at": renewed.expires_at})
        if watch.kind == GMAIL_WATCH:
            return await asyncio.to_thread(self._gmail_watch, integration.user_id)
        return await asyncio.to_thread(self._calendar_channel, integration.user_id)

    async def stop(self, integration: Integration, watch: Watch) -> None:
        """Remove ``watch`` at the provider; one it no longer has counts as removed."""
        if watch.kind == GRAPH_SUBSCRIPTION:
            await self.subscriptions().delete(graph_subscription(watch, integration.user_id, self._urls["microsoft"]))
        else:
            await asyncio.to_thread(self._stop_google, integration.user_id, watch)
        log.info("registration removed kind=%s resource=%s user=%s", watch.kind, watch.resource,
                 user_ref(integration.user_id))

    def _gmail_watch(self, user: str) -> Watch:
        now = self._now()
        answer = self._providers.google_account(user).gmail.watch(cast(str, self._google.gmail_push_topic))
        return Watch(kind=GMAIL_WATCH, resource="mail", renewed_at=now, expires_at=answer.expiration)

    def _calendar_channel(self, user: str) -> Watch:
        now = self._now()
        secret = cast(SecretStr, self._google.push_token_secret)
        channel = self._providers.google_account(user).calendar.watch(self._urls["calendar"], secret=secret)
        # Google always states the expiry; without one the channel is due for renewal at once.
        return Watch(kind=CALENDAR_CHANNEL, id=channel.id, resource="calendar", resource_id=channel.resource_id,
                     renewed_at=now, expires_at=channel.expiration or now)

    def _stop_google(self, user: str, watch: Watch) -> None:
        account = self._providers.google_account(user)
        try:
            if watch.kind == GMAIL_WATCH:
                account.gmail.stop()
            else:
                account.calendar.stop_channel(watch.id, watch.resource_id or "")
        except RequestRejected as exc:
            if exc.status != 404:
                raise
