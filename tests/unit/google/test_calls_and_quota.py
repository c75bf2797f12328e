"""Retry, backoff and error mapping of one Google call, and the per-user quota buckets."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, datetime

import google.auth.exceptions
import httplib2
import pytest
from googleapiclient.errors import HttpError

from connectors.google.calls import Caller
from connectors.google.errors import describe_http_error, parse_retry_after
from connectors.google.exceptions import (
    AuthConfigError,
    CursorExpired,
    GoogleUnavailable,
    QuotaExceeded,
    ReauthRequired,
    RequestRejected,
)
from connectors.google.quota import QuotaPacer
from connectors.backoff import Backoff


def http_error(status: int, *, reason: str | None = None, retry_after: str | None = None, details: list | None = None,
               api_status: str | None = None) -> HttpError:
    headers = {"status": str(status), **({"retry-after": retry_after} if retry_after else {})}
    error: dict = {"code": status, "message": f"status {status}"}
    if reason:
        error["errors"] = [{"reason": reason, "domain": "usageLimits", "message": "m"}]
    if details:
        error["details"] = details
    if api_status:
        error["status"] = api_status
    return HttpError(httplib2.Response(headers), json.dumps({"error": error}).encode())


class Script:
    """A call that fails with the given errors in turn, then answers."""

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "answer"


def caller(sleeps: list[float], *, max_retries: int = 3, clock: Callable[[], float] = lambda: 0.0) -> Caller:
    return Caller(user="ada@contoso.example", pacer=QuotaPacer({"gmail": 15000, "calendar": 600, "people": 90}, clock=clock),
                  backoff=Backoff(initial_s=1, max_s=32, retry_after_max_s=120), max_retries=max_retries,
                  sleep=sleeps.append, rng=random.Random(3))


def test_retry_after_seconds_are_honoured_even_when_backoff_is_shorter() -> None:
    sleeps: list[float] = []
    script = Script(http_error(429, retry_after="9"))
    assert caller(sleeps).call(script, api="gmail", cost=5, what="t") == "answer"
    assert script.calls == 2 and sleeps == [9.0]


@pytest.mark.parametrize("reason", ["rateLimitExceeded", "userRateLimitExceeded"])
def test_403_rate_limit_reasons_are_retried_with_growing_backoff(reason: str) -> None:
    sleeps: list[float] = []
    script = Script(*(http_error(403, reason=reason) for _ in range(3)))
    assert caller(sleeps).call(script, api="gmail", cost=5, what="t") == "answer"
    assert len(sleeps) == 3 and all(0 <= s <= 2 ** i for i, s in enumerate(sleeps))


def test_server_errors_and_network_errors_are_retried() -> None:
    sleeps: list[float] = []
    script = Script(http_error(503), ConnectionResetError(), httplib2.ServerNotFoundError("x"))
    assert caller(sleeps).call(script, api="gmail", cost=5, what="t") == "answer"
    assert len(sleeps) == 3


def test_throttling_past_the_retries_raises_quota_exceeded_with_the_hint() -> None:
    sleeps: list[float] = []
    script = Script(*(http_error(429, retry_after="4") for _ in range(5)))
    with pytest.raises(QuotaExceeded) as raised:
        caller(sleeps, max_retries=2).call(script, api="gmail", cost=5, what="messages.list")
    assert raised.value.retriable and raised.value.retry_after_s == 4 and raised.value.status == 429
    assert script.calls == 3


def test_persistent_server_errors_raise_retriable_unavailable() -> None:
    with pytest.raises(GoogleUnavailable) as raised:
        caller([], max_retries=1).call(Script(http_error(500), http_error(502)), api="gmail", cost=1, what="t")
    assert raised.value.retriable and raised.value.status == 502


def test_a_refused_request_is_fatal_and_not_retried() -> None:
    sleeps: list[float] = []
    script = Script(http_error(400, reason="invalidArgument"))
    with pytest.raises(RequestRejected) as raised:
        caller(sleeps).call(script, api="gmail", cost=1, what="t")
    assert not raised.value.retriable and script.calls == 1 and sleeps == []


@pytest.mark.parametrize(
    ("api", "error"),
    [
        ("gmail", http_error(404, reason="notFound")),
        ("calendar", http_error(410, reason="fullSyncRequired")),
        ("people", http_error(400, api_status="FAILED_PRECONDITION",
                              details=[{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "EXPIRED_SYNC_TOKEN"}])),
    ],
)
def test_each_api_signals_an_expired_cursor_its_own_way(api: str, error: HttpError) -> None:
    with pytest.raises(CursorExpired):
        caller([]).call(Script(error), api=api, cost=1, what="t", with_cursor=True)


def test_a_plain_400_on_people_is_not_an_expired_cursor() -> None:
    with pytest.raises(RequestRejected):
        caller([]).call(Script(http_error(400, reason="badRequest")), api="people", cost=1, what="t", with_cursor=True)


def test_invalid_grant_on_refresh_becomes_reauth_required_without_the_answer_text() -> None:
    refused = google.auth.exceptions.RefreshError(
        "invalid_grant: Token has been expired or revoked.",
        {"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
    )
    with pytest.raises(ReauthRequired) as raised:
        caller([]).call(Script(refused), api="gmail", cost=1, what="t")
    assert raised.value.reason == "invalid_grant" and raised.value.__cause__ is None


def test_invalid_client_on_refresh_is_a_configuration_error() -> None:
    refused = google.auth.exceptions.RefreshError("invalid_client", {"error": "invalid_client"})
    with pytest.raises(AuthConfigError):
        caller([]).call(Script(refused), api="gmail", cost=1, what="t")


def test_retry_after_http_date_and_garbage() -> None:
    now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    assert parse_retry_after("Mon, 02 Nov 2026 09:00:30 GMT", now=now) == 30
    assert parse_retry_after("Mon, 02 Nov 2026 08:00:00 GMT", now=now) == 0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_error_reason_is_read_from_errors_or_details() -> None:
    assert describe_http_error(http_error(403, reason="userRateLimitExceeded")).reason == "userRateLimitExceeded"
    info = describe_http_error(http_error(400, details=[{"reason": "EXPIRED_SYNC_TOKEN"}], api_status="FAILED_PRECONDITION"))
    assert (info.reason, info.api_status) == ("EXPIRED_SYNC_TOKEN", "FAILED_PRECONDITION")
    assert describe_http_error(HttpError(httplib2.Response({"status": "502"}), b"<html>bad gateway</html>")).reason is None


def test_token_bucket_allows_a_burst_then_paces_at_what_the_budget_leaves() -> None:
    now = [0.0]
    pacer = QuotaPacer({"gmail": 600}, burst_s=1.0, clock=lambda: now[0])  # a burst of 10 ...
    rate = (600 - 10) / 61  # ... then what is left of the budget, over 60 s and a second in transit
    assert pacer.reserve("gmail", "ada", 10) == 0.0
    assert pacer.reserve("gmail", "ada", 5) == pytest.approx(5 / rate)
    now[0] = 3.0  # refilled past the burst, capped at it, less the 5 owed
    assert pacer.reserve("gmail", "ada", 10) == 0.0


def paced_spending(budget: int, costs: list[int]) -> list[tuple[float, int]]:
    """(when, cost) of each call of a caller that spends as soon as the pacer lets it."""
    clock = [0.0]
    pacer = QuotaPacer({"gmail": budget}, clock=lambda: clock[0])
    spent = []
    for cost in costs:
        clock[0] += pacer.reserve("gmail", "ada", cost)
        spent.append((clock[0], cost))
    return spent


@pytest.mark.parametrize("budget", [3_600, 15_000])
def test_no_60_s_ever_spends_more_than_the_budget_and_the_long_run_spends_nearly_all_of_it(budget: int) -> None:
    costs = [5 if i % 3 == 0 else 250 for i in range(600)]  # a Gmail crawl: a listing, two batches of 50, ...
    spent = paced_spending(budget, costs)
    for index, (start, _) in enumerate(spent):  # every window of 60 s and the transit second, from each call
        assert sum(cost for when, cost in spent[index:] if when < start + 61.0) <= budget
    minutes = spent[-1][0] / 60
    assert sum(costs) / minutes / budget >= 0.9


def test_a_call_costing_more_than_the_burst_is_charged_in_full() -> None:
    pacer = QuotaPacer({"gmail": 600}, burst_s=1.0, clock=lambda: 0.0)  # a burst of 10
    rate = (600 - 10) / 61
    assert pacer.reserve("gmail", "ada", 250) == pytest.approx((250 - 10) / rate)
    assert pacer.reserve("gmail", "ada", 5) == pytest.approx((255 - 10) / rate)


def test_buckets_are_per_user_and_per_api() -> None:
    pacer = QuotaPacer({"gmail": 60, "people": 60}, burst_s=1.0, clock=lambda: 0.0)
    assert pacer.reserve("gmail", "ada", 1) == 0.0
    assert pacer.reserve("gmail", "ada", 1) > 0
    assert pacer.reserve("gmail", "grace", 1) == 0.0
    assert pacer.reserve("people", "ada", 1) == 0.0


def test_pacing_waits_are_slept_before_the_call() -> None:
    sleeps: list[float] = []
    paced = Caller(user="ada", pacer=QuotaPacer({"gmail": 60}, burst_s=1.0, clock=lambda: 0.0),
                   backoff=Backoff(initial_s=1, max_s=1, retry_after_max_s=1), max_retries=0, sleep=sleeps.append)
    paced.call(Script(), api="gmail", cost=1, what="t")
    paced.call(Script(), api="gmail", cost=1, what="t")
    assert sleeps == [pytest.approx(1 / ((60 - 1) / 61))]  # a burst of 1, then 59 units every 61 s
