"""The messages the processors benchmark feeds: backfill batches of realistic emails (the serde
benchmark's records) and calendar batches, spread over a few users, pre-encoded for one topic."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from confluent_kafka import Producer
from serde_bench import (  # one record generator for both benches
    _address,
    _as_text,
    _paragraphs,
    make_email,
)

from connectors.kafka.settings import KafkaSettings
from schemas.models import (
    Attendee,
    AttendeeType,
    CalendarBatchEvent,
    CalendarEvent,
    EmailBackfillEvent,
    EventKind,
    EventMetadata,
    EventStatus,
    EventTime,
    Provider,
    ResponseStatus,
)
from schemas.serde import AvroEventSerde

SEED = 20240602
USERS = 24  # keys spread over the six partitions, as many users' backfills would
_ZONES = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "Europe/London", "America/Los_Angeles"]
_EPOCH = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Backlog:
    """Encoded messages for one topic: (key, value) pairs, ``items`` records in all."""

    topic: str
    messages: list[tuple[bytes, bytes]]
    items: int
    description: str

    @property
    def total_bytes(self) -> int:
        return sum(len(value) for _, value in self.messages)


def _metadata(event_type: str, user_id: str, job_id: str, rng: random.Random) -> EventMetadata:
    at = _EPOCH + dt.timedelta(seconds=rng.randint(0, 86400))
    return EventMetadata.create(
        event_type=event_type, user_id=user_id, provider=Provider.microsoft, source_service="bench",
        source_version="0", occurred_at=at, correlation_id=job_id,
    )


def email_backfill(serde: AvroEventSerde, topic: str, *, batches: int, batch_size: int) -> Backlog:
    """``batches`` EmailBackfillEvents of ``batch_size`` distinct emails (each ~3 KB body_text
    and ~3 KB body_html, 2 attachments, a few recipients), users taking turns."""
    rng = random.Random(SEED)
    messages = []
    for index in range(batches):
        user = f"bench-user-{index % USERS:02d}"
        emails = [make_email(rng, index * batch_size + i) for i in range(batch_size)]
        job = f"job-{user}"
        event = EmailBackfillEvent(metadata=_metadata("EmailBackfillEvent", user, job, rng), job_id=job,
                                   batch_index=index // USERS, emails=emails)
        messages.append((user.encode(), serde.encode(topic, event)))
    return Backlog(topic, messages, batches * batch_size,
                   f"EmailBackfillEvent x {batches}, {batch_size} emails each (body_text ~3 KB + body_html ~3 KB)")


def calendar_event(rng: random.Random, index: int) -> CalendarEvent:
    """A timed meeting (one in six a weekly series), 1-8 attendees, ~3 KB of invitation body."""
    zone = rng.choice(_ZONES)
    start = _EPOCH + dt.timedelta(days=rng.randint(0, 120), hours=rng.randint(7, 17), minutes=rng.choice([0, 30]))
    series = rng.random() < 1 / 6
    organizer = _address(rng)
    return CalendarEvent(
        id=f"AAMkAG{rng.getrandbits(256):064x}-{index}",
        provider=Provider.microsoft,
        ical_uid=f"{rng.getrandbits(128):032x}@bench.example",
        calendar_id="calendar",
        title=f"Meeting {index}: " + _paragraphs(rng, 30, lambda ps: " ".join(ps))[:60],
        body=_paragraphs(rng, 3000, _as_text),
        location=rng.choice([None, "Room 4.12", "Teams", "Cafe"]),
        start=EventTime(at=start, time_zone=zone),
        end=EventTime(at=start + dt.timedelta(minutes=rng.choice([15, 30, 60, 90])), time_zone=zone),
        kind=EventKind.series_master if series else EventKind.single,
        recurrence=["RRULE:FREQ=WEEKLY;COUNT=20"] if series else [],
        status=EventStatus.confirmed,
        organizer=organizer,
        attendees=[
            Attendee(address=_address(rng), type=AttendeeType.required, response=rng.choice(list(ResponseStatus)))
            for _ in range(rng.randint(1, 8))
        ],
        online_meeting_url=f"https://teams.example/join/{index}",
        version_marker=f"ck-{rng.getrandbits(40)}",
    )


def calendar_batches(serde: AvroEventSerde, topic: str, *, batches: int, batch_size: int) -> Backlog:
    """``batches`` CalendarBatchEvents of ``batch_size`` distinct calendar events, users taking turns."""
    rng = random.Random(SEED + 1)
    messages = []
    for index in range(batches):
        user = f"bench-user-{index % USERS:02d}"
        events = [calendar_event(rng, index * batch_size + i) for i in range(batch_size)]
        job = f"job-{user}"
        event = CalendarBatchEvent(metadata=_metadata("CalendarBatchEvent", user, job, rng), job_id=job,
                                   batch_index=index // USERS, calendar_events=events)
        messages.append((user.encode(), serde.encode(topic, event)))
    return Backlog(topic, messages, batches * batch_size,
                   f"CalendarBatchEvent x {batches}, {batch_size} events each (~3 KB body, 1/6 weekly series)")


def produce_backlog(kafka: KafkaSettings, backlog: Backlog) -> None:
    """Produce every message and wait until the broker acknowledged all of them."""
    producer = Producer(kafka.producer_config(**{"linger.ms": 20}))
    for key, value in backlog.messages:
        _produce(producer, backlog.topic, key, value)
    remaining = producer.flush(60)
    if remaining:
        raise RuntimeError(f"{remaining} messages to {backlog.topic} not acknowledged")


def _produce(producer: Producer, topic: str, key: bytes, value: bytes) -> None:
    while True:
        try:
            producer.produce(topic, value=value, key=key)
            return
        except BufferError:  # local queue full: let deliveries drain, then retry
            producer.poll(0.1)


