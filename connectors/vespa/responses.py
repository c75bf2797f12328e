"""What each /document/v1 answer means for the loader, and how long a Retry-After asks to wait.

From Vespa's /document/v1 reference ("HTTP status codes") and the retry rules of Vespa's own
feed client (vespa-feed-client ``HttpRequestStrategy``):

=====  ======================================  ==========================================
code   Vespa says                              the loader does
=====  ======================================  ==========================================
200    OK; also for an update or remove of a   applied (an update without ``create`` of a
       missing document                        missing document changes nothing)
412    condition not met, or condition given   condition_not_met: final, not an error
       and the document is missing
400    bad request (unknown field or type,     rejected: dead-letter this operation
       bad JSON, bad id)
413    content too large                       rejected
500    unspecified error processing it         rejected (Vespa's feed client does not
       (e.g. a document processor threw)       retry it either; retrying a poison
                                               document would block the partition)
429    too many operations in flight           retry with backoff (Vespa's client: always)
503    unable to produce a response now        retry with backoff
502    bad gateway (a proxy in front)          retry with backoff
504    timed out (``timeout`` parameter)       retry: the operation may or may not have
                                               been applied, and all three are idempotent
507    content cluster out of memory / disk    raise VespaInsufficientStorage at once
401,   credentials refused                     raise VespaConfigurationError
403
404,   only GET answers 404 for a missing      raise VespaConfigurationError: on a write it
405    document; on a write: no such path      means the URL is not a /document/v1 endpoint
other  --                                      4xx rejected, 5xx retried
=====  ======================================  ==========================================

Vespa itself sends no Retry-After; a proxy or load balancer in front of it may, so it is
honoured when present.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum


class Disposition(StrEnum):
    applied = "applied"
    condition_not_met = "condition_not_met"
    rejected = "rejected"
    retry = "retry"
    insufficient_storage = "insufficient_storage"
    misconfigured = "misconfigured"


_BY_STATUS = {
    200: Disposition.applied,
    412: Disposition.condition_not_met,
    429: Disposition.retry,
    502: Disposition.retry,
    503: Disposition.retry,
    504: Disposition.retry,
    500: Disposition.rejected,
    507: Disposition.insufficient_storage,
    401: Disposition.misconfigured,
    403: Disposition.misconfigured,
    404: Disposition.misconfigured,
    405: Disposition.misconfigured,
}


def disposition(status: int) -> Disposition:
    """What to do with a write that Vespa answered with ``status``."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if 200 <= status < 300:
        return Disposition.applied
    return Disposition.retry if status >= 500 else Disposition.rejected


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (delta-seconds or an HTTP date), or None
    when absent or unreadable. A date in the past means no wait."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
