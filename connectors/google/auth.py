"""Credentials for one user, with google-auth: the user's own OAuth grant (a refresh token
from the consent flow) or a service account acting for the user (domain-wide delegation).

A refresh Google refuses with ``invalid_grant`` (revoked consent, expired grant, withdrawn
delegation) becomes ``ReauthRequired``; nothing here puts a token in a message or a log.
"""

from __future__ import annotations

import json
from typing import Any

import google.auth.exceptions
import google.oauth2.credentials
import google.oauth2.service_account
from google.auth.credentials import Credentials
from pydantic import SecretStr

from connectors.google.exceptions import AuthConfigError, GoogleError, GoogleUnavailable, ReauthRequired
from connectors.google.settings import GoogleSettings


def user_credentials(settings: GoogleSettings, refresh_token: SecretStr | str) -> Credentials:
    """Credentials that refresh the user's access token at ``settings.token_uri``."""
    if settings.client_id is None or settings.client_secret is None:
        raise AuthConfigError(
            f"user OAuth needs {GoogleSettings.env_name('client_id')} and {GoogleSettings.env_name('client_secret')}"
        )
    token = refresh_token.get_secret_value() if isinstance(refresh_token, SecretStr) else refresh_token
    return google.oauth2.credentials.Credentials(
        token=None,  # fetched on first use
        refresh_token=token,
        token_uri=settings.token_uri,
        client_id=settings.client_id,
        client_secret=settings.client_secret.get_secret_value(),
        scopes=list(settings.scopes),
    )


def delegated_credentials(settings: GoogleSettings, subject: str | None = None) -> Credentials:
    """A service account acting as ``subject`` (default ``settings.delegated_subject``); the
    token endpoint is ``settings.token_uri``, whatever the key file says."""
    user = subject or settings.delegated_subject
    if settings.service_account_file is None or user is None:
        raise AuthConfigError(
            f"delegation needs {GoogleSettings.env_name('service_account_file')} and a subject "
            f"(argument or {GoogleSettings.env_name('delegated_subject')})"
        )
    try:
        info: dict[str, Any] = json.loads(settings.service_account_file.read_text())
        account = google.oauth2.service_account.Credentials.from_service_account_info(info, scopes=list(settings.scopes))
    except (OSError, ValueError, KeyError) as exc:
        # ValueError also covers a malformed key; its message never quotes the key itself.
        raise AuthConfigError(f"service account file {settings.service_account_file} is unusable: {type(exc).__name__}") from None
    return account.with_token_uri(settings.token_uri).with_subject(user)


def translate_refresh_error(exc: google.auth.exceptions.RefreshError, *, user: str | None) -> GoogleError:
    """The project's error for a failed token refresh (the caller raises it ``from None``:
    google-auth's message may quote the token endpoint's answer)."""
    data = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], dict) else {}
    code = str(data.get("error", ""))
    description = str(data.get("error_description", "")) or "the token endpoint refused the refresh"
    if code == "invalid_grant":
        return ReauthRequired("invalid_grant", description, user=user)
    if code in ("invalid_client", "unauthorized_client", "invalid_scope"):
        return AuthConfigError(f"token refresh refused: {code}: {description}", reason=code, user=user)
    if getattr(exc, "retryable", False):
        return GoogleUnavailable("token endpoint unavailable", reason=code or None, user=user)
    return AuthConfigError(f"token refresh failed: {code or 'unreadable answer'}", reason=code or None, user=user)
