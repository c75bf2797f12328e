"""The notifier's limits over real sockets: 429 / 503 with Retry-After for SSE and WebSocket, a
refused connection costing the open ones nothing, a closed connection freeing its slot, and
resumption past a notification the byte budget evicted asking for a resync."""

from __future__ import annotations

import aiohttp
import pytest

from processors.notifier.ring import notification_cost
from tests.integration.notifier.serving import OpenStream, Serve, eventually, http, note, serve, streams  # noqa: F401


async def refusal(http: aiohttp.ClientSession, url: str) -> tuple[int, str | None, dict]:
    async with http.get(url) as response:
        body = await response.json() if response.content_type == "application/json" else {}
        return response.status, response.headers.get("Retry-After"), body


async def test_an_sse_stream_over_the_users_limit_gets_429_and_the_open_ones_keep_streaming(
    serve: Serve, http: aiohttp.ClientSession, streams: OpenStream
) -> None:
    served = await serve(max_connections_per_user=2, retry_after_s=7)
    url = served.url(f"/events?token={served.tokens.issue('ada')}")
    phone, laptop = await streams(url), await streams(url)
    status, retry_after, body = await refusal(http, url)
    assert (status, retry_after, body["error"]) == (429, "7", "too_many_connections")
    bob = await streams(served.url(f"/events?token={served.tokens.issue('bob')}"))  # another user is not limited by ada's
    served.hub.publish(note("ada", 1))
    served.hub.publish(note("bob", 2))
    assert [(await s.notification())["payload"]["n"] for s in (phone, laptop, bob)] == [1, 1, 2]


async def test_an_sse_stream_over_the_instances_limit_gets_503_and_the_open_ones_keep_streaming(
    serve: Serve, http: aiohttp.ClientSession, streams: OpenStream
) -> None:
    served = await serve(max_connections=2, retry_after_s=3)
    ada = await streams(served.url(f"/events?token={served.tokens.issue('ada')}"))
    await streams(served.url(f"/events?token={served.tokens.issue('bob')}"))
    assert (await refusal(http, served.url(f"/events?token={served.tokens.issue('cy')}")))[:2] == (503, "3")
    served.hub.publish(note("ada", 1))
    assert (await ada.notification())["payload"]["n"] == 1
    async with http.get(served.url("/healthz")) as response:
        health = await response.json()
    assert (health["connections"], health["refused_connections"]) == (2, {"user_limit": 0, "server_limit": 1})


async def test_closing_an_sse_stream_frees_its_slot(serve: Serve, http: aiohttp.ClientSession, streams: OpenStream) -> None:
    served = await serve(max_connections_per_user=1)
    url = served.url(f"/events?token={served.tokens.issue('ada')}")
    first = await streams(url)
    assert (await refusal(http, url))[0] == 429
    first.response.close()
    await eventually(lambda: served.hub.connections("ada") == 0, what="the closed stream's slot to be freed")
    again = await streams(url)
    served.hub.publish(note("ada", 5))
    assert (await again.notification())["payload"]["n"] == 5


@pytest.mark.parametrize(("limit", "status"), [("max_connections_per_user", 429), ("max_connections", 503)])
async def test_a_websocket_over_a_limit_is_refused_before_the_upgrade_with_retry_after(
    serve: Serve, http: aiohttp.ClientSession, limit: str, status: int
) -> None:
    served = await serve(**{limit: 1}, retry_after_s=4)
    url = served.url(f"/ws?token={served.tokens.issue('ada')}")
    async with http.ws_connect(url) as open_ws:
        await eventually(lambda: served.hub.connections("ada") == 1, what="the first websocket to subscribe")
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            async with http.ws_connect(url):
                pass
        assert (refused.value.status, refused.value.headers.get("Retry-After")) == (status, "4")
        served.hub.publish(note("ada", 1))
        message = await open_ws.receive_json(timeout=5)
    assert message["notification"]["payload"]["n"] == 1


async def test_closing_a_websocket_frees_its_slot(serve: Serve, http: aiohttp.ClientSession) -> None:
    served = await serve(max_connections=1)
    url = served.url(f"/ws?token={served.tokens.issue('ada')}")
    async with http.ws_connect(url) as ws:
        await eventually(lambda: served.hub.connections() == 1, what="the websocket to subscribe")
        await ws.close()
    await eventually(lambda: served.hub.connections() == 0, what="the closed websocket's slot to be freed")
    async with http.ws_connect(url) as again:
        await eventually(lambda: served.hub.connections() == 1, what="a new websocket in the freed slot")
        served.hub.publish(note("ada", 3))
        assert (await again.receive_json(timeout=5))["notification"]["payload"]["n"] == 3


async def test_resuming_past_a_notification_the_budget_evicted_asks_for_a_resync(serve: Serve, streams: OpenStream) -> None:
    served = await serve(buffer_budget_bytes=64 * 1024)  # the smallest budget allowed
    sent = [note("ada", n) for n in range(64 * 1024 // notification_cost(note("ada", 0)) + 5)]
    for notification in sent:
        served.hub.publish(notification)
    kept = served.hub.recent("ada")
    assert sent[0] not in kept and kept[-1] == sent[-1] and served.hub.buffered_bytes() <= 64 * 1024
    stream = await streams(served.url(f"/events?token={served.tokens.issue('ada')}"), headers={"Last-Event-ID": sent[0].id})
    assert (await stream.frame()).event == "resync"
    assert [(await stream.notification())["id"] for _ in kept] == [n.id for n in kept]
