"""The /document/v1 feed client against the local server that follows Vespa's contract."""

from __future__ import annotations

import asyncio
import socket

import pytest

from connectors.vespa import (
    FeedOperation,
    FeedOutcome,
    HttpFeedClient,
    VespaConfigurationError,
    VespaInsufficientStorage,
    VespaSettings,
    VespaThrottled,
    VespaUnavailable,
)
from connectors.vespa.testing import FakeVespa
from tests.integration.vespa.fixtures import (
    RecordingSleep,
    email_id,
    fake_vespa,
    put_email,
    settings_for,
    sleep,
)

__all__ = ["fake_vespa", "sleep"]  # fixtures


@pytest.mark.parametrize(("http2", "version"), [(True, "2"), (False, "1.1")])
async def test_puts_are_stored_and_read_back_over_either_http_version(
    fake_vespa: FakeVespa, http2: bool, version: str
) -> None:
    operations = [put_email("m1"), put_email("m2", user="user-2", labels=["INBOX"])]
    async with HttpFeedClient(settings_for(fake_vespa, http2=http2)) as client:
        results = await client.feed(operations)
        assert [r.outcome for r in results] == [FeedOutcome.applied] * 2
        assert [r.operation for r in results] == operations
        assert await client.get(email_id("m2", user="user-2")) == operations[1].fields
        assert await client.get(email_id("missing")) is None
    assert fake_vespa.document("id:officestream:email:g=user-1:m1") == operations[0].fields
    assert {request.http_version for request in fake_vespa.requests} == {version}


async def test_throttling_is_retried_honouring_retry_after_then_succeeds(
    fake_vespa: FakeVespa, sleep: RecordingSleep
) -> None:
    fake_vespa.fail(429, doc_id=email_id("m1"), times=2, retry_after="3")
    async with HttpFeedClient(settings_for(fake_vespa), sleep=sleep) as client:
        [result] = await client.feed([put_email("m1")])
    assert (result.outcome, result.attempts) == (FeedOutcome.applied, 3)
    assert sleep.delays == [3.0, 3.0]
    assert fake_vespa.document(email_id("m1")) is not None


async def test_unavailable_and_timed_out_answers_are_retried_with_growing_backoff(
    fake_vespa: FakeVespa, sleep: RecordingSleep
) -> None:
    fake_vespa.fail(503, times=1)
    fake_vespa.fail(504, times=1)
    settings = settings_for(fake_vespa, backoff_initial_s=1.0, backoff_max_s=8.0)
    async with HttpFeedClient(settings, sleep=sleep) as client:
        [result] = await client.feed([put_email("m1")])
    assert (result.outcome, result.attempts) == (FeedOutcome.applied, 3)
    assert len(sleep.delays) == 2 and sleep.delays[0] <= 1.0 and sleep.delays[1] <= 2.0


async def test_throttling_that_outlasts_the_retries_raises_a_retriable_error(
    fake_vespa: FakeVespa, sleep: RecordingSleep
) -> None:
    fake_vespa.fail(429, times=100)
    async with HttpFeedClient(settings_for(fake_vespa, max_retries=3), sleep=sleep) as client:
        with pytest.raises(VespaThrottled) as raised:
            await client.feed([put_email("m1")])
    assert raised.value.retriable and raised.value.http_status == 429
    assert len(fake_vespa.requests) == 4 and len(sleep.delays) == 3


async def test_an_unreachable_vespa_raises_a_retriable_error_after_the_retries(sleep: RecordingSleep) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = VespaSettings.from_env({}, url=f"http://127.0.0.1:{port}", max_retries=2, connect_timeout_s=1.0)
    async with HttpFeedClient(settings, sleep=sleep) as client:
        with pytest.raises(VespaUnavailable) as raised:
            await client.feed([put_email("m1")])
    assert raised.value.retriable and raised.value.http_status is None
    assert len(sleep.delays) == 2


async def test_a_rejected_document_is_reported_while_the_others_succeed(fake_vespa: FakeVespa) -> None:
    fake_vespa.fail(400, doc_id=email_id("bad"), message="Error in document 'bad' - could not parse field 'subject'")
    operations = [put_email("ok-1"), put_email("bad"), put_email("unknown-field", no_such_field="x"), put_email("ok-2")]
    async with HttpFeedClient(settings_for(fake_vespa)) as client:
        results = await client.feed(operations)
    applied, rejected = FeedOutcome.applied, FeedOutcome.rejected
    assert [r.outcome for r in results] == [applied, rejected, rejected, applied]
    assert [r.http_status for r in results] == [200, 400, 400, 200]
    assert "could not parse field" in (results[1].message or "")
    assert "No field 'no_such_field'" in str(results[2].error())
    assert fake_vespa.document(email_id("ok-2")) is not None and fake_vespa.document(email_id("bad")) is None


async def test_a_remove_deletes_and_removing_a_missing_document_is_not_an_error(fake_vespa: FakeVespa) -> None:
    async with HttpFeedClient(settings_for(fake_vespa)) as client:
        await client.feed([put_email("m1")])
        results = await client.feed([FeedOperation.remove(email_id("m1")), FeedOperation.remove(email_id("never-there"))])
    assert [r.outcome for r in results] == [FeedOutcome.applied, FeedOutcome.applied]
    assert fake_vespa.document(email_id("m1")) is None
    assert [r.method for r in fake_vespa.requests] == ["POST", "DELETE", "DELETE"]


async def test_an_update_assigns_fields_and_creates_only_when_asked(fake_vespa: FakeVespa) -> None:
    async with HttpFeedClient(settings_for(fake_vespa)) as client:
        await client.feed([put_email("m1", is_read=False)])
        results = await client.feed([
            FeedOperation.update(email_id("m1"), {"is_read": True}),
            FeedOperation.update(email_id("ghost"), {"is_read": True}),
            FeedOperation.update(email_id("new"), {"is_read": True}, create=True),
        ])
    assert [r.outcome for r in results] == [FeedOutcome.applied] * 3
    assert fake_vespa.document(email_id("m1")) == {**put_email("m1").fields, "is_read": True}
    assert fake_vespa.document(email_id("ghost")) is None
    assert fake_vespa.document(email_id("new")) == {"is_read": True}


async def test_a_condition_that_does_not_hold_changes_nothing(fake_vespa: FakeVespa) -> None:
    async with HttpFeedClient(settings_for(fake_vespa)) as client:
        await client.feed([put_email("m1", version_marker="2")])
        stale = FeedOperation.put(email_id("m1"), {"subject": "old"}, condition='email.version_marker=="1"')
        fresh = FeedOperation.put(email_id("m1"), {"subject": "new"}, condition='email.version_marker=="2"')
        [not_met] = await client.feed([stale])
        [met] = await client.feed([fresh])
    assert (not_met.outcome, not_met.http_status, not_met.error()) == (FeedOutcome.condition_not_met, 412, None)
    assert met.outcome is FeedOutcome.applied
    assert fake_vespa.document(email_id("m1")) == {"subject": "new"}


async def test_operations_on_one_document_keep_their_order_across_retries(
    fake_vespa: FakeVespa, sleep: RecordingSleep
) -> None:
    fake_vespa.fail(429, doc_id=email_id("m1"), times=2, retry_after="0")
    operations = [put_email("m1"), put_email("m2"), FeedOperation.remove(email_id("m1")), put_email("m3")]
    async with HttpFeedClient(settings_for(fake_vespa, concurrency=8), sleep=sleep) as client:
        results = await client.feed(operations)
    assert all(r.ok for r in results)
    assert fake_vespa.document(email_id("m1")) is None  # the remove ran after the retried put
    assert [r.method for r in fake_vespa.requests if r.doc_id == str(email_id("m1"))] == ["POST"] * 3 + ["DELETE"]


async def test_no_more_than_the_concurrency_limit_is_in_flight(fake_vespa: FakeVespa) -> None:
    release = fake_vespa.hold()
    async with HttpFeedClient(settings_for(fake_vespa, concurrency=3)) as client:
        feeding = asyncio.create_task(client.feed([put_email(f"m{i}") for i in range(10)]))
        await fake_vespa.wait_until(lambda fake: fake.inflight == 3)
        with pytest.raises(TimeoutError):  # a fourth request would arrive now if nothing held it back
            await fake_vespa.wait_until(lambda fake: fake.inflight > 3, timeout=0.3)
        release.set()
        results = await feeding
    assert all(r.ok for r in results)
    assert fake_vespa.max_inflight == 3
    assert len(fake_vespa.documents) == 10


async def test_insufficient_storage_stops_the_feed_at_once(fake_vespa: FakeVespa) -> None:
    fake_vespa.fail(507, doc_id=email_id("m2"), message="Put operation rejected: disk is full")
    async with HttpFeedClient(settings_for(fake_vespa, concurrency=1)) as client:
        with pytest.raises(VespaInsufficientStorage, match="disk is full") as raised:
            await client.feed([put_email("m1"), put_email("m2"), put_email("m3")])
    assert raised.value.retriable
    assert [r.doc_id for r in fake_vespa.requests] == [str(email_id("m1")), str(email_id("m2"))]


async def test_an_endpoint_that_is_not_document_v1_is_a_configuration_error(fake_vespa: FakeVespa) -> None:
    settings = VespaSettings.from_env({}, url=f"{fake_vespa.url}/not-vespa")
    async with HttpFeedClient(settings) as client:
        with pytest.raises(VespaConfigurationError, match="OFFICESTREAM_VESPA_URL") as raised:
            await client.feed([put_email("m1")])
    assert raised.value.http_status == 404


async def test_the_operation_timeout_is_passed_to_vespa(fake_vespa: FakeVespa) -> None:
    async with HttpFeedClient(settings_for(fake_vespa, operation_timeout_s=12.5)) as client:
        await client.feed([put_email("m1")])
    assert fake_vespa.requests[0].params == {"timeout": "12.5s"}


async def test_vespas_messages_are_passed_on_without_the_user_id(fake_vespa: FakeVespa) -> None:
    doc = email_id("m1", user="ada-lovelace")
    fake_vespa.fail(400, doc_id=doc, message=f"Error in document '{doc}' at {doc.path()}: could not parse field 'subject'")
    async with HttpFeedClient(settings_for(fake_vespa)) as client:
        [result] = await client.feed([put_email("m1", user="ada-lovelace")])
    assert "ada-lovelace" not in (result.message or "") and "ada-lovelace" not in str(result.error())
    assert doc.log_ref() in (result.message or "") and "could not parse field 'subject'" in (result.message or "")


async def test_a_field_that_is_not_json_fails_the_call_and_stops_every_request(fake_vespa: FakeVespa) -> None:
    operations = [put_email("m0"), put_email("m1", sent_at=object()), *(put_email(f"m{i}") for i in range(2, 40))]
    async with HttpFeedClient(settings_for(fake_vespa, concurrency=2)) as client:
        with pytest.raises(TypeError):
            await client.feed(operations)
        sent = len(fake_vespa.requests)
        await client.feed([put_email("after")])  # nothing of the failed call is still sending
    assert sent < 5
    assert len(fake_vespa.requests) == sent + 1
