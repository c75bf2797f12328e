"""Errors of the local stack; each message says what to fix in one line."""

from __future__ import annotations


class StackError(Exception):
    """Base of every local-stack error."""


class PrerequisiteMissing(StackError):
    """A tool the stack needs (Java, Maven, redis-server) is missing or too old."""


class PortInUse(StackError):
    """A port the stack wants is taken by a process the stack did not start."""


class DownloadFailed(StackError):
    """Fetching a component from Maven Central failed."""


class ComponentFailed(StackError):
    """A component did not become healthy; carries the tail of its log."""

    def __init__(self, component: str, reason: str, log_tail: str = "") -> None:
        self.component = component
        self.log_tail = log_tail
        super().__init__(f"{component}: {reason}")
