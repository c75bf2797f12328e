"""A document Vespa refuses, through the real worker: its message goes to the real dead-letter
topic naming it, the message's other documents and the next message's land, and the ledger's
real changelog records only what Vespa accepted (a replay would feed the refused one again)."""

from __future__ import annotations

import asyncio
import json

from connectors.kafka.admin import ensure_topics
from connectors.kafka.settings import KafkaSettings
from connectors.vespa.operations import DocumentId
from connectors.vespa.testing import FakeVespa, serve_fake_vespa
from processors.common.dead_letters import reason_headers

from schemas.models import EmailBackfillEvent
from tests import factories
from tests.kafka_helpers import consume, produce, read_all, record_count
from tests.vespa_package import vespa_document_fields
from tests.waiting import wait_for
from tests.workers import FaustWorker, worker_env

USER = "user-refused"


def doc(local_id: str) -> str:
    return str(DocumentId(namespace="officestream", doctype="email", group=USER, local_id=local_id))


async def test_a_refused_document_is_dead_lettered_and_left_out_of_the_ledger(stack, serde, topic_prefix, tmp_path):
    kafka = KafkaSettings.from_env({}, bootstrap_servers=stack.kafka.bootstrap_servers, topic_prefix=topic_prefix)
    ensure_topics(kafka)
    topic = kafka.topic("email-backfill")
    changelog = f"{kafka.group('vespa-loader')}-applied-changelog"

    def backfill(index: int, *doc_ids: str) -> bytes:
        return serde.encode(topic, EmailBackfillEvent(
            metadata=factories.metadata("EmailBackfillEvent", user_id=USER), job_id="job", batch_index=index,
            emails=[factories.email(doc_id) for doc_id in doc_ids],
        ))

    produce(kafka, topic, [(USER.encode(), backfill(0, "ok1", "bad"), []), (USER.encode(), backfill(1, "ok2"), [])])
    async with serve_fake_vespa(FakeVespa(schemas=vespa_document_fields())) as fake:
        fake.fail(400, doc_id=doc("bad"), times=100, message="bad field")
        env = worker_env(stack, topic_prefix, tmp_path / "data", OFFICESTREAM_VESPA_URL=fake.url)
        worker = FaustWorker("vespa_loader", env, tmp_path / "loader.log")
        await asyncio.to_thread(worker.start)
        try:
            [dead] = await asyncio.to_thread(consume, kafka, kafka.topic("vespa-loader-dlq"), 1, group="refused")
            await fake.wait_until(lambda f: f.document(doc("ok1")) is not None and f.document(doc("ok2")) is not None, timeout=30)
            await asyncio.to_thread(wait_for, lambda: record_count(kafka, changelog) >= 2, timeout_s=30, what="the ledger entries")
        finally:
            await asyncio.to_thread(worker.stop)
    reason = reason_headers(dead.headers())
    assert (dead.key(), reason["source.topic"], reason["source.offset"]) == (USER.encode(), topic, "0")
    assert "1 of 2 documents refused by Vespa: bad: " in reason["error.message"] and "HTTP 400" in reason["error.message"]
    assert fake.document(doc("bad")) is None
    recorded = sorted(json.loads(m.key()) for m in await asyncio.to_thread(read_all, kafka, changelog))
    assert len(recorded) == 2 and recorded[0].endswith(":ok1") and recorded[1].endswith(":ok2")
