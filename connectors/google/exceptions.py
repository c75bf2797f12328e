"""Errors of the Google boundary, split into retriable and fatal.

``retriable`` answers one question for the caller: *will the same call work later without a
person doing something?* Quota and server trouble will (the backfill slows down, nothing is
lost); a revoked grant, a refused request or an unreadable payload will not. Errors carry their
context (HTTP status, Google's error reason, a hash of the user) and never a token or a body.
"""

from __future__ import annotations

import hashlib


def user_hash(user: str | None) -> str | None:
    """A short stable stand-in for a mailbox address in logs and error messages."""
    return hashlib.sha256(user.encode()).hexdigest()[:12] if user else None


class GoogleError(Exception):
    """Base of every error raised by ``connectors.google``."""

    retriable = False

    def __init__(self, message: str, *, status: int | None = None, reason: str | None = None, user: str | None = None) -> None:
        self.status = status
        self.reason = reason
        self.user_hash = user_hash(user)
        context = ", ".join(
            f"{key}={value}" for key, value in (("status", status), ("reason", reason), ("user", self.user_hash)) if value
        )
        super().__init__(f"{message} ({context})" if context else message)


class GoogleUnavailable(GoogleError):
    """Google (or the network) failed through every retry: 5xx answers, timeouts, resets."""

    retriable = True


class QuotaExceeded(GoogleUnavailable):
    """429 / 403 rateLimitExceeded kept coming through every retry; ``retry_after_s`` is
    Google's hint (or our last backoff) for when to try the whole operation again."""

    def __init__(self, message: str, *, retry_after_s: float | None = None, **context: object) -> None:
        super().__init__(message, **context)  # type: ignore[arg-type]
        self.retry_after_s = retry_after_s


class ReauthRequired(GoogleError):
    """The user's grant is gone (``invalid_grant``: revoked, expired, password changed, or the
    delegation was withdrawn): only the user or an admin reconnecting fixes it."""

    def __init__(self, reason: str, detail: str, *, user: str | None = None) -> None:
        super().__init__(f"re-authorization required: {detail}", reason=reason, user=user)
        self.detail = detail


class AuthConfigError(GoogleError):
    """The client itself is misconfigured (unknown client, bad secret, unreadable service
    account file, credentials missing from the settings)."""


class RequestRejected(GoogleError):
    """Google refused the request for a reason retrying cannot fix (400, 403, 404...)."""


class CursorExpired(GoogleError):
    """A stored sync cursor (Gmail historyId, Calendar syncToken, People syncToken) is too old:
    Gmail 404, Calendar 410, People 400 EXPIRED_SYNC_TOKEN. The sync functions answer it with a
    full resync; it reaches callers only of the low-level client methods."""


class NormalizationError(GoogleError):
    """A provider payload cannot be turned into a canonical record; the message says what is
    wrong with it (never the content itself)."""


class PushRejected(GoogleError):
    """A push notification (Pub/Sub envelope or Calendar channel message) is malformed, too
    large or carries a wrong token: it is answered and dropped, never acted upon."""
