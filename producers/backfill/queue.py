"""Running the queued jobs: every pending job, and every running job whose runner died, a
bounded number at a time.

Each job runs in a task of its own: a user whose provider throttles waits in its own task, and
the other users' jobs go on (the per-mailbox request limits are the connectors'). A job still
"running" whose record was not updated for ``stale_after_s`` lost its runner (crashed, killed)
and is resumed from its last checkpoint. A job another runner holds (its lease in Redis:
``lease.py``) is left to it and looked at again on the next poll, so several queues (or a queue
and `backfill resume --wait`) never run one job twice.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from producers.backfill.job import BackfillJob, JobStatus
from producers.backfill.lease import JobHeldElsewhere, LeaseLost, LeaseUnavailable

log = logging.getLogger("officestream.producers.backfill")

#: How often the queue is read again for new jobs.
POLL_S = 2.0


def runnable(job: BackfillJob, *, now: dt.datetime, stale_after_s: float) -> bool:
    """Pending, or running (or paused) without an update for ``stale_after_s``: its runner is gone."""
    if job.status is JobStatus.pending:
        return True
    active = job.status in (JobStatus.running, JobStatus.paused_for_quota)
    return active and (now - job.updated_at).total_seconds() > stale_after_s


async def run_queue(
    list_jobs: Callable[[], list[BackfillJob]], run_job: Callable[[BackfillJob], Awaitable[BackfillJob]], *,
    once: bool, stale_after_s: float, concurrency: int, now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    poll_s: float = POLL_S,
) -> list[BackfillJob]:
    """Run what is runnable until stopped (``once``: until nothing runnable is left); returns
    the jobs it finished."""
    slots = asyncio.Semaphore(concurrency)
    running: dict[str, asyncio.Task[BackfillJob | None]] = {}
    finished: list[BackfillJob] = []

    async def run_one(job: BackfillJob) -> BackfillJob | None:
        async with slots:
            try:
                return await run_job(job)
            except (JobHeldElsewhere, LeaseLost, LeaseUnavailable) as exc:
                log.info("backfill queue skips job=%s for now: %s", job.job_id, exc)
                return None

    while True:
        for job in await asyncio.to_thread(list_jobs):
            if job.job_id not in running and runnable(job, now=now(), stale_after_s=stale_after_s):
                log.info("backfill queue takes job=%s status=%s", job.job_id, job.status.value)
                running[job.job_id] = asyncio.create_task(run_one(job))
        for job_id, task in list(running.items()):
            if task.done():
                if (done := task.result()) is not None:
                    finished.append(done)
                del running[job_id]
        if once and not running:
            return finished
        await asyncio.sleep(poll_s)
