"""Errors of the dead-letter tools. A letter that cannot be replayed is not an error but an
outcome (``replays.ReplayOutcome``); these end the whole command."""

from __future__ import annotations


class DlqError(Exception):
    """Base of the dead-letter tools' errors; the message says what to do."""


class InvalidDlqRequest(DlqError):
    """An unknown service, or a malformed ``--offsets`` range."""


class OriginalUnavailable(DlqError):
    """A letter sent by reference whose original value is gone from Redis (expired) or does
    not match the size and sha256 the letter names. That letter cannot be shown or replayed."""
