"""A Kafka record as it was read, independent of the client library that read it: what the
workers hand their handlers (``processors.common.inbound``) and what the topic readers return."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class KafkaRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]] = field(default_factory=list)
    timestamp_ms: int | None = None

    @property
    def where(self) -> str:
        """``topic[partition]@offset``, the way every log line names a message."""
        return f"{self.topic}[{self.partition}]@{self.offset}"
