"""Errors of the replay tool. All are fatal: the operator has to change something first."""

from __future__ import annotations


class ReplayError(Exception):
    """Base of the replay tool's errors; the message says what to do."""


class InvalidReplayRequest(ReplayError):
    """The command line asks for something that cannot be done (no target, two targets, a
    datetime without a time zone, a partition the topic does not have)."""


class ReplayRefused(ReplayError):
    """The group to write has live members, or the side group already has offsets."""
