"""``positions.partition_for`` against where the producers' partitioner really puts a user's
records: resume tokens name the user's partitions by it, so a mismatch would make every
resumption inexact (a ``resync`` for every reconnecting client)."""

from __future__ import annotations

from connectors.kafka.settings import KafkaSettings
from processors.notifier.positions import partition_for
from tests.kafka_helpers import consume, create_topic, produce


def test_partition_for_agrees_with_the_producers_partitioner_at_two_partition_counts(stack, topic_prefix):
    kafka = KafkaSettings.from_env({}, bootstrap_servers=stack.kafka.bootstrap_servers, topic_prefix=topic_prefix)
    users = [f"user-{n}@example.com" for n in range(40)]
    for partitions in (6, 5):
        topic = kafka.topic(f"partitions-{partitions}")
        create_topic(kafka, topic, partitions=partitions)
        produce(kafka, topic, [(user.encode(), b"x", []) for user in users])
        landed = {m.key().decode(): m.partition() for m in consume(kafka, topic, len(users), group=f"{topic}-reader")}
        assert landed == {user: partition_for(user, partitions) for user in users}
