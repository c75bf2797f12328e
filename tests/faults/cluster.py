"""A private three-node Kafka cluster for fault tests: its own stack directory under the test's
tmp dir and its own ports, started with the code of ``officestream stack up --brokers 3`` (Kafka
only: the registry and Redis of the session's stack serve the rest), stopped afterwards."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource

from ops.stack import manager
from ops.stack.kafka import KafkaBroker, kafka_nodes
from ops.stack.process import ProcessTable, port_is_free, running
from ops.stack.settings import KAFKA_NODE_PORT_STEP, StackSettings

NODES = 3


def free_port_base(host: str) -> int:
    """A client port whose node ports (+0, +10, +20) and controller ports (+1 each) are all free."""
    offsets = [node * KAFKA_NODE_PORT_STEP + extra for node in range(NODES) for extra in (0, 1)]
    for _ in range(200):
        base = random.randrange(30_000, 60_000)
        if all(port_is_free(host, base + offset) for offset in offsets):
            return base
    raise AssertionError("no free port range for a private Kafka cluster")


def cluster_settings(stack_dir: Path) -> StackSettings:
    shared = StackSettings.from_env()
    base = free_port_base(shared.host)
    return StackSettings.from_env(
        {}, dir=stack_dir, cache_dir=shared.downloads_dir, host=shared.host, kafka_port=base,
        kafka_controller_port=base + 1, kafka_brokers=NODES, kafka_heap="256m", java_home=shared.java_home,
    )


def nodes(settings: StackSettings) -> list[KafkaBroker]:
    return kafka_nodes(settings, ProcessTable(run_dir=settings.run_dir, logs_dir=settings.logs_dir))


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[StackSettings]:
    """Three healthy Kafka nodes; every process of theirs is stopped after the test."""
    settings = cluster_settings(tmp_path / "stack")
    try:
        manager.start(settings, list(nodes(settings)))
        yield settings
    finally:
        pids = [node.processes.pid(node.name) for node in nodes(settings)]
        manager.down(settings)
        assert all(pid is None or running(pid) is None for pid in pids), "a cluster node outlived stack down"


def leader_of(settings: StackSettings, topic: str, partition: int) -> int:
    metadata = AdminClient({"bootstrap.servers": settings.bootstrap_servers}).list_topics(topic, timeout=10)
    return metadata.topics[topic].partitions[partition].leader


def in_sync_replicas(settings: StackSettings, topic: str) -> dict[int, list[int]]:
    metadata = AdminClient({"bootstrap.servers": settings.bootstrap_servers}).list_topics(topic, timeout=10)
    return {p.id: sorted(p.isrs) for p in metadata.topics[topic].partitions.values()}


def replicated(bootstrap_servers: str, topic: str) -> bool:
    """Every partition of ``topic`` on 3 replicas and ``min.insync.replicas`` 2, as the broker
    asked says (a broker learns of a new topic a moment after the controller acknowledged it)."""
    admin = AdminClient({"bootstrap.servers": bootstrap_servers})
    try:
        partitions = admin.list_topics(topic, timeout=10).topics[topic].partitions.values()
        [config] = admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, topic)]).values()
        min_isr = config.result()["min.insync.replicas"].value
    except (KafkaException, KeyError):
        return False
    return bool(partitions) and {len(p.replicas) for p in partitions} == {3} and min_isr == "2"
