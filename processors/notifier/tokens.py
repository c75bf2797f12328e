"""Per-user stream tokens: a JWT (HS256) whose ``sub`` is the user id and whose ``exp`` bounds it.

PyJWT rather than a hand-rolled HMAC: it is already in the dependency tree (msal depends on it),
it does the constant-time comparison and base64url details, and a JWT is what the front end's
backend can mint in any language with the shared secret. The algorithm is pinned to HS256 on
verification (no ``alg`` confusion) and the audience ties tokens to this service, so a token
minted for something else with the same secret is refused.

Expiry is checked here against an injected clock rather than inside PyJWT (which reads the
system clock), so tests do not have to wait for a token to expire.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Self

import jwt
from pydantic import SecretStr

from processors.notifier.exceptions import ExpiredToken, InvalidToken
from processors.notifier.settings import NotifierSettings

ALGORITHM = "HS256"
AUDIENCE = "officestream-notifier"


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    """A token that passed verification: whose stream it opens, and until when."""

    user_id: str
    expires_at: datetime


class StreamTokens:
    """Issues and verifies the tokens that open one user's notification stream."""

    def __init__(self, secret: SecretStr, *, ttl: timedelta, clock: Callable[[], datetime] = _utcnow) -> None:
        self._secret = secret
        self._ttl = ttl
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: NotifierSettings, *, clock: Callable[[], datetime] = _utcnow) -> Self:
        return cls(settings.token_secret, ttl=timedelta(seconds=settings.token_ttl_s), clock=clock)

    def issue(self, user_id: str, *, ttl: timedelta | None = None) -> str:
        """A token for ``user_id``'s stream, valid for ``ttl`` (default: the configured TTL)."""
        if not user_id:
            raise ValueError("user_id must not be empty")
        now = self._clock()
        claims = {
            "sub": user_id,
            "aud": AUDIENCE,
            "iat": int(now.timestamp()),
            "exp": int((now + (ttl or self._ttl)).timestamp()),
        }
        return jwt.encode(claims, self._secret.get_secret_value(), algorithm=ALGORITHM)

    def seconds_left(self, verified: VerifiedToken) -> float:
        """How long a stream opened with this token may stay open (streams end when tokens do)."""
        return max(0.0, (verified.expires_at - self._clock()).total_seconds())

    def verify(self, token: str) -> VerifiedToken:
        """Whose stream the token opens, and until when.

        Raises ``InvalidToken`` (bad signature, wrong audience, malformed, claims missing) or
        ``ExpiredToken``; messages never include the token.
        """
        try:
            claims = jwt.decode(
                token,
                self._secret.get_secret_value(),
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                options={"require": ["sub", "exp", "aud"], "verify_exp": False},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"token refused: {type(exc).__name__}") from exc
        expires = claims["exp"]
        if not isinstance(expires, int | float) or isinstance(expires, bool):
            raise InvalidToken("token refused: exp is not a number")
        if self._clock().timestamp() >= expires:
            raise ExpiredToken("token expired")
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject:
            raise InvalidToken("token refused: sub is not a user id")
        return VerifiedToken(user_id=subject, expires_at=datetime.fromtimestamp(expires, UTC))
