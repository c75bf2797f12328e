"""Consumer groups through the admin API: who is in a group, its committed offsets, the
partitions' offsets by position or time, and moving a group's offsets.

Every call names the group or topic it was about when the brokers refuse it or cannot be
reached (``KafkaUnavailable`` to retry, ``ConsumerGroupError`` for a refusal).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from confluent_kafka import ConsumerGroupTopicPartitions, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec

from connectors.kafka.exceptions import ConsumerGroupError, KafkaUnavailable
from connectors.kafka.settings import KafkaSettings

#: Where a partition begins, ends, and (when asked for a time) the first offset at or after it.
EARLIEST = "earliest"
LATEST = "latest"


@dataclass(frozen=True)
class GroupMembers:
    """A group's state as the coordinator reports it; ``members`` are client ids on hosts."""

    group: str
    state: str
    members: tuple[str, ...]


class ConsumerGroups:
    """The admin calls the replay and dlq tools make; one ``AdminClient`` per instance."""

    def __init__(self, settings: KafkaSettings, *, timeout_s: float = 15.0) -> None:
        self._settings = settings
        self._admin = AdminClient(settings.librdkafka_config())
        self._timeout_s = timeout_s

    def members(self, group: str) -> GroupMembers:
        """The group's live members (none for an empty or unknown group)."""
        future = self._admin.describe_consumer_groups([group], request_timeout=self._timeout_s)[group]
        description = self._result(future, f"group {group}")
        members = tuple(f"{m.client_id}@{m.host}" for m in description.members)
        return GroupMembers(group, description.state.name.lower(), members)

    def partitions(self, topic: str) -> list[int]:
        """The partition numbers of ``topic``; ``ConsumerGroupError`` when it does not exist."""
        try:
            metadata = self._admin.list_topics(topic, timeout=self._timeout_s).topics.get(topic)
        except KafkaException as exc:
            raise self._unavailable(f"topic {topic}", exc) from exc
        if metadata is None or metadata.error is not None or not metadata.partitions:
            raise ConsumerGroupError(f"topic {topic} does not exist on {self._settings.bootstrap_servers}")
        return sorted(metadata.partitions)

    def committed(self, group: str, topics: Iterable[str] | None = None) -> dict[tuple[str, int], int]:
        """``group``'s committed offsets, ``(topic, partition) -> offset``: of ``topics`` only
        when given; partitions without a committed offset are left out."""
        wanted = None
        if topics is not None:
            wanted = [TopicPartition(t, p) for t in topics for p in self.partitions(t)]
        request = [ConsumerGroupTopicPartitions(group, wanted)]
        future = self._admin.list_consumer_group_offsets(request, request_timeout=self._timeout_s)[group]
        result = self._result(future, f"group {group}")
        return {(tp.topic, tp.partition): tp.offset for tp in result.topic_partitions if tp.offset >= 0}

    def offsets(self, topic: str, partitions: Iterable[int], spec: str | int) -> dict[int, int]:
        """Per partition: its first offset (``EARLIEST``), its end (``LATEST``), or, for a
        time in epoch milliseconds, the first offset whose timestamp is at or after it
        (-1 where no record is that late)."""
        offset_spec = {EARLIEST: OffsetSpec.earliest(), LATEST: OffsetSpec.latest()}.get(spec) if isinstance(spec, str) else None
        if offset_spec is None:
            offset_spec = OffsetSpec.for_timestamp(int(spec))
        request = {TopicPartition(topic, p): offset_spec for p in partitions}
        if not request:
            return {}
        futures = self._admin.list_offsets(request, request_timeout=self._timeout_s)
        return {tp.partition: self._result(f, f"{topic}[{tp.partition}]").offset for tp, f in futures.items()}

    def commit(self, group: str, offsets: Mapping[tuple[str, int], int]) -> None:
        """Set ``group``'s committed offsets; the coordinator refuses while the group has members."""
        if not offsets:
            return
        partitions = [TopicPartition(t, p, o) for (t, p), o in sorted(offsets.items())]
        request = [ConsumerGroupTopicPartitions(group, partitions)]
        future = self._admin.alter_consumer_group_offsets(request, request_timeout=self._timeout_s)[group]
        result = self._result(future, f"group {group}")
        failed = [f"{tp.topic}[{tp.partition}]: {tp.error.str()}" for tp in result.topic_partitions if tp.error is not None]
        if failed:
            raise ConsumerGroupError(f"group {group}: offsets not moved: {'; '.join(failed)}")

    def _result(self, future, what: str):  # type: ignore[no-untyped-def]
        try:
            return future.result()
        except KafkaException as exc:
            error = exc.args[0]
            if getattr(error, "retriable", lambda: False)() or error.code() < 0:
                raise self._unavailable(what, exc) from exc
            raise ConsumerGroupError(f"{what}: {error.str()}") from exc

    def _unavailable(self, what: str, exc: KafkaException) -> KafkaUnavailable:
        return KafkaUnavailable(
            f"{what}: cannot reach Kafka at {self._settings.bootstrap_servers}: {exc.args[0].str()} "
            "(is the stack up? `officestream stack up`, or set OFFICESTREAM_KAFKA_BOOTSTRAP_SERVERS)"
        )
