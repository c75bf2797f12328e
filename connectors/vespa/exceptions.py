"""Errors of the Vespa boundary, split into retriable and fatal.

``retriable`` answers one question for the consumer: *is the message at fault?* A feed call
raises only for conditions that concern every operation alike (Vespa unreachable, throttling
that outlasts the retries, out of storage, a misconfigured endpoint, an unwritable feed file).
None of those is the message's fault, so all are retriable: the consumer waits and retries
instead of dead-lettering every message it reads.

A document Vespa refuses (400, 413, 500) is *not* raised by the feed: it comes back as a
``FeedResult`` with outcome ``rejected`` so the caller can dead-letter that one operation while
the others succeed; ``FeedResult.error()`` turns it into a ``DocumentRejected`` (fatal).
``connectors.vespa.responses`` maps every /document/v1 status code, with the reasons.
"""

from __future__ import annotations


class VespaError(Exception):
    """Base of every error raised by ``connectors.vespa``."""

    retriable = False

    def __init__(self, message: str, *, http_status: int | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status


class VespaUnavailable(VespaError):
    """Vespa did not take an operation within the retries: connection errors, timeouts,
    502 / 503 / 504. Operations are idempotent (put, assign-update, remove), so retrying the
    whole message later is safe."""

    retriable = True


class VespaThrottled(VespaUnavailable):
    """Vespa kept answering 429 (too many operations in flight) through every retry."""


class VespaInsufficientStorage(VespaError):
    """507: the content cluster is out of memory or disk and blocks all feeding until an
    operator adds capacity. Raised at once rather than retried per operation: the retries
    could not help, and the consumer's own backoff keeps the partition waiting."""

    retriable = True


class VespaConfigurationError(VespaError):
    """401 / 403 (credentials) or 404 / 405 (not a /document/v1 endpoint): no document can
    succeed until the configuration is fixed. Retriable because the message is not at fault
    (dead-lettering would empty the topic into the dead-letter topic); the logs say what to fix."""

    retriable = True


class FeedFileError(VespaError):
    """File mode could not append to or sync the feed file (disk full, permissions)."""

    retriable = True


class InvalidDocumentId(VespaError, ValueError):
    """A document id part is empty or has a character Vespa does not allow there. Fatal."""


class DocumentRejected(VespaError):
    """Vespa refused one operation (bad field, too large, failed in a document processor).
    Fatal for that operation: dead-letter it with this message as the reason."""
