"""One runner per backfill job at a time: a lease on the job in Redis.

A job's record says ``running`` whoever runs it, and a queue takes a running job back only once
it looks abandoned (``queue.runnable``), so nothing in Kafka stops a second runner: `backfill
resume --wait` on a job another process is running, or two queues, ran it twice (every batch
published twice; consumers absorb it, the work and the topic space are wasted). Kafka has no
compare-and-set; Redis, which every runner already uses for payloads, does.

``JobLeases.holding(job_id)`` sets ``officestream:backfill-lease:<job id>`` to this runner's name
only if no one holds it (``SET NX PX``) and renews it every third of ``ttl_s``; a runner killed
with ``kill -9`` holds it at most ``ttl_s`` longer. Held by another runner: ``JobHeldElsewhere``
(retriable, with the holder and when its lease lapses). A runner that finds its lease gone or
taken (Redis lost the key, or the process stood still past ``ttl_s``) stops before its next
page or checkpoint (``LeaseLost``), leaving the job to the new holder. Renewing and releasing
only touch the key while it names this runner (a Lua compare-and-set).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator

import redis.asyncio as aioredis
from pydantic import Field
from pydantic_settings import SettingsConfigDict
from redis.exceptions import RedisError

from producers.exceptions import ProducerError
from schemas.envsettings import EnvSettings

log = logging.getLogger("officestream.producers.backfill")

_RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class LeaseSettings(EnvSettings):
    model_config = SettingsConfigDict(env_prefix="OFFICESTREAM_BACKFILL_", extra="forbid", frozen=True)

    #: How long a runner's lease on a job outlives its last renewal (renewed every third of it):
    #: a killed runner's job can be resumed this long after the kill.
    lease_ttl_s: float = Field(default=30.0, ge=1.0, le=3600.0)


class JobHeldElsewhere(ProducerError):
    """Another runner holds the job's lease; it lapses in ``expires_in_s`` unless renewed."""

    retriable = True

    def __init__(self, job_id: str, holder: str, expires_in_s: float) -> None:
        super().__init__(f"backfill job {job_id} is being run by {holder} (its lease lapses in {expires_in_s:.0f} s "
                         "unless that runner renews it)")
        self.job_id, self.holder, self.expires_in_s = job_id, holder, expires_in_s


class LeaseUnavailable(ProducerError):
    """Redis could not be asked for the lease: the job is not started (it is tried again later)."""

    retriable = True


class LeaseLost(ProducerError):
    """This runner's lease on the job lapsed or was taken: it must stop touching the job."""


def lease_key(job_id: str) -> str:
    return f"officestream:backfill-lease:{job_id}"


class Held:
    """A lease being held: renewed in the background, and confirmed (``confirm``) before each
    page and checkpoint, so a runner that lost it stops at once, not at the next renewal."""

    def __init__(self, leases: JobLeases, job_id: str) -> None:
        self._leases = leases
        self.job_id = job_id
        self.lost = False
        self._renewed_at = asyncio.get_running_loop().time()

    async def confirm(self) -> None:
        """Renew the lease now; ``LeaseLost`` once it is gone or taken. While Redis cannot be
        reached the lease counts as held until ``ttl_s`` after its last renewal."""
        await self.renew()
        if self.lost:
            raise LeaseLost(f"the lease on backfill job {self.job_id} lapsed or was taken: stopping")

    async def renew(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            self.lost = self.lost or not await self._leases.renew(self.job_id)
        except RedisError as exc:
            # Unrenewed for ttl_s, the key may have lapsed and another runner taken the job.
            self.lost = loop.time() - self._renewed_at >= self._leases.ttl_s
            log.warning("backfill lease renewal failed job=%s error=%s", self.job_id, type(exc).__name__)
        else:
            self._renewed_at = loop.time()


class JobLeases:
    def __init__(self, redis: aioredis.Redis, *, ttl_s: float, owner: str | None = None) -> None:
        self._redis = redis
        self.ttl_s = ttl_s
        self._ttl_ms = int(ttl_s * 1000)
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    async def acquire(self, job_id: str) -> None:
        """Take the lease, or raise ``JobHeldElsewhere`` (``LeaseUnavailable`` without Redis)."""
        try:
            await self._acquire(job_id)
        except RedisError as exc:
            raise LeaseUnavailable(f"cannot take the lease on backfill job {job_id}: Redis is unreachable "
                                   f"({type(exc).__name__}); start it or set OFFICESTREAM_REDIS_URL") from None

    async def _acquire(self, job_id: str) -> None:
        key = lease_key(job_id)
        if await self._redis.set(key, self.owner, nx=True, px=self._ttl_ms):
            return
        holder, ttl_ms = await asyncio.gather(self._redis.get(key), self._redis.pttl(key))
        holder = holder.decode() if isinstance(holder, bytes) else holder
        if holder == self.owner and await self.renew(job_id):
            return
        if holder is None:  # lapsed between the two calls: try once more
            if await self._redis.set(key, self.owner, nx=True, px=self._ttl_ms):
                return
        raise JobHeldElsewhere(job_id, str(holder), max(ttl_ms, 0) / 1000)

    async def renew(self, job_id: str) -> bool:
        """Extend the lease; ``False`` when this runner no longer holds it."""
        return bool(await self._redis.eval(_RENEW, 1, lease_key(job_id), self.owner, self._ttl_ms))

    async def release(self, job_id: str) -> None:
        await self._redis.eval(_RELEASE, 1, lease_key(job_id), self.owner)

    @contextlib.asynccontextmanager
    async def holding(self, job_id: str) -> AsyncIterator[Held]:
        """Hold the job's lease for the block, renewing it in the background."""
        await self.acquire(job_id)
        held = Held(self, job_id)
        renewing = asyncio.create_task(self._keep(held), name=f"backfill-lease-{job_id}")
        try:
            yield held
        finally:
            renewing.cancel()
            await asyncio.gather(renewing, return_exceptions=True)
            if not held.lost:
                with contextlib.suppress(RedisError):  # it lapses by itself within ttl_s
                    await self.release(job_id)

    async def _keep(self, held: Held) -> None:
        """Renew every third of ``ttl_s`` (a job may wait minutes between pages, throttled)."""
        while not held.lost:
            await asyncio.sleep(self.ttl_s / 3)
            await held.renew()
        log.error("backfill lease lost job=%s: another runner may hold the job; stopping before the next page", held.job_id)
