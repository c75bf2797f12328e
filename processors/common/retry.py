"""The one retry loop of the services, on the project's one backoff rule (``connectors.backoff``)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from connectors.backoff import Backoff

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    base_s: float = 0.2
    max_s: float = 30.0
    #: Attempts for errors that are not transient; transient ones are retried without limit.
    max_attempts: int = 3
    #: Failed attempts after which a message still being retried is reported stalled (callers
    #: log an error and raise a metric; the retries go on).
    stalled_after_attempts: int = 10

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based), full jitter."""
        # Transient errors are retried without limit, and 2.0 ** 1024 overflows a float: past
        # 64 doublings any base is far over max_s anyway, so the exponent stops growing there.
        return Backoff(initial_s=self.base_s, max_s=self.max_s, retry_after_max_s=self.max_s).delay(min(attempt, 64), rng=rng)


async def retry(
    operation: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy,
    is_transient: Callable[[BaseException], bool],
    is_fatal: Callable[[BaseException], bool] = lambda exc: False,
    on_retry: Callable[[BaseException, int, float], None],
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """Run ``operation`` until it succeeds. Transient errors are retried forever (the caller's
    partition waits, which is the backpressure we want); fatal errors are re-raised at once;
    other errors are retried up to ``max_attempts``, then re-raised."""
    attempt = 0
    failures = 0
    while True:
        attempt += 1
        try:
            return await operation()
        except Exception as exc:
            if is_fatal(exc):
                raise
            if not is_transient(exc):
                failures += 1
                if failures >= policy.max_attempts:
                    raise
            wait = policy.delay(attempt)
            on_retry(exc, attempt, wait)
            await sleep(wait)
