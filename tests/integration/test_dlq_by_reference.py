"""`officestream dlq show | replay` with letters sent by reference (their original value kept
in Redis): shown decoded and replayed with the original bytes while Redis has them; refused,
naming the key, once they are gone."""

from __future__ import annotations

import json

import redis

from connectors.kafka.admin import ensure_topics
from connectors.kafka.settings import KafkaSettings
from connectors.kafka.topics import TOPICS
from processors.common.dead_letters import by_reference, dead_letter
from processors.common.inbound import InboundRecord
from schemas.exceptions import UnknownSchemaId
from tests import factories
from tests.ops_cli import officestream
from tests.kafka_helpers import produce, read_all
from tests.workers import worker_env


def test_letters_by_reference_are_shown_and_replayed_from_redis_or_refused(stack, serde, topic_prefix, unique, tmp_path):
    kafka = KafkaSettings.from_env({}, bootstrap_servers=stack.kafka.bootstrap_servers, topic_prefix=topic_prefix)
    ensure_topics(kafka, specs=[s for s in TOPICS if s.name in ("email-updates", "shipments-dlq")])
    topic, user = kafka.topic("email-updates"), f"ref-user-{unique}"
    value = serde.encode(topic, factories.email_update(user_id=user, email_id="m-ref"))
    kept, lost = (
        by_reference(dead_letter(InboundRecord(topic, 2, offset, user.encode(), value, [("traceparent", b"00-t")]),
                                 service="shipments", error=UnknownSchemaId("schema id 99 is unknown")))
        for offset in (7, 8)
    )
    redis.Redis.from_url(stack.redis.url).set(kept.original_key, value, px=600_000)  # the worker kept the first; the second expired
    produce(kafka, kafka.topic("shipments-dlq"), [(l.key, l.value, l.headers) for l in (kept, lost)])
    env = worker_env(stack, topic_prefix, tmp_path)

    shown = officestream(env, "dlq", "show", "shipments", "--reason", "UnknownSchemaId")
    assert shown.returncode == 0, shown.stderr
    first, second = (json.loads(line) for line in shown.stdout.splitlines())
    assert first["by_reference"] == kept.original_key and first["message"]["email_id"] == "m-ref"
    assert first["source"] == f"{topic}[2]@7" and first["headers"] == {"traceparent": "00-t"}
    assert "no longer in Redis" in second["message"]["unavailable"]

    replayed = officestream(env, "dlq", "replay", "shipments", "--offsets", "0-1")
    assert replayed.returncode == 1, replayed  # one letter refused
    assert replayed.stdout.splitlines()[0].startswith("replayed")
    assert replayed.stdout.splitlines()[1].startswith("refused") and lost.original_key in replayed.stdout
    [record] = read_all(kafka, topic)
    assert (record.key(), record.value()) == (user.encode(), value)
    assert dict(record.headers())["officestream.replay.of"] == f"{kafka.topic('shipments-dlq')}[0]@0".encode()
