"""The demo's end: wait until the pipeline has settled (reconciliation clean, or a timeout), then
count what went through, read from where it lives (topics, changelogs, the feed file, the
demo's own SSE clients), and print it with the reconciliation's verdict."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from connectors.kafka.compacted import read_compacted
from connectors.kafka.settings import KafkaSettings
from connectors.kafka.topic_reader import read_records
from connectors.vespa.settings import DEFAULT_NAMESPACE
from connectors.kafka.topics import (
    CALENDAR_UPDATES,
    CONTACT_UPDATES,
    EMAIL_BACKFILL,
    EMAIL_UPDATES,
    MEETING_UPDATES,
    SHIPMENT_UPDATES,
    SHIPMENTS,
    TOPICS,
)
from ops.reconcile import Holdings, Verdict, feed_file_documents, meetings_holdings, provider_holdings, reconcile
from schemas.models import CalendarBatchEvent, ContactBatchEvent, DocType, EmailBackfillEvent
from schemas.registry_client import registry_client
from schemas.registry_settings import RegistrySettings
from schemas.serde import AvroEventSerde

if TYPE_CHECKING:
    from ops.demo.run import Demo

_BATCH_ITEMS = {EmailBackfillEvent: "emails", CalendarBatchEvent: "calendar_events", ContactBatchEvent: "contacts"}
_DOC_TOPICS = {"emails": (EMAIL_BACKFILL, EMAIL_UPDATES), "calendar_events": (CALENDAR_UPDATES,),
               "contacts": (CONTACT_UPDATES,)}


@dataclass
class Summary:
    run_id: str
    topic_prefix: str
    users: dict[str, str]
    live_rounds: int
    published: dict[str, dict[str, int]] = field(default_factory=dict)
    vespa: dict[str, int] = field(default_factory=dict)
    meetings: int = 0
    meeting_updates: int = 0
    packages_tracked: int = 0
    shipment_updates: int = 0
    notifications_delivered: dict[str, int] = field(default_factory=dict)
    notifications_repeated: int = 0
    dead_letters: dict[str, int] = field(default_factory=dict)
    settled_after_s: float | None = None
    #: Every process the demo started (name → pid); all are stopped before the demo exits.
    processes: dict[str, int] = field(default_factory=dict)
    reconciliation: dict = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return bool(self.reconciliation.get("clean"))

    def to_json(self) -> str:
        return json.dumps(asdict(self) | {"clean": self.clean}, indent=2)

    def describe(self) -> str:
        rec = self.reconciliation
        lines = [
            f"officestream demo {self.run_id} (topics {self.topic_prefix}*): {len(self.users)} users, "
            f"{self.live_rounds} rounds of live changes",
            *(f"  published {kind:<16} backfill {c['backfill']:>6}  live updates {c['updates']:>5}"
              for kind, c in self.published.items()),
            f"  Vespa documents (feed file)  {self.vespa.get('documents', 0)} held, {self.vespa.get('puts', 0)} puts, "
            f"{self.vespa.get('removes', 0)} removes",
            f"  meetings stored              {self.meetings} ({self.meeting_updates} meeting updates announced)",
            f"  packages tracked             {self.packages_tracked} ({self.shipment_updates} shipment updates)",
            f"  notifications delivered      {sum(self.notifications_delivered.values())} to the demo's SSE clients"
            + (f" ({self.notifications_repeated} repeated ids)" if self.notifications_repeated else ""),
            f"  dead letters                 {sum(self.dead_letters.values())}"
            + (f" {self.dead_letters}" if any(self.dead_letters.values()) else ""),
            "  reconciliation               " + (
                f"clean: every sink holds every provider item at its version ({len(rec.get('checks', []))} checks)"
                if self.clean else
                f"GAPS: {rec.get('missing')} missing, {rec.get('extra')} extra, {rec.get('stale')} stale "
                "(`officestream reconcile` lists them)"),
        ]
        return "\n".join(lines)


def demo_kafka(demo: Demo) -> KafkaSettings:
    """The Kafka settings of the demo's children (its own topic prefix)."""
    return KafkaSettings.from_env({}, bootstrap_servers=demo.env["OFFICESTREAM_KAFKA_BOOTSTRAP_SERVERS"],
                                  topic_prefix=demo.env["OFFICESTREAM_KAFKA_TOPIC_PREFIX"])


def settle(demo: Demo, *, poll_s: float = 5.0, also: dict[tuple[str, str], Holdings] | None = None) -> Verdict:
    """Reconcile until clean or ``settle_timeout_s`` passed; the last verdict. ``also``: the
    provider's holdings of users the bridge does not hold (backfilled without connecting them,
    by ``officestream backfill``), reconciled with the bridge's."""
    kafka, also = demo_kafka(demo), also or {}
    demo.say("settling: waiting until every sink holds what the providers hold")
    started = time.monotonic()
    verdict = _reconcile(demo, kafka, also)
    while not verdict.clean and time.monotonic() - started < demo.options.settle_timeout_s:
        demo.children.check_alive()
        time.sleep(poll_s)
        verdict = _reconcile(demo, kafka, also)
    return verdict


def settle_and_summarize(demo: Demo) -> Summary:
    kafka = demo_kafka(demo)
    started = time.monotonic()
    verdict = settle(demo)
    summary = Summary(run_id=demo.run_id, topic_prefix=kafka.topic_prefix, users=demo.users,
                      live_rounds=getattr(demo, "rounds", 0), reconciliation=verdict.as_json(),
                      settled_after_s=round(time.monotonic() - started, 1) if verdict.clean else None)
    _count(summary, demo, kafka)
    summary.processes = dict(demo.children.started)
    return summary


def _reconcile(demo: Demo, kafka: KafkaSettings, also: dict[tuple[str, str], Holdings]) -> Verdict:
    expected, unreadable = provider_holdings(demo.bridge_url, demo.internal_token)
    return reconcile(kafka, expected | also, feed_file=demo.feed_file, namespace=DEFAULT_NAMESPACE, unreadable=unreadable)


def _count(summary: Summary, demo: Demo, kafka: KafkaSettings) -> None:
    serde = AvroEventSerde(registry_client(RegistrySettings.from_env(url=demo.env["OFFICESTREAM_REGISTRY_URL"])))
    for kind, topics in _DOC_TOPICS.items():
        counts = {"backfill": 0, "updates": 0}
        for topic in topics:
            for value in read_values(kafka, kafka.topic(topic)):
                event = serde.decode(value)
                items = _BATCH_ITEMS.get(type(event))
                if items is not None:
                    counts["backfill"] += len(getattr(event, items)) + len(getattr(event, f"{items}_refs"))
                elif type(event).__name__.endswith("UpdateEvent"):
                    counts["updates"] += 1
        summary.published[kind] = counts
    operations = [json.loads(line) for line in demo.feed_file.read_text().splitlines()] if demo.feed_file.exists() else []
    summary.vespa = {"documents": len(feed_file_documents(demo.feed_file)),
                     "puts": sum("put" in o for o in operations), "removes": sum("remove" in o for o in operations)}
    summary.meetings = sum(len(h.get(DocType.calendar_event, {})) for h in meetings_holdings(kafka, demo.users).values())
    summary.meeting_updates = len(read_values(kafka, kafka.topic(MEETING_UPDATES)))
    summary.packages_tracked = len(read_compacted(kafka, f"{kafka.group(SHIPMENTS)}-packages-changelog"))
    summary.shipment_updates = len(read_values(kafka, kafka.topic(SHIPMENT_UPDATES)))
    summary.notifications_delivered = dict(demo.sse.delivered)
    summary.notifications_repeated = sum(demo.sse.duplicates.values())
    summary.dead_letters = {spec.name: len(read_values(kafka, kafka.topic(spec.name)))
                            for spec in TOPICS if spec.name.endswith("-dlq")}


def read_values(kafka: KafkaSettings, topic: str) -> list[bytes]:
    """The values ``topic`` holds now (tombstones left out)."""
    return [r.value for r in read_records(kafka, topic, timeout_s=60) if r.value is not None]
