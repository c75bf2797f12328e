"""The original value of a dead letter sent by reference, kept in Redis: a Redis outage is waited
out (retried, never dropped), a Redis that refuses the write stops the worker. Each test runs a
private redis-server, so the stack's Redis is never taken down."""

from __future__ import annotations

import asyncio
import logging
import shutil
import socket
import subprocess
from collections.abc import Iterator

import pytest
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from connectors.redis.dead_letter_store import DeadLetterStore
from processors.common.dead_letters import DeadLetter
from processors.common.exceptions import PoisonMessage, WorkerMustStop
from processors.common.faust_wiring import original_keeper
from processors.common.inbound import InboundRecord
from processors.common.processor import RecordProcessor
from processors.common.retry import RetryPolicy
from tests.waiting import wait_for

POLICY = RetryPolicy(base_s=0.02, max_s=0.1, max_attempts=3)
LETTER = DeadLetter(b"user-1", b"\x07" + b"x" * 50_000, [], original_key="officestream:dlq:tests:email-updates[0]@7")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PrivateRedis:
    """A redis-server of this test's own, started when the test says so."""

    def __init__(self, *args: str) -> None:
        self.port = free_port()
        self.args = args
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        argv = [shutil.which("redis-server") or "redis-server", "--bind", "127.0.0.1", "--port", str(self.port),
                "--save", "", "--appendonly", "no", *self.args]
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self._accepts, timeout_s=15, what=f"redis-server on port {self.port}")

    def _accepts(self) -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", self.port)) == 0

    def client(self) -> aioredis.Redis:
        # Without redis-py's own retries (seconds of backoff per call): the worker's retry loop
        # is what is under test.
        return aioredis.Redis(
            host="127.0.0.1", port=self.port, socket_connect_timeout=0.5, socket_timeout=2, retry=Retry(NoBackoff(), 0)
        )

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)


@pytest.fixture
def private_redis() -> Iterator[type[PrivateRedis]]:
    started: list[PrivateRedis] = []

    def make(*args: str) -> PrivateRedis:
        server = PrivateRedis(*args)
        started.append(server)
        return server

    yield make  # type: ignore[misc]
    for server in started:
        server.stop()


async def test_an_original_is_kept_once_redis_is_back_however_long_it_was_down(private_redis, caplog):
    server = private_redis()  # not started yet: Redis is down
    client = server.client()
    caplog.set_level(logging.WARNING, logger="officestream.processors")
    keeping = asyncio.ensure_future(original_keeper(DeadLetterStore(client), POLICY)(LETTER))

    def retries() -> int:
        return sum("retrying the original of a dead letter" in r.getMessage() for r in caplog.records)

    while retries() <= POLICY.max_attempts:  # transient: retried past the attempts for other errors
        assert not keeping.done(), keeping.exception()
        await asyncio.sleep(0.05)
    server.start()
    await asyncio.wait_for(keeping, timeout=20)
    assert await client.get(LETTER.original_key) == LETTER.value
    assert 0 < await client.pttl(LETTER.original_key) <= 30 * 24 * 3600 * 1000
    await client.aclose()


async def test_a_redis_that_refuses_the_original_stops_the_worker(private_redis):
    server = private_redis("--requirepass", "not-the-workers")
    server.start()
    keep = original_keeper(DeadLetterStore(server.client()), POLICY)
    stopped: list[BaseException] = []

    async def poison(value: bytes | None) -> None:
        raise PoisonMessage("not an event")

    async def send(letter: DeadLetter) -> None:  # what build_processor's sink does for a large letter
        await keep(letter)

    async def handler(event: object, record: InboundRecord) -> None:
        raise AssertionError("never reached")

    processor = RecordProcessor(
        service="tests", decode=poison, handler=handler, dead_letters=send, policy=POLICY, on_failure=stopped.append,
    )
    with pytest.raises(WorkerMustStop, match="dead letter of email-updates\\[0\\]@7 was not sent: PayloadStoreError"):
        await processor.process(InboundRecord("email-updates", 0, 7, b"user-1", LETTER.value))
    assert len(stopped) == 1 and isinstance(stopped[0], WorkerMustStop)
