"""Scale-out: two workers of every service on the six-partition topics leave the very state one
worker of each leaves, from the same input.

The same events (email backfill batches with UPS mails among them, calendar updates; twelve
users over the six partitions) go to two topic prefixes: under the first one worker of each
service runs, under the second two (two notifier instances: each reads everything). Compared
after both settled: the vespa-loader's feed (every document, once; both workers of the second
feed some: the partitions were split), the idempotence ledgers of vespa-loader and shipments,
the meetings and packages tables (the last record of every key on their changelogs), the
derived meeting and shipment updates (by event id: a replay may send one again, same id), and
the notifications each notifier instance published.

Both variants' workers are all ready before the input is produced, so the second variant's
rebalance (the second worker joining) is over before there is work. The second test starts two
workers together on a backlog: the first one works alone for a few seconds, then the second
joins and the partitions are split while records are in flight.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient

from connectors.kafka.settings import KafkaSettings
from schemas.models import CalendarBatchEvent, CalendarUpdateEvent, ChangeType, EmailBackfillEvent, EventKind
from tests import factories
from tests.e2e.worker_faults import ups_mail
from tests.kafka_helpers import committed_offsets, committed_total, deduplicated, prepared, produce, read_all, read_plainly, record_count
from tests.waiting import wait_for
from tests.workers import FaustWorker, worker_env

pytestmark = [pytest.mark.integration, pytest.mark.faults]

USERS = [f"scale-user-{n}" for n in range(12)]
SERVICES = ("vespa-loader", "meetings", "shipments")
RECOVERED = "[^---Recovery]: Worker ready"
SECRET = "scale-out-secret-" + "x" * 32


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def workload() -> tuple[list[EmailBackfillEvent], list[CalendarUpdateEvent]]:
    """Per user: two backfill batches (three plain mails and a UPS mail each) and three meetings."""
    at = factories.T0
    backfills = [EmailBackfillEvent(
        metadata=factories.metadata("EmailBackfillEvent", user_id=user), job_id=f"job-{user}", batch_index=batch,
        emails=[factories.email(f"{user}-b{batch}-{i}") for i in range(3)]
        + [ups_mail(f"{user}-ups-{batch}", at + dt.timedelta(days=batch),
                    subject="Delivered: your UPS package" if batch else "UPS Update: shipped")],
    ) for batch in (0, 1) for user in USERS]
    meetings = [CalendarUpdateEvent(
        metadata=factories.metadata("CalendarUpdateEvent", user_id=user), change_type=ChangeType.created,
        calendar_event_id=f"{user}-m{n}",
        calendar_event=factories.calendar_event(f"{user}-m{n}", title=f"Meeting {n} of {user}", kind=EventKind.single,
                                                recurrence=[]),
    ) for n in range(3) for user in USERS]
    return backfills, meetings


class Variant:
    """One prefix with ``count`` workers of every service, all started (and ready) on entry."""

    def __init__(self, stack, topic_prefix: str, count: int, tmp_path: Path) -> None:
        self.stack, self.prefix, self.count, self.dir = stack, topic_prefix, count, tmp_path / topic_prefix
        self.kafka: KafkaSettings = prepared(stack, topic_prefix)
        self.feeds = [self.dir / f"feed-{n}.jsonl" for n in range(count)]
        self.ports = [free_port() for _ in range(count)]
        self.workers: list[FaustWorker] = []

    def start(self, stop_all: ExitStack) -> None:
        for n in range(self.count):
            for service in (*SERVICES, "notifier"):
                env = worker_env(self.stack, self.prefix, self.dir / f"data-{service}-{n}", **self._extra(service, n))
                worker = FaustWorker(service.replace("-", "_"), env, self.dir / f"{service}-{n}.log")
                self.workers.append(stop_all.enter_context(worker))
                worker.start(ready_timeout_s=120)
        for worker in self.workers:  # every worker has its partitions: the rebalances are over
            wait_for(lambda w=worker: RECOVERED in w.log_text(), timeout_s=120, what=f"{worker.log_path} recovered")

    def _extra(self, service: str, n: int) -> dict[str, str]:
        if service == "vespa-loader":
            return {"OFFICESTREAM_VESPA_FEED_FILE": str(self.feeds[n])}
        if service == "notifier":
            return {"OFFICESTREAM_NOTIFIER_TOKEN_SECRET": SECRET, "OFFICESTREAM_NOTIFIER_PORT": str(self.ports[n]),
                    "OFFICESTREAM_NOTIFIER_INSTANCE_ID": f"scale-{n}"}
        return {}

    def produce(self, serde, backfills: list[EmailBackfillEvent], meetings: list[CalendarUpdateEvent]) -> None:
        for topic, events in ((self.kafka.topic("email-backfill"), backfills), (self.kafka.topic("calendar-updates"), meetings)):
            produce(self.kafka, topic, [(e.metadata.user_id.encode(), serde.encode(topic, e), []) for e in events])

    def settled(self, backfills: int, meetings: int) -> bool:
        """Every service's group committed all its input (faust flushes its writes, derived
        events included, before it commits)."""
        groups = [("vespa-loader", "email-backfill", backfills), ("vespa-loader", "calendar-updates", meetings),
                  ("shipments", "email-backfill", backfills), ("meetings", "calendar-updates", meetings)]
        return all(committed_total(self.kafka, self.kafka.group(g), self.kafka.topic(t)) >= want for g, t, want in groups)

    def notified(self) -> bool:
        """Every notifier instance committed every record of its topics (it publishes first)."""
        topics = [self.kafka.topic(t) for t in ("email-backfill", "calendar-updates", "meeting-updates", "shipment-updates")]
        return all(committed_total(self.kafka, self.kafka.group(f"client-sse.scale-{n}"), topic) >= record_count(self.kafka, topic)
                   for n in range(self.count) for topic in topics)

    def published(self) -> list[int]:
        return [httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json()["published"] for port in self.ports]

    def state(self, registry: SchemaRegistryClient) -> dict[str, object]:
        """What the sinks hold, free of the prefix: comparable between variants."""
        lines = sorted(line for feed in self.feeds if feed.exists() for line in feed.read_text().splitlines())
        state: dict[str, object] = {"feed": [json.loads(line.replace(self.prefix, "")) for line in lines]}
        for service, table in (("vespa-loader", "applied"), ("shipments", "applied"), ("meetings", "meetings"),
                               ("shipments", "packages")):
            records = read_all(self.kafka, f"{self.kafka.group(service)}-{table}-changelog")
            state[f"{service}/{table}"] = {m.key(): m.value() for m in records}  # the last record of each key
        for topic in ("meeting-updates", "shipment-updates"):
            events = deduplicated(read_plainly(registry, read_all(self.kafka, self.kafka.topic(topic))))
            state[topic] = sorted(e.model_dump_json(exclude={"metadata": {"produced_at", "trace_id", "span_id"}})
                                  for e in events)
        return state


def test_two_workers_of_each_service_leave_the_state_one_worker_leaves(stack, serde, registry, topic_prefix, tmp_path):
    backfills, meetings = workload()
    one, two = Variant(stack, f"{topic_prefix}one-", 1, tmp_path), Variant(stack, f"{topic_prefix}two-", 2, tmp_path)
    states, published = {}, {}
    for variant in (one, two):
        with ExitStack() as stop_all:
            variant.start(stop_all)
            variant.produce(serde, backfills, meetings)
            wait_for(lambda v=variant: v.settled(len(backfills), len(meetings)), timeout_s=180, what="input committed")
            wait_for(variant.notified, timeout_s=60, what="notifications published")
            published[variant.count] = variant.published()
        states[variant.count] = variant.state(registry)

    assert all(feed.exists() and feed.read_text() for feed in two.feeds), "both vespa-loaders fed part of the input"
    expected_documents = 4 * len(backfills) + len(meetings)
    assert len(states[1]["feed"]) == expected_documents
    for sink in states[1]:
        assert states[2][sink] == states[1][sink], f"{sink} differs between one worker and two"
    assert len(states[1]["shipments/packages"]) == len(USERS) and len(states[1]["meetings/meetings"]) == len(meetings)
    assert published[2] == published[1] * 2  # each instance published every notification, once


def test_two_workers_started_together_on_a_backlog_apply_every_message(stack, serde, topic_prefix, tmp_path):
    """The group rebalances when the second worker joins, while the first is working through
    the backlog and has committed nothing yet. A partition it keeps was left by aiokafka past
    the records faust dropped from its queues: they were skipped and later committed past
    (bench/scale_out_bench.py: meetings' table without whole messages' events), or never
    committed (faust_transport.BoundedFetchConsumerThread.seek_to_committed)."""
    kafka = prepared(stack, topic_prefix)
    topic = kafka.topic("calendar-updates")
    batches = [CalendarBatchEvent(
        metadata=factories.metadata("CalendarBatchEvent", user_id=USERS[n % len(USERS)]), job_id="job", batch_index=n,
        calendar_events=[factories.calendar_event(f"ev-{n}-{i}", kind=EventKind.single, recurrence=[]) for i in range(40)],
    ) for n in range(240)]
    produce(kafka, topic, [(b.metadata.user_id.encode(), serde.encode(topic, b), []) for b in batches])
    with ExitStack() as stop_all:
        for n in range(2):  # spawned together, as a deployment scaled to two starts them
            env = worker_env(stack, topic_prefix, tmp_path / f"data-{n}")
            stop_all.enter_context(FaustWorker("meetings", env, tmp_path / f"meetings-{n}.log")).spawn()
        wait_for(lambda: all(c >= end for c, end in committed_offsets(kafka, kafka.group("meetings"), topic).values()),
                 timeout_s=240, what="every partition committed to its end")
    stored = {json.loads(m.key()).split(":", 1)[1] for m in read_all(kafka, f"{kafka.group('meetings')}-meetings-changelog")}
    expected = {e.id for b in batches for e in b.calendar_events}
    assert len(expected - stored) == 0, f"{len(expected - stored)} of {len(expected)} calendar events never stored"
