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
#: The offset of a partition where this instance neither started nor read (left out of positions).
UNKNOWN = -2
#: Users whose partitions are remembered (``_partitions_of``); past it the memo starts afresh.
MEMO_USERS = 65_536


@functools.lru_cache(maxsize=65_536)
def partition_for(user_id: str, partitions: int) -> int:
    """The partition a record keyed ``user_id`` goes to among ``partitions`` (Kafka's default)."""
    return (murmur2(user_id.encode()) & 0x7FFFFFFF) % partitions


@dataclass(frozen=True, slots=True)
class Source:
    """Where a notification's record sat, and its user's position when it was published: the
    user's ``partitions`` (one tuple shared by all their notifications) and their ``offsets``
    (kept apart so a buffered notification costs a tuple of ints, not one tuple per pair)."""

    topic: str
    partition: int
    offset: int
    partitions: tuple[TopicPartition, ...] = ()
    offsets: tuple[int, ...] = ()

    @property
    def topic_partition(self) -> TopicPartition:
        return (self.topic, self.partition)

    @property
    def position(self) -> Position:
        return tuple((tp, offset) for tp, offset in zip(self.partitions, self.offsets) if offset != UNKNOWN)


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
        self._user_partitions: dict[str, tuple[TopicPartition, ...]] = {}

    def started(self, starts: Mapping[TopicPartition, int]) -> None:
        """Where this instance starts reading (``start_position.pin_start_positions``)."""
        self._starts.update(starts)

    def assign(self, assigned: Iterable[TopicPartition], partitions: Mapping[str, int | None]) -> None:
        """The partitions this instance reads now, and the source topics' partition counts."""
        self._assigned = frozenset((topic, partition) for topic, partition in assigned)
        self._counts.update({topic: count for topic, count in partitions.items() if count})
        self._user_partitions.clear()  # a count may have changed

    def read(self, topic: str, partition: int, offset: int) -> None:
        """A record was read (every record, whether or not it makes a notification)."""
        tp = (topic, partition)
        if offset > self._read.get(tp, -1):
            self._read[tp] = offset

    def source(self, topic: str, partition: int, offset: int, user_id: str) -> Source:
        """The ``Source`` of a notification made from the record at ``topic[partition]@offset``."""
        partitions = self._partitions_of(user_id)
        return Source(topic, partition, offset, partitions, self._offsets(partitions))

    def position(self, user_id: str) -> Position:
        """The user's position now (module docstring); partitions whose start is unknown are left out."""
        partitions = self._partitions_of(user_id)
        return tuple((tp, offset) for tp, offset in zip(partitions, self._offsets(partitions)) if offset != UNKNOWN)

    def _offsets(self, partitions: tuple[TopicPartition, ...]) -> tuple[int, ...]:
        read, starts = self._read, self._starts
        return tuple(read[tp] if tp in read else starts.get(tp, UNKNOWN + 1) - 1 for tp in partitions)

    def _partitions_of(self, user_id: str) -> tuple[TopicPartition, ...]:
        """The user's partition of each source topic whose count is known (memoized: shared)."""
        found = self._user_partitions.get(user_id)
        if found is None:
            if len(self._user_partitions) >= MEMO_USERS:
                self._user_partitions.clear()
            found = tuple((topic, partition_for(user_id, self._counts[topic])) for topic in self.topics if topic in self._counts)
            self._user_partitions[user_id] = found
        return found

    def covers(self, tp: TopicPartition, offset: int) -> bool:
        """Whether this instance has read (or will read) every record of ``tp`` after ``offset``:
        it reads ``tp`` now and started there at or before ``offset + 1``."""
        start = self._starts.get(tp)
        return tp in self._assigned and start is not None and start <= offset + 1
