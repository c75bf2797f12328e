"""What the backfill tests share: a publisher and job store on the test stack, and the items a
backfill put on Kafka, read back (references resolved)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from connectors.kafka.settings import KafkaSettings
from connectors.redis.payload_store import PayloadStore
from producers.backfill.job import BackfillJob
from producers.backfill.runner import BackfillRunner
from producers.backfill.store import JobStore
from producers.publisher import Publisher
from producers.settings import ProducerSettings
from producers.stamping import MetadataStamper
from schemas.models import CalendarBatchEvent, ContactBatchEvent, DocType, EmailBackfillEvent
from schemas.serde import AvroEventSerde
from tests.kafka_helpers import read_all

TOPIC_OF = {DocType.email: "email-backfill", DocType.calendar_event: "calendar-updates", DocType.contact: "contact-updates"}


def publisher_for(kafka: KafkaSettings, serde: AvroEventSerde, payloads: PayloadStore, **settings: object) -> Publisher:
    return Publisher(kafka=kafka, settings=ProducerSettings.from_env({}, **settings), serde=serde, payloads=payloads,
                     stamper=MetadataStamper(source_service="office-backfill", source_version="test"))


@dataclass
class Published:
    """One doc type's batch events of a job, in the order they were published."""

    events: list
    ids: list[str]

    def counts(self) -> Counter[str]:
        return Counter(self.ids)


async def published(kafka: KafkaSettings, serde: AvroEventSerde, payloads: PayloadStore, job: BackfillJob,
                    doc_type: DocType) -> Published:
    kinds = {DocType.email: EmailBackfillEvent, DocType.calendar_event: CalendarBatchEvent, DocType.contact: ContactBatchEvent}
    events = [serde.decode(m.value()) for m in read_all(kafka, kafka.topic(TOPIC_OF[doc_type]))]
    events = [e for e in events if isinstance(e, kinds[doc_type]) and e.job_id == job.job_id]
    ids: list[str] = []
    field = {DocType.email: "emails", DocType.calendar_event: "calendar_events", DocType.contact: "contacts"}[doc_type]
    for event in events:
        ids += [record.id for record in getattr(event, field)]
        for ref in getattr(event, f"{field}_refs"):
            record = await payloads.get(ref, user_id=job.user_id, doc_type=doc_type)
            ids.append(record.id)
    return Published(events, ids)


def runner_for(publisher: Publisher, kafka: KafkaSettings, crawlers, **kwargs: object) -> BackfillRunner:
    return BackfillRunner(publisher=publisher, store=JobStore(kafka, publisher), crawlers=crawlers, **kwargs)
