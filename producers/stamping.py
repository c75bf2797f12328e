"""What every published event's ``metadata`` says about where it came from, and its trace context.

Each producer stamps its events with its service name and version, the user, the provider, the
change's time, the correlation id (the backfill job id for backfills), a W3C trace context (a
new trace, or the caller's continued with a new span) and ``sequence``: the producer's own
order, which consumers use when the provider's clocks and markers leave two versions of an
item tied (``processors/common/versions.py``).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from schemas.models import EventMetadata, Provider

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$")


class SequenceClock:
    """Microseconds since the epoch, strictly increasing within the process (bumped on ties):
    two producer processes (the backfill runner and the bridge) stay roughly in wall-clock
    order with each other, and one process never repeats or goes back."""

    def __init__(self, now_us: Callable[[], int] = lambda: time.time_ns() // 1000) -> None:
        self._now_us = now_us
        self._last = 0
        self._lock = threading.Lock()  # the Google connectors run in threads

    def next(self) -> int:
        with self._lock:
            self._last = max(self._now_us(), self._last + 1)
            return self._last


@dataclass(frozen=True, slots=True)
class TraceContext:
    """A W3C trace context to continue (from a webhook's ``traceparent`` header, say)."""

    trace_id: str
    parent_span_id: str

    @classmethod
    def parse(cls, traceparent: str | None) -> TraceContext | None:
        """The context of a ``traceparent`` value; None when absent or malformed (a new trace starts)."""
        match = _TRACEPARENT.match(traceparent.strip().lower()) if traceparent else None
        if match is None or not match.group(1).strip("0") or not match.group(2).strip("0"):
            return None
        return cls(match.group(1), match.group(2))


class MetadataStamper:
    """Builds each event's ``EventMetadata`` for one producing service."""

    def __init__(
        self, *, source_service: str, source_version: str, clock: SequenceClock | None = None,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.source_service = source_service
        self.source_version = source_version
        self._clock = clock or SequenceClock()
        self._now = now

    def metadata(
        self, event_type: str, *, user_id: str, provider: Provider, occurred_at: dt.datetime,
        correlation_id: str | None = None, trace: TraceContext | None = None,
    ) -> EventMetadata:
        return EventMetadata.create(
            event_type=event_type, user_id=user_id, provider=provider, source_service=self.source_service,
            source_version=self.source_version, occurred_at=occurred_at, now=self._now(),
            correlation_id=correlation_id, trace_id=trace.trace_id if trace else None, sequence=self._clock.next(),
        )
