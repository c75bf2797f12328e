"""A Kafka record as it arrived, independent of the client library that read it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class InboundRecord:
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
