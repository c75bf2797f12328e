"""How a message can fail. The split decides its fate: retry (transient) or dead-letter (poison)."""

from __future__ import annotations


class ProcessingError(Exception):
    """Base of every error a service handler raises on purpose."""

    retriable = False


class TransientError(ProcessingError):
    """A dependency (Redis, Vespa, the content endpoint, the registry) is unavailable.
    Retried with backoff for as long as it takes: the message is never dead-lettered for it."""

    retriable = True


class PoisonMessage(ProcessingError):
    """The message itself can never be processed (undecodable, invalid, rejected downstream)."""


class WorkerMustStop(ProcessingError):
    """Work the service finished after the agent moved on failed in a way nothing can be done
    about here (e.g. its dead letter could not be sent). Neither retried nor dead-lettered: the
    record processor lets it through, the worker stops, and nothing is committed past it."""
