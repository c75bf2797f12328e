"""The live sync's Prometheus metrics (``officestream_bridge_*``), served by the bridge's
``/metrics`` page.

What an operator needs to see that "a dropped notification costs latency, never data" holds:
how requests are merged (a burst is one or two queries), how each sync ends (synced, resynced
after an expired cursor, held for a running backfill, paused for re-authorization), which
errors are being retried, what was published, and how long a sync takes from its start to the
stored cursor. Labels stay bounded: provider, resource, outcome, an error class; never a user.
"""

from __future__ import annotations

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram

_WHERE = ["provider", "resource"]


class LiveMetrics:
    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        self.registry = registry
        self.requests = Counter(
            "officestream_bridge_sync_requests",
            "Sync requests by what became of them: scheduled (a run starts), coalesced (merged into the run "
            "queued behind the running one), held (the doc type's backfill runs), ignored (integration paused, "
            "disconnected or unknown).",
            [*_WHERE, "disposition"], registry=registry,
        )
        self.syncs = Counter(
            "officestream_bridge_syncs",
            "Finished syncs by outcome: synced, resynced (an expired cursor: a full listing), held, skipped, reauth.",
            [*_WHERE, "outcome"], registry=registry,
        )
        self.retries = Counter(
            "officestream_bridge_sync_retries",
            "Failed sync attempts that are retried with backoff (the provider throttling or down, Kafka or Redis "
            "unavailable), by error class.",
            [*_WHERE, "error_class"], registry=registry,
        )
        self.events = Counter(
            "officestream_bridge_events_published",
            "Events a live sync published and had acknowledged: update, delete, batch (a resync's listing).",
            [*_WHERE, "kind"], registry=registry,
        )
        self.latency = Histogram(
            "officestream_bridge_sync_seconds",
            "From the start of a sync to its cursor stored (every event of it acknowledged first).",
            _WHERE, registry=registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
        )

    def requested(self, provider: str, resource: str, disposition: str) -> None:
        self.requests.labels(provider, resource, disposition).inc()

    def finished(self, provider: str, resource: str, outcome: str, seconds: float | None = None) -> None:
        self.syncs.labels(provider, resource, outcome).inc()
        if seconds is not None:
            self.latency.labels(provider, resource).observe(seconds)

    def retried(self, provider: str, resource: str, error: BaseException) -> None:
        self.retries.labels(provider, resource, type(error).__name__).inc()

    def published(self, provider: str, resource: str, *, updates: int, deletes: int, batches: int) -> None:
        for kind, count in (("update", updates), ("delete", deletes), ("batch", batches)):
            if count:
                self.events.labels(provider, resource, kind).inc(count)

    def value(self, name: str, **labels: str) -> float:
        """A sample's value (0 when absent), for tests and the status command."""
        return self.registry.get_sample_value(name, labels) or 0.0


#: The process's live sync metrics (one set per process, as Prometheus scrapes a process).
METRICS = LiveMetrics()
