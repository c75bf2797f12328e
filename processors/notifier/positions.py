"""How far this notifier instance has read each partition, and where each user's records are.

A user's events are keyed by ``user_id``, so in each source topic they sit on one partition,
the one the producers' murmur2 partitioner picks (``partition_for``; as the Java clients and
aiokafka do). A notification is published with its record's place and the user's *position*:
for each source topic, the last offset this instance had read on that user's partition (or the
one before where it started, if it has read nothing there yet). That is what its resume token
carries (``resume_token.py``), and what a replay from such a token is judged against
(``covers``: the instance started at or before the token's next offset and reads the partition
now). Topics are keyed by name and partition, never assumed to have equal partition counts.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from aiokafka.partitioner import murmur2

TopicPartition = tuple[str, int]
#: A user's position: ``((topic, partition), offset)`` per source topic whose start is known.
Position = tuple[tuple[TopicPartition, int], ...]


@functools.lru_cache(maxsize=65_536)
def partition_for(user_id: str, partitions: int) -> int:
    """The partition a record keyed ``user_id`` goes to among ``partitions`` (Kafka's default)."""
    return (murmur2(user_id.encode()) & 0x7FFFFFFF) % partitions


@dataclass(frozen=True, slots=True)
class Source:
    """Where a notification's record sat, and its user's position when it was published."""

    topic: str
    partition: int
    offset: int
    position: Position

    @property
    def topic_partition(self) -> TopicPartition:
        return (self.topic, self.partition)


class ConsumedPositions:
    """Start offsets, last offsets read and the assignment of one instance's source partitions.

    ``topics`` are the physical source topic names in ``SOURCE_TOPICS`` order (the order resume
    tokens index them by).
    """

    def __init__(self, topics: Sequence[str]) -> None:
        self.topics = tuple(topics)
        self._starts: dict[TopicPartition, int] = {}
        self._read: dict[TopicPartition, int] = {}
        self._counts: dict[str, int] = {}
        self._assigned: frozenset[TopicPartition] = frozenset()

    def started(self, starts: Mapping[TopicPartition, int]) -> None:
        """Where this instance starts reading (``start_position.pin_start_positions``)."""
        self._starts.update(starts)

    def assign(self, assigned: Iterable[TopicPartition], partitions: Mapping[str, int | None]) -> None:
        """The partitions this instance reads now, and the source topics' partition counts."""
        self._assigned = frozenset((topic, partition) for topic, partition in assigned)
        self._counts.update({topic: count for topic, count in partitions.items() if count})

    def read(self, topic: str, partition: int, offset: int) -> None:
        """A record was read (every record, whether or not it makes a notification)."""
        tp = (topic, partition)
        if offset > self._read.get(tp, -1):
            self._read[tp] = offset

    def source(self, topic: str, partition: int, offset: int, user_id: str) -> Source:
        """The ``Source`` of a notification made from the record at ``topic[partition]@offset``."""
        return Source(topic, partition, offset, self.position(user_id))

    def position(self, user_id: str) -> Position:
        """The user's position now (module docstring); topics whose start is unknown are left out."""
        found = []
        for topic in self.topics:
            count = self._counts.get(topic)
            if not count:
                continue
            tp = (topic, partition_for(user_id, count))
            if tp in self._read:
                found.append((tp, self._read[tp]))
            elif tp in self._starts:
                found.append((tp, self._starts[tp] - 1))
        return tuple(found)

    def covers(self, tp: TopicPartition, offset: int) -> bool:
        """Whether this instance has read (or will read) every record of ``tp`` after ``offset``:
        it reads ``tp`` now and started there at or before ``offset + 1``."""
        start = self._starts.get(tp)
        return tp in self._assigned and start is not None and start <= offset + 1
