"""The retry helper: transient errors wait and retry forever, poison fails at once, others N times."""

from __future__ import annotations

import random

import pytest

from processors.common.retry import RetryPolicy, retry


class Transient(Exception):
    retriable = True


class Poison(Exception):
    pass


def flaky(failures: list[Exception]):
    calls = {"n": 0}

    async def operation() -> str:
        calls["n"] += 1
        if failures:
            raise failures.pop(0)
        return "done"

    return operation, calls


async def run(operation, policy=RetryPolicy(base_s=0.01, max_s=0.05, max_attempts=3)):
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    result = await retry(
        operation,
        policy=policy,
        is_transient=lambda e: isinstance(e, Transient),
        is_fatal=lambda e: isinstance(e, Poison),
        on_retry=lambda e, n, w: None,
        sleep=sleep,
    )
    return result, waits


async def test_transient_errors_are_retried_beyond_max_attempts():
    operation, calls = flaky([Transient() for _ in range(10)])
    result, waits = await run(operation)
    assert result == "done" and calls["n"] == 11 and len(waits) == 10


async def test_fatal_errors_are_not_retried():
    operation, calls = flaky([Poison()])
    with pytest.raises(Poison):
        await run(operation)
    assert calls["n"] == 1


async def test_unexpected_errors_are_retried_up_to_max_attempts():
    operation, calls = flaky([ValueError() for _ in range(5)])
    with pytest.raises(ValueError):
        await run(operation)
    assert calls["n"] == 3


def test_backoff_is_capped_exponential_with_jitter():
    policy = RetryPolicy(base_s=1.0, max_s=8.0)
    rng = random.Random(7)
    delays = [policy.delay(n, rng) for n in range(1, 8) for _ in range(50)]
    assert all(0 <= d <= 8.0 for d in delays)
    assert max(policy.delay(1, random.Random(i)) for i in range(50)) <= 1.0
    assert max(policy.delay(6, random.Random(i)) for i in range(50)) > 4.0


async def test_a_transient_error_can_be_retried_thousands_of_times():
    # An outage of hours at the longest backoff: the delay must neither overflow nor grow past max_s.
    operation, calls = flaky([Transient() for _ in range(3000)])
    result, waits = await run(operation)
    assert result == "done" and calls["n"] == 3001 and max(waits) <= 0.05
