"""The provider clients a live sync reads through, and what it tells the rest of the bridge.

- ``LiveClients``: the Graph client (one per process: it holds the per-mailbox request budget
  every sync of a mailbox shares) and a Google account per integration (blocking clients, used
  from that integration's own thread only). ``ConnectorClients`` builds them from the
  connectors' settings: Microsoft app-only credentials, or the integration's delegated grant
  (msal's serialized token cache, or a refresh token) when it has one; Google a service account
  acting for the user (domain-wide delegation) or the integration's refresh token.
- ``ReauthHook``: the user's grant is gone (``invalid_grant``); the orchestrator publishes
  ``IntegrationNeedsReauthEvent`` and pauses the integration.
"""

from __future__ import annotations

import json
from typing import Protocol

from pydantic import SecretStr

from connectors.google.account import GoogleAccount, open_account, quota_pacer
from connectors.google.auth import delegated_credentials, user_credentials
from connectors.google.exceptions import ReauthRequired as GoogleReauthRequired
from connectors.google.settings import GoogleSettings
from connectors.microsoft.auth import AppCredentials, DelegatedCredentials
from connectors.microsoft.graph_client import GraphClient
from connectors.microsoft.settings import MicrosoftSettings
from producers.integrations.state import Integration
from producers.live.exceptions import ProviderNotConfigured


class LiveClients(Protocol):
    def graph(self, integration: Integration) -> GraphClient:
        """The Graph client to read ``integration``'s mailbox with."""
        ...

    def google(self, integration: Integration) -> GoogleAccount:
        """A Google account for ``integration`` (called in the integration's worker thread)."""
        ...

    def forget(self, integration: Integration) -> None:
        """Drop what was built for ``integration`` (its grant was revoked or replaced)."""
        ...

    async def aclose(self) -> None: ...


class ReauthHook(Protocol):
    async def __call__(self, integration: Integration, reason: str) -> None:
        """``integration``'s grant is gone; ``reason`` is the provider's error code (never a token)."""
        ...


class _MailboxTokens:
    """Graph tokens per mailbox: the user's delegated grant when the integration has one,
    the application's own (app-only) otherwise."""

    def __init__(self, settings: MicrosoftSettings) -> None:
        self._app = AppCredentials(settings)
        self._delegated = DelegatedCredentials(settings)
        self._grants: dict[str, SecretStr] = {}

    def use(self, integration: Integration) -> None:
        mailbox, grant = integration.user_id.lower(), integration.refresh_token
        if grant is None:
            self._grants.pop(mailbox, None)
        elif self._grants.get(mailbox) != grant:
            self._grants[mailbox] = grant
            value = grant.get_secret_value()
            if _is_json(value):
                self._delegated.add_cache(mailbox, value)
            else:
                self._delegated.add_refresh_token(mailbox, value)

    def forget(self, mailbox: str) -> None:
        self._grants.pop(mailbox.lower(), None)

    async def access_token(self, mailbox: str, *, force_refresh: bool = False) -> str:
        source = self._delegated if mailbox.lower() in self._grants else self._app
        return await source.access_token(mailbox, force_refresh=force_refresh)


class ConnectorClients:
    def __init__(self, *, microsoft: MicrosoftSettings | None = None, google: GoogleSettings | None = None) -> None:
        self._microsoft = microsoft
        self._google = google
        self._tokens = _MailboxTokens(microsoft) if microsoft is not None else None
        self._graph: GraphClient | None = None
        self._pacer = quota_pacer(google) if google is not None else None

    def graph(self, integration: Integration) -> GraphClient:
        if self._microsoft is None or self._tokens is None:
            raise ProviderNotConfigured("Microsoft is not configured (OFFICESTREAM_MICROSOFT_*)")
        self._tokens.use(integration)
        if self._graph is None:
            self._graph = GraphClient(self._microsoft, self._tokens)
        return self._graph

    def google(self, integration: Integration) -> GoogleAccount:
        settings = self._google
        if settings is None or self._pacer is None:
            raise ProviderNotConfigured("Google is not configured (OFFICESTREAM_GOOGLE_*)")
        user = integration.user_id
        if settings.service_account_file is not None:
            credentials = delegated_credentials(settings, subject=user)
        elif integration.refresh_token is not None:
            credentials = user_credentials(settings, integration.refresh_token)
        else:
            raise GoogleReauthRequired("no_grant", "the integration holds no refresh token", user=user)
        return open_account(settings, credentials, user=user, pacer=self._pacer)

    def forget(self, integration: Integration) -> None:
        if self._tokens is not None:
            self._tokens.forget(integration.user_id)

    async def aclose(self) -> None:
        if self._graph is not None:
            await self._graph.aclose()


def _is_json(value: str) -> bool:
    try:
        return isinstance(json.loads(value), dict)
    except ValueError:
        return False
