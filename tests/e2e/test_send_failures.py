"""What a worker does with a record it cannot send: a dead letter too large for its topic goes
by reference (its value kept in Redis, recoverable byte for byte); a dead letter or derived
event the producer refuses stops the worker before any commit past the message, and the
restarted worker replays it."""

from __future__ import annotations

import hashlib
import json
import os

import redis
from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import SchemaRegistryClient

from connectors.kafka.admin import ensure_topics
from connectors.kafka.settings import DEFAULT_MAX_MESSAGE_BYTES, KafkaSettings
from connectors.kafka.topics import EMAIL_UPDATES, SHIPMENTS
from processors.common.dead_letters import reason_headers
from schemas.models import ChangeType, EmailUpdateEvent
from tests import factories
from tests.kafka_helpers import consume, produce, register_derived_schemas
from tests.unit.shipments import numbers
from tests.unit.shipments.mails import mail
from tests.waiting import wait_for
from tests.workers import FaustWorker, worker_env

USER = "user-f"


def committed_offset(kafka: KafkaSettings, group: str, topic: str, partition: int) -> int:
    """The group's committed offset of ``topic[partition]`` (negative: nothing committed)."""
    admin = AdminClient(kafka.librdkafka_config())
    request = ConsumerGroupTopicPartitions(group, [TopicPartition(topic, partition)])
    [future] = admin.list_consumer_group_offsets([request]).values()
    [committed] = future.result(timeout=10).topic_partitions
    return committed.offset


#: The stopped worker may still be a member of the group (a crash need not leave it): with
#: the default 60 s session the restarted worker could wait that long for its partition, close
#: to the test's own wait on a loaded machine (seen: "timed out after 60s").
QUICK_TAKEOVER = {"OFFICESTREAM_PROCESSOR_SESSION_TIMEOUT_S": "6"}


def wait_until_stopped(worker: FaustWorker) -> int:
    assert worker.process is not None
    wait_for(lambda: worker.process.poll() is not None, timeout_s=60, what="the worker to stop")
    return worker.process.returncode


def setup(stack, topic_prefix: str) -> KafkaSettings:
    """The catalogue's topics (the services' table changelogs among them, created before the
    worker starts as `officestream topics create` does) and the derived topics' subjects."""
    kafka = KafkaSettings.from_env({}, bootstrap_servers=stack.kafka.bootstrap_servers, topic_prefix=topic_prefix)
    ensure_topics(kafka)
    register_derived_schemas(kafka, SchemaRegistryClient(stack.registry.client_config()))
    return kafka


def partition_of(kafka: KafkaSettings, topic: str) -> int:
    """The partition of the (only) record produced to ``topic``, at offset 0."""
    [record] = consume(kafka, topic, 1, group="source-reader")
    return record.partition()


def tracked_update(email_id: str) -> EmailUpdateEvent:
    text = f"Your package is on its way.\nUPS tracking number: {numbers.UPS}\n"
    email = mail(sender="mcinfo@ups.com", name="UPS", subject="UPS Update: shipped", text=text, email_id=email_id)
    return EmailUpdateEvent(
        metadata=factories.metadata("EmailUpdateEvent", user_id=USER), change_type=ChangeType.created,
        email_id=email.id, email=email,
    )


def test_a_poison_message_of_about_a_megabyte_is_dead_lettered_by_reference(stack, serde, topic_prefix, tmp_path):
    kafka = setup(stack, topic_prefix)
    updates = kafka.topic(EMAIL_UPDATES)
    # Not Avro (no magic byte): poison, and nearly as large as the topic takes (its framing, key
    # and header fill the last 200 bytes), so its dead letter's reason headers cannot fit.
    poison = b"\x07" + os.urandom(DEFAULT_MAX_MESSAGE_BYTES - 200)
    produce(kafka, updates, [
        (USER.encode(), poison, [("traceparent", b"00-trace-span-01")]),
        (USER.encode(), serde.encode(updates, tracked_update("after-the-poison")), []),
    ])
    worker = FaustWorker("shipments", worker_env(stack, topic_prefix, tmp_path / "data"), tmp_path / "shipments.log").start()
    try:
        [dead] = consume(kafka, kafka.topic("shipments-dlq"), 1, group="dlq-reader")
        [after] = consume(kafka, kafka.topic("shipment-updates"), 1, group="updates-reader")
        worker.check_alive()
    finally:
        worker.stop()
    reason = reason_headers(dead.headers())
    assert (dead.key(), dead.value(), reason["error.class"]) == (USER.encode(), b"", "BadMagicByte")
    assert ("traceparent", b"00-trace-span-01") in dead.headers()
    assert reason["original.size"] == str(len(poison))
    assert reason["original.sha256"] == hashlib.sha256(poison).hexdigest()
    client = redis.Redis.from_url(stack.redis.url, **stack.redis.client_kwargs())
    assert client.get(reason["original.ref"]) == poison
    assert 0 < client.pttl(reason["original.ref"]) <= 30 * 24 * 3600 * 1000
    assert serde.decode(after.value()).package.source_email_ids == ["after-the-poison"]


def test_a_dead_letter_the_producer_refuses_stops_the_worker_and_is_replayed_after_restart(stack, topic_prefix, tmp_path):
    kafka = setup(stack, topic_prefix)
    updates = kafka.topic(EMAIL_UPDATES)
    # Headers alone larger than the worker's limit: even its dead letter by reference cannot fit.
    produce(kafka, updates, [(USER.encode(), b"\x07not avro", [("x-huge", b"h" * 6000)])])
    env = worker_env(stack, topic_prefix, tmp_path / "data", **QUICK_TAKEOVER)
    log_path = tmp_path / "shipments.log"
    refusing = FaustWorker("shipments", {**env, "OFFICESTREAM_KAFKA_MAX_MESSAGE_BYTES": "4096"}, log_path).start()
    assert wait_until_stopped(refusing) != 0
    assert "record not sent, stopping the worker" in refusing.log_text()
    assert committed_offset(kafka, kafka.group(SHIPMENTS), updates, partition_of(kafka, updates)) <= 0  # not past it

    with FaustWorker("shipments", env, log_path).start():
        [dead] = consume(kafka, kafka.topic("shipments-dlq"), 1, group="dlq-reader")
    assert (dead.value(), reason_headers(dead.headers())["error.class"]) == (b"\x07not avro", "BadMagicByte")


def test_a_derived_event_the_producer_refuses_stops_the_worker_and_is_replayed_after_restart(stack, serde, topic_prefix, tmp_path):
    kafka = setup(stack, topic_prefix)
    updates = kafka.topic(EMAIL_UPDATES)
    # A long e-mail id: the ledger entry (~1.2 kB) and the package (~2.4 kB) fit the worker's
    # limit, the shipment-updates event naming the package and its cause (~3.3 kB of Avro) does not.
    email_id = "m-" + "x" * 1000
    produce(kafka, updates, [(USER.encode(), serde.encode(updates, tracked_update(email_id)), [])])
    env = worker_env(stack, topic_prefix, tmp_path / "data", **QUICK_TAKEOVER)
    log_path = tmp_path / "shipments.log"
    refusing = FaustWorker("shipments", {**env, "OFFICESTREAM_KAFKA_MAX_MESSAGE_BYTES": "3000"}, log_path).start()
    assert wait_until_stopped(refusing) != 0
    assert f"cannot send to {kafka.topic('shipment-updates')}" in refusing.log_text()
    partition = partition_of(kafka, updates)
    assert committed_offset(kafka, kafka.group(SHIPMENTS), updates, partition) <= 0  # not past it

    with FaustWorker("shipments", env, log_path).start():
        wait_for(
            lambda: committed_offset(kafka, kafka.group(SHIPMENTS), updates, partition) == 1,
            timeout_s=90, what="the replayed message to be committed",
        )
    ledger = consume(kafka, kafka.topic("shipments-applied-changelog"), 1, group="ledger-reader")
    assert [json.loads(record.key()) for record in ledger] == [f"{USER}:email:{email_id}"]
