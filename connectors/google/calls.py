"""Running one Google API call for one user: pace it under the user's quota, retry what
retrying can fix, and turn every failure into the project's exception tree.

Retried: 429, 403 with reason ``rateLimitExceeded`` / ``userRateLimitExceeded``, 500/502/503/
504 and network errors, with capped exponential backoff and full jitter, never sooner than a
Retry-After. googleapiclient's own ``num_retries`` is left at 0: it ignores Retry-After and its
sleep cannot be injected or paced per user.
"""

from __future__ import annotations

import logging
import random
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import google.auth.exceptions
import httplib2
from googleapiclient.errors import HttpError

from connectors.google.auth import translate_refresh_error
from connectors.google.errors import (
    GoogleErrorInfo,
    cursor_expired,
    describe_http_error,
    is_expired_cursor,
    is_quota,
    is_transient,
    to_exception,
)
from connectors.google.exceptions import GoogleUnavailable, QuotaExceeded, user_hash
from connectors.google.quota import QuotaPacer
from connectors.google.settings import GoogleSettings
from connectors.backoff import Backoff  # the project's one backoff rule (DESIGN: one retry helper)

T = TypeVar("T")
log = logging.getLogger(__name__)
_NETWORK_ERRORS = (httplib2.HttpLib2Error, ConnectionError, TimeoutError, socket.timeout)


@dataclass(kw_only=True)
class Caller:
    """Calls for one user. ``sleep`` and ``rng`` are injected so tests wait for nothing."""

    user: str
    pacer: QuotaPacer
    backoff: Backoff
    max_retries: int
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    #: Told the seconds before each wait a quota answer asked for (429, rate limits): a
    #: backfill shows itself paused for quota meanwhile.
    on_throttled: Callable[[float], None] | None = None

    @classmethod
    def from_settings(cls, settings: GoogleSettings, *, user: str, pacer: QuotaPacer,
                      sleep: Callable[[float], None] = time.sleep, rng: random.Random | None = None,
                      on_throttled: Callable[[float], None] | None = None) -> Caller:
        backoff = Backoff(initial_s=settings.backoff_initial_s, max_s=settings.backoff_max_s,
                          retry_after_max_s=settings.retry_after_max_s)
        return cls(user=user, pacer=pacer, backoff=backoff, max_retries=settings.max_retries, sleep=sleep,
                   rng=rng or random.Random(), on_throttled=on_throttled)

    def pace(self, api: str, cost: int) -> None:
        wait = self.pacer.reserve(api, self.user, cost)
        if wait > 0:
            self.sleep(wait)

    def call(self, run: Callable[[], T], *, api: str, cost: int, what: str, with_cursor: bool = False) -> T:
        """``run()`` (one HTTP exchange), paced and retried; raises a ``GoogleError``
        (``CursorExpired`` when ``with_cursor`` and the API says the sync cursor is too old)."""
        attempt = 0
        while True:
            self.pace(api, cost)
            try:
                return run()
            except HttpError as exc:
                info = describe_http_error(exc)
                if with_cursor and is_expired_cursor(info, api):
                    raise cursor_expired(info, what, user=self.user) from None
                if not (is_quota(info) or is_transient(info)) or attempt >= self.max_retries:
                    raise self._final(info, what, attempt) from None
            except google.auth.exceptions.RefreshError as exc:
                raise translate_refresh_error(exc, user=self.user) from None
            except _NETWORK_ERRORS as exc:
                info = GoogleErrorInfo(status=0, reason=type(exc).__name__, message="network error")
                if attempt >= self.max_retries:
                    raise GoogleUnavailable(f"{what} failed: network error", reason=info.reason, user=self.user) from None
            attempt += 1
            self.wait_before_retry(attempt, info, what)

    def wait_before_retry(self, attempt: int, info: GoogleErrorInfo, what: str) -> None:
        delay = self.backoff.delay(attempt, retry_after_s=info.retry_after_s, rng=self.rng)
        log.info("google retry what=%s status=%s reason=%s attempt=%d delay_s=%.2f user=%s",
                 what, info.status, info.reason, attempt, delay, user_hash(self.user))
        if self.on_throttled is not None and is_quota(info):
            self.on_throttled(delay)
        self.sleep(delay)

    def _final(self, info: GoogleErrorInfo, what: str, attempt: int) -> Exception:
        if is_quota(info):
            return QuotaExceeded(f"{what} still throttled after {attempt} retries", retry_after_s=info.retry_after_s,
                                 status=info.status, reason=info.reason, user=self.user)
        return to_exception(info, what, user=self.user)
