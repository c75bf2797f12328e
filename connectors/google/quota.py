"""Pacing under Google's per-user quotas: one token bucket per (API, user), on an injected
clock, so a backfill spends its budget evenly instead of bursting into 429s.

Gmail counts quota *units* per call (messages.get 5, messages.list 5, history.list 2,
watch 100, stop 50, getProfile 1; 15,000 units per user per minute by default); Calendar and
People count requests. Google counts a minute's usage over any 60 s, so a bucket holding
``burst_s`` seconds of the budget (a cold start does not spend a whole minute's budget at once)
refills at what is left of the budget over ``WINDOW_S``: however the calls fall, no 60 s (plus a
second for a request to reach Google) ever spends more than the budget. A bucket that refilled at
the full budget/60 would let the burst come on top of a whole minute's refill (1.17 x the budget
with a 10 s burst, measured as 429s in ``bench/google_pacing_bench.py``); in the long run this
one spends (budget - burst) / budget * 60 / 61 of the quota (0.93 with the default 3 s burst).
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
#: The window a minute's budget must fit in: Google's 60 s, and a second for a request paced at
#: the start of a window to reach Google later than one paced at its end.
WINDOW_S = 61.0


@dataclass(slots=True)
class TokenBucket:
    capacity: float
    refill_per_s: float
    level: float
    updated_at: float

    def reserve(self, cost: float, now: float) -> float:
        """Take ``cost`` tokens, going into debt if need be (a cost above the capacity too: it
        waits longer, it is never charged less); seconds to wait before spending."""
        self.level = min(self.capacity, self.level + (now - self.updated_at) * self.refill_per_s)
        self.updated_at = now
        self.level -= cost
        return 0.0 if self.level >= 0 else -self.level / self.refill_per_s


class QuotaPacer:
    """Buckets per (API, user) with budgets per minute; thread-safe (clients run in threads)."""

    def __init__(self, budgets_per_minute: Mapping[str, int], *, burst_s: float = 3.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if not 0 <= burst_s < 60:
            raise ValueError(f"burst_s must be at least 0 and under 60 (a minute's budget), got {burst_s}")
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
                budget = self._budgets[api]
                burst = budget * self._burst_s / 60.0
                # burst + WINDOW_S of refill = the budget: the most any window can spend.
                bucket = TokenBucket(capacity=burst, refill_per_s=(budget - burst) / WINDOW_S, level=burst, updated_at=now)
                self._buckets[(api, user)] = bucket
            return bucket.reserve(cost, now)
