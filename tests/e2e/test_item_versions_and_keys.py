"""A real vespa-loader worker (file mode): the one version order, records keyed by another user
refused, and the ledger's tombstones expiring."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid

from connectors.kafka.admin import ensure_topics
from connectors.kafka.settings import KafkaSettings
from processors.common.dead_letters import reason_headers
from schemas.models import ChangeType, EmailBackfillEvent, EmailUpdateEvent
from tests import factories
from tests.kafka_helpers import consume, produce, read_all
from tests.waiting import wait_for
from tests.workers import FaustWorker, worker_env

USER = "user-versions"
HOUR = dt.timedelta(hours=1)


def live(change: ChangeType, email_id: str, *, at: dt.datetime, **fields) -> EmailUpdateEvent:
    body = {} if change is ChangeType.deleted else {"email": factories.email(email_id, provider="microsoft", **fields)}
    return EmailUpdateEvent(
        metadata=factories.metadata("EmailUpdateEvent", user_id=USER, occurred_at=at), change_type=change, email_id=email_id, **body
    )


def fed(feed_file) -> list[dict]:
    return [json.loads(line) for line in feed_file.read_text().splitlines()] if feed_file.exists() else []


def test_a_backfill_page_crawled_after_a_live_change_does_not_undo_it_and_mis_keyed_records_are_refused(
    stack, serde, topic_prefix, tmp_path
):
    kafka = KafkaSettings.from_env({}, bootstrap_servers=stack.kafka.bootstrap_servers, topic_prefix=topic_prefix)
    ensure_topics(kafka)
    updates, pages = kafka.topic("email-updates"), kafka.topic("email-backfill")
    t0 = factories.T0
    # Changed at the provider at t0+1h (what the live side saw), crawled by the backfill at t0+2h
    # in the state it had at t0: the backfill's event time is later, its version is older.
    changed = live(ChangeType.updated, "m1", at=t0 + HOUR, subject="live", version_marker="ck-2", updated_at=t0 + HOUR)
    page = EmailBackfillEvent(
        metadata=factories.metadata("EmailBackfillEvent", user_id=USER, occurred_at=t0 + 2 * HOUR), job_id="job", batch_index=0,
        emails=[factories.email("m1", provider="microsoft", subject="crawled", version_marker="ck-1", updated_at=t0)],
    )
    delete = live(ChangeType.deleted, "m1", at=t0 + 3 * HOUR)
    produce(kafka, updates, [(USER.encode(), serde.encode(updates, changed), [])])
    produce(kafka, pages, [(USER.encode(), serde.encode(pages, page), [])])
    produce(kafka, updates, [
        (b"someone-else", serde.encode(updates, delete), []),
        (None, serde.encode(updates, delete), []),
        (USER.encode(), serde.encode(updates, live(ChangeType.created, "m2", at=t0 + 4 * HOUR, subject="last")), []),
    ])
    feed_file = tmp_path / "feed.jsonl"
    env = worker_env(stack, topic_prefix, tmp_path / "data", OFFICESTREAM_VESPA_FEED_FILE=str(feed_file))
    with FaustWorker("vespa_loader", env, tmp_path / "loader.log").start():
        wait_for(lambda: any("m2" in op.get("put", "") for op in fed(feed_file)), timeout_s=60, what="the last email fed")
        dead = consume(kafka, kafka.topic("vespa-loader-dlq"), 2, group=f"dlq-{uuid.uuid4().hex[:6]}")
    m1 = [op for op in fed(feed_file) if op.get("put", op.get("remove", "")).endswith(":m1")]
    # The two topics are read in either order: the crawled page may be fed first, never last.
    assert m1 and m1[-1]["fields"]["subject"] == "live"
    assert not any("remove" in op for op in m1)  # the mis-keyed deletes removed nothing
    reasons = [reason_headers(message.headers()) for message in dead]
    assert [r["error.class"] for r in reasons] == ["PoisonMessage", "PoisonMessage"]
    messages = " | ".join(r["error.message"] for r in reasons)  # two partitions: either may come first
    assert "has no key" in messages and "is not the event's user id" in messages


def test_a_deleted_items_ledger_tombstone_is_dropped_once_kept_for_the_retention(stack, serde, topic_prefix, tmp_path):
    kafka = KafkaSettings.from_env({}, bootstrap_servers=stack.kafka.bootstrap_servers, topic_prefix=topic_prefix)
    ensure_topics(kafka)
    updates = kafka.topic("email-updates")
    retention_s = 2.0
    feed_file = tmp_path / "feed.jsonl"
    env = worker_env(stack, topic_prefix, tmp_path / "data", OFFICESTREAM_VESPA_FEED_FILE=str(feed_file),
                     OFFICESTREAM_PROCESSOR_LEDGER_TOMBSTONE_RETENTION_DAYS=str(retention_s / 86400))
    changelog = f"{kafka.group('vespa-loader')}-applied-changelog"
    key = json.dumps(f"{USER}:email:gone").encode()
    t0 = factories.T0

    def ledger_values() -> list[bytes | None]:
        return [m.value() for m in read_all(kafka, changelog) if m.key() == key]

    with FaustWorker("vespa_loader", env, tmp_path / "loader.log").start():
        produce(kafka, updates, [
            (USER.encode(), serde.encode(updates, live(ChangeType.created, "gone", at=t0)), []),
            (USER.encode(), serde.encode(updates, live(ChangeType.deleted, "gone", at=t0 + HOUR)), []),
        ])
        stored = wait_for(lambda: (v := ledger_values()) and len(v) >= 2 and v, timeout_s=30, what="the tombstone")
        assert json.loads(stored[-1])["deleted"] is True and json.loads(stored[-1])["user_id"] == USER
        time.sleep(retention_s + 0.5)
        # The user's next message, whatever it is, drops the expired tombstone: a null record.
        produce(kafka, updates, [(USER.encode(), serde.encode(updates, live(ChangeType.created, "next", at=t0 + 2 * HOUR)), [])])
        values = wait_for(lambda: (v := ledger_values()) and v[-1] is None and v, timeout_s=30, what="the dropped key")
    assert len(values) == 3  # the item's entry, its tombstone, the key's deletion
