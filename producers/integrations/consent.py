"""A user's consent, interactively, for ``officestream connect`` against real accounts.

- Microsoft: the OAuth device-code flow through msal (``initiate_device_flow`` /
  ``acquire_token_by_device_flow``), for the delegated scopes of ``MicrosoftSettings``
  (msal adds ``openid profile offline_access``): the user opens the verification page on any
  device and types the code shown. The grant kept is msal's serialized token cache (it holds the
  refresh token and the account), stored sealed as the integration's ``refresh_token``. msal
  offers the device flow on public clients only, so the Azure AD app must allow public client
  flows ("Allow public client flows": yes).
- Google: the installed-app flow (google-auth-oauthlib's ``InstalledAppFlow``): a local server
  on a loopback port receives the authorization code, so a browser on this machine (or one
  whose loopback is forwarded, ``ssh -L``) completes it. Google's device flow cannot be used:
  Google refuses the Gmail, Calendar and Contacts scopes in it. ``access_type=offline`` and
  ``prompt=consent`` make Google issue a refresh token every time.

Neither flow can reach the real providers from the development machines: both are tested
against the emulator's OAuth endpoints (its device-code endpoint and sign-in control, its
authorization endpoint with a loopback redirect), with msal and google-auth-oauthlib doing the
protocol work as they would with Azure AD and Google. Nothing here prints or logs a token.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msal
from pydantic import SecretStr

from connectors.google.settings import GoogleSettings
from connectors.microsoft.auth import public_application, raise_for_token_error
from connectors.microsoft.settings import MicrosoftSettings
from producers.backfill.providers import ConfigurationMissing

#: Google's authorization endpoint for installed apps (the token endpoint is GoogleSettings').
GOOGLE_AUTH_URI = "https://accounts.google.com/o/oauth2/auth"


@dataclass(frozen=True)
class Grant:
    """What a consent flow leaves: the secret to store and the account it is for."""

    secret: SecretStr
    account_email: str | None
    scopes: tuple[str, ...]


def microsoft_device_flow(settings: MicrosoftSettings, *, show: Callable[[str], None]) -> Grant:
    """Run the device-code flow; ``show`` gets the instructions (URL and code) for the user."""
    cache = msal.SerializableTokenCache()
    app = public_application(settings, cache)
    scopes = settings.delegated_scope_list()
    flow: dict[str, Any] = app.initiate_device_flow(scopes=scopes)
    if "user_code" not in flow:
        raise_for_token_error(flow)
    show(str(flow["message"]))
    result = app.acquire_token_by_device_flow(flow)
    if "access_token" not in result:
        raise_for_token_error(result)
    claims = result.get("id_token_claims") or {}
    account = claims.get("preferred_username") or claims.get("email")
    return Grant(SecretStr(cache.serialize()), str(account) if account else None,
                 tuple(str(result.get("scope", "")).split()))


def google_installed_app_flow(settings: GoogleSettings, *, auth_uri: str = GOOGLE_AUTH_URI, open_browser: bool = True,
                              port: int = 0, login_hint: str | None = None, browser: str | None = None) -> Grant:
    """Run the installed-app flow on a loopback port (0: any free one); the user consents in a
    browser (``open_browser``; ``browser``: a ``webbrowser`` name) or opens the URL printed on
    stdout."""
    from google_auth_oauthlib.flow import InstalledAppFlow  # imported when used: the CLI only

    if settings.client_id is None or settings.client_secret is None:
        raise ConfigurationMissing(f"the installed-app flow needs {GoogleSettings.env_name('client_id')} and "
                         f"{GoogleSettings.env_name('client_secret')} (an OAuth client of type Desktop app)")
    config = {"installed": {"client_id": settings.client_id, "client_secret": settings.client_secret.get_secret_value(),
                            "auth_uri": auth_uri, "token_uri": settings.token_uri,
                            "redirect_uris": ["http://localhost", "http://127.0.0.1"]}}
    flow = InstalledAppFlow.from_client_config(config, scopes=list(settings.scopes))
    extra = {"login_hint": login_hint} if login_hint else {}
    credentials = flow.run_local_server(host="127.0.0.1", port=port, open_browser=open_browser, browser=browser,
                                        access_type="offline",
                                        prompt="consent",
                                        authorization_prompt_message="Open this URL to let officestream read the account: {url}",
                                        **extra)
    if not credentials.refresh_token:
        raise ConfigurationMissing("Google issued no refresh token: revoke the app's access in the account and connect again")
    return Grant(SecretStr(credentials.refresh_token), login_hint, tuple(credentials.scopes or settings.scopes))
