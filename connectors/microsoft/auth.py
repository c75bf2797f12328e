"""Access tokens for Graph from Azure AD, through msal.

- ``AppCredentials``: the confidential client's own token (client credentials, app-only),
  good for every mailbox the tenant's admin consented to.
- ``DelegatedCredentials``: one user's tokens per mailbox, from the refresh token the consent
  flow produced. msal keeps each user's tokens in a serializable cache and refreshes silently
  (rotating refresh tokens included); ``export_cache`` hands the cache back for storage.

msal is synchronous (requests), so every call runs in a worker thread. Azure AD's
``invalid_grant`` (revoked consent, expired refresh token) becomes ``ReauthRequired``. Tokens
never appear in messages or logs: errors carry Azure AD's error code and AADSTS number only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn, Protocol

import msal
import requests

from connectors.microsoft.exceptions import (
    AuthConfigurationError,
    AuthUnavailable,
    ReauthRequired,
    mailbox_ref,
)
from connectors.microsoft.settings import MicrosoftSettings

log = logging.getLogger("officestream.microsoft.auth")

#: OAuth errors that only the user signing in again can clear.
REAUTH_ERRORS = frozenset({"invalid_grant", "interaction_required", "consent_required", "login_required"})
#: OAuth errors that say the application itself is misconfigured.
CONFIG_ERRORS = frozenset({"invalid_client", "unauthorized_client", "invalid_scope", "invalid_request",
                           "unsupported_grant_type", "invalid_resource"})


class TokenSource(Protocol):
    """What the Graph client needs: a bearer token good for ``mailbox``."""

    async def access_token(self, mailbox: str, *, force_refresh: bool = False) -> str: ...


def raise_for_token_error(result: Mapping[str, Any], *, mailbox: str | None = None) -> NoReturn:
    """Turn msal's error dict into the typed error (pure, so the mapping is unit tested)."""
    error = str(result.get("error") or "unknown_error")
    parts = [f"AADSTS{code}" for code in result.get("error_codes") or []]
    if result.get("suberror"):
        parts.append(str(result["suberror"]))
    detail = " ".join(parts) or None
    if error in REAUTH_ERRORS:
        raise ReauthRequired(error, detail, mailbox=mailbox)
    if error in CONFIG_ERRORS:
        raise AuthConfigurationError(f"Azure AD refused the application: {error} {detail or ''}".strip(), mailbox=mailbox, code=error)
    raise AuthUnavailable(f"Azure AD could not issue a token: {error} {detail or ''}".strip(), mailbox=mailbox, code=error)


class _CaBundleSession(requests.Session):
    """A requests session that really uses its CA bundle: requests lets REQUESTS_CA_BUNDLE /
    CURL_CA_BUNDLE from the environment override ``Session.verify`` (psf/requests#3829), which
    would silently drop OFFICESTREAM_MICROSOFT_CA_BUNDLE."""

    def __init__(self, ca_bundle: str, timeout_s: float) -> None:
        super().__init__()
        self.verify = ca_bundle
        self._timeout_s = timeout_s
        adapter = requests.adapters.HTTPAdapter(max_retries=1)  # what msal mounts on its own session
        self.mount("https://", adapter)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        # requests' own signature types url as str | bytes; typeshed narrows it to str.
        kwargs["verify"] = self.verify
        kwargs.setdefault("timeout", self._timeout_s)
        return super().request(method, url, *args, **kwargs)  # type: ignore[arg-type]


def build_application(settings: MicrosoftSettings, cache: msal.TokenCache | None = None) -> msal.ConfidentialClientApplication:
    """The msal confidential client. Performs OIDC discovery against the authority (network):
    call it from a worker thread, never from a constructor."""
    if not settings.client_id or not settings.client_secret.get_secret_value():
        raise AuthConfigurationError("OFFICESTREAM_MICROSOFT_CLIENT_ID and OFFICESTREAM_MICROSOFT_CLIENT_SECRET must be set")
    http_client = _CaBundleSession(str(settings.ca_bundle), settings.request_timeout_s) if settings.ca_bundle else None
    return msal.ConfidentialClientApplication(
        settings.client_id,
        client_credential=settings.client_secret.get_secret_value(),
        authority=settings.authority,
        validate_authority=settings.validate_authority,
        # Instance discovery asks login.microsoftonline.com about the authority's host; an
        # authority it cannot know (the emulator) must not be sent there.
        instance_discovery=settings.validate_authority,
        token_cache=cache,
        http_client=http_client,
        timeout=None if http_client else settings.request_timeout_s,
    )


def public_application(settings: MicrosoftSettings, cache: msal.TokenCache | None = None) -> msal.PublicClientApplication:
    """The same app as a public client: msal runs the device-code flow only on one (the Azure
    AD app must allow public client flows). Network on first use, like ``build_application``."""
    if not settings.client_id:
        raise AuthConfigurationError("OFFICESTREAM_MICROSOFT_CLIENT_ID must be set")
    http_client = _CaBundleSession(str(settings.ca_bundle), settings.request_timeout_s) if settings.ca_bundle else None
    return msal.PublicClientApplication(
        settings.client_id, authority=settings.authority, validate_authority=settings.validate_authority,
        instance_discovery=settings.validate_authority, token_cache=cache, http_client=http_client,
        timeout=None if http_client else settings.request_timeout_s,
    )


def _call_msal(call: Callable[[], Any], *, mailbox: str | None) -> Any:
    try:
        return call()
    except requests.RequestException as exc:
        raise AuthUnavailable(f"Azure AD unreachable: {type(exc).__name__}", mailbox=mailbox) from exc
    except ValueError as exc:  # msal: the authority's OIDC discovery answered 4xx
        raise AuthConfigurationError(f"authority not usable: {exc}", mailbox=mailbox) from exc


class AppCredentials:
    """App-only tokens (client credentials); msal caches the token until shortly before expiry."""

    def __init__(self, settings: MicrosoftSettings) -> None:
        self._settings = settings
        self._app: msal.ConfidentialClientApplication | None = None
        self._lock = asyncio.Lock()

    async def access_token(self, mailbox: str, *, force_refresh: bool = False) -> str:
        async with self._lock:
            return await asyncio.to_thread(self._acquire, force_refresh)

    def _acquire(self, force_refresh: bool) -> str:
        if self._app is None:
            self._app = _call_msal(lambda: build_application(self._settings), mailbox=None)
        app = self._app
        if force_refresh:  # Graph refused the cached token (revoked, or our clock is off)
            for token in list(app.token_cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN)):
                app.token_cache.remove_at(token)
        result = _call_msal(lambda: app.acquire_token_for_client(scopes=[self._settings.app_scope]), mailbox=None)
        if "access_token" not in result:
            raise_for_token_error(result)
        return str(result["access_token"])


@dataclass
class _UserSession:
    cache: msal.SerializableTokenCache
    refresh_token: str | None = None  # handed in, not yet exchanged
    app: msal.ConfidentialClientApplication | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class DelegatedCredentials:
    """Per-mailbox user tokens. Register each mailbox with ``add_refresh_token`` (right after
    consent) or ``add_cache`` (a cache exported earlier), then ask for tokens."""

    def __init__(self, settings: MicrosoftSettings) -> None:
        self._settings = settings
        self._sessions: dict[str, _UserSession] = {}

    def add_refresh_token(self, mailbox: str, refresh_token: str) -> None:
        self._sessions[mailbox.lower()] = _UserSession(msal.SerializableTokenCache(), refresh_token=refresh_token)

    def add_cache(self, mailbox: str, serialized: str) -> None:
        cache = msal.SerializableTokenCache()
        cache.deserialize(serialized)
        self._sessions[mailbox.lower()] = _UserSession(cache)

    def export_cache(self, mailbox: str) -> str | None:
        """The user's msal cache when it changed since the last export (store it encrypted: it
        holds the refresh token); None when nothing changed."""
        session = self._session(mailbox)
        if not session.cache.has_state_changed:
            return None
        serialized = session.cache.serialize()
        session.cache.has_state_changed = False
        return serialized

    async def access_token(self, mailbox: str, *, force_refresh: bool = False) -> str:
        session = self._session(mailbox)
        async with session.lock:
            return await asyncio.to_thread(self._acquire, mailbox, session, force_refresh)

    def _session(self, mailbox: str) -> _UserSession:
        try:
            return self._sessions[mailbox.lower()]
        except KeyError:
            raise ReauthRequired("not_connected", "no refresh token or token cache for this mailbox", mailbox=mailbox) from None

    def _acquire(self, mailbox: str, session: _UserSession, force_refresh: bool) -> str:
        if session.app is None:
            session.app = _call_msal(lambda: build_application(self._settings, session.cache), mailbox=mailbox)
        app, scopes = session.app, self._settings.delegated_scope_list()
        if session.refresh_token is not None:
            refresh_token = session.refresh_token
            result = _call_msal(lambda: app.acquire_token_by_refresh_token(refresh_token, scopes=scopes), mailbox=mailbox)
            if "access_token" in result:
                session.refresh_token = None  # now in the cache, where msal rotates it
        else:
            result = self._silent(app, scopes, mailbox, force_refresh)
        if "access_token" not in result:
            self._forget_if_revoked(session, result)
            raise_for_token_error(result, mailbox=mailbox)
        log.debug("delegated token acquired mailbox=%s refreshed=%s", mailbox_ref(mailbox), force_refresh)
        return str(result["access_token"])

    @staticmethod
    def _silent(app: msal.ConfidentialClientApplication, scopes: list[str], mailbox: str, force_refresh: bool) -> Mapping[str, Any]:
        accounts = app.get_accounts()
        if not accounts:
            raise ReauthRequired("no_account", "the token cache holds no account", mailbox=mailbox)
        result = _call_msal(
            lambda: app.acquire_token_silent_with_error(scopes, account=accounts[0], force_refresh=force_refresh),
            mailbox=mailbox,
        )
        if result is None:  # no refresh token left in the cache
            raise ReauthRequired("no_refresh_token", "the token cache holds no refresh token", mailbox=mailbox)
        return result

    @staticmethod
    def _forget_if_revoked(session: _UserSession, result: Mapping[str, Any]) -> None:
        if result.get("error") in REAUTH_ERRORS:
            session.refresh_token = None

