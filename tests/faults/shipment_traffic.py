"""A steady stream of shipment e-mails for the shipments worker, and counting its sinks.

Each package is one user's UPS parcel, told in two e-mails on ``email-updates``: "shipped",
then "delivered" two days later. Some messages are delivered twice (the same bytes again, as an
at-least-once producer or a replay sends them), so an idempotence check that does not hold
shows up in the counts. What the worker must leave (``count_shipments``):

- the ``packages`` table (its changelog, the last record per key): every package with the
  status history [shipped e-mail, delivered e-mail], each entry once;
- ``shipment-updates``: per package, one distinct event id per kind (``created``,
  ``delivered``); a replay may send an event again under the same id, which readers drop.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import Counter
from dataclasses import dataclass, field

from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient

from connectors.kafka.settings import KafkaSettings
from schemas.models import ChangeType, EmailUpdateEvent
from schemas.serde import AvroEventSerde
from tests import factories
from tests.e2e.crashing import Record
from tests.kafka_helpers import read_all, read_plainly
from tests.unit.shipments import numbers
from tests.unit.shipments.mails import mail

KINDS = ("created", "delivered")


@dataclass(frozen=True)
class Parcel:
    user: str
    tracking_number: str

    @property
    def key(self) -> str:
        return f"{self.user}:{self.tracking_number}"

    @property
    def email_ids(self) -> tuple[str, str]:
        return f"{self.key}-shipped", f"{self.key}-delivered"


def parcels(count: int, *, users: int = 24, tag: str = "p") -> list[Parcel]:
    """``count`` parcels spread over ``users`` users (every partition gets some)."""
    return [Parcel(f"{tag}-user-{i % users}", numbers.ups(f"999AA1{i:09d}")) for i in range(count)]


def parcel_messages(serde: AvroEventSerde, topic: str, parcel: Parcel, stage: int) -> Record:
    """The ``stage``-th e-mail of ``parcel`` (0 shipped, 1 delivered) as a record on ``topic``."""
    subject = ("UPS Update: your package has shipped", "Delivered: your UPS package")[stage]
    at = factories.T0 + dt.timedelta(days=2 * stage)
    email = mail(sender="mcinfo@ups.com", name="UPS", subject=subject, email_id=parcel.email_ids[stage],
                 text=f"Your package is on its way.\nUPS tracking number: {parcel.tracking_number}\n")
    email = email.model_copy(update={"sent_at": at, "received_at": at})
    event = EmailUpdateEvent(metadata=factories.metadata("EmailUpdateEvent", user_id=parcel.user, occurred_at=at),
                             change_type=ChangeType.created, email_id=email.id, email=email)
    return parcel.user.encode(), serde.encode(topic, event), []


def waves(serde: AvroEventSerde, topic: str, all_parcels: list[Parcel], *, redeliver_every: int = 0) -> list[list[Record]]:
    """Two waves (every parcel shipped, then every parcel delivered); with ``redeliver_every``
    N, every N-th message of a wave is sent twice in a row."""
    result = []
    for stage in (0, 1):
        wave: list[Record] = []
        for i, parcel in enumerate(all_parcels):
            record = parcel_messages(serde, topic, parcel, stage)
            wave.extend([record, record] if redeliver_every and i % redeliver_every == 0 else [record])
        result.append(wave)
    return result


@dataclass
class SteadyProducer:
    """Produces records in small batches from a thread, ``batch`` every ``pause_s``, so the
    worker is processing while the test injects its fault."""

    kafka: KafkaSettings
    topic: str
    records: list[Record]
    batch: int = 10
    pause_s: float = 0.1
    sent: int = 0
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None

    def start(self) -> SteadyProducer:
        threading.Thread(target=self._run, name="steady-producer", daemon=True).start()
        return self

    def _run(self) -> None:
        producer = Producer(self.kafka.producer_config())
        try:
            while self.sent < len(self.records):
                for key, value, headers in self.records[self.sent:self.sent + self.batch]:
                    producer.produce(self.topic, value=value, key=key, headers=headers)
                assert producer.flush(30) == 0, "messages not acknowledged"
                self.sent = min(self.sent + self.batch, len(self.records))
                self.done.wait(self.pause_s)
        except BaseException as exc:  # noqa: BLE001 - reported by join()
            self.error = exc
        finally:
            self.done.set()

    def join(self, timeout_s: float = 120) -> None:
        assert self.done.wait(timeout_s), f"the producer sent {self.sent} of {len(self.records)} in {timeout_s}s"
        assert self.error is None, self.error
        assert self.sent == len(self.records)


def packages_changelog(kafka: KafkaSettings) -> str:
    return f"{kafka.group('shipments')}-packages-changelog"


@dataclass
class SinkCount:
    """One sink's verdict: effects expected, effects found, missing ones, doubled ones."""

    sink: str
    sent: int
    received: int
    lost: list[str]
    duplicates: list[str]

    def line(self) -> str:
        return (f"{self.sink}: sent {self.sent} / received {self.received} / lost {len(self.lost)} / "
                f"duplicate effects {len(self.duplicates)}")


def count_packages(kafka: KafkaSettings, expected: list[Parcel]) -> SinkCount:
    """Status-history entries in the packages table: two per parcel, each e-mail once."""
    latest = {json.loads(m.key()): json.loads(m.value()) for m in read_all(kafka, packages_changelog(kafka))
              if m.value() is not None}
    found: Counter[str] = Counter()
    for key, package in latest.items():
        for change in package["status_history"]:
            found[f"{key}/{change['email_id']}"] += 1
    wanted = [f"{p.key}/{email_id}" for p in expected for email_id in p.email_ids]
    return SinkCount("packages status history", len(wanted), sum(found.values()),
                     lost=[w for w in wanted if not found[w]], duplicates=[k for k, n in found.items() if n > 1])


def count_announcements(kafka: KafkaSettings, registry: SchemaRegistryClient, expected: list[Parcel]) -> SinkCount:
    """Distinct ``shipment-updates`` event ids per (package, kind): one each."""
    events = read_plainly(registry, read_all(kafka, kafka.topic("shipment-updates")))
    ids: dict[str, set[str]] = {}
    for event in events:
        cause = f"{event.metadata.user_id}:{event.package.tracking_number}/{event.kind.value}"
        ids.setdefault(cause, set()).add(str(event.metadata.event_id))
    wanted = [f"{p.key}/{kind}" for p in expected for kind in KINDS]
    return SinkCount("shipment-updates", len(wanted), sum(len(v) for v in ids.values()),
                     lost=[w for w in wanted if w not in ids], duplicates=[k for k, v in ids.items() if len(v) > 1])


def count_shipments(kafka: KafkaSettings, registry: SchemaRegistryClient, expected: list[Parcel]) -> list[SinkCount]:
    counts = [count_packages(kafka, expected), count_announcements(kafka, registry, expected)]
    for count in counts:
        print(count.line())
    return counts

