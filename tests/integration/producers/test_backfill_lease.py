"""One runner per backfill job at a time (``producers/backfill/lease.py``), on the real Redis and,
for the runners, the real Kafka and the Microsoft emulator: a second runner of a running job
publishes nothing, a killed runner's lease lapses, and a runner that lost its lease stops
before publishing another page or overwriting the job."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from dataclasses import dataclass

import pytest
import redis.asyncio as aioredis

from producers.backfill.job import BackfillJob, JobStatus
from producers.backfill.lease import JobHeldElsewhere, JobLeases, LeaseLost, lease_key
from producers.backfill.providers import ProviderCrawlers
from producers.backfill.queue import run_queue
from producers.backfill.store import JobStore
from producers.publisher import Publisher
from schemas.models import DocType, Provider
from tests.integration.producers.backfill_helpers import published, publisher_for, runner_for
from tests.integration.producers.stack_fixtures import kafka, payloads  # noqa: F401

# Imported into this module, so they win over the Google fixtures of the same names.
from tests.integration.microsoft.harness import emulator, pristine_world, tls  # noqa: E402, F401

ALL = (DocType.email, DocType.calendar_event, DocType.contact)


@pytest.fixture
async def redis(stack):
    client = aioredis.Redis.from_url(stack.redis.url, **stack.redis.client_kwargs())
    yield client
    await client.aclose()


def a_job_id() -> str:
    return f"bf-lease-{uuid.uuid4().hex[:12]}"


async def test_the_lease_is_one_holder_s_until_released_or_lapsed(redis):
    job_id = a_job_id()
    first, second = JobLeases(redis, ttl_s=1.0, owner="runner-a"), JobLeases(redis, ttl_s=1.0, owner="runner-b")
    await first.acquire(job_id)
    with pytest.raises(JobHeldElsewhere) as held:
        await second.acquire(job_id)
    assert held.value.holder == "runner-a" and 0 < held.value.expires_in_s <= 1.0
    assert await first.renew(job_id) and not await second.renew(job_id)
    await second.release(job_id)  # not its lease: nothing happens
    assert (await redis.get(lease_key(job_id))) == b"runner-a"
    await first.release(job_id)
    await second.acquire(job_id)  # released: taken at once
    await asyncio.sleep(1.3)  # runner-b "killed": never renews
    await first.acquire(job_id)  # lapsed: taken
    assert not await second.renew(job_id)


async def test_a_held_lease_is_renewed_for_as_long_as_the_block_runs(redis):
    job_id = a_job_id()
    holder, other = JobLeases(redis, ttl_s=1.0, owner="runner-a"), JobLeases(redis, ttl_s=1.0, owner="runner-b")
    async with holder.holding(job_id) as held:
        for _ in range(5):  # 2.5 s: past two lapses of an unrenewed lease
            await asyncio.sleep(0.5)
            with pytest.raises(JobHeldElsewhere):
                await other.acquire(job_id)
        await held.confirm()
    await other.acquire(job_id)  # released on leaving the block


async def test_a_holder_that_finds_its_lease_taken_stops(redis):
    job_id = a_job_id()
    holder = JobLeases(redis, ttl_s=1.0, owner="runner-a")
    async with holder.holding(job_id) as held:
        await redis.set(lease_key(job_id), "runner-b", px=60_000)  # Redis lost the key, another runner took it
        for _ in range(50):  # the background renewal (every 1/3 s) finds it
            if held.lost:
                break
            await asyncio.sleep(0.1)
        assert held.lost
        with pytest.raises(LeaseLost):
            await held.confirm()
    assert (await redis.get(lease_key(job_id))) == b"runner-b"  # the new holder's lease is left alone


@dataclass
class Backfill:
    """A job of the emulator's whole mailbox (3 items a page), and what runs it on the test stack."""

    job: BackfillJob
    crawlers: ProviderCrawlers
    publisher: Publisher
    store: JobStore


@pytest.fixture
async def backfill(emulator, kafka, serde, payloads):  # noqa: F811
    now = emulator.world.now
    job = BackfillJob.new(user_id=emulator.user, provider=Provider.microsoft, doc_types=ALL, now=dt.datetime.now(dt.UTC),
                          since=now - dt.timedelta(days=400), until=now + dt.timedelta(days=400), batch_size=5)
    crawlers = ProviderCrawlers(microsoft=emulator.settings(max_page_size=3))
    publisher = publisher_for(kafka, serde, payloads)
    await publisher.start()
    yield Backfill(job, crawlers, publisher, JobStore(kafka, publisher))
    await crawlers.aclose()
    await publisher.close()


async def test_two_runners_on_one_job_publish_it_once(backfill, kafka, serde, payloads, redis):  # noqa: F811
    job = backfill.job
    runners = [runner_for(backfill.publisher, kafka, backfill.crawlers.crawler,
                          leases=JobLeases(redis, ttl_s=5.0, owner=f"runner-{n}")) for n in (1, 2)]
    outcomes = await asyncio.gather(*(runner.run(job) for runner in runners), return_exceptions=True)
    done = [o for o in outcomes if isinstance(o, BackfillJob)]
    refused = [o for o in outcomes if isinstance(o, JobHeldElsewhere)]
    assert len(done) == 1 and len(refused) == 1, outcomes
    assert done[0].status is JobStatus.completed and refused[0].holder in {"runner-1", "runner-2"}
    for doc_type in ALL:
        items = await published(kafka, serde, payloads, done[0], doc_type)
        assert items.ids and max(items.counts().values()) == 1, f"{doc_type}: published twice"
        assert [e.batch_index for e in items.events] == list(range(len(items.events)))
    assert not await redis.exists(lease_key(job.job_id))  # released at the end


async def test_a_queue_leaves_a_job_another_runner_holds_and_takes_it_once_free(backfill, kafka, redis):  # noqa: F811
    job, store = backfill.job, backfill.store
    await store.save(job)
    elsewhere = JobLeases(redis, ttl_s=60.0, owner="runner-elsewhere")
    await elsewhere.acquire(job.job_id)
    leases = JobLeases(redis, ttl_s=5.0, owner="queue")

    async def run_job(queued: BackfillJob) -> BackfillJob:
        return await runner_for(backfill.publisher, kafka, backfill.crawlers.crawler, leases=leases).run(queued)

    def mine() -> list[BackfillJob]:
        found = store.get(job.job_id)
        return [found] if found is not None else []

    left = await run_queue(mine, run_job, once=True, stale_after_s=60, concurrency=1, poll_s=0.1)
    assert left == [] and store.get(job.job_id).status is JobStatus.pending  # untouched: held elsewhere
    await elsewhere.release(job.job_id)
    [done] = await run_queue(mine, run_job, once=True, stale_after_s=60, concurrency=1, poll_s=0.1)
    assert done.status is JobStatus.completed


async def test_a_runner_that_lost_its_lease_stops_before_the_next_page_and_leaves_the_job(backfill, kafka, redis):  # noqa: F811
    job, store = backfill.job, backfill.store
    taken = asyncio.Event()

    def on_update(updated: BackfillJob) -> None:
        if updated.batches >= 2 and not taken.is_set():
            taken.set()

    leases = JobLeases(redis, ttl_s=1.0, owner="runner-a")
    runner = runner_for(backfill.publisher, kafka, backfill.crawlers.crawler, leases=leases, on_update=on_update)
    running = asyncio.create_task(runner.run(job))
    await asyncio.wait_for(taken.wait(), timeout=60)
    await redis.set(lease_key(job.job_id), "runner-b", px=60_000)  # the job is another runner's now
    with pytest.raises(LeaseLost):
        await asyncio.wait_for(running, timeout=30)
    stored = store.get(job.job_id)
    assert stored.status is JobStatus.running  # never ended (failed, completed) by the runner that lost it
    batches_then = stored.batches
    await asyncio.sleep(1.0)
    assert store.get(job.job_id).batches == batches_then  # and nothing more written after it stopped
