"""Reading a compacted topic to its end: the latest value of every key is the state.

Used by command-line readers of service state (faust table changelogs): no consumer group and
no committed offsets, so reading never disturbs the services (``topic_reader.read_records``).
"""

from __future__ import annotations

from connectors.kafka.settings import KafkaSettings
from connectors.kafka.topic_reader import read_records


def read_compacted(settings: KafkaSettings, topic: str, *, timeout_s: float = 30.0) -> dict[bytes, bytes]:
    """The latest value per key in ``topic`` (keys whose latest record is a tombstone are gone)."""
    state: dict[bytes, bytes] = {}
    for record in read_records(settings, topic, timeout_s=timeout_s):
        key = record.key or b""
        if record.value is None:
            state.pop(key, None)
        else:
            state[key] = record.value
    return state
