"""`officestream dlq` on a real shipments worker (the faust worker CLI): an e-mail whose payload
is missing from Redis is dead-lettered; once the payload is back (the fix), `dlq replay` sends
it to its topic again and its package appears exactly once; a second replay is refused, and a
dry run publishes nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import redis
from confluent_kafka.schema_registry import SchemaRegistryClient

from connectors.redis.payload_store import content_type, encode_record, payload_key
from schemas.models import ChangeType, DocType, EmailUpdateEvent, PayloadRef
from tests import factories
from tests.ops_cli import officestream, shipments_changelogs, wait_caught_up
from tests.e2e.worker_faults import high_watermark, ups_mail
from tests.kafka_helpers import deduplicated, prepared, produce, read_all, read_plainly
from tests.unit.shipments import numbers
from tests.waiting import wait_for
from tests.workers import FaustWorker, worker_env


def referenced_update(user: str, email) -> tuple[EmailUpdateEvent, bytes]:
    """An update carrying ``email`` by reference, and the bytes the reference names."""
    data = encode_record(email)
    ref = PayloadRef(
        key=payload_key(user, DocType.email, email.id), doc_type=DocType.email, doc_id=email.id,
        sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data), content_type=content_type(DocType.email),
        expires_at=factories.T0 + dt.timedelta(days=1),
    )
    event = EmailUpdateEvent(
        metadata=factories.metadata("EmailUpdateEvent", user_id=user, occurred_at=factories.T0),
        change_type=ChangeType.created, email_id=email.id, email_ref=ref,
    )
    return event, data


def test_a_dead_letter_replayed_after_the_fix_takes_effect_exactly_once(stack, serde, topic_prefix, unique, tmp_path):
    kafka = prepared(stack, topic_prefix)
    topic, dlq, updates = kafka.topic("email-updates"), kafka.topic("shipments-dlq"), kafka.topic("shipment-updates")
    user = f"dlq-user-{unique}"
    event, data = referenced_update(user, ups_mail(f"{user}-m1", factories.T0))
    env = worker_env(stack, topic_prefix, tmp_path / "data")
    shipments_changelogs(kafka, kafka.group("shipments"))
    traceparent = ("traceparent", b"00-" + b"1" * 32 + b"-" + b"2" * 16 + b"-01")
    produce(kafka, topic, [(user.encode(), serde.encode(topic, event), [traceparent])])
    worker = FaustWorker("shipments", env, tmp_path / "shipments.log").start()
    try:
        wait_for(lambda: high_watermark(kafka, dlq) == 1, timeout_s=60, what="the e-mail to be dead-lettered")
        wait_caught_up(kafka, kafka.group("shipments"), topic)
        listed = officestream(env, "dlq", "list", "shipments")
        assert listed.returncode == 0, listed.stderr
        assert listed.stdout.split("\n")[1].split() == ["shipments", "PayloadMissing", "1", "0"]
        shown = officestream(env, "dlq", "show", "shipments", "--offset", "0")
        [letter] = [json.loads(line) for line in shown.stdout.splitlines()]
        assert (letter["reason"], letter["source"], letter["key"]) == ("PayloadMissing", _where(kafka, topic), user)
        assert letter["message"]["email_ref"]["key"] == payload_key(user, DocType.email, f"{user}-m1")
        assert letter["headers"]["traceparent"].startswith("00-111")

        redis.Redis.from_url(stack.redis.url).set(payload_key(user, DocType.email, f"{user}-m1"), data, px=600_000)  # the fix
        dry = officestream(env, "dlq", "replay", "shipments", "--offsets", "0-0", "--dry-run")
        assert dry.returncode == 0 and dry.stdout.startswith("would replay"), dry
        assert high_watermark(kafka, topic) == 1  # nothing published
        done = officestream(env, "dlq", "replay", "shipments", "--reason", "PayloadMissing")
        assert done.returncode == 0 and done.stdout.startswith("replayed") and f"to {topic}[" in done.stdout, done
        twice = officestream(env, "dlq", "replay", "shipments", "--offsets", "0")
        assert twice.returncode == 1 and "already replayed to" in twice.stdout, twice
        wait_caught_up(kafka, kafka.group("shipments"), topic)
    finally:
        worker.stop()
    [original, replayed] = read_all(kafka, topic)
    assert replayed.value() == original.value() and replayed.key() == original.key()
    assert dict(replayed.headers())["officestream.replay.of"] == f"{dlq}[0]@0".encode()
    assert dict(replayed.headers())["traceparent"] == dict(original.headers())["traceparent"]
    announced = deduplicated(read_plainly(SchemaRegistryClient(stack.registry.client_config()), read_all(kafka, updates)))
    assert [(e.kind.value, e.package.tracking_number, e.package.source_email_ids) for e in announced] == [
        ("created", numbers.UPS, [f"{user}-m1"]),
    ]
    assert high_watermark(kafka, dlq) == 1  # the replay was handled, not dead-lettered again
    listed = officestream(env, "dlq", "list", "shipments")
    assert listed.stdout.split("\n")[1].split() == ["shipments", "PayloadMissing", "1", "1"]


def _where(kafka, topic: str) -> str:
    [message] = read_all(kafka, topic)
    return f"{topic}[{message.partition()}]@{message.offset()}"
