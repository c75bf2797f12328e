"""A Microsoft 365 backfill against the emulator (real msal and httpx) onto the real stack:
exactly the mailbox's items, checkpointed, resumable, throttled without loss."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import TYPE_CHECKING


from connectors.emulator.microsoft.calendar import _instances
from producers.backfill.job import BackfillJob, JobStatus
from producers.backfill.providers import ProviderCrawlers
from producers.backfill.store import JobStore
from schemas.models import BackfillCompletedEvent, BackfillProgressEvent, BackfillStatus, DocType, Provider
from tests.integration.producers.backfill_helpers import published, publisher_for, runner_for
from tests.integration.producers.stack_fixtures import kafka, payloads  # noqa: F401
from tests.kafka_helpers import read_all

if TYPE_CHECKING:
    from tests.integration.microsoft.harness import Emulator

# Imported into this module, so they win over the Google fixtures of the same names.
from tests.integration.microsoft.harness import emulator, pristine_world, tls  # noqa: E402, F401

ALL = (DocType.email, DocType.calendar_event, DocType.contact)


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
    progress = [serde.decode(m.value()) for m in read_all(kafka, kafka.topic("backfill-progress"))]
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


async def test_the_queue_runs_users_side_by_side_and_a_throttled_one_holds_up_no_other(emulator, kafka, serde, payloads):
    from connectors.backoff import Backoff
    from producers.backfill.queue import run_queue
    from producers.backfill.runner import BackfillRunner

    throttled, other = emulator.user, emulator.other_user
    # Six 429s asking for a second each: the throttled user's crawl waits at least 3 s in all.
    await emulator.post("/_emulator/faults", {"path_prefix": f"/v1.0/users/{throttled}/mailFolders",
                                              "status": 429, "times": 6, "retry_after": "1"})
    crawlers = ProviderCrawlers(microsoft=emulator.settings(max_page_size=20, max_attempts=2, backoff_initial_s=1.0))
    publisher = publisher_for(kafka, serde, payloads)
    await publisher.start()
    store = JobStore(kafka, publisher)
    jobs = [BackfillJob.new(user_id=user, provider=Provider.microsoft, doc_types=(DocType.email,),
                            now=dt.datetime.now(dt.UTC), batch_size=20) for user in (throttled, other)]
    for job in jobs:
        await store.save(job)
    finished_at: dict[str, float] = {}
    loop = asyncio.get_running_loop()

    async def run_job(job: BackfillJob) -> BackfillJob:
        runner = BackfillRunner(publisher=publisher, store=store, crawlers=crawlers.crawler,
                                backoff=Backoff(initial_s=0.01, max_s=0.01, retry_after_max_s=1.0))
        done = await runner.run(job)
        finished_at[done.user_id] = loop.time()
        return done

    mine = {job.job_id for job in jobs}
    done = await run_queue(lambda: [j for j in store.all() if j.job_id in mine], run_job, once=True,
                           stale_after_s=600, concurrency=2, poll_s=0.1)
    await crawlers.aclose()
    assert {job.status for job in done} == {JobStatus.completed}
    # The throttled user waited out its 429s (at least 3 s); the other did not wait for it.
    assert finished_at[other] + 1.5 < finished_at[throttled]
    await publisher.close()
