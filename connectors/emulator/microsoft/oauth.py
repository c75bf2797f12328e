"""Azure AD's v2.0 endpoints as msal uses them.

- ``GET /{tenant}/v2.0/.well-known/openid-configuration``: what msal fetches for an authority
  it does not validate (``validate_authority=False, instance_discovery=False``).
- ``POST /{tenant}/oauth2/v2.0/token``: ``client_credentials`` (app-only) and ``refresh_token``
  (delegated; rotates the refresh token, returns an id_token and client_info so msal's cache
  holds an account); a revoked grant answers 400 ``invalid_grant`` (AADSTS50173). The device
  code grant (a public client, no secret) is ``device.py``'s.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time
import uuid

from aiohttp import web

from connectors.emulator.microsoft.state import (
    ACCESS_TOKEN_LIFETIME_S,
    DEMO_TENANT,
    IssuedToken,
    MicrosoftState,
    state_of,
)
from connectors.emulator.microsoft.device import DEVICE_CODE_GRANT, device_grant
from connectors.emulator.microsoft.wire import b64, base_url, user_object_id


def add_oauth_routes(app: web.Application) -> None:
    app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", _openid_configuration)
    app.router.add_post("/{tenant}/oauth2/v2.0/token", _token)


async def _openid_configuration(request: web.Request) -> web.Response:
    base, tenant = base_url(request), request.match_info["tenant"]
    return web.json_response({
        "issuer": f"{base}/{DEMO_TENANT}/v2.0",
        "authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/authorize",
        "token_endpoint": f"{base}/{tenant}/oauth2/v2.0/token",
        "device_authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/devicecode",
        "jwks_uri": f"{base}/{tenant}/discovery/v2.0/keys",
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
    })


def _aad_error(status: int, error: str, code: int, description: str) -> web.Response:
    return web.json_response({
        "error": error, "error_description": f"AADSTS{code}: {description}", "error_codes": [code],
        "timestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ"),
        "trace_id": str(uuid.uuid4()), "correlation_id": str(uuid.uuid4()),
    }, status=status)


#: AADSTS codes of the device-code grant's answers.
_DEVICE_ERRORS = {"authorization_pending": 70016, "expired_token": 70020, "invalid_grant": 70000}


async def _token(request: web.Request) -> web.Response:
    state, form = state_of(request), await request.post()
    client_id, secret = str(form.get("client_id", "")), str(form.get("client_secret", ""))
    if form.get("grant_type") == DEVICE_CODE_GRANT and client_id in state.clients:
        state.grants[DEVICE_CODE_GRANT] += 1
        user, error = device_grant(request, str(form.get("device_code", "")), client_id)
        if user is None:
            return _aad_error(400, str(error), _DEVICE_ERRORS[str(error)], f"device code grant: {error}")
        return _user_tokens(request, state, user, str(form.get("scope", "")), client_id)
    if not client_id or state.clients.get(client_id) != secret or not secret:
        return _aad_error(401, "invalid_client", 7000215, "Invalid client secret provided.")
    grant_type = str(form.get("grant_type", ""))
    state.grants[grant_type] += 1
    if grant_type == "client_credentials":
        if not str(form.get("scope", "")).endswith("/.default"):
            return _aad_error(400, "invalid_scope", 1002012, "The provided value for scope is not valid; use /.default.")
        return web.json_response({"token_type": "Bearer", "expires_in": ACCESS_TOKEN_LIFETIME_S,
                                  "ext_expires_in": ACCESS_TOKEN_LIFETIME_S, "access_token": _issue_access(state, None)})
    if grant_type == "refresh_token":
        return _refresh(request, state, str(form.get("refresh_token", "")), str(form.get("scope", "")), client_id)
    return _aad_error(400, "unsupported_grant_type", 70003, f"The app requested an unsupported grant type '{grant_type}'.")


def _refresh(request: web.Request, state: MicrosoftState, refresh_token: str, scope: str, client_id: str) -> web.Response:
    user = state.refresh_tokens.get(refresh_token)
    if user is None or refresh_token in state.revoked:
        return _aad_error(400, "invalid_grant", 50173,
                          "The provided grant has expired due to it being revoked, a fresh auth token is needed.")
    return _user_tokens(request, state, user, scope, client_id)


def _user_tokens(request: web.Request, state: MicrosoftState, user: str, scope: str, client_id: str) -> web.Response:
    """A user's access and (new) refresh token, with the id_token and client_info msal reads."""
    return web.json_response({
        "token_type": "Bearer", "scope": scope, "expires_in": ACCESS_TOKEN_LIFETIME_S,
        "ext_expires_in": ACCESS_TOKEN_LIFETIME_S, "access_token": _issue_access(state, user),
        "refresh_token": issue_refresh(state, user), "id_token": _id_token(request, user, client_id),
        "client_info": b64(json.dumps({"uid": user_object_id(user), "utid": DEMO_TENANT})),
    })


def _issue_access(state: MicrosoftState, user: str | None) -> str:
    token = "eyJ0eXAi." + secrets.token_urlsafe(32)
    state.access_tokens[token] = IssuedToken(user, time.time() + ACCESS_TOKEN_LIFETIME_S)
    return token


def issue_refresh(state: MicrosoftState, user: str) -> str:
    """A new refresh token for ``user`` (a refresh grant, or the control API's consent)."""
    token = "0.ARw" + secrets.token_urlsafe(48)
    state.refresh_tokens[token] = user
    return token


def _id_token(request: web.Request, user: str, client_id: str) -> str:
    """An unsigned id_token: msal reads its claims to build the account, it does not verify it."""
    now = int(time.time())
    claims = {"aud": client_id, "iss": f"{base_url(request)}/{DEMO_TENANT}/v2.0", "iat": now, "nbf": now,
              "exp": now + ACCESS_TOKEN_LIFETIME_S, "name": user.split("@")[0].replace(".", " ").title(),
              "oid": user_object_id(user), "preferred_username": user, "sub": b64(user)[:43],
              "tid": DEMO_TENANT, "ver": "2.0"}
    return f"{b64(json.dumps({'alg': 'none', 'typ': 'JWT'}))}.{b64(json.dumps(claims))}."
