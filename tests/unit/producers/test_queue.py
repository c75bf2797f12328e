"""Which jobs the queue takes: pending ones, and running ones whose runner stopped updating them."""

from __future__ import annotations

import datetime as dt

from producers.backfill.job import BackfillJob, JobStatus
from producers.backfill.lease import JobHeldElsewhere, LeaseUnavailable
from producers.backfill.queue import run_queue, runnable
from schemas.models import DocType, Provider

NOW = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)


def job(status: JobStatus, updated_s_ago: float = 0) -> BackfillJob:
    created = BackfillJob.new(user_id="u", provider=Provider.google, doc_types=(DocType.email,), now=NOW)
    return created.model_copy(update={"status": status, "updated_at": NOW - dt.timedelta(seconds=updated_s_ago)})


def test_pending_and_abandoned_jobs_are_taken_and_live_or_finished_ones_are_not():
    assert runnable(job(JobStatus.pending), now=NOW, stale_after_s=60)
    assert runnable(job(JobStatus.running, 61), now=NOW, stale_after_s=60)
    assert runnable(job(JobStatus.paused_for_quota, 61), now=NOW, stale_after_s=60)
    assert not runnable(job(JobStatus.running, 59), now=NOW, stale_after_s=60)
    for status in (JobStatus.completed, JobStatus.failed, JobStatus.cancelled):
        assert not runnable(job(status, 10_000), now=NOW, stale_after_s=60)


async def test_once_runs_every_runnable_job_a_bounded_number_at_a_time():
    jobs = [job(JobStatus.pending) for _ in range(5)]
    store = {j.job_id: j for j in jobs}
    running = peak = 0

    async def run_job(taken: BackfillJob) -> BackfillJob:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        import asyncio

        await asyncio.sleep(0.01)
        running -= 1
        store[taken.job_id] = taken.model_copy(update={"status": JobStatus.completed})
        return store[taken.job_id]

    done = await run_queue(lambda: list(store.values()), run_job, once=True, stale_after_s=60, concurrency=2,
                           now=lambda: NOW, poll_s=0.001)
    assert sorted(j.job_id for j in done) == sorted(store) and peak == 2


async def test_a_job_whose_lease_cannot_be_had_is_skipped_and_taken_again_later_without_stopping_the_queue():
    held, unreachable, free = job(JobStatus.pending), job(JobStatus.pending), job(JobStatus.pending)
    store = {j.job_id: j for j in (held, unreachable, free)}
    refusals = {held.job_id: [JobHeldElsewhere(held.job_id, "runner-b", 3.0)],
                unreachable.job_id: [LeaseUnavailable("Redis is unreachable")]}

    async def run_job(taken: BackfillJob) -> BackfillJob:
        if refusals.get(taken.job_id):
            raise refusals[taken.job_id].pop()
        store[taken.job_id] = taken.model_copy(update={"status": JobStatus.completed})
        return store[taken.job_id]

    def queue() -> object:
        return run_queue(lambda: list(store.values()), run_job, once=True, stale_after_s=60, concurrency=3,
                         now=lambda: NOW, poll_s=0.001)

    assert [j.job_id for j in await queue()] == [free.job_id]  # the refused two skipped, the queue not stopped
    assert store[held.job_id].status is store[unreachable.job_id].status is JobStatus.pending
    assert sorted(j.job_id for j in await queue()) == sorted([held.job_id, unreachable.job_id])  # taken later
