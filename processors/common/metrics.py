"""The workers' Prometheus metrics (``officestream_processor_*``), served at ``/metrics`` on the
worker's faust web server.

What an operator needs to see that the delivery promise holds: how often messages are retried
and why (a dependency that is down), which partitions hold a message retried past the stall
limit (``OFFICESTREAM_PROCESSOR_STALLED_AFTER_ATTEMPTS``: nothing behind it moves), and how many
messages went to the dead-letter topic, by error class. Labels stay bounded: service, topic,
partition and an exception class name, never an id.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

METRICS_PATH = "/metrics"


class ProcessorMetrics:
    """The metrics of one worker process, on ``registry`` (prometheus_client's default registry,
    which also carries the process collectors, unless a test passes its own)."""

    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        self.registry = registry
        where = ["service", "topic", "partition"]
        self.retries = Counter(
            "officestream_processor_retries",
            "Failed attempts at a message that are retried (transient: a dependency is down; or an unexpected error).",
            [*where, "error_class"], registry=registry,
        )
        self.stalled_messages = Gauge(
            "officestream_processor_stalled_messages",
            "Messages retried past OFFICESTREAM_PROCESSOR_STALLED_AFTER_ATTEMPTS and still not done: their partition waits.",
            where, registry=registry,
        )
        self.stalls = Counter(
            "officestream_processor_stalls",
            "Messages that were retried past OFFICESTREAM_PROCESSOR_STALLED_AFTER_ATTEMPTS.",
            where, registry=registry,
        )
        self.dead_letters = Counter(
            "officestream_processor_dead_letters",
            "Messages sent to the service's dead-letter topic, by the class of the error that put them there.",
            ["service", "topic", "error_class"], registry=registry,
        )

        self.messages = Counter(
            "officestream_processor_messages",
            "Messages a worker finished, by outcome: handled (effects applied, or found already applied) or dead-lettered.",
            ["service", "topic", "outcome"], registry=registry,
        )
        self.message_seconds = Histogram(
            "officestream_processor_message_seconds",
            "Time from a message's arrival in the agent to its outcome (retries included).",
            ["service"], registry=registry, buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30),
        )
        self.event_age = Histogram(
            "officestream_processor_event_age_seconds",
            "A message's age when its effect was applied: now minus its Kafka timestamp (produce to effect latency).",
            ["service"], registry=registry, buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60, 600),
        )
        self.consumer_lag = Gauge(
            "officestream_processor_consumer_lag",
            "Messages behind the partition's end, as of the last message the worker finished on it.",
            ["service", "topic", "partition"], registry=registry,
        )

    def finished(self, service: str, topic: str, partition: int, outcome: str, *, seconds: float,
                 age_s: float | None, lag: int | None) -> None:
        """One message done: counted by outcome, timed, its age and its partition's lag noted."""
        self.messages.labels(service, topic, outcome).inc()
        self.message_seconds.labels(service).observe(seconds)
        if age_s is not None and age_s >= 0:
            self.event_age.labels(service).observe(age_s)
        if lag is not None:
            self.consumer_lag.labels(service, topic, str(partition)).set(max(lag, 0))

    def retried(self, service: str, topic: str, partition: int, error: BaseException) -> None:
        self.retries.labels(service, topic, str(partition), type(error).__name__).inc()

    def stall_began(self, service: str, topic: str, partition: int) -> None:
        self.stalls.labels(service, topic, str(partition)).inc()
        self.stalled_messages.labels(service, topic, str(partition)).inc()

    def stall_ended(self, service: str, topic: str, partition: int) -> None:
        self.stalled_messages.labels(service, topic, str(partition)).dec()

    def dead_lettered(self, service: str, topic: str, error: BaseException) -> None:
        self.dead_letters.labels(service, topic, type(error).__name__).inc()

    def exposition(self) -> bytes:
        """The metrics in Prometheus' text format (``CONTENT_TYPE_LATEST``)."""
        return generate_latest(self.registry)


#: The worker process's metrics (one set per process, as Prometheus scrapes a process).
METRICS = ProcessorMetrics()


def serve_metrics(app: Any, metrics: ProcessorMetrics = METRICS) -> None:
    """Serve ``metrics`` at ``/metrics`` on the faust ``app``'s web server."""

    async def metrics_page(view: Any, request: Any) -> Any:
        # aiohttp refuses a charset inside ``content_type=``: give the full header instead.
        return view.bytes(metrics.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.page(METRICS_PATH, name="officestream_metrics")(metrics_page)
