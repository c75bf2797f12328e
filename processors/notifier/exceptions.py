"""Errors of the notifier's HTTP side, split into retriable and fatal.

Token errors are the client's to fix (a new token), never the server's to retry; a notification
that cannot be built from a message is a poison message for the dead-letter topic.
"""

from __future__ import annotations


class NotifierError(Exception):
    """Base of every error raised by ``processors.notifier``."""

    retriable = False


class TokenError(NotifierError):
    """A stream token was refused. The message says why, never the token itself."""


class MissingToken(TokenError):
    """The request carried no token (no ``Authorization: Bearer`` header, no ``?token=``)."""


class InvalidToken(TokenError):
    """The token is malformed, signed with another key, or lacks a required claim."""


class ExpiredToken(TokenError):
    """The token was valid once; its ``exp`` has passed. The client needs a fresh one."""


class InvalidNotification(NotifierError):
    """A message cannot become a notification (bad kind, payload not JSON or too large).

    Fatal: retrying the same message fails the same way, so it belongs in the dead-letter topic.
    """


class ConnectionLimitReached(NotifierError):
    """A new connection would exceed a limit; the client should retry later (``Retry-After``).

    Retriable for the client, never for the server: the refused connection is not kept.
    """

    retriable = True


class UserConnectionLimitReached(ConnectionLimitReached):
    """The user already has ``max_connections_per_user`` open connections here: HTTP 429."""


class ServerConnectionLimitReached(ConnectionLimitReached):
    """This instance already holds ``max_connections`` open connections: HTTP 503."""


class SubscriptionClosed(NotifierError):
    """The hub closed a connection's subscription: ``reason`` is ``slow_consumer`` or ``shutdown``.

    Not a failure of the server: the client reconnects (with ``Last-Event-ID``) and resumes.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(f"subscription closed: {reason}")
        self.reason = reason


class InvalidResumeToken(NotifierError):
    """A ``Last-Event-ID`` in the resume token form that does not decode: HTTP 400.

    The client's to fix (reconnect without it, and refetch its state); the message says what is
    wrong, never the value.
    """
