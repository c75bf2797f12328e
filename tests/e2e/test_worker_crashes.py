"""Workers killed with SIGKILL mid-stream and restarted (tests/e2e/crashing.py): the replayed
messages change nothing, the rest is processed, and every effect exists exactly once — the
state a worker that never crashed leaves. Derived events may be sent again by a replay (their
ids are deterministic), so they are compared by distinct event id."""

from __future__ import annotations

import collections
import datetime as dt
import json

from confluent_kafka.schema_registry import SchemaRegistryClient

from connectors.kafka.settings import KafkaSettings
from connectors.vespa.operations import DocumentId
from schemas.models import CalendarUpdateEvent, ChangeType, EmailBackfillEvent, EmailUpdateEvent, EventKind
from tests import factories
from tests.e2e.crashing import Crash
from tests.kafka_helpers import deduplicated, prepared, read_all, read_plainly, record_count
from tests.unit.shipments import numbers
from tests.unit.shipments.mails import mail
from tests.workers import worker_env

#: Twelve users spread over the six partitions; part A has one message each, B and C six.
USERS = [f"crash-user-{n}" for n in range(12)]


def changelog(kafka: KafkaSettings, service: str, table: str) -> str:
    return f"{kafka.group(service)}-{table}-changelog"


def distinct_derived(stack, kafka: KafkaSettings, topic: str) -> list:
    """Derived events as a reader that drops the ids it has seen keeps them: a replay may send
    one again, with the same id."""
    return deduplicated(read_plainly(SchemaRegistryClient(stack.registry.client_config()), read_all(kafka, topic)))


def test_vespa_loader_after_a_crash_feeds_every_document_exactly_once(stack, serde, topic_prefix, tmp_path):
    kafka = prepared(stack, topic_prefix)
    topic = kafka.topic("email-backfill")
    feed_file = tmp_path / "feed.jsonl"
    env = worker_env(stack, topic_prefix, tmp_path / "data", OFFICESTREAM_VESPA_FEED_FILE=str(feed_file))
    ledger = changelog(kafka, "vespa-loader", "applied")

    def part(users: list[str], round_: int):
        return [(user.encode(), serde.encode(topic, EmailBackfillEvent(
            metadata=factories.metadata("EmailBackfillEvent", user_id=user), job_id="job", batch_index=round_,
            emails=[factories.email(f"{user}-r{round_}-{i}") for i in range(3)],
        )), []) for user in users]

    def fed() -> list[str]:
        """The puts of the complete lines: read while the worker appends, the last may be half written."""
        complete = feed_file.read_text().split("\n")[:-1] if feed_file.exists() else []
        return [json.loads(line)["put"] for line in complete]

    crash = Crash(kafka, module="vespa_loader", group=kafka.group("vespa-loader"), topic=topic, env=env, logs=tmp_path)
    crash.kill_after(part(USERS, 0), part(USERS[:6], 1),
                     applied=lambda n: len(fed()) >= 3 * n and record_count(kafka, ledger) >= 3 * n)
    crash.restart_with(part(USERS[6:], 1))

    expected = [str(DocumentId(namespace="officestream", doctype="email", group=user, local_id=f"{user}-r{r}-{i}"))
                for user in USERS for r in (0, 1) for i in range(3)]
    assert sorted(fed()) == sorted(expected)  # none missing, none fed twice
    assert record_count(kafka, ledger) == len(expected)  # and recorded once each


def test_meetings_after_a_crash_store_and_announce_every_meeting_exactly_once(stack, serde, topic_prefix, tmp_path):
    kafka = prepared(stack, topic_prefix)
    topic = kafka.topic("calendar-updates")
    meetings, updates = changelog(kafka, "meetings", "meetings"), kafka.topic("meeting-updates")

    def part(users: list[str], round_: int):
        return [(user.encode(), serde.encode(topic, CalendarUpdateEvent(
            metadata=factories.metadata("CalendarUpdateEvent", user_id=user), change_type=ChangeType.created,
            calendar_event_id=f"{user}-m{round_}",
            calendar_event=factories.calendar_event(f"{user}-m{round_}", title=f"Meeting {round_} of {user}",
                                                    kind=EventKind.single, recurrence=[]),
        )), []) for user in users]

    crash = Crash(kafka, module="meetings", group=kafka.group("meetings"), topic=topic,
                  env=worker_env(stack, topic_prefix, tmp_path / "data"), logs=tmp_path)
    crash.kill_after(part(USERS, 0), part(USERS[:6], 1),
                     applied=lambda n: record_count(kafka, meetings) >= n and record_count(kafka, updates) >= n)
    crash.restart_with(part(USERS[6:], 1))

    expected = {f"{user}:{user}-m{r}": f"Meeting {r} of {user}" for user in USERS for r in (0, 1)}
    # A replayed message writes its stored record again, the same bytes (derived.py: it gives a
    # changelog a RocksDB store ran ahead of its record back): no second effect. A second,
    # different value for a key would be one.
    distinct = {(m.key(), m.value()) for m in read_all(kafka, meetings)}
    stored = [(json.loads(key), json.loads(value)) for key, value in distinct]
    assert collections.Counter(key for key, _ in stored) == collections.Counter(list(expected))  # each stored once
    assert {key: record["title"] for key, record in stored} == expected
    announced = distinct_derived(stack, kafka, updates)
    assert sorted((e.metadata.user_id, e.context.event_id, e.kind.value) for e in announced) == sorted(
        (key.split(":")[0], key.split(":")[1], "created") for key in expected
    )


def test_shipments_after_a_crash_track_every_package_change_exactly_once(stack, serde, topic_prefix, tmp_path):
    kafka = prepared(stack, topic_prefix)
    topic = kafka.topic("email-updates")
    ledger, packages = changelog(kafka, "shipments", "applied"), changelog(kafka, "shipments", "packages")
    updates = kafka.topic("shipment-updates")
    t0 = factories.T0

    def part(users: list[str], *, delivered: bool):
        subject, at = ("Delivered: your UPS package", t0 + dt.timedelta(days=2)) if delivered else ("UPS Update: your package has shipped", t0)
        records = []
        for user in users:
            email = mail(sender="mcinfo@ups.com", name="UPS", subject=subject, email_id=f"{user}-{'delivered' if delivered else 'shipped'}",
                         text=f"Your package is on its way.\nUPS tracking number: {numbers.UPS}\n").model_copy(update={"sent_at": at, "received_at": at})
            event = EmailUpdateEvent(metadata=factories.metadata("EmailUpdateEvent", user_id=user, occurred_at=at),
                                     change_type=ChangeType.created, email_id=email.id, email=email)
            records.append((user.encode(), serde.encode(topic, event), []))
        return records

    crash = Crash(kafka, module="shipments", group=kafka.group("shipments"), topic=topic,
                  env=worker_env(stack, topic_prefix, tmp_path / "data"), logs=tmp_path)
    crash.kill_after(part(USERS, delivered=False), part(USERS[:6], delivered=True),
                     applied=lambda n: all(record_count(kafka, t) >= n for t in (ledger, packages, updates)))
    crash.restart_with(part(USERS[6:], delivered=True))

    # Replays write the same records again, the same bytes (no second effect: see the meetings
    # test); what must not happen is a second, different change.
    records = read_all(kafka, packages)
    changes = list(dict.fromkeys((json.loads(m.key()), m.value()) for m in records))
    keys = {f"{user}:{numbers.UPS}" for user in USERS}
    assert {key for key, _ in changes} == keys and len(changes) == 2 * len(keys)  # two changes per package, once each
    assert all(json.loads([value for k, value in changes if k == key][-1])["status"] == "delivered" for key in keys)
    assert len({(m.key(), m.value()) for m in read_all(kafka, ledger)}) == 2 * len(USERS)  # each email version once
    announced = distinct_derived(stack, kafka, updates)
    assert collections.Counter(e.kind.value for e in announced) == {"created": 12, "delivered": 12}
