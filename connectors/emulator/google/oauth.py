"""Google's OAuth 2.0 token endpoint (``POST /token``) and bearer-token checks.

Grants: ``refresh_token`` (the user consented earlier; ``refresh_token_for(user)``) and the
JWT bearer grant a service account uses for domain-wide delegation (its ``sub`` claim names the
user). The assertion's signature is not checked: the emulator holds no service-account public
keys; Google does check it. Control: ``POST /_emulator/google/revoke {"user"}`` makes every
later refresh answer ``invalid_grant`` (and kills live access tokens);
``POST /_emulator/google/expire-access {"user"}`` expires live access tokens only (401s).
"""

from __future__ import annotations

from typing import Any

import jwt
from aiohttp import web

from connectors.emulator.google.errors import error, respond
from connectors.emulator.google.state import (
    ACCESS_TOKEN_TTL_S,
    CLIENT_ID,
    CLIENT_SECRET,
    GOOGLE,
    GoogleState,
    user_of_refresh_token,
)
from connectors.emulator.server import WORLD

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def add_oauth_routes(app: web.Application) -> None:
    app.router.add_post("/token", _token)
    app.router.add_post("/_emulator/google/revoke", _revoke)
    app.router.add_post("/_emulator/google/expire-access", _expire_access)


def _oauth_error(status: int, code: str, description: str) -> web.Response:
    return web.json_response({"error": code, "error_description": description}, status=status)


async def _token(request: web.Request) -> web.Response:
    form = await request.post()
    state = request.app[GOOGLE]
    grant_type = str(form.get("grant_type", ""))
    if grant_type == "refresh_token":
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return _oauth_error(401, "invalid_client", "The OAuth client was not found.")
        user = user_of_refresh_token(str(form.get("refresh_token", "")))
    elif grant_type == JWT_BEARER:
        user = _delegated_user(str(form.get("assertion", "")))
    else:
        return _oauth_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")
    if user is None or user not in request.app[WORLD].mailboxes or user in state.revoked:
        return _oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
    return web.json_response({
        "access_token": state.issue_access_token(user),
        "expires_in": ACCESS_TOKEN_TTL_S,
        "scope": str(form.get("scope", "")),
        "token_type": "Bearer",
    })


def _delegated_user(assertion: str) -> str | None:
    try:
        claims: dict[str, Any] = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    return claims.get("sub") if claims.get("iss") and claims.get("scope") else None


def authenticate(state: GoogleState, authorization: str | None) -> str | None:
    """The user an ``Authorization: Bearer`` header stands for, or None."""
    if not authorization or not authorization.lower().startswith("bearer "):
        return None
    return state.user_of_access_token(authorization[7:].strip())


def unauthenticated() -> web.Response:
    answer = error(401, "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie "
                        "or other valid authentication credential.", reason="authError")
    return respond(answer, headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'})


async def _revoke(request: web.Request) -> web.Response:
    user = (await request.json())["user"]
    state = request.app[GOOGLE]
    state.revoked.add(user)
    state.expire_access_tokens(user)
    return web.json_response({"ok": True})


async def _expire_access(request: web.Request) -> web.Response:
    request.app[GOOGLE].expire_access_tokens((await request.json())["user"])
    return web.json_response({"ok": True})
