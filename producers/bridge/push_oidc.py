"""Pub/Sub's authenticated push: the OIDC bearer token Google signs for each push request.

When ``OFFICESTREAM_BRIDGE_GOOGLE_PUSH_AUDIENCE`` is set, a Gmail push must carry
``Authorization: Bearer <JWT>`` that google-auth's ``id_token.verify_oauth2_token`` accepts:
signed by one of Google's current keys, issued by accounts.google.com, for this audience, not
expired; and, when ``OFFICESTREAM_BRIDGE_GOOGLE_PUSH_SERVICE_ACCOUNT`` is set, issued for that
service account (``email``, ``email_verified``), the one the push subscription authenticates as.
Unset audience: no check (the push URL's token still is).

Google's keys are fetched once an hour at most (``CachedCertsRequest``), in a worker thread: a
push is not held up by a certificate download each time.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import google.auth.exceptions
import google.auth.transport
import google.auth.transport.requests
from google.oauth2 import id_token

from connectors.google.exceptions import PushRejected

CERTS_MAX_AGE_S = 3600.0
#: google-auth's words for a token signed by a key the cached certificates do not hold.
_UNKNOWN_KEY = ("Could not verify token signature", "Certificate for key id")


class CachedCertsRequest(google.auth.transport.Request):
    """A google-auth transport that keeps successful GET answers (Google's signing keys) for
    ``max_age_s``; keys rotate over days, and a token signed by a newer key refetches them."""

    def __init__(self, inner: google.auth.transport.Request | None = None, *, max_age_s: float = CERTS_MAX_AGE_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._inner = inner or google.auth.transport.requests.Request()
        self._max_age_s = max_age_s
        self._clock = clock
        self._cache: dict[str, tuple[float, google.auth.transport.Response]] = {}
        self._lock = threading.Lock()

    def __call__(self, url: str, method: str = "GET", body: Any = None, headers: Mapping[str, str] | None = None,
                 timeout: float | None = None, **kwargs: Any) -> google.auth.transport.Response:
        if method != "GET":
            return self._inner(url, method=method, body=body, headers=headers, timeout=timeout, **kwargs)
        with self._lock:
            cached = self._cache.get(url)
            if cached is not None and self._clock() - cached[0] < self._max_age_s:
                return cached[1]
        response = self._inner(url, method=method, headers=headers, timeout=timeout or 10, **kwargs)
        if response.status == 200:
            with self._lock:
                self._cache[url] = (self._clock(), response)
        return response

    def forget(self) -> None:
        with self._lock:
            self._cache.clear()


class PushTokenVerifier:
    def __init__(self, audience: str, *, service_account: str | None = None,
                 request: google.auth.transport.Request | None = None) -> None:
        self._audience = audience
        self._service_account = service_account
        self._request = request if isinstance(request, CachedCertsRequest) else CachedCertsRequest(request)

    async def verify(self, authorization: str | None) -> Mapping[str, Any]:
        """The token's claims, or ``PushRejected`` (answer 401) saying why (never the token)."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise PushRejected("push has no OIDC bearer token")
        return await asyncio.to_thread(self._verify, token.strip())

    def _verify(self, token: str) -> Mapping[str, Any]:
        try:
            claims = self._claims(token)
        except ValueError as first:
            if not any(sign in str(first) for sign in _UNKNOWN_KEY):
                raise PushRejected(f"push OIDC token refused: {_reason(first)}") from None
            self._request.forget()  # a key newer than the cached ones: fetch them again, once
            try:
                claims = self._claims(token)
            except ValueError as exc:
                raise PushRejected(f"push OIDC token refused: {_reason(exc)}") from None
        if self._service_account is not None and (claims.get("email") != self._service_account
                                                  or not claims.get("email_verified")):
            raise PushRejected("push OIDC token is not the push subscription's service account")
        return claims

    def _claims(self, token: str) -> Mapping[str, Any]:
        try:
            return id_token.verify_oauth2_token(token, self._request, audience=self._audience)
        except (google.auth.exceptions.GoogleAuthError, ValueError) as exc:
            raise ValueError(str(exc)) from None


def _reason(exc: Exception) -> str:
    """google-auth's message without the token or its claims (it quotes some of them)."""
    message = str(exc)
    for known in ("Could not verify token signature", "Certificate for key id", "Token expired", "Token used too early", "audience",
                  "Wrong number of segments", "Wrong issuer", "Could not fetch certificates"):
        if known.lower() in message.lower():
                return "unknown signing key" if known == "Certificate for key id" else known
    return "invalid token"
