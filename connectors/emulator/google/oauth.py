"""Google's OAuth 2.0 token endpoint (``POST /token``) and bearer-token checks.

Grants: ``refresh_token`` (the user consented earlier; ``refresh_token_for(user)``), the JWT
bearer grant a service account uses for domain-wide delegation (its ``sub`` claim names the
user), and ``authorization_code`` from the installed-app flow: ``GET /o/oauth2/auth`` consents
at once for the user its ``login_hint`` names (the emulator has no sign-in page) and redirects
to the loopback ``redirect_uri`` with a code, which the token endpoint exchanges for the user's
refresh token. The assertion's signature is not checked: the emulator holds no service-account public
keys; Google does check it. Control: ``POST /_emulator/google/revoke {"user"}`` makes every
later refresh answer ``invalid_grant`` (and kills live access tokens);
``POST /_emulator/google/expire-access {"user"}`` expires live access tokens only (401s).
"""

from __future__ import annotations

import base64
import secrets
from typing import Any
from urllib.parse import unquote_plus, urlencode

import jwt
from aiohttp import web

from connectors.emulator.google.errors import error, respond
from connectors.emulator.google.state import (
    ACCESS_TOKEN_TTL_S,
    CLIENT_ID,
    CLIENT_SECRET,
    GOOGLE,
    GoogleState,
    refresh_token_for,
    user_of_refresh_token,
)
from connectors.emulator.server import WORLD

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def add_oauth_routes(app: web.Application) -> None:
    app.router.add_post("/token", _token)
    app.router.add_get("/o/oauth2/auth", _authorize)
    app.router.add_post("/_emulator/google/revoke", _revoke)
    app.router.add_post("/_emulator/google/expire-access", _expire_access)


def _oauth_error(status: int, code: str, description: str) -> web.Response:
    return web.json_response({"error": code, "error_description": description}, status=status)


async def _token(request: web.Request) -> web.Response:
    form = await request.post()
    state = request.app[GOOGLE]
    grant_type = str(form.get("grant_type", ""))
    if grant_type in ("refresh_token", "authorization_code") and _client(request, form) != (CLIENT_ID, CLIENT_SECRET):
        return _oauth_error(401, "invalid_client", "The OAuth client was not found.")
    if grant_type == "refresh_token":
        user = user_of_refresh_token(str(form.get("refresh_token", "")))
    elif grant_type == "authorization_code":
        user, redirect_uri, scope = state.codes.pop(str(form.get("code", "")), (None, None, ""))
        if redirect_uri != form.get("redirect_uri"):
            user = None
    elif grant_type == JWT_BEARER:
        user = _delegated_user(str(form.get("assertion", "")))
    else:
        return _oauth_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")
    if user is None or user not in request.app[WORLD].mailboxes or user in state.revoked:
        return _oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
    answer = {"access_token": state.issue_access_token(user), "expires_in": ACCESS_TOKEN_TTL_S,
              "scope": str(form.get("scope", "")), "token_type": "Bearer"}
    if grant_type == "authorization_code":  # the scopes consented to, and the grant to keep
        answer.update(scope=scope, refresh_token=refresh_token_for(user))
    return web.json_response(answer)


def _client(request: web.Request, form: Any) -> tuple[str, str]:
    """The client's id and secret: in the form (client_secret_post) or HTTP Basic
    (client_secret_basic, what requests-oauthlib sends); Google takes both."""
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return "", ""
        return unquote_plus(client_id), unquote_plus(secret)
    return str(form.get("client_id", "")), str(form.get("client_secret", ""))


async def _authorize(request: web.Request) -> web.Response:
    query = request.query
    redirect_uri, user = query.get("redirect_uri", ""), query.get("login_hint", "")
    if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
        return _oauth_error(400, "invalid_request", "Unknown client or response_type.")
    if not redirect_uri.startswith(("http://127.0.0.1", "http://localhost")):
        return _oauth_error(400, "redirect_uri_mismatch", "Installed apps redirect to a loopback address.")
    if user not in request.app[WORLD].mailboxes:
        return _oauth_error(400, "invalid_request", "login_hint must name a mailbox (the emulator has no sign-in page).")
    code = f"4/emulator-{secrets.token_urlsafe(24)}"
    scope = query.get("scope", "")
    request.app[GOOGLE].codes[code] = (user, redirect_uri, scope)
    params = urlencode({"state": query.get("state", ""), "code": code, "scope": scope})
    raise web.HTTPFound(f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{params}")


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
