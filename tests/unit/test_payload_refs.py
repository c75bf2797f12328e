"""Payload keys (one escaping rule, nothing parsed back) and the refusal of references that are
not tied to their event, before anything is fetched."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from connectors.redis.exceptions import PayloadRefused, PayloadUnusable
from connectors.redis.payload_store import PayloadStore, check_reference, encode_record, payload_key
from schemas.models import DocType, PayloadRef
from tests import factories

LIMIT = 1_000_000


def test_keys_escape_percent_and_colon_in_every_part():
    assert payload_key("user-1", DocType.email, "m-1") == "office:user-1:email:m-1"
    assert payload_key("tenant:ada%40x", DocType.email, "AAMk:a%b") == "office:tenant%3Aada%2540x:email:AAMk%3Aa%25b"


def test_users_whose_ids_hold_a_colon_cannot_reach_each_others_keys():
    assert payload_key("a:b", DocType.email, "c") != payload_key("a", DocType.email, "b:c")
    assert payload_key("a%3Ab", DocType.email, "c") != payload_key("a:b", DocType.email, "c")
    assert payload_key("a", DocType.contact, "x") != payload_key("a", DocType.email, "x")


def ref(key: str, *, doc_type: DocType = DocType.email, doc_id: str = "m-1", size: int = 100) -> PayloadRef:
    return PayloadRef(key=key, doc_type=doc_type, doc_id=doc_id, sha256="0" * 64, size_bytes=size, content_type="x")


def refusal(reference: PayloadRef, *, user_id: str = "user-1", doc_type: DocType = DocType.email, doc_id: str | None = None) -> str:
    with pytest.raises(PayloadRefused) as raised:
        check_reference(reference, user_id=user_id, doc_type=doc_type, doc_id=doc_id, max_bytes=LIMIT)
    assert isinstance(raised.value, PayloadUnusable)  # poison: dead-lettered, never retried
    return str(raised.value)


def test_a_reference_to_the_events_own_document_passes():
    own = ref(payload_key("tenant:ada%", DocType.email, "m:1"), doc_id="m:1")
    check_reference(own, user_id="tenant:ada%", doc_type=DocType.email, doc_id="m:1", max_bytes=LIMIT)
    check_reference(own, user_id="tenant:ada%", doc_type=DocType.email, doc_id=None, max_bytes=LIMIT)


def test_another_users_key_is_refused():
    assert "not the key of this event's user's email 'm-1'" in refusal(ref(payload_key("user-2", DocType.email, "m-1")))


def test_an_unescaped_key_of_a_user_with_a_colon_is_refused():
    # office:a:b:email:c is what a naive f-string would build for user "a:b"; it names nobody.
    assert "not the key" in refusal(ref("office:a:b:email:c", doc_id="c"), user_id="a:b")


def test_another_doc_type_is_refused_even_with_a_matching_key():
    contact = ref(payload_key("user-1", DocType.contact, "m-1"), doc_type=DocType.contact)
    assert "a reference of doc type 'contact' in an event of 'email' documents" in refusal(contact)
    unknown = ref(payload_key("user-1", DocType.email, "m-1"), doc_type=DocType.unknown)
    assert "doc type 'unknown'" in refusal(unknown)


def test_a_key_for_another_doc_type_is_refused():
    assert "not the key" in refusal(ref(payload_key("user-1", DocType.contact, "m-1")))


def test_another_document_than_the_update_names_is_refused():
    other = ref(payload_key("user-1", DocType.email, "m-2"), doc_id="m-2")
    assert "the reference names document 'm-2', the event 'm-1'" in refusal(other, doc_id="m-1")


def test_a_reference_over_the_size_limit_is_refused_naming_the_setting():
    big = ref(payload_key("user-1", DocType.email, "m-1"), size=LIMIT + 1)
    assert f"{LIMIT + 1} bytes, over the limit of {LIMIT} (OFFICESTREAM_REDIS_MAX_PAYLOAD_BYTES)" in refusal(big)


class NoRedis:
    """A Redis client that must not be called: refusals happen before any fetch."""

    async def get(self, key):
        raise AssertionError(f"fetched {key}")


async def test_the_store_refuses_before_fetching():
    store = PayloadStore(NoRedis(), max_payload_bytes=LIMIT)  # type: ignore[arg-type]
    with pytest.raises(PayloadRefused, match="over the limit"):
        await store.get(factories.payload_ref("m-1").model_copy(update={"size_bytes": LIMIT + 1}), user_id="user-1", doc_type=DocType.email)
    with pytest.raises(PayloadRefused, match="not the key"):
        await store.get(factories.payload_ref("m-1", user_id="user-2"), user_id="user-1", doc_type=DocType.email)


class OneKey:
    def __init__(self, key: str, value: bytes) -> None:
        self.key, self.value = key, value

    async def get(self, key):
        return self.value if key == self.key else None


async def test_a_payload_holding_another_document_than_its_key_names_is_refused():
    data = encode_record(factories.email("m-other"))  # stored under m-1's key, with a matching hash
    key = payload_key("user-1", DocType.email, "m-1")
    reference = PayloadRef(
        key=key, doc_type=DocType.email, doc_id="m-1", sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data), content_type="x",
    )
    store = PayloadStore(OneKey(key, data))  # type: ignore[arg-type]
    with pytest.raises(PayloadRefused, match="holds document 'm-other', not the referenced 'm-1'"):
        await store.get(reference, user_id="user-1", doc_type=DocType.email, doc_id="m-1")


class Expired:
    async def get(self, key):
        return None


async def test_the_content_endpoint_is_asked_for_the_events_user_not_a_part_of_the_key():
    record = factories.email("m/1")
    data = encode_record(record)
    user = "tenant:ada%"
    reference = PayloadRef(
        key=payload_key(user, DocType.email, "m/1"), doc_type=DocType.email, doc_id="m/1",
        sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data), content_type="x",
    )
    asked: list[str] = []

    def endpoint(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.raw_path.decode())
        return httpx.Response(200, content=data)

    async with httpx.AsyncClient(transport=httpx.MockTransport(endpoint)) as http:
        store = PayloadStore(Expired(), content_endpoint="http://producer.internal/", http=http)  # type: ignore[arg-type]
        assert await store.get(reference, user_id=user, doc_type=DocType.email) == record
    assert asked == ["/content/tenant%3Aada%25/email/m%2F1"]
