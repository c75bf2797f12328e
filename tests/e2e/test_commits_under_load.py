"""Offsets keep being committed while a worker is under steady load.

A real shipments worker is fed backfill batches of five emails at several steady rates, one
after the other, for a minute in all; the group's committed offsets are sampled throughout. A
worker whose pre-commit flush waits for a moment with nothing in flight (instead of for the
records sent before it began) commits rarely or never while traffic keeps coming: a crash then
replays everything since the last commit, and lag monitoring shows a frozen group.

The old flush returned only in a pause of traffic longer than the producer's linger plus an
acknowledgement, so whether it starved depended on the machine: at the default linger (50 ms)
it went 12-20 s without a commit at 100-200 messages/s in some runs here and 6-7 s in others.
The worker here lingers 200 ms (a setting operators may choose), which no steady load pauses
for: the old flush then committed nothing for whole 20 s phases, while a flush that waits for
the records sent before it commits every interval whatever the linger. The worker keeps up
with all three rates (it has committed everything within seconds of the load stopping).
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field

from confluent_kafka import ConsumerGroupTopicPartitions, Producer
from confluent_kafka.admin import AdminClient

from connectors.kafka.admin import ensure_topics
from connectors.kafka.settings import KafkaSettings
from connectors.kafka.topics import EMAIL_BACKFILL, SHIPMENTS
from schemas.models import EmailBackfillEvent
from tests import factories
from tests.kafka_helpers import register_derived_schemas
from tests.waiting import wait_for
from tests.workers import FaustWorker, worker_env

#: faust's ``broker_commit_interval`` (its default; the workers do not change it).
COMMIT_INTERVAL_S = 2.8
#: Committed offsets must move at least this often while messages keep arriving.
MAX_COMMIT_GAP_S = 3 * COMMIT_INTERVAL_S
#: (messages per second, seconds): a minute of steady load in all.
PHASES = ((20, 20.0), (100, 20.0), (200, 20.0))
#: The worker's producer linger: records wait this long before they are sent, so a flush that
#: waits for nothing to be in flight needs a pause in traffic longer than this to return.
LINGER_MS = 200
EMAILS_PER_MESSAGE = 5
USERS = 24  # spread over all six partitions


@dataclass
class CommitSamples:
    """The group's committed offsets (summed over partitions), sampled while the load runs."""

    times: list[float] = field(default_factory=list)
    totals: list[int] = field(default_factory=list)

    def advances(self) -> list[float]:
        return [t for t, before, after in zip(self.times[1:], self.totals, self.totals[1:]) if after > before]


def committed_total(admin: AdminClient, group: str) -> int:
    [future] = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)]).values()
    return sum(max(tp.offset, 0) for tp in future.result(timeout=10).topic_partitions)


def sample_commits(admin: AdminClient, group: str, samples: CommitSamples, stop: threading.Event) -> None:
    while not stop.is_set():
        samples.times.append(time.monotonic())
        samples.totals.append(committed_total(admin, group))
        stop.wait(0.25)


def encoded_batches(serde, topic: str, count: int) -> list[tuple[bytes, bytes]]:
    batches = []
    for n in range(count):
        user = f"load-user-{n % USERS}"
        emails = [factories.email(f"m-{n}-{i}", subject=f"Newsletter {n}.{i}") for i in range(EMAILS_PER_MESSAGE)]
        event = EmailBackfillEvent(
            metadata=factories.metadata("EmailBackfillEvent", user_id=user), job_id=f"job-{user}", batch_index=n, emails=emails
        )
        batches.append((user.encode(), serde.encode(topic, event)))
    return batches


def produce_steadily(kafka: KafkaSettings, topic: str, batches: list[tuple[bytes, bytes]]) -> list[tuple[int, float, float]]:
    """Produce ``batches`` at each phase's rate, a few every 50 ms; returns (rate, start, end) per phase."""
    producer = Producer(kafka.producer_config(**{"linger.ms": 5}))
    pending = iter(batches)
    windows = []
    for rate, seconds in PHASES:
        start, sent = time.monotonic(), 0
        while (elapsed := time.monotonic() - start) < seconds:
            for key, value in itertools.islice(pending, int(elapsed * rate) - sent):
                producer.produce(topic, value=value, key=key)
                sent += 1
            producer.poll(0)
            time.sleep(0.01)
        windows.append((rate, start, time.monotonic()))
    for key, value in pending:  # the last phase's last fraction of a tick
        producer.produce(topic, value=value, key=key)
    assert producer.flush(30) == 0
    return windows


def longest_gap(advances: list[float], start: float, end: float) -> float:
    """The longest stretch of [start, end] without an advance of the committed offsets."""
    marks = [start, *(t for t in advances if start < t < end), end]
    return max(b - a for a, b in zip(marks, marks[1:]))


def test_committed_offsets_advance_every_few_commit_intervals_under_steady_load(stack, serde, registry, topic_prefix, tmp_path):
    kafka = KafkaSettings.from_env({}, bootstrap_servers=stack.kafka.bootstrap_servers, topic_prefix=topic_prefix)
    ensure_topics(kafka)
    register_derived_schemas(kafka, registry)  # every e-mail names a UPS package: announced
    topic = kafka.topic(EMAIL_BACKFILL)
    total = sum(int(rate * seconds) for rate, seconds in PHASES)
    batches = encoded_batches(serde, topic, total)
    admin = AdminClient(kafka.librdkafka_config())
    group = kafka.group(SHIPMENTS)
    samples, stop = CommitSamples(), threading.Event()
    env = worker_env(stack, topic_prefix, tmp_path / "data", OFFICESTREAM_PROCESSOR_PRODUCER_LINGER_MS=str(LINGER_MS))
    worker = FaustWorker("shipments", env, tmp_path / "shipments.log").start()
    sampler = threading.Thread(target=sample_commits, args=(admin, group, samples, stop), daemon=True)
    try:
        sampler.start()
        windows = produce_steadily(kafka, topic, batches)
        wait_for(lambda: committed_total(admin, group) == total, timeout_s=120, what=f"all {total} messages committed")
        worker.check_alive()
    finally:
        stop.set()
        sampler.join()
        worker.stop()
    advances = samples.advances()
    gaps = {rate: round(longest_gap(advances, start, end), 1) for rate, start, end in windows}
    assert all(gap <= MAX_COMMIT_GAP_S for gap in gaps.values()), (
        f"longest time without a commit per rate (messages/s: seconds) {gaps}, allowed {MAX_COMMIT_GAP_S:.1f} s"
    )
