"""RecordProcessor and payload references on the real registry and Redis (the sink is a list)."""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx
import pytest
import redis.asyncio as aioredis
from aiohttp import web

from connectors.redis.exceptions import (
    PayloadCorrupt,
    PayloadMissing,
    PayloadRefused,
    PayloadStoreMisconfigured,
    PayloadStoreUnavailable,
)
from connectors.redis.payload_store import PayloadStore, encode_record
from processors.common.dead_letters import DeadLetter, reason_headers
from processors.common.exceptions import PoisonMessage, TransientError, WorkerMustStop
from processors.common.inbound import InboundRecord
from processors.common.items import apply_each, item_changes
from processors.common.processor import RecordProcessor
from processors.common.retry import RetryPolicy
from schemas.models import ChangeType, DocType, EmailBackfillEvent, EmailUpdateEvent
from tests import factories


def inbound(value: bytes | None, offset: int = 0) -> InboundRecord:
    return InboundRecord("email-updates", 0, offset, b"user-1", value)


class Harness:
    def __init__(self, serde, handler):
        self.dead: list[DeadLetter] = []

        async def sink(letter: DeadLetter) -> None:
            self.dead.append(letter)

        async def decode(value: bytes | None):
            return serde.decode(value)

        self.processor = RecordProcessor(
            service="tests", decode=decode, handler=handler, dead_letters=sink,
            policy=RetryPolicy(base_s=0.001, max_s=0.01, max_attempts=3),
        )


async def test_good_event_is_handled_and_poison_is_dead_lettered_without_stopping(serde, unique):
    seen = []

    async def handler(event, record):
        seen.append(event.email_id)

    harness = Harness(serde, handler)
    good = serde.encode(f"t-{unique}", factories.email_update(email_id="ok-1"))
    outcomes = [
        await harness.processor.process(inbound(b"\x07not avro", 0)),
        await harness.processor.process(inbound(good, 1)),
        await harness.processor.process(inbound(None, 2)),
    ]
    assert outcomes == ["dead-lettered", "handled", "dead-lettered"]
    assert seen == ["ok-1"]
    assert [reason_headers(d.headers)["error.class"] for d in harness.dead] == ["BadMagicByte", "TruncatedPayload"]
    assert harness.dead[0].value == b"\x07not avro" and harness.dead[0].key == b"user-1"


async def test_transient_failures_are_retried_not_dead_lettered(serde, unique):
    calls = {"n": 0}

    async def handler(event, record):
        calls["n"] += 1
        if calls["n"] < 6:
            raise TransientError("vespa unavailable")

    harness = Harness(serde, handler)
    outcome = await harness.processor.process(inbound(serde.encode(f"t-{unique}", factories.email_update())))
    assert outcome == "handled" and calls["n"] == 6 and harness.dead == []


async def test_unexpected_failures_are_dead_lettered_after_max_attempts(serde, unique):
    calls = {"n": 0}

    async def handler(event, record):
        calls["n"] += 1
        raise KeyError("bug")

    harness = Harness(serde, handler)
    outcome = await harness.processor.process(inbound(serde.encode(f"t-{unique}", factories.email_update()), 7))
    assert outcome == "dead-lettered" and calls["n"] == 3
    reason = reason_headers(harness.dead[0].headers)
    assert (reason["error.class"], reason["source.offset"], reason["service"]) == ("KeyError", "7", "tests")


async def test_a_failure_that_must_stop_the_worker_is_neither_retried_nor_dead_lettered(serde, unique):
    calls = {"n": 0}

    async def handler(event, record):
        calls["n"] += 1
        raise WorkerMustStop("a dead letter of an earlier batch could not be sent")

    harness = Harness(serde, handler)
    with pytest.raises(WorkerMustStop):
        await harness.processor.process(inbound(serde.encode(f"t-{unique}", factories.email_update())))
    assert calls["n"] == 1 and harness.dead == []


@pytest.fixture
async def redis_client(stack):
    client = aioredis.Redis.from_url(stack.redis.url, **stack.redis.client_kwargs())
    yield client
    await client.aclose()


def ref_event(ref) -> EmailUpdateEvent:
    return EmailUpdateEvent(
        metadata=factories.metadata("EmailUpdateEvent"), change_type=ChangeType.updated, email_id=ref.doc_id, email_ref=ref
    )


async def test_referenced_record_is_fetched_from_redis_and_verified(redis_client, unique):
    store = PayloadStore(redis_client)
    big = factories.email(f"big-{unique}", body_html="<p>" + "x" * 200_000 + "</p>")
    ref = await store.put("user-1", DocType.email, big, ttl=dt.timedelta(minutes=5), now=factories.T0)
    assert ref.key == f"office:user-1:email:big-{unique}" and 0 < await redis_client.pttl(ref.key) <= 300_000
    [change] = (await item_changes(ref_event(ref), store)).items
    assert change.record == big and change.key == f"user-1:email:big-{unique}"


async def test_tampered_payload_is_refused(redis_client, unique):
    store = PayloadStore(redis_client)
    ref = await store.put("user-1", DocType.email, factories.email(f"m-{unique}"), ttl=None, now=factories.T0)
    await redis_client.set(ref.key, encode_record(factories.email(f"m-{unique}", subject="forged")))
    with pytest.raises(PayloadCorrupt, match="reference says"):
        await store.get(ref, user_id="user-1", doc_type=DocType.email)


@pytest.fixture
async def content_endpoint():
    served: dict[str, bytes] = {}

    async def content(request: web.Request) -> web.Response:
        key = f"{request.match_info['user']}/{request.match_info['doc_type']}/{request.match_info['doc_id']}"
        return web.Response(body=served[key]) if key in served else web.Response(status=404)

    app = web.Application()
    app.router.add_get("/content/{user}/{doc_type}/{doc_id}", content)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}", served
    await runner.cleanup()


async def test_expired_key_falls_back_to_the_content_endpoint(redis_client, content_endpoint, unique):
    url, served = content_endpoint
    record = factories.email(f"gone-{unique}")
    async with httpx.AsyncClient() as http:
        store = PayloadStore(redis_client, content_endpoint=url, http=http)
        ref = await store.put("user-1", DocType.email, record, ttl=None, now=factories.T0)
        await redis_client.delete(ref.key)
        served[f"user-1/email/gone-{unique}"] = encode_record(record)
        assert await store.get(ref, user_id="user-1", doc_type=DocType.email) == record
        del served[f"user-1/email/gone-{unique}"]
        with pytest.raises(PayloadMissing, match="content endpoint answered 404"):
            await store.get(ref, user_id="user-1", doc_type=DocType.email)


async def test_expired_key_without_endpoint_is_missing(redis_client, unique):
    store = PayloadStore(redis_client)
    ref = await store.put("user-1", DocType.email, factories.email(f"m-{unique}"), ttl=None, now=factories.T0)
    await redis_client.delete(ref.key)
    with pytest.raises(PayloadMissing, match="no content endpoint is configured"):
        await store.get(ref, user_id="user-1", doc_type=DocType.email)


async def test_a_batch_keeps_its_readable_items_and_names_the_unreadable_references(redis_client, unique):
    store = PayloadStore(redis_client)
    stored = await store.put("user-1", DocType.email, factories.email(f"ok-{unique}"), ttl=None, now=factories.T0)
    missing = factories.payload_ref(f"gone-{unique}")  # never stored
    batch = EmailBackfillEvent(
        metadata=factories.metadata("EmailBackfillEvent"), job_id="j", batch_index=0,
        emails=[factories.email(f"inline-{unique}")], emails_refs=[missing, stored],
    )
    changes = await item_changes(batch, store)
    assert [change.doc_id for change in changes.items] == [f"inline-{unique}", f"ok-{unique}"]
    assert len(changes.unreadable) == 1 and changes.unreadable[0].startswith(f"gone-{unique} (office:user-1:email:gone-{unique}): ")

    applied: list[str] = []

    async def apply_one(item):
        applied.append(item.doc_id)

    with pytest.raises(PoisonMessage, match=rf"1 referenced items unreadable: gone-{unique} "):
        await apply_each(changes.items, apply_one, unreadable=changes.unreadable)
    assert applied == [f"inline-{unique}", f"ok-{unique}"]  # the others took effect first


async def test_an_unavailable_store_fails_the_whole_batch_for_a_retry(unique):
    broken = aioredis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)  # nothing listens there
    batch = EmailBackfillEvent(
        metadata=factories.metadata("EmailBackfillEvent"), job_id="j", batch_index=0,
        emails=[], emails_refs=[factories.payload_ref(f"m-{unique}")],
    )
    with pytest.raises(PayloadStoreUnavailable):
        await item_changes(batch, PayloadStore(broken))
    await broken.aclose()


def store_handler(store: PayloadStore, applied: list[str]):
    """A service handler in miniature: the event's items, referenced ones fetched, then applied."""

    async def handler(event, record):
        changes = await item_changes(event, store)

        async def apply_one(item):
            applied.append(item.doc_id)

        await apply_each(changes.items, apply_one, unreadable=changes.unreadable)

    return handler


async def test_a_key_of_the_wrong_redis_type_dead_letters_its_message_and_the_next_one_flows(serde, redis_client, unique):
    store = PayloadStore(redis_client)
    ref = await store.put("user-1", DocType.email, factories.email(f"wrong-{unique}"), ttl=None, now=factories.T0)
    await redis_client.delete(ref.key)
    await redis_client.rpush(ref.key, b"not a payload")  # the data under the key is wrong
    applied: list[str] = []
    harness = Harness(serde, store_handler(store, applied))
    topic = f"t-{unique}"
    wrong = serde.encode(topic, ref_event(ref))
    good = serde.encode(topic, factories.email_update(email_id=f"fine-{unique}"))
    # Bounded: a WRONGTYPE taken for an outage would retry this message forever.
    outcomes = [await asyncio.wait_for(harness.processor.process(inbound(v, n)), 30) for n, v in enumerate([wrong, good])]
    assert outcomes == ["dead-lettered", "handled"] and applied == [f"fine-{unique}"]
    reason = reason_headers(harness.dead[0].headers)
    assert reason["error.class"] == "PayloadCorrupt" and "WRONGTYPE" in reason["error.message"] and ref.key in reason["error.message"]


async def test_a_batch_with_a_wrong_type_key_applies_the_others_and_names_it(redis_client, unique):
    store = PayloadStore(redis_client)
    good = await store.put("user-1", DocType.email, factories.email(f"ok-{unique}"), ttl=None, now=factories.T0)
    wrong = factories.payload_ref(f"hash-{unique}")
    await redis_client.hset(wrong.key, "field", "value")
    batch = EmailBackfillEvent(
        metadata=factories.metadata("EmailBackfillEvent"), job_id="j", batch_index=0, emails=[], emails_refs=[wrong, good],
    )
    changes = await asyncio.wait_for(item_changes(batch, store), 30)
    assert [c.doc_id for c in changes.items] == [f"ok-{unique}"]
    assert len(changes.unreadable) == 1 and "WRONGTYPE" in changes.unreadable[0] and wrong.key in changes.unreadable[0]


async def test_a_reference_to_another_users_key_is_refused(redis_client, unique):
    store = PayloadStore(redis_client)
    theirs = await store.put("user-2", DocType.email, factories.email(f"theirs-{unique}"), ttl=None, now=factories.T0)
    assert await redis_client.exists(theirs.key)  # it is there, intact: only whose it is is wrong
    update = EmailUpdateEvent(
        metadata=factories.metadata("EmailUpdateEvent", user_id="user-1"), change_type=ChangeType.updated,
        email_id=theirs.doc_id, email_ref=theirs,
    )
    with pytest.raises(PayloadRefused, match=f"{theirs.key}: not the key of this event's user's email"):
        await item_changes(update, store)
    mine = await store.put("user-1", DocType.email, factories.email(f"mine-{unique}"), ttl=None, now=factories.T0)
    batch = EmailBackfillEvent(
        metadata=factories.metadata("EmailBackfillEvent", user_id="user-1"), job_id="j", batch_index=0,
        emails=[], emails_refs=[theirs, mine],
    )
    changes = await item_changes(batch, store)
    assert [c.doc_id for c in changes.items] == [f"mine-{unique}"]
    assert changes.unreadable == [f"theirs-{unique} ({theirs.key}): {theirs.key}: not the key of this event's user's email 'theirs-{unique}'"]


async def test_redis_refusing_our_credentials_or_rights_is_a_configuration_error_naming_the_setting(redis_client, stack, unique):
    user = f"officestream-test-{unique}"
    # A user that may read other keys only: its GET of a payload key is refused (NOPERM).
    await redis_client.acl_setuser(user, enabled=True, passwords=[f"+pw-{unique}"], keys=["other:*"], commands=["+get"])
    clients = {
        "AuthenticationError": aioredis.Redis.from_url(stack.redis.url, username=user, password="wrong", socket_connect_timeout=5),
        "NoPermissionError": aioredis.Redis.from_url(stack.redis.url, username=user, password=f"pw-{unique}", socket_connect_timeout=5),
    }
    try:
        for error_class, client in clients.items():
            with pytest.raises(PayloadStoreMisconfigured, match="OFFICESTREAM_REDIS_PASSWORD") as raised:
                await PayloadStore(client).get(factories.payload_ref(f"m-{unique}"), user_id="user-1", doc_type=DocType.email)
            assert f"cannot read {factories.payload_ref(f'm-{unique}').key}: {error_class}: " in str(raised.value)
    finally:
        for client in clients.values():
            await client.aclose()
        await redis_client.acl_deluser(user)
