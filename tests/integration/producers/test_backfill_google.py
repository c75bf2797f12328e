"""A Google backfill against the emulator (real google-auth and google-api-python-client) onto
the real stack: exactly the account's items, quota throttling waited out, a refused page token
restarting the crawl without a loss, large bodies by reference."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from typing import TYPE_CHECKING

from pydantic import SecretStr

from connectors.emulator.google import refresh_token_for
from connectors.emulator.google.calendar_render import instance_id
from producers.backfill.job import BackfillJob, JobStatus
from producers.backfill.providers import ProviderCrawlers, StaticGoogleTokens
from schemas.models import DocType, Provider
# Imported into this module (not ``pytest_plugins``, which registers fixtures for every test
# module): the Microsoft harness has fixtures of the same names.
from tests.integration.google.fixtures import emulator, pristine_world, sleep  # noqa: F401
from tests.integration.producers.backfill_helpers import published, publisher_for, runner_for
from tests.integration.producers.stack_fixtures import kafka, payloads  # noqa: F401
from tests.waiting import wait_for

if TYPE_CHECKING:
    from tests.integration.google.fixtures import RunningEmulator

ALL = (DocType.email, DocType.calendar_event, DocType.contact)


def crawlers_for(emulator: RunningEmulator, **settings: object) -> ProviderCrawlers:
    tokens = StaticGoogleTokens({emulator.user: SecretStr(refresh_token_for(emulator.user))})
    return ProviderCrawlers(google=emulator.settings(page_size=7, backoff_initial_s=0.01, backoff_max_s=0.02, **settings),
                            google_tokens=tokens)


def expected_ids(emulator: RunningEmulator) -> dict[DocType, set[str]]:
    box = emulator.world.mailbox(emulator.user)
    return {
        DocType.email: set(box.emails),
        DocType.calendar_event: {e.id if not e.series_master_id else instance_id(e.series_master_id, e.original_start)
                                 for e in box.events.values()},
        DocType.contact: {f"people/{c.id}" for c in box.contacts.values()},
    }


def new_job(emulator: RunningEmulator, doc_types=ALL, **fields: object) -> BackfillJob:
    return BackfillJob.new(user_id=emulator.user, provider=Provider.google, doc_types=doc_types,
                           now=dt.datetime.now(dt.UTC), batch_size=4, **fields)


async def test_a_backfill_publishes_exactly_the_account(emulator, kafka, serde, payloads):
    publisher = publisher_for(kafka, serde, payloads)
    await publisher.start()
    done = await runner_for(publisher, kafka, crawlers_for(emulator).crawler).run(new_job(emulator))
    assert done.status is JobStatus.completed, done.last_error
    expected = expected_ids(emulator)
    for doc_type in ALL:
        items = await published(kafka, serde, payloads, done, doc_type)
        assert set(items.ids) == expected[doc_type], doc_type
        assert max(items.counts().values()) == 1 and done.doc(doc_type).items == len(expected[doc_type])
    assert '"history_id"' in (done.doc(DocType.email).sync_cursor or "")
    assert '"sync_token"' in (done.doc(DocType.contact).sync_cursor or "")
    await publisher.close()


async def test_large_bodies_go_through_redis_and_resolve_byte_for_byte(emulator, kafka, serde, payloads):
    publisher = publisher_for(kafka, serde, payloads, embed_max_bytes=4_000)
    await publisher.start()
    done = await runner_for(publisher, kafka, crawlers_for(emulator).crawler).run(new_job(emulator, (DocType.email,)))
    assert done.status is JobStatus.completed, done.last_error
    items = await published(kafka, serde, payloads, done, DocType.email)
    assert set(items.ids) == expected_ids(emulator)[DocType.email]
    referenced = [ref for event in items.events for ref in event.emails_refs]
    assert referenced, "no email was large enough to go by reference"
    crawl = await runner_for(publisher, kafka, crawlers_for(emulator).crawler).run(new_job(emulator, (DocType.email,)))
    again = {record.id: record for event in (await published(kafka, serde, payloads, crawl, DocType.email)).events
             for record in event.emails}
    for ref in referenced:
        record = await payloads.get(ref, user_id=emulator.user, doc_type=DocType.email)
        if record.id in again:  # embedded in the other run: the same record, byte for byte
            assert record == again[record.id]
    await publisher.close()


async def test_quota_errors_pause_the_job_and_lose_no_page(emulator, kafka, serde, payloads):
    # More 429s than the connector retries (max_retries=1): the runner waits and resumes.
    emulator.control("/_emulator/faults", {"path_prefix": "/v1/people/me/connections", "status": 429,
                                           "times": 5, "retry_after": "0"})
    publisher = publisher_for(kafka, serde, payloads)
    await publisher.start()
    statuses: list[JobStatus] = []
    runner = runner_for(publisher, kafka, crawlers_for(emulator, max_retries=1).crawler,
                        on_update=lambda j: statuses.append(j.status), sleep=lambda s: asyncio.sleep(0))
    done = await runner.run(new_job(emulator, (DocType.contact,)))
    assert done.status is JobStatus.completed and JobStatus.paused_for_quota in statuses
    assert set((await published(kafka, serde, payloads, done, DocType.contact)).ids) == expected_ids(emulator)[DocType.contact]
    await publisher.close()


async def test_a_page_token_refused_on_resume_restarts_that_crawl_without_a_loss(emulator, kafka, serde, payloads):
    publisher = publisher_for(kafka, serde, payloads)
    await publisher.start()
    crawlers = crawlers_for(emulator)
    job = new_job(emulator, (DocType.email,))
    stopped = await _run_pages(runner_for(publisher, kafka, crawlers.crawler), job, pages=2)
    assert stopped.doc(DocType.email).cursor  # mid-crawl
    emulator.control("/_emulator/faults", {"path_prefix": "/gmail/v1/users/me/messages", "status": 400, "times": 1})
    done = await runner_for(publisher, kafka, crawlers.crawler).run(stopped)
    assert done.status is JobStatus.completed and done.doc(DocType.email).restarts == 1
    items = await published(kafka, serde, payloads, done, DocType.email)
    assert set(items.ids) == expected_ids(emulator)[DocType.email]
    assert done.doc(DocType.email).items == len(expected_ids(emulator)[DocType.email])
    await publisher.close()


async def _run_pages(runner, job: BackfillJob, *, pages: int) -> BackfillJob:
    """Run ``job`` until ``pages`` pages are checkpointed, then stop it as a crash would."""
    saved: list[BackfillJob] = []
    runner._on_update = saved.append  # noqa: SLF001 - observe checkpoints
    task = asyncio.ensure_future(runner.run(job))
    doc_type = job.doc_types[0]
    while len({j.doc(doc_type).batches for j in saved if j.doc(doc_type).batches}) < pages and not task.done():
        await asyncio.sleep(0.005)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    # The crawl's blocking Google call runs on in its thread after the cancel: a fault injected
    # before it ends would be taken by that call instead of the resumed crawl's.
    await asyncio.to_thread(wait_for, lambda: not any(t.name.startswith("officestream-google-crawl")
                                                      for t in threading.enumerate()), what="the crawl thread to end")
    return [j for j in saved if j.doc(doc_type).batches][-1]
