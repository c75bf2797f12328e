"""Who is asking: the stream token of a request, and the one rule for refusing it.

401 when the token is missing, malformed, wrongly signed or expired (the client needs a new
token); 403 when the token is valid but the request names another user's stream with
``?user_id=`` (a new token for the same user will not help).
"""

from __future__ import annotations

import json

from aiohttp import web

from processors.notifier.exceptions import MissingToken, TokenError
from processors.notifier.tokens import StreamTokens, VerifiedToken

REALM = "officestream-notifier"


def request_token(request: web.Request) -> str:
    """The token from ``Authorization: Bearer`` or, for EventSource which cannot set headers, ``?token=``."""
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    token = request.query.get("token", "").strip()
    if not token:
        raise MissingToken("no bearer token in the Authorization header or the token query parameter")
    return token


def authorize(request: web.Request, tokens: StreamTokens) -> VerifiedToken:
    """The verified token of the user whose stream this request may read.

    Raises ``HTTPUnauthorized`` or ``HTTPForbidden`` (module docstring).
    """
    try:
        verified = tokens.verify(request_token(request))
    except TokenError as exc:
        # RFC 6750 §3.1: no error code when the request carried no credentials at all.
        challenge = f'Bearer realm="{REALM}"' if isinstance(exc, MissingToken) else f'Bearer realm="{REALM}", error="invalid_token"'
        raise web.HTTPUnauthorized(
            headers={"WWW-Authenticate": challenge},
            text=json.dumps({"error": "unauthorized", "detail": str(exc)}),
            content_type="application/json",
        ) from exc
    requested = request.query.get("user_id")
    if requested is not None and requested != verified.user_id:
        raise web.HTTPForbidden(
            text=json.dumps({"error": "forbidden", "detail": "the token is for another user's stream"}),
            content_type="application/json",
        )
    return verified
