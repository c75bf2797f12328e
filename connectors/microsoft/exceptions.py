"""Errors of the Microsoft boundary (Azure AD and Graph), split into retriable and fatal.

``retriable`` answers the caller's one question: *will trying again later help?* Throttling
and outages do; a revoked grant, a misconfigured app or an unreadable payload do not.
``DeltaTokenExpired`` is neither: the caller resyncs the resource (``delta.resync``).

Errors carry a hash of the mailbox, never the address, and never a token or a message body.
"""

from __future__ import annotations

import hashlib


def mailbox_ref(mailbox: str | None) -> str | None:
    """A short stable reference to a mailbox for logs and errors (not the address itself)."""
    if mailbox is None:
        return None
    return hashlib.sha256(mailbox.lower().encode()).hexdigest()[:12]


class MicrosoftError(Exception):
    """Base of every error raised by ``connectors.microsoft``."""

    retriable = False

    def __init__(self, message: str, *, mailbox: str | None = None, http_status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.mailbox_ref = mailbox_ref(mailbox)
        self.http_status = http_status
        self.code = code

    def __str__(self) -> str:
        context = [f"{name}={value}" for name, value in
                   (("status", self.http_status), ("code", self.code), ("mailbox", self.mailbox_ref)) if value is not None]
        return f"{super().__str__()} ({', '.join(context)})" if context else super().__str__()


class ReauthRequired(MicrosoftError):
    """The user's grant is gone (``invalid_grant``: revoked consent, expired or revoked refresh
    token, password change, interaction required). Nothing but the user signing in again helps;
    the producers turn this into an ``IntegrationNeedsReauthEvent``."""

    def __init__(self, reason: str, detail: str | None = None, *, mailbox: str | None = None) -> None:
        super().__init__(f"re-authentication required: {reason}", mailbox=mailbox, code=reason)
        self.reason = reason
        self.detail = detail


class AuthConfigurationError(MicrosoftError):
    """Azure AD refused the application itself (``invalid_client``, unknown tenant, bad scope):
    fix the OFFICESTREAM_MICROSOFT_* settings."""


class AuthUnavailable(MicrosoftError):
    """Azure AD could not be reached or answered a transient error."""

    retriable = True


class GraphError(MicrosoftError):
    """Graph answered an error (``code`` is Graph's ``error.code``)."""


class GraphThrottled(GraphError):
    """429 through every attempt, or a Retry-After longer than the connector will wait."""

    retriable = True


class GraphUnavailable(GraphError):
    """Connection errors, timeouts, 502 / 503 / 504 through every attempt."""

    retriable = True


class GraphRequestError(GraphError):
    """Graph refused the request (400, 403, 404...): retrying the same request cannot help."""


class GraphNotFound(GraphRequestError):
    """404: the item or subscription is gone (deleted between a notification and the fetch)."""


class DeltaTokenExpired(GraphError):
    """410 Gone (``syncStateNotFound`` / ``resyncRequired``): the delta or skip token is no longer
    known. The resource needs a full resync (``delta.resync``), not a retry of the same link."""


class SubscriptionValidationFailed(GraphRequestError):
    """Graph could not validate the notification URL (the handshake failed or timed out)."""


class ClientStateMismatch(MicrosoftError):
    """A notification's ``clientState`` is not the one we gave its subscription: forged or stale.
    Drop the notification, never act on it."""


class NormalizationError(MicrosoftError, ValueError):
    """A Graph payload could not be read into a canonical record; the message says what is wrong."""
