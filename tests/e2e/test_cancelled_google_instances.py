"""Cancelled instances of a Google Calendar series, end to end: the emulator's Calendar face sends
them as Google does (no start, no end), the real google-api-python-client syncs them (a full
listing, then a sync token), the producers' publisher puts them on ``calendar-updates``, the real
meetings faust worker applies them, and ``officestream meetings upcoming`` / ``busy`` leave
their slots out."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import subprocess
import sys
from collections.abc import Iterator

import pytest
import redis.asyncio as aioredis

from connectors.emulator.world import World
from connectors.google import sync_events
from connectors.google.changes import ChangeBatch
from connectors.kafka.admin import ensure_topics
from connectors.kafka.settings import KafkaSettings
from connectors.redis.payload_store import PayloadStore
from producers.publisher import Publisher
from producers.settings import ProducerSettings
from producers.stamping import MetadataStamper
from schemas.models import CalendarEvent, ChangeType, DocType, Provider
from tests.integration.google.fixtures import RecordingSleep, RunningEmulator, account_for, emulator, sleep
from tests.kafka_helpers import register_derived_schemas
from tests.waiting import wait_for
from tests.workers import FaustWorker, worker_env

__all__ = ["emulator", "sleep"]  # fixtures

BERLIN = "Europe/Berlin"


@pytest.fixture
def pristine_world() -> World:
    """A world whose series starts next Monday, so the CLI (which reads the real clock) sees all
    of it ahead: a weekly series of ten, its second instance moved, its third cancelled."""
    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    monday = today + dt.timedelta(days=7 - today.weekday())
    return World(seed=11, users=1, emails_per_user=2, now=monday + dt.timedelta(hours=9))


async def _publish(publisher: Publisher, user: str, batches: list[ChangeBatch[CalendarEvent]], *, as_batches: bool) -> None:
    """What the producers do with a sync: a full listing as batch events, later changes one by one."""
    await publisher.start()
    at = dt.datetime.now(dt.UTC)
    common = {"user_id": user, "provider": Provider.google, "doc_type": DocType.calendar_event, "occurred_at": at}
    for index, batch in enumerate(batches):
        if as_batches:
            await publisher.publish_batch(**common, records=batch.records, batch_index=index,
                                          is_last_batch=index == len(batches) - 1)
        else:
            for record in batch.records:
                await publisher.publish_update(**common, change=ChangeType.updated, doc_id=record.id, record=record)
        for deleted in batch.deleted_ids:
            await publisher.publish_update(**common, change=ChangeType.deleted, doc_id=deleted, record=None)
    await publisher.close()


def _officestream(env: dict[str, str], *args: str) -> list[dict]:
    result = subprocess.run([sys.executable, "-m", "ops.cli", "meetings", *args], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture
def payloads(stack) -> Iterator[PayloadStore]:
    client = aioredis.Redis.from_url(stack.redis.url, **stack.redis.client_kwargs())
    yield PayloadStore(client)
    asyncio.run(client.aclose())


def test_cancelled_google_instances_leave_meetings_upcoming_and_busy(
        stack, serde, registry, topic_prefix, tmp_path, emulator: RunningEmulator, sleep: RecordingSleep, payloads) -> None:
    kafka = KafkaSettings.from_env({}, bootstrap_servers=stack.kafka.bootstrap_servers, topic_prefix=topic_prefix)
    ensure_topics(kafka)
    register_derived_schemas(kafka, registry)
    user, account = emulator.user, account_for(emulator, sleep)

    def publisher() -> Publisher:
        # The default settings (lz4): the workers read what the producers compress.
        settings = ProducerSettings.from_env({})
        return Publisher(kafka=kafka, settings=settings, serde=serde, payloads=payloads,
                         stamper=MetadataStamper(source_service="tests", source_version="0"))

    full = list(sync_events(account.calendar, None))  # singleEvents=false: the cancelled instance comes sparse
    asyncio.run(_publish(publisher(), user, full, as_batches=True))
    master = emulator.world.mailbox(user).events["evt-weekly"]
    weekly = [master.start + dt.timedelta(weeks=n) for n in range(10)]
    emulator.world.cancel_instance(user, "evt-weekly", weekly[3])  # the organizer cancels one more
    changes = list(sync_events(account.calendar, full[-1].cursor))  # the sync token: the new one, sparse
    asyncio.run(_publish(publisher(), user, changes, as_batches=False))

    moved = emulator.world.mailbox(user).events["evt-weekly-ex1"]
    expected = sorted([start for n, start in enumerate(weekly) if n not in (1, 2, 3)] + [moved.start])

    env = worker_env(stack, topic_prefix, tmp_path / "data")
    worker = FaustWorker("meetings", env, tmp_path / "meetings.log").start()
    try:
        listed: list[dt.datetime] = []

        def series_listed_as_expected() -> bool:
            """The CLI reads the changelog, which the worker writes as it goes: poll until it settles."""
            upcoming = _officestream(env, "upcoming", user, "--limit", "30", "--tz", BERLIN)
            listed[:] = sorted(dt.datetime.fromisoformat(row["start"]) for row in upcoming if row["event_id"].startswith("evt-weekly"))
            return listed == expected

        try:
            wait_for(series_listed_as_expected, timeout_s=60, what="the series in meetings upcoming")
        except AssertionError:
            assert listed == expected  # weeks 2 and 3 (cancelled) left out, week 1 at its moved time
            raise
        for n, listed in ((2, []), (3, []), (4, [weekly[4]])):
            day = weekly[n].astimezone(dt.timezone.utc).date().isoformat()
            busy = _officestream(env, "busy", user, day, "--tz", BERLIN)
            assert [dt.datetime.fromisoformat(i["start"]) for i in busy] == listed, f"busy time of week {n}"
    finally:
        worker.stop()
