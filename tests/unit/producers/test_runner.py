"""The backfill runner's rules without Kafka or a provider: a cursor is stored only once its page
is delivered, transient failures wait and resume, anything else fails the job, cancelling stops
it, an expired cursor starts the counts over."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

from producers.backfill.crawl import CrawlPage
from producers.backfill.job import BackfillJob, JobStatus
from producers.backfill.runner import BackfillRunner
from producers.stamping import MetadataStamper
from schemas.models import DocType, Provider
from tests import factories

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


class FakePublisher:
    def __init__(self) -> None:
        self.stamper = MetadataStamper(source_service="tests", source_version="0", now=lambda: NOW)
        self.batches: list[list[str]] = []
        self.pending: list[asyncio.Future] = []
        self.hold = False
        self.events: list[object] = []
        #: Progress events submitted and not confirmed yet (all of them, while ``hold_progress``).
        self.hold_progress = False
        self.progress_pending: list[asyncio.Future] = []

    async def submit_batch(self, *, records, **_: object) -> asyncio.Future:
        self.batches.append([r.id for r in records])
        future = asyncio.get_running_loop().create_future()
        if self.hold:
            self.pending.append(future)
        else:
            future.set_result(None)
        return future

    async def submit_record(self, *args: object, **kwargs: object) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future

    async def submit_event(self, topic: str, event: object) -> asyncio.Future:
        self.events.append(event)
        future = asyncio.get_running_loop().create_future()
        if self.hold_progress and type(event).__name__ == "BackfillProgressEvent":
            self.progress_pending.append(future)
        else:
            future.set_result(None)
        return future

    async def publish_event(self, topic: str, event: object) -> None:
        await (await self.submit_event(topic, event))


class FakeStore:
    def __init__(self) -> None:
        self.saved: list[BackfillJob] = []

    async def save(self, job: BackfillJob) -> None:
        self.saved.append(job)


class Transient(Exception):
    retriable = True


class ScriptedCrawler:
    """Pages of ``ids``, two per page; ``fail_at`` page numbers raise once."""

    doc_type = DocType.email

    def __init__(self, ids: list[str], *, fail_at: dict[int, Exception] | None = None, restart_at: int | None = None) -> None:
        self.ids = ids
        self.fail_at = dict(fail_at or {})
        self.restart_at = restart_at
        self.started_from: list[str | None] = []

    async def pages(self, cursor: str | None) -> AsyncIterator[CrawlPage]:
        self.started_from.append(cursor)
        start = int(cursor) if cursor else 0
        if self.restart_at is not None and cursor is not None and start >= self.restart_at:
            self.restart_at, start, restarted = None, 0, True
        else:
            restarted = False
        for index in range(start, len(self.ids), 2):
            if index in self.fail_at:
                raise self.fail_at.pop(index)
            nxt = index + 2
            last = nxt >= len(self.ids)
            yield CrawlPage([factories.email(i) for i in self.ids[index:nxt]], cursor=None if last else str(nxt),
                            sync_cursor="sync" if last else None, restarted=restarted)
            restarted = False


def job(batch_size: int = 2) -> BackfillJob:
    return BackfillJob.new(user_id="u", provider=Provider.google, doc_types=(DocType.email,), now=NOW, batch_size=batch_size)


def runner(publisher: FakePublisher, store: FakeStore, crawler: ScriptedCrawler, **kwargs: object) -> BackfillRunner:
    async def no_wait(seconds: float) -> None:
        return None

    return BackfillRunner(publisher=publisher, store=store, crawlers=lambda j, t, h: crawler,  # type: ignore[arg-type]
                          now=lambda: NOW, sleep=no_wait, **kwargs)


async def test_a_cursor_is_stored_only_once_its_page_is_delivered():
    publisher, store = FakePublisher(), FakeStore()
    publisher.hold = True
    task = asyncio.ensure_future(runner(publisher, store, ScriptedCrawler([f"m{i}" for i in range(6)])).run(job()))
    while not publisher.pending:
        await asyncio.sleep(0)
    await asyncio.sleep(0.01)
    assert all(saved.doc(DocType.email).cursor is None for saved in store.saved)  # page 1 is not delivered yet
    publisher.hold = False
    for future in publisher.pending:
        future.set_result(None)
    done = await task
    cursors = [saved.doc(DocType.email).cursor for saved in store.saved
               if saved.doc(DocType.email).batches and saved.status is JobStatus.running]
    assert cursors == ["2", "4", None]
    assert done.status is JobStatus.completed and done.doc(DocType.email).items == 6
    assert done.doc(DocType.email).sync_cursor == "sync"


async def test_a_transient_failure_waits_and_resumes_from_the_stored_cursor():
    publisher, store = FakePublisher(), FakeStore()
    crawler = ScriptedCrawler([f"m{i}" for i in range(6)], fail_at={2: Transient("provider 503")})
    done = await runner(publisher, store, crawler).run(job())
    assert done.status is JobStatus.completed
    assert crawler.started_from == [None, "2"]  # resumed after the last delivered page
    assert sorted(i for batch in publisher.batches for i in batch) == [f"m{i}" for i in range(6)]
    assert any(saved.last_error and "provider 503" in saved.last_error for saved in store.saved)


async def test_a_failure_retrying_cannot_help_fails_the_job_with_the_reason():
    publisher, store = FakePublisher(), FakeStore()
    crawler = ScriptedCrawler([f"m{i}" for i in range(6)], fail_at={2: PermissionError("access revoked")})
    done = await runner(publisher, store, crawler).run(job())
    assert done.status is JobStatus.failed and "access revoked" in (done.last_error or "")
    assert done.doc(DocType.email).cursor == "2"  # resumable from there once fixed
    [completed] = [e for e in publisher.events if type(e).__name__ == "BackfillCompletedEvent"]
    assert completed.status.value == "failed"


async def test_a_restarted_crawl_starts_its_counts_over():
    publisher, store = FakePublisher(), FakeStore()
    crawler = ScriptedCrawler([f"m{i}" for i in range(6)], restart_at=2)
    stopped = job().with_doc(DocType.email, job().doc(DocType.email).model_copy(update={"cursor": "4", "items": 4}), now=NOW)
    done = await runner(publisher, store, crawler).run(stopped)
    progress = done.doc(DocType.email)
    assert (progress.items, progress.restarts, progress.done) == (6, 1, True)


async def test_large_pages_are_split_into_batches_of_the_jobs_size():
    publisher, store = FakePublisher(), FakeStore()
    done = await runner(publisher, store, ScriptedCrawler([f"m{i}" for i in range(6)])).run(job(batch_size=1))
    assert publisher.batches == [[f"m{i}"] for i in range(6)] and done.doc(DocType.email).batches == 6


async def test_the_next_page_does_not_wait_for_the_last_pages_progress_event_but_the_crawl_ends_with_it():
    publisher, store = FakePublisher(), FakeStore()
    publisher.hold_progress = True
    task = asyncio.ensure_future(runner(publisher, store, ScriptedCrawler([f"m{i}" for i in range(6)])).run(job()))
    for pages in (2, 3):
        for _ in range(500):
            if len(publisher.batches) == pages:
                break
            await asyncio.sleep(0.001)
        # page N+1 is published while page N's progress event is unconfirmed ...
        assert len(publisher.batches) == pages and len(publisher.progress_pending) == pages - 1
        publisher.progress_pending[-1].set_result(None)
    for _ in range(500):
        if len(publisher.progress_pending) == 3:
            break
        await asyncio.sleep(0.001)
    await asyncio.sleep(0.01)
    assert not task.done()  # ... and the crawl ends only once the last one is confirmed
    publisher.progress_pending[-1].set_result(None)
    done = await task
    assert done.status is JobStatus.completed


async def test_a_progress_event_that_is_not_delivered_fails_its_page_which_is_published_again():
    publisher, store = FakePublisher(), FakeStore()
    publisher.hold_progress = True
    task = asyncio.ensure_future(runner(publisher, store, ScriptedCrawler([f"m{i}" for i in range(4)])).run(job()))
    while not publisher.progress_pending:
        await asyncio.sleep(0.001)
    publisher.hold_progress = False
    publisher.progress_pending[0].set_exception(Transient("progress not delivered"))
    done = await task
    assert done.status is JobStatus.completed
    assert [batch for batch in publisher.batches] == [["m0", "m1"], ["m2", "m3"], ["m2", "m3"]]  # page 2 again
    assert any(saved.last_error and "progress not delivered" in saved.last_error for saved in store.saved)


async def test_the_metrics_count_confirmed_items_and_batches_and_the_finished_job():
    from prometheus_client import REGISTRY

    def value(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    where = {"provider": "google", "doc_type": "email"}
    before = (value("officestream_backfill_items_total", **where), value("officestream_backfill_batches_total", **where),
              value("officestream_backfill_jobs_finished_total", provider="google", status="completed"))
    publisher, store = FakePublisher(), FakeStore()
    done = await runner(publisher, store, ScriptedCrawler([f"m{i}" for i in range(5)])).run(job())
    assert done.status is JobStatus.completed
    after = (value("officestream_backfill_items_total", **where), value("officestream_backfill_batches_total", **where),
             value("officestream_backfill_jobs_finished_total", provider="google", status="completed"))
    assert [b - a for a, b in zip(before, after)] == [5, 3, 1]
    assert value("officestream_backfill_jobs_running", provider="google") == 0
