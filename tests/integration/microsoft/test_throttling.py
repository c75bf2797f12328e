"""Throttling and outages: Retry-After honoured, backoff on 503, typed errors when retries run
out, and never more than 4 requests in flight per mailbox."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest
import pytest_asyncio

from connectors.microsoft.auth import AppCredentials
from connectors.microsoft.exceptions import GraphThrottled, GraphUnavailable
from connectors.microsoft.graph_client import GraphClient

if TYPE_CHECKING:
    from tests.integration.microsoft.harness import Emulator

pytest_plugins = ("tests.integration.microsoft.harness",)


class RecordingSleep:
    """Injected time: records each wait the client asks for, and yields instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)


@pytest_asyncio.fixture
async def sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest_asyncio.fixture
async def client(emulator: Emulator, sleep: RecordingSleep) -> AsyncIterator[GraphClient]:
    settings = emulator.settings(max_attempts=4, backoff_initial_s=0.5, backoff_max_s=2.0, retry_after_max_s=30)
    async with GraphClient(settings, AppCredentials(settings), sleep=sleep) as graph:
        yield graph


def _folders(user: str) -> str:
    return f"users/{user}/mailFolders"


async def _inject(emulator: Emulator, status: int, times: int, retry_after: str | None = None) -> None:
    await emulator.post("/_emulator/faults", {"path_prefix": f"/v1.0/users/{emulator.user}/mailFolders",
                                              "status": status, "times": times, "retry_after": retry_after})


async def test_429_waits_exactly_the_retry_after_then_succeeds(emulator: Emulator, client: GraphClient, sleep: RecordingSleep) -> None:
    await _inject(emulator, 429, times=2, retry_after="7")
    body = await client.get_json(emulator.user, _folders(emulator.user))
    assert body["value"]
    assert sleep.waits == [7.0, 7.0]  # longer than any jittered backoff (capped at 2 s here)
    assert client.requests_sent == 3


async def test_503_without_retry_after_backs_off_with_jitter_then_succeeds(emulator: Emulator, client: GraphClient,
                                                                          sleep: RecordingSleep) -> None:
    await _inject(emulator, 503, times=1)
    assert (await client.get_json(emulator.user, _folders(emulator.user)))["value"]
    assert len(sleep.waits) == 1 and 0 <= sleep.waits[0] <= 0.5


async def test_persistent_504_raises_retriable_unavailable_after_the_attempt_cap(emulator: Emulator, client: GraphClient,
                                                                                 sleep: RecordingSleep) -> None:
    await _inject(emulator, 504, times=10)
    with pytest.raises(GraphUnavailable) as caught:
        await client.get_json(emulator.user, _folders(emulator.user))
    assert caught.value.retriable and caught.value.http_status == 504
    assert client.requests_sent == 4 and len(sleep.waits) == 3
    assert emulator.user not in str(caught.value)  # the mailbox is hashed in errors


async def test_retry_after_beyond_the_cap_fails_at_once_instead_of_parking(emulator: Emulator, client: GraphClient,
                                                                          sleep: RecordingSleep) -> None:
    await _inject(emulator, 429, times=1, retry_after="3600")
    with pytest.raises(GraphThrottled) as caught:
        await client.get_json(emulator.user, _folders(emulator.user))
    assert caught.value.retriable and sleep.waits == []


async def test_never_more_than_four_requests_in_flight_per_mailbox(emulator: Emulator, client: GraphClient) -> None:
    await emulator.post("/_emulator/microsoft/latency", {"seconds": 0.05})
    users = [emulator.user] * 12 + [emulator.other_user] * 12
    results = await asyncio.gather(*(client.get_json(user, _folders(user)) for user in users))
    assert all(result["value"] for result in results)
    stats = await emulator.stats()
    # Each mailbox reached the limit (the requests did overlap) and never exceeded it: the
    # emulator answers 429 MailboxConcurrency past 4, and none was throttled.
    assert stats["max_in_flight"] == {emulator.user: 4, emulator.other_user: 4}
    assert stats["throttled"] == 0
