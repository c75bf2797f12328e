"""A broker killed (kill -9) and restarted in the three-node cluster while the project's
publisher produces at a steady rate (acks=all, idempotence): every record acknowledged is on
the topic exactly once, each user's in the order sent, and the cluster heals (every node
healthy in ``stack status``, every replica back in sync).

The topic is created by ``ensure_topics`` with the cluster's settings (replication factor 3,
``min.insync.replicas`` 2), so one node down leaves every partition writable."""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter, defaultdict

import pytest

from connectors.kafka.admin import ensure_topics
from connectors.kafka.settings import KafkaSettings
from connectors.kafka.topics import EMAIL_UPDATES, TOPICS
from ops.stack import manager
from ops.stack.process import running
from ops.stack.settings import StackSettings
from producers.publisher import Publisher
from producers.settings import ProducerSettings
from producers.stamping import MetadataStamper
from schemas.models import ChangeType, DocType, Provider
from tests import factories
from tests.faults.cluster import cluster, in_sync_replicas, leader_of, nodes, replicated  # noqa: F401
from tests.integration.producers.stack_fixtures import payloads  # noqa: F401
from tests.kafka_helpers import read_all
from tests.waiting import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.faults]

USERS = 12
RATE_PER_S = 150
#: Deliveries acknowledged in each phase: before the kill, with the node down, after its restart.
PER_PHASE = 400


class SteadyLoad:
    """Publishes one email update after another at ``RATE_PER_S`` until stopped; record i is
    email ``m<i>`` of user ``u<i mod USERS>``."""

    def __init__(self, publisher: Publisher) -> None:
        self.publisher = publisher
        self.futures: list[asyncio.Future] = []
        self.stopped = asyncio.Event()

    @property
    def delivered(self) -> int:
        return sum(1 for f in self.futures if f.done() and f.exception() is None)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        while not self.stopped.is_set():
            i = len(self.futures)
            self.futures.append(await self.publisher.submit_update(
                user_id=f"u{i % USERS}", provider=Provider.microsoft, doc_type=DocType.email,
                change=ChangeType.created, doc_id=f"m{i}", record=factories.email(f"m{i}"), occurred_at=factories.T0,
            ))
            await asyncio.sleep(max(0.0, started + (i + 1) / RATE_PER_S - loop.time()))

    async def until_delivered(self, count: int, what: str, timeout_s: float = 120) -> None:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while self.delivered < count:
            failed = [f.exception() for f in self.futures if f.done() and f.exception() is not None]
            assert not failed, f"deliveries failed while waiting for {what}: {failed[:3]}"
            assert asyncio.get_running_loop().time() < deadline, f"{self.delivered} delivered, waiting for {what}"
            await asyncio.sleep(0.1)


def cluster_kafka(cluster: StackSettings, topic_prefix: str) -> KafkaSettings:
    return KafkaSettings.from_env(
        {}, bootstrap_servers=cluster.bootstrap_servers, topic_prefix=topic_prefix,
        replication_factor=cluster.replication_factor, min_insync_replicas=cluster.min_insync_replicas,
    )


async def test_a_broker_killed_and_restarted_mid_stream_loses_and_duplicates_nothing(cluster, topic_prefix, serde, payloads):
    kafka = cluster_kafka(cluster, topic_prefix)
    topic = kafka.topic(EMAIL_UPDATES)
    ensure_topics(kafka, specs=[spec for spec in TOPICS if spec.name == EMAIL_UPDATES], timeout_s=60)
    wait_for(lambda: replicated(cluster.bootstrap_servers, topic), timeout_s=30, what=f"{topic} on 3 replicas, min ISR 2")
    publisher = Publisher(kafka=kafka, settings=ProducerSettings.from_env({}), serde=serde, payloads=payloads,
                          stamper=MetadataStamper(source_service="tests", source_version="0"))
    await publisher.start()
    load = SteadyLoad(publisher)
    producing = asyncio.create_task(load.run())
    try:
        await load.until_delivered(PER_PHASE, "the load before the kill")
        victim = next(n for n in nodes(cluster) if n.node == leader_of(cluster, topic, 0))
        pid = victim.processes.pid(victim.name)
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        # In a thread: the load goes on in this event loop meanwhile.
        await asyncio.to_thread(wait_for, lambda: running(pid) is None, timeout_s=10, what=f"{victim.name} to die")
        killed_at = len(load.futures)
        await load.until_delivered(killed_at + PER_PHASE, f"the load with {victim.name} down")
        assert victim.processes.pid(victim.name) is None  # it really was down all along
        await asyncio.to_thread(manager.start, cluster, [victim])
        await load.until_delivered(len(load.futures) + PER_PHASE, f"the load after {victim.name} came back")
    finally:
        load.stopped.set()
        await producing
        await publisher.close()
    outcomes = await asyncio.gather(*load.futures, return_exceptions=True)
    assert not [o for o in outcomes if isinstance(o, BaseException)]

    sent = [f"m{i}" for i in range(len(load.futures))]
    messages = read_all(kafka, topic)
    received = [serde.decode(m.value()).email_id for m in messages]
    duplicates = {doc: n for doc, n in Counter(received).items() if n > 1}
    lost = set(sent) - set(received)
    print(f"\n{topic}: sent {len(sent)} / received {len(received)} / lost {len(lost)} / duplicate {len(duplicates)}")
    assert not lost and not duplicates and len(received) == len(sent)
    per_user: dict[bytes, list[int]] = defaultdict(list)
    for message, doc in zip(messages, received):
        per_user[message.key()].append(int(doc[1:]))
    assert all(ids == sorted(ids) for ids in per_user.values()), "a user's records landed out of order"

    wait_for(lambda: set(map(len, in_sync_replicas(cluster, topic).values())) == {3}, timeout_s=60,
             what="every replica back in sync")
    statuses = {s.name: s for s in manager.status(cluster) if s.name.startswith("kafka")}
    assert sorted(statuses) == ["kafka-1", "kafka-2", "kafka-3"]
    assert all(s.probe.healthy and "3/3 brokers" in s.probe.detail for s in statuses.values()), statuses
