"""The vespa-loader worker end to end, against the document/v1 test server and in file mode."""

from __future__ import annotations

import asyncio
import json

from connectors.kafka.admin import ensure_topics
from connectors.kafka.settings import KafkaSettings
from connectors.vespa.operations import DocumentId
from connectors.vespa.testing import FakeVespa, serve_fake_vespa
from processors.common.dead_letters import reason_headers
from schemas.models import ChangeType, ContactUpdateEvent, EmailBackfillEvent
from tests import factories
from tests.kafka_helpers import committed_total, consume, produce
from tests.waiting import wait_for
from tests.vespa_package import vespa_document_fields
from tests.workers import FaustWorker, worker_env

USER = "user-v"


def doc(doctype: str, local_id: str) -> str:
    return str(DocumentId(namespace="officestream", doctype=doctype, group=USER, local_id=local_id))


def backfill(*emails) -> EmailBackfillEvent:
    return EmailBackfillEvent(
        metadata=factories.metadata("EmailBackfillEvent", user_id=USER), job_id="job-v", batch_index=0, emails=list(emails)
    )


def prepared(stack, topic_prefix):
    kafka = KafkaSettings.from_env({}, bootstrap_servers=stack.kafka.bootstrap_servers, topic_prefix=topic_prefix)
    ensure_topics(kafka)
    return kafka


async def test_loader_feeds_vespa_retries_throttling_and_dead_letters_rejections(stack, serde, topic_prefix, tmp_path):
    kafka = prepared(stack, topic_prefix)
    emails, updates = kafka.topic("email-backfill"), kafka.topic("email-updates")
    contacts = kafka.topic("contact-updates")
    async with serve_fake_vespa(FakeVespa(schemas=vespa_document_fields())) as fake:
        fake.fail(503, doc_id=doc("email", "m1"), times=2)  # throttled twice, then accepted
        fake.fail(400, doc_id=doc("email", "m-bad"), times=100, message="bad field")
        env = worker_env(stack, topic_prefix, tmp_path / "data", OFFICESTREAM_VESPA_URL=fake.url)
        produce(kafka, emails, [
            (USER.encode(), serde.encode(emails, backfill(factories.email("m1"), factories.email("m2"), factories.email("m-bad"))), []),
            (USER.encode(), b"\x00garbage", []),
        ])
        produce(kafka, updates, [(USER.encode(), serde.encode(updates, factories.email_update(ChangeType.deleted, user_id=USER, email_id="m2")), [])])
        contact = ContactUpdateEvent(
            metadata=factories.metadata("ContactUpdateEvent", user_id=USER), change_type=ChangeType.created,
            contact_id="people/c1", contact=factories.contact(),
        )
        produce(kafka, contacts, [(USER.encode(), serde.encode(contacts, contact), [])])
        worker = FaustWorker("vespa_loader", env, tmp_path / "loader.log")
        await asyncio.to_thread(worker.start)
        try:
            await fake.wait_until(lambda f: f.document(doc("contact", "people/c1")) is not None and f.document(doc("email", "m1")) is not None, timeout=30)
            await fake.wait_until(lambda f: any(r.method == "DELETE" for r in f.requests), timeout=30)
            dead = await asyncio.to_thread(consume, kafka, kafka.topic("vespa-loader-dlq"), 2, group="v1")
        finally:
            await asyncio.to_thread(worker.stop)
    assert fake.document(doc("email", "m1"))["subject"] == "Your order has shipped"
    assert fake.document(doc("email", "m2")) is None  # put by the backfill, removed by the update
    assert fake.document(doc("contact", "people/c1"))["display_name"] == "Ada Lovelace"
    reasons = sorted(reason_headers(d.headers())["error.class"] for d in dead)
    assert reasons == ["PoisonMessage", "UnknownSchemaId"]
    refused = next(reason_headers(d.headers()) for d in dead if reason_headers(d.headers())["error.class"] == "PoisonMessage")
    # "1 of 3", or "1 of 2" when the delete of m2 (another topic) came first and its tombstone won
    assert "documents refused by Vespa: m-bad: " in refused["error.message"] and "HTTP 400" in refused["error.message"]


def test_without_vespa_url_the_loader_writes_a_feed_file(stack, serde, topic_prefix, tmp_path):
    kafka = prepared(stack, topic_prefix)
    emails = kafka.topic("email-backfill")
    feed_file = tmp_path / "feed.jsonl"
    env = worker_env(stack, topic_prefix, tmp_path / "data", OFFICESTREAM_VESPA_FEED_FILE=str(feed_file))
    event = backfill(factories.email("f1"), factories.email("f2"))
    produce(kafka, emails, [(USER.encode(), serde.encode(emails, event), []), (USER.encode(), serde.encode(emails, event), [])])
    worker = FaustWorker("vespa_loader", env, tmp_path / "loader.log").start()
    try:
        lines = wait_for(lambda: feed_file.exists() and feed_file.read_text().splitlines(), timeout_s=30, what="the feed file")
    finally:
        worker.stop()
    operations = [json.loads(line) for line in feed_file.read_text().splitlines()]
    assert [op["put"] for op in operations] == [doc("email", "f1"), doc("email", "f2")]  # the redelivery fed nothing
    assert len(lines) == 2 and operations[0]["fields"]["user_id"] == USER


def test_batches_span_messages_and_each_ledger_entry_lands_in_its_messages_partition(stack, serde, topic_prefix, tmp_path):
    """Operations of messages from several partitions share batches; the ledger entry of each
    item still goes to the changelog partition of the message it came from, so after a restart
    (RocksDB state) a redelivery of everything feeds nothing."""
    kafka = prepared(stack, topic_prefix)
    emails = kafka.topic("email-backfill")
    feed_file = tmp_path / "feed.jsonl"
    env = worker_env(stack, topic_prefix, tmp_path / "data", OFFICESTREAM_VESPA_FEED_FILE=str(feed_file),
                     OFFICESTREAM_PROCESSOR_STORE="rocksdb://", OFFICESTREAM_VESPA_BATCH_SIZE="7",
                     OFFICESTREAM_VESPA_BATCH_LINGER_MS="50")
    users = [f"user-{n}" for n in range(8)]
    messages = []
    for round_ in range(2):
        for user in users:
            items = [factories.email(f"{user}-m{round_}-{i}") for i in range(3)]
            event = EmailBackfillEvent(metadata=factories.metadata("EmailBackfillEvent", user_id=user), job_id="job",
                                       batch_index=round_, emails=items)
            messages.append((user.encode(), serde.encode(emails, event), []))
    produce(kafka, emails, messages)
    expected = len(messages) * 3

    def fed() -> list[str]:
        return feed_file.read_text().splitlines() if feed_file.exists() else []

    worker = FaustWorker("vespa_loader", env, tmp_path / "loader-1.log").start()
    try:
        wait_for(lambda: len(fed()) >= expected, timeout_s=60, what=f"{expected} feed-file lines")
    finally:
        worker.stop()  # a clean stop commits: every batch is fed first
    assert len(fed()) == expected

    source_partition = {m.key(): m.partition() for m in consume(kafka, emails, len(messages), group="v-src")}
    changelog = consume(kafka, f"{kafka.group('vespa-loader')}-applied-changelog", expected, group="v-log")
    for entry in changelog:
        user = json.loads(entry.key()).split(":", 1)[0]
        assert entry.partition() == source_partition[user.encode()], f"{entry.key()!r} is in the wrong partition"
    assert len({m.partition() for m in changelog}) > 1  # the users really were spread

    produce(kafka, emails, messages)  # everything again
    worker = FaustWorker("vespa_loader", env, tmp_path / "loader-2.log").start()
    try:
        wait_for(lambda: committed_total(kafka, kafka.group("vespa-loader"), emails) >= 2 * len(messages), timeout_s=60,
                 what="the redelivered messages committed")
    finally:
        worker.stop()
    assert len(fed()) == expected  # the recovered ledger knew every item
