"""Derived events survive a worker crash (issue 10, item 2), on the real stack with the faust
worker CLI: the worker SIGKILLs itself (``OFFICESTREAM_PROCESSOR_TEST_KILL_AT_DERIVED``,
processors/common/kill_switch.py) either between a state write that reached the broker and the
derived event announcing it (``before``), or after both reached it but before the message's
offset was committed (``after``). Restarted without the switch, the worker replays the message,
and a reader that deduplicates on event id sees each derived event exactly once."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, TopicPartition
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import SchemaRegistryClient

from connectors.kafka.admin import ensure_topics
from connectors.kafka.compacted import read_compacted
from connectors.kafka.settings import KafkaSettings
from processors.meetings.state import MEETINGS_TABLE, changelog_topic
from schemas.models import CalendarUpdateEvent, ChangeType, EmailUpdateEvent, Event, EventKind, EventTime
from schemas.serde import AvroEventSerde
from tests import factories
from tests.kafka_helpers import consume_until, deduplicated, produce, register_derived_schemas
from tests.unit.shipments import numbers
from tests.unit.shipments.mails import mail
from tests.waiting import wait_for
from tests.workers import FaustWorker, worker_env

USER = "user-crash"


@dataclass(frozen=True)
class Scenario:
    """One service: its source topic, two source events (the one the worker dies on, then one
    that shows the restarted worker got past it), and where its state write lands."""

    service: str
    source: str
    derived: str
    #: The two source events, then one for a warm-up run: the same user, another item.
    events: Callable[[], list]
    #: The changelog topic (without prefix) and key holding the crashed message's state write.
    changelog: Callable[[KafkaSettings], tuple[str, bytes]]


def calendar_events() -> list[CalendarUpdateEvent]:
    def created(event_id: str, hour: int) -> CalendarUpdateEvent:
        start = dt.datetime(2026, 11, 2, hour, tzinfo=dt.UTC)
        record = factories.calendar_event(
            event_id, title=event_id.title(), kind=EventKind.single, recurrence=[], version_marker=f"{event_id}-1",
            start=EventTime(at=start), end=EventTime(at=start + dt.timedelta(hours=1)),
        )
        return CalendarUpdateEvent(
            metadata=factories.metadata("CalendarUpdateEvent", user_id=USER, occurred_at=factories.T0),
            change_type=ChangeType.created, calendar_event_id=event_id, calendar_event=record,
        )

    return [created("standup", 9), created("review", 11), created("warm-up", 7)]


def email_events() -> list[EmailUpdateEvent]:
    def shipped(email_id: str, number: str) -> EmailUpdateEvent:
        text = f"Your package from Blue Bottle Coffee is on its way.\nUPS tracking number: {number}\n"
        email = mail(sender="mcinfo@ups.com", name="UPS", subject="UPS Update: your package has shipped",
                     text=text, email_id=email_id)
        return EmailUpdateEvent(
            metadata=factories.metadata("EmailUpdateEvent", user_id=USER, occurred_at=factories.T0),
            change_type=ChangeType.created, email_id=email_id, email=email,
        )

    return [shipped("m-1", numbers.UPS), shipped("m-2", numbers.UPS_LETTERS), shipped("m-0", numbers.ups("999AA1012345679"))]


SCENARIOS = {
    "meetings": Scenario(
        "meetings", "calendar-updates", "meeting-updates", calendar_events,
        lambda kafka: (changelog_topic(kafka, MEETINGS_TABLE), json.dumps(f"{USER}:standup").encode()),
    ),
    "shipments": Scenario(
        "shipments", "email-updates", "shipment-updates", email_events,
        lambda kafka: (f"{kafka.group('shipments')}-packages-changelog", json.dumps(f"{USER}:{numbers.UPS}").encode()),
    ),
}


def message_count(kafka: KafkaSettings, topic: str) -> int:
    consumer = Consumer(kafka.librdkafka_config(**{"group.id": "counter"}))
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        return sum(high - low for low, high in (
            consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10) for p in partitions
        ))
    finally:
        consumer.close()


def committed(kafka: KafkaSettings, group: str) -> dict[tuple[str, int], int]:
    admin = AdminClient(kafka.librdkafka_config())
    [future] = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)]).values()
    return {(tp.topic, tp.partition): tp.offset for tp in future.result().topic_partitions if tp.offset >= 0}


def warm_up(scenario: Scenario, kafka: KafkaSettings, env: dict[str, str], serde: AvroEventSerde, log: Path) -> None:
    """Run the worker once until it has committed an offset on the user's partition, then stop it:
    the crash then happens in a group with topics and committed offsets, as in production. (A
    worker that processes a message right after creating its changelog topics can find them with
    0 partitions in faust's metadata and dead-letter it — a faust start-up race, not this test's
    subject.)"""
    source = kafka.topic(scenario.source)
    *_, warmup = scenario.events()
    with FaustWorker(scenario.service, env, log).start():
        produce(kafka, source, [(USER.encode(), serde.encode(source, warmup), [])])
        wait_for(lambda: any(topic == source for topic, _ in committed(kafka, kafka.group(scenario.service))),
                 timeout_s=30, what="the warm-up message's offset commit")


def crash_then_restart(
    scenario: Scenario, moment: str, stack, serde: AvroEventSerde, topic_prefix: str, tmp_path: Path,
    *, store: str = "memory://",
) -> tuple[list[Event], list[str]]:
    """Run the scenario: the worker dies at its first derived event, a second worker replays.
    Returns the derived events of the two source events the topic holds once the second is
    announced, and the two source events' ids."""
    kafka = KafkaSettings.from_env({}, bootstrap_servers=stack.kafka.bootstrap_servers, topic_prefix=topic_prefix)
    ensure_topics(kafka)
    register_derived_schemas(kafka, SchemaRegistryClient(stack.registry.client_config()))
    # A crashed worker's partitions come back to its successor after the session timeout.
    env = worker_env(stack, topic_prefix, tmp_path / "data", OFFICESTREAM_PROCESSOR_SESSION_TIMEOUT_S="6",
                     OFFICESTREAM_PROCESSOR_STORE=store)
    warm_up(scenario, kafka, env, serde, tmp_path / "warm-up.log")
    source = kafka.topic(scenario.source)
    events = scenario.events()[:2]
    causes = [str(e.metadata.event_id) for e in events]

    dying = FaustWorker(scenario.service, {**env, "OFFICESTREAM_PROCESSOR_TEST_KILL_AT_DERIVED": f"{moment}:1"},
                        tmp_path / "dying.log").start()
    try:
        produce(kafka, source, [(USER.encode(), serde.encode(source, e), []) for e in events])
        assert dying.process is not None
        assert dying.process.wait(60) == -9, dying.log_tail()
    finally:
        dying.kill()
    assert f"SIGKILL {moment} sending derived event 1" in dying.log_text()
    changelog, key = scenario.changelog(kafka)
    assert key in read_compacted(kafka, changelog), "the state write should have reached the broker before the kill"
    # The warm-up's derived event, and the first source event's if the worker died after it.
    assert message_count(kafka, kafka.topic(scenario.derived)) == {"before": 1, "after": 2}[moment]

    with FaustWorker(scenario.service, env, tmp_path / "restarted.log").start():
        announced = lambda got: any(serde.decode(m.value()).caused_by.startswith(causes[1]) for m in got)
        events = [serde.decode(m.value()) for m in consume_until(kafka, kafka.topic(scenario.derived), announced)]
    return [e for e in events if e.caused_by.split(":")[0] in causes], causes


def one_id_per_cause(events: list[Event]) -> dict[str, list[Event]]:
    """The events of each cause; every copy of one cause must carry the same event id."""
    by_cause: dict[str, list[Event]] = {}
    for event in events:
        by_cause.setdefault(event.caused_by, []).append(event)
    for cause, copies in by_cause.items():
        assert len({e.metadata.event_id for e in copies}) == 1, f"{cause} announced under several ids: {copies}"
    return by_cause


@pytest.mark.parametrize(("service", "store"), [
    ("meetings", "memory://"), ("shipments", "memory://"),
    ("meetings", "rocksdb://"),  # state on disk too, written before the kill
])
def test_a_derived_event_lost_in_a_crash_after_its_state_write_is_emitted_after_restart(
    service, store, stack, serde, topic_prefix, tmp_path,
):
    events, causes = crash_then_restart(SCENARIOS[service], "before", stack, serde, topic_prefix, tmp_path, store=store)
    # The first source event's derived event was never sent before the kill; the replay found its
    # state already stored and sent it. A deduplicating reader sees one for each source event.
    seen = deduplicated(events)
    assert [e.caused_by.split(":")[0] for e in seen] == causes, events
    assert [(type(e).__name__, e.kind.value) for e in seen] == [
        ({"meetings": "MeetingUpdateEvent", "shipments": "ShipmentUpdateEvent"}[service], "created")
    ] * 2
    one_id_per_cause(events)


@pytest.mark.parametrize("service", sorted(SCENARIOS))
def test_a_message_replayed_after_both_writes_landed_re_emits_its_event_with_the_same_id(
    service, stack, serde, topic_prefix, tmp_path,
):
    events, causes = crash_then_restart(SCENARIOS[service], "after", stack, serde, topic_prefix, tmp_path)
    seen = deduplicated(events)
    assert [e.caused_by.split(":")[0] for e in seen] == causes, events
    # On the topic at least twice (sent before the kill, again by the replay), under one id and
    # with the same content: a reader that deduplicates sees it once.
    copies = one_id_per_cause(events)[seen[0].caused_by]
    assert len(copies) >= 2, events
    assert all(c.model_dump(exclude={"metadata"}) == copies[0].model_dump(exclude={"metadata"}) for c in copies)
