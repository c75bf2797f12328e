"""The backfills' Prometheus metrics (``officestream_backfill_*``), served by the bridge's
``/metrics`` page (the bridge runs the backfill queue).

Progress as an operator watches it across every job: items and batches confirmed on Kafka per
provider and doc type (a rate of 0 while jobs run is a stuck crawl), jobs started and finished
by status, and how long providers held the crawls back (throttling). Labels stay bounded:
provider, doc type, status; never a user or a job id (``backfill status`` shows one job).
"""

from __future__ import annotations

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge


class BackfillMetrics:
    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        self.items = Counter(
            "officestream_backfill_items",
            "Items of backfill pages confirmed on Kafka (the page's cursor is stored after this).",
            ["provider", "doc_type"], registry=registry,
        )
        self.batches = Counter(
            "officestream_backfill_batches",
            "Batch events of backfill pages confirmed on Kafka.", ["provider", "doc_type"], registry=registry,
        )
        self.jobs_running = Gauge(
            "officestream_backfill_jobs_running", "Backfill jobs this process is running now.", ["provider"],
            registry=registry,
        )
        self.jobs_finished = Counter(
            "officestream_backfill_jobs_finished",
            "Backfill jobs that ended, by status (completed, failed, cancelled).", ["provider", "status"],
            registry=registry,
        )
        self.throttled_seconds = Counter(
            "officestream_backfill_throttled_seconds",
            "Seconds providers asked the crawls to wait (429, Retry-After, quota): the longest wait of each page.",
            ["provider"], registry=registry,
        )


#: The process's backfill metrics (one set per process, as Prometheus scrapes a process).
METRICS = BackfillMetrics()
