"""Topics with their end offsets, and each consumer group's lag, read with the admin API only
(no consumer joins a group, nothing is committed).

Lag of a partition is its end offset minus the group's committed offset. A partition that a
live member holds but the group never committed counts its whole retained log (end minus the
earliest offset): that is what a consumer starting from the earliest offset still has to read,
which is how the workers start (``auto.offset.reset=earliest``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from confluent_kafka import ConsumerGroupTopicPartitions, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, ConsumerGroupDescription, OffsetSpec

ADMIN_TIMEOUT_S = 10.0

Partition = tuple[str, int]


@dataclass(frozen=True)
class TopicOffsets:
    topic: str
    #: partition -> (earliest offset, end offset)
    partitions: dict[int, tuple[int, int]]

    @property
    def end_offsets(self) -> dict[int, int]:
        return {partition: end for partition, (_, end) in self.partitions.items()}


@dataclass(frozen=True)
class PartitionLag:
    partition: int
    committed: int | None
    end: int
    lag: int


@dataclass(frozen=True)
class GroupLag:
    group: str
    state: str
    members: int
    #: topic -> its partitions' lag, in partition order
    topics: dict[str, list[PartitionLag]] = field(default_factory=dict)

    def topic_lag(self, topic: str) -> int:
        return sum(p.lag for p in self.topics[topic])


def visible_topics(admin: AdminClient, prefix: str) -> dict[str, int]:
    """Topic -> partition count, for the topics under ``prefix`` (Kafka's own ``__*`` left out)."""
    metadata = admin.list_topics(timeout=ADMIN_TIMEOUT_S)
    return {name: len(topic.partitions) for name, topic in sorted(metadata.topics.items())
            if name.startswith(prefix) and not name.startswith("__") and topic.error is None}


def partition_offsets(admin: AdminClient, partitions: Iterable[Partition]) -> dict[Partition, tuple[int, int]]:
    """(earliest, end) offset of each partition, two batched ListOffsets requests. Partitions
    that no longer exist (a group's committed offsets outlive a deleted topic) are left out."""
    wanted = sorted(set(partitions))
    if not wanted:
        return {}
    earliest = _list_offsets(admin, wanted, OffsetSpec.earliest())
    latest = _list_offsets(admin, wanted, OffsetSpec.latest())
    return {tp: (earliest[tp], latest[tp]) for tp in wanted if tp in earliest and tp in latest}


def _list_offsets(admin: AdminClient, partitions: list[Partition], spec: OffsetSpec) -> dict[Partition, int]:
    futures = admin.list_offsets({TopicPartition(t, p): spec for t, p in partitions}, request_timeout=ADMIN_TIMEOUT_S)
    found = {}
    for tp, future in futures.items():
        try:
            found[(tp.topic, tp.partition)] = future.result().offset
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.UNKNOWN_TOPIC_OR_PART:
                raise
    return found


def topic_offsets(admin: AdminClient, topics: dict[str, int]) -> list[TopicOffsets]:
    offsets = partition_offsets(admin, [(t, p) for t, count in topics.items() for p in range(count)])
    return [TopicOffsets(t, {p: offsets[(t, p)] for p in range(count) if (t, p) in offsets}) for t, count in topics.items()]


def group_lags(admin: AdminClient, prefix: str) -> list[GroupLag]:
    """Every consumer group under ``prefix``, with its lag per topic."""
    listed = admin.list_consumer_groups(request_timeout=ADMIN_TIMEOUT_S).result()
    groups = sorted(g.group_id for g in listed.valid if g.group_id.startswith(prefix))
    if not groups:
        return []
    described = {g: f.result() for g, f in admin.describe_consumer_groups(groups, request_timeout=ADMIN_TIMEOUT_S).items()}
    committed = {g: _committed(admin, g) for g in groups}
    assigned = {g: {(tp.topic, tp.partition) for m in described[g].members for tp in m.assignment.topic_partitions}
                for g in groups}
    offsets = partition_offsets(admin, [tp for g in groups for tp in (*committed[g], *assigned[g])])
    return [_group_lag(g, described[g], committed[g], assigned[g], offsets) for g in groups]


def _committed(admin: AdminClient, group: str) -> dict[Partition, int]:
    # One group per request: the admin API takes a single group in ListConsumerGroupOffsets.
    future = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)],
                                               request_timeout=ADMIN_TIMEOUT_S)[group]
    return {(tp.topic, tp.partition): tp.offset for tp in future.result().topic_partitions or [] if tp.offset >= 0}


def _group_lag(group: str, description: ConsumerGroupDescription, committed: dict[Partition, int], assigned: set[Partition],
               offsets: dict[Partition, tuple[int, int]]) -> GroupLag:
    topics: dict[str, list[PartitionLag]] = {}
    for topic, partition in sorted((set(committed) | assigned) & set(offsets)):
        earliest, end = offsets[(topic, partition)]
        position = committed.get((topic, partition))
        lag = max(0, end - (position if position is not None else earliest))
        topics.setdefault(topic, []).append(PartitionLag(partition, position, end, lag))
    return GroupLag(group, description.state.name, len(description.members), topics)


