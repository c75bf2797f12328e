"""The meetings worker end to end: calendar changes in, meeting state, updates and CLI answers out;
older versions change nothing, redeliveries change nothing and are announced again under the same
event id; a restarted worker recovers its tables."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource

from connectors.kafka.admin import ensure_topics
from connectors.kafka.settings import KafkaSettings
from processors.common.dead_letters import reason_headers
from processors.meetings.state import MEETINGS_TABLE, changelog_topic
from schemas.models import CalendarBatchEvent, CalendarUpdateEvent, ChangeType, Event, EventKind, EventTime
from tests import factories
from tests.kafka_helpers import consume, consume_until, deduplicated, produce, read_plainly, register_derived_schemas
from tests.waiting import wait_for
from tests.workers import FaustWorker, worker_env

USER = "user-m"


def update(change: ChangeType, event_id: str, *, at: dt.datetime, **fields) -> CalendarUpdateEvent:
    record = None if change is ChangeType.deleted else factories.calendar_event(event_id, **fields)
    return CalendarUpdateEvent(
        metadata=factories.metadata("CalendarUpdateEvent", user_id=USER, occurred_at=at),
        change_type=change, calendar_event_id=event_id, calendar_event=record,
    )


def single(event_id: str, start_hour: int, *, at: dt.datetime, title: str, marker: str, change=ChangeType.created):
    start = dt.datetime(2026, 11, 2, start_hour, 0, tzinfo=dt.UTC)
    return update(
        change, event_id, at=at, title=title, kind=EventKind.single, recurrence=[], version_marker=marker,
        start=EventTime(at=start, time_zone="Europe/Berlin"), end=EventTime(at=start + dt.timedelta(hours=1), time_zone="Europe/Berlin"),
    )


def updates_of(kafka: KafkaSettings, registry, count: int) -> tuple[list[Event], list[Event]]:
    """The first ``count`` distinct ``meeting-updates`` (as a reader that drops event ids it has
    seen keeps them), and every copy read up to there, read with a plain Confluent deserializer."""
    enough = lambda got: len(deduplicated(read_plainly(registry, got))) >= count
    copies = read_plainly(registry, consume_until(kafka, kafka.topic("meeting-updates"), enough))
    return deduplicated(copies), copies


def record_id(update: Event) -> str:
    """The calendar item a ``MeetingUpdateEvent`` is about."""
    return (update.context or update.tombstone).event_id


def officestream(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ops.cli", *args], env=env, capture_output=True, text=True, timeout=120)


def busy_on_nov_2(env: dict[str, str]) -> list[dict]:
    result = officestream("meetings", "busy", USER, "2026-11-02", "--tz", "Europe/Berlin", env=env)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def attendees(env: dict[str, str], *args: str) -> dict[str, list[str]]:
    result = officestream("meetings", "attendees", USER, *args, env=env)
    assert result.returncode == 0, result.stderr
    return {row["email"]: row["meeting_ids"] for row in map(json.loads, result.stdout.splitlines())}


def test_meetings_worker_end_to_end_with_restart(stack, serde, registry, topic_prefix, tmp_path):
    kafka = KafkaSettings.from_env({}, bootstrap_servers=stack.kafka.bootstrap_servers, topic_prefix=topic_prefix)
    ensure_topics(kafka)
    register_derived_schemas(kafka, registry)
    topic = kafka.topic("calendar-updates")
    # RocksDB here (the other worker tests use memory://): state on disk plus the changelog.
    env = worker_env(stack, topic_prefix, tmp_path / "data", OFFICESTREAM_PROCESSOR_STORE="rocksdb://")
    t1, t2, t3 = (factories.T0 + dt.timedelta(minutes=m) for m in (1, 2, 3))
    standup = single("standup", 9, at=t2, title="Standup v2", marker="ck-2")
    first = [
        (b"\x00\x00\x00\x7f\x01", "poison"),
        (serde.encode(topic, standup), "standup created"),
        (serde.encode(topic, standup), "redelivery: announced again, same id"),
        (serde.encode(topic, single("standup", 9, at=t1, title="Standup v1", marker="ck-1", change=ChangeType.updated)), "older: nothing"),
        (serde.encode(topic, CalendarBatchEvent(
            metadata=factories.metadata("CalendarBatchEvent", user_id=USER, occurred_at=t2), batch_index=0,
            calendar_events=[factories.calendar_event("review", title="Review", kind=EventKind.single, recurrence=[],
                             start=EventTime(at=dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)),
                             end=EventTime(at=dt.datetime(2026, 11, 2, 11, 0, tzinfo=dt.UTC)))],
        )), "review created"),
    ]
    produce(kafka, topic, [(USER.encode(), value, []) for value, _ in first])
    worker = FaustWorker("meetings", env, tmp_path / "meetings.log").start()
    try:
        (created, synced), copies = updates_of(kafka, registry, 2)
        assert (type(created).__name__, created.kind.value, created.context.title) == ("MeetingUpdateEvent", "created", "Standup v2")
        # The redelivered standup was announced again from the stored record: the same event.
        standups = [c for c in copies if getattr(c, "kind", None) == created.kind]
        assert len(standups) == 2 and all((c.metadata.event_id, c.context) == (created.metadata.event_id, created.context) for c in standups)
        # A batch is announced once, with counts; its contexts are in the table.
        assert type(synced).__name__ == "MeetingsSyncedEvent"
        assert (synced.batch_index, synced.count, [(k.kind.value, k.count) for k in synced.kinds]) == (0, 1, [("created", 1)])
        [dead] = consume(kafka, kafka.topic("meetings-dlq"), 1, group="d1")
        assert reason_headers(dead.headers())["error.class"] == "UnknownSchemaId"
        # The CLI reads the table's changelog, which the worker flushes at least every commit interval.
        intervals = wait_for(lambda: busy_on_nov_2(env), timeout_s=20, what="the meetings changelog")
        assert [(i["start"], i["end"]) for i in intervals] == [("2026-11-02T10:00:00+01:00", "2026-11-02T12:00:00+01:00")]
        assert sorted(intervals[0]["meeting_ids"]) == ["review", "standup"]
        # The attendee index is computed from the same records: organizer and accepted guest.
        assert attendees(env) == {"ada@example.com": ["review", "standup"], "bob@example.com": ["review", "standup"]}
        assert attendees(env, "--email", "BOB@example.com") == {"bob@example.com": ["review", "standup"]}
    finally:
        worker.stop()

    # While it is down: a redelivery of what it already applied, then a real change.
    produce(kafka, topic, [
        (USER.encode(), serde.encode(topic, standup), []),
        (USER.encode(), serde.encode(topic, update(ChangeType.deleted, "review", at=t3)), []),
    ])
    worker = FaustWorker("meetings", env, tmp_path / "meetings-2.log").start()
    try:
        seen, copies = updates_of(kafka, registry, 3)
        # Only the delete is new: the redelivered standup was recognised from the recovered table
        # and announced again under the id it had before the restart.
        assert [(u.kind.value, u.tombstone.event_id) for u in seen[2:]] == [("deleted", "review")]
        updates = [c for c in copies if type(c).__name__ == "MeetingUpdateEvent"]
        assert {c.metadata.event_id for c in updates if record_id(c) == "standup"} == {seen[0].metadata.event_id}
        wait_for(lambda: [i["meeting_ids"] for i in busy_on_nov_2(env)] == [["standup"]], timeout_s=20, what="the delete in the changelog")
        assert attendees(env) == {"ada@example.com": ["standup"], "bob@example.com": ["standup"]}
        # Resumed from the committed offset: the poison before the restart was not read again.
        dlq = TopicPartition(kafka.topic("meetings-dlq"), 0)
        assert Consumer(kafka.librdkafka_config(**{"group.id": "w"})).get_watermark_offsets(dlq, timeout=10) == (0, 1)
    finally:
        worker.stop()
    changelog = changelog_topic(kafka, MEETINGS_TABLE)
    resource = ConfigResource(ConfigResource.Type.TOPIC, changelog)
    admin = AdminClient(kafka.librdkafka_config())
    config = admin.describe_configs([resource])[resource].result()
    assert config["cleanup.policy"].value == "compact"


def test_a_deleted_meetings_tombstone_is_dropped_once_kept_for_the_retention(stack, serde, registry, topic_prefix, tmp_path):
    kafka = KafkaSettings.from_env({}, bootstrap_servers=stack.kafka.bootstrap_servers, topic_prefix=topic_prefix)
    ensure_topics(kafka)
    register_derived_schemas(kafka, registry)
    topic = kafka.topic("calendar-updates")
    retention_s = 2.0
    env = worker_env(stack, topic_prefix, tmp_path / "data",
                     OFFICESTREAM_PROCESSOR_MEETINGS_TOMBSTONE_RETENTION_DAYS=str(retention_s / 86400))
    t1, t2, t3 = (factories.T0 + dt.timedelta(minutes=m) for m in (1, 2, 3))
    key = json.dumps(f"{USER}:gone").encode()
    changelog = changelog_topic(kafka, MEETINGS_TABLE)

    def changelog_values() -> list[bytes | None]:
        consumer = Consumer(kafka.librdkafka_config(**{"group.id": f"read-{t1.timestamp()}", "auto.offset.reset": "earliest"}))
        try:
            partitions = consumer.list_topics(changelog, timeout=10).topics[changelog].partitions
            values = []
            for p in partitions:
                low, high = consumer.get_watermark_offsets(TopicPartition(changelog, p), timeout=10)
                if high <= low:
                    continue
                consumer.assign([TopicPartition(changelog, p, low)])
                read = 0
                while read < high - low:
                    message = consumer.poll(5)
                    if message is None:
                        break
                    read += 1
                    if message.error() is None and message.key() == key:
                        values.append(message.value())
            return values
        finally:
            consumer.close()

    worker = FaustWorker("meetings", env, tmp_path / "meetings.log").start()
    try:
        produce(kafka, topic, [
            (USER.encode(), serde.encode(topic, single("gone", 9, at=t1, title="Gone", marker="g1")), []),
            (USER.encode(), serde.encode(topic, update(ChangeType.deleted, "gone", at=t2)), []),
        ])
        stored = wait_for(lambda: (v := changelog_values()) and len(v) >= 2 and v, timeout_s=30, what="the tombstone")
        assert json.loads(stored[-1])["record_type"] == "tombstone" and json.loads(stored[-1])["stored_at"]
        time.sleep(retention_s + 0.5)
        # The user's next message, whatever it is, drops the expired tombstone: a null record.
        produce(kafka, topic, [(USER.encode(), serde.encode(topic, single("next", 10, at=t3, title="Next", marker="n1")), [])])
        values = wait_for(lambda: (v := changelog_values()) and v[-1] is None and v, timeout_s=30, what="the dropped key")
    finally:
        worker.stop()
    assert len(values) == 3  # the meeting, its tombstone, the key's deletion
