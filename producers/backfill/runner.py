"""Running a backfill job: crawl page by page, publish, checkpoint, report progress.

For each doc type of the job, in order, from its stored cursor:

1. the crawler reads the next page (one page ahead: the crawl goes on while a page is published);
2. its records are published as batch events of at most ``batch_size`` items (and the payloads
   that would not normalize as dead letters), and the runner waits until the brokers have them;
3. only then the job is written with the cursor after that page (``JobStore``), and a
   ``BackfillProgressEvent`` published. A crash between 2 and 3 republishes one page on resume:
   the same item versions, which consumers apply once.

The last page's sync cursor is stored for the live side, and a ``BackfillCompletedEvent`` is
published per doc type. Transient failures (the provider throttling or down, Kafka or Redis
unavailable) never fail a job: it waits with backoff (``paused-for-quota`` while the provider
throttles) and continues from its stored cursor, so no page is lost. Anything else (revoked
access, an unknown mailbox) fails it, with the reason in ``last_error``.

Every batch event of a job is in the job's trace (``TraceContext.of_job``: derived from the job
id, so a job resumed by another process continues it), as its correlation id is the job id.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from connectors.backoff import Backoff
from connectors.kafka.topics import BACKFILL_PROGRESS
from connectors.tracing import TraceContext
from producers.backfill.crawl import CrawlPage, Crawler, Lookahead
from producers.backfill.job import BackfillJob, DocProgress, JobStatus
from producers.backfill.lease import Held, JobLeases, LeaseLost
from producers.backfill.metrics import METRICS
from producers.backfill.store import CancelWatch, JobStore
from producers.dead_letters import TOPIC as DEAD_LETTERS
from producers.dead_letters import ProviderDeadLetter
from producers.publisher import Publisher
from schemas.models import BackfillCompletedEvent, BackfillProgressEvent, BackfillStatus, DocType
from schemas.redaction import user_ref

log = logging.getLogger("officestream.producers.backfill")

#: ``(job, doc type, hooks)``: the crawler for one doc type of a job, which tells ``hooks`` of
#: throttling and of payloads it could not read.
CrawlerFactory = Callable[[BackfillJob, DocType, "CrawlHooks"], Crawler]
#: Errors that look like throttling put the job in ``paused-for-quota`` while it waits.
_THROTTLING = {"GraphThrottled", "QuotaExceeded"}


class JobCancelled(Exception):
    """Someone cancelled the job; ``job`` is the job as last stored."""

    def __init__(self, job: BackfillJob) -> None:
        super().__init__(job.job_id)
        self.job = job


@dataclass
class CrawlHooks:
    """One doc type's crawl in progress: what the crawler met that the runner must publish
    (payloads that did not normalize) or show (the provider throttling it)."""

    job: BackfillJob
    dead_letters: list[ProviderDeadLetter] = field(default_factory=list)
    throttled_for_s: float = 0.0
    #: The last page's progress event, submitted and not yet confirmed (see ``_publish_page``).
    unconfirmed: list[asyncio.Future] = field(default_factory=list)

    def throttled(self, seconds: float) -> None:
        """The provider asked the crawler to wait ``seconds`` (called from any thread)."""
        self.throttled_for_s = max(self.throttled_for_s, seconds)

    def unreadable(self, doc_type: DocType, item_id: str, payload: object, reason: str) -> None:
        job = self.job
        self.dead_letters.append(ProviderDeadLetter(user_id=job.user_id, provider=job.provider, doc_type=doc_type,
                                                    item_id=item_id, payload=payload, reason=reason, job_id=job.job_id))


class BackfillRunner:
    def __init__(
        self, *, publisher: Publisher, store: JobStore, crawlers: CrawlerFactory, cancel_watch: CancelWatch | None = None,
        backoff: Backoff | None = None, now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        on_update: Callable[[BackfillJob], None] = lambda job: None, sleep: Callable[[float], object] = asyncio.sleep,
        leases: JobLeases | None = None,
    ) -> None:
        """``leases``: one runner per job at a time (``lease.py``); ``None`` runs without (tests)."""
        self._publisher = publisher
        self._store = store
        self._crawlers = crawlers
        self._cancel_watch = cancel_watch
        self._backoff = backoff or Backoff(initial_s=1.0, max_s=60.0, retry_after_max_s=300.0)
        self._now = now
        self._on_update = on_update
        self._sleep = sleep
        self._leases = leases
        self._held: dict[str, Held] = {}

    async def run(self, job: BackfillJob) -> BackfillJob:
        """Run ``job`` to its end from where it stands; returns it completed, failed or cancelled.

        Raises ``JobHeldElsewhere`` (nothing done) while another runner holds the job, and
        ``LeaseLost`` (the job left as the new holder will find it) if this runner loses it.
        """
        if job.status.finished:
            return job
        if self._leases is None:
            return await self._run_held(job)
        async with self._leases.holding(job.job_id) as held:
            # The job as its last holder left it (it may have gone on, or ended, since ``job`` was read).
            stored = await asyncio.to_thread(self._store.get, job.job_id)
            job = stored if stored is not None else job
            if job.status.finished:
                return job
            self._held[job.job_id] = held
            try:
                return await self._run_held(job)
            finally:
                del self._held[job.job_id]

    async def _run_held(self, job: BackfillJob) -> BackfillJob:
        if self._cancel_watch is not None:
            self._cancel_watch.watch(job.job_id)
        job = await self._save(job.with_status(JobStatus.running, now=self._now()))
        log.info("backfill started job=%s user=%s provider=%s types=%s", job.job_id, user_ref(job.user_id),
                 job.provider.value, ",".join(t.value for t in job.doc_types))
        running = METRICS.jobs_running.labels(job.provider.value)
        running.inc()
        try:
            return await self._run_doc_types(job)
        finally:
            running.dec()

    async def _run_doc_types(self, job: BackfillJob) -> BackfillJob:
        try:
            for doc_type in job.doc_types:
                if not job.doc(doc_type).done:
                    job = await self._crawl_until_done(job, doc_type)
        except JobCancelled as cancelled:
            return await self._end(cancelled.job, JobStatus.cancelled, "cancelled")
        except _PageFailed as failed:  # the job keeps the cursor of its last delivered page
            exc = failed.cause
            log.error("backfill failed job=%s user=%s error=%s: %s", job.job_id, user_ref(job.user_id), type(exc).__name__, exc)
            return await self._end(failed.job, JobStatus.failed, f"{type(exc).__name__}: {exc}")
        return await self._end(job, JobStatus.completed, None)

    async def _crawl_until_done(self, job: BackfillJob, doc_type: DocType) -> BackfillJob:
        attempt = 0
        while True:
            try:
                return await self._crawl(job, doc_type, CrawlHooks(job))
            except _PageFailed as failed:
                job, exc = failed.job, failed.cause
                if not getattr(exc, "retriable", False):
                    raise
            attempt += 1
            delay = self._backoff.delay(attempt, retry_after_s=getattr(exc, "retry_after_s", None))
            throttled = type(exc).__name__ in _THROTTLING
            status = JobStatus.paused_for_quota if throttled else JobStatus.running
            job = await self._save(job.with_status(status, now=self._now(), error=f"{type(exc).__name__}: {exc}"))
            log.warning("backfill waiting job=%s type=%s attempt=%d wait_s=%.1f error=%s: %s", job.job_id,
                        doc_type.value, attempt, delay, type(exc).__name__, exc)
            await self._sleep(delay)
            job = await self._save(job.with_status(JobStatus.running, now=self._now()))

    async def _crawl(self, job: BackfillJob, doc_type: DocType, crawl: CrawlHooks) -> BackfillJob:
        crawler = self._crawlers(job, doc_type, crawl)
        pages = Lookahead(crawler, job.doc(doc_type).cursor)
        try:
            while True:
                try:
                    page = await pages.next()
                except StopAsyncIteration:
                    break
                except Exception as exc:  # noqa: BLE001 - sorted by the caller: wait and resume, or fail
                    raise _PageFailed(job, exc) from exc
                try:
                    job = await self._publish_page(job, doc_type, page, crawl)
                except (JobCancelled, LeaseLost):
                    raise
                except Exception as exc:  # noqa: BLE001
                    raise _PageFailed(job, exc) from exc
                if page.is_last:
                    break
            try:
                await asyncio.gather(*crawl.unconfirmed)
            except Exception as exc:  # noqa: BLE001
                raise _PageFailed(job, exc) from exc
            crawl.unconfirmed = []
            return job
        finally:
            _retrieve_later(crawl.unconfirmed)
            await pages.close()

    async def _publish_page(self, job: BackfillJob, doc_type: DocType, page: CrawlPage, crawl: CrawlHooks) -> BackfillJob:
        await self._confirm_lease(job)  # before publishing: a runner that lost the job publishes no more
        if crawl.throttled_for_s and job.status is not JobStatus.paused_for_quota:
            job = await self._save(job.with_status(JobStatus.paused_for_quota, now=self._now(),
                                                   error=f"throttled by the provider (waited {crawl.throttled_for_s:.1f} s)"))
        progress = job.doc(doc_type)
        if page.restarted:
            progress = progress.model_copy(update={"items": 0, "batches": 0, "restarts": progress.restarts + 1})
        chunks = [page.records[i:i + job.batch_size] for i in range(0, len(page.records), job.batch_size)]
        if not chunks and page.is_last:
            chunks = [[]]  # the crawl's end is announced even when its last page is empty
        deliveries = [
            await self._publisher.submit_batch(
                user_id=job.user_id, provider=job.provider, doc_type=doc_type, records=chunk,
                batch_index=progress.batches + index, is_last_batch=page.is_last and index == len(chunks) - 1,
                occurred_at=self._now(), job_id=job.job_id, trace=TraceContext.of_job(job.job_id),
            )
            for index, chunk in enumerate(chunks)
        ]
        letters, crawl.dead_letters = crawl.dead_letters, []  # the read-ahead may add more meanwhile
        deliveries += [await self._dead_letter(letter) for letter in letters]
        # The last page's progress event is confirmed with this page's batches: no cursor rides
        # on it, so the next page need not wait for it (one wait for the brokers per page less);
        # its delivery is still checked, a failure failing this page like its own batches'.
        unconfirmed, crawl.unconfirmed = crawl.unconfirmed, []
        await asyncio.gather(*deliveries, *unconfirmed)
        progress = progress.model_copy(update={
            "cursor": page.cursor, "items": progress.items + len(page.records), "batches": progress.batches + len(chunks),
            "estimated": page.estimated_total if page.estimated_total is not None else progress.estimated,
            "sync_cursor": page.sync_cursor if page.is_last else progress.sync_cursor, "done": page.is_last,
        })
        job = job.with_doc(doc_type, progress, now=self._now())
        METRICS.items.labels(job.provider.value, doc_type.value).inc(len(page.records))
        METRICS.batches.labels(job.provider.value, doc_type.value).inc(len(chunks))
        if crawl.throttled_for_s:
            METRICS.throttled_seconds.labels(job.provider.value).inc(crawl.throttled_for_s)
        if job.status is JobStatus.paused_for_quota:
            job = job.with_status(JobStatus.running, now=self._now())
        crawl.throttled_for_s = 0.0
        job = await self._save(job)
        crawl.unconfirmed.append(await self._progress(job, doc_type, progress))
        if self._cancel_watch is not None and self._cancel_watch.cancelled(job.job_id):
            raise JobCancelled(job)
        return job

    async def _dead_letter(self, letter: ProviderDeadLetter) -> asyncio.Future:
        log.warning("provider payload dead-lettered job=%s type=%s item=%s reason=%s", letter.job_id,
                    letter.doc_type.value, letter.item_id, letter.reason[:200])
        return await self._publisher.submit_record(DEAD_LETTERS, letter.user_id.encode(), letter.value(), letter.headers())

    async def _progress(self, job: BackfillJob, doc_type: DocType, progress: DocProgress) -> asyncio.Future:
        event = BackfillProgressEvent(
            metadata=self._publisher.stamper.metadata("BackfillProgressEvent", user_id=job.user_id, provider=job.provider,
                                                      occurred_at=self._now(), correlation_id=job.job_id),
            job_id=job.job_id, doc_type=doc_type, batches_published=progress.batches, items_published=progress.items,
            items_estimated=progress.estimated,
        )
        return await self._publisher.submit_event(BACKFILL_PROGRESS, event)

    async def _end(self, job: BackfillJob, status: JobStatus, error: str | None) -> BackfillJob:
        job = await self._save(job.with_status(status, now=self._now(), error=error))
        METRICS.jobs_finished.labels(job.provider.value, status.value).inc()
        outcome = {JobStatus.completed: BackfillStatus.succeeded, JobStatus.cancelled: BackfillStatus.cancelled}.get(
            status, BackfillStatus.failed)
        for doc_type in job.doc_types:
            progress = job.doc(doc_type)
            event = BackfillCompletedEvent(
                metadata=self._publisher.stamper.metadata("BackfillCompletedEvent", user_id=job.user_id, provider=job.provider,
                                                          occurred_at=self._now(), correlation_id=job.job_id),
                job_id=job.job_id, doc_type=doc_type,
                status=BackfillStatus.succeeded if progress.done else outcome,
                batches_published=progress.batches, items_published=progress.items,
                started_at=job.started_at or job.created_at, finished_at=job.finished_at or self._now(),
                error=None if progress.done else error,
            )
            await self._publisher.publish_event(BACKFILL_PROGRESS, event)
        log.info("backfill %s job=%s items=%d batches=%d", status.value, job.job_id, job.items, job.batches)
        return job

    async def _confirm_lease(self, job: BackfillJob) -> None:
        held = self._held.get(job.job_id)
        if held is not None:
            await held.confirm()

    async def _save(self, job: BackfillJob) -> BackfillJob:
        await self._confirm_lease(job)  # a runner that lost the job never overwrites the new holder's record
        await self._store.save(job)
        self._on_update(job)
        return job


def _retrieve_later(futures: list[asyncio.Future]) -> None:
    """Deliveries nobody will wait for any more (the crawl failed or was cancelled first): a
    failure among them is logged when it comes, not left for asyncio to warn about."""
    def retrieved(future: asyncio.Future) -> None:
        if not future.cancelled() and future.exception() is not None:
            log.warning("backfill progress event not delivered: %s", future.exception())

    for future in futures:
        future.add_done_callback(retrieved)


class _PageFailed(Exception):
    """A page could not be crawled or published; ``job`` is the job as last stored."""

    def __init__(self, job: BackfillJob, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.job = job
        self.cause = cause
