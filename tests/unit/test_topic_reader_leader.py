"""Reading a topic (``read_records``) while a partition's leader is being elected or loading (a
topic created a moment ago, as the bridge's ``backfill-jobs`` in a benchmark run): the partition's
end offset is asked again until the read's timeout; any other error fails at once."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from confluent_kafka import KafkaError, KafkaException

from connectors.kafka import topic_reader
from connectors.kafka.exceptions import KafkaUnavailable
from connectors.kafka.settings import KafkaSettings


class ScriptedConsumer:
    """One partition, empty; its end offset answered by the next scripted error (None: the end, 0)."""

    script: list[int | None] = []
    asked = 0

    def __init__(self, config: dict) -> None:
        pass

    def list_topics(self, topic: str, timeout: float) -> SimpleNamespace:
        return SimpleNamespace(topics={topic: SimpleNamespace(error=None, partitions={0: None})})

    def get_watermark_offsets(self, partition: object, timeout: float) -> tuple[int, int]:
        type(self).asked += 1
        error = self.script.pop(0)
        if error is not None:
            raise KafkaException(KafkaError(error))
        return 0, 0

    def assign(self, partitions: list) -> None:
        pass

    def close(self) -> None:
        pass


@pytest.fixture()
def consumer(monkeypatch: pytest.MonkeyPatch) -> type[ScriptedConsumer]:
    monkeypatch.setattr(topic_reader, "Consumer", ScriptedConsumer)
    ScriptedConsumer.asked = 0
    return ScriptedConsumer


def settings() -> KafkaSettings:
    return KafkaSettings.from_env({}, bootstrap_servers="127.0.0.1:1")


def test_a_partition_whose_leader_is_not_serving_yet_is_asked_again(consumer) -> None:
    consumer.script = [KafkaError.NOT_LEADER_FOR_PARTITION, KafkaError.LEADER_NOT_AVAILABLE, None]
    assert topic_reader.read_records(settings(), "jobs", timeout_s=10) == []
    assert consumer.asked == 3


def test_any_other_error_fails_at_once(consumer) -> None:
    consumer.script = [KafkaError.TOPIC_AUTHORIZATION_FAILED, None]
    with pytest.raises(KafkaUnavailable, match="cannot read jobs"):
        topic_reader.read_records(settings(), "jobs", timeout_s=10)
    assert consumer.asked == 1


def test_a_leader_still_missing_at_the_timeout_fails(consumer) -> None:
    consumer.script = [KafkaError.NOT_LEADER_FOR_PARTITION] * 1000
    with pytest.raises(KafkaUnavailable, match="cannot read jobs"):
        topic_reader.read_records(settings(), "jobs", timeout_s=0.3)
    assert consumer.asked < 1000
