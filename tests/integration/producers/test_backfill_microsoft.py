"""A Microsoft 365 backfill against the emulator (real msal and httpx) onto the real stack:
exactly the mailbox's items, checkpointed, resumable, throttled without loss."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pytest
import redis.asyncio as aioredis

from connectors.emulator.microsoft.calendar import _instances
from connectors.kafka.admin import ensure_topics
from connectors.kafka.settings import KafkaSettings
from connectors.redis.payload_store import PayloadStore
from producers.backfill.job import BackfillJob, JobStatus
from producers.backfill.providers import ProviderCrawlers
from producers.backfill.store import JobStore
from schemas.models import BackfillCompletedEvent, BackfillProgressEvent, BackfillStatus, DocType, Provider
from tests.integration.producers.backfill_helpers import published, publisher_for, runner_for
from tests.kafka_helpers import read_to_end

if TYPE_CHECKING:
    from tests.integration.microsoft.harness import Emulator

pytest_plugins = ("tests.integration.microsoft.harness",)
# The Google backfill tests load the Google emulator's fixtures of the same names as a plugin too:
# named here, this module's are the Microsoft ones whatever the suite loaded last.
from tests.integration.microsoft.harness import emulator, pristine_world, tls  # noqa: E402, F401 - fixtures

ALL = (DocType.email, DocType.calendar_event, DocType.contact)


@pytest.fixture
def kafka(stack, topic_prefix) -> KafkaSettings:
    settings = KafkaSettings.from_env({}, bootstrap_servers=stack.kafka.bootstrap_servers, topic_prefix=topic_prefix)
    ensure_topics(settings)
    return settings


@pytest.fixture
async def payloads(stack):
    client = aioredis.Redis.from_url(stack.redis.url, **stack.redis.client_kwargs())
    yield PayloadStore(client)
    await client.aclose()


def window(emulator: Emulator) -> tuple[dt.datetime, dt.datetime]:
    now = emulator.world.now
    return now - dt.timedelta(days=30), now + dt.timedelta(days=90)


def expected_ids(emulator: Emulator, since: dt.datetime, until: dt.datetime) -> dict[DocType, set[str]]:
    box = emulator.world.mailbox(emulator.user)
    shown = _instances(box, since, until)
    masters = {item.id for item, occurrence in shown.values() if occurrence is not None}
    masters |= {item.series_master_id for item, _ in shown.values() if item.series_master_id}
    return {
        DocType.email: {m.id for m in box.emails.values() if since <= m.received_at < until},
        DocType.calendar_event: set(shown) | masters,
        DocType.contact: set(box.contacts),
    }


async def test_a_backfill_publishes_exactly_the_mailbox_and_reports_progress(emulator, kafka, serde, payloads):
    since, until = window(emulator)
    crawlers = ProviderCrawlers(microsoft=emulator.settings(max_page_size=7))
    publisher = publisher_for(kafka, serde, payloads)
    await publisher.start()
    job = BackfillJob.new(user_id=emulator.user, provider=Provider.microsoft, doc_types=ALL, now=dt.datetime.now(dt.UTC),
                          since=since, until=until, batch_size=5)
    done = await runner_for(publisher, kafka, crawlers.crawler).run(job)
    await crawlers.aclose()
    assert done.status is JobStatus.completed, done.last_error
    expected = expected_ids(emulator, since, until)
    for doc_type in ALL:
        items = await published(kafka, serde, payloads, done, doc_type)
        assert set(items.ids) == expected[doc_type], doc_type
        assert max(items.counts().values()) == 1, f"{doc_type}: an item published twice"
        assert done.doc(doc_type).items == len(expected[doc_type])
        assert all(len(event.metadata.correlation_id) for event in items.events)
        assert items.events[-1].is_last_batch and not any(e.is_last_batch for e in items.events[:-1])
        assert done.doc(doc_type).sync_cursor  # where the live side continues
    stored = JobStore(kafka, publisher).get(done.job_id)
    assert stored == done
    progress = [serde.decode(m.value()) for m in read_to_end(kafka, kafka.topic("backfill-progress"))]
    completed = [e for e in progress if isinstance(e, BackfillCompletedEvent)]
    assert {(e.doc_type, e.status) for e in completed} == {(t, BackfillStatus.succeeded) for t in ALL}
    bars = [e for e in progress if isinstance(e, BackfillProgressEvent) and e.doc_type is DocType.email]
    assert [e.items_published for e in bars] == sorted(e.items_published for e in bars) and bars[-1].items_published == len(expected[DocType.email])
    assert bars[0].items_estimated  # Graph's folder totals
    await publisher.close()


async def test_throttling_pauses_the_job_and_loses_nothing(emulator, kafka, serde, payloads):
    since, until = window(emulator)
    # More 429s in a row than the connector's attempts (2): the runner itself waits and resumes.
    await emulator.post("/_emulator/faults", {"path_prefix": f"/v1.0/users/{emulator.user}/mailFolders",
                                              "status": 429, "times": 5, "retry_after": "0"})
    crawlers = ProviderCrawlers(microsoft=emulator.settings(max_page_size=7, max_attempts=2))
    publisher = publisher_for(kafka, serde, payloads)
    await publisher.start()
    statuses: list[JobStatus] = []
    job = BackfillJob.new(user_id=emulator.user, provider=Provider.microsoft, doc_types=(DocType.email,),
                          now=dt.datetime.now(dt.UTC), since=since, until=until, batch_size=5)
    runner = runner_for(publisher, kafka, crawlers.crawler, on_update=lambda j: statuses.append(j.status),
                        sleep=_no_wait)
    done = await runner.run(job)
    await crawlers.aclose()
    assert done.status is JobStatus.completed
    assert JobStatus.paused_for_quota in statuses
    items = await published(kafka, serde, payloads, done, DocType.email)
    assert set(items.ids) == expected_ids(emulator, since, until)[DocType.email]
    await publisher.close()


async def _no_wait(seconds: float) -> None:
    return None
