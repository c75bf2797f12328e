"""Creating topics on a cluster: a transient error (the request's broker handle replaced while
the client learns the cluster, a controller moving) is met with a repeat; anything else, or a
transient error past the timeout, fails at once, naming the topic."""

from __future__ import annotations

from concurrent.futures import Future

import pytest
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import NewTopic

from connectors.kafka.admin import _create
from connectors.kafka.exceptions import TopicAdminError


def outcome(error: int | None) -> Future:
    future: Future = Future()
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(KafkaException(KafkaError(error)))
    return future


class ScriptedAdmin:
    """Answers each ``create_topics`` call with the next scripted error per topic (None: created)."""

    def __init__(self, *script: dict[str, int | None]) -> None:
        self.script = list(script)
        self.calls: list[list[str]] = []

    def create_topics(self, topics: list[NewTopic], operation_timeout: float) -> dict[str, Future]:
        self.calls.append([t.topic for t in topics])
        answers = self.script.pop(0)
        return {t.topic: outcome(answers[t.topic]) for t in topics}


TOPICS = [NewTopic("a", 6, 3), NewTopic("b", 6, 3)]


def test_a_topic_that_met_a_replaced_broker_handle_is_created_again():
    admin = ScriptedAdmin({"a": None, "b": KafkaError._DESTROY_BROKER}, {"b": KafkaError.NOT_CONTROLLER}, {"b": None})
    _create(admin, list(TOPICS), timeout_s=30)  # type: ignore[arg-type]
    assert admin.calls == [["a", "b"], ["b"], ["b"]]


def test_a_topic_created_meanwhile_counts_as_created():
    admin = ScriptedAdmin({"a": KafkaError._TRANSPORT, "b": None}, {"a": KafkaError.TOPIC_ALREADY_EXISTS})
    _create(admin, list(TOPICS), timeout_s=30)  # type: ignore[arg-type]
    assert admin.calls == [["a", "b"], ["a"]]


def test_a_refusal_fails_at_once_naming_the_topic():
    admin = ScriptedAdmin({"a": None, "b": KafkaError.INVALID_REPLICATION_FACTOR})
    with pytest.raises(TopicAdminError, match="topic b: "):
        _create(admin, list(TOPICS), timeout_s=30)  # type: ignore[arg-type]
    assert admin.calls == [["a", "b"]]


def test_a_transient_error_past_the_timeout_fails():
    admin = ScriptedAdmin(*({"a": None, "b": KafkaError._DESTROY_BROKER} for _ in range(100)))
    with pytest.raises(TopicAdminError, match="topic b: "):
        _create(admin, list(TOPICS), timeout_s=0)  # type: ignore[arg-type]
    assert len(admin.calls) == 1
