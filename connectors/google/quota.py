"""Pacing under Google's per-user quotas: one token bucket per (API, user), on an injected
clock, so a backfill spends its budget evenly instead of bursting into 429s.

Gmail counts quota *units* per call (messages.get 5, messages.list 5, history.list 2,
watch 100, stop 50, getProfile 1; 15,000 units per user per minute by default); Calendar and
People count requests. A bucket refills at budget/60 per second and holds at most
``burst_s`` seconds of it, so a cold start does not spend a whole minute's budget at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

#: Gmail quota units per method (Gmail API "Usage limits").
GMAIL_UNITS = {
    "getProfile": 1,
    "messages.list": 5,
    "messages.get": 5,
    "history.list": 2,
    "watch": 100,
    "stop": 50,
}


@dataclass(slots=True)
class TokenBucket:
    capacity: float
    refill_per_s: float
    level: float
    updated_at: float

    def reserve(self, cost: float, now: float) -> float:
        """Take ``cost`` tokens (going into debt if need be); seconds to wait before spending."""
        self.level = min(self.capacity, self.level + (now - self.updated_at) * self.refill_per_s)
        self.updated_at = now
        self.level -= min(cost, self.capacity)  # a cost above capacity would wait forever
        return 0.0 if self.level >= 0 else -self.level / self.refill_per_s


class QuotaPacer:
    """Buckets per (API, user) with budgets per minute; thread-safe (clients run in threads)."""

    def __init__(self, budgets_per_minute: Mapping[str, int], *, burst_s: float = 10.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._budgets = dict(budgets_per_minute)
        self._burst_s = burst_s
        self._clock = clock
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self._lock = threading.Lock()

    def reserve(self, api: str, user: str, cost: int) -> float:
        """Seconds the caller must wait before spending ``cost`` on ``api`` for ``user``."""
        with self._lock:
            now = self._clock()
            bucket = self._buckets.get((api, user))
            if bucket is None:
                rate = self._budgets[api] / 60.0
                bucket = TokenBucket(capacity=rate * self._burst_s, refill_per_s=rate, level=rate * self._burst_s, updated_at=now)
                self._buckets[(api, user)] = bucket
            return bucket.reserve(cost, now)
