"""The one backoff rule of the project: capped exponential backoff, full jitter,
and never shorter than a Retry-After the answer carried (itself capped)."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True, slots=True)
class Backoff:
    initial_s: float
    max_s: float
    retry_after_max_s: float

    def delay(self, attempt: int, *, retry_after_s: float | None = None, rng: random.Random | None = None) -> float:
        """Seconds to wait after failed attempt ``attempt`` (1-based). Full jitter spreads the
        retries of many operations that were throttled together."""
        ceiling = min(self.max_s, self.initial_s * 2 ** (attempt - 1))
        jittered = (rng or random).uniform(0, ceiling)
        if retry_after_s is None:
            return jittered
        return max(jittered, min(retry_after_s, self.retry_after_max_s))
