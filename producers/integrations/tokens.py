"""Each integration's grant, as the provider clients ask for it.

- Microsoft (``IntegrationTokens``, the bridge's one Graph ``TokenSource``): a mailbox whose
  integration holds a delegated grant gets that user's token (msal's serialized token cache,
  or a bare refresh token handed in by another service, exchanged once and kept as a cache);
  any other mailbox gets the application's own token (client credentials: app-only, what the
  emulator's demo app and an admin-consented tenant use). msal rotates refresh tokens inside
  the cache: a cache that changed is handed to ``on_cache_changed`` to be stored (sealed)
  again. A grant Azure AD refuses (``invalid_grant``: ``ReauthRequired``) is reported to
  ``on_reauth`` before the error goes on to the caller, whoever made the request.
- Google (``StoreGoogleTokens``): the refresh token stored with the user's integration, for
  ``ProviderCrawlers`` (a service account, when configured, acts for every user instead).

Tokens never leave these objects except toward the providers: nothing here logs one.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from pydantic import SecretStr

from connectors.microsoft.auth import AppCredentials, DelegatedCredentials
from connectors.microsoft.exceptions import ReauthRequired
from connectors.microsoft.settings import MicrosoftSettings
from producers.integrations.state import Integration, integration_key
from producers.integrations.store import IntegrationStore
from schemas.models import Provider

OnCacheChanged = Callable[[str, SecretStr], Awaitable[None]]
OnReauth = Callable[[str, ReauthRequired], Awaitable[None]]


def is_token_cache(grant: str) -> bool:
    """Whether a stored Microsoft grant is msal's serialized cache (JSON) or a bare refresh token."""
    try:
        return isinstance(json.loads(grant), dict)
    except ValueError:
        return False


async def _nothing(*_: object) -> None:
    return None


class IntegrationTokens:
    """Graph tokens per mailbox: delegated where the integration has a grant, else app-only."""

    def __init__(self, settings: MicrosoftSettings, *, on_cache_changed: OnCacheChanged = _nothing,
                 on_reauth: OnReauth = _nothing) -> None:
        self._app = AppCredentials(settings)
        self._delegated = DelegatedCredentials(settings)
        #: lower-cased mailbox -> the key of the integration whose grant it uses.
        self._delegated_keys: dict[str, str] = {}
        self.on_cache_changed = on_cache_changed
        self.on_reauth = on_reauth

    def register(self, integration: Integration) -> None:
        """Use ``integration``'s grant for its mailbox from now on (app-only when it has none)."""
        if integration.provider is not Provider.microsoft:
            return
        mailbox = integration.user_id.lower()
        grant = integration.refresh_token.get_secret_value() if integration.refresh_token else ""
        if not grant:
            self._delegated_keys.pop(mailbox, None)
            return
        if is_token_cache(grant):
            self._delegated.add_cache(mailbox, grant)
        else:
            self._delegated.add_refresh_token(mailbox, grant)
        self._delegated_keys[mailbox] = integration.key

    def forget(self, mailbox: str) -> None:
        self._delegated_keys.pop(mailbox.lower(), None)

    async def access_token(self, mailbox: str, *, force_refresh: bool = False) -> str:
        key = self._delegated_keys.get(mailbox.lower())
        if key is None:
            return await self._app.access_token(mailbox, force_refresh=force_refresh)
        try:
            token = await self._delegated.access_token(mailbox, force_refresh=force_refresh)
        except ReauthRequired as exc:
            await self.on_reauth(key, exc)
            raise
        changed = self._delegated.export_cache(mailbox)
        if changed is not None:
            await self.on_cache_changed(key, SecretStr(changed))
        return token


class StoreGoogleTokens:
    """Google refresh tokens from the stored integrations (``GoogleTokens`` for the crawlers)."""

    def __init__(self, store: IntegrationStore) -> None:
        self._store = store

    def refresh_token(self, user: str) -> SecretStr | None:
        integration = self._store.get(integration_key(Provider.google, user))
        return integration.refresh_token if integration is not None else None
