"""GET /events over a real socket: user isolation, heartbeats, resumption, token lifetime."""

from __future__ import annotations

import datetime as dt

from pydantic import SecretStr

from processors.notifier.tokens import StreamTokens
from tests.integration.notifier.serving import SECRET, OpenStream, Serve, eventually, http, note, serve, streams  # noqa: F401


async def test_a_user_receives_their_own_notifications_and_never_anothers(serve: Serve, streams: OpenStream) -> None:
    served = await serve()
    ada = await streams(served.url("/events"), headers={"Authorization": f"Bearer {served.tokens.issue('ada')}"})
    bob = await streams(served.url("/events?token=" + served.tokens.issue("bob")))
    served.hub.publish(note("bob", 1, subject="for bob"))
    served.hub.publish(note("ada", 2, subject="for ada"))
    # Bob's was published first: had it been routed to Ada, it would be the first she reads.
    ada_first = await ada.notification()
    bob_first = await bob.notification()
    assert (ada_first["user_id"], ada_first["payload"]["subject"]) == ("ada", "for ada")
    assert (bob_first["user_id"], bob_first["payload"]["subject"]) == ("bob", "for bob")


async def test_heartbeat_comments_arrive_while_nothing_is_published(serve: Serve, streams: OpenStream) -> None:
    served = await serve(heartbeat_s=0.05)
    stream = await streams(served.url("/events?token=" + served.tokens.issue("ada")))
    frames = [await stream.frame(timeout=2) for _ in range(3)]
    assert [f.comment for f in frames] == ["heartbeat"] * 3


async def test_last_event_id_header_resumes_exactly_after_the_given_id(serve: Serve, streams: OpenStream) -> None:
    served = await serve()
    sent = [note("ada", n) for n in range(5)]
    for notification in sent:
        served.hub.publish(notification)
    served.hub.publish(note("bob", 9))
    stream = await streams(served.url("/events?token=" + served.tokens.issue("ada")), headers={"Last-Event-ID": sent[1].id})
    replayed = [(await stream.notification())["id"] for _ in range(3)]
    assert replayed == [n.id for n in sent[2:]]
    live = note("ada", 6)
    served.hub.publish(live)
    assert (await stream.notification())["id"] == live.id


async def test_the_last_event_id_query_parameter_resumes_too(serve: Serve, streams: OpenStream) -> None:
    served = await serve()
    sent = [note("ada", n) for n in range(3)]
    for notification in sent:
        served.hub.publish(notification)
    url = served.url(f"/events?token={served.tokens.issue('ada')}&last_event_id={sent[0].id}")
    stream = await streams(url)
    assert [(await stream.notification())["id"] for _ in range(2)] == [n.id for n in sent[1:]]


async def test_an_id_no_longer_buffered_is_answered_with_a_resync_then_what_is_left(serve: Serve, streams: OpenStream) -> None:
    served = await serve(buffer_size=2)
    sent = [note("ada", n) for n in range(4)]
    for notification in sent:
        served.hub.publish(notification)
    stream = await streams(served.url("/events?token=" + served.tokens.issue("ada")), headers={"Last-Event-ID": sent[0].id})
    assert (await stream.frame()).event == "resync"
    assert [(await stream.notification())["id"] for _ in range(2)] == [n.id for n in sent[2:]]


async def test_the_stream_ends_when_its_token_expires(serve: Serve, streams: OpenStream) -> None:
    # The server's clock says the token has 0.2 s left; the stream must end then, not run on.
    issued_at = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)
    now = [issued_at]
    tokens = StreamTokens(SecretStr(SECRET), ttl=dt.timedelta(seconds=1), clock=lambda: now[0])
    token = tokens.issue("ada")
    now[0] = issued_at + dt.timedelta(milliseconds=800)
    served = await serve(tokens=tokens, heartbeat_s=10)
    stream = await streams(served.url("/events?token=" + token))
    try:
        await stream.frame(timeout=3)
    except EOFError:
        pass
    else:
        raise AssertionError("the stream sent a frame instead of ending at token expiry")
    await eventually(lambda: served.hub.connections() == 0, what="the expired stream's subscription to go")


async def test_a_client_that_disconnects_is_cleaned_up(serve: Serve, streams: OpenStream) -> None:
    served = await serve(heartbeat_s=0.05)
    stream = await streams(served.url("/events?token=" + served.tokens.issue("ada")))
    assert served.hub.connections("ada") == 1
    stream.response.close()
    await eventually(lambda: served.hub.connections("ada") == 0, what="the vanished client's subscription to go")
