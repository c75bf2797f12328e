"""The bridge's own Prometheus metrics (``officestream_bridge_webhooks_total`` ...), beside the
live sync's (``producers/live/metrics.py``), on the bridge's ``/metrics`` page.

What an operator needs to see that the push side holds: every webhook request by outcome (a
forged one is an attack or a rotated secret, unknown ones are registrations left at a provider,
duplicates are redeliveries), how fast they are answered, and every renewal or re-creation of a
registration by outcome (a failing renewal is retried; a lapsed registration costs latency until
the backstop). Labels stay bounded: provider, outcome, registration kind; never a user.
"""

from __future__ import annotations

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram

#: Webhook outcomes: accepted (a sync was requested), handshake (Graph's validation),
#: lifecycle (a Graph lifecycle notification acted on), sync (a Calendar channel opened),
#: duplicate (already covered: an older Gmail history id, a Calendar message number seen),
#: unknown (no registration of ours: acknowledged and ignored), inactive (the integration is
#: paused or disconnected), forged (secret, token or OIDC wrong: 401/403), malformed (400),
#: oversized (413).
WEBHOOK_OUTCOMES = ("accepted", "handshake", "lifecycle", "sync", "duplicate", "unknown", "inactive", "forged",
                    "malformed", "oversized")


class BridgeMetrics:
    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        self.registry = registry
        self.webhooks = Counter(
            "officestream_bridge_webhooks",
            "Webhook notifications by provider (microsoft, gmail, calendar) and outcome: " + ", ".join(WEBHOOK_OUTCOMES)
            + " (a Graph POST counts once per notification it carries).",
            ["provider", "outcome"], registry=registry,
        )
        self.webhook_seconds = Histogram(
            "officestream_bridge_webhook_seconds", "From a webhook request read to its answer (the work is queued).",
            ["provider"], registry=registry, buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
        )
        self.renewals = Counter(
            "officestream_bridge_renewals",
            "Renewals and re-creations of push registrations by kind (graph-subscription, gmail-watch, "
            "calendar-channel), action (renew, recreate) and outcome (ok, failed: retried with backoff, reauth).",
            ["kind", "action", "outcome"], registry=registry,
        )

    def webhook(self, provider: str, outcome: str, count: int = 1) -> None:
        self.webhooks.labels(provider, outcome).inc(count)

    def answered(self, provider: str, seconds: float) -> None:
        self.webhook_seconds.labels(provider).observe(seconds)

    def renewal(self, kind: str, action: str, outcome: str) -> None:
        self.renewals.labels(kind, action, outcome).inc()

    def value(self, name: str, **labels: str) -> float:
        """A sample's value (0 when absent), for tests."""
        return self.registry.get_sample_value(name, labels) or 0.0


#: The process's bridge metrics.
METRICS = BridgeMetrics()
