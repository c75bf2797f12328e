"""GET /ws: the same user-scoped stream as JSON messages, with resumption and the same auth."""

from __future__ import annotations

import aiohttp

from tests.integration.notifier.serving import Serve, eventually, http, note, serve  # noqa: F401


async def test_a_websocket_receives_its_users_notifications_as_json(serve: Serve, http: aiohttp.ClientSession) -> None:
    served = await serve()
    headers = {"Authorization": f"Bearer {served.tokens.issue('ada')}"}
    async with http.ws_connect(served.url("/ws"), headers=headers) as ws:
        await eventually(lambda: served.hub.connections("ada") == 1, what="the websocket to subscribe")
        served.hub.publish(note("bob", 1))
        mine = note("ada", 2, subject="hello")
        served.hub.publish(mine)
        message = await ws.receive_json(timeout=5)
    assert message["type"] == "notification"
    assert (message["notification"]["id"], message["notification"]["payload"]["subject"]) == (mine.id, "hello")


async def test_a_websocket_resumes_after_the_last_event_id_parameter(serve: Serve, http: aiohttp.ClientSession) -> None:
    served = await serve()
    sent = [note("ada", n) for n in range(4)]
    for notification in sent:
        served.hub.publish(notification)
    url = served.url(f"/ws?token={served.tokens.issue('ada')}&last_event_id={sent[1].id}")
    async with http.ws_connect(url) as ws:
        replayed = [(await ws.receive_json(timeout=5))["notification"]["id"] for _ in range(2)]
    assert replayed == [sent[2].id, sent[3].id]


async def test_a_websocket_gets_json_heartbeats_when_idle(serve: Serve, http: aiohttp.ClientSession) -> None:
    served = await serve(heartbeat_s=0.05)
    async with http.ws_connect(served.url(f"/ws?token={served.tokens.issue('ada')}")) as ws:
        messages = [await ws.receive_json(timeout=2) for _ in range(2)]
    assert messages == [{"type": "heartbeat"}] * 2


async def test_closing_a_websocket_unsubscribes_it(serve: Serve, http: aiohttp.ClientSession) -> None:
    served = await serve()
    async with http.ws_connect(served.url(f"/ws?token={served.tokens.issue('ada')}")) as ws:
        await eventually(lambda: served.hub.connections("ada") == 1, what="the websocket to subscribe")
        await ws.close()
    await eventually(lambda: served.hub.connections() == 0, what="the closed websocket to unsubscribe")


async def test_a_websocket_with_a_bad_token_is_refused_before_the_upgrade(serve: Serve, http: aiohttp.ClientSession) -> None:
    served = await serve()
    try:
        async with http.ws_connect(served.url("/ws?token=garbage")):
            raise AssertionError("the upgrade was accepted")
    except aiohttp.WSServerHandshakeError as refused:
        assert refused.status == 401


async def test_a_websocket_that_falls_behind_is_disconnected_and_resumes_where_it_was(serve: Serve, http: aiohttp.ClientSession) -> None:
    served = await serve(queue_size=2)
    token = served.tokens.issue("ada")
    burst = [note("ada", n) for n in range(5)]
    async with http.ws_connect(served.url(f"/ws?token={token}")) as ws:
        await eventually(lambda: served.hub.connections("ada") == 1, what="the websocket to subscribe")
        for notification in burst:  # published faster than the connection can take them
            served.hub.publish(notification)
        closing = await ws.receive(timeout=5)
    assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
    assert (served.hub.dropped, served.hub.connections()) == (1, 0)
    async with http.ws_connect(served.url(f"/ws?token={token}&last_event_id={burst[0].id}")) as ws:
        resumed = [(await ws.receive_json(timeout=5))["notification"]["id"] for _ in range(4)]
    assert resumed == [n.id for n in burst[1:]]
