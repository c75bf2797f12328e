"""What each /document/v1 status means for the loader; Retry-After; backoff."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from connectors.backoff import Backoff
from connectors.vespa.responses import Disposition, disposition, retry_after_seconds


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (200, Disposition.applied),
        (412, Disposition.condition_not_met),
        (400, Disposition.rejected),
        (413, Disposition.rejected),
        (500, Disposition.rejected),
        (429, Disposition.retry),
        (502, Disposition.retry),
        (503, Disposition.retry),
        (504, Disposition.retry),
        (599, Disposition.retry),
        (507, Disposition.insufficient_storage),
        (401, Disposition.misconfigured),
        (403, Disposition.misconfigured),
        (404, Disposition.misconfigured),
        (405, Disposition.misconfigured),
        (422, Disposition.rejected),
    ],
)
def test_each_status_has_its_disposition(status: int, expected: Disposition) -> None:
    assert disposition(status) is expected


NOW = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("7", 7.0),
        (" 0 ", 0.0),
        ("Mon, 02 Nov 2026 09:30:12 GMT", 12.0),
        ("Mon, 02 Nov 2026 09:00:00 GMT", 0.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("-3", None),
    ],
)
def test_retry_after_is_read_as_seconds_or_a_date(header: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(header, now=NOW) == seconds


BACKOFF = Backoff(initial_s=0.1, max_s=2.0, retry_after_max_s=30.0)


def test_backoff_grows_exponentially_up_to_its_cap() -> None:
    class Highest(random.Random):
        def uniform(self, a: float, b: float) -> float:
            return b

    assert [BACKOFF.delay(n, rng=Highest()) for n in (1, 2, 3, 6, 20)] == [0.1, 0.2, 0.4, 2.0, 2.0]


def test_backoff_is_jittered_within_its_ceiling() -> None:
    delays = [BACKOFF.delay(3, rng=random.Random(seed)) for seed in range(50)]
    assert all(0 <= d <= 0.4 for d in delays) and len(set(delays)) > 40


def test_a_retry_after_is_a_floor_and_is_itself_capped() -> None:
    assert BACKOFF.delay(1, retry_after_s=5.0, rng=random.Random(1)) == 5.0
    assert BACKOFF.delay(1, retry_after_s=3600.0, rng=random.Random(1)) == 30.0
    assert BACKOFF.delay(6, retry_after_s=0.0, rng=random.Random(1)) <= 2.0
