"""Errors of the Vespa package check. Both are fatal: retrying changes nothing.

Missing Java or Maven and failed downloads are the stack's errors (``ops.stack.exceptions``),
raised by the same finder and fetcher that serve Kafka.
"""

from __future__ import annotations


class VespaCheckError(Exception):
    """Base of the Vespa package check's errors."""


class ApplicationRejected(VespaCheckError):
    """Vespa's config model refuses the application package; the message is Vespa's."""


class ReaderFailed(VespaCheckError):
    """The reader itself failed (did not compile, crashed, timed out, printed no JSON)."""


class DeployFailed(VespaCheckError):
    """The config server refused the package, or did not come up in time; the message is Vespa's."""
